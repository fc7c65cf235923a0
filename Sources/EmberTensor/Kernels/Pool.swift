/// Max and average pooling over 2-D windows (1-D pooling is 2-D with a height
/// of 1), with torch's output sizes (ceil_mode included), torch's checks and
/// messages, and torch's rules for ties (the first maximum wins), NaN (a NaN
/// is the maximum; the last NaN's index is kept) and average divisors
/// (count_include_pad, divisor_override). Every loop runs on contiguous
/// planes, split across threads by plane.

/// The shapes of a 2-D pooling over `planes` independent (H, W) planes (N * C).
public struct PoolGeometry: Sendable, Equatable {
    public var planes = 0
    public var inputHeight = 1, inputWidth = 0, outputHeight = 1, outputWidth = 0
    public var kernelHeight = 1, kernelWidth = 1, strideHeight = 1, strideWidth = 1
    public var padHeight = 0, padWidth = 0, dilationHeight = 1, dilationWidth = 1

    public init() {}

    /// Checks that the geometry describes real shapes (kernels rely on it).
    func validate(_ op: String) throws {
        let sizes = [planes, inputHeight, inputWidth, outputHeight, outputWidth, padHeight, padWidth]
        let positive = [kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth]
        guard sizes.allSatisfy({ $0 >= 0 }), positive.allSatisfy({ $0 > 0 }) else {
            throw EmberError.invalidArgument("\(op): invalid pooling geometry \(self)")
        }
        _ = try Shapes.validate([planes, inputHeight, inputWidth], itemSize: 8)
        _ = try Shapes.validate([planes, outputHeight, outputWidth], itemSize: 8)
    }
}

/// A pooling's arguments as torch takes them: int-or-tuple sizes, stride
/// nil meaning the kernel size (torch's stride=None).
public struct PoolOptions: Sendable, Equatable {
    /// Each one value for every spatial dim, or one per dim (torch's int or tuple).
    public var kernelSize: [Int]
    /// nil: the kernel size.
    public var stride: [Int]?
    public var padding: [Int]
    public var dilation: [Int]
    /// Round output sizes up (a last window may hang over the padded input).
    public var ceilMode: Bool

    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1], ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
    }
}

extension PoolGeometry {
    /// The geometry of max_pool1d/2d or avg_pool2d (`spatial` 1 or 2) on an
    /// input with or without its batch dim, after torch's checks; and the
    /// output shape (the input's with the spatial sizes replaced).
    public static func pooling(_ op: String, spatial: Int, input: Dims, _ options: PoolOptions) throws -> (PoolGeometry, Dims) {
        let names = spatial == 1 ? "a single int" : "a tuple of two ints"
        func tuple(_ name: String, _ values: [Int]) throws -> [Int] {
            if values.count == 1 { return [Int](repeating: values[0], count: spatial) }
            guard values.count == spatial else {
                throw EmberError.invalidArgument("\(op): \(name) must either be a single int, or \(names), got \(describe(values))")
            }
            return values
        }
        let kernel = try tuple("kernel_size", options.kernelSize)
        let stride = try tuple("stride", options.stride ?? options.kernelSize)
        let padding = try tuple("padding", options.padding)
        let dilation = try tuple("dilation", options.dilation)
        guard kernel.allSatisfy({ $0 > 0 }) else {
            throw EmberError.invalidArgument("\(op): kernel size should be greater than zero, but got kernel_size=\(describe(kernel))")
        }
        guard stride.allSatisfy({ $0 > 0 }) else {
            throw EmberError.invalidArgument("\(op): stride should be greater than zero, but got stride=\(describe(stride))")
        }
        guard dilation.allSatisfy({ $0 > 0 }) else {
            throw EmberError.invalidArgument("\(op): dilation should be greater than zero, but got dilation=\(describe(dilation))")
        }
        guard padding.allSatisfy({ $0 >= 0 }) else {
            throw EmberError.invalidArgument("\(op): pad must be non-negative, but got padding=\(describe(padding))")
        }
        guard zip(padding, kernel).allSatisfy({ $0 <= $1 / 2 }) else {
            throw EmberError.invalidArgument("\(op): pad should be at most half of kernel size, but got padding=\(describe(padding)) and kernel_size=\(describe(kernel))")
        }
        let sizes = try checkInput(op, spatial: spatial, input: input)
        var outSizes: [Int] = []
        for d in 0..<spatial {
            outSizes.append(try outputSize(op, sizes[d], kernel[d], padding[d], stride[d], dilation[d], options.ceilMode))
        }
        guard outSizes.allSatisfy({ $0 >= 1 }) else {
            let planes = input.count == spatial + 2 ? input[1] : input[0]
            throw EmberError.shape("\(op): Given input size: (\(([planes] + sizes).map(String.init).joined(separator: "x")))). Calculated output size: (\(([planes] + outSizes).map(String.init).joined(separator: "x"))). Output size is too small")
        }
        var g = PoolGeometry()
        g.planes = input.droppingLast(spatial).product
        let last = spatial - 1
        g.inputWidth = sizes[last]
        g.outputWidth = outSizes[last]
        g.kernelWidth = kernel[last]
        g.strideWidth = stride[last]
        g.padWidth = padding[last]
        g.dilationWidth = dilation[last]
        if spatial == 2 {
            g.inputHeight = sizes[0]
            g.outputHeight = outSizes[0]
            g.kernelHeight = kernel[0]
            g.strideHeight = stride[0]
            g.padHeight = padding[0]
            g.dilationHeight = dilation[0]
        }
        var outShape = input
        for d in 0..<spatial { outShape[input.count - spatial + d] = outSizes[d] }
        return (g, outShape)
    }

    /// An input of spatial + 1 or spatial + 2 dims whose non-batch dims are
    /// not empty; returns its spatial sizes.
    static func checkInput(_ op: String, spatial: Int, input: Dims) throws -> [Int] {
        let layout = spatial == 1 ? "(N, C, L)" : "(N, C, H, W)"
        let batched = input.count == spatial + 2
        guard input.count == spatial + 1 || batched, !input.dropFirst(batched ? 1 : 0).contains(0) else {
            throw EmberError.shape("\(op): expected a \(spatial + 1)-D (unbatched) or \(spatial + 2)-D (batched) input \(layout) with non-empty channel and spatial dims, got \(describe(input))")
        }
        return Array(input.suffix(spatial))
    }

    /// torch's pooling_output_shape: floor (or ceil) of the windows that fit,
    /// where a last window that would start in the right padding is dropped.
    static func outputSize(_ op: String, _ size: Int, _ k: Int, _ pad: Int, _ stride: Int, _ dilation: Int, _ ceil: Bool) throws -> Int {
        guard stride > 0 else { throw EmberError.invalidArgument("\(op): stride must be greater than zero, got \(stride)") }
        // Every step checked: the arguments come straight from C.
        let (twoPad, o0) = pad.multipliedReportingOverflow(by: 2)
        let (km1, o1) = k.subtractingReportingOverflow(1)
        let (span, o2) = km1.multipliedReportingOverflow(by: dilation)
        let (padded, o3) = size.addingReportingOverflow(twoPad)
        let (numerator, o4) = (padded &- 1).subtractingReportingOverflow(span)
        let (adjusted, o5) = numerator.addingReportingOverflow(ceil ? stride - 1 : 0)
        guard !(o0 || o1 || o2 || o3 || o4 || o5 || padded == .min) else {
            throw EmberError.invalidArgument("\(op): kernel, padding or dilation too large")
        }
        // Floor division (numerator may be negative).
        var quotient = adjusted / stride
        if adjusted % stride != 0 && adjusted < 0 { quotient -= 1 }
        let (windows, o6) = quotient.addingReportingOverflow(1)
        guard !o6 else { throw EmberError.invalidArgument("\(op): kernel, padding or dilation too large") }
        var out = windows
        let (lastStart, o7) = (out - 1).multipliedReportingOverflow(by: stride)
        let (limit, o8) = size.addingReportingOverflow(pad)
        if ceil && !o7 && !o8 && lastStart >= limit { out -= 1 }
        return out
    }
}

/// Element types pooling works on (torch pools float and int64 tensors).
public protocol PoolElement: NumericElement {
    /// Below every value: the start of a max (torch: -inf, or the lowest integer).
    static var poolLowest: Self { get }
    /// `sum / count` in the element type (integers truncate, as C++ division).
    static func poolAverage(_ sum: Self, _ count: Int) -> Self
}

extension Float: PoolElement {
    public static var poolLowest: Float { -.infinity }
    @inlinable public static func poolAverage(_ sum: Float, _ count: Int) -> Float { sum / Float(count) }
}

extension Double: PoolElement {
    public static var poolLowest: Double { -.infinity }
    @inlinable public static func poolAverage(_ sum: Double, _ count: Int) -> Double { sum / Double(count) }
}

extension Int64: PoolElement {
    public static var poolLowest: Int64 { .min }
    @inlinable public static func poolAverage(_ sum: Int64, _ count: Int) -> Int64 { count == 0 ? 0 : sum / Int64(count) }
}

extension Kernels {
    // MARK: - Max pooling

    /// max_pool2d: the maximum of every window of each contiguous plane of x
    /// (any shape ending in the geometry's (H, W)), and, if `withIndices`, its
    /// index within the plane (int64, h * W + w) for the backward.
    public static func maxPool2d(_ x: NDArray, geometry g: PoolGeometry, outputShape: Dims,
                                 withIndices: Bool = true) throws -> (NDArray, NDArray?) {
        try g.validate("max_pool2d")
        try checkPoolArrays("max_pool2d", x, g.inputHeight, g.inputWidth, g.planes, outputShape, g)
        let values = try NDArray(empty: outputShape, dtype: x.dtype)
        let indices = withIndices ? try NDArray(empty: outputShape, dtype: .int64) : nil
        if values.count == 0 { return (values, indices) }
        let xc = try x.contiguous()
        let pi = indices?.pointer(Int64.self)
        switch x.dtype {
        case .float32: maxPoolLoop(xc.pointer(Float.self), values.pointer(Float.self), pi, g)
        case .float64: maxPoolLoop(xc.pointer(Double.self), values.pointer(Double.self), pi, g)
        case .int64: maxPoolLoop(xc.pointer(Int64.self), values.pointer(Int64.self), pi, g)
        case .bool: throw EmberError.dtype("max_pool2d is not implemented for bool tensors (as in torch)")
        }
        return (values, indices)
    }

    static func maxPoolLoop<T: PoolElement>(_ x: UnsafePointer<T>, _ values: UnsafeMutablePointer<T>,
                                            _ indices: UnsafeMutablePointer<Int64>?, _ g: PoolGeometry) {
        let (h, w, oh, ow) = (g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth)
        let (kh, kw, sh, sw) = (g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth)
        let (ph, pw, dh, dw) = (g.padHeight, g.padWidth, g.dilationHeight, g.dilationWidth)
        // Windows without padding or dilation that lie wholly inside the plane
        // (the usual pooling layers): plain loops over the taps, in torch's
        // order, without the general loop's clipping.
        let inside = ph == 0 && pw == 0 && dh == 1 && dw == 1 && (oh - 1) * sh + kh <= h && (ow - 1) * sw + kw <= w
        Parallel.forEach(g.planes, grain: Swift.max(1, 8192 / Swift.max(1, oh * ow * kh * kw))) { planes in
            for p in planes {
                let src = x + p * h * w, dst = values + p * oh * ow, idx = indices.map { $0 + p * oh * ow }
                if inside && kh == 2 && kw == 2 && sh == 2 && sw == 2 && T.self == Float.self && h * w <= Int(Int32.max) {
                    VectorLoops.maxPool2x2(UnsafeRawPointer(src).assumingMemoryBound(to: Float.self),
                                           UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self), idx, w, oh, ow)
                    continue
                }
                if inside {
                    // (Wrapping arithmetic: the window lies inside the plane, checked above.)
                    for r in 0..<oh {
                        for q in 0..<ow {
                            let first = r &* sh &* w &+ q &* sw
                            var bestIndex = first, best = src[first]
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let at = first &+ i &* w &+ j, v = src[at]
                                    // torch: larger, or NaN (so the last NaN wins); ties keep the first.
                                    // Selects, not branches: on real data the comparison is
                                    // a coin toss the branch predictor loses half the time.
                                    let take = (v > best ? 1 : 0) | (v != v ? 1 : 0)
                                    best = take != 0 ? v : best
                                    bestIndex = take != 0 ? at : bestIndex
                                }
                            }
                            dst[r &* ow &+ q] = best
                            idx?[r &* ow &+ q] = Int64(truncatingIfNeeded: bestIndex)
                        }
                    }
                    continue
                }
                for r in 0..<oh {
                    // The window's rows start at the first tap inside the input.
                    var h0 = r * sh - ph
                    let h1 = Swift.min(h0 + (kh - 1) * dh + 1, h)
                    if h0 < 0 { h0 += (-h0 + dh - 1) / dh * dh }
                    for q in 0..<ow {
                        var w0 = q * sw - pw
                        let w1 = Swift.min(w0 + (kw - 1) * dw + 1, w)
                        if w0 < 0 { w0 += (-w0 + dw - 1) / dw * dw }
                        var best = T.poolLowest
                        var bestIndex = h0 * w + w0
                        for ih in stride(from: h0, to: h1, by: dh) {
                            let row = ih * w
                            for iw in stride(from: w0, to: w1, by: dw) {
                                let v = src[row + iw]
                                // torch: larger, or NaN (so the last NaN wins); ties keep the first.
                                let take = (v > best ? 1 : 0) | (v != v ? 1 : 0)
                                best = take != 0 ? v : best
                                bestIndex = take != 0 ? row + iw : bestIndex
                            }
                        }
                        dst[r * ow + q] = best
                        idx?[r * ow + q] = Int64(bestIndex)
                    }
                }
            }
        }
    }

    /// The gradient of max_pool2d: each output gradient added at its index
    /// in a zero input-shaped plane. Indices outside the plane are an error.
    public static func maxPool2dBackward(_ grad: NDArray, indices: NDArray, geometry g: PoolGeometry, inputShape: Dims) throws -> NDArray {
        try g.validate("max_pool2d_backward")
        guard indices.dtype == .int64, indices.shape == grad.shape else {
            throw EmberError.shape("max_pool2d_backward: expected int64 indices of shape \(describe(grad.shape)), got \(indices.dtype) \(describe(indices.shape))")
        }
        try checkPoolArrays("max_pool2d_backward", grad, g.outputHeight, g.outputWidth, g.planes, inputShape, g, inputSide: false)
        let plane = g.inputHeight * g.inputWidth, outPlane = g.outputHeight * g.outputWidth
        let idx = try indices.contiguous()
        let pi = idx.pointer(Int64.self)
        func checkIndices() throws {
            for i in 0..<idx.count where pi[i] < 0 || pi[i] >= Int64(plane) {
                throw EmberError.invalidArgument("max_pool2d_backward: index \(pi[i]) at position \(i) is outside a plane of \(plane) elements")
            }
        }
        if grad.count == 0 {
            try checkIndices()
            return try NDArray.zeros(inputShape, dtype: grad.dtype)
        }
        let out = try NDArray(empty: inputShape, dtype: grad.dtype)
        if out.count == 0 { return out }
        let gc = try grad.contiguous()
        // Each plane is zeroed and scattered into by one task (no serial pass
        // over the whole gradient first); an index outside its plane marks the
        // plane, and the error is then reported as a serial check finds it.
        var outside = [Bool](repeating: false, count: g.planes)
        func scatter<T: NumericElement>(_: T.Type) {
            let src = gc.pointer(T.self), dst = out.pointer(T.self)
            outside.withUnsafeMutableBufferPointer { outside in
                Parallel.forEach(g.planes, grain: Swift.max(1, 32_768 / Swift.max(1, outPlane + plane))) { planes in
                    for p in planes {
                        let s = src + p * outPlane, d = dst + p * plane, ix = pi + p * outPlane
                        d.update(repeating: T.zero, count: plane)
                        for q in 0..<outPlane {
                            let k = Int(ix[q])
                            guard k >= 0 && k < plane else {
                                outside[p] = true
                                continue
                            }
                            d[k] = T.plus(d[k], s[q])
                        }
                    }
                }
            }
        }
        switch grad.dtype {
        case .float32: scatter(Float.self)
        case .float64: scatter(Double.self)
        case .int64: scatter(Int64.self)
        case .bool: throw EmberError.dtype("max_pool2d is not implemented for bool tensors (as in torch)")
        }
        if outside.contains(true) { try checkIndices() }
        return out
    }

    // MARK: - Average pooling

    /// avg_pool2d: the mean of every window, dividing by the window's size
    /// clipped to the padded input (count_include_pad), by the number of
    /// input elements in it, or by `divisorOverride`.
    public static func avgPool2d(_ x: NDArray, geometry g: PoolGeometry, outputShape: Dims, countIncludePad: Bool,
                                 divisorOverride: Int?) throws -> NDArray {
        try g.validate("avg_pool2d")
        try checkPoolArrays("avg_pool2d", x, g.inputHeight, g.inputWidth, g.planes, outputShape, g)
        if let divisorOverride, divisorOverride == 0 { throw EmberError.invalidArgument("avg_pool2d: divisor must be not zero") }
        let out = try NDArray(empty: outputShape, dtype: x.dtype)
        if out.count == 0 { return out }
        let xc = try x.contiguous()
        switch x.dtype {
        case .float32: avgPoolLoop(xc.pointer(Float.self), out.pointer(Float.self), g, countIncludePad, divisorOverride, backward: false)
        case .float64: avgPoolLoop(xc.pointer(Double.self), out.pointer(Double.self), g, countIncludePad, divisorOverride, backward: false)
        case .int64: avgPoolLoop(xc.pointer(Int64.self), out.pointer(Int64.self), g, countIncludePad, divisorOverride, backward: false)
        case .bool: throw EmberError.dtype("avg_pool2d is not implemented for bool tensors (as in torch)")
        }
        return out
    }

    /// The gradient of avg_pool2d (its adjoint): each output gradient divided
    /// by its window's divisor and added over the window.
    public static func avgPool2dBackward(_ grad: NDArray, geometry g: PoolGeometry, inputShape: Dims, countIncludePad: Bool,
                                         divisorOverride: Int?) throws -> NDArray {
        try g.validate("avg_pool2d_backward")
        try checkPoolArrays("avg_pool2d_backward", grad, g.outputHeight, g.outputWidth, g.planes, inputShape, g, inputSide: false)
        if let divisorOverride, divisorOverride == 0 { throw EmberError.invalidArgument("avg_pool2d: divisor must be not zero") }
        let out = try NDArray.zeros(inputShape, dtype: grad.dtype)
        if out.count == 0 || grad.count == 0 { return out }
        let gc = try grad.contiguous()
        switch grad.dtype {
        case .float32: avgPoolLoop(out.pointer(Float.self), gc.pointer(Float.self), g, countIncludePad, divisorOverride, backward: true)
        case .float64: avgPoolLoop(out.pointer(Double.self), gc.pointer(Double.self), g, countIncludePad, divisorOverride, backward: true)
        case .int64: avgPoolLoop(out.pointer(Int64.self), gc.pointer(Int64.self), g, countIncludePad, divisorOverride, backward: true)
        case .bool: throw EmberError.dtype("avg_pool2d is not implemented for bool tensors (as in torch)")
        }
        return out
    }

    /// Forward: output = window sum / divisor. Backward (`backward`): the
    /// input plane (zeroed) receives output / divisor over each window.
    static func avgPoolLoop<T: PoolElement>(_ input: UnsafeMutablePointer<T>, _ output: UnsafeMutablePointer<T>, _ g: PoolGeometry,
                                            _ countIncludePad: Bool, _ divisorOverride: Int?, backward: Bool) {
        let (h, w, oh, ow) = (g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth)
        let (kh, kw, sh, sw, ph, pw) = (g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth, g.padHeight, g.padWidth)
        Parallel.forEach(g.planes, grain: Swift.max(1, 8192 / Swift.max(1, oh * ow * kh * kw))) { planes in
            for p in planes {
                let x = input + p * h * w, y = output + p * oh * ow
                for r in 0..<oh {
                    var h0 = r * sh - ph
                    var h1 = Swift.min(h0 + kh, h + ph)
                    let rows = h1 - h0
                    h0 = Swift.max(h0, 0)
                    h1 = Swift.min(h1, h)
                    for q in 0..<ow {
                        var w0 = q * sw - pw
                        var w1 = Swift.min(w0 + kw, w + pw)
                        let poolSize = rows * (w1 - w0)
                        w0 = Swift.max(w0, 0)
                        w1 = Swift.min(w1, w)
                        if h0 >= h1 || w0 >= w1 {
                            if !backward { y[r * ow + q] = T.zero }
                            continue
                        }
                        let divisor = divisorOverride ?? (countIncludePad ? poolSize : (h1 - h0) * (w1 - w0))
                        if backward {
                            let delta = T.poolAverage(y[r * ow + q], divisor)
                            for ih in h0..<h1 { for iw in w0..<w1 { x[ih * w + iw] = T.plus(x[ih * w + iw], delta) } }
                        } else {
                            var sum = T.zero
                            for ih in h0..<h1 { for iw in w0..<w1 { sum = T.plus(sum, x[ih * w + iw]) } }
                            y[r * ow + q] = T.poolAverage(sum, divisor)
                        }
                    }
                }
            }
        }
    }

    /// Checks that `x` ends in (height, width) over `planes` planes and that
    /// `other` (the result's shape) agrees with the geometry's other side.
    static func checkPoolArrays(_ op: String, _ x: NDArray, _ height: Int, _ width: Int, _ planes: Int, _ other: Dims,
                                _ g: PoolGeometry, inputSide: Bool = true) throws {
        let (oh, ow) = inputSide ? (g.outputHeight, g.outputWidth) : (g.inputHeight, g.inputWidth)
        guard x.ndim >= 2, x.shape[x.ndim - 2] == height, x.shape[x.ndim - 1] == width, x.count == planes * height * width,
              other.count == x.ndim, other.droppingLast(2) == x.shape.droppingLast(2),
              other[other.count - 2] == oh, other[other.count - 1] == ow else {
            throw EmberError.shape("\(op): shapes \(describe(x.shape)) and \(describe(other)) do not fit the pooling geometry \(g)")
        }
    }
}
