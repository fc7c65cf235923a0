import EmberVector
import Glibc

/// Softmax, log-softmax and the fused cross-entropy kernels. Each line along
/// `dim` is shifted by its maximum before exponentiating, and sums of
/// exponentials accumulate in double precision.
extension Kernels {
    /// softmax (or log_softmax if `log`) of a floating array along `dim`; the
    /// result is contiguous.
    public static func softmax(_ x: NDArray, dim: Int, log: Bool) throws -> NDArray {
        guard x.dtype.isFloatingPoint else {
            throw EmberError.dtype("\(log ? "log_softmax" : "softmax"): expected a floating tensor, got \(x.dtype)")
        }
        let d = try Shapes.normalize(dim, x.ndim)
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        if out.count == 0 { return out }
        if x.ndim == 0 {
            fill(out, with: log ? 0 : 1)
            return out
        }
        // Lines along d of a contiguous copy: (outer, length, inner) with the
        // line's elements `inner` apart; the result has the same layout.
        let source = try x.contiguous()
        defer { withExtendedLifetime(source) {} }
        let (outer, length, inner) = lineGeometry(x.shape, d)
        switch x.dtype {
        case .float32: softmaxLines(source.pointer(Float.self), out.pointer(Float.self), outer, length, inner, log)
        case .float64: softmaxLines(source.pointer(Double.self), out.pointer(Double.self), outer, length, inner, log)
        case .int64, .bool: break
        }
        return out
    }

    /// Every line, split across threads above ~4K elements (each costs an exp).
    static func softmaxLines<T: FloatElement>(_ px: UnsafeMutablePointer<T>, _ po: UnsafeMutablePointer<T>,
                                              _ outer: Int, _ length: Int, _ inner: Int, _ log: Bool) {
        Parallel.forEach(outer * inner, grain: max(1, 4096 / max(length, 1))) { range in
            for line in range {
                let base = (line / inner) * length * inner + line % inner
                if T.self == Float.self && inner == 1 {
                    softmaxRow(UnsafeMutableRawPointer(px + base).assumingMemoryBound(to: Float.self),
                               UnsafeMutableRawPointer(po + base).assumingMemoryBound(to: Float.self), length, log)
                } else {
                    softmaxLine(px + base, inner, po + base, inner, length, log)
                }
            }
        }
    }

    /// The largest of `n` floats, NaN if any is NaN; the shift that keeps
    /// softmax's exponentials in range (0 for an infinite maximum, so that an
    /// all -inf line gives NaN as torch does rather than inf - inf elsewhere).
    @inline(__always)
    static func softmaxShift<T: FloatElement>(_ line: UnsafeMutablePointer<T>, _ n: Int) -> T {
        // Short lines (two-class logits) by the loop below: the vector
        // routine's dispatch costs more than the comparisons.
        if T.self == Float.self && n >= 16 {
            let m = VectorLoops.maximum(UnsafeMutableRawPointer(line).assumingMemoryBound(to: Float.self), n)
            return T(m.isFinite ? m : (m.isNaN ? m : 0))
        }
        var maxValue = line[0]
        for i in 1..<n where line[i] > maxValue || line[i].isNaN { maxValue = line[i] }
        return maxValue.isFinite ? maxValue : (maxValue.isNaN ? maxValue : 0)
    }

    /// A contiguous float32 line, its exponentials eight at a time.
    @inline(__always)
    static func softmaxRow(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ log: Bool) {
        let shift = softmaxShift(x, n)
        let sum = VectorLoops.expShifted(x, y, n, shift: shift)
        if log {
            let offset = shift + Float(Glibc.log(sum))
            VectorMath.map(x, y, n) { $0 - offset }
        } else {
            let inv = Float(1 / sum)
            VectorMath.map(y, y, n) { $0 * inv }
        }
    }

    @inline(__always)
    static func softmaxLine<T: FloatElement>(_ line: UnsafeMutablePointer<T>, _ si: Int, _ dst: UnsafeMutablePointer<T>, _ so: Int,
                                             _ length: Int, _ log: Bool) {
        var maxValue = line[0]
        for i in 1..<length where line[i * si] > maxValue || line[i * si].isNaN { maxValue = line[i * si] }
        // As softmaxShift.
        let shift = maxValue.isFinite ? maxValue : (maxValue.isNaN ? maxValue : 0)
        var sum = 0.0
        if log {
            for i in 0..<length { sum += Double(T.exp(line[i * si] - shift)) }
            let logSum = T(Glibc.log(sum))
            for i in 0..<length { dst[i * so] = line[i * si] - shift - logSum }
        } else {
            for i in 0..<length {
                let e = T.exp(line[i * si] - shift)
                dst[i * so] = e
                sum += Double(e)
            }
            let inv = 1 / sum
            for i in 0..<length { dst[i * so] = T(Double(dst[i * so]) * inv) }
        }
    }

    /// Whether int64 class targets hold `value` (cross_entropy's ignore_index),
    /// by a scan rather than a comparison tensor.
    public static func classTargetsContain(_ target: NDArray, _ value: Int64) throws -> Bool {
        guard target.dtype == .int64 else {
            throw EmberError.dtype("expected int64 class indices as target, got \(target.dtype)")
        }
        let t = try target.contiguous()
        let p = t.pointer(Int64.self)
        for i in 0..<t.count where p[i] == value { return true }
        return false
    }

    /// Validates class-index targets for logits of shape (N, C) or (C): returns (N, C).
    public static func checkClassTargets(_ logits: NDArray, _ target: NDArray, function: String) throws -> (Int, Int) {
        guard logits.dtype.isFloatingPoint else {
            throw EmberError.dtype("\(function): expected floating logits, got \(logits.dtype)")
        }
        guard target.dtype == .int64 else {
            throw EmberError.dtype("\(function): expected int64 class indices as target, got \(target.dtype)")
        }
        let n: Int, c: Int
        switch (logits.ndim, target.ndim) {
        case (2, 1) where logits.shape[0] == target.shape[0]:
            n = logits.shape[0]; c = logits.shape[1]
        case (1, 0):
            n = 1; c = logits.shape[0]
        default:
            throw EmberError.shape("\(function): expected logits of shape (N, C) with target (N), or (C) with target (), got logits \(describe(logits.shape)) and target \(describe(target.shape))")
        }
        try target.withContiguousElements(Int64.self) { pt in
            for i in 0..<n where pt[i] < 0 || pt[i] >= Int64(c) {
                throw EmberError.invalidArgument("\(function): target \(pt[i]) is out of bounds for \(c) classes (at position \(i))")
            }
        }
        return (n, c)
    }

    /// Mean cross-entropy of logits (N, C) against int64 targets (N): a 0-dim array.
    public static func crossEntropy(_ logits: NDArray, _ target: NDArray) throws -> NDArray {
        let (n, c) = try checkClassTargets(logits, target, function: "cross_entropy")
        let out = try NDArray(empty: [], dtype: logits.dtype)
        let total = try target.withContiguousElements(Int64.self) { pt in
            switch logits.dtype {
            case .float32: try logits.withContiguousElements(Float.self) { crossEntropyRows($0, pt, n, c) }
            case .float64: try logits.withContiguousElements(Double.self) { crossEntropyRows($0, pt, n, c) }
            case .int64, .bool: 0.0
            }
        }
        fill(out, with: n == 0 ? .nan : total / Double(n))
        return out
    }

    /// The summed loss of `n` rows: each row's loss computed on its own (split
    /// across threads), then added in row order, so the total does not depend
    /// on the number of threads.
    static func crossEntropyRows<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ t: UnsafeMutablePointer<Int64>, _ n: Int, _ c: Int) -> Double {
        if n == 0 || c == 0 { return 0 }
        if T.self == Float.self && c < 8 {
            // Blocks of eight rows, fixed (so the total does not depend on the
            // threads either), summed in order.
            let blocks = (n + 7) / 8, xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: blocks) { sums in
                Parallel.forEach(blocks, grain: max(1, 512 / c)) { range in
                    for block in range { sums[block] = smallClassLosses(xf, t, block * 8 ..< Swift.min(n, block * 8 + 8), c) }
                }
                var total = 0.0
                for block in 0..<blocks { total += sums[block] }
                return total
            }
        }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { losses in
            Parallel.forEach(n, grain: max(1, 4096 / c)) { rows in
                if T.self == Float.self {
                    // The row's exponentials go to a scratch line, eight at a time.
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: c) { scratch in
                        for row in rows {
                            let line = UnsafeMutableRawPointer(x + row * c).assumingMemoryBound(to: Float.self)
                            let shift = softmaxShift(line, c)
                            let sum = VectorLoops.expShifted(line, scratch.baseAddress!, c, shift: shift)
                            losses[row] = Glibc.log(sum) - Double(line[Int(t[row])] - shift)
                        }
                    }
                } else {
                    for row in rows {
                        let line = x + row * c
                        let shift = softmaxShift(line, c)
                        var sum = 0.0
                        for j in 0..<c { sum += Double(T.exp(line[j] - shift)) }
                        losses[row] = Glibc.log(sum) - Double(line[Int(t[row])] - shift)
                    }
                }
            }
            var total = 0.0
            for row in 0..<n { total += losses[row] }
            return total
        }
    }

    /// The summed loss of up to eight `rows` of fewer than eight float32
    /// logits (two-class rows are common): each row shifted by its maximum
    /// into a scratch block, the exponentials of the whole block eight at a
    /// time, then one logarithm for the block, of the product of the rows'
    /// sums (log a + log b = log ab; each sum lies in [1, c], so eight of
    /// them cannot overflow). Row by row, a vector would be mostly padding,
    /// libm's expf would run once per logit and log once per row.
    static func smallClassLosses(_ x: UnsafePointer<Float>, _ t: UnsafePointer<Int64>, _ rows: Range<Int>, _ c: Int) -> Double {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * 8 + 8) { scratch in
            let e = scratch.baseAddress!, shifts = e + 8 * 8
            shiftRows(x, rows, c, into: e, shifts: shifts)
            VectorLoops.exp(e, e, rows.count &* c)
            var product = 1.0, targets = 0.0, k = 0
            for row in rows {
                let line = e + k &* c
                var sum = 0.0
                for j in 0..<c { sum += Double(line[j]) }
                product *= sum
                targets += Double(x[row &* c &+ Int(t[row])] - shifts[k])
                k &+= 1
            }
            return Glibc.log(product) - targets
        }
    }

    /// Each of `rows` (of `c` logits) less its softmax shift, packed into
    /// `out` from its start, and the shifts.
    @inline(__always)
    static func shiftRows(_ x: UnsafePointer<Float>, _ rows: Range<Int>, _ c: Int, into out: UnsafeMutablePointer<Float>,
                          shifts: UnsafeMutablePointer<Float>) {
        for (k, row) in rows.enumerated() {
            let line = UnsafeMutablePointer(mutating: x + row * c)
            let shift = softmaxShift(line, c)
            shifts[k] = shift
            for j in 0..<c { out[k * c + j] = line[j] - shift }
        }
    }

    /// d(mean cross-entropy)/d(logits) times `scale`: (softmax(x) - onehot(t)) * scale / N.
    public static func crossEntropyBackward(_ logits: NDArray, _ target: NDArray, scale: Double) throws -> NDArray {
        let (n, c) = try checkClassTargets(logits, target, function: "cross_entropy backward")
        let factor = n == 0 ? 0 : scale / Double(n)
        return try target.withContiguousElements(Int64.self) { pt in
            if logits.dtype == .float32 && n > 0 && c > 0 {
                // One pass per row: the exponentials, scaled by factor / sum, less
                // the factor at the target.
                let out = try NDArray(empty: logits.shape, dtype: .float32)
                let po = out.pointer(Float.self)
                try logits.withContiguousElements(Float.self) { px in
                    Parallel.forEach(n, grain: max(1, 4096 / c)) { rows in
                        if c < 8 {
                            // Short rows: shifted in place, one exponential pass over the block (see smallClassLosses).
                            let block = po + rows.lowerBound * c
                            withUnsafeTemporaryAllocation(of: Float.self, capacity: rows.count) { shifts in
                                shiftRows(px, rows, c, into: block, shifts: shifts.baseAddress!)
                            }
                            VectorLoops.exp(block, block, rows.count * c)
                            for row in rows {
                                let dst = po + row * c
                                var sum = 0.0
                                for j in 0..<c { sum += Double(dst[j]) }
                                let f = Float(factor / sum)
                                for j in 0..<c { dst[j] *= f }
                                dst[Int(pt[row])] -= Float(factor)
                            }
                            return
                        }
                        for row in rows {
                            let line = px + row * c, dst = po + row * c
                            let sum = VectorLoops.expShifted(line, dst, c, shift: softmaxShift(line, c))
                            let f = Float(factor / sum)
                            VectorMath.map(dst, dst, c) { $0 * f }
                            dst[Int(pt[row])] -= Float(factor)
                        }
                    }
                }
                return out
            }
            let probabilities = try softmax(logits.ndim == 1 ? logits.unsqueezed(0) : logits, dim: 1, log: false)
            switch probabilities.dtype {
            case .float32:
                let p = probabilities.pointer(Float.self)
                let f = Float(factor)
                for row in 0..<n { p[row * c + Int(pt[row])] -= 1 }
                for i in 0..<(n * c) { p[i] *= f }
            case .float64:
                let p = probabilities.pointer(Double.self)
                for row in 0..<n { p[row * c + Int(pt[row])] -= 1 }
                for i in 0..<(n * c) { p[i] *= factor }
            case .int64, .bool: break
            }
            return logits.ndim == 1 ? try probabilities.squeezed(0) : probabilities
        }
    }

    /// One-hot rows of class indices: shape (N, C) (or (C) for a 0-dim target) in `dtype`.
    public static func oneHot(_ target: NDArray, classes c: Int, dtype: DType) throws -> NDArray {
        let t = try target.contiguous()
        var shape = target.shape
        shape.append(c)
        let out = try NDArray(empty: shape, dtype: dtype)
        fill(out, with: 0)
        let pt = t.pointer(Int64.self)
        for i in 0..<t.count {
            let k = Int(pt[i])
            guard k >= 0 && k < c else { throw EmberError.invalidArgument("one_hot: class \(k) is out of range for \(c) classes") }
            switch dtype {
            case .float32: out.pointer(Float.self)[i * c + k] = 1
            case .float64: out.pointer(Double.self)[i * c + k] = 1
            case .int64: out.pointer(Int64.self)[i * c + k] = 1
            case .bool: out.pointer(Bool.self)[i * c + k] = true
            }
        }
        return out
    }
}
