import EmberTensor

/// Layer normalisation with a fused forward and a fused no-graph backward;
/// under create_graph the backward is written in differentiable ops (the
/// statistics recomputed from the saved input), so it can be differentiated again.
extension Tensor {
    /// torch.nn.functional.layer_norm: normalises over the trailing
    /// `normalizedShape` dims, (x - mean) / sqrt(var + eps) with the biased
    /// variance, then times `weight` and plus `bias` (both of shape
    /// `normalizedShape`, optional).
    ///
    /// ```swift
    /// let y = try x.layerNorm(normalizedShape: [128], weight: gamma, bias: beta)   // x: (B, T, 128)
    /// ```
    public func layerNorm(normalizedShape: Dims, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        let k = normalizedShape.count
        guard k >= 1 else {
            throw EmberError.invalidArgument("layer_norm: expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []")
        }
        guard ndim >= k, Dims(shape.dropFirst(ndim - k)) == normalizedShape else {
            throw EmberError.shape("layer_norm: given normalized_shape=\(describe(normalizedShape)), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size \(describe(shape))")
        }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("layer_norm: expected a floating input, got \(dtype)") }
        for (name, p) in [("weight", weight), ("bias", bias)] {
            guard let p else { continue }
            guard p.shape == normalizedShape else {
                throw EmberError.shape("layer_norm: expected \(name) to be of same shape as normalized_shape, but got \(name) of shape \(describe(p.shape)) and normalized_shape = \(describe(normalizedShape))")
            }
            guard p.dtype == dtype else { throw EmberError.dtype("layer_norm: input is \(dtype) but \(name) is \(p.dtype)") }
        }
        guard eps.isFinite, eps >= 0 else { throw EmberError.invalidArgument("layer_norm: eps must be a non-negative number, got \(eps)") }
        let n = normalizedShape.product
        let (value, mean, rstd) = try Kernels.layerNorm(array, rowLength: n, weight: weight?.array, bias: bias?.array, eps: eps)
        var inputs = [self]
        var weightIndex: Int?, biasIndex: Int?
        if let weight { weightIndex = inputs.count; inputs.append(weight) }
        if let bias { biasIndex = inputs.count; inputs.append(bias) }
        return Tensor.record(value, "NativeLayerNormBackward0", inputs: inputs, saving: weight.map { [self, $0] } ?? [self]) { g, ctx in
            let x = try ctx.saved(0), w = weightIndex == nil ? nil : try ctx.saved(1)
            let needW = weightIndex.map { ctx.needsGrad($0) } ?? false, needB = biasIndex.map { ctx.needsGrad($0) } ?? false
            var grads: [Tensor?]
            if !GradMode.isEnabled {
                // Nobody differentiates this backward: one fused kernel from the saved statistics.
                let (gx, gw, gb) = try Kernels.layerNormBackward(grad: g.array, input: x.array, mean: mean, rstd: rstd, weight: w?.array,
                                                                 rowLength: n, input: ctx.needsGrad(0), weight: needW, bias: needB)
                grads = [gx.map { Tensor($0) }]
                if weightIndex != nil { grads.append(try gw.map { Tensor(try $0.reshaped(normalizedShape)) }) }
                if biasIndex != nil { grads.append(try gb.map { Tensor(try $0.reshaped(normalizedShape)) }) }
                return Gradients(grads)
            }
            let (gx, gw, gb) = try Tensor.layerNormGradients(g, x, w, normalizedShape: normalizedShape, eps: eps,
                                                             input: ctx.needsGrad(0), weight: needW, bias: needB)
            grads = [gx]
            if weightIndex != nil { grads.append(gw) }
            if biasIndex != nil { grads.append(gb) }
            return Gradients(grads)
        }
    }

    /// The gradients of layer_norm in differentiable ops. With xhat = (x - mean) * rstd
    /// and gw = g * weight: d/dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)),
    /// d/dweight = sum(g * xhat), d/dbias = sum(g) over the leading dims.
    static func layerNormGradients(_ g: Tensor, _ x: Tensor, _ w: Tensor?, normalizedShape: Dims, eps: Double,
                                   input needX: Bool, weight needW: Bool, bias needB: Bool) throws -> (Tensor?, Tensor?, Tensor?) {
        let k = normalizedShape.count, lead = x.ndim - k
        let rowDims = Dims(lead..<x.ndim), leadDims = Dims(0..<lead)
        let centred = try x.sub(x.mean(dims: rowDims, keepdim: true))
        let rstd = try centred.mul(centred).mean(dims: rowDims, keepdim: true).add(eps).rsqrt()
        let xhat = try centred.mul(rstd)
        func sumLeading(_ t: Tensor) throws -> Tensor { leadDims.isEmpty ? t : try t.sum(dims: leadDims) }
        var gx: Tensor?
        if needX {
            let gw = try w.map { try g.mul($0) } ?? g
            let a = try gw.mean(dims: rowDims, keepdim: true), c = try gw.mul(xhat).mean(dims: rowDims, keepdim: true)
            gx = try rstd.mul(gw.sub(a).sub(xhat.mul(c)))
        }
        let gw = needW ? try sumLeading(g.mul(xhat)) : nil
        let gb = needB ? try sumLeading(g) : nil
        return (gx, gw, gb)
    }
}
