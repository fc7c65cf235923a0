import COpenBLAS
import EmberVector

/// Convolution as packed GEMM: the receptive fields of a chunk of images are
/// unrolled into a column matrix (im2col), one BLAS GEMM per group multiplies
/// it with the weight, and the transposed product is folded back (col2im) for
/// the input gradient and the transposed convolution. Chunks hold as many
/// images as fit in the column budget (8 MiB by default), so memory stays
/// bounded for any batch; one chunk makes one big GEMM split across threads, and
/// the unrolling and folding loops are split across threads by (image,
/// channel). Float32 and float64 run on sgemm/dgemm, int64 on a plain loop
/// (torch computes integer convolutions too).
extension Kernels {
    /// conv2d for a validated geometry: x `geometry.inputShape`, weight
    /// `geometry.weightShape`, bias (outChannels) or nil; returns `geometry.outputShape`.
    public static func convolution(_ x: NDArray, weight: NDArray, bias: NDArray?, geometry g: ConvGeometry,
                                   columnBudget: Int = ConvGeometry.defaultColumnBudget, plan: ConvPlan = .automatic) throws -> NDArray {
        try g.validate()
        try g.expect(x, g.inputShape, "input", dtype: x.dtype)
        try g.expect(weight, g.weightShape, "weight", dtype: x.dtype)
        if let bias { try g.expect(bias, [g.outChannels], "bias", dtype: x.dtype) }
        let out = try NDArray(empty: g.outputShape, dtype: x.dtype)
        if out.count == 0 { return out }
        let (xc, wc, bc) = (try x.contiguous(), try weight.contiguous(), try bias?.contiguous())
        switch x.dtype {
        case .float32: try ConvLoops<Float>.forward(xc, wc, bc, out, g, columnBudget, plan)
        case .float64: try ConvLoops<Double>.forward(xc, wc, bc, out, g, columnBudget, plan)
        case .int64: try ConvLoops<Int64>.forward(xc, wc, bc, out, g, columnBudget, plan)
        case .bool: throw EmberError.dtype("convolution is not implemented for bool tensors (as in torch)")
        }
        return out
    }

    /// conv_transpose2d, the adjoint of `convolution` in its input: x has
    /// `geometry.outputShape`, the result `geometry.inputShape`, plus the bias
    /// (inChannels of the geometry, the transposed convolution's output channels).
    public static func convolutionTranspose(_ x: NDArray, weight: NDArray, bias: NDArray?, geometry g: ConvGeometry,
                                            columnBudget: Int = ConvGeometry.defaultColumnBudget, plan: ConvPlan = .automatic) throws -> NDArray {
        try g.validate()
        try g.expect(x, g.outputShape, "input", dtype: x.dtype)
        try g.expect(weight, g.weightShape, "weight", dtype: x.dtype)
        if let bias { try g.expect(bias, [g.inChannels], "bias", dtype: x.dtype) }
        let out = try NDArray(empty: g.inputShape, dtype: x.dtype)
        if out.count == 0 { return out }
        let (xc, wc, bc) = (try x.contiguous(), try weight.contiguous(), try bias?.contiguous())
        switch x.dtype {
        case .float32: try ConvLoops<Float>.backward(nil, xc, wc, out, nil, bc, g, columnBudget, plan)
        case .float64: try ConvLoops<Double>.backward(nil, xc, wc, out, nil, bc, g, columnBudget, plan)
        case .int64: try ConvLoops<Int64>.backward(nil, xc, wc, out, nil, bc, g, columnBudget, plan)
        case .bool: throw EmberError.dtype("convolution is not implemented for bool tensors (as in torch)")
        }
        return out
    }

    /// The gradient of `convolution` with respect to its weight: the
    /// correlation of the input with the output gradient, `geometry.weightShape`.
    public static func convolutionWeightGradient(input x: NDArray, gradOutput gy: NDArray, geometry g: ConvGeometry,
                                                 columnBudget: Int = ConvGeometry.defaultColumnBudget,
                                                 plan: ConvPlan = .automatic) throws -> NDArray {
        let (_, gw, _) = try convolutionBackward(input: x, gradOutput: gy, weight: nil, geometry: g, needInput: false,
                                                 needWeight: true, needBias: false, columnBudget: columnBudget, plan: plan)
        guard let gw else { throw EmberError.internal("convolutionWeightGradient: no result") }
        return gw
    }

    /// The gradients of `convolution` in one pass over the batch (each only if
    /// asked): input (needs `weight`), weight (needs `input`) and bias (the
    /// output gradient summed over batch and positions). Chunks share the
    /// staged output gradient between the first two.
    public static func convolutionBackward(input x: NDArray?, gradOutput gy: NDArray, weight: NDArray?, geometry g: ConvGeometry,
                                           needInput: Bool, needWeight: Bool, needBias: Bool,
                                           columnBudget: Int = ConvGeometry.defaultColumnBudget,
                                           plan: ConvPlan = .automatic) throws -> (NDArray?, NDArray?, NDArray?) {
        try g.validate()
        let dtype = gy.dtype
        try g.expect(gy, g.outputShape, "grad_output", dtype: dtype)
        guard dtype != .bool else { throw EmberError.dtype("convolution is not implemented for bool tensors (as in torch)") }
        let w: NDArray? = needInput ? try weight.map { try g.expect($0, g.weightShape, "weight", dtype: dtype); return try $0.contiguous() } : nil
        let xc: NDArray? = needWeight ? try x.map { try g.expect($0, g.inputShape, "input", dtype: dtype); return try $0.contiguous() } : nil
        if needInput && w == nil { throw EmberError.internal("convolutionBackward: the input gradient needs the weight") }
        if needWeight && xc == nil { throw EmberError.internal("convolutionBackward: the weight gradient needs the input") }
        let gx = needInput ? try NDArray(empty: g.inputShape, dtype: dtype) : nil
        let gw = needWeight ? try NDArray.zeros(g.weightShape, dtype: dtype) : nil
        let gyc = try gy.contiguous()
        if (gx?.count ?? 0) > 0 || (gw?.count ?? 0) > 0 {
            switch dtype {
            case .float32: try ConvLoops<Float>.backward(xc, gyc, w, gx, gw, nil, g, columnBudget, plan)
            case .float64: try ConvLoops<Double>.backward(xc, gyc, w, gx, gw, nil, g, columnBudget, plan)
            case .int64: try ConvLoops<Int64>.backward(xc, gyc, w, gx, gw, nil, g, columnBudget, plan)
            case .bool: break
            }
        }
        let gb = needBias ? try convolutionBiasGradient(gyc) : nil
        return (gx, gw, gb)
    }

    /// The sum of a contiguous (N, C, H, W) array over N, H and W: (C).
    static func convolutionBiasGradient(_ gy: NDArray) throws -> NDArray {
        let n = gy.shape[0], c = gy.shape[1], plane = gy.shape[2] * gy.shape[3]
        let out = try NDArray.zeros([c], dtype: gy.dtype)
        guard out.count > 0 && n * plane > 0 else { return out }
        switch gy.dtype {
        case .float32: ConvLoops<Float>.channelSums(gy.pointer(Float.self), out.pointer(Float.self), n, c, plane)
        case .float64: ConvLoops<Double>.channelSums(gy.pointer(Double.self), out.pointer(Double.self), n, c, plane)
        case .int64: ConvLoops<Int64>.channelSums(gy.pointer(Int64.self), out.pointer(Int64.self), n, c, plane)
        case .bool: throw EmberError.dtype("convolution is not implemented for bool tensors (as in torch)")
        }
        return out
    }
}

extension ConvGeometry {
    /// The input plane as the stride-1 row loops read it (im2col's and
    /// col2im's): tap (i, j) of output position (r, q) at padded row
    /// r * sh + i * dh, column q + j * dw. Its size, whether it differs from
    /// the input (padding on any side), and the padded columns lo..<hi that
    /// hold the input's.
    var paddedPlane: (height: Int, width: Int, needed: Bool, columns: (Int, Int)) {
        let height = (outputHeight - 1) * strideHeight + (kernelHeight - 1) * dilationHeight + 1
        let width = outputWidth + (kernelWidth - 1) * dilationWidth
        let needed = padTop > 0 || padLeft > 0 || height - padTop > inputHeight || width - padLeft > inputWidth
        let columns = (Swift.max(0, Swift.min(padLeft, width)), Swift.max(0, Swift.min(padLeft + inputWidth, width)))
        return (height, width, needed, columns)
    }

    /// A 1x1 kernel with stride 1 and no padding: the input is its own column
    /// matrix, so no unrolling is needed (dilation does not matter for 1x1).
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1 && padTop == 0 && padLeft == 0
            && inputHeight == outputHeight && inputWidth == outputWidth
    }

    /// Checks that the geometry describes real shapes (kernels rely on it).
    func validate() throws {
        let sizes = [batch, inChannels, outChannels, inputHeight, inputWidth, outputHeight, outputWidth, padTop, padLeft]
        let positive = [groups, kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth]
        guard sizes.allSatisfy({ $0 >= 0 }), positive.allSatisfy({ $0 > 0 }),
              inChannels % groups == 0, outChannels % groups == 0 else {
            throw EmberError.invalidArgument("convolution: invalid geometry \(self)")
        }
        for shape in [inputShape, outputShape, weightShape] { _ = try Shapes.validate(shape, itemSize: 8) }
        _ = try Shapes.count([inChannels, kernelHeight, kernelWidth, outputHeight, outputWidth])
    }

    @discardableResult
    func expect(_ x: NDArray, _ shape: Dims, _ name: String, dtype: DType) throws -> NDArray {
        guard x.shape == shape else {
            throw EmberError.shape("convolution: expected \(name) of shape \(describe(shape)), got \(describe(x.shape))")
        }
        guard x.dtype == dtype else { throw EmberError.dtype("convolution: expected \(name) of dtype \(dtype), got \(x.dtype)") }
        return x
    }
}

/// The typed loops behind the convolution kernels.
enum ConvLoops<T: NumericElement> {
    // MARK: - Drivers

    static func forward(_ x: NDArray, _ w: NDArray, _ bias: NDArray?, _ out: NDArray, _ g: ConvGeometry, _ budget: Int,
                        _ plan: ConvPlan) throws {
        let (n, c, o) = (g.batch, g.inChannels, g.outChannels)
        let og = o / g.groups, k = g.groupColumnRows, l = g.outputPlane
        let inImage = c * g.inputHeight * g.inputWidth, outImage = o * l
        if g.isPointwise {
            // Each image already is its column matrix (C, H * W): one GEMM per image and group.
            try checkBLAS(g, 1)
            let px = x.pointer(T.self), pw = w.pointer(T.self), po = out.pointer(T.self), pb = bias?.pointer(T.self)
            for image in 0..<n {
                let dst = po + image * outImage
                if let pb { for ch in 0..<o { (dst + ch * l).update(repeating: pb[ch], count: l) } }
                for gi in 0..<g.groups {
                    gemm(false, false, og, l, k, pw + gi * og * k, k, px + image * inImage + gi * k * l, l, pb != nil, dst + gi * og * l, l)
                }
            }
            return
        }
        if g.runsPerImage(plan, itemSize: MemoryLayout<T>.stride, budget: budget) {
            try checkBLAS(g, 1)
            try forwardPerImage(x.pointer(T.self), w.pointer(T.self), bias?.pointer(T.self), out.pointer(T.self), g)
            return
        }
        let chunk = g.imagesPerChunk(itemSize: MemoryLayout<T>.stride, budget: budget)
        try checkBLAS(g, chunk)
        let cols = try NDArray(empty: [c * g.kernelHeight * g.kernelWidth, chunk * l], dtype: T.dtype)
        let staging = try NDArray(empty: [chunk > 1 ? o : 0, chunk * l], dtype: T.dtype)
        let px = x.pointer(T.self), pw = w.pointer(T.self), po = out.pointer(T.self)
        let pc = cols.pointer(T.self), ps = staging.pointer(T.self)
        let pb = bias?.pointer(T.self)
        var n0 = 0
        while n0 < n {
            let b = Swift.min(chunk, n - n0), bl = b * l
            im2col(px + n0 * inImage, pc, b, g)
            if b == 1 {
                // One image: the GEMM writes straight into the output, onto the bias.
                let dst = po + n0 * outImage
                if let pb { for ch in 0..<o { (dst + ch * l).update(repeating: pb[ch], count: l) } }
                for gi in 0..<g.groups {
                    gemm(false, false, og, l, k, pw + gi * og * k, k, pc + gi * k * bl, bl, pb != nil, dst + gi * og * l, l)
                }
            } else {
                for gi in 0..<g.groups {
                    gemm(false, false, og, bl, k, pw + gi * og * k, k, pc + gi * k * bl, bl, false, ps + gi * og * bl, bl)
                }
                unstage(ps, po + n0 * outImage, b, o, l, pb)
            }
            n0 += b
        }
    }

    /// The input gradient into `gx` (with `inputBias` added per channel: the
    /// transposed convolution's forward) and/or the weight gradient into `gw`.
    static func backward(_ x: NDArray?, _ gy: NDArray, _ w: NDArray?, _ gx: NDArray?, _ gw: NDArray?, _ inputBias: NDArray?,
                         _ g: ConvGeometry, _ budget: Int, _ plan: ConvPlan) throws {
        let (n, c, o) = (g.batch, g.inChannels, g.outChannels)
        let og = o / g.groups, k = g.groupColumnRows, l = g.outputPlane
        let inImage = c * g.inputHeight * g.inputWidth, outImage = o * l
        if g.isPointwise {
            try checkBLAS(g, 1)
            let pgy = gy.pointer(T.self), pw = w?.pointer(T.self), px = x?.pointer(T.self)
            let pgx = gx?.pointer(T.self), pgw = gw?.pointer(T.self), pbias = inputBias?.pointer(T.self)
            for image in 0..<n {
                let src = pgy + image * outImage
                if let pgx, let pw {
                    let dst = pgx + image * inImage
                    if let pbias { for ch in 0..<c { (dst + ch * l).update(repeating: pbias[ch], count: l) } }
                    for gi in 0..<g.groups {
                        gemm(true, false, k, l, og, pw + gi * og * k, k, src + gi * og * l, l, pbias != nil, dst + gi * k * l, l)
                    }
                }
                if let pgw, let px {
                    for gi in 0..<g.groups {
                        gemm(false, true, og, k, l, src + gi * og * l, l, px + image * inImage + gi * k * l, l, image > 0, pgw + gi * og * k, k)
                    }
                }
            }
            return
        }
        if g.runsPerImage(plan, itemSize: MemoryLayout<T>.stride, budget: budget) {
            try checkBLAS(g, 1)
            try backwardPerImage(x?.pointer(T.self), gy.pointer(T.self), w?.pointer(T.self), gx?.pointer(T.self), gw?.pointer(T.self),
                                 inputBias?.pointer(T.self), g)
            return
        }
        let chunk = g.imagesPerChunk(itemSize: MemoryLayout<T>.stride, budget: budget)
        try checkBLAS(g, chunk)
        let cols = try NDArray(empty: [c * g.kernelHeight * g.kernelWidth, chunk * l], dtype: T.dtype)
        let staging = try NDArray(empty: [chunk > 1 ? o : 0, chunk * l], dtype: T.dtype)
        let pgy = gy.pointer(T.self), pc = cols.pointer(T.self), ps = staging.pointer(T.self)
        let pw = w?.pointer(T.self), px = x?.pointer(T.self), pgx = gx?.pointer(T.self), pgw = gw?.pointer(T.self)
        let pbias = inputBias?.pointer(T.self)
        var n0 = 0
        while n0 < n {
            let b = Swift.min(chunk, n - n0), bl = b * l
            // The output gradient as (outChannels, b * l), staged unless one image.
            let src: UnsafePointer<T>
            if b == 1 {
                src = UnsafePointer(pgy + n0 * outImage)
            } else {
                stage(pgy + n0 * outImage, ps, b, o, l)
                src = UnsafePointer(ps)
            }
            if let pgx, let pw {
                for gi in 0..<g.groups {
                    gemm(true, false, k, bl, og, pw + gi * og * k, k, src + gi * og * bl, bl, false, pc + gi * k * bl, bl)
                }
                col2im(pc, pgx + n0 * inImage, b, g, pbias)
            }
            if let pgw, let px {
                im2col(px + n0 * inImage, pc, b, g)
                for gi in 0..<g.groups {
                    gemm(false, true, og, k, bl, src + gi * og * bl, bl, pc + gi * k * bl, bl, n0 > 0, pgw + gi * og * k, k)
                }
            }
            n0 += b
        }
    }

    // MARK: - Image by image (ConvPlan.perImage)

    /// The forward pass task by task: each task unrolls its images one at a
    /// time into its own column buffer and multiplies straight into the output.
    static func forwardPerImage(_ px: UnsafePointer<T>, _ pw: UnsafePointer<T>, _ pb: UnsafePointer<T>?, _ po: UnsafeMutablePointer<T>,
                                _ g: ConvGeometry) throws {
        let (n, o) = (g.batch, g.outChannels)
        let og = o / g.groups, k = g.groupColumnRows, l = g.outputPlane
        let inImage = g.inChannels * g.inputHeight * g.inputWidth, outImage = o * l
        let tasks = g.perImageTasks(threads: Parallel.threads), perTask = g.imageColumns
        let cols = try NDArray(empty: [tasks, perTask], dtype: T.dtype)
        let pc = cols.pointer(T.self)
        WorkerPool.shared.run(chunks: tasks, threads: Parallel.threads) { task in
            let buffer = pc + task * perTask
            for image in task * n / tasks ..< (task + 1) * n / tasks {
                im2col(px + image * inImage, buffer, 1, g)
                let dst = po + image * outImage
                if let pb { for ch in 0..<o { (dst + ch * l).update(repeating: pb[ch], count: l) } }
                for gi in 0..<g.groups {
                    gemm(false, false, og, l, k, pw + gi * og * k, k, buffer + gi * k * l, l, pb != nil, dst + gi * og * l, l)
                }
            }
        }
    }

    /// The backward pass task by task: per image, the input gradient is
    /// multiplied into the task's column buffer and folded into `gx` (with
    /// `inputBias`); the weight gradient is summed per task, then the tasks'
    /// sums are added in task order into `gw`.
    static func backwardPerImage(_ px: UnsafePointer<T>?, _ pgy: UnsafePointer<T>, _ pw: UnsafePointer<T>?, _ pgx: UnsafeMutablePointer<T>?,
                                 _ pgw: UnsafeMutablePointer<T>?, _ pbias: UnsafePointer<T>?, _ g: ConvGeometry) throws {
        let (n, o) = (g.batch, g.outChannels)
        let og = o / g.groups, k = g.groupColumnRows, l = g.outputPlane
        let inImage = g.inChannels * g.inputHeight * g.inputWidth, outImage = o * l, weights = o * k
        let tasks = g.perImageTasks(threads: Parallel.threads), perTask = g.imageColumns
        let cols = try NDArray(empty: [tasks, perTask], dtype: T.dtype)
        let sums = try NDArray(empty: [pgw != nil ? tasks : 0, weights], dtype: T.dtype)
        let pc = cols.pointer(T.self), ps = sums.pointer(T.self)
        WorkerPool.shared.run(chunks: tasks, threads: Parallel.threads) { task in
            let buffer = pc + task * perTask, sum = ps + task * weights
            let first = task * n / tasks, end = (task + 1) * n / tasks
            if pgw != nil && first == end { sum.update(repeating: T.zero, count: weights) }
            for image in first..<end {
                let src = pgy + image * outImage
                if let pgx, let pw {
                    for gi in 0..<g.groups {
                        gemm(true, false, k, l, og, pw + gi * og * k, k, src + gi * og * l, l, false, buffer + gi * k * l, l)
                    }
                    col2im(buffer, pgx + image * inImage, 1, g, pbias)
                }
                if pgw != nil, let px {
                    im2col(px + image * inImage, buffer, 1, g)
                    for gi in 0..<g.groups {
                        gemm(false, true, og, k, l, src + gi * og * l, l, buffer + gi * k * l, l, image > first, sum + gi * og * k, k)
                    }
                }
            }
        }
        if let pgw {
            pgw.update(from: ps, count: weights)
            for task in 1..<tasks {
                let sum = ps + task * weights
                for i in 0..<weights { pgw[i] = T.plus(pgw[i], sum[i]) }
            }
        }
    }

    /// BLAS takes 32-bit sizes and leading dimensions.
    static func checkBLAS(_ g: ConvGeometry, _ chunk: Int) throws {
        _ = BLASSetup.configured
        let limit = Int(Int32.max)
        let (columns, overflow) = chunk.multipliedReportingOverflow(by: g.outputPlane)
        guard !overflow, columns <= limit, g.outChannels <= limit, g.inChannels * g.kernelHeight * g.kernelWidth <= limit else {
            throw EmberError.invalidArgument("convolution: the problem is too large for BLAS (32-bit sizes): geometry \(g)")
        }
    }

    // MARK: - Unrolling

    /// The output positions `0..<count` whose input index `i * stride + offset`
    /// lies in `0..<size`: a contiguous range.
    @inline(__always)
    static func validRange(offset: Int, stride: Int, size: Int, count: Int) -> (Int, Int) {
        let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let hi = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / stride + 1
        let upper = Swift.min(hi, count)
        return (Swift.min(lo, upper), upper)
    }

    /// Calls `body(channel, planeOffset, columnOffset)` for every (image,
    /// channel) of `count` images, split across threads: the channel's input
    /// plane starts `planeOffset` elements into the images, its first column
    /// row (tap (0, 0)) `columnOffset` elements into the column matrix. The
    /// task structure im2col and col2im share.
    @inline(__always)
    static func forEachPlane(_ count: Int, _ g: ConvGeometry, grain: Int, _ body: (_ channel: Int, _ planeOffset: Int, _ columnOffset: Int) -> Void) {
        let c = g.inChannels, planeSize = g.inputHeight * g.inputWidth
        let l = g.outputPlane, bl = count * l, taps = g.kernelHeight * g.kernelWidth
        Parallel.forEach(count * c, grain: grain) { tasks in
            for task in tasks {
                let (b, ch) = (task / c, task % c)
                body(ch, task * planeSize, ch * taps * bl + b * l)
            }
        }
    }

    /// Unrolls `count` contiguous images at `x` into `cols`: row (c, i, j) holds,
    /// for image b at columns b * L ..< (b + 1) * L, the input under kernel tap
    /// (i, j) of channel c for every output position (zero in the padding).
    static func im2col(_ x: UnsafePointer<T>, _ cols: UnsafeMutablePointer<T>, _ count: Int, _ g: ConvGeometry) {
        let (h, w, oh, ow) = (g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth)
        let (kh, kw, sh, sw) = (g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth)
        let (dh, dw, pt, pl) = (g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft)
        let l = oh * ow, bl = count * l
        // With stride 1 along rows, every tap reads `ow` consecutive elements
        // of a (padded) input row: the plane is padded once, then each
        // output row is one straight copy.
        let (paddedHeight, paddedWidth, padded, (lo, hi)) = g.paddedPlane
        forEachPlane(count, g, grain: Swift.max(1, 32_768 / Swift.max(1, kh * kw * l))) { _, planeOffset, columnOffset in
            let plane = x + planeOffset, first = cols + columnOffset
            if sw == 1 && oh > 0 && ow > 0 {
                if !padded {
                    unrollRows(plane, w, first, bl, g)
                    return
                }
                withUnsafeTemporaryAllocation(of: T.self, capacity: paddedHeight * paddedWidth) { buffer in
                    let p = buffer.baseAddress!
                    for row in 0..<paddedHeight {
                        let d = p + row * paddedWidth, ih = row - pt
                        guard ih >= 0 && ih < h && lo < hi else {
                            d.update(repeating: T.zero, count: paddedWidth)
                            continue
                        }
                        d.update(repeating: T.zero, count: lo)
                        copyRow(d + lo, plane + ih * w + lo - pl, hi - lo)
                        (d + hi).update(repeating: T.zero, count: paddedWidth - hi)
                    }
                    unrollRows(UnsafePointer(p), paddedWidth, first, bl, g)
                }
                return
            }
            for i in 0..<kh {
                // Output rows r0..<r1 read input rows inside the image; the others are padding.
                let (r0, r1) = validRange(offset: i * dh - pt, stride: sh, size: h, count: oh)
                for j in 0..<kw {
                    let dst = first + (i * kw + j) * bl
                    let off = j * dw - pl
                    let (lo, hi) = validRange(offset: off, stride: sw, size: w, count: ow)
                    dst.update(repeating: T.zero, count: r0 * ow)
                    (dst + r1 * ow).update(repeating: T.zero, count: (oh - r1) * ow)
                    // Only entries lo..<hi of a row are read, all inside the input row.
                    for r in r0..<r1 {
                        let d = dst + r * ow, s = plane + (r * sh - pt + i * dh) * w + off
                        for q in 0..<lo { d[q] = T.zero }
                        for q in lo..<Swift.max(lo, hi) { d[q] = s[q * sw] }
                        for q in Swift.max(lo, hi)..<ow { d[q] = T.zero }
                    }
                }
            }
        }
    }

    /// im2col's rows for one channel of one image when the stride along rows
    /// is 1: `plane` is the channel, padded so that tap (i, j) of output
    /// position (r, q) reads plane[(r * sh + i * dh) * width + q + j * dw]
    /// (width its row length); `first` is the channel's first column row.
    @inline(__always)
    static func unrollRows(_ plane: UnsafePointer<T>, _ width: Int, _ first: UnsafeMutablePointer<T>, _ rowStride: Int,
                           _ g: ConvGeometry) {
        let (oh, ow, sh) = (g.outputHeight, g.outputWidth, g.strideHeight)
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let d = first + (i * g.kernelWidth + j) * rowStride
                let s = plane + i * g.dilationHeight * width + j * g.dilationWidth
                let size = MemoryLayout<T>.stride
                VectorLoops.copyRows(d, ow * size, s, sh * width * size, rowBytes: ow * size, rows: oh)
            }
        }
    }

    /// Copies `count` elements of one row (VectorLoops.copyRows).
    @inline(__always)
    static func copyRow(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, _ count: Int) {
        let size = MemoryLayout<T>.stride
        VectorLoops.copyRows(dst, count * size, src, count * size, rowBytes: count * size, rows: 1)
    }

    /// The adjoint of im2col: sums every column entry back onto the input
    /// position it was read from. Each (image, channel) plane is one task that
    /// first sets the plane to its bias (or zero), so no two tasks write the
    /// same memory.
    static func col2im(_ cols: UnsafePointer<T>, _ x: UnsafeMutablePointer<T>, _ count: Int, _ g: ConvGeometry,
                       _ bias: UnsafePointer<T>?) {
        let (h, w, oh, ow) = (g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth)
        let (kh, kw, sh, sw) = (g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth)
        let (dh, dw, pt, pl) = (g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft)
        let l = oh * ow, bl = count * l
        let (paddedHeight, paddedWidth, padded, (lo, hi)) = g.paddedPlane
        forEachPlane(count, g, grain: Swift.max(1, 32_768 / Swift.max(1, kh * kw * l + h * w))) { ch, planeOffset, columnOffset in
            let plane = x + planeOffset, first = cols + columnOffset
            plane.update(repeating: bias?[ch] ?? T.zero, count: h * w)
            if sw == 1 && oh > 0 && ow > 0 {
                // im2col's padded rows in reverse: sum every tap's rows into
                // the (padded) plane, then add its inside onto the input.
                if !padded {
                    foldRows(first, bl, plane, w, g)
                    return
                }
                withUnsafeTemporaryAllocation(of: T.self, capacity: paddedHeight * paddedWidth) { buffer in
                    let p = buffer.baseAddress!
                    p.update(repeating: T.zero, count: paddedHeight * paddedWidth)
                    foldRows(first, bl, p, paddedWidth, g)
                    for row in Swift.max(0, pt)..<Swift.max(Swift.max(0, pt), Swift.min(paddedHeight, pt + h)) where lo < hi {
                        addRows(plane + (row - pt) * w + lo - pl, 0, p + row * paddedWidth + lo, 0, count: hi - lo, rows: 1)
                    }
                }
                return
            }
            for i in 0..<kh {
                for j in 0..<kw {
                    let src = first + (i * kw + j) * bl
                    let off = j * dw - pl
                    let (lo, hi) = validRange(offset: off, stride: sw, size: w, count: ow)
                    if lo >= hi { continue }
                    for r in 0..<oh {
                        let ih = r * sh - pt + i * dh
                        if ih < 0 || ih >= h { continue }
                        let d = plane + ih * w + off
                        let s = src + r * ow
                        for q in lo..<hi { d[q * sw] = T.plus(d[q * sw], s[q]) }
                    }
                }
            }
        }
    }

    /// The adjoint of `unrollRows`: adds tap (i, j) of output position (r, q)
    /// from the column rows at `first` onto plane[(r * sh + i * dh) * width + q + j * dw].
    @inline(__always)
    static func foldRows(_ first: UnsafePointer<T>, _ rowStride: Int, _ plane: UnsafeMutablePointer<T>, _ width: Int,
                         _ g: ConvGeometry) {
        let (oh, ow, sh) = (g.outputHeight, g.outputWidth, g.strideHeight)
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                addRows(plane + i * g.dilationHeight * width + j * g.dilationWidth, sh * width,
                        first + (i * g.kernelWidth + j) * rowStride, ow, count: ow, rows: oh)
            }
        }
    }

    /// d[q] += s[q] for q in 0..<count, over `rows` rows `dStride` and
    /// `sStride` elements apart (floats on VectorLoops.addRows).
    @inline(__always)
    static func addRows(_ d: UnsafeMutablePointer<T>, _ dStride: Int, _ s: UnsafePointer<T>, _ sStride: Int, count: Int, rows: Int) {
        if T.self == Float.self {
            VectorLoops.addRows(UnsafeMutableRawPointer(d).assumingMemoryBound(to: Float.self), dStride,
                                UnsafeRawPointer(s).assumingMemoryBound(to: Float.self), sStride, count: count, rows: rows)
            return
        }
        for r in 0..<rows {
            let dr = d + r * dStride, sr = s + r * sStride
            for q in 0..<count { dr[q] = T.plus(dr[q], sr[q]) }
        }
    }

    /// (O, B * L) staging -> (B, O, L) output, adding the bias per channel.
    static func unstage(_ staging: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ count: Int, _ o: Int, _ l: Int,
                        _ bias: UnsafePointer<T>?) {
        let bl = count * l
        Parallel.forEach(count * o, grain: Swift.max(1, 32_768 / Swift.max(1, l))) { rows in
            for row in rows {
                let (b, ch) = (row / o, row % o)
                let s = staging + ch * bl + b * l, d = out + row * l
                if let bias {
                    let v = bias[ch]
                    for q in 0..<l { d[q] = T.plus(s[q], v) }
                } else {
                    d.update(from: s, count: l)
                }
            }
        }
    }

    /// (B, O, L) -> (O, B * L) staging.
    static func stage(_ src: UnsafePointer<T>, _ staging: UnsafeMutablePointer<T>, _ count: Int, _ o: Int, _ l: Int) {
        let bl = count * l
        Parallel.forEach(count * o, grain: Swift.max(1, 32_768 / Swift.max(1, l))) { rows in
            for row in rows {
                let (b, ch) = (row / o, row % o)
                (staging + ch * bl + b * l).update(from: src + row * l, count: l)
            }
        }
    }

    /// out[c] = sum over n and positions of gy[n, c, :].
    static func channelSums(_ gy: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ n: Int, _ c: Int, _ plane: Int) {
        Parallel.forEach(c, grain: Swift.max(1, 32_768 / Swift.max(1, n * plane))) { channels in
            for ch in channels {
                // Eight running sums, independent so that they fill a vector.
                var (s0, s1, s2, s3, s4, s5, s6, s7) = (T.zero, T.zero, T.zero, T.zero, T.zero, T.zero, T.zero, T.zero)
                var tail = T.zero
                for b in 0..<n {
                    let p = gy + (b * c + ch) * plane
                    var q = 0
                    while q + 8 <= plane {
                        (s0, s1, s2, s3) = (T.plus(s0, p[q]), T.plus(s1, p[q + 1]), T.plus(s2, p[q + 2]), T.plus(s3, p[q + 3]))
                        (s4, s5, s6, s7) = (T.plus(s4, p[q + 4]), T.plus(s5, p[q + 5]), T.plus(s6, p[q + 6]), T.plus(s7, p[q + 7]))
                        q += 8
                    }
                    while q < plane {
                        tail = T.plus(tail, p[q])
                        q += 1
                    }
                }
                out[ch] = T.plus(T.plus(T.plus(T.plus(s0, s4), T.plus(s1, s5)), T.plus(T.plus(s2, s6), T.plus(s3, s7))), tail)
            }
        }
    }

    // MARK: - GEMM

    /// c (m x n, row-major, leading dimension ldc) = op(a) (m x k) * op(b) (k x n),
    /// plus c itself when `accumulate`; op transposes when asked. BLAS for
    /// floats (sizes checked by checkBLAS), a row-parallel loop for int64.
    @inline(__always)
    static func gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<T>, _ lda: Int,
                     _ b: UnsafePointer<T>, _ ldb: Int, _ accumulate: Bool, _ c: UnsafeMutablePointer<T>, _ ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: T.zero, count: n) } }
            return
        }
        if T.self == Float.self {
            Kernels.splitGemm(ta, tb, m, n, k, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda,
                              UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb, accumulate ? 1 : 0,
                              UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc)
        } else if T.self == Double.self {
            Kernels.splitGemm(ta, tb, m, n, k, UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), lda,
                              UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), ldb, accumulate ? 1 : 0,
                              UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), ldc)
        } else {
            Parallel.forEach(m, grain: Swift.max(1, 32_768 / Swift.max(1, n * k))) { rows in
                for i in rows {
                    let ci = c + i * ldc
                    if !accumulate { ci.update(repeating: T.zero, count: n) }
                    for p in 0..<k {
                        let av = ta ? a[p * lda + i] : a[i * lda + p]
                        if tb {
                            for j in 0..<n { ci[j] = T.plus(ci[j], T.times(av, b[j * ldb + p])) }
                        } else {
                            let bp = b + p * ldb
                            for j in 0..<n { ci[j] = T.plus(ci[j], T.times(av, bp[j])) }
                        }
                    }
                }
            }
        }
    }
}
