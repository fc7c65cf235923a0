import EmberTensor

/// Reductions with gradients: the gradient of a sum is the incoming gradient
/// broadcast back over the reduced dimensions (divided by the count for a mean).
extension Tensor {
    /// The sum of all elements, a 0-dim tensor (torch.sum).
    public func sum() throws -> Tensor { try sum(dims: [], keepdim: false) }

    /// The sum over `dims` (all if empty), keeping them as size 1 if `keepdim`.
    public func sum(dims: Dims, keepdim: Bool = false) throws -> Tensor {
        let value = try Kernels.sum(array, dims: dims, keepdim: keepdim)
        let inputShape = shape
        let normalized = dims.isEmpty ? Dims(0..<ndim) : try Shapes.normalize(dims: dims, ndim)
        return Tensor.record(value, "SumBackward1", inputs: [self]) { g, _ in
            [try g.expandReduced(to: inputShape, dims: normalized, keepdim: keepdim)]
        }
    }

    /// The mean of all elements (torch.mean).
    public func mean() throws -> Tensor { try mean(dims: [], keepdim: false) }

    /// The mean over `dims` (all if empty).
    public func mean(dims: Dims, keepdim: Bool = false) throws -> Tensor {
        let value = try Kernels.mean(array, dims: dims, keepdim: keepdim)
        let inputShape = shape
        let normalized = dims.isEmpty ? Dims(0..<ndim) : try Shapes.normalize(dims: dims, ndim)
        var count = 1
        for d in normalized where d < inputShape.count { count *= inputShape[d] }
        let n = Double(count)
        return Tensor.record(value, "MeanBackward1", inputs: [self]) { g, _ in
            [try g.div(n).expandReduced(to: inputShape, dims: normalized, keepdim: keepdim)]
        }
    }

    /// The index of the largest element along `dim` (torch.argmax); not differentiable.
    public func argmax(dim: Int, keepdim: Bool = false) throws -> Tensor {
        Tensor(try Kernels.argmax(array, dim: dim, keepdim: keepdim))
    }

    /// The index of the largest element of the flattened tensor (torch.argmax).
    public func argmax() throws -> Tensor {
        Tensor(try Kernels.argmax(array.reshaped([-1]), dim: 0, keepdim: false))
    }

    /// Broadcasts a reduction's gradient back over the reduced dims.
    func expandReduced(to shape: Dims, dims: Dims, keepdim: Bool) throws -> Tensor {
        var g = self
        if !keepdim {
            for d in dims.sorted() where d < shape.count { g = try g.unsqueeze(d) }
        }
        return try g.expand(shape)
    }
}
