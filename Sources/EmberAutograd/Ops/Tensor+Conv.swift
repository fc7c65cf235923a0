import EmberTensor

/// Convolutions with gradients (torch.nn.functional.conv1d, conv2d,
/// conv_transpose2d). Everything runs on three 2-D primitives that are each
/// other's gradients, so derivatives of any order exist:
///
/// - convolution(x, w):          d/dx = transposed(g, w),   d/dw = weightGradient(x, g)
/// - transposed(y, w):           d/dy = convolution(g, w),  d/dw = weightGradient(g, y)
/// - weightGradient(x, gy):      d/dx = transposed(gy, G),  d/dgy = convolution(x, G)
///
/// 1-D convolutions are 2-D ones of height 1 and unbatched inputs get a batch
/// of 1, both as views, so their gradients flow through the same rules. When
/// nobody differentiates the backward itself (grad mode off inside it), the
/// input, weight and bias gradients come from one fused kernel pass.
extension Tensor {
    /// torch.nn.functional.conv2d: x (N, C_in, H, W) or (C_in, H, W), weight
    /// (C_out, C_in / groups, kH, kW), bias (C_out) or nil. `stride`,
    /// `padding` and `dilation` hold one value for both dims or one per dim.
    ///
    /// ```swift
    /// let y = try x.conv2d(weight: w, bias: b, padding: .same)   // [8, 3, 28, 28] -> [8, 16, 28, 28]
    /// ```
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1], padding: ConvPadding = 0,
                       dilation: [Int] = [1], groups: Int = 1) throws -> Tensor {
        try convolution("conv2d", spatial: 2, weight: weight, bias: bias,
                        ConvOptions(stride: stride, padding: padding, dilation: dilation, groups: groups))
    }

    /// torch.nn.functional.conv1d: x (N, C_in, L) or (C_in, L), weight
    /// (C_out, C_in / groups, kL), bias (C_out) or nil.
    public func conv1d(weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1], padding: ConvPadding = 0,
                       dilation: [Int] = [1], groups: Int = 1) throws -> Tensor {
        try convolution("conv1d", spatial: 1, weight: weight, bias: bias,
                        ConvOptions(stride: stride, padding: padding, dilation: dilation, groups: groups))
    }

    /// torch.nn.functional.conv_transpose2d: x (N, C_in, H, W) or (C_in, H,
    /// W), weight (C_in, C_out / groups, kH, kW), bias (C_out) or nil; the
    /// output is (H - 1) * stride - 2 * padding + dilation * (kH - 1) +
    /// output_padding + 1 high (likewise wide).
    public func convTranspose2d(weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                                outputPadding: [Int] = [0], groups: Int = 1, dilation: [Int] = [1]) throws -> Tensor {
        try convolutionTransposed("conv_transpose2d", spatial: 2, weight: weight, bias: bias,
                                  ConvOptions(stride: stride, padding: .explicit(padding), dilation: dilation, groups: groups,
                                              outputPadding: outputPadding))
    }

    /// A convolution over `spatial` (1 or 2) dims whose errors name `op`
    /// (modules pass their class name).
    public func convolution(_ op: String, spatial: Int, weight: Tensor, bias: Tensor?, _ options: ConvOptions) throws -> Tensor {
        try ConvGeometry.checkDTypes(op, input: dtype, weight: weight.dtype, bias: bias?.dtype)
        let (g, unbatched) = try ConvGeometry.convolution(op, spatial: spatial, input: shape, weight: weight.shape,
                                                          bias: bias?.shape, options)
        let x = try lifted(spatial: spatial, unbatched: unbatched)
        let w = spatial == 1 ? try weight.unsqueeze(2) : weight
        return try Tensor.convolution2d(x, w, bias, g).lowered(spatial: spatial, unbatched: unbatched)
    }

    /// A transposed convolution over `spatial` dims whose errors name `op`.
    public func convolutionTransposed(_ op: String, spatial: Int, weight: Tensor, bias: Tensor?, _ options: ConvOptions) throws -> Tensor {
        try ConvGeometry.checkDTypes(op, input: dtype, weight: weight.dtype, bias: bias?.dtype)
        let (g, unbatched) = try ConvGeometry.transposed(op, spatial: spatial, input: shape, weight: weight.shape,
                                                         bias: bias?.shape, options)
        let x = try lifted(spatial: spatial, unbatched: unbatched)
        let w = spatial == 1 ? try weight.unsqueeze(2) : weight
        return try Tensor.transposedConvolution2d(x, w, bias, g).lowered(spatial: spatial, unbatched: unbatched)
    }

    /// The (N, C, H, W) view of a (C, ...) or (N, C, L) input.
    func lifted(spatial: Int, unbatched: Bool) throws -> Tensor {
        let batched = unbatched ? try unsqueeze(0) : self
        return spatial == 1 ? try batched.unsqueeze(2) : batched
    }

    /// Undoes `lifted` on a result.
    func lowered(spatial: Int, unbatched: Bool) throws -> Tensor {
        let flat = spatial == 1 ? try squeeze(2) : self
        return unbatched ? try flat.squeeze(0) : flat
    }

    // MARK: - The three primitives

    /// conv2d on validated 4-D operands.
    static func convolution2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvGeometry) throws -> Tensor {
        let value = try Kernels.convolution(x.array, weight: w.array, bias: b?.array, geometry: g)
        let hasBias = b != nil
        let inputs = b.map { [x, w, $0] } ?? [x, w]
        return Tensor.record(value, "ConvolutionBackward0", inputs: inputs, saving: [x, w]) { gy, ctx in
            let x = try ctx.saved(0), w = try ctx.saved(1)
            let needBias = hasBias && ctx.needsGrad(2)
            if !GradMode.isEnabled {
                let (gx, gw, gb) = try Kernels.convolutionBackward(input: x.array, gradOutput: gy.array, weight: w.array, geometry: g,
                                                                   needInput: ctx.needsGrad(0), needWeight: ctx.needsGrad(1),
                                                                   needBias: needBias)
                return hasBias ? Gradients(gx.map { Tensor($0) }, gw.map { Tensor($0) }, gb.map { Tensor($0) })
                    : Gradients(gx.map { Tensor($0) }, gw.map { Tensor($0) })
            }
            let grads = [ctx.needsGrad(0) ? try transposedConvolution2d(gy, w, nil, g) : nil,
                         ctx.needsGrad(1) ? try convolutionWeightGradient(x, gy, g) : nil]
            return Gradients(hasBias ? grads + [needBias ? try gy.sum(dims: [0, 2, 3]) : nil] : grads)
        }
    }

    /// conv_transpose2d on validated 4-D operands: y has the geometry's
    /// output shape, the result its input shape.
    static func transposedConvolution2d(_ y: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvGeometry) throws -> Tensor {
        let value = try Kernels.convolutionTranspose(y.array, weight: w.array, bias: b?.array, geometry: g)
        let hasBias = b != nil
        let inputs = b.map { [y, w, $0] } ?? [y, w]
        return Tensor.record(value, "ConvolutionBackward0", inputs: inputs, saving: [y, w]) { gx, ctx in
            let y = try ctx.saved(0), w = try ctx.saved(1)
            let needBias = hasBias && ctx.needsGrad(2)
            let grads = [ctx.needsGrad(0) ? try convolution2d(gx, w, nil, g) : nil,
                         ctx.needsGrad(1) ? try convolutionWeightGradient(gx, y, g) : nil]
            return Gradients(hasBias ? grads + [needBias ? try gx.sum(dims: [0, 2, 3]) : nil] : grads)
        }
    }

    /// The weight gradient of conv2d for input x and output gradient gy.
    static func convolutionWeightGradient(_ x: Tensor, _ gy: Tensor, _ g: ConvGeometry) throws -> Tensor {
        let value = try Kernels.convolutionWeightGradient(input: x.array, gradOutput: gy.array, geometry: g)
        return Tensor.record(value, "ConvolutionBackwardBackward0", inputs: [x, gy], saving: [x, gy]) { gw, ctx in
            let x = try ctx.saved(0), gy = try ctx.saved(1)
            return [ctx.needsGrad(0) ? try transposedConvolution2d(gy, gw, nil, g) : nil,
                    ctx.needsGrad(1) ? try convolution2d(x, gw, nil, g) : nil]
        }
    }
}
