import Glibc

/// Shape ops that copy: joining (cat), reordering (flip, roll), tiling
/// (repeat) and padding. Each is a handful of strided block copies between
/// views, so they work for every dtype and reuse Kernels.copy's contiguous
/// memcpy path; big copies are split across threads.
extension Kernels {
    /// Kernels.copy split across threads along the first dimension with more
    /// than one entry, when there are at least `grain` elements per thread.
    public static func copyParallel(from src: NDArray, into dst: NDArray, grain: Int = 1 << 17) {
        let n = dst.count
        guard n >= 2 * grain, Parallel.threads > 1, let d = dst.shape.firstIndex(where: { $0 > 1 }) else {
            copy(from: src, into: dst)
            return
        }
        let size = dst.shape[d]
        Parallel.forEach(size, grain: Swift.max(1, grain / Swift.max(n / size, 1))) { r in
            var shape = dst.shape
            shape[d] = r.count
            let s = NDArray(storage: src.storage, dtype: src.dtype, shape: shape, strides: src.strides,
                            offset: src.offset + r.lowerBound * src.strides[d])
            let t = NDArray(storage: dst.storage, dtype: dst.dtype, shape: shape, strides: dst.strides,
                            offset: dst.offset + r.lowerBound * dst.strides[d])
            copy(from: s, into: t)
        }
    }

    // MARK: - cat

    /// How torch.cat lays out its inputs: the normalised dim, the result's
    /// shape and dtype (torch's promotion over all inputs), and which inputs
    /// are skipped (1-D tensors of size 0, a legacy rule torch keeps).
    public struct CatPlan {
        public let dim: Int
        public let shape: Dims
        public let dtype: DType
        public let skipped: [Bool]
    }

    /// Validates the inputs of torch.cat(tensors, dim).
    public static func catPlan(_ shapes: [Dims], _ dtypes: [DType], dim: Int) throws -> CatPlan {
        guard !shapes.isEmpty else { throw EmberError.invalidArgument("cat: expected a non-empty list of tensors") }
        for (i, s) in shapes.enumerated() where s.isEmpty {
            throw EmberError.shape("cat: zero-dimensional tensor (at position \(i)) cannot be concatenated")
        }
        let skipped = shapes.map { $0 == [0] }
        var dtype = dtypes[0]
        for t in dtypes.dropFirst() { dtype = promote(dtype, t) }
        guard let first = skipped.firstIndex(of: false) else {
            // torch does not check dim when every input is skipped.
            return CatPlan(dim: 0, shape: [0], dtype: dtype, skipped: skipped)
        }
        let reference = shapes[first]
        let d = try Shapes.normalize(dim, reference.count)
        var shape = reference
        shape[d] = 0
        for (i, s) in shapes.enumerated() where !skipped[i] {
            guard s.count == reference.count else {
                throw EmberError.shape("cat: tensors must have the same number of dimensions: got \(reference.count) at position \(first) and \(s.count) at position \(i)")
            }
            for k in 0..<s.count where k != d && s[k] != reference[k] {
                throw EmberError.shape("cat: tensors must have the same shape except in dimension \(d), got \(describe(reference)) at position \(first) and \(describe(s)) at position \(i)")
            }
            let (sum, overflow) = shape[d].addingReportingOverflow(s[d])
            guard !overflow else { throw EmberError.outOfMemory("cat: the result along dimension \(d) is too large") }
            shape[d] = sum
        }
        return CatPlan(dim: d, shape: shape, dtype: dtype, skipped: skipped)
    }

    /// torch.cat(arrays, dim): the arrays joined along `dim`, converted to
    /// their promoted dtype.
    public static func cat(_ arrays: [NDArray], dim: Int) throws -> NDArray {
        let plan = try catPlan(arrays.map(\.shape), arrays.map(\.dtype), dim: dim)
        let out = try NDArray(empty: plan.shape, dtype: plan.dtype)
        guard out.count > 0 else { return out }
        let d = plan.dim
        var start = 0
        for (i, a) in arrays.enumerated() where !plan.skipped[i] {
            let length = a.shape[d]
            if length > 0 {
                var shape = out.shape
                shape[d] = length
                let region = NDArray(storage: out.storage, dtype: out.dtype, shape: shape, strides: out.strides,
                                     offset: start * out.strides[d])
                copyParallel(from: a, into: region)
            }
            start += length
        }
        return out
    }

    // MARK: - flip, roll

    /// torch.flip(x, dims): a copy with the order of entries reversed along each of `dims`.
    public static func flip(_ x: NDArray, dims: Dims) throws -> NDArray {
        let chosen = try Shapes.normalize(dims: dims, x.ndim)
        // Read through a view with negated strides; it never leaves this function.
        var strides = x.strides
        var offset = x.offset
        // Without elements there is nothing to reverse, and a dim of such a
        // tensor may be 2^62 long: its offset arithmetic would overflow.
        if x.ndim > 0 && x.count > 0 {
            for d in chosen where x.shape[d] > 1 {
                offset += (x.shape[d] - 1) * strides[d]
                strides[d] = -strides[d]
            }
        }
        let reversed = NDArray(storage: x.storage, dtype: x.dtype, shape: x.shape, strides: strides, offset: offset)
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        copyParallel(from: reversed, into: out)
        return out
    }

    /// The net shift of torch.roll along each dimension, in 0..<size
    /// (shifts on a repeated dim add up).
    public static func rollShifts(_ shape: Dims, shifts: [Int], dims: [Int]) throws -> Dims {
        guard shifts.count == dims.count else {
            throw EmberError.invalidArgument("roll: shifts and dimensions must align, got \(shifts.count) shifts and \(dims.count) dims")
        }
        guard !shape.isEmpty || dims.isEmpty else {
            throw EmberError.invalidArgument("roll: dimension \(dims[0]) specified but the tensor has no dimensions")
        }
        var net = Dims(repeating: 0, count: shape.count)
        for (s, dim) in zip(shifts, dims) {
            let d = try Shapes.normalize(dim, shape.count)
            let n = shape[d]
            guard n > 0 else { continue }
            let r = s % n
            net[d] = (net[d] + (r < 0 ? r + n : r)) % n
        }
        return net
    }

    /// torch.roll(x, shifts, dims): a copy with the entries shifted by
    /// `shifts[i]` along `dims[i]`, wrapping around.
    public static func roll(_ x: NDArray, shifts: [Int], dims: [Int]) throws -> NDArray {
        let net = try rollShifts(x.shape, shifts: shifts, dims: dims)
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        guard out.count > 0 else { return out }
        let active = (0..<x.ndim).filter { net[$0] != 0 }
        // Every combination of "the tail moves to the front" and "the head moves
        // to the back" across the rolled dims is one block copy.
        for pick in 0..<(1 << active.count) {
            var shape = x.shape
            var srcOffset = x.offset, dstOffset = 0
            for (j, d) in active.enumerated() {
                let n = x.shape[d], s = net[d]
                if pick & (1 << j) == 0 {
                    shape[d] = s
                    srcOffset += (n - s) * x.strides[d]
                } else {
                    shape[d] = n - s
                    dstOffset += s * out.strides[d]
                }
            }
            copyParallel(from: NDArray(storage: x.storage, dtype: x.dtype, shape: shape, strides: x.strides, offset: srcOffset),
                         into: NDArray(storage: out.storage, dtype: out.dtype, shape: shape, strides: out.strides, offset: dstOffset))
        }
        return out
    }

    // MARK: - repeat

    /// The shape of torch.Tensor.repeat(reps): x's shape, with leading 1s up
    /// to reps' length, times reps.
    public static func repeatedShape(_ shape: Dims, reps: Dims) throws -> Dims {
        guard reps.count >= shape.count else {
            throw EmberError.invalidArgument("repeat: the number of repeat dims (\(reps.count)) cannot be smaller than the number of dimensions of the tensor (\(shape.count), shape \(describe(shape)))")
        }
        for r in reps where r < 0 {
            throw EmberError.invalidArgument("repeat: repeats must be non-negative, got \(describe(reps))")
        }
        var out = reps
        let lead = reps.count - shape.count
        for d in 0..<shape.count {
            let (p, o) = shape[d].multipliedReportingOverflow(by: reps[lead + d])
            guard !o else { throw EmberError.outOfMemory("repeat: \(describe(shape)) repeated \(describe(reps)) has more elements than can be addressed") }
            out[lead + d] = p
        }
        _ = try Shapes.count(out)
        return out
    }

    /// torch.Tensor.repeat(reps): x tiled reps[d] times along each dimension.
    public static func repeated(_ x: NDArray, reps: Dims) throws -> NDArray {
        let shape = try repeatedShape(x.shape, reps: reps)
        let out = try NDArray(empty: shape, dtype: x.dtype)
        guard out.count > 0 else { return out }
        let lead = reps.count - x.ndim
        let padded = Dims(repeating: 1, count: lead) + x.shape
        let paddedStrides = Dims(repeating: 0, count: lead) + x.strides
        // First x itself into the leading corner, then, from the innermost
        // dimension out, each filled block copied along its dimension with
        // doubling memcpys (the inner dimensions are complete by then, so a
        // block is contiguous).
        copyParallel(from: NDArray(storage: x.storage, dtype: x.dtype, shape: padded, strides: paddedStrides, offset: x.offset),
                     into: NDArray(storage: out.storage, dtype: out.dtype, shape: padded, strides: out.strides))
        let itemSize = x.dtype.itemSize
        let base = out.rawPointer
        for d in stride(from: reps.count - 1, through: 0, by: -1) where reps[d] > 1 {
            let count = reps[d]
            let blockBytes = padded[d] * out.strides[d] * itemSize
            let layout = StridedLayout(shape: Dims(padded.prefix(d)), Dims(out.strides.prefix(d)))
            let s = layout.inner.0
            layout.forEachRow { n, o, _, _ in
                for i in 0..<n {
                    let start = base + (o + i * s) * itemSize
                    var filled = 1
                    while filled < count {
                        let k = Swift.min(filled, count - filled)
                        memcpy(start + filled * blockBytes, start, k * blockBytes)
                        filled += k
                    }
                }
            }
        }
        return out
    }

    // MARK: - pad

    /// torch.nn.functional.pad's modes.
    public enum PadMode: String, Sendable, CaseIterable {
        case constant, reflect, replicate, circular
    }

    /// The shape after padding: pads[0], pads[1] widen the last dimension
    /// (before, after), pads[2], pads[3] the one before it, and so on;
    /// negative pads crop.
    public static func paddedShape(_ shape: Dims, pads: [Int]) throws -> Dims {
        guard pads.count % 2 == 0 else {
            throw EmberError.invalidArgument("pad: padding length must be divisible by 2, got \(pads.count)")
        }
        guard pads.count / 2 <= shape.count else {
            throw EmberError.invalidArgument("pad: padding length should be less than or equal to two times the input dimension but got padding length \(pads.count) and input of dimension \(shape.count)")
        }
        var out = shape
        for k in 0..<(pads.count / 2) {
            let d = shape.count - 1 - k
            let before = pads[2 * k], after = pads[2 * k + 1]
            let (a, o1) = shape[d].addingReportingOverflow(before)
            let (b, o2) = a.addingReportingOverflow(after)
            guard !o1 && !o2 && before != .min && after != .min else {
                throw EmberError.invalidArgument("pad: padding (\(before), \(after)) is out of range")
            }
            guard b >= 0 else {
                throw EmberError.shape("pad: the input size \(shape[d]), plus negative padding \(before) and \(after) resulted in a negative output size \(b) at dimension \(d)")
            }
            out[d] = b
        }
        _ = try Shapes.count(out)
        return out
    }

    /// torch.nn.functional.pad(x, pads, "constant", value): x surrounded by
    /// `value` (converted to x's dtype), or cropped by negative pads.
    public static func padConstant(_ x: NDArray, pads: [Int], value: Double) throws -> NDArray {
        let shape = try paddedShape(x.shape, pads: pads)
        let out = try NDArray(empty: shape, dtype: x.dtype)
        guard out.count > 0 else { return out }
        var inner = x.shape
        var srcOffset = x.offset, dstOffset = 0
        var covered = true
        for k in 0..<(pads.count / 2) {
            let d = x.ndim - 1 - k
            let before = pads[2 * k], after = pads[2 * k + 1]
            let cropBefore = Swift.max(-before, 0), cropAfter = Swift.max(-after, 0)
            inner[d] = Swift.max(x.shape[d] - cropBefore - cropAfter, 0)
            if inner[d] > 0 {
                srcOffset += cropBefore * x.strides[d]
                dstOffset += Swift.max(before, 0) * out.strides[d]
            }
            if before > 0 || after > 0 { covered = false }
        }
        // Only a result that x does not cover entirely needs the fill.
        if !covered { fill(out, with: value) }
        if inner.product > 0 {
            copyParallel(from: NDArray(storage: x.storage, dtype: x.dtype, shape: inner, strides: x.strides, offset: srcOffset),
                         into: NDArray(storage: out.storage, dtype: out.dtype, shape: inner, strides: out.strides, offset: dstOffset))
        }
        return out
    }

    /// Checks torch's rules for the reflect, replicate and circular modes:
    /// 1 to 3 padded trailing dims on an input with one or two more
    /// dimensions, non-empty non-batch dims, reflect pads smaller than the
    /// size, circular pads wrapping at most once, and outputs of at least one entry.
    public static func checkPad(_ shape: Dims, dtype: DType, pads: [Int], mode: PadMode) throws {
        let padded = pads.count / 2
        guard mode != .constant else { return }
        _ = try paddedShape(shape, pads: pads)
        guard (1...3).contains(padded) && (shape.count == padded + 1 || shape.count == padded + 2) else {
            throw EmberError.shape("pad: padding size \(pads.count) is not supported for a \(shape.count)-D input in \(mode.rawValue) mode (\(pads.count) pads need a \(padded + 1)-D or \(padded + 2)-D input, shape \(describe(shape)))")
        }
        if dtype == .bool && mode != .circular {
            throw EmberError.dtype("pad: \(mode.rawValue) padding is not implemented for bool (as in torch)")
        }
        let firstChecked = shape.count == padded + 2 ? 1 : 0
        for d in firstChecked..<shape.count where shape[d] == 0 {
            throw EmberError.shape("pad: expected a \(padded + 1)-D or \(padded + 2)-D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for \(mode.rawValue) padding, got \(describe(shape))")
        }
        for k in 0..<padded {
            let d = shape.count - 1 - k
            let size = shape[d], before = pads[2 * k], after = pads[2 * k + 1]
            if mode == .reflect && (before >= size || after >= size) {
                throw EmberError.shape("pad: padding size should be less than the corresponding input dimension for reflect padding, but got padding (\(before), \(after)) at dimension \(d) of input \(describe(shape))")
            }
            let central = size - Swift.max(-before, 0) - Swift.max(-after, 0)
            if mode == .circular && (before > central || after > central) {
                throw EmberError.shape("pad: padding (\(before), \(after)) at dimension \(d) of input \(describe(shape)) would wrap around more than once in circular mode")
            }
            guard size + before + after >= 1 else {
                throw EmberError.shape("pad: input size \(size) at dimension \(d) is too small for padding (\(before), \(after)): the output size would be \(size + before + after)")
            }
        }
    }

    /// For each position of a padded dimension of `size` (`before` and
    /// `after` added), the input position it copies in reflect, replicate or
    /// circular mode (int64, 1-D). checkPad must have passed.
    public static func padSourceIndices(size: Int, before: Int, after: Int, mode: PadMode) throws -> NDArray {
        let n = size + before + after
        let out = try NDArray(empty: [n], dtype: .int64)
        let p = out.pointer(Int64.self)
        // Circular padding wraps within what remains after cropping.
        let cropBefore = Swift.max(-before, 0)
        let central = size - cropBefore - Swift.max(-after, 0)
        guard mode != .circular || central > 0 else {
            throw EmberError.internal("pad: circular padding of an empty dimension reached the kernel")
        }
        for j in 0..<n {
            let i = j - before
            let source: Int
            switch mode {
            case .reflect: source = i < 0 ? -i : (i >= size ? 2 * (size - 1) - i : i)
            case .replicate: source = Swift.min(Swift.max(i, 0), size - 1)
            case .circular:
                let r = (j - Swift.max(before, 0)) % central
                source = cropBefore + (r < 0 ? r + central : r)
            case .constant: source = i
            }
            p[j] = Int64(source)
        }
        return out
    }

    // MARK: - Gradient helpers

    /// Zeros of `shape` with `src` written at x[..., start::step, ...] along
    /// `dim`: the gradient of a slice, narrow or select (torch's slice_backward).
    public static func sliceScatterZeros(_ src: NDArray, shape: Dims, dim: Int, start: Int, step: Int) throws -> NDArray {
        var expected = shape
        guard dim >= 0 && dim < shape.count && step > 0 && start >= 0 else {
            throw EmberError.internal("slice_backward: bad slice (dim \(dim), start \(start), step \(step)) of \(describe(shape))")
        }
        expected[dim] = src.shape.count == shape.count ? src.shape[dim] : -1
        let length = expected[dim]
        guard src.shape == expected, length == 0 || start + (length - 1) * step < shape[dim] else {
            throw EmberError.internal("slice_backward: a gradient of shape \(describe(src.shape)) does not fit \(describe(shape)) at dim \(dim) from \(start) step \(step)")
        }
        let out = try NDArray.zeros(shape, dtype: src.dtype)
        guard src.count > 0 else { return out }
        var strides = out.strides
        if length > 1 { strides[dim] *= step }
        copyParallel(from: src, into: NDArray(storage: out.storage, dtype: out.dtype, shape: src.shape, strides: strides,
                                              offset: start * out.strides[dim]))
        return out
    }
}
