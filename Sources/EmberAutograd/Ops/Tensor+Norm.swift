import EmberTensor

/// Batch norm and group norm (torch.nn.functional.batch_norm, group_norm):
/// one fused kernel for the statistics and the transform, one node whose
/// backward runs the fused gradient kernel when nobody differentiates it and
/// torch's formula in differentiable ops otherwise (so second derivatives,
/// through the batch statistics too, are right).
extension Tensor {
    /// torch.nn.functional.batch_norm over an input (N, C, ...): per channel,
    /// (x - mean) / sqrt(var + eps) * weight + bias. With `training` the mean
    /// and the biased variance come from the batch, and running statistics
    /// (if given) are updated in place as momentum * batch + (1 - momentum) *
    /// running, with the unbiased variance for running_var; otherwise the
    /// running statistics are used.
    ///
    /// ```swift
    /// let y = try x.batchNorm(runningMean: mean, runningVar: variance, weight: gamma, bias: beta, training: true)
    /// ```
    public func batchNorm(runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                          training: Bool = false, momentum: Double = 0.1, eps: Double = 1e-5) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("batch_norm: expected a floating input, got \(dtype)") }
        guard ndim >= 2 else {
            throw EmberError.shape("batch_norm: expected an input of shape (N, C, ...) with at least 2 dims, got \(describe(shape))")
        }
        guard (runningMean == nil) == (runningVar == nil) else {
            throw EmberError.invalidArgument("batch_norm: running_mean and running_var must either both be None or neither be None")
        }
        let channels = shape[1]
        for (name, t) in [("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)] {
            guard let t else { continue }
            guard t.shape == [channels] else {
                throw EmberError.shape("batch_norm: \(name) should contain \(channels) elements (one per channel of the input \(describe(shape))), got shape \(describe(t.shape))")
            }
            guard t.dtype == dtype else { throw EmberError.dtype("batch_norm: \(name) is \(t.dtype) but the input is \(dtype)") }
        }
        if count == 0 { return emptyNormalization("NativeBatchNormBackward0", weight: weight, bias: bias) }
        let layout = NormLayout(batchNormOf: shape)
        var mean: [Double], invstd: [Double]
        if training {
            guard layout.groupSize != 1 else {
                throw EmberError.invalidArgument("batch_norm: expected more than 1 value per channel when training, got input size \(describe(shape))")
            }
            guard eps > 0 else { throw EmberError.invalidArgument("batch_norm: eps must be positive during training, but got \(eps)") }
            let (batchMean, variance) = try Kernels.normStatistics(array, layout)
            mean = batchMean
            invstd = variance.map { 1 / ($0 + eps).squareRoot() }
            if let runningMean, let runningVar {
                let n = Double(layout.groupSize)
                let unbiased = variance.map { $0 * n / (n - 1) }
                try GradMode.with(false) {
                    try runningMean.copy_(Tensor(Kernels.runningAverage(runningMean.array, batchMean, momentum: momentum)))
                    try runningVar.copy_(Tensor(Kernels.runningAverage(runningVar.array, unbiased, momentum: momentum)))
                }
            }
        } else {
            guard let runningMean, let runningVar else {
                throw EmberError.invalidArgument("batch_norm: running_mean and running_var must be defined in evaluation mode (training false)")
            }
            guard eps >= 0 else { throw EmberError.invalidArgument("batch_norm: eps must be non-negative, but got \(eps)") }
            mean = runningMean.toDoubles()
            invstd = runningVar.toDoubles().map { 1 / ($0 + eps).squareRoot() }
        }
        let value = try Kernels.normalize(array, layout, mean: mean, invstd: invstd, weight: weight?.array, bias: bias?.array)
        return recordNormalization(value, "NativeBatchNormBackward0", layout, weight: weight, bias: bias, mean: mean, invstd: invstd,
                                   eps: eps, batchStatistics: training)
    }

    /// torch.nn.functional.group_norm over an input (N, C, ...): the channels
    /// are split into `numGroups` groups, each sample's group normalised by its
    /// own mean and biased variance, then scaled and shifted per channel.
    public func groupNorm(numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("group_norm: expected a floating input, got \(dtype)") }
        guard ndim >= 2 else {
            throw EmberError.shape("group_norm: expected at least 2 dimensions for input tensor but received \(ndim) (shape \(describe(shape)))")
        }
        guard numGroups > 0 else { throw EmberError.invalidArgument("group_norm: num_groups must be positive, got \(numGroups)") }
        let channels = shape[1]
        guard channels % numGroups == 0 else {
            throw EmberError.shape("group_norm: expected number of channels in input to be divisible by num_groups, but got input of shape \(describe(shape)) and num_groups=\(numGroups)")
        }
        for (name, t) in [("weight", weight), ("bias", bias)] {
            guard let t else { continue }
            guard t.shape == [channels] else {
                throw EmberError.shape("group_norm: expected \(name) to be a vector of size equal to the number of channels in input, but got \(name) of shape \(describe(t.shape)) and input of shape \(describe(shape))")
            }
            guard t.dtype == dtype else { throw EmberError.dtype("group_norm: \(name) is \(t.dtype) but the input is \(dtype)") }
        }
        if count == 0 { return emptyNormalization("NativeGroupNormBackward0", weight: weight, bias: bias) }
        let layout = NormLayout(groupNormOf: shape, groups: numGroups)
        // torch's _verify_batch_size on [N * C / G, G, *spatial].
        if shape[0] * (channels / numGroups) * layout.spatial == 1 {
            throw EmberError.invalidArgument("group_norm: expected more than 1 value per channel when training, got input size \(describe([shape[0] * channels / numGroups, numGroups] + shape.dropFirst(2)))")
        }
        let (mean, variance) = try Kernels.normStatistics(array, layout)
        let invstd = variance.map { 1 / ($0 + eps).squareRoot() }
        let value = try Kernels.normalize(array, layout, mean: mean, invstd: invstd, weight: weight?.array, bias: bias?.array)
        return recordNormalization(value, "NativeGroupNormBackward0", layout, weight: weight, bias: bias, mean: mean, invstd: invstd,
                                   eps: eps, batchStatistics: true)
    }

    /// An input without elements: an empty result (running statistics
    /// untouched), and zero gradients for the weight and bias, as torch.
    func emptyNormalization(_ name: String, weight: Tensor?, bias: Tensor?) -> Tensor {
        let inputs = [self] + [weight, bias].compactMap { $0 }
        let (inputShape, inputType) = (shape, dtype)
        let parameterShapes = inputs.dropFirst().map { ($0.shape, $0.dtype) }
        let value = (try? NDArray(empty: shape, dtype: dtype)) ?? array
        return Tensor.record(value, name, inputs: inputs) { _, ctx in
            Gradients([ctx.needsGrad(0) ? try Tensor.zeros(inputShape, dtype: inputType) : nil]
                + (try parameterShapes.enumerated().map { i, p in ctx.needsGrad(i + 1) ? try Tensor.zeros(p.0, dtype: p.1) : nil }))
        }
    }

    /// Records the node of a normalisation whose inputs are self, then weight
    /// and bias when given. The statistics are captured as values.
    func recordNormalization(_ value: NDArray, _ name: String, _ layout: NormLayout, weight: Tensor?, bias: Tensor?, mean: [Double],
                             invstd: [Double], eps: Double, batchStatistics: Bool) -> Tensor {
        let hasWeight = weight != nil, hasBias = bias != nil
        var inputs = [self]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let inputShape = shape
        return Tensor.record(value, name, inputs: inputs, saving: [self] + (weight.map { [$0] } ?? [])) { g, ctx in
            let x = try ctx.saved(0), w = hasWeight ? try ctx.saved(1) : nil
            let needs = (ctx.needsGrad(0), hasWeight && ctx.needsGrad(1), hasBias && ctx.needsGrad(hasWeight ? 2 : 1))
            var grads: (Tensor?, Tensor?, Tensor?)
            if !GradMode.isEnabled {
                // Nobody differentiates this backward: the fused kernel.
                let (gx, gw, gb) = try Kernels.normBackward(grad: g.array, input: x.array, layout, mean: mean, invstd: invstd,
                                                            weight: w?.array, batchStatistics: batchStatistics, input: needs.0,
                                                            weight: needs.1, bias: needs.2)
                grads = (try gx.map { Tensor(try $0.reshaped(inputShape)) }, gw.map { Tensor($0) }, gb.map { Tensor($0) })
            } else {
                grads = try Tensor.normalizationGradients(g, x, w, layout, eps: eps, mean: mean, invstd: invstd,
                                                          batchStatistics: batchStatistics, needs: needs)
            }
            var out: [Tensor?] = [grads.0]
            if hasWeight { out.append(grads.1) }
            if hasBias { out.append(grads.2) }
            return Gradients(out)
        }
    }

    /// The gradients in differentiable ops (torch's batch_norm_backward and
    /// group norm's): with batch statistics they are recomputed from x so that
    /// their own dependence on x is differentiated too.
    static func normalizationGradients(_ g: Tensor, _ x: Tensor, _ w: Tensor?, _ layout: NormLayout, eps: Double, mean: [Double],
                                       invstd: [Double], batchStatistics: Bool,
                                       needs: (Bool, Bool, Bool)) throws -> (Tensor?, Tensor?, Tensor?) {
        let (n, c, s) = (layout.batch, layout.channels, layout.spatial)
        let x3 = try x.reshape([n, c, s]), g3 = try g.reshape([n, c, s])
        // dL/dxhat: the incoming gradient through the weight.
        let gradXhat = try w.map { try g3.mul($0.reshape([1, c, 1])) } ?? g3
        var gradInput: Tensor? = nil
        let xhat: Tensor
        if batchStatistics {
            // Statistics groups: channels over (N, S) for batch norm, (C / G, S) per sample for group norm.
            let grouped: (Tensor) throws -> Tensor = layout.groups == 0 ? { $0 } : { try $0.reshape([n, layout.groups, c / layout.groups * s]) }
            let dims: Dims = layout.groups == 0 ? [0, 2] : [2]
            let xs = try grouped(x3)
            let centered = try xs.sub(xs.mean(dims: dims, keepdim: true))
            let istd = try centered.square().mean(dims: dims, keepdim: true).add(eps).rsqrt()
            let xhatGrouped = try centered.mul(istd)
            if needs.0 {
                let gs = try grouped(gradXhat)
                let projection = try xhatGrouped.mul(gs.mul(xhatGrouped).mean(dims: dims, keepdim: true))
                gradInput = try istd.mul(gs.sub(gs.mean(dims: dims, keepdim: true)).sub(projection)).reshape(x.shape)
            }
            xhat = try xhatGrouped.reshape([n, c, s])
        } else {
            // Eval-mode batch norm: the running statistics are constants.
            let m = try Tensor.from(mean, shape: [1, c, 1], dtype: x.dtype)
            let k = try Tensor.from(invstd, shape: [1, c, 1], dtype: x.dtype)
            xhat = try x3.sub(m).mul(k)
            if needs.0 { gradInput = try gradXhat.mul(k).reshape(x.shape) }
        }
        return (gradInput, needs.1 ? try g3.mul(xhat).sum(dims: [0, 2]) : nil, needs.2 ? try g3.sum(dims: [0, 2]) : nil)
    }
}
