import EmberTensor

/// Pooling with gradients (torch.nn.functional.max_pool1d/2d, avg_pool2d,
/// adaptive_avg_pool2d). Pooling works on the trailing spatial dims of any
/// number of planes, so unbatched inputs need no special case; 1-D pooling is
/// 2-D pooling of height 1.
///
/// Gradients: max pooling sends each output gradient to the index of its
/// maximum (a scatter-add, whose own gradient is a gather); average and
/// adaptive pooling are linear, so each backward is the adjoint op, whose
/// gradient is the forward op again -- every order is differentiable.
extension Tensor {
    // MARK: - Max pooling

    /// torch.nn.functional.max_pool2d on (N, C, H, W) or (C, H, W); `stride`
    /// nil is the kernel size. Ties go to the first maximum; NaN propagates.
    ///
    /// ```swift
    /// let y = try x.maxPool2d(kernelSize: [2])   // [8, 16, 28, 28] -> [8, 16, 14, 14]
    /// ```
    public func maxPool2d(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1],
                          ceilMode: Bool = false) throws -> Tensor {
        try maxPool("max_pool2d", spatial: 2, PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding,
                                                           dilation: dilation, ceilMode: ceilMode), withIndices: false).values
    }

    /// max_pool2d with return_indices=True: the maxima and their int64 indices
    /// into each flattened (H * W) input plane.
    public func maxPool2dWithIndices(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1],
                                     ceilMode: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try maxPool("max_pool2d", spatial: 2, PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding,
                                                           dilation: dilation, ceilMode: ceilMode))
    }

    /// torch.nn.functional.max_pool1d on (N, C, L) or (C, L).
    public func maxPool1d(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1],
                          ceilMode: Bool = false) throws -> Tensor {
        try maxPool("max_pool1d", spatial: 1, PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding,
                                                           dilation: dilation, ceilMode: ceilMode), withIndices: false).values
    }

    /// max_pool1d with return_indices=True (indices into each length-L row).
    public func maxPool1dWithIndices(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1],
                                     ceilMode: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try maxPool("max_pool1d", spatial: 1, PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding,
                                                           dilation: dilation, ceilMode: ceilMode))
    }

    /// Max pooling over `spatial` (1 or 2) trailing dims whose errors name `op`.
    public func maxPool(_ op: String, spatial: Int, _ options: PoolOptions) throws -> (values: Tensor, indices: Tensor) {
        let (values, indices) = try maxPool(op, spatial: spatial, options, withIndices: true)
        guard let indices else { throw EmberError.internal("\(op): no indices") }
        return (values, indices)
    }

    /// Max pooling; the indices are computed only if `withIndices` or the
    /// result records a gradient (they route it back).
    public func maxPool(_ op: String, spatial: Int, _ options: PoolOptions, withIndices: Bool) throws -> (values: Tensor, indices: Tensor?) {
        guard dtype != .bool else { throw EmberError.dtype("\(op) is not implemented for bool tensors (as in torch)") }
        let (g, outShape) = try PoolGeometry.pooling(op, spatial: spatial, input: shape, options)
        // The kernel sees (..., H, W): a 1-D input gets a height of 1.
        let inputShape = shape
        let kernelIn = spatial == 1 ? try array.unsqueezed(ndim - 1) : array
        let kernelOut = spatial == 1 ? Tensor.insertingHeight(outShape) : outShape
        // Indices only when asked for or needed by the backward.
        let (v, i) = try Kernels.maxPool2d(kernelIn, geometry: g, outputShape: kernelOut,
                                           withIndices: withIndices || Tensor.recording(self))
        let values = try v.reshaped(outShape)
        guard let i else { return (Tensor(values), nil) }
        let indices = Tensor(try i.reshaped(outShape))
        let planes = g.planes, plane = g.inputHeight * g.inputWidth, outPlane = g.outputHeight * g.outputWidth
        let kernelInShape = kernelIn.shape
        let result = Tensor.record(values, spatial == 1 ? "MaxPool1DWithIndicesBackward0" : "MaxPool2DWithIndicesBackward0",
                                   inputs: [self], saving: [indices]) { gy, ctx in
            let idx = try ctx.saved(0)
            if !GradMode.isEnabled {
                let gx = try Kernels.maxPool2dBackward(gy.array.reshaped(kernelOut), indices: idx.array.reshaped(kernelOut),
                                                       geometry: g, inputShape: kernelInShape)
                return [Tensor(try gx.reshaped(inputShape))]
            }
            // Differentiable: a scatter-add over flattened planes (its gradient gathers).
            let zeros = try Tensor.zeros([planes, plane], dtype: gy.dtype)
            return [try zeros.scatterAdd(dim: 1, index: idx.reshape([planes, outPlane]), src: gy.reshape([planes, outPlane]))
                .reshape(inputShape)]
        }
        return (result, indices)
    }

    /// `shape` with a 1 inserted before its last dim.
    static func insertingHeight(_ shape: Dims) -> Dims {
        var s = shape
        s.insert(1, at: s.count - 1)
        return s
    }

    // MARK: - Average pooling

    /// torch.nn.functional.avg_pool2d on (N, C, H, W) or (C, H, W): window
    /// means dividing by the window clipped to the padded input
    /// (`countIncludePad`), by the input elements it covers, or by
    /// `divisorOverride`.
    public func avgPool2d(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], ceilMode: Bool = false,
                          countIncludePad: Bool = true, divisorOverride: Int? = nil) throws -> Tensor {
        try avgPool("avg_pool2d", PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode),
                    countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }

    /// avg_pool2d whose errors name `op`.
    public func avgPool(_ op: String, _ options: PoolOptions, countIncludePad: Bool, divisorOverride: Int?) throws -> Tensor {
        guard dtype != .bool else { throw EmberError.dtype("\(op) is not implemented for bool tensors (as in torch)") }
        if let divisorOverride, divisorOverride == 0 { throw EmberError.invalidArgument("\(op): divisor must be not zero") }
        let (g, outShape) = try PoolGeometry.pooling(op, spatial: 2, input: shape, options)
        let pool = AveragePool(geometry: g, inputShape: shape, outputShape: outShape, countIncludePad: countIncludePad,
                               divisorOverride: divisorOverride)
        return try pool.forward(self)
    }

    /// One avg_pool2d configuration: the forward and its adjoint, each the other's gradient.
    struct AveragePool {
        let geometry: PoolGeometry
        let inputShape: Dims, outputShape: Dims
        let countIncludePad: Bool
        let divisorOverride: Int?

        func forward(_ x: Tensor) throws -> Tensor {
            let value = try Kernels.avgPool2d(x.array, geometry: geometry, outputShape: outputShape,
                                              countIncludePad: countIncludePad, divisorOverride: divisorOverride)
            return Tensor.record(value, "AvgPool2DBackward0", inputs: [x]) { g, _ in [try backward(g)] }
        }

        func backward(_ g: Tensor) throws -> Tensor {
            let value = try Kernels.avgPool2dBackward(g.array, geometry: geometry, inputShape: inputShape,
                                                      countIncludePad: countIncludePad, divisorOverride: divisorOverride)
            return Tensor.record(value, "AvgPool2DBackwardBackward0", inputs: [g]) { gg, _ in [try forward(gg)] }
        }
    }

    // MARK: - Adaptive average pooling

    /// torch.nn.functional.adaptive_avg_pool2d on (N, C, H, W) or (C, H, W):
    /// `outputSize` is one size for both dims or (OH, OW); nil keeps that
    /// dim's input size.
    ///
    /// ```swift
    /// let y = try x.adaptiveAvgPool2d(outputSize: [1])   // global average: [8, 64, 7, 7] -> [8, 64, 1, 1]
    /// ```
    public func adaptiveAvgPool2d(outputSize: [Int?]) throws -> Tensor {
        try adaptiveAvgPool("adaptive_avg_pool2d", outputSize: outputSize)
    }

    /// adaptive_avg_pool2d whose errors name `op`.
    public func adaptiveAvgPool(_ op: String, outputSize: [Int?]) throws -> Tensor {
        guard dtype.isFloatingPoint else {
            throw EmberError.dtype("\(op) is not implemented for \(dtype) tensors (as in torch); convert to a floating dtype")
        }
        let outShape = try Kernels.adaptivePoolShape(op, input: shape, outputSize: outputSize)
        return try AdaptivePool(inputShape: shape, outputShape: outShape).forward(self)
    }

    struct AdaptivePool {
        let inputShape: Dims, outputShape: Dims

        func forward(_ x: Tensor) throws -> Tensor {
            let value = try Kernels.adaptiveAvgPool2d(x.array, outputShape: outputShape)
            return Tensor.record(value, "AdaptiveAvgPool2DBackward0", inputs: [x]) { g, _ in [try backward(g)] }
        }

        func backward(_ g: Tensor) throws -> Tensor {
            let value = try Kernels.adaptiveAvgPool2dBackward(g.array, inputShape: inputShape)
            return Tensor.record(value, "AdaptiveAvgPool2DBackwardBackward0", inputs: [g]) { gg, _ in [try forward(gg)] }
        }
    }
}
