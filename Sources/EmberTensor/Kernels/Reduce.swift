/// Reductions over dimensions: sum, mean, argmax. Sums accumulate in double
/// precision (int64 in int64) and round once, so float32 results are at
/// least as accurate as torch's pairwise summation.
extension Kernels {
    /// The shape of a reduction over `dims` (normalised, distinct).
    public static func reducedShape(_ shape: Dims, dims: Dims, keepdim: Bool) -> Dims {
        var out = Dims()
        for d in 0..<shape.count {
            if dims.contains(d) { if keepdim { out.append(1) } } else { out.append(shape[d]) }
        }
        return out
    }

    /// The sum over `dims` (all dims if empty); int64 stays int64 and bool
    /// counts as int64, as in torch.
    public static func sum(_ x: NDArray, dims: Dims, keepdim: Bool) throws -> NDArray {
        try reduceSum(x.dtype == .bool ? x.cast(to: .int64) : x, dims: dims, keepdim: keepdim, mean: false)
    }

    /// The mean over `dims` (all dims if empty); floating dtypes only.
    public static func mean(_ x: NDArray, dims: Dims, keepdim: Bool) throws -> NDArray {
        guard x.dtype.isFloatingPoint else {
            throw EmberError.dtype("mean: could not infer the output dtype: the input dtype must be floating, got \(x.dtype)")
        }
        return try reduceSum(x, dims: dims, keepdim: keepdim, mean: true)
    }

    static func reduceSum(_ x: NDArray, dims requested: Dims, keepdim: Bool, mean: Bool) throws -> NDArray {
        let dims = requested.isEmpty ? Dims(0..<x.ndim) : try Shapes.normalize(dims: requested, x.ndim)
        var keptShape = x.shape
        for d in dims { keptShape[d] = 1 }
        let outShape = reducedShape(x.shape, dims: dims, keepdim: keepdim)
        let out = try NDArray(empty: outShape, dtype: x.dtype)
        var reduced = 1
        for d in dims where d < x.ndim { reduced &*= x.shape[d] }
        if x.dtype.isFloatingPoint && x.isContiguous, let leading = contiguousBlock(dims, x.ndim) {
            // The common cases -- everything, a trailing block (per-row sums) or a
            // leading block (sums down columns) of a contiguous array -- as plain loops.
            let rowCount = leading ? reduced : x.count / max(reduced, 1)
            let rowLength = leading ? x.count / max(reduced, 1) : reduced
            if x.count == 0 || rowCount == 0 || rowLength == 0 {
                fill(out, with: reduced == 0 && mean ? .nan : 0)
                return out
            }
            let acc = try NDArray(empty: [leading ? rowLength : 1], dtype: .float64)
            switch x.dtype {
            case .float32: sumBlock(x.pointer(Float.self), out.pointer(Float.self), acc.pointer(Double.self), rowCount, rowLength, leading, mean)
            case .float64: sumBlock(x.pointer(Double.self), out.pointer(Double.self), acc.pointer(Double.self), rowCount, rowLength, leading, mean)
            case .int64, .bool: break
            }
            return out
        }
        // Accumulate into a contiguous buffer shaped like x with the reduced dims
        // set to 1, read back with stride 0 along them.
        let accStrides = Shapes.broadcastStrides(keptShape, Shapes.contiguousStrides(keptShape), to: x.shape)
        let layout = StridedLayout(shape: x.shape, accStrides, x.strides)
        let outCount = out.count
        switch x.dtype {
        case .float32, .float64:
            let acc = try NDArray(empty: [outCount], dtype: .float64)
            let a = acc.pointer(Double.self)
            a.update(repeating: 0, count: outCount)
            if x.dtype == .float32 { accumulate(x, layout, a, Float.self) } else { accumulate(x, layout, a, Double.self) }
            if mean {
                // torch gives NaN for the mean of nothing.
                let n = Double(reduced)
                for i in 0..<outCount { a[i] = a[i] / n }
            }
            if x.dtype == .float32 {
                let o = out.pointer(Float.self)
                for i in 0..<outCount { o[i] = Float(a[i]) }
            } else {
                out.pointer(Double.self).update(from: a, count: outCount)
            }
        case .bool:
            throw EmberError.internal("a bool sum reached the kernel uncast")
        case .int64:
            let o = out.pointer(Int64.self)
            o.update(repeating: 0, count: outCount)
            let px = x.pointer(Int64.self)
            let (sa, sx, _) = layout.inner
            layout.forEachRow { n, oa, ox, _ in
                let po = o + oa, xx = px + ox
                if sa == 0 {
                    var s: Int64 = 0
                    for i in 0..<n { s = s &+ xx[i * sx] }
                    po[0] = po[0] &+ s
                } else {
                    for i in 0..<n { po[i * sa] = po[i * sa] &+ xx[i * sx] }
                }
            }
        }
        return out
    }

    /// Whether normalised `dims` form a leading block 0..<k (true), a trailing
    /// block k..<ndim (false), or neither (nil).
    static func contiguousBlock(_ dims: Dims, _ ndim: Int) -> Bool? {
        if ndim == 0 { return nil }
        var mask: UInt64 = 0
        for d in dims { mask |= 1 << d }
        let k = dims.count
        if mask == (1 << k) - 1 { return true }
        if mask == ((1 << k) - 1) << (ndim - k) { return false }
        return nil
    }

    /// Sums of a contiguous (rows, length) matrix: down the columns when
    /// `leading` (out has `length` entries, `acc` is scratch for them), along
    /// the rows otherwise (out has `rows` entries). Accumulates in double.
    static func sumBlock<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>, _ acc: UnsafeMutablePointer<Double>,
                                          _ rows: Int, _ length: Int, _ leading: Bool, _ mean: Bool) {
        if leading {
            acc.update(repeating: 0, count: length)
            for r in 0..<rows {
                let row = x + r * length
                for c in 0..<length { acc[c] += Double(row[c]) }
            }
            for c in 0..<length { out[c] = T(mean ? acc[c] / Double(rows) : acc[c]) }
        } else {
            for r in 0..<rows {
                let row = x + r * length
                var sum = 0.0
                for c in 0..<length { sum += Double(row[c]) }
                out[r] = T(mean ? sum / Double(length) : sum)
            }
        }
    }

    @inline(__always)
    static func accumulate<T: FloatElement>(_ x: NDArray, _ layout: StridedLayout, _ acc: UnsafeMutablePointer<Double>, _: T.Type) {
        let px = x.pointer(T.self)
        let (sa, sx, _) = layout.inner
        layout.forEachRow { n, oa, ox, _ in
            let pa = acc + oa, xx = px + ox
            if sa == 0 {
                var s = 0.0
                if sx == 1 { for i in 0..<n { s += Double(xx[i]) } } else { for i in 0..<n { s += Double(xx[i * sx]) } }
                pa[0] += s
            } else if sa == 1 && sx == 1 {
                for i in 0..<n { pa[i] += Double(xx[i]) }
            } else {
                for i in 0..<n { pa[i * sa] += Double(xx[i * sx]) }
            }
        }
    }

    /// The int64 index of the first largest element along `dim` (NaN counts as
    /// largest, as in torch). A dimension of size 0 has no argmax.
    public static func argmax(_ x: NDArray, dim: Int, keepdim: Bool) throws -> NDArray {
        let d = try Shapes.normalize(dim, x.ndim)
        if x.ndim == 0 {
            guard x.count > 0 else { throw EmberError.invalidArgument("argmax of an empty tensor") }
            return try NDArray.scalar(0, dtype: .int64)
        }
        guard x.shape[d] > 0 else {
            throw EmberError.invalidArgument("argmax: expected reduction dim \(d) to have a non-zero size (shape \(describe(x.shape)))")
        }
        var keptShape = x.shape
        keptShape[d] = 1
        let out = try NDArray(empty: keptShape, dtype: .int64)
        let o = out.pointer(Int64.self)
        let length = x.shape[d], stride = x.strides[d]
        switch x.dtype {
        case .float32: argmaxLines(x, d, out, length, stride, o, Float.self)
        case .float64: argmaxLines(x, d, out, length, stride, o, Double.self)
        case .int64: argmaxLinesInt(x, d, out, length, stride, o)
        case .bool: throw EmberError.dtype("argmax is not implemented for bool tensors (as in torch)")
        }
        return keepdim ? out : try out.squeezed(d)
    }

    static func argmaxLines<T: FloatElement>(_ x: NDArray, _ d: Int, _ out: NDArray, _ length: Int, _ stride: Int,
                                              _ o: UnsafeMutablePointer<Int64>, _: T.Type) {
        let px = x.pointer(T.self)
        forEachLine(shape: x.shape, strides: x.strides, outStrides: out.strides, dim: d) { io, oo in
            let line = px + io
            var best = line[0], index = 0
            if !best.isNaN {
                for i in 1..<max(length, 1) {
                    let v = line[i * stride]
                    if v.isNaN { index = i; break }
                    if v > best { best = v; index = i }
                }
            }
            o[oo] = Int64(index)
        }
    }

    static func argmaxLinesInt(_ x: NDArray, _ d: Int, _ out: NDArray, _ length: Int, _ stride: Int,
                               _ o: UnsafeMutablePointer<Int64>) {
        let px = x.pointer(Int64.self)
        forEachLine(shape: x.shape, strides: x.strides, outStrides: out.strides, dim: d) { io, oo in
            let line = px + io
            var best = line[0], index = 0
            for i in 1..<max(length, 1) where line[i * stride] > best {
                best = line[i * stride]
                index = i
            }
            o[oo] = Int64(index)
        }
    }
}
