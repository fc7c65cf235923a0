import EmberTensor

/// Joining, splitting, reordering, tiling and padding, with gradients: cat's
/// gradient is slices of the incoming one, flip's and roll's are the inverse
/// reorder, repeat's sums the copies, pad's crops (constant) or flows back
/// through index_select's index_add (reflect, replicate, circular).
extension Tensor {
    // MARK: - Joining

    /// torch.cat(tensors, dim): the tensors joined along `dim` (negative counts
    /// from the end) in their promoted dtype. 1-D tensors of size 0 are
    /// skipped, as torch does.
    public static func cat(_ tensors: [Tensor], dim: Int) throws -> Tensor {
        let arrays = tensors.map(\.array)
        let plan = try Kernels.catPlan(arrays.map(\.shape), arrays.map(\.dtype), dim: dim)
        let value = try Kernels.cat(arrays, dim: dim)
        let d = plan.dim
        let pieces = tensors.enumerated().map { i, t in
            (shape: t.shape, dtype: t.dtype, length: plan.skipped[i] ? 0 : t.shape[d], skipped: plan.skipped[i])
        }
        return Tensor.record(value, "CatBackward0", inputs: tensors) { g, ctx in
            var grads: [Tensor?] = []
            var start = 0
            for (i, piece) in pieces.enumerated() {
                defer { start += piece.length }
                guard ctx.needsGrad(i) else { grads.append(nil); continue }
                if piece.skipped {
                    grads.append(try Tensor.zeros(piece.shape, dtype: piece.dtype))
                } else {
                    grads.append(try g.narrow(dim: d, start: start, length: piece.length).reduceGrad(to: piece.shape, piece.dtype))
                }
            }
            return Gradients(grads)
        }
    }

    /// torch.stack(tensors, dim): tensors of one shape joined along a new
    /// dimension `dim` (in 0...ndim, negative counts from the end).
    public static func stack(_ tensors: [Tensor], dim: Int) throws -> Tensor {
        guard let first = tensors.first else { throw EmberError.invalidArgument("stack: expected a non-empty list of tensors") }
        for (i, t) in tensors.enumerated() where t.shape != first.shape {
            throw EmberError.shape("stack: expects each tensor to be equal size, but got \(describe(first.shape)) at entry 0 and \(describe(t.shape)) at entry \(i)")
        }
        guard first.ndim < Dims.capacity else {
            throw EmberError.invalidArgument("stack: the result would have \(first.ndim + 1) dimensions; at most \(Dims.capacity) are supported")
        }
        let d = try Shapes.normalize(dim, first.ndim + 1)
        return try cat(tensors.map { try $0.unsqueeze(d) }, dim: d)
    }

    // MARK: - Splitting

    /// torch.split(split_size, dim): views of `splitSize` entries along `dim`
    /// (the last may be smaller).
    public func split(_ splitSize: Int, dim: Int = 0) throws -> [Tensor] {
        _ = try splitCount(splitSize, dim: dim)
        let d = try Shapes.normalize(dim, ndim)
        let size = shape[d]
        if size == 0 { return [try narrow(dim: d, start: 0, length: 0)] }
        var parts: [Tensor] = []
        var start = 0
        while start < size {
            let length = Swift.min(splitSize, size - start)
            parts.append(try narrow(dim: d, start: start, length: length))
            start += length
        }
        return parts
    }

    /// How many views `split(splitSize, dim:)` returns, computed without making
    /// them (a dim of an empty tensor may be 2^62 long); throws as `split` does.
    public func splitCount(_ splitSize: Int, dim: Int = 0) throws -> Int {
        guard ndim > 0 else { throw EmberError.invalidArgument("split: expects at least a 1-dimensional tensor") }
        let d = try Shapes.normalize(dim, ndim)
        let size = shape[d]
        guard splitSize >= 0 else {
            throw EmberError.invalidArgument("split: split_size must be non-negative, got \(splitSize)")
        }
        guard splitSize > 0 || size == 0 else {
            throw EmberError.invalidArgument("split: split_size can only be 0 if dimension size is 0, but got dimension size of \(size)")
        }
        return size == 0 ? 1 : (size - 1) / splitSize + 1
    }

    /// torch.split(split_sizes, dim): views of the given sizes along `dim`,
    /// which must add up to its size.
    public func split(sizes: [Int], dim: Int = 0) throws -> [Tensor] {
        guard ndim > 0 else { throw EmberError.invalidArgument("split_with_sizes: expects at least a 1-dimensional tensor") }
        let d = try Shapes.normalize(dim, ndim)
        var total = 0
        for s in sizes {
            guard s >= 0 else {
                throw EmberError.invalidArgument("split_with_sizes: split_sizes must be non-negative, got \(describe(sizes))")
            }
            let (sum, overflow) = total.addingReportingOverflow(s)
            total = overflow ? .max : sum
        }
        guard total == shape[d] else {
            throw EmberError.invalidArgument("split_with_sizes: split_sizes must sum exactly to \(shape[d]) (the size of dimension \(d) of \(describe(shape))), but got \(describe(sizes))")
        }
        var parts: [Tensor] = []
        var start = 0
        for s in sizes {
            parts.append(try narrow(dim: d, start: start, length: s))
            start += s
        }
        return parts
    }

    /// torch.chunk(chunks, dim): at most `chunks` views of equal size
    /// (ceil(size / chunks)) along `dim`, the last possibly smaller.
    public func chunk(_ chunks: Int, dim: Int = 0) throws -> [Tensor] {
        _ = try chunkCount(chunks, dim: dim)
        let d = try Shapes.normalize(dim, ndim)
        let size = shape[d]
        // An empty dimension gives `chunks` empty views, as in torch.
        if size == 0 { return try (0..<chunks).map { _ in try narrow(dim: d, start: 0, length: 0) } }
        return try split(size / chunks + (size % chunks == 0 ? 0 : 1), dim: d)
    }

    /// How many views `chunk(chunks, dim:)` returns, computed without making
    /// them; throws as `chunk` does.
    public func chunkCount(_ chunks: Int, dim: Int = 0) throws -> Int {
        guard ndim > 0 else { throw EmberError.invalidArgument("chunk: expects at least a 1-dimensional tensor") }
        guard chunks > 0 else { throw EmberError.invalidArgument("chunk: expects `chunks` to be greater than 0, got \(chunks)") }
        let d = try Shapes.normalize(dim, ndim)
        let size = shape[d]
        if size == 0 { return chunks }
        return try splitCount(size / chunks + (size % chunks == 0 ? 0 : 1), dim: d)
    }

    // MARK: - Reordering

    /// torch.flip(dims): a copy with the entries reversed along each of `dims`.
    public func flip(_ dims: Dims) throws -> Tensor {
        let value = try Kernels.flip(array, dims: dims)
        return Tensor.record(value, "FlipBackward0", inputs: [self]) { g, _ in [try g.flip(dims)] }
    }

    /// torch.roll(shifts, dims): a copy with the entries shifted by shifts[i]
    /// along dims[i], wrapping around. With no dims, the tensor is rolled as
    /// if flattened, by the single shift.
    public func roll(_ shifts: [Int], dims: [Int]) throws -> Tensor {
        if dims.isEmpty {
            guard shifts.count == 1 else {
                throw EmberError.invalidArgument("roll: shifts and dimensions must align, got \(shifts.count) shifts and no dims (a flattened roll takes one shift)")
            }
            return try reshape([-1]).roll(shifts, dims: [0]).reshape(shape)
        }
        let net = try Kernels.rollShifts(shape, shifts: shifts, dims: dims)
        let value = try Kernels.roll(array, shifts: shifts, dims: dims)
        // The inverse shift, already reduced to 0..<size so negating cannot overflow.
        var back: [Int] = [], backDims: [Int] = []
        for d in 0..<ndim where net[d] != 0 {
            back.append(shape[d] - net[d])
            backDims.append(d)
        }
        return Tensor.record(value, "RollBackward0", inputs: [self]) { g, _ in
            [backDims.isEmpty ? try g.clone() : try g.roll(back, dims: backDims)]
        }
    }

    // MARK: - Tiling

    /// torch.Tensor.repeat(reps): the tensor tiled reps[d] times along each
    /// dimension; reps may be longer than ndim (new leading dimensions).
    public func `repeat`(_ reps: Dims) throws -> Tensor {
        let value = try Kernels.repeated(array, reps: reps)
        let inputShape = shape
        let padded = Dims(repeating: 1, count: reps.count - ndim) + shape
        return Tensor.record(value, "RepeatBackward0", inputs: [self]) { g, _ in
            // Sum the copies one dimension at a time, each as a 3-d view
            // (before, copies x size, after) so no view needs extra dimensions.
            var grad = g
            var current = g.shape
            for d in 0..<reps.count where reps[d] > 1 || (reps[d] == 0 && padded[d] != 0) {
                let before = Dims(current.prefix(d)).product
                let after = Dims(current.suffix(from: d + 1)).product
                grad = try grad.reshape([before, reps[d], padded[d] * after]).sum(dims: [1])
                current[d] = padded[d]
                grad = try grad.reshape(current)
            }
            return [try grad.reshape(inputShape)]
        }
    }

    /// torch.tile(reps): repeat, with reps padded by leading 1s when it has
    /// fewer entries than the tensor has dimensions.
    public func tile(_ reps: Dims) throws -> Tensor {
        guard reps.count < ndim else { return try self.repeat(reps) }
        return try self.repeat(Dims(repeating: 1, count: ndim - reps.count) + reps)
    }

    // MARK: - Padding

    /// torch.nn.functional.pad(x, pads, mode, value). pads[0], pads[1] pad the
    /// last dimension (before, after), pads[2], pads[3] the one before it, and
    /// so on. "constant" fills with `value` and accepts negative pads (crops);
    /// "reflect", "replicate" and "circular" pad 1 to 3 trailing dimensions of
    /// an input with one or two more (batch) dimensions, and take no value
    /// (it must be 0).
    public func pad(_ pads: [Int], mode: String = "constant", value: Double = 0) throws -> Tensor {
        guard let kind = Kernels.PadMode(rawValue: mode) else {
            throw EmberError.invalidArgument("pad: unrecognised padding mode '\(mode)'; expected one of constant, reflect, replicate, circular")
        }
        guard kind == .constant || value == 0 else {
            throw EmberError.invalidArgument("pad: padding mode \"\(mode)\" doesn't take in a value argument (got \(value))")
        }
        if kind == .constant {
            let result = try Kernels.padConstant(array, pads: pads, value: value)
            let negated = pads.map { -$0 }   // paddedShape rejected Int.min
            return Tensor.record(result, "ConstantPadNdBackward0", inputs: [self]) { g, _ in [try g.pad(negated)] }
        }
        try Kernels.checkPad(shape, dtype: dtype, pads: pads, mode: kind)
        // One index_select per padded dimension: the gradient is index_add's.
        var result = self
        for k in 0..<(pads.count / 2) where pads[2 * k] != 0 || pads[2 * k + 1] != 0 {
            let d = ndim - 1 - k
            let index = try Kernels.padSourceIndices(size: shape[d], before: pads[2 * k], after: pads[2 * k + 1], mode: kind)
            result = try result.indexSelect(dim: d, index: Tensor(index))
        }
        return result === self ? try clone() : result
    }
}
