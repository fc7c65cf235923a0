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
