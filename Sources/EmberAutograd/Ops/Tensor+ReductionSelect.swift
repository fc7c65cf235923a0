import EmberTensor

/// Reductions that select elements: max/min (over everything, or values and
/// indices along a dim), amax/amin, argmax/argmin. As in torch, a max along a
/// dim sends its gradient to the one selected index, while max over
/// everything and amax/amin split it evenly among tied elements.
extension Tensor {
    // MARK: - max and min

    /// torch.max(x): the largest element, a 0-dim tensor; NaN if there is one.
    public func max() throws -> Tensor { try extremum(largest: true) }

    /// torch.min(x): the smallest element, a 0-dim tensor; NaN if there is one.
    public func min() throws -> Tensor { try extremum(largest: false) }

    func extremum(largest: Bool) throws -> Tensor {
        let value = try Kernels.extremum(array, largest: largest)
        return Tensor.record(value, largest ? "MaxBackward1" : "MinBackward1", inputs: [self], saving: [self], saveOutput: true) { g, ctx in
            // torch's evenly_distribute_backward: ties (or NaNs) share the gradient.
            let mask = try Kernels.selectionMask(ctx.saved(0).array, ctx.outputValue(), nanMatches: true)
            let count = try Kernels.sum(mask, dims: [], keepdim: false).item()
            return [try g.div(count).mul(Tensor(mask))]
        }
    }

    /// torch.max(x, dim, keepdim): the largest values along `dim` and their
    /// int64 indices (the first on ties; NaN counts as largest).
    ///
    /// ```swift
    /// let (values, indices) = try x.max(dim: 1)
    /// ```
    public func max(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try extremum(dim: dim, keepdim: keepdim, largest: true)
    }

    /// torch.min(x, dim, keepdim): the smallest values along `dim` and their indices.
    public func min(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try extremum(dim: dim, keepdim: keepdim, largest: false)
    }

    func extremum(dim: Int, keepdim: Bool, largest: Bool) throws -> (values: Tensor, indices: Tensor) {
        let d = try Shapes.normalize(dim, ndim)
        let (v, i) = try Kernels.extremum(array, dim: d, keepdim: keepdim, largest: largest)
        let indices = Tensor(i)
        let inputShape = shape
        // The indices are saved like any tensor: changing them in place before
        // backward is reported rather than silently moving the gradient.
        let values = Tensor.record(v, largest ? "MaxBackward0" : "MinBackward0", inputs: [self], saving: [indices]) { g, ctx in
            if inputShape.isEmpty { return [g] }
            let idx = try ctx.saved(0).array
            let gk = keepdim ? g : try g.unsqueeze(d)
            return [try gk.placeSelected(dim: d, indices: keepdim ? idx : try idx.unsqueezed(d), shape: inputShape)]
        }
        return (values, indices)
    }

    // MARK: - amax and amin

    /// torch.amax over `dims` (all if empty): the largest values, without
    /// indices; the gradient is split evenly among ties.
    public func amax(dims: Dims = [], keepdim: Bool = false) throws -> Tensor {
        try extremum(dims: dims, keepdim: keepdim, largest: true)
    }

    /// torch.amin over `dims` (all if empty).
    public func amin(dims: Dims = [], keepdim: Bool = false) throws -> Tensor {
        try extremum(dims: dims, keepdim: keepdim, largest: false)
    }

    func extremum(dims: Dims, keepdim: Bool, largest: Bool) throws -> Tensor {
        let value = try Kernels.amax(array, dims: dims, keepdim: keepdim, largest: largest)
        let normalized = try Kernels.reductionDims(dims, ndim)
        return Tensor.record(value, largest ? "AmaxBackward0" : "AminBackward0", inputs: [self], saving: [self], saveOutput: true) { g, ctx in
            // torch's scale_grad_by_count: g / (number of ties) at each tie.
            let x = try ctx.saved(0)
            let yk = try ctx.output().unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            let mask = try Kernels.selectionMask(x.array, yk.array, nanMatches: false)
            let count = try Kernels.sum(mask, dims: normalized, keepdim: true)
            let gk = try g.unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            return [try gk.div(Tensor(count)).mul(Tensor(mask))]
        }
    }

    // MARK: - argmax and argmin

    /// The index of the largest element along `dim` (torch.argmax); not differentiable.
    public func argmax(dim: Int, keepdim: Bool = false) throws -> Tensor {
        Tensor(try Kernels.argExtremum(array, dim: dim, keepdim: keepdim, largest: true))
    }

    /// The index of the largest element of the flattened tensor (torch.argmax).
    public func argmax() throws -> Tensor {
        Tensor(try Kernels.argExtremum(array, dim: nil, keepdim: false, largest: true))
    }

    /// The index of the smallest element along `dim` (torch.argmin); the first on ties.
    public func argmin(dim: Int, keepdim: Bool = false) throws -> Tensor {
        Tensor(try Kernels.argExtremum(array, dim: dim, keepdim: keepdim, largest: false))
    }

    /// The index of the smallest element of the flattened tensor (torch.argmin).
    public func argmin() throws -> Tensor {
        Tensor(try Kernels.argExtremum(array, dim: nil, keepdim: false, largest: false))
    }

    // MARK: - Moving values to and from selected positions

    /// Zeros of `shape` holding this tensor's values at `indices` along `dim`
    /// (this tensor and the indices have `shape` with size 1 at `dim`). Its
    /// gradient takes the values back out, and that one's puts them back, so
    /// max's gradient can be differentiated again.
    func placeSelected(dim: Int, indices: NDArray, shape: Dims) throws -> Tensor {
        let value = try Kernels.placeSelected(array, dim: dim, indices: indices, shape: shape)
        return Tensor.record(value, "ScatterBackward0", inputs: [self]) { g, _ in
            [try g.takeSelected(dim: dim, indices: indices)]
        }
    }

    /// The values at `indices` along `dim` (the inverse of `placeSelected`).
    func takeSelected(dim: Int, indices: NDArray) throws -> Tensor {
        let value = try Kernels.takeSelected(array, dim: dim, indices: indices)
        let inputShape = shape
        return Tensor.record(value, "GatherBackward0", inputs: [self]) { g, _ in
            [try g.placeSelected(dim: dim, indices: indices, shape: inputShape)]
        }
    }
}
