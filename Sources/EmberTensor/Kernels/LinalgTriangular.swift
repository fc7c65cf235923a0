import Glibc

/// Structured matrices: the triangles of tril/triu and the diagonals einsum
/// takes for a repeated subscript. All work on the last dims (or any two
/// dims) of batched arrays of any dtype, moving bytes rather than values.
extension Kernels {
    /// torch.tril (`upper` false) or torch.triu (`upper` true) of the last two
    /// dims: elements with col - row <= diagonal (tril) or >= diagonal (triu)
    /// are kept, the rest are zero. Needs at least 2 dims.
    public static func triangle(_ x: NDArray, diagonal: Int, upper: Bool) throws -> NDArray {
        guard x.ndim >= 2 else {
            throw EmberError.shape("\(upper ? "triu" : "tril"): input tensor must have at least 2 dimensions, got shape \(describe(x.shape))")
        }
        let source = try x.contiguous()
        defer { withExtendedLifetime(source) {} }
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        let rows = x.shape[x.ndim - 2], cols = x.shape[x.ndim - 1]
        if out.count == 0 { return out }
        // Offsets beyond the matrix behave like the matrix's edge (and cannot overflow).
        let k = Swift.min(Swift.max(diagonal, -rows - 1), cols + 1)
        let size = x.dtype.itemSize, rowBytes = cols * size
        let src = source.rawPointer, dst = out.rawPointer
        let lines = x.count / cols
        Parallel.forEach(lines, grain: Swift.max(1, reductionGrain / cols)) { range in
            for line in range {
                let r = line % rows
                // Kept columns: [0, r + k] for tril, [r + k, cols) for triu.
                let lo = upper ? Swift.min(Swift.max(r + k, 0), cols) : 0
                let hi = upper ? cols : Swift.min(Swift.max(r + k + 1, 0), cols)
                let s = src + line * rowBytes, o = dst + line * rowBytes
                if lo > 0 { memset(o, 0, lo * size) }
                if hi > lo { memcpy(o + lo * size, s + lo * size, (hi - lo) * size) }
                if hi < cols { memset(o + hi * size, 0, (cols - hi) * size) }
            }
        }
        return out
    }

    /// The diagonal of dims `d1` < `d2` (equal sizes) as a view: the two dims
    /// become one, at position `d1`, stepping along both at once.
    public static func diagonalView(_ x: NDArray, _ d1: Int, _ d2: Int) throws -> NDArray {
        guard d1 < d2, d2 < x.ndim, x.shape[d1] == x.shape[d2] else {
            throw EmberError.internal("diagonalView: dims \(d1), \(d2) of shape \(describe(x.shape))")
        }
        var shape = x.shape, strides = x.strides
        strides[d1] = x.strides[d1] + x.strides[d2]
        shape.remove(at: d2)
        strides.remove(at: d2)
        return NDArray(storage: x.storage, dtype: x.dtype, shape: shape, strides: strides, offset: x.offset)
    }

    /// Zeros of `shape` whose diagonal over dims `d1` < `d2` holds `values`
    /// (shaped as `diagonalView` of that shape): the inverse of taking a diagonal.
    public static func embedDiagonal(_ values: NDArray, shape: Dims, _ d1: Int, _ d2: Int) throws -> NDArray {
        let out = try NDArray.zeros(shape, dtype: values.dtype)
        let diagonal = try diagonalView(out, d1, d2)
        guard diagonal.shape == values.shape else {
            throw EmberError.internal("embedDiagonal: values \(describe(values.shape)) do not fit the diagonal \(describe(diagonal.shape))")
        }
        copy(from: values, into: diagonal)
        return out
    }
}
