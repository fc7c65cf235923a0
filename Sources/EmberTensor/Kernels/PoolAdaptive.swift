/// Adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d): output
/// cell i of n over an input of size s averages input rows floor(i * s / n)
/// ..< ceil((i + 1) * s / n), so windows may overlap and differ in size.
extension Kernels {
    /// The output size for `outputSize` (an int for both dims, two ints, nil
    /// keeping the input's size) after torch's checks: a 3-D (C, H, W) or 4-D
    /// input with non-empty non-batch dims, sizes at least 0.
    public static func adaptivePoolShape(_ op: String, input: Dims, outputSize: [Int?]) throws -> Dims {
        guard input.count == 3 || input.count == 4 else {
            throw EmberError.shape("\(op): expected a 3-D (unbatched) or 4-D (batched) input (N, C, H, W), got \(describe(input))")
        }
        for d in (input.count - 3)..<input.count where input[d] == 0 {
            throw EmberError.shape("\(op): expected input to have non-zero size for non-batch dimensions, but input has sizes \(describe(input)) with dimension \(d) being empty")
        }
        let sizes: [Int?]
        switch outputSize.count {
        case 1: sizes = [outputSize[0], outputSize[0]]
        case 2: sizes = outputSize
        default: throw EmberError.invalidArgument("\(op): output_size must be an int or 2 values, got \(outputSize.count)")
        }
        var out = input
        for d in 0..<2 {
            let size = sizes[d] ?? input[input.count - 2 + d]
            guard size >= 0 else {
                throw EmberError.invalidArgument("\(op): elements of output_size must be greater than or equal to 0 but received \(sizes.map { $0.map(String.init) ?? "None" })")
            }
            out[input.count - 2 + d] = size
        }
        _ = try Shapes.count(out)
        return out
    }

    /// adaptive_avg_pool2d of x (..., H, W) to `outputShape` (..., OH, OW).
    public static func adaptiveAvgPool2d(_ x: NDArray, outputShape: Dims) throws -> NDArray {
        let (rows, cols) = try adaptiveWindows("adaptive_avg_pool2d", input: x.shape, output: outputShape, dtype: x.dtype)
        let out = try NDArray(empty: outputShape, dtype: x.dtype)
        if out.count == 0 { return out }
        let xc = try x.contiguous()
        switch x.dtype {
        case .float32: adaptiveLoop(xc.pointer(Float.self), out.pointer(Float.self), x.shape, rows, cols, backward: false)
        case .float64: adaptiveLoop(xc.pointer(Double.self), out.pointer(Double.self), x.shape, rows, cols, backward: false)
        case .int64, .bool: throw EmberError.internal("adaptive_avg_pool2d reached the kernel with \(x.dtype)")
        }
        return out
    }

    /// The gradient of adaptive_avg_pool2d (its adjoint): each output
    /// gradient divided by its window size, added over the window.
    public static func adaptiveAvgPool2dBackward(_ grad: NDArray, inputShape: Dims) throws -> NDArray {
        let (rows, cols) = try adaptiveWindows("adaptive_avg_pool2d_backward", input: inputShape, output: grad.shape, dtype: grad.dtype)
        let out = try NDArray.zeros(inputShape, dtype: grad.dtype)
        if out.count == 0 || grad.count == 0 { return out }
        let gc = try grad.contiguous()
        switch grad.dtype {
        case .float32: adaptiveLoop(out.pointer(Float.self), gc.pointer(Float.self), inputShape, rows, cols, backward: true)
        case .float64: adaptiveLoop(out.pointer(Double.self), gc.pointer(Double.self), inputShape, rows, cols, backward: true)
        case .int64, .bool: throw EmberError.internal("adaptive_avg_pool2d reached the kernel with \(grad.dtype)")
        }
        return out
    }

    /// The windows along each spatial dim, after checking the shapes agree.
    static func adaptiveWindows(_ op: String, input: Dims, output: Dims, dtype: DType) throws -> ([Range<Int>], [Range<Int>]) {
        guard dtype.isFloatingPoint else {
            throw EmberError.dtype("\(op) is not implemented for \(dtype) tensors (as in torch); convert to a floating dtype")
        }
        guard input.count >= 2, output.count == input.count, input.droppingLast(2) == output.droppingLast(2) else {
            throw EmberError.shape("\(op): input \(describe(input)) and output \(describe(output)) differ outside the last two dims")
        }
        let n = input.count
        guard output.contains(0) || (input[n - 2] > 0 && input[n - 1] > 0) else {
            throw EmberError.shape("\(op): cannot pool an empty input \(describe(input)) to \(describe(output))")
        }
        // Nothing to pool into: no windows (a spatial size may then be 2^62).
        guard try Shapes.count(output) > 0 else { return ([], []) }
        return (try windows(op, input[n - 2], output[n - 2]), try windows(op, input[n - 1], output[n - 1]))
    }

    static func windows(_ op: String, _ size: Int, _ count: Int) throws -> [Range<Int>] {
        guard count > 0 else { return [] }
        // The window list is made before the output, whose allocation would
        // refuse such a size: refuse it here, as an array growth cannot.
        guard count <= 1 << 32 else {
            throw EmberError.outOfMemory("\(op): cannot allocate the windows of an output size of \(count)")
        }
        return try (0..<count).map { i in
            let (a, o1) = i.multipliedReportingOverflow(by: size)
            let (b, o2) = (i + 1).multipliedReportingOverflow(by: size)
            guard !o1 && !o2 else { throw EmberError.invalidArgument("\(op): output size \(count) is too large for input size \(size)") }
            return (a / count)..<(b / count + (b % count == 0 ? 0 : 1))
        }
    }

    /// Forward: output = window sum / rows / cols (torch divides twice).
    /// Backward: the zeroed input receives output / rows / cols over each window.
    static func adaptiveLoop<T: FloatElement>(_ input: UnsafeMutablePointer<T>, _ output: UnsafeMutablePointer<T>, _ shape: Dims,
                                              _ rows: [Range<Int>], _ cols: [Range<Int>], backward: Bool) {
        let n = shape.count, h = shape[n - 2], w = shape[n - 1], oh = rows.count, ow = cols.count
        let planes = shape.droppingLast(2).product
        rows.withUnsafeBufferPointer { rows in
            cols.withUnsafeBufferPointer { cols in
                Parallel.forEach(planes, grain: Swift.max(1, 8192 / Swift.max(1, h * w + oh * ow))) { range in
                    for p in range {
                        let x = input + p * h * w, y = output + p * oh * ow
                        for r in 0..<oh {
                            let hr = rows[r], kh = T(hr.count)
                            for q in 0..<ow {
                                let wr = cols[q], kw = T(wr.count)
                                if backward {
                                    let delta = y[r * ow + q] / kh / kw
                                    for ih in hr { for iw in wr { x[ih * w + iw] += delta } }
                                } else {
                                    var sum = T.zero
                                    for ih in hr { for iw in wr { sum += x[ih * w + iw] } }
                                    y[r * ow + q] = sum / kh / kw
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
