import EmberTensor

/// Indexing with gradients. Reading through an index (gather, index_select)
/// sends the gradient back by writing through the same index into zeros
/// (scatter_add, index_add), and writing through one is undone by reading
/// (gather, index_select), so every backward is itself differentiable. Index
/// tensors are saved with the node, never captured.
extension Tensor {
    // MARK: - Reading through an index

    /// torch.index_select(dim, index): the entries at `index` (int64, 0-dim or
    /// 1-dim) along `dim`, copied.
    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        let value = try Kernels.indexSelect(array, dim: dim, index: index.array)
        let (inputShape, inputType) = (shape, dtype)
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(value, "IndexSelectBackward0", inputs: [self], saving: [index]) { g, ctx in
            [try Tensor.zeros(inputShape, dtype: inputType).indexAdd(dim: d, index: ctx.saved(0), source: g)]
        }
    }

    /// torch.gather(dim, index): out[i][j] = self[index[i][j]][j] (dim 0) and
    /// likewise for other dims; the result has index's shape.
    public func gather(dim: Int, index: Tensor) throws -> Tensor {
        let value = try Kernels.gather(array, dim: dim, index: index.array)
        let (inputShape, inputType) = (shape, dtype)
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(value, "GatherBackward0", inputs: [self], saving: [index]) { g, ctx in
            [try Tensor.zeros(inputShape, dtype: inputType).scatterAdd(dim: d, index: ctx.saved(0), src: g)]
        }
    }

    /// torch.take_along_dim(indices, dim): the entries at `indices` along
    /// `dim` (in 0..<size, as gather), with self and indices broadcast
    /// against each other outside `dim`.
    public func takeAlongDim(_ indices: Tensor, dim: Int) throws -> Tensor {
        try Kernels.checkIndexDType(indices.array, "take_along_dim", "indices")
        guard indices.ndim == ndim else {
            throw EmberError.shape("take_along_dim: input and indices should have the same number of dimensions, but got \(ndim) dimensions for input (\(describe(shape))) and \(indices.ndim) for indices (\(describe(indices.shape)))")
        }
        guard ndim > 0 else { throw EmberError.invalidArgument("take_along_dim: dimension \(dim) specified but the tensor has no dimensions") }
        let d = try Shapes.normalize(dim, ndim)
        var selfSizes = shape, indexSizes = indices.shape
        selfSizes[d] = indices.shape[d]
        indexSizes[d] = shape[d]
        let indexShape: Dims, inputShape: Dims
        do {
            indexShape = try Shapes.broadcast(selfSizes, indices.shape)
            inputShape = try Shapes.broadcast(indexSizes, shape)
        } catch let error as EmberError {
            throw EmberError(error.kind, "take_along_dim: input \(describe(shape)) and indices \(describe(indices.shape)) do not broadcast outside dimension \(d): \(error.message)")
        }
        return try expand(inputShape).gather(dim: d, index: indices.expand(indexShape))
    }

    /// torch.take_along_dim(indices) with no dim: the entries of the flattened
    /// tensor at the flattened `indices`.
    public func takeAlongDim(_ indices: Tensor) throws -> Tensor {
        // torch views both as 1-D, which fails for a non-contiguous tensor; reshape copies instead.
        try reshape([-1]).takeAlongDim(indices.reshape([-1]), dim: 0)
    }

    // MARK: - Writing through an index

    /// torch.scatter(dim, index, src): a copy with src[p] written at
    /// [p with p[dim] = index[p]] for every position p of index.
    /// d/dself is the incoming gradient with the overwritten entries zeroed;
    /// d/dsrc gathers it back (zeros where src was not read).
    public func scatter(dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
        let value = try Kernels.scatter(array, dim: dim, index: index.array, src: src.array, accumulate: false)
        let d = try Shapes.normalize(dim, ndim)
        let srcShape = src.shape
        return Tensor.record(value, "ScatterBackward0", inputs: [self, src], saving: [index]) { g, ctx in
            let index = try ctx.saved(0)
            return [ctx.needsGrad(0) ? try g.scatter(dim: d, index: index, value: 0) : nil,
                    ctx.needsGrad(1) ? try g.gather(dim: d, index: index).padded(to: srcShape) : nil]
        }
    }

    /// torch.scatter(dim, index, value): a copy with `value` written at
    /// [p with p[dim] = index[p]] for every position p of index.
    public func scatter(dim: Int, index: Tensor, value: Double) throws -> Tensor {
        let result = try Kernels.scatter(array, dim: dim, index: index.array, value: value)
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(result, "ScatterBackward1", inputs: [self], saving: [index]) { g, ctx in
            [try g.scatter(dim: d, index: ctx.saved(0), value: 0)]
        }
    }

    /// torch.scatter_add(dim, index, src): a copy with src[p] added at
    /// [p with p[dim] = index[p]] for every position p of index (repeats add up).
    public func scatterAdd(dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
        let value = try Kernels.scatter(array, dim: dim, index: index.array, src: src.array, accumulate: true)
        let d = try Shapes.normalize(dim, ndim)
        let srcShape = src.shape
        return Tensor.record(value, "ScatterAddBackward0", inputs: [self, src], saving: [index]) { g, ctx in
            [ctx.needsGrad(0) ? g : nil,
             ctx.needsGrad(1) ? try g.gather(dim: d, index: ctx.saved(0)).padded(to: srcShape) : nil]
        }
    }

    /// torch.index_add(dim, index, source, alpha): a copy with
    /// alpha * source[..., j, ...] added at [..., index[j], ...].
    public func indexAdd(dim: Int, index: Tensor, source: Tensor, alpha: Double = 1) throws -> Tensor {
        let value = try Kernels.indexAdd(array, dim: dim, index: index.array, source: source.array, alpha: alpha)
        let d = try Shapes.normalize(dim, ndim)
        let sourceShape = source.shape
        return Tensor.record(value, "IndexAddBackward0", inputs: [self, source], saving: [index]) { g, ctx in
            guard ctx.needsGrad(1) else { return [g, nil] }
            var gs = try g.indexSelect(dim: d, index: ctx.saved(0))
            if alpha != 1 { gs = try gs.mul(alpha) }
            return [ctx.needsGrad(0) ? g : nil, try gs.reshape(sourceShape)]
        }
    }

    // MARK: - Masks

    /// torch.masked_select(mask): the entries where the bool mask is true,
    /// self and mask broadcast together, as a 1-D tensor in row-major order.
    public func maskedSelect(_ mask: Tensor) throws -> Tensor {
        let value = try Kernels.maskedSelect(array, mask: mask.array)
        let (inputShape, inputType) = (shape, dtype)
        let full = try Shapes.broadcast(shape, mask.shape)
        return Tensor.record(value, "MaskedSelectBackward0", inputs: [self], saving: [mask]) { g, ctx in
            [try g.maskedScatterZeros(full, mask: ctx.saved(0)).reduceGrad(to: inputShape, inputType)]
        }
    }

    /// Zeros of `shape` with this 1-D tensor's entries placed where `mask`
    /// is true (masked_select's gradient); its own gradient is masked_select.
    func maskedScatterZeros(_ shape: Dims, mask: Tensor) throws -> Tensor {
        let value = try Kernels.maskedScatterZeros(shape: shape, mask: mask.array, values: array)
        return Tensor.record(value, "MaskedScatterBackward0", inputs: [self], saving: [mask]) { g, ctx in
            [try g.maskedSelect(ctx.saved(0))]
        }
    }

    /// This gradient, zero-padded at the end of each dimension up to `target`
    /// (src may be larger than index in scatter; the entries never read get 0).
    func padded(to target: Dims) throws -> Tensor {
        if shape == target { return self }
        // An empty index reads nothing (and may even have fewer dimensions).
        if count == 0 || ndim != target.count { return try Tensor.zeros(target, dtype: dtype) }
        var pads: [Int] = []
        for d in stride(from: ndim - 1, through: 0, by: -1) { pads += [0, target[d] - shape[d]] }
        return try pad(pads)
    }
}
