import EmberTensor

/// torch.einsum, for any number of operands, built from differentiable ops:
/// a repeated subscript takes a diagonal, a subscript used by one operand
/// only is summed out at once, and operands are contracted left to right,
/// each pair as one batched matrix product (batch subscripts, then the
/// left's free ones, the summed ones, the right's free ones). Gradients
/// come from those ops, so they can be differentiated again.
extension Tensor {
    /// torch.einsum(equation, operands): "ij,jk->ik" (matrix product),
    /// "bij,bjk->bik", "i,i->", "i,j->ij", "ij->ji", "ii->i", "ij->",
    /// "bhqd,bhkd->bhqk", "...ij,...jk"; without "->" the output is the
    /// subscripts used once, in alphabetical order (upper case first), after
    /// the ellipsis dims. Subscripts are letters; spaces are ignored; sizes
    /// of 1 broadcast.
    ///
    /// ```swift
    /// let scores = try Tensor.einsum("bhqd,bhkd->bhqk", [q, k])
    /// ```
    public static func einsum(_ equation: String, _ operands: [Tensor]) throws -> Tensor {
        let spec = try EinsumSpec(equation, shapes: operands.map(\.shape))
        if let first = operands.first, let other = operands.first(where: { $0.dtype != first.dtype }) {
            throw EmberError.dtype("einsum(): expected all operands to have the same dtype, got \(first.dtype) and \(other.dtype)")
        }
        // Each operand with distinct subscripts, and those no one else needs summed out.
        var terms: [(Tensor, [Int])] = []
        for (i, x) in operands.enumerated() {
            var (t, labels) = try x.takingDiagonals(spec.inputs[i])
            var others = Set(spec.output)
            for (j, input) in spec.inputs.enumerated() where j != i { others.formUnion(input) }
            (t, labels) = try t.summingOut(labels) { !others.contains($0) }
            terms.append((t, labels))
        }
        var (result, labels) = terms[0]
        for i in 1..<Swift.max(1, terms.count) {
            var needed = Set(spec.output)
            for later in terms[(i + 1)...] { needed.formUnion(later.1) }
            (result, labels) = try contract(result, labels, terms[i].0, terms[i].1, keeping: needed)
        }
        // Every output subscript is in `labels` now, each once; put them in order.
        let order = try spec.output.map { label -> Int in
            guard let position = labels.firstIndex(of: label) else {
                throw EmberError.internal("einsum: output subscript \(EinsumSpec.name(label)) was lost")
            }
            return position
        }
        return order == Array(0..<order.count) ? result : try result.permute(Dims(order))
    }

    /// This operand with each repeated subscript reduced to its diagonal.
    func takingDiagonals(_ labels: [Int]) throws -> (Tensor, [Int]) {
        var t = self, labels = labels
        var i = 0
        while i < labels.count {
            if let j = labels[(i + 1)...].firstIndex(of: labels[i]) {
                t = try t.diagonalOf(i, j)
                labels.remove(at: j)
            } else {
                i += 1
            }
        }
        return (t, labels)
    }

    /// This operand summed over the subscripts for which `drop` holds.
    func summingOut(_ labels: [Int], where drop: (Int) -> Bool) throws -> (Tensor, [Int]) {
        let dims = labels.indices.filter { drop(labels[$0]) }
        if dims.isEmpty { return (self, labels) }
        return (try sum(dims: Dims(dims)), labels.enumerated().filter { !dims.contains($0.offset) }.map(\.element))
    }

    /// One pair: subscripts in both and still needed are batch dims, in both
    /// and no longer needed are summed by the product, in one only are kept.
    static func contract(_ first: Tensor, _ firstLabels: [Int], _ second: Tensor, _ secondLabels: [Int],
                         keeping needed: Set<Int>) throws -> (Tensor, [Int]) {
        let (a0, la) = try first.summingOut(firstLabels) { !needed.contains($0) && !secondLabels.contains($0) }
        let (b0, lb) = try second.summingOut(secondLabels) { !needed.contains($0) && !la.contains($0) }
        var a = a0, b = b0
        let shared = la.filter { lb.contains($0) }
        let batch = shared.filter { needed.contains($0) }, summed = shared.filter { !needed.contains($0) }
        let left = la.filter { !lb.contains($0) }, right = lb.filter { !la.contains($0) }
        // Where each subscript sits (every one looked up is present by construction).
        func dims(_ labels: [Int], _ of: [Int]) throws -> [Int] {
            try labels.map { label in
                guard let d = of.firstIndex(of: label) else {
                    throw EmberError.internal("einsum: subscript \(EinsumSpec.name(label)) is missing from an operand")
                }
                return d
            }
        }
        // A summed subscript of size 1 on one side only: sum the other side first.
        for label in summed {
            let da = try dims([label], la)[0], db = try dims([label], lb)[0]
            if a.shape[da] == 1 && b.shape[db] != 1 { b = try b.sum(dims: [db], keepdim: true) }
            if b.shape[db] == 1 && a.shape[da] != 1 { a = try a.sum(dims: [da], keepdim: true) }
        }
        let (batchA, leftA, summedA) = try (dims(batch, la), dims(left, la), dims(summed, la))
        let (batchB, summedB, rightB) = try (dims(batch, lb), dims(summed, lb), dims(right, lb))
        // Batch sizes broadcast: the larger of the two (they are equal or one is 1).
        let batchSizes = zip(batchA, batchB).map { Swift.max(a.shape[$0], b.shape[$1]) }
        let leftSizes = leftA.map { a.shape[$0] }, rightSizes = rightB.map { b.shape[$0] }, summedSizes = summedA.map { a.shape[$0] }
        let outLabels = batch + left + right
        let outShape = try Dims(checking: batchSizes + leftSizes + rightSizes)
        let nb = try product(batchSizes), nl = try product(leftSizes), nr = try product(rightSizes), ns = try product(summedSizes)

        // Stretch size-1 batch dims to the common size before flattening them.
        let ea = try a.permute(Dims(batchA + leftA + summedA)).expand(Dims(batchSizes + leftSizes + summedSizes))
        let eb = try b.permute(Dims(batchB + summedB + rightB)).expand(Dims(batchSizes + summedSizes + rightSizes))
        let joined: Tensor
        if summed.isEmpty {
            // Nothing to sum: a broadcast product (also what bool operands allow).
            joined = try ea.reshape([nb, nl, 1]).mul(eb.reshape([nb, 1, nr]))
        } else {
            guard a.dtype != .bool else {
                throw EmberError.dtype("einsum(): summing over a subscript of bool operands is not supported (as in torch, whose bmm has no bool kernel)")
            }
            joined = try ea.reshape([nb, nl, ns]).matmul(eb.reshape([nb, ns, nr]))
        }
        return (try joined.reshape(outShape), outLabels)
    }

    /// The product of sizes, checked for overflow.
    static func product(_ sizes: [Int]) throws -> Int { try Shapes.count(Dims(checking: sizes)) }

    // MARK: - Diagonals

    /// The diagonal over dims `d1` < `d2` (equal sizes), a view whose dim
    /// `d1` steps along both. Its gradient puts values back on a diagonal.
    func diagonalOf(_ d1: Int, _ d2: Int) throws -> Tensor {
        let value = try Kernels.diagonalView(array, d1, d2)
        let inputShape = shape
        return Tensor.record(value, "DiagonalBackward0", inputs: [self]) { g, _ in
            [try g.embeddingDiagonal(shape: inputShape, d1, d2)]
        }
    }

    /// Zeros of `shape` with this tensor on the diagonal over dims `d1`, `d2`.
    func embeddingDiagonal(shape: Dims, _ d1: Int, _ d2: Int) throws -> Tensor {
        let value = try Kernels.embedDiagonal(array, shape: shape, d1, d2)
        return Tensor.record(value, "DiagEmbedBackward0", inputs: [self]) { g, _ in [try g.diagonalOf(d1, d2)] }
    }
}

/// A parsed einsum equation: each operand's subscripts and the output's, as
/// label numbers: letters A-Z are 0-25, a-z 26-51 (so sorting puts upper case
/// first, as torch), and the ellipsis dims 52, 53, ... aligned from the right.
struct EinsumSpec {
    var inputs: [[Int]] = []
    var output: [Int] = []

    static let ellipsisBase = 52

    /// The subscript's letter (or "..." for an ellipsis dim), for messages.
    static func name(_ label: Int) -> String {
        if label < 26 { return String(UnicodeScalar(UInt8(65 + label))) }
        if label < 52 { return String(UnicodeScalar(UInt8(97 + label - 26))) }
        return "..."
    }

    /// One side's terms: letters, or nil for an ellipsis.
    typealias Term = [Int?]

    init(_ equation: String, shapes: [Dims]) throws {
        let chars = Array(equation.utf8)
        // Split at the arrow, checking every character.
        var lhs: [Term] = [[]], rhs: Term? = nil
        var i = 0
        func fail(_ message: String) -> EmberError { EmberError.invalidArgument("einsum(): \(message) (equation \"\(equation)\")") }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case UInt8(ascii: " "):
                break
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                let label = c <= UInt8(ascii: "Z") ? Int(c - UInt8(ascii: "A")) : 26 + Int(c - UInt8(ascii: "a"))
                if rhs != nil { rhs?.append(label) } else { lhs[lhs.count - 1].append(label) }
            case UInt8(ascii: "."):
                guard i + 2 < chars.count, chars[i + 1] == c, chars[i + 2] == c else {
                    throw fail("found '.' at index \(i) that is not part of an ellipsis '...'")
                }
                let term = rhs ?? lhs[lhs.count - 1]
                guard !term.contains(where: { $0 == nil }) else {
                    throw fail(rhs == nil ? "operand \(lhs.count - 1) has more than one ellipsis" : "the output has more than one ellipsis")
                }
                if rhs != nil { rhs?.append(nil) } else { lhs[lhs.count - 1].append(nil) }
                i += 2
            case UInt8(ascii: ","):
                guard rhs == nil else { throw fail("found ',' at index \(i) in the output") }
                lhs.append([])
            case UInt8(ascii: "-"):
                guard rhs == nil, i + 1 < chars.count, chars[i + 1] == UInt8(ascii: ">") else {
                    throw fail(rhs == nil ? "found '-' at index \(i) that is not part of an arrow '->'" : "found a second '->' at index \(i)")
                }
                rhs = []
                i += 1
            default:
                throw fail("invalid subscript '\(String(decoding: [c], as: UTF8.self))' at index \(i); subscripts must be letters [a-zA-Z]")
            }
            i += 1
        }
        guard lhs.count == shapes.count else {
            throw fail(lhs.count > shapes.count
                ? "the equation has \(lhs.count) operands but \(shapes.count) tensor\(shapes.count == 1 ? " was" : "s were") given (fewer operands than in the equation)"
                : "the equation has \(lhs.count) operand\(lhs.count == 1 ? "" : "s") but \(shapes.count) tensors were given (more operands than in the equation)")
        }

        // Ellipsis dims: as many as the operand has beyond its letters, aligned from the right.
        var ellipsisDims = 0
        for (k, term) in lhs.enumerated() {
            let letters = term.filter { $0 != nil }.count
            let hasEllipsis = term.contains { $0 == nil }
            let ndim = shapes[k].count
            if hasEllipsis {
                guard letters <= ndim else {
                    throw fail("operand \(k) has \(letters) subscripts besides the ellipsis but only \(ndim) dimensions (shape \(describe(shapes[k])))")
                }
                ellipsisDims = Swift.max(ellipsisDims, ndim - letters)
            } else if letters != ndim {
                throw fail("the number of subscripts (\(letters)) does not match the number of dimensions (\(ndim)) of operand \(k) (shape \(describe(shapes[k]))) and no ellipsis was given")
            }
        }
        let ellipsisLabels = (0..<ellipsisDims).map { EinsumSpec.ellipsisBase + $0 }
        var sizes: [Int: Int] = [:]
        for (k, term) in lhs.enumerated() {
            let own = shapes[k].count - term.filter { $0 != nil }.count
            var labels: [Int] = []
            for entry in term {
                if let label = entry { labels.append(label) } else { labels += ellipsisLabels.suffix(own) }
            }
            // Sizes agree or broadcast from 1; a repeated subscript within one operand must match exactly.
            var seen: [Int: Int] = [:]
            for (d, label) in labels.enumerated() {
                let size = shapes[k][d]
                if let previous = seen[label], previous != size {
                    throw fail("subscript \(EinsumSpec.name(label)) is repeated for operand \(k) but the sizes don't match, \(size) != \(previous)")
                }
                seen[label] = size
                if let previous = sizes[label], previous != size, previous != 1, size != 1 {
                    throw fail("subscript \(EinsumSpec.name(label)) has size \(size) for operand \(k) which does not broadcast with previously seen size \(previous)")
                }
                if sizes[label] == nil || sizes[label] == 1 { sizes[label] = size }
            }
            inputs.append(labels)
        }

        if let rhs {
            for entry in rhs {
                if let label = entry {
                    guard sizes[label] != nil else {
                        throw fail("output subscript \(EinsumSpec.name(label)) does not appear in the equation for any input operand")
                    }
                    guard !output.contains(label) else {
                        throw fail("output subscript \(EinsumSpec.name(label)) appears more than once in the output")
                    }
                    output.append(label)
                } else {
                    // Ellipsis dims the inputs lack (none had an ellipsis) are simply absent.
                    output += ellipsisLabels
                }
            }
        } else {
            // Implicit output: the ellipsis dims, then the subscripts used exactly once, sorted.
            var counts: [Int: Int] = [:]
            for labels in inputs { for label in labels where label < EinsumSpec.ellipsisBase { counts[label, default: 0] += 1 } }
            output = ellipsisLabels + counts.keys.filter { counts[$0] == 1 }.sorted()
        }
    }
}
