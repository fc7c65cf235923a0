import Glibc

/// Resampling of (..., H, W) planes to (..., OH, OW) (torch's upsample_nearest2d,
/// _upsample_nearest_exact2d and upsample_bilinear2d), with torch's source
/// index arithmetic -- including its float32 index math for the nearest
/// modes -- so the same pixels are picked. Each output axis gets a table of
/// source indices (and weights), then every plane is a gather (forward) or
/// a scatter-add (backward, the adjoint), split across threads by plane.

/// torch.nn.functional.interpolate's modes that Ember implements.
public enum InterpolationMode: String, Sendable, CaseIterable {
    case nearest
    case nearestExact = "nearest-exact"
    case bilinear
}

extension Kernels {
    /// Resamples x (..., H, W) to (..., outputHeight, outputWidth). `scales`
    /// are the user's scale factors (torch uses 1 / scale, not H / OH, when they
    /// are given); `alignCorners` applies to bilinear.
    public static func upsample(_ x: NDArray, outputHeight: Int, outputWidth: Int, mode: InterpolationMode, alignCorners: Bool,
                                scales: (Double?, Double?)) throws -> NDArray {
        try checkUpsample(x.shape, x.dtype, outputHeight, outputWidth)
        var outShape = x.shape
        outShape[x.ndim - 2] = outputHeight
        outShape[x.ndim - 1] = outputWidth
        let out = try NDArray(empty: outShape, dtype: x.dtype)
        if out.count == 0 { return out }
        let xc = try x.contiguous()
        switch x.dtype {
        case .float32: UpsampleLoops<Float>.run(xc.pointer(Float.self), out.pointer(Float.self), x.shape, outShape, mode, alignCorners, scales, backward: false)
        case .float64: UpsampleLoops<Double>.run(xc.pointer(Double.self), out.pointer(Double.self), x.shape, outShape, mode, alignCorners, scales, backward: false)
        case .int64, .bool: throw EmberError.internal("upsample reached the kernel with \(x.dtype)")
        }
        return out
    }

    /// The gradient of `upsample` (its adjoint) for an input of `inputShape`.
    public static func upsampleBackward(_ grad: NDArray, inputShape: Dims, mode: InterpolationMode, alignCorners: Bool,
                                        scales: (Double?, Double?)) throws -> NDArray {
        let n = inputShape.count
        try checkUpsample(inputShape, grad.dtype, grad.ndim >= 2 ? grad.shape[grad.ndim - 2] : 0, grad.ndim >= 2 ? grad.shape[grad.ndim - 1] : 0)
        guard grad.ndim == n, grad.shape.droppingLast(2) == inputShape.droppingLast(2) else {
            throw EmberError.shape("upsample_backward: gradient \(describe(grad.shape)) does not fit input \(describe(inputShape))")
        }
        let out = try NDArray.zeros(inputShape, dtype: grad.dtype)
        if out.count == 0 || grad.count == 0 { return out }
        let gc = try grad.contiguous()
        switch grad.dtype {
        case .float32: UpsampleLoops<Float>.run(out.pointer(Float.self), gc.pointer(Float.self), inputShape, grad.shape, mode, alignCorners, scales, backward: true)
        case .float64: UpsampleLoops<Double>.run(out.pointer(Double.self), gc.pointer(Double.self), inputShape, grad.shape, mode, alignCorners, scales, backward: true)
        case .int64, .bool: throw EmberError.internal("upsample reached the kernel with \(grad.dtype)")
        }
        return out
    }

    static func checkUpsample(_ shape: Dims, _ dtype: DType, _ oh: Int, _ ow: Int) throws {
        guard dtype.isFloatingPoint else {
            throw EmberError.dtype("interpolate is not implemented for \(dtype) tensors (as in torch); convert to a floating dtype")
        }
        guard shape.count >= 2 else { throw EmberError.shape("interpolate: expected at least 2 dimensions, got \(describe(shape))") }
        let h = shape[shape.count - 2], w = shape[shape.count - 1]
        guard h > 0, w > 0, oh > 0, ow > 0 else {
            throw EmberError.shape("interpolate: Input and output sizes should be greater than 0, but got input (H: \(h), W: \(w)) output (H: \(oh), W: \(ow))")
        }
    }
}

/// The typed index tables and loops of the upsampling kernels.
enum UpsampleLoops<T: FloatElement> {
    /// One output position's sources along an axis: indices i0, i1 and their weights.
    struct Tap {
        var i0: Int, i1: Int, l0: T, l1: T
    }

    /// torch's compute_scales_value in float32 (nearest modes always use float).
    static func nearestScale(_ input: Int, _ output: Int, _ scale: Double?) -> Float {
        if let scale, scale > 0 { return Float(1.0 / scale) }
        return Float(input) / Float(output)
    }

    static func taps(_ mode: InterpolationMode, _ input: Int, _ output: Int, _ alignCorners: Bool, _ scale: Double?) -> [Tap] {
        switch mode {
        case .nearest:
            // torch's nearest_idx: the same size and exact doubling are special-cased.
            let s = nearestScale(input, output, scale)
            return (0..<output).map { o in
                let i = output == input ? o : (output == 2 * input ? o >> 1 : Swift.min(Int(floorf(Float(o) * s)), input - 1))
                return Tap(i0: i, i1: i, l0: 1, l1: 0)
            }
        case .nearestExact:
            let s = nearestScale(input, output, scale)
            return (0..<output).map { o in
                let i = Swift.min(Int(floorf(Float((Double(o) + 0.5) * Double(s)))), input - 1)
                return Tap(i0: i, i1: i, l0: 1, l1: 0)
            }
        case .bilinear:
            // torch's area_pixel_compute_scale and compute_source_index_and_lambda.
            let ratio: T
            if output > 1 {
                if alignCorners {
                    ratio = T(input - 1) / T(output - 1)
                } else if let scale, scale > 0 {
                    ratio = T(1.0 / scale)
                } else {
                    ratio = T(input) / T(output)
                }
            } else {
                ratio = 0
            }
            return (0..<output).map { o in
                if output == input { return Tap(i0: o, i1: o, l0: 1, l1: 0) }
                var real: T
                if alignCorners {
                    real = ratio * T(o)
                } else {
                    // scale * (dst + 0.5) - 0.5, evaluated in double as C++ promotes it, clamped at 0.
                    real = T(Double(ratio) * (Double(o) + 0.5) - 0.5)
                    if real < 0 { real = 0 }
                }
                // torch floors through floorf (float) whatever the dtype.
                let i0 = Swift.min(Int(floorf(Float(real))), input - 1)
                let l1 = Swift.min(Swift.max(real - T(i0), 0), 1)
                return Tap(i0: i0, i1: i0 < input - 1 ? i0 + 1 : i0, l0: 1 - l1, l1: l1)
            }
        }
    }

    /// Forward (input -> output) or backward (output gradient scattered into
    /// the zeroed input) over every plane.
    static func run(_ input: UnsafeMutablePointer<T>, _ output: UnsafeMutablePointer<T>, _ inShape: Dims, _ outShape: Dims,
                    _ mode: InterpolationMode, _ alignCorners: Bool, _ scales: (Double?, Double?), backward: Bool) {
        let n = inShape.count
        let h = inShape[n - 2], w = inShape[n - 1], oh = outShape[n - 2], ow = outShape[n - 1]
        let planes = inShape.droppingLast(2).product
        let rows = taps(mode, h, oh, alignCorners, scales.0), cols = taps(mode, w, ow, alignCorners, scales.1)
        let linear = mode == .bilinear
        rows.withUnsafeBufferPointer { rows in
            cols.withUnsafeBufferPointer { cols in
                Parallel.forEach(planes, grain: Swift.max(1, 16_384 / Swift.max(1, oh * ow))) { range in
                    for p in range {
                        let x = input + p * h * w, y = output + p * oh * ow
                        for r in 0..<oh {
                            let tr = rows[r]
                            let x0 = x + tr.i0 * w, x1 = x + tr.i1 * w
                            let yr = y + r * ow
                            if !linear {
                                if backward {
                                    for q in 0..<ow { x0[cols[q].i0] += yr[q] }
                                } else {
                                    for q in 0..<ow { yr[q] = x0[cols[q].i0] }
                                }
                                continue
                            }
                            for q in 0..<ow {
                                let tc = cols[q]
                                if backward {
                                    let g = yr[q]
                                    x0[tc.i0] += tr.l0 * tc.l0 * g
                                    x0[tc.i1] += tr.l0 * tc.l1 * g
                                    x1[tc.i0] += tr.l1 * tc.l0 * g
                                    x1[tc.i1] += tr.l1 * tc.l1 * g
                                } else {
                                    let t0 = x0[tc.i0] * tc.l0 + x0[tc.i1] * tc.l1
                                    let t1 = x1[tc.i0] * tc.l0 + x1[tc.i1] * tc.l1
                                    yr[q] = t0 * tr.l0 + t1 * tr.l1
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
