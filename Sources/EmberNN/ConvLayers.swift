import EmberAutograd
import EmberTensor

/// What Conv1d, Conv2d and ConvTranspose2d share (torch's _ConvNd): the
/// hyper-parameters, the weight (out, in / groups, *kernel) -- (in, out /
/// groups, *kernel) when transposed -- and optional bias, torch's default
/// initialisation and torch's repr.
public class ConvNd: Module {
    /// Channels of the input and of the output.
    public let inChannels: Int, outChannels: Int
    /// One entry per spatial dim, as torch stores them (after _single/_pair).
    public let kernelSize: [Int], stride: [Int], dilation: [Int], outputPadding: [Int]
    /// Explicit sizes (one per spatial dim), or 'same' / 'valid'.
    public let padding: ConvPadding
    /// Blocked connections: each group of in/groups input channels feeds out/groups outputs.
    public let groups: Int
    /// 'zeros', 'reflect', 'replicate' or 'circular'.
    public let paddingMode: String
    let spatial: Int
    let transposed: Bool

    init(_ type: String, spatial: Int, transposed: Bool, _ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int],
         padding: ConvPadding, dilation: [Int], outputPadding: [Int], groups: Int, bias: Bool, paddingMode: String, dtype: DType) throws {
        guard inChannels >= 0, outChannels >= 0 else {
            throw EmberError.invalidArgument("\(type): in_channels and out_channels must be non-negative, got \(inChannels) and \(outChannels)")
        }
        guard groups > 0 else { throw EmberError.invalidArgument("\(type): groups must be a positive integer, got \(groups)") }
        guard inChannels % groups == 0 else {
            throw EmberError.invalidArgument("\(type): in_channels must be divisible by groups (in_channels=\(inChannels), groups=\(groups))")
        }
        guard outChannels % groups == 0 else {
            throw EmberError.invalidArgument("\(type): out_channels must be divisible by groups (out_channels=\(outChannels), groups=\(groups))")
        }
        let modes = ["zeros", "reflect", "replicate", "circular"]
        guard modes.contains(paddingMode) else {
            throw EmberError.invalidArgument("\(type): padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', but got padding_mode='\(paddingMode)'")
        }
        if transposed && paddingMode != "zeros" {
            throw EmberError.invalidArgument("\(type): only \"zeros\" padding mode is supported for \(type), got '\(paddingMode)'")
        }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("\(type): parameters must be floating, got \(dtype)") }
        // torch defers these checks to the first forward; failing here is kinder.
        self.kernelSize = try ConvGeometry.tuple(type, "kernel_size", kernelSize, spatial, minimum: 1)
        self.stride = try ConvGeometry.tuple(type, "stride", stride, spatial, minimum: 1)
        self.dilation = try ConvGeometry.tuple(type, "dilation", dilation, spatial, minimum: 1)
        self.outputPadding = try ConvGeometry.tuple(type, "output_padding", outputPadding, spatial, minimum: 0)
        switch padding {
        case .explicit(let values): self.padding = .explicit(try ConvGeometry.tuple(type, "padding", values, spatial, minimum: 0))
        case .same:
            guard !transposed else { throw EmberError.invalidArgument("\(type): padding='same' is not supported for \(type)") }
            guard self.stride.allSatisfy({ $0 == 1 }) else {
                throw EmberError.invalidArgument("\(type): padding='same' is not supported for strided convolutions")
            }
            self.padding = .same
        case .valid:
            guard !transposed else { throw EmberError.invalidArgument("\(type): padding='valid' is not supported for \(type)") }
            self.padding = .valid
        }
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.paddingMode = paddingMode
        self.spatial = spatial
        self.transposed = transposed
        super.init()
        let leading = transposed ? [inChannels, outChannels / groups] : [outChannels, inChannels / groups]
        let shape = try Dims(checking: leading + self.kernelSize)
        _ = try Shapes.validate(shape, itemSize: dtype.itemSize)
        try registerParameter("weight", Tensor(try NDArray.zeros(shape, dtype: dtype)))
        if bias { try registerParameter("bias", Tensor(try NDArray.zeros([outChannels], dtype: dtype))) }
        try resetParameters()
    }

    /// The "weight" parameter: (out, in / groups, *kernel), or (in, out / groups, *kernel) when transposed.
    public var weight: Tensor { ownParameter("weight")! }
    /// The "bias" parameter (out), nil for bias=False.
    public var bias: Tensor? { ownParameter("bias") }

    /// torch's reset_parameters: kaiming_uniform(a = sqrt(5)) for the weight,
    /// then U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias (fan_in from the
    /// weight's shape; a bias with fan_in 0 stays zero).
    public func resetParameters() throws {
        try Init.kaimingUniform(weight, a: 5.0.squareRoot())
        if let bias {
            let (fanIn, _) = try Init.fans(weight.shape)
            if fanIn != 0 {
                let bound = 1 / Double(fanIn).squareRoot()
                try Init.uniform(bias, from: -bound, to: bound)
            }
        }
    }

    /// The options for the functional op (padding 0 when another mode pads first).
    var options: ConvOptions {
        ConvOptions(stride: stride, padding: paddingMode == "zeros" ? padding : .explicit([0]), dilation: dilation,
                    groups: groups, outputPadding: outputPadding)
    }

    /// torch's _reversed_padding_repeated_twice: F.pad's list for padding_mode,
    /// last dim first; 'same' puts the odd pad at the end.
    var reversedPadding: [Int] {
        var pads: [Int] = []
        for d in (0..<spatial).reversed() {
            switch padding {
            case .explicit(let p): pads += [p[d], p[d]]
            case .valid: pads += [0, 0]
            case .same:
                let total = dilation[d] * (kernelSize[d] - 1)
                pads += [total / 2, total - total / 2]
            }
        }
        return pads
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        if transposed {
            return try input.convolutionTransposed(typeName, spatial: spatial, weight: weight, bias: bias, options)
        }
        var x = input
        if paddingMode != "zeros" {
            // Check the rank first, so a wrong input is reported as the layer's error, not pad's.
            _ = try ConvGeometry.checkRanks(typeName, spatial: spatial, input: input.shape, weight: weight.shape)
            x = try input.pad(reversedPadding, mode: paddingMode)
        }
        return try x.convolution(typeName, spatial: spatial, weight: weight, bias: bias, options)
    }

    /// torch's _ConvNd.extra_repr.
    override public var extraRepr: String {
        var s = "\(inChannels), \(outChannels), kernel_size=\(pythonTuple(kernelSize)), stride=\(pythonTuple(stride))"
        switch padding {
        case .explicit(let p): if p.contains(where: { $0 != 0 }) { s += ", padding=\(pythonTuple(p))" }
        case .same: s += ", padding=same"
        case .valid: s += ", padding=valid"
        }
        if dilation.contains(where: { $0 != 1 }) { s += ", dilation=\(pythonTuple(dilation))" }
        if outputPadding.contains(where: { $0 != 0 }) { s += ", output_padding=\(pythonTuple(outputPadding))" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        if paddingMode != "zeros" { s += ", padding_mode=\(paddingMode)" }
        return s
    }
}

/// A 1-D convolution over (N, C_in, L) or (C_in, L) (torch.nn.Conv1d).
///
/// ```swift
/// let conv = try Conv1d(16, 33, kernelSize: [3], stride: [2])
/// ```
public final class Conv1d: ConvNd {
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: ConvPadding = 0,
                dilation: [Int] = [1], groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", dtype: DType = .float32) throws {
        try super.init("Conv1d", spatial: 1, transposed: false, inChannels, outChannels, kernelSize: kernelSize, stride: stride,
                       padding: padding, dilation: dilation, outputPadding: [0], groups: groups, bias: bias,
                       paddingMode: paddingMode, dtype: dtype)
    }
    override public var typeName: String { "Conv1d" }
}

/// A 2-D convolution over (N, C_in, H, W) or (C_in, H, W) (torch.nn.Conv2d):
/// weight (C_out, C_in / groups, kH, kW), bias (C_out).
///
/// ```swift
/// let conv = try Conv2d(1, 32, kernelSize: [3], padding: .same)
/// let y = try conv(x)   // [64, 1, 28, 28] -> [64, 32, 28, 28]
/// ```
public final class Conv2d: ConvNd {
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: ConvPadding = 0,
                dilation: [Int] = [1], groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", dtype: DType = .float32) throws {
        try super.init("Conv2d", spatial: 2, transposed: false, inChannels, outChannels, kernelSize: kernelSize, stride: stride,
                       padding: padding, dilation: dilation, outputPadding: [0], groups: groups, bias: bias,
                       paddingMode: paddingMode, dtype: dtype)
    }
    override public var typeName: String { "Conv2d" }
}

/// A transposed 2-D convolution (torch.nn.ConvTranspose2d): weight (C_in,
/// C_out / groups, kH, kW), bias (C_out); the gradient of Conv2d with respect
/// to its input, used to upsample.
public final class ConvTranspose2d: ConvNd {
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: [Int] = [0],
                outputPadding: [Int] = [0], groups: Int = 1, bias: Bool = true, dilation: [Int] = [1],
                paddingMode: String = "zeros", dtype: DType = .float32) throws {
        try super.init("ConvTranspose2d", spatial: 2, transposed: true, inChannels, outChannels, kernelSize: kernelSize,
                       stride: stride, padding: .explicit(padding), dilation: dilation, outputPadding: outputPadding,
                       groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype)
    }
    override public var typeName: String { "ConvTranspose2d" }
}

/// A Python tuple of ints as torch prints one: "(3, 3)", "(3,)".
func pythonTuple(_ values: [Int]) -> String {
    "(" + values.map(String.init).joined(separator: ", ") + (values.count == 1 ? ",)" : ")")
}

/// An int or a tuple as torch prints what it was given: "2", "(2, 3)".
func pythonIntOrTuple(_ values: [Int]) -> String {
    values.count == 1 ? String(values[0]) : pythonTuple(values)
}

// MARK: - Registry

extension ModuleRegistry {
    /// Conv1d, Conv2d, ConvTranspose2d with torch's signatures.
    static let convModules: [String: Entry] = [
        "Conv1d": Entry(convSignature) { a in
            try Conv1d(a.int("in_channels"), a.int("out_channels"), kernelSize: a.ints("kernel_size", count: 1),
                       stride: a.ints("stride", count: 1), padding: convPadding(a, count: 1), dilation: a.ints("dilation", count: 1),
                       groups: a.int("groups"), bias: a.bool("bias"), paddingMode: a.string("padding_mode"))
        },
        "Conv2d": Entry(convSignature) { a in
            try Conv2d(a.int("in_channels"), a.int("out_channels"), kernelSize: a.ints("kernel_size", count: 2),
                       stride: a.ints("stride", count: 2), padding: convPadding(a, count: 2), dilation: a.ints("dilation", count: 2),
                       groups: a.int("groups"), bias: a.bool("bias"), paddingMode: a.string("padding_mode"))
        },
        "ConvTranspose2d": Entry([.init("in_channels"), .init("out_channels"), .init("kernel_size"), .init("stride", .int(1)),
                                  .init("padding", .int(0)), .init("output_padding", .int(0)), .init("groups", .int(1)),
                                  .init("bias", .bool(true)), .init("dilation", .int(1)), .init("padding_mode", .string("zeros"))]) { a in
            try ConvTranspose2d(a.int("in_channels"), a.int("out_channels"), kernelSize: a.ints("kernel_size", count: 2),
                                stride: a.ints("stride", count: 2), padding: a.ints("padding", count: 2),
                                outputPadding: a.ints("output_padding", count: 2), groups: a.int("groups"), bias: a.bool("bias"),
                                dilation: a.ints("dilation", count: 2), paddingMode: a.string("padding_mode"))
        },
    ]

    static let convSignature: [Arguments.Parameter] = [
        .init("in_channels"), .init("out_channels"), .init("kernel_size"), .init("stride", .int(1)), .init("padding", .int(0)),
        .init("dilation", .int(1)), .init("groups", .int(1)), .init("bias", .bool(true)), .init("padding_mode", .string("zeros")),
    ]

    /// padding: an int, a tuple of `count` ints, or 'same' / 'valid'.
    static func convPadding(_ a: Arguments, count: Int) throws -> ConvPadding {
        if case .string(let s) = try a.value("padding") { return try ConvPadding(s, op: a.type) }
        return .explicit(try a.ints("padding", count: count))
    }
}
