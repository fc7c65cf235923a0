import EmberTensor

/// Reductions with gradients: sum, mean, prod, var/std, logsumexp, norm, and
/// all/any (not differentiable). Each gradient restores the reduced dims as
/// size 1 and broadcasts; the formulas are torch's (derivatives.yaml), written
/// in differentiable ops so that they can be differentiated again.
extension Tensor {
    // MARK: - sum and mean

    /// The sum of all elements, a 0-dim tensor (torch.sum).
    public func sum() throws -> Tensor { try sum(dims: [], keepdim: false) }

    /// The sum over `dims` (all if empty), keeping them as size 1 if `keepdim`.
    public func sum(dims: Dims, keepdim: Bool = false) throws -> Tensor {
        let value = try Kernels.sum(array, dims: dims, keepdim: keepdim)
        let inputShape = shape
        let normalized = try Kernels.reductionDims(dims, ndim)
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
        let normalized = try Kernels.reductionDims(dims, ndim)
        let n = Double(Tensor.reducedCount(inputShape, normalized))
        return Tensor.record(value, "MeanBackward1", inputs: [self]) { g, _ in
            [try g.div(n).expandReduced(to: inputShape, dims: normalized, keepdim: keepdim)]
        }
    }

    // MARK: - prod

    /// The product of all elements (torch.prod); int64 and bool give int64.
    ///
    /// ```swift
    /// try Tensor.from([2, 3, 4]).prod().item()   // 24
    /// ```
    public func prod() throws -> Tensor {
        let value = try Kernels.prod(array, dims: [], keepdim: false)
        let inputShape = shape
        return Tensor.record(value, "ProdBackward0", inputs: [self], saving: [self], saveOutput: true) { g, ctx in
            let x = try ctx.saved(0)
            if inputShape.isEmpty { return [g] }
            let flat = try Tensor.prodGradient(g.reshape([1]), x.reshape([-1]), ctx.output().reshape([1]), dim: 0)
            return [try flat.reshape(inputShape)]
        }
    }

    /// The product along `dim` (torch.prod(x, dim, keepdim)).
    public func prod(dim: Int, keepdim: Bool = false) throws -> Tensor {
        let d = try Shapes.normalize(dim, ndim)
        let value = try Kernels.prod(array, dims: [d], keepdim: keepdim)
        let isScalar = ndim == 0
        return Tensor.record(value, "ProdBackward1", inputs: [self], saving: [self], saveOutput: true) { g, ctx in
            if isScalar { return [g] }
            let gk = keepdim ? g : try g.unsqueeze(d)
            let yk = keepdim ? try ctx.output() : try ctx.output().unsqueeze(d)
            return [try Tensor.prodGradient(gk, ctx.saved(0), yk, dim: d)]
        }
    }

    /// d prod / dx along `dim` for g and y with that dim kept as 1: g * y / x
    /// without zeros; otherwise g times the product of the other elements,
    /// from the exclusive products on both sides (exact with zeros, as torch's
    /// prod_safe_zeros_backward).
    static func prodGradient(_ g: Tensor, _ x: Tensor, _ y: Tensor, dim d: Int) throws -> Tensor {
        if x.count == 0 { return try g.expand(x.shape) }
        if try !Kernels.containsZero(x.array) { return try g.mul(y.div(x)) }
        let before = try x.shifted(dim: d, forward: true, fill: 1).cumulativeProduct(dim: d, reverse: false)
        let after = try x.shifted(dim: d, forward: false, fill: 1).cumulativeProduct(dim: d, reverse: true)
        return try g.mul(before.mul(after))
    }

    // MARK: - var and std

    /// torch.var over `dims` (all if empty) with Bessel's `correction`
    /// (1 by default; 0 gives the population variance). Floating only.
    public func variance(dims: Dims = [], correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
        let value = try Kernels.variance(array, dims: dims, correction: correction, keepdim: keepdim, std: false)
        let normalized = try Kernels.reductionDims(dims, ndim)
        let scale = 2 / Swift.max(0, Double(Tensor.reducedCount(shape, normalized)) - correction)
        return Tensor.record(value, "VarBackward0", inputs: [self], saving: [self]) { g, ctx in
            let x = try ctx.saved(0)
            let gk = try g.unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            return [try Tensor.varianceGradient(gk, x, dims: normalized, scale: scale)]
        }
    }

    /// torch.std: the square root of `variance`. Its gradient is 0 where the
    /// standard deviation is 0, as torch's.
    public func std(dims: Dims = [], correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
        let value = try Kernels.variance(array, dims: dims, correction: correction, keepdim: keepdim, std: true)
        let normalized = try Kernels.reductionDims(dims, ndim)
        let scale = 2 / Swift.max(0, Double(Tensor.reducedCount(shape, normalized)) - correction)
        return Tensor.record(value, "StdBackward0", inputs: [self], saving: [self], saveOutput: true) { g, ctx in
            let x = try ctx.saved(0)
            let gk = try g.unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            let yk = try ctx.output().unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            // g / (2 y), with 0 where y == 0 (the denominator is lifted to 1 there).
            let nonzero = try Kernels.nonzeroMask(yk.array)
            let lift = Tensor(try Kernels.binary(.sub, nonzero, scalar: 1, reversed: true))
            let gv = try gk.mul(Tensor(nonzero)).div(yk.mul(2).add(lift))
            return [try Tensor.varianceGradient(gv, x, dims: normalized, scale: scale)]
        }
    }

    /// torch's var_backward: scale * g * (x - mean(x)), scale = 2 / max(0, N - correction).
    static func varianceGradient(_ g: Tensor, _ x: Tensor, dims: Dims, scale: Double) throws -> Tensor {
        try x.sub(x.mean(dims: dims, keepdim: true)).mul(g).mul(scale)
    }

    // MARK: - logsumexp

    /// torch.logsumexp over `dims` (all if empty): log(sum(exp(x))), computed
    /// stably. Integer inputs give float32. d/dx = g * exp(x - y).
    public func logsumexp(dims: Dims, keepdim: Bool = false) throws -> Tensor {
        let value = try Kernels.logsumexp(array, dims: dims, keepdim: keepdim)
        let normalized = try Kernels.reductionDims(dims, ndim)
        return Tensor.record(value, "LogsumexpBackward0", inputs: [self], saving: [self], saveOutput: true) { g, ctx in
            let x = try ctx.saved(0)
            let gk = try g.unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            let yk = try ctx.output().unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            return [try gk.mul(x.sub(yk).exp())]
        }
    }

    // MARK: - norm

    /// torch.norm / torch.linalg.vector_norm: the p-norm over `dims` (all if
    /// empty). p = .infinity is max |x|, -.infinity min |x|, 0 the number of
    /// nonzeros (no gradient); torch's p = "fro" is p = 2. Floating only.
    /// Gradients follow torch's conventions at 0 (a zero subgradient).
    public func norm(p: Double = 2, dims: Dims = [], keepdim: Bool = false) throws -> Tensor {
        let value = try Kernels.norm(array, p: p, dims: dims, keepdim: keepdim)
        let normalized = try Kernels.reductionDims(dims, ndim)
        return Tensor.record(value, "NormBackward1", inputs: [self], saving: [self], saveOutput: true) { g, ctx in
            if p == 0 { return [nil] }
            let x = try ctx.saved(0)
            let gk = try g.unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            let yk = try ctx.output().unsqueezeReduced(dims: normalized, keepdim: keepdim, ndim: x.ndim)
            return [try Tensor.normGradient(gk, x, yk, p: p, dims: normalized)]
        }
    }

    /// torch's norm_backward for g and y with the reduced dims kept as 1.
    static func normGradient(_ g: Tensor, _ x: Tensor, _ y: Tensor, p: Double, dims: Dims) throws -> Tensor {
        let sign = Tensor(try Kernels.signValues(x.array))
        // 1 - mask, to lift a zero denominator to 1 where the result is masked anyway.
        func lift(_ mask: NDArray) throws -> Tensor { Tensor(try Kernels.binary(.sub, mask, scalar: 1, reversed: true)) }
        switch p {
        case 1:
            return try g.mul(sign)
        case 2:
            // g x / y, 0 where y == 0 (then x is 0 too).
            return try g.mul(x).div(y.add(lift(Kernels.nonzeroMask(y.array))))
        case .infinity, -.infinity:
            // Split evenly among the elements at the extreme |x| (and NaNs).
            let mask = try Kernels.absSelectionMask(x.array, y.array)
            let count = try Kernels.sum(mask, dims: dims, keepdim: true)
            return try g.div(Tensor(count)).mul(Tensor(try Kernels.binary(.mul, mask, sign.array)))
        default:
            let xNonzero = try Kernels.nonzeroMask(x.array), yNonzero = try Kernels.nonzeroMask(y.array)
            if p < 1 {
                // sgn(x) |x|^(p-1) (0 at x = 0) * g * y^(1-p)
                let scaled = try x.add(lift(xNonzero)).absPower(p - 1).mul(sign)
                return try scaled.mul(g).mul(y.absPower(1 - p))
            }
            // sgn(x) |x|^(p-1) * g / y^(p-1), 0 where y == 0.
            let scaled = try p < 2 ? x.absPower(p - 1).mul(sign) : x.mul(x.absPower(p - 2))
            let scale = try g.mul(Tensor(yNonzero)).div(y.add(lift(yNonzero)).absPower(p - 1))
            return try scaled.mul(scale)
        }
    }

    /// |x|^q (differentiable; d/dx = q sgn(x) |x|^(q-1)), for norm gradients.
    func absPower(_ q: Double) throws -> Tensor {
        let value = try Kernels.absPower(array, q)
        return Tensor.record(value, "PowBackward0", inputs: [self], saving: [self]) { g, ctx in
            let x = try ctx.saved(0)
            return [try g.mul(Tensor(try Kernels.signValues(x.array))).mul(x.absPower(q - 1)).mul(q)]
        }
    }

    // MARK: - all and any

    /// torch.all: whether every element is nonzero, a 0-dim bool tensor.
    public func all() throws -> Tensor {
        Tensor(try Kernels.allAny(array, dims: [], everything: true, keepdim: false, any: false))
    }

    /// torch.all(x, dims, keepdim). As in torch, an empty `dims` reduces
    /// nothing: the result is `x != 0` as bool.
    public func all(dims: Dims, keepdim: Bool = false) throws -> Tensor {
        Tensor(try Kernels.allAny(array, dims: dims, everything: false, keepdim: keepdim, any: false))
    }

    /// torch.any: whether some element is nonzero, a 0-dim bool tensor.
    public func any() throws -> Tensor {
        Tensor(try Kernels.allAny(array, dims: [], everything: true, keepdim: false, any: true))
    }

    /// torch.any(x, dims, keepdim); an empty `dims` reduces nothing, as in torch.
    public func any(dims: Dims, keepdim: Bool = false) throws -> Tensor {
        Tensor(try Kernels.allAny(array, dims: dims, everything: false, keepdim: keepdim, any: true))
    }

    // MARK: - Gradient plumbing

    /// Broadcasts a reduction's gradient back over the reduced dims.
    func expandReduced(to shape: Dims, dims: Dims, keepdim: Bool) throws -> Tensor {
        try unsqueezeReduced(dims: dims, keepdim: keepdim, ndim: shape.count).expand(shape)
    }

    /// A reduction's result (or gradient) with the reduced dims back as size 1.
    func unsqueezeReduced(dims: Dims, keepdim: Bool, ndim: Int) throws -> Tensor {
        var g = self
        if !keepdim {
            for d in dims.sorted() where d < ndim { g = try g.unsqueeze(d) }
        }
        return g
    }

    /// The number of elements each output of a reduction over `dims` folds.
    static func reducedCount(_ shape: Dims, _ dims: Dims) -> Int {
        var count = 1
        for d in dims where d < shape.count { count *= shape[d] }
        return count
    }
}
