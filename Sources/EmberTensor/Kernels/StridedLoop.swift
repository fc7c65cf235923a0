/// The iteration every elementwise kernel shares: up to three operands that
/// all have the same (broadcast) shape but their own strides are walked row by
/// row, after dropping size-1 dimensions and merging dimensions that are
/// contiguous for every operand, so that the body sees the longest possible
/// inner rows. Everything is inline: no allocation.
public struct StridedLayout {
    /// Collapsed sizes; the last one is the inner row length.
    public private(set) var shape = Dims()
    /// Collapsed strides of operands 0, 1 and 2 (unused ones stay empty).
    public private(set) var strides0 = Dims(), strides1 = Dims(), strides2 = Dims()
    public let operands: Int

    public init(shape: Dims, _ s0: Dims, _ s1: Dims? = nil, _ s2: Dims? = nil) {
        operands = s2 != nil ? 3 : (s1 != nil ? 2 : 1)
        let t1 = s1 ?? s0, t2 = s2 ?? s0
        let empty = shape.contains(0)
        for d in 0..<shape.count where shape[d] != 1 && !empty {
            if !self.shape.isEmpty {
                // Merge d into the previous dim when every operand steps
                // through it exactly as if the two were one dimension.
                let last = self.shape.count - 1
                if strides0[last] == s0[d] * shape[d] && strides1[last] == t1[d] * shape[d] && strides2[last] == t2[d] * shape[d] {
                    self.shape[last] *= shape[d]
                    strides0[last] = s0[d]
                    strides1[last] = t1[d]
                    strides2[last] = t2[d]
                    continue
                }
            }
            self.shape.append(shape[d])
            strides0.append(s0[d])
            strides1.append(t1[d])
            strides2.append(t2[d])
        }
        if self.shape.isEmpty {
            // A single element (0-dim, or all sizes 1) is one row of length 1;
            // an empty shape is one row of length 0.
            self.shape = [empty ? 0 : 1]
            strides0 = [0]
            strides1 = [0]
            strides2 = [0]
        }
    }

    @inlinable public var rowLength: Int { shape[shape.count - 1] }
    /// Inner strides of the three operands.
    @inlinable public var inner: (Int, Int, Int) {
        let l = shape.count - 1
        return (strides0[l], strides1[l], strides2[l])
    }

    /// Calls `body(rowLength, offset0, offset1, offset2)` for every inner row,
    /// with each operand's element offset of the row's first element.
    @inlinable
    public func forEachRow(_ body: (Int, Int, Int, Int) -> Void) {
        forEachRow(in: 0..<rowCount, body)
    }

    /// The number of inner rows (the product of the outer sizes).
    @inlinable public var rowCount: Int {
        var rows = 1
        for d in 0..<(shape.count - 1) { rows &*= shape[d] }
        return rows
    }

    /// `forEachRow` for rows `range` only (in row-major order), so that
    /// threads can take disjoint ranges of rows.
    @inlinable
    public func forEachRow(in range: Range<Int>, _ body: (Int, Int, Int, Int) -> Void) {
        let outer = shape.count - 1
        let length = rowLength
        guard length > 0, !range.isEmpty else { return }
        // The odometer's sizes, strides and counters as plain memory: reading
        // a Dims entry copies its whole inline tuple, once per row otherwise.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(1, 5 * outer)) { buffer in
            let sizes = buffer.baseAddress!, st0 = sizes + outer, st1 = st0 + outer, st2 = st1 + outer, counter = st2 + outer
            for d in 0..<outer {
                sizes[d] = shape[d]
                st0[d] = strides0[d]
                st1[d] = strides1[d]
                st2[d] = strides2[d]
                counter[d] = 0
            }
            var o0 = 0, o1 = 0, o2 = 0
            // The odometer at the range's first row.
            var rest = range.lowerBound
            var d = outer - 1
            while d >= 0 && rest > 0 {
                let i = rest % sizes[d]
                rest /= sizes[d]
                counter[d] = i
                o0 += i * st0[d]
                o1 += i * st1[d]
                o2 += i * st2[d]
                d -= 1
            }
            for _ in range {
                body(length, o0, o1, o2)
                // Odometer over the outer dims.
                var d = outer - 1
                while d >= 0 {
                    counter[d] += 1
                    o0 += st0[d]
                    o1 += st1[d]
                    o2 += st2[d]
                    if counter[d] < sizes[d] { break }
                    o0 -= st0[d] * sizes[d]
                    o1 -= st1[d] * sizes[d]
                    o2 -= st2[d] * sizes[d]
                    counter[d] = 0
                    d -= 1
                }
            }
        }
    }
}

/// Calls `body(inOffset, outOffset)` for the start of every 1-D line along
/// `dim`, where `out` has the same shape as the input but its own strides.
/// Used by softmax, argmax and other per-line kernels.
@inlinable
public func forEachLine(shape: Dims, strides: Dims, outStrides: Dims, dim: Int,
                        _ body: (_ inOffset: Int, _ outOffset: Int) -> Void) {
    var outerShape = shape, inS = strides, outS = outStrides
    outerShape.remove(at: dim)
    inS.remove(at: dim)
    outS.remove(at: dim)
    let layout = StridedLayout(shape: outerShape, inS, outS)
    let (si, so, _) = layout.inner
    layout.forEachRow { length, a, b, _ in
        var oi = a, oo = b
        for _ in 0..<length {
            body(oi, oo)
            oi += si
            oo += so
        }
    }
}
