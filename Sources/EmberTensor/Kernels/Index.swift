/// Indexing kernels: reading through an index (gather, index_select), writing
/// through one (scatter, scatter_add, index_add) and boolean masks
/// (masked_select). Every index value is checked before anything is
/// allocated or written, so bad input never reads or writes out of bounds and
/// never leaves a half-updated result. They work for every dtype.
extension Kernels {
    // MARK: - Validation

    /// A DTYPE error unless `index` is int64 (torch also takes int32, which Ember does not have).
    public static func checkIndexDType(_ index: NDArray, _ op: String, _ argument: String = "index") throws {
        guard index.dtype == .int64 else {
            throw EmberError.dtype("\(op): expected dtype int64 for \(argument), got \(index.dtype)")
        }
    }

    /// Checks that every value of `index` lies in 0..<size (torch's indexing
    /// ops take no negative indices). The error names the first bad value, its
    /// position in `index`, the dimension and its size.
    public static func checkIndexValues(_ index: NDArray, size: Int, dim: Int, _ op: String) throws {
        guard index.count > 0 else { return }
        let p = index.pointer(Int64.self)
        let low: Int64 = 0, high = Int64(size)
        var bad: (value: Int64, flat: Int)? = nil
        var seen = 0
        let layout = StridedLayout(shape: index.shape, index.strides)
        let s = layout.inner.0
        layout.forEachRow { n, o, _, _ in
            guard bad == nil else { return }
            for i in 0..<n {
                let v = p[o + i * s]
                if v < low || v >= high {
                    bad = (v, seen + i)
                    return
                }
            }
            seen += n
        }
        guard let (value, flat) = bad else { return }
        var position = Dims(repeating: 0, count: index.ndim)
        var rest = flat
        for d in stride(from: index.ndim - 1, through: 0, by: -1) {
            position[d] = rest % index.shape[d]
            rest /= index.shape[d]
        }
        throw EmberError.invalidArgument(
            "\(op): index \(value) is out of bounds for dimension \(dim) with size \(size) (at position \(describe(position)) of the index)")
    }

    // MARK: - Reading through an index

    /// torch.gather(x, dim, index): out[i][j] = x[index[i][j]][j] for dim 0,
    /// and likewise for other dims; the result has index's shape. Index sizes
    /// may be smaller than x's outside `dim`.
    public static func gather(_ x: NDArray, dim: Int, index: NDArray) throws -> NDArray {
        try checkIndexDType(index, "gather")
        let d = try Shapes.normalize(dim, x.ndim)
        // torch treats a 0-dim tensor here as one entry in one dimension.
        let xv = x.atLeast1D, iv = index.atLeast1D
        let out = try NDArray(empty: index.shape, dtype: x.dtype)
        guard out.count > 0 else { return out }
        guard iv.ndim == xv.ndim else {
            throw EmberError.shape("gather: index tensor must have the same number of dimensions as input tensor, got index of shape \(describe(index.shape)) and input of shape \(describe(x.shape))")
        }
        for k in 0..<xv.ndim where k != d && iv.shape[k] > xv.shape[k] {
            throw EmberError.shape("gather: size does not match at dimension \(k): expected index \(describe(index.shape)) to be no larger than input \(describe(x.shape)) apart from dimension \(d)")
        }
        try checkIndexValues(iv, size: xv.shape[d], dim: d, "gather")
        gatherCore(xv, dim: d, index: iv, into: out.atLeast1D)
        return out
    }

    /// torch.index_select(x, dim, index): the entries of x at `index` (0-dim
    /// or 1-dim) along `dim`, in a new tensor.
    public static func indexSelect(_ x: NDArray, dim: Int, index: NDArray) throws -> NDArray {
        try checkIndexDType(index, "index_select")
        guard index.ndim <= 1 else {
            throw EmberError.shape("index_select: index is supposed to be a vector (0-dim or 1-dim), got shape \(describe(index.shape))")
        }
        let d = try Shapes.normalize(dim, x.ndim)
        if x.ndim == 0 {
            guard index.count == 1 else {
                throw EmberError.shape("index_select: an index into a 0-dim tensor can have only 1 value, got \(index.count)")
            }
            try checkIndexValues(index, size: 1, dim: 0, "index_select")
            return try x.contiguous(force: true)
        }
        try checkIndexValues(index, size: x.shape[d], dim: d, "index_select")
        var shape = x.shape
        shape[d] = index.count
        let out = try NDArray(empty: shape, dtype: x.dtype)
        guard out.count > 0 else { return out }
        // The index seen over the whole result: stride 0 everywhere but along `dim`.
        var strides = Dims(repeating: 0, count: shape.count)
        strides[d] = index.ndim == 1 ? index.strides[0] : 0
        let spread = NDArray(storage: index.storage, dtype: .int64, shape: shape, strides: strides, offset: index.offset)
        gatherCore(x, dim: d, index: spread, into: out)
        return out
    }

    /// out[p] = x[p with p[dim] = index[p]] for every p in out's shape, with x
    /// and index read through their own strides (0 for broadcast dims).
    /// Indices must have been checked.
    static func gatherCore(_ x: NDArray, dim: Int, index: NDArray, into out: NDArray) {
        var xs = x.strides
        let step = xs[dim]
        xs[dim] = 0
        switch out.dtype {
        case .float32: gatherLoop(x, xs, step, index, out, Float.self)
        case .float64: gatherLoop(x, xs, step, index, out, Double.self)
        case .int64: gatherLoop(x, xs, step, index, out, Int64.self)
        case .bool: gatherLoop(x, xs, step, index, out, Bool.self)
        }
    }

    @inline(__always)
    static func gatherLoop<T: Element>(_ x: NDArray, _ xs: Dims, _ step: Int, _ index: NDArray, _ out: NDArray, _: T.Type) {
        let po = out.pointer(T.self), px = x.pointer(T.self), pi = index.pointer(Int64.self)
        forEachSlab(out.shape, out.strides, xs, index.strides, grain: 32_768) { layout, b0, b1, b2 in
            let (so, sx, si) = layout.inner
            layout.forEachRow { n, oo, ox, oi in
                let o = po + b0 + oo, xb = px + b1 + ox, ib = pi + b2 + oi
                if si == 0 {
                    // The index is constant along the row (index_select, a broadcast index): a plain copy.
                    let src = xb + Int(ib[0]) * step
                    if so == 1 && sx == 1 {
                        o.update(from: src, count: n)
                    } else {
                        for i in 0..<n { o[i * so] = src[i * sx] }
                    }
                } else {
                    for i in 0..<n { o[i * so] = xb[i * sx + Int(ib[i * si]) * step] }
                }
            }
        }
    }

    /// Runs `body(layout, base0, base1, base2)` over slabs of dimension 0 of
    /// `shape` (each operand's base offset given), in parallel when there are
    /// at least `grain` elements per thread; otherwise once over everything.
    @inline(__always)
    static func forEachSlab(_ shape: Dims, _ s0: Dims, _ s1: Dims, _ s2: Dims, grain: Int,
                            _ body: (StridedLayout, Int, Int, Int) -> Void) {
        let total = shape.product
        guard shape.count > 0, shape[0] > 1, total >= 2 * grain, Parallel.threads > 1 else {
            body(StridedLayout(shape: shape, s0, s1, s2), 0, 0, 0)
            return
        }
        let perSlab = Swift.max(total / shape[0], 1)
        Parallel.forEach(shape[0], grain: Swift.max(1, grain / perSlab)) { r in
            var sub = shape
            sub[0] = r.count
            body(StridedLayout(shape: sub, s0, s1, s2), r.lowerBound * s0[0], r.lowerBound * s1[0], r.lowerBound * s2[0])
        }
    }

    // MARK: - Writing through an index

    /// torch.scatter(x, dim, index, src) (`accumulate` false) or
    /// torch.scatter_add (true): a copy of x in which, for every position p
    /// of index, out[p with p[dim] = index[p]] is set to (or increased by)
    /// src[p]. src must be at least as large as index in every dimension, x
    /// outside `dim`. Where an index repeats, scatter keeps the last write.
    public static func scatter(_ x: NDArray, dim: Int, index: NDArray, src: NDArray, accumulate: Bool) throws -> NDArray {
        let op = accumulate ? "scatter_add" : "scatter"
        try checkIndexDType(index, op)
        guard src.dtype == x.dtype else {
            throw EmberError.dtype("\(op): expected self.dtype to be equal to src.dtype, got \(x.dtype) and \(src.dtype)")
        }
        let d = try Shapes.normalize(dim, x.ndim)
        let out = try x.contiguous(force: true)
        guard index.count > 0 else { return out }
        let xv = x.atLeast1D, iv = index.atLeast1D, sv = src.atLeast1D
        guard iv.ndim == xv.ndim && sv.ndim == xv.ndim else {
            throw EmberError.shape("\(op): index and src must have the same number of dimensions as self, got self \(describe(x.shape)), index \(describe(index.shape)) and src \(describe(src.shape))")
        }
        for k in 0..<xv.ndim where iv.shape[k] > sv.shape[k] || (k != d && iv.shape[k] > xv.shape[k]) {
            throw EmberError.shape("\(op): expected index \(describe(index.shape)) to be no larger than self \(describe(x.shape)) apart from dimension \(d) and no larger than src \(describe(src.shape)) (dimension \(k))")
        }
        try checkIndexValues(iv, size: xv.shape[d], dim: d, op)
        scatterCore(into: out.atLeast1D, dim: d, index: iv, src: sv, accumulate: accumulate, alpha: 1)
        return out
    }

    /// torch.scatter(x, dim, index, value): a copy of x with `value` (converted
    /// to x's dtype) written at out[p with p[dim] = index[p]] for every p of index.
    public static func scatter(_ x: NDArray, dim: Int, index: NDArray, value: Double) throws -> NDArray {
        let fill = try NDArray.scalar(value, dtype: x.dtype)
        let iv = index.atLeast1D
        // The value seen as a tensor of index's shape (stride 0), which is never larger than itself.
        let src = NDArray(storage: fill.storage, dtype: x.dtype, shape: iv.shape, strides: Dims(repeating: 0, count: iv.ndim))
        return try scatter(x, dim: dim, index: index, src: src, accumulate: false)
    }

    /// torch.index_add(x, dim, index, source, alpha): a copy of x with
    /// alpha * source[..., j, ...] added into out[..., index[j], ...].
    /// source has x's shape except along `dim`, where it has one entry per index.
    public static func indexAdd(_ x: NDArray, dim: Int, index: NDArray, source: NDArray, alpha: Double) throws -> NDArray {
        try checkIndexDType(index, "index_add")
        guard index.ndim <= 1 else {
            throw EmberError.shape("index_add: index is supposed to be a vector (0-dim or 1-dim), got shape \(describe(index.shape))")
        }
        guard source.dtype == x.dtype else {
            throw EmberError.dtype("index_add: self (\(x.dtype)) and source (\(source.dtype)) must have the same dtype")
        }
        let d = try Shapes.normalize(dim, x.ndim)
        var matches = source.ndim == x.ndim
        if matches && x.ndim > 0 {
            for k in 0..<x.ndim where k != d && source.shape[k] != x.shape[k] { matches = false }
        }
        guard matches else {
            throw EmberError.shape("index_add: source tensor shape must match self tensor shape, excluding the specified dimension \(d); got self \(describe(x.shape)) and source \(describe(source.shape))")
        }
        let xv = x.atLeast1D, sv = source.atLeast1D
        guard sv.shape[d] == index.count else {
            throw EmberError.shape("index_add: number of indices (\(index.count)) should be equal to source.size(dim) (\(sv.shape[d])) for dim \(d)")
        }
        if x.dtype == .int64 {
            guard alpha.isFinite && Swift.abs(alpha) < 9.2e18 else {
                throw EmberError.invalidArgument("index_add: alpha \(alpha) cannot be converted to int64")
            }
        }
        try checkIndexValues(index, size: xv.shape[d], dim: d, "index_add")
        let out = try x.contiguous(force: true)
        guard source.count > 0 else { return out }
        // The index seen over source's shape: stride 0 everywhere but along `dim`.
        var strides = Dims(repeating: 0, count: sv.ndim)
        strides[d] = index.ndim == 1 ? index.strides[0] : 0
        let spread = NDArray(storage: index.storage, dtype: .int64, shape: sv.shape, strides: strides, offset: index.offset)
        scatterCore(into: out.atLeast1D, dim: d, index: spread, src: sv, accumulate: true, alpha: alpha)
        return out
    }

    /// out[p with p[dim] = index[p]] = src[p] (or += alpha * src[p]) for every
    /// p of index's shape. Sequential, so repeated indices accumulate exactly.
    static func scatterCore(into out: NDArray, dim: Int, index: NDArray, src: NDArray, accumulate: Bool, alpha: Double) {
        switch out.dtype {
        case .float32:
            let a = Float(alpha)
            if !accumulate { scatterLoop(out, dim, index, src, Float.self) { _, s in s } }
            else if a == 1 { scatterLoop(out, dim, index, src, Float.self) { o, s in o + s } }
            else { scatterLoop(out, dim, index, src, Float.self) { o, s in o + a * s } }
        case .float64:
            if !accumulate { scatterLoop(out, dim, index, src, Double.self) { _, s in s } }
            else if alpha == 1 { scatterLoop(out, dim, index, src, Double.self) { o, s in o + s } }
            else { scatterLoop(out, dim, index, src, Double.self) { o, s in o + alpha * s } }
        case .int64:
            // torch truncates a fractional alpha for integer tensors.
            let a = Int64(castFrom: alpha)
            if !accumulate { scatterLoop(out, dim, index, src, Int64.self) { _, s in s } }
            else { scatterLoop(out, dim, index, src, Int64.self) { o, s in o &+ a &* s } }
        case .bool:
            // Adding bools is a logical or; alpha 0 adds nothing.
            if !accumulate { scatterLoop(out, dim, index, src, Bool.self) { _, s in s } }
            else if alpha != 0 { scatterLoop(out, dim, index, src, Bool.self) { o, s in o || s } }
        }
    }

    @inline(__always)
    static func scatterLoop<T: Element>(_ out: NDArray, _ dim: Int, _ index: NDArray, _ src: NDArray, _: T.Type,
                                        _ combine: (T, T) -> T) {
        var os = out.strides
        let step = os[dim]
        os[dim] = 0
        let po = out.pointer(T.self), ps = src.pointer(T.self), pi = index.pointer(Int64.self)
        let layout = StridedLayout(shape: index.shape, os, index.strides, src.strides)
        let (so, si, ss) = layout.inner
        layout.forEachRow { n, oo, oi, osrc in
            for i in 0..<n {
                let target = po + oo + i * so + Int(pi[oi + i * si]) * step
                target.pointee = combine(target.pointee, ps[osrc + i * ss])
            }
        }
    }

    // MARK: - Masks

    /// torch.masked_select(x, mask): the entries of x where the bool mask is
    /// true, both broadcast to a common shape, in row-major order (1-D).
    public static func maskedSelect(_ x: NDArray, mask: NDArray) throws -> NDArray {
        guard mask.dtype == .bool else { throw EmberError.dtype("masked_select: expected a bool mask, got \(mask.dtype)") }
        let shape = try Shapes.broadcast(x.shape, mask.shape)
        let ms = Shapes.broadcastStrides(mask.shape, mask.strides, to: shape)
        let xs = Shapes.broadcastStrides(x.shape, x.strides, to: shape)
        let out = try NDArray(empty: [countTrue(mask, ms, shape)], dtype: x.dtype)
        guard out.count > 0 else { return out }
        switch x.dtype {
        case .float32: maskedSelectLoop(x, xs, mask, ms, shape, out, Float.self)
        case .float64: maskedSelectLoop(x, xs, mask, ms, shape, out, Double.self)
        case .int64: maskedSelectLoop(x, xs, mask, ms, shape, out, Int64.self)
        case .bool: maskedSelectLoop(x, xs, mask, ms, shape, out, Bool.self)
        }
        return out
    }

    /// The number of true entries of `mask` read with `strides` over `shape`.
    static func countTrue(_ mask: NDArray, _ strides: Dims, _ shape: Dims) -> Int {
        let pm = mask.pointer(Bool.self)
        var n = 0
        let layout = StridedLayout(shape: shape, strides)
        let s = layout.inner.0
        layout.forEachRow { len, o, _, _ in
            for i in 0..<len where pm[o + i * s] { n += 1 }
        }
        return n
    }

    @inline(__always)
    static func maskedSelectLoop<T: Element>(_ x: NDArray, _ xs: Dims, _ mask: NDArray, _ ms: Dims, _ shape: Dims,
                                             _ out: NDArray, _: T.Type) {
        let px = x.pointer(T.self), pm = mask.pointer(Bool.self), po = out.pointer(T.self)
        var k = 0
        let layout = StridedLayout(shape: shape, ms, xs)
        let (sm, sx, _) = layout.inner
        layout.forEachRow { n, om, ox, _ in
            for i in 0..<n where pm[om + i * sm] {
                po[k] = px[ox + i * sx]
                k += 1
            }
        }
    }

    /// Zeros of `shape` whose positions where `mask` (broadcast to `shape`) is
    /// true receive the entries of `values` in row-major order: the inverse of
    /// masked_select, and its gradient (torch's masked_scatter into zeros).
    public static func maskedScatterZeros(shape: Dims, mask: NDArray, values: NDArray) throws -> NDArray {
        guard mask.dtype == .bool else { throw EmberError.dtype("masked_scatter: expected a bool mask, got \(mask.dtype)") }
        guard (try? Shapes.broadcast(shape, mask.shape)) == shape else {
            throw EmberError.shape("masked_scatter: mask of shape \(describe(mask.shape)) does not broadcast to \(describe(shape))")
        }
        let ms = Shapes.broadcastStrides(mask.shape, mask.strides, to: shape)
        let needed = countTrue(mask, ms, shape)
        guard values.count >= needed else {
            throw EmberError.shape("masked_scatter: expected at least \(needed) values for the true entries of the mask, got \(values.count)")
        }
        let out = try NDArray.zeros(shape, dtype: values.dtype)
        guard needed > 0 else { return out }
        let flat = try values.contiguous()
        switch values.dtype {
        case .float32: maskedScatterLoop(flat, mask, ms, out, Float.self)
        case .float64: maskedScatterLoop(flat, mask, ms, out, Double.self)
        case .int64: maskedScatterLoop(flat, mask, ms, out, Int64.self)
        case .bool: maskedScatterLoop(flat, mask, ms, out, Bool.self)
        }
        return out
    }

    @inline(__always)
    static func maskedScatterLoop<T: Element>(_ values: NDArray, _ mask: NDArray, _ ms: Dims, _ out: NDArray, _: T.Type) {
        let pv = values.pointer(T.self), pm = mask.pointer(Bool.self), po = out.pointer(T.self)
        var k = 0
        let layout = StridedLayout(shape: out.shape, ms, out.strides)
        let (sm, so, _) = layout.inner
        layout.forEachRow { n, om, oo, _ in
            for i in 0..<n where pm[om + i * sm] {
                po[oo + i * so] = pv[k]
                k += 1
            }
        }
    }
}

extension NDArray {
    /// A 0-dim array seen as one entry in one dimension (how torch's indexing
    /// ops treat scalars); other arrays unchanged.
    var atLeast1D: NDArray {
        ndim > 0 ? self : NDArray(storage: storage, dtype: dtype, shape: [1], strides: [1], offset: offset)
    }
}
