import EmberTensor

/// Resampling with gradients (torch.nn.functional.interpolate in the modes
/// nearest, nearest-exact and bilinear). The resampling is linear in its
/// input, so its gradient is the adjoint op and the adjoint's gradient is the
/// resampling again.
extension Tensor {
    /// torch.nn.functional.interpolate: resizes the spatial dims of (N, C, L)
    /// (nearest modes) or (N, C, H, W) to `size`, or by `scaleFactor` (one
    /// value for every dim or one per dim; the output is floor(size * scale)).
    /// With a scale factor torch samples with 1 / scale unless
    /// `recomputeScaleFactor`; `alignCorners` (bilinear only; nil is false)
    /// maps the corner pixels' centres onto each other.
    ///
    /// ```swift
    /// let up = try x.interpolate(scaleFactor: [2], mode: .bilinear)   // [1, 3, 8, 8] -> [1, 3, 16, 16]
    /// ```
    public func interpolate(size: [Int]? = nil, scaleFactor: [Double]? = nil, mode: InterpolationMode = .nearest,
                            alignCorners: Bool? = nil, recomputeScaleFactor: Bool? = nil) throws -> Tensor {
        try interpolate("interpolate", size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners,
                        recomputeScaleFactor: recomputeScaleFactor)
    }

    /// interpolate whose errors name `op` (Upsample passes its class name).
    public func interpolate(_ op: String, size: [Int]?, scaleFactor: [Double]?, mode: InterpolationMode, alignCorners: Bool?,
                            recomputeScaleFactor: Bool?) throws -> Tensor {
        if alignCorners != nil && mode != .bilinear {
            throw EmberError.invalidArgument("\(op): align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear (got mode '\(mode.rawValue)')")
        }
        guard dtype.isFloatingPoint else {
            throw EmberError.dtype("\(op): mode '\(mode.rawValue)' is not implemented for \(dtype) tensors (as in torch); convert to a floating dtype")
        }
        guard ndim == 3 || ndim == 4 else {
            throw EmberError.shape("\(op): expected a 3-D (N, C, L) or 4-D (N, C, H, W) input for mode '\(mode.rawValue)', got \(describe(shape))")
        }
        if mode == .bilinear && ndim != 4 {
            throw EmberError.shape("\(op): got a \(ndim)-D input \(describe(shape)), but bilinear mode needs a 4-D input (N, C, H, W)")
        }
        let spatial = ndim - 2
        let inSizes = Array(shape.suffix(spatial))
        var outSizes: [Int] = [], scales: [Double?] = []
        switch (size, scaleFactor) {
        case (nil, nil): throw EmberError.invalidArgument("\(op): either size or scale_factor should be defined")
        case (.some, .some): throw EmberError.invalidArgument("\(op): only one of size or scale_factor should be defined")
        case (let size?, nil):
            guard size.count == 1 || size.count == spatial else {
                throw EmberError.invalidArgument("\(op): input and output must have the same number of spatial dimensions, but got input with spatial dimensions of \(describe(inSizes)) and output size of \(describe(size))")
            }
            outSizes = size.count == 1 ? [Int](repeating: size[0], count: spatial) : size
            scales = [Double?](repeating: nil, count: spatial)
        case (nil, let factors?):
            guard factors.count == 1 || factors.count == spatial else {
                throw EmberError.invalidArgument("\(op): input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of \(describe(inSizes)) and scale_factor of \(factors)")
            }
            let expanded = factors.count == 1 ? [Double](repeating: factors[0], count: spatial) : factors
            for (s, f) in zip(inSizes, expanded) {
                let product = Double(s) * f
                guard product.isFinite, Swift.abs(product) < 9.2e18 else {
                    throw EmberError.invalidArgument("\(op): scale_factor \(f) gives an output size that cannot be represented")
                }
                outSizes.append(Int(product.rounded(.down)))
            }
            scales = recomputeScaleFactor == true ? [Double?](repeating: nil, count: spatial) : expanded.map { Optional($0) }
        }
        guard inSizes.allSatisfy({ $0 > 0 }), outSizes.allSatisfy({ $0 > 0 }) else {
            let names = spatial == 1 ? ["W"] : ["H", "W"]
            func list(_ v: [Int]) -> String { zip(names, v).map { "\($0): \($1)" }.joined(separator: ", ") }
            throw EmberError.shape("\(op): Input and output sizes should be greater than 0, but got input (\(list(inSizes))) output (\(list(outSizes)))")
        }
        guard count > 0 || shape[1] != 0 else {
            throw EmberError.shape("\(op): non-empty \(ndim)-D data tensor expected but got a tensor with sizes \(describe(shape))")
        }
        let sampler = Resampler(mode: mode, alignCorners: alignCorners ?? false,
                                inputShape: spatial == 1 ? Tensor.insertingHeight(shape) : shape,
                                outputHeight: spatial == 1 ? 1 : outSizes[0], outputWidth: outSizes[spatial - 1],
                                scales: spatial == 1 ? (nil, scales[0]) : (scales[0], scales[1]))
        if spatial == 1 { return try sampler.forward(unsqueeze(2)).squeeze(2) }
        return try sampler.forward(self)
    }

    /// One resampling configuration on 4-D tensors: the forward and its adjoint.
    struct Resampler {
        let mode: InterpolationMode
        let alignCorners: Bool
        let inputShape: Dims
        let outputHeight: Int, outputWidth: Int
        let scales: (Double?, Double?)

        var name: String {
            switch mode {
            case .nearest: "UpsampleNearest2D"
            case .nearestExact: "UpsampleNearestExact2D"
            case .bilinear: "UpsampleBilinear2D"
            }
        }

        func forward(_ x: Tensor) throws -> Tensor {
            let value = try Kernels.upsample(x.array, outputHeight: outputHeight, outputWidth: outputWidth, mode: mode,
                                             alignCorners: alignCorners, scales: scales)
            return Tensor.record(value, name + "Backward0", inputs: [x]) { g, _ in [try backward(g)] }
        }

        func backward(_ g: Tensor) throws -> Tensor {
            let value = try Kernels.upsampleBackward(g.array, inputShape: inputShape, mode: mode, alignCorners: alignCorners,
                                                     scales: scales)
            return Tensor.record(value, name + "BackwardBackward0", inputs: [g]) { gg, _ in [try forward(gg)] }
        }
    }
}
