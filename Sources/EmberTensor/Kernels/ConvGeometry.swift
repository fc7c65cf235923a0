/// The shapes of a 2-D convolution (1-D ones are 2-D with a height of 1) and
/// the checks torch makes on a convolution's arguments, with torch's messages
/// prefixed by the op or layer name. The kernels in Conv.swift trust a
/// geometry built here.

/// How a convolution pads its input (torch's `padding`): explicit sizes, one
/// for every spatial dim or one for all of them, or the strings 'same' (the
/// output keeps the input's size; stride 1 only) and 'valid' (no padding).
///
/// ```swift
/// let y = try x.conv2d(weight: w, padding: .same)
/// let z = try x.conv2d(weight: w, padding: 1)        // .explicit([1])
/// ```
public enum ConvPadding: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    case explicit([Int])
    case same
    case valid

    public init(integerLiteral value: Int) { self = .explicit([value]) }
    public init(arrayLiteral elements: Int...) { self = .explicit(elements) }

    /// torch's padding strings, 'same' and 'valid'.
    public init(_ string: String, op: String) throws {
        switch string {
        case "same": self = .same
        case "valid": self = .valid
        default: throw EmberError.invalidArgument("\(op): invalid padding string '\(string)', should be one of 'valid', 'same'")
        }
    }
}

/// Everything a convolution kernel needs to know, in the 2-D form: input
/// (batch, inChannels, inputHeight, inputWidth), weight (outChannels,
/// inChannels / groups, kernelHeight, kernelWidth), output (batch,
/// outChannels, outputHeight, outputWidth). Output row `oh` reads input rows
/// `oh * strideHeight - padTop + i * dilationHeight`; positions outside the
/// input are zeros. The padding after the input is implied by the output
/// size, so 'same' with an even kernel (one more zero at the end, as torch
/// pads it) needs nothing special.
public struct ConvGeometry: Sendable, Equatable {
    public var batch = 0, inChannels = 0, outChannels = 0, groups = 1
    public var inputHeight = 1, inputWidth = 0, outputHeight = 1, outputWidth = 0
    public var kernelHeight = 1, kernelWidth = 1, strideHeight = 1, strideWidth = 1
    public var padTop = 0, padLeft = 0, dilationHeight = 1, dilationWidth = 1

    public init() {}

    public var inputShape: Dims { [batch, inChannels, inputHeight, inputWidth] }
    public var outputShape: Dims { [batch, outChannels, outputHeight, outputWidth] }
    public var weightShape: Dims { [outChannels, inChannels / groups, kernelHeight, kernelWidth] }
    /// Positions in one output plane (the columns one image contributes).
    public var outputPlane: Int { outputHeight * outputWidth }
    /// Rows of one group's column matrix: (inChannels / groups) * kernelHeight * kernelWidth.
    public var groupColumnRows: Int { inChannels / groups * kernelHeight * kernelWidth }
    /// The default budget for a chunk's column buffer and output staging:
    /// 8 MiB. Large enough for an efficient GEMM (thousands of columns), small
    /// enough that glibc serves it from the heap again instead of fresh
    /// mmap'd pages (page faults cost as much as the unrolling), and that a
    /// chunk is still in cache when the GEMM reads what im2col wrote.
    public static let defaultColumnBudget = 8 << 20

    /// How many images a chunk holds so that its column matrix and the
    /// output staging fit in `budget` bytes (at least one).
    func imagesPerChunk(itemSize: Int, budget: Int) -> Int {
        let rows = inChannels * kernelHeight * kernelWidth + outChannels
        let (perImage, overflow) = (rows * outputPlane).multipliedReportingOverflow(by: itemSize)
        if overflow || perImage == 0 { return 1 }
        return Swift.max(1, Swift.min(batch, budget / perImage))
    }

    /// Elements of one image's column matrix: (inChannels * kH * kW) x outputPlane.
    var imageColumns: Int { inChannels * kernelHeight * kernelWidth * outputPlane }

    /// The per-image plan's tasks: at most 8 (or one per thread beyond 8), so
    /// that for up to 8 threads the split, and with it every sum, is the same
    /// whatever the thread count.
    func perImageTasks(threads: Int) -> Int { Swift.max(1, Swift.min(batch, Swift.max(8, threads))) }

    /// Output positions per image from which the per-image plan's products
    /// (outChannels x positions) are wide enough to run well on their own.
    static let perImageMinimumPlane = 64

    /// Whether `plan` (`.automatic` resolved here) runs image by image: for a
    /// batch of images with planes of at least `perImageMinimumPlane`
    /// positions, whose tasks' columns fit in `budget` together.
    public func runsPerImage(_ plan: ConvPlan, itemSize: Int, budget: Int) -> Bool {
        switch plan {
        case .batched: return false
        case .perImage: return true
        case .automatic:
            let (bytes, overflow) = imageColumns.multipliedReportingOverflow(by: itemSize * perImageTasks(threads: Parallel.threads))
            return batch >= 2 && outputPlane >= Self.perImageMinimumPlane && !overflow && bytes <= budget
        }
    }
}

/// How a convolution kernel walks the batch (Kernels.convolution and its
/// adjoints). Both give the same values up to the order of float sums.
public enum ConvPlan: Sendable {
    /// The kernel picks: per image for batches of mid-sized planes, else batched.
    case automatic
    /// Chunks of images unrolled into one column matrix, one large GEMM per
    /// chunk split across threads: for small planes (few columns per image)
    /// and single large images.
    case batched
    /// The batch split into tasks across threads, each unrolling one image at
    /// a time into its own cache-sized column buffer and running that image's
    /// GEMMs itself, straight into the output (no staging); weight gradients
    /// are summed per task, then across tasks in order.
    case perImage
}

/// The arguments of a convolution as torch takes them, before validation.
public struct ConvOptions: Sendable, Equatable {
    /// One value for every spatial dim, or one per dim (torch's int or tuple).
    public var stride: [Int]
    public var padding: ConvPadding
    /// One value for every spatial dim, or one per dim.
    public var dilation: [Int]
    public var groups: Int
    /// Transposed convolutions only: extra size on one side of the output.
    public var outputPadding: [Int]

    public init(stride: [Int] = [1], padding: ConvPadding = .explicit([0]), dilation: [Int] = [1], groups: Int = 1,
                outputPadding: [Int] = [0]) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.outputPadding = outputPadding
    }
}

extension ConvGeometry {
    /// The geometry of conv1d (`spatial` 1) or conv2d (2) for the user's
    /// shapes, which may be unbatched (no N), after torch's checks. Throws
    /// SHAPE for shapes that do not fit (naming `op` and the shapes) and
    /// INVALID_ARGUMENT for bad strides, paddings, dilations and groups.
    public static func convolution(_ op: String, spatial: Int, input: Dims, weight: Dims, bias: Dims?,
                                   _ options: ConvOptions) throws -> (geometry: ConvGeometry, unbatched: Bool) {
        let unbatched = try checkRanks(op, spatial: spatial, input: input, weight: weight)
        let stride = try tuple(op, "stride", options.stride, spatial, minimum: 1)
        let dilation = try tuple(op, "dilation", options.dilation, spatial, minimum: 1)
        try checkGroups(op, options.groups)
        let groups = options.groups
        let x = unbatched ? [1] + input : input
        let outChannels = weight[0]
        guard outChannels >= 1 else {
            throw EmberError.shape("\(op): Given groups=\(groups), expected weight to be at least 1 at dimension 0, but got weight of size \(describe(weight)) instead")
        }
        guard outChannels % groups == 0 else {
            throw EmberError.shape("\(op): Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size \(describe(weight)) instead")
        }
        let (expected, expectedOverflow) = weight[1].multipliedReportingOverflow(by: groups)
        guard !expectedOverflow, x[1] == expected else {
            throw EmberError.shape("\(op): Given groups=\(groups), weight of size \(describe(weight)), expected input\(describe(input)) to have \(expectedOverflow ? "more" : String(expected)) channels, but got \(x[1]) channels instead")
        }
        if let bias, bias.count != 1 || bias[0] != outChannels {
            throw EmberError.shape("\(op): Given weight of size \(describe(weight)), expected bias to be 1-dimensional with \(outChannels) elements, but got bias of size \(describe(bias)) instead")
        }
        let kernel = Array(weight.dropFirst(2))
        let sizes = Array(x.dropFirst(2))
        try checkKernel(op, kernel, weight)
        // Effective (dilated) kernel extents; padding before and after each dim.
        var extent: [Int] = []
        for d in 0..<spatial {
            let (span, o1) = (kernel[d] - 1).multipliedReportingOverflow(by: dilation[d])
            guard !o1, span < Int.max else { throw EmberError.invalidArgument("\(op): dilation \(describe(dilation)) is too large") }
            extent.append(span + 1)
        }
        var before: [Int], after: [Int]
        switch options.padding {
        case .valid:
            before = [Int](repeating: 0, count: spatial)
            after = before
        case .same:
            guard stride.allSatisfy({ $0 == 1 }) else {
                throw EmberError.invalidArgument("\(op): padding='same' is not supported for strided convolutions (stride=\(describe(stride)))")
            }
            // torch pads the odd zero at the end (right, bottom).
            before = extent.map { ($0 - 1) / 2 }
            after = extent.map { ($0 - 1) - ($0 - 1) / 2 }
        case .explicit(let values):
            before = try tuple(op, "padding", values, spatial, minimum: 0)
            after = before
        }
        var padded: [Int] = []
        for d in 0..<spatial {
            let (a, o1) = sizes[d].addingReportingOverflow(before[d])
            let (b, o2) = a.addingReportingOverflow(after[d])
            guard !o1 && !o2 else { throw EmberError.invalidArgument("\(op): padding \(describe(before)) is too large") }
            padded.append(b)
        }
        guard zip(padded, extent).allSatisfy({ $0 >= $1 }) else {
            throw EmberError.shape("\(op): Calculated padded input size per channel: (\(padded.map(String.init).joined(separator: " x "))). Kernel size: (\(extent.map(String.init).joined(separator: " x "))). Kernel size can't be greater than actual input size (input \(describe(input)), weight \(describe(weight)))")
        }
        var g = ConvGeometry()
        g.batch = x[0]
        g.inChannels = x[1]
        g.outChannels = outChannels
        g.groups = groups
        let last = spatial - 1
        g.inputWidth = sizes[last]
        g.kernelWidth = kernel[last]
        g.strideWidth = stride[last]
        g.dilationWidth = dilation[last]
        g.padLeft = before[last]
        g.outputWidth = (padded[last] - extent[last]) / stride[last] + 1
        if spatial == 2 {
            g.inputHeight = sizes[0]
            g.kernelHeight = kernel[0]
            g.strideHeight = stride[0]
            g.dilationHeight = dilation[0]
            g.padTop = before[0]
            g.outputHeight = (padded[0] - extent[0]) / stride[0] + 1
        }
        return (g, unbatched)
    }

    /// The geometry of conv_transpose2d (`spatial` 2) for an input (N, C_in,
    /// H, W) or (C_in, H, W) and a weight (C_in, C_out / groups, kH, kW): the
    /// convolution whose input gradient it is, so the geometry's input is the
    /// transposed convolution's output, of size
    /// (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1.
    public static func transposed(_ op: String, spatial: Int, input: Dims, weight: Dims, bias: Dims?,
                                  _ options: ConvOptions) throws -> (geometry: ConvGeometry, unbatched: Bool) {
        let unbatched = try checkRanks(op, spatial: spatial, input: input, weight: weight)
        let stride = try tuple(op, "stride", options.stride, spatial, minimum: 1)
        let dilation = try tuple(op, "dilation", options.dilation, spatial, minimum: 1)
        guard case .explicit(let paddingValues) = options.padding else {
            throw EmberError.invalidArgument("\(op): padding must be integers for a transposed convolution, not 'same' or 'valid'")
        }
        let padding = try tuple(op, "padding", paddingValues, spatial, minimum: 0)
        let outputPadding = try tuple(op, "output_padding", options.outputPadding, spatial, minimum: 0)
        try checkGroups(op, options.groups)
        let groups = options.groups
        for d in 0..<spatial where !(outputPadding[d] < stride[d] || outputPadding[d] < dilation[d]) {
            throw EmberError.invalidArgument("\(op): output padding must be smaller than either stride or dilation, but got output_padding=\(describe(outputPadding)), stride=\(describe(stride)), dilation=\(describe(dilation))")
        }
        let x = unbatched ? [1] + input : input
        guard weight[0] == x[1] else {
            throw EmberError.shape("\(op): Given transposed=1, weight of size \(describe(weight)), expected input\(describe(input)) to have \(weight[0]) channels, but got \(x[1]) channels instead")
        }
        guard weight[0] % groups == 0 else {
            throw EmberError.shape("\(op): Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size \(describe(weight)) instead")
        }
        let (outChannels, channelOverflow) = weight[1].multipliedReportingOverflow(by: groups)
        guard !channelOverflow else { throw EmberError.invalidArgument("\(op): weight \(describe(weight)) has too many output channels") }
        if let bias, bias.count != 1 || bias[0] != outChannels {
            throw EmberError.shape("\(op): Given transposed=1, weight of size \(describe(weight)), expected bias to be 1-dimensional with \(outChannels) elements, but got bias of size \(describe(bias)) instead")
        }
        let sizes = Array(x.dropFirst(2)), kernel = Array(weight.dropFirst(2))
        try checkKernel(op, kernel, weight)
        guard sizes.allSatisfy({ $0 > 0 }) else {
            throw EmberError.shape("\(op): only zero batch or zero channel inputs are supported, but got input of size \(describe(input))")
        }
        var outSizes: [Int] = []
        for d in 0..<spatial {
            // (size - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1, checked.
            let (a, o1) = (sizes[d] - 1).multipliedReportingOverflow(by: stride[d])
            let (b, o2) = (kernel[d] - 1).multipliedReportingOverflow(by: dilation[d])
            let (p, o3) = padding[d].multipliedReportingOverflow(by: 2)
            let (s1, o4) = a.addingReportingOverflow(b)
            let (s2, o5) = s1.addingReportingOverflow(outputPadding[d] + 1)
            let (s3, o6) = s2.subtractingReportingOverflow(p)
            guard !(o1 || o2 || o3 || o4 || o5 || o6) else {
                throw EmberError.invalidArgument("\(op): stride, padding or dilation too large for input \(describe(input))")
            }
            guard s3 >= 0 else {
                throw EmberError.shape("\(op): the output size \(s3) would be negative for input \(describe(input)), weight \(describe(weight)) and padding \(describe(padding))")
            }
            outSizes.append(s3)
        }
        var g = ConvGeometry()
        g.batch = x[0]
        g.inChannels = outChannels
        g.outChannels = weight[0]
        g.groups = groups
        let last = spatial - 1
        g.inputWidth = outSizes[last]
        g.outputWidth = sizes[last]
        g.kernelWidth = kernel[last]
        g.strideWidth = stride[last]
        g.dilationWidth = dilation[last]
        g.padLeft = padding[last]
        if spatial == 2 {
            g.inputHeight = outSizes[0]
            g.outputHeight = sizes[0]
            g.kernelHeight = kernel[0]
            g.strideHeight = stride[0]
            g.dilationHeight = dilation[0]
            g.padTop = padding[0]
        }
        return (g, unbatched)
    }

    /// Checks for an input of spatial + 1 (unbatched) or spatial + 2 dims and
    /// a weight of spatial + 2; returns whether the input is unbatched.
    public static func checkRanks(_ op: String, spatial: Int, input: Dims, weight: Dims) throws -> Bool {
        let layout = spatial == 1 ? "(N, C, L)" : "(N, C, H, W)"
        guard input.count == spatial + 1 || input.count == spatial + 2 else {
            throw EmberError.shape("\(op): expected a \(spatial + 1)-D (unbatched) or \(spatial + 2)-D (batched) input \(layout), got \(describe(input))")
        }
        guard weight.count == spatial + 2 else {
            let w = spatial == 1 ? "(out_channels, in_channels / groups, kL)" : "(out_channels, in_channels / groups, kH, kW)"
            throw EmberError.shape("\(op): expected a \(spatial + 2)-D weight \(w), got \(describe(weight))")
        }
        return input.count == spatial + 1
    }

    static func checkKernel(_ op: String, _ kernel: [Int], _ weight: Dims) throws {
        guard kernel.allSatisfy({ $0 > 0 }) else {
            throw EmberError.shape("\(op): kernel size should be greater than zero, but got weight of size \(describe(weight))")
        }
    }

    static func checkGroups(_ op: String, _ groups: Int) throws {
        guard groups > 0 else { throw EmberError.invalidArgument("\(op): non-positive groups is not supported (groups=\(groups))") }
    }

    /// An int-or-tuple argument as `spatial` values (torch's _single/_pair),
    /// each at least `minimum`.
    public static func tuple(_ op: String, _ name: String, _ values: [Int], _ spatial: Int, minimum: Int) throws -> [Int] {
        let expanded: [Int]
        if values.count == 1 {
            expanded = [Int](repeating: values[0], count: spatial)
        } else if values.count == spatial {
            expanded = values
        } else {
            throw EmberError.invalidArgument("\(op): expected \(name) to be a single integer value or a list of \(spatial) values to match the convolution dimensions, but got \(name)=\(describe(values))")
        }
        if let bad = expanded.first(where: { $0 < minimum }) {
            let what = minimum == 0 ? "negative" : "non-positive"
            throw EmberError.invalidArgument("\(op): \(what) \(name) is not supported (\(name)=\(describe(values)), got \(bad))")
        }
        return expanded
    }

    /// torch's dtype rules for a convolution: input, weight and bias of one
    /// dtype, floating or int64 (bool is not implemented, as in torch).
    public static func checkDTypes(_ op: String, input: DType, weight: DType, bias: DType?) throws {
        guard input == weight else {
            throw EmberError.dtype("\(op): input is \(input) but weight is \(weight); convert one with to(dtype)")
        }
        if let bias, bias != input {
            throw EmberError.dtype("\(op): input is \(input) but bias is \(bias); convert one with to(dtype)")
        }
        guard input != .bool else { throw EmberError.dtype("\(op) is not implemented for bool tensors (as in torch)") }
    }
}
