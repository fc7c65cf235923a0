import EmberTensor

/// Shape ops. Views share storage with their input, as in torch; their
/// gradients apply the inverse view.
extension Tensor {
    /// torch.reshape: a view when the strides allow, a copy otherwise; one size may be -1.
    public func reshape(_ newShape: Dims) throws -> Tensor {
        let value = try array.reshaped(newShape)
        if value.shape == shape && value.storage === array.storage && value.strides == array.strides { return self.alias(value) }
        let inputShape = shape
        return Tensor.record(value, "ViewBackward0", inputs: [self]) { g, _ in [try g.reshape(inputShape)] }
    }

    /// torch.transpose(dim0, dim1), a view.
    public func transpose(_ dim0: Int, _ dim1: Int) throws -> Tensor {
        let value = try array.transposed(dim0, dim1)
        return Tensor.record(value, "TransposeBackward0", inputs: [self]) { g, _ in [try g.transpose(dim0, dim1)] }
    }

    /// torch.permute(dims), a view.
    public func permute(_ dims: Dims) throws -> Tensor {
        let value = try array.permuted(dims)
        let order = try Shapes.normalize(dims: dims, ndim)
        var inverse = Dims(repeating: 0, count: order.count)
        for (i, d) in order.enumerated() { inverse[d] = i }
        return Tensor.record(value, "PermuteBackward0", inputs: [self]) { g, _ in [try g.permute(inverse)] }
    }

    /// torch.expand(shape), a view; the gradient sums over the stretched dims.
    public func expand(_ newShape: Dims) throws -> Tensor {
        let value = try array.expanded(newShape)
        if value.shape == shape { return alias(value) }
        let (inputShape, inputType) = (shape, dtype)
        return Tensor.record(value, "ExpandBackward0", inputs: [self]) { g, _ in [try g.reduceGrad(to: inputShape, inputType)] }
    }

    /// torch.unsqueeze(dim), a view.
    public func unsqueeze(_ dim: Int) throws -> Tensor {
        let value = try array.unsqueezed(dim)
        let d = try Shapes.normalize(dim, ndim + 1)
        return Tensor.record(value, "UnsqueezeBackward0", inputs: [self]) { g, _ in [try g.squeeze(d)] }
    }

    /// torch.squeeze(dim), a view; a no-op if the size is not 1.
    public func squeeze(_ dim: Int) throws -> Tensor {
        let value = try array.squeezed(dim)
        if value.ndim == ndim { return alias(value) }
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(value, "SqueezeBackward1", inputs: [self]) { g, _ in [try g.unsqueeze(d)] }
    }

    /// torch.Tensor.view: a view with a new shape (one size may be -1); an
    /// error, unlike reshape, when the strides do not allow one.
    public func view(_ newShape: Dims) throws -> Tensor {
        let value = try array.viewed(newShape)
        let inputShape = shape
        return Tensor.record(value, "ViewBackward0", inputs: [self]) { g, _ in [try g.reshape(inputShape)] }
    }

    /// torch.flatten(start_dim, end_dim): dims start...end merged into one; a
    /// view when the strides allow, else a copy (a 0-dim tensor becomes 1-D).
    public func flatten(startDim: Int = 0, endDim: Int = -1) throws -> Tensor {
        let target = try array.flattenedShape(startDim: startDim, endDim: endDim)
        if target == shape { return self }
        return try reshape(target)
    }

    /// torch.unflatten(dim, sizes): `dim` split into `sizes` (one may be -1), a view.
    public func unflatten(dim: Int, sizes: Dims) throws -> Tensor {
        try view(array.unflattenedShape(dim: dim, sizes: sizes))
    }

    /// torch.squeeze(): every size-1 dimension removed, a view.
    public func squeeze() throws -> Tensor {
        let value = array.squeezedAll()
        if value.ndim == ndim { return alias(value) }
        let inputShape = shape
        return Tensor.record(value, "SqueezeBackward0", inputs: [self]) { g, _ in [try g.reshape(inputShape)] }
    }

    /// torch.squeeze(dims): the listed dimensions removed where their size is 1, a view.
    public func squeeze(dims: Dims) throws -> Tensor {
        let value = try array.squeezed(dims: dims)
        if value.ndim == ndim { return alias(value) }
        let inputShape = shape
        return Tensor.record(value, "SqueezeBackward2", inputs: [self]) { g, _ in [try g.reshape(inputShape)] }
    }

    /// torch.movedim(source, destination): dim source[i] moved to position
    /// destination[i], the others in their order; a view.
    public func movedim(_ source: Dims, _ destination: Dims) throws -> Tensor {
        let order = try array.movedimOrder(source: source, destination: destination)
        return try permute(order)
    }

    /// torch.Tensor.expand_as(other): expand(other's shape), a view.
    public func expandAs(_ other: Tensor) throws -> Tensor { try expand(other.shape) }

    /// torch.broadcast_to(shape): this tensor broadcast to `shape`, a view.
    public func broadcastTo(_ newShape: Dims) throws -> Tensor { try expand(newShape) }

    /// torch.narrow(dim, start, length): `length` entries from `start` (which
    /// may count from the end), a view.
    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        let value = try array.narrowed(dim: dim, start: start, length: length)
        let d = try Shapes.normalize(dim, ndim)
        let first = start < 0 ? start + shape[d] : start
        let inputShape = shape
        return Tensor.record(value, "SliceBackward0", inputs: [self]) { g, _ in
            [try g.sliceBackward(inputShape, dim: d, start: first, step: 1)]
        }
    }

    /// x[..., start:stop:step, ...] along `dim` with Python's clamping
    /// (negative bounds count from the end; `stop` may be Int.max for "to the
    /// end"); step > 0. A view.
    public func slice(dim: Int, start: Int = 0, stop: Int = .max, step: Int = 1) throws -> Tensor {
        let value = try array.sliced(dim: dim, start: start, stop: stop, step: step)
        let d = try Shapes.normalize(dim, ndim)
        let (first, _) = try NDArray.sliceBounds(size: shape[d], start: start, stop: stop, step: step)
        let inputShape = shape
        return Tensor.record(value, "SliceBackward0", inputs: [self]) { g, _ in
            [try g.sliceBackward(inputShape, dim: d, start: first, step: step)]
        }
    }

    /// torch.select(dim, index): the slice at `index` (negative counts from the
    /// end) with `dim` removed, a view.
    public func select(dim: Int, index: Int) throws -> Tensor {
        let value = try array.selected(dim: dim, index: index)
        let d = try Shapes.normalize(dim, ndim)
        let i = index < 0 ? index + shape[d] : index
        let inputShape = shape
        return Tensor.record(value, "SelectBackward0", inputs: [self]) { g, _ in
            [try g.unsqueeze(d).sliceBackward(inputShape, dim: d, start: i, step: 1)]
        }
    }

    /// Zeros of `inputShape` with this gradient written at [start::step] along
    /// `dim` (torch's slice_backward). Differentiable: its own gradient slices.
    func sliceBackward(_ inputShape: Dims, dim: Int, start: Int, step: Int) throws -> Tensor {
        let value = try Kernels.sliceScatterZeros(array, shape: inputShape, dim: dim, start: start, step: step)
        let length = shape[dim]
        let stop = length == 0 ? start : start + (length - 1) * step + 1
        return Tensor.record(value, "SliceBackwardBackward0", inputs: [self]) { g, _ in
            [try g.slice(dim: dim, start: start, stop: stop, step: step)]
        }
    }

    /// torch.contiguous: self if already contiguous, else a recorded copy.
    public func contiguous() throws -> Tensor {
        if array.isContiguous { return self }
        return try clone()
    }

    /// torch.clone: a copy with its own storage, in the graph.
    public func clone() throws -> Tensor {
        let value = try array.contiguous(force: true)
        return Tensor.record(value, "CloneBackward0", inputs: [self]) { g, _ in [g] }
    }

    /// torch.Tensor.to(dtype): self if unchanged; differentiable between floating dtypes.
    public func to(_ target: DType) throws -> Tensor {
        if target == dtype { return self }
        let value = try array.cast(to: target)
        let source = dtype
        guard source.isFloatingPoint && target.isFloatingPoint else { return Tensor(value) }
        return Tensor.record(value, "ToCopyBackward0", inputs: [self]) { g, _ in [try g.to(source)] }
    }

    /// The same tensor seen through a view that changes nothing observable.
    func alias(_ value: NDArray) -> Tensor { self }
}
