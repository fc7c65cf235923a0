/// The iteration every elementwise kernel shares: operands that all have the
/// same (broadcast) shape but their own strides are walked row by row, after
/// dropping size-1 dimensions and merging dimensions that are contiguous for
/// every operand, so that the body sees the longest possible inner rows.
public struct StridedLayout {
    /// Collapsed sizes; the last one is the inner row length.
    public let shape: [Int]
    /// Per operand, collapsed strides.
    public let strides: [[Int]]

    public init(shape: [Int], strides operandStrides: [[Int]]) {
        var dims: [Int] = []
        var strides = [[Int]](repeating: [], count: operandStrides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = dims.last {
                // Merge d into the previous dim when every operand steps
                // through it exactly as if the two were one dimension.
                var mergeable = true
                for k in 0..<operandStrides.count where strides[k].last! != operandStrides[k][d] * shape[d] {
                    mergeable = false
                    break
                }
                if mergeable {
                    dims[dims.count - 1] = last * shape[d]
                    for k in 0..<operandStrides.count { strides[k][strides[k].count - 1] = operandStrides[k][d] }
                    continue
                }
            }
            dims.append(shape[d])
            for k in 0..<operandStrides.count { strides[k].append(operandStrides[k][d]) }
        }
        if dims.isEmpty || shape.contains(0) {
            // A single element (0-dim, or all sizes 1) is one row of length 1;
            // an empty shape is one row of length 0.
            dims = [shape.contains(0) ? 0 : 1]
            for k in 0..<operandStrides.count { strides[k] = [0] }
        }
        self.shape = dims
        self.strides = strides
    }

    @inlinable public var rowLength: Int { shape[shape.count - 1] }
    @inlinable public var rowCount: Int {
        var n = 1
        for d in 0..<(shape.count - 1) { n &*= shape[d] }
        return shape.last == 0 ? 0 : n
    }

    /// Calls `body(rowLength, offsets)` for every inner row, with each
    /// operand's element offset of the row's first element; the inner strides
    /// are `strides[k].last`.
    @inlinable
    public func forEachRow(_ body: (Int, UnsafePointer<Int>) -> Void) {
        let operands = strides.count
        let outer = shape.count - 1
        let length = rowLength
        guard length > 0 else { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: operands + outer) { buffer in
            let offsets = buffer.baseAddress!
            let counter = offsets + operands
            for k in 0..<operands { offsets[k] = 0 }
            for d in 0..<outer { counter[d] = 0 }
            let rows = rowCount
            for _ in 0..<rows {
                body(length, UnsafePointer(offsets))
                // Odometer over the outer dims.
                var d = outer - 1
                while d >= 0 {
                    counter[d] += 1
                    for k in 0..<operands { offsets[k] += strides[k][d] }
                    if counter[d] < shape[d] { break }
                    for k in 0..<operands { offsets[k] -= strides[k][d] * shape[d] }
                    counter[d] = 0
                    d -= 1
                }
            }
        }
    }
}

/// Calls `body(offsetInArray, offsetInOut, length, arrayStride)` for every 1-D
/// line of `array` along `dim`, with `out` laid out contiguously with the same
/// order of the other dimensions and the line along its own `dim` (stride
/// `outStride`, returned by the caller's shape choice). Used by softmax,
/// argmax and other per-line kernels.
@inlinable
public func forEachLine(shape: [Int], strides: [Int], outStrides: [Int], dim: Int,
                        _ body: (_ inOffset: Int, _ outOffset: Int) -> Void) {
    var outerShape = shape, inS = strides, outS = outStrides
    outerShape.remove(at: dim); inS.remove(at: dim); outS.remove(at: dim)
    let layout = StridedLayout(shape: outerShape + [1], strides: [inS + [0], outS + [0]])
    layout.forEachRow { length, offsets in
        // With the trailing size-1 dim the inner "row" is an ordinary outer dim.
        let si = layout.strides[0].last!, so = layout.strides[1].last!
        var oi = offsets[0], oo = offsets[1]
        for _ in 0..<length {
            body(oi, oo)
            oi += si
            oo += so
        }
    }
}
