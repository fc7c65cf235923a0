import EmberAutograd
import EmberTensor

/// Pooling and resampling modules. Sizes are kept as given -- one value
/// ([2], torch's int) or one per dim ([2, 3], torch's tuple) -- because
/// torch's repr prints them that way.

/// What MaxPool1d and MaxPool2d share (torch's _MaxPoolNd).
public class MaxPoolNd: Module {
    /// The window: one size for every dim, or one per dim.
    public let kernelSize: [Int]
    /// The stride; the kernel size when none was given (as torch stores stride=None).
    public let stride: [Int]
    /// Implicit -inf padding on both sides (at most half the kernel) and the spacing of window taps.
    public let padding: [Int], dilation: [Int]
    /// Whether the several-output forward also returns the indices; whether sizes round up.
    public let returnIndices: Bool, ceilMode: Bool
    let spatial: Int

    init(_ type: String, spatial: Int, kernelSize: [Int], stride: [Int]?, padding: [Int], dilation: [Int], returnIndices: Bool,
         ceilMode: Bool) throws {
        try MaxPoolNd.checkArguments(type, spatial: spatial, PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding,
                                                                          dilation: dilation, ceilMode: ceilMode))
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.returnIndices = returnIndices
        self.ceilMode = ceilMode
        self.spatial = spatial
        super.init()
    }

    /// Rejects bad sizes when the module is made (torch waits for the forward).
    static func checkArguments(_ type: String, spatial: Int, _ options: PoolOptions) throws {
        let counts = [options.kernelSize.count, options.stride?.count ?? 1, options.padding.count, options.dilation.count]
        guard counts.allSatisfy({ $0 == 1 || $0 == spatial }) else {
            throw EmberError.invalidArgument("\(type): kernel_size, stride, padding and dilation must each be a single int or \(spatial) ints")
        }
        guard options.kernelSize.allSatisfy({ $0 > 0 }), (options.stride ?? [1]).allSatisfy({ $0 > 0 }),
              options.dilation.allSatisfy({ $0 > 0 }), options.padding.allSatisfy({ $0 >= 0 }) else {
            throw EmberError.invalidArgument("\(type): kernel_size, stride and dilation must be positive and padding non-negative, got kernel_size=\(describe(options.kernelSize)), stride=\(options.stride.map(describe) ?? "None"), padding=\(describe(options.padding)), dilation=\(describe(options.dilation))")
        }
    }

    var options: PoolOptions {
        PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    /// The maxima, or with return_indices an error pointing to the several-output forward.
    override public func forward(_ input: Tensor) throws -> Tensor {
        guard !returnIndices else {
            throw EmberError.invalidArgument("\(typeName) with return_indices=True returns 2 outputs (values, indices); use the forward that returns several")
        }
        return try input.maxPool(typeName, spatial: spatial, options, withIndices: false).values
    }

    /// [values], or [values, indices] with return_indices.
    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 1 else { throw EmberError.invalidArgument("\(typeName) takes one input, got \(inputs.count)") }
        let (values, indices) = try inputs[0].maxPool(typeName, spatial: spatial, options, withIndices: returnIndices)
        if returnIndices, let indices { return [values, indices] }
        return [values]
    }

    override public var extraRepr: String {
        "kernel_size=\(pythonIntOrTuple(kernelSize)), stride=\(pythonIntOrTuple(stride)), padding=\(pythonIntOrTuple(padding)), dilation=\(pythonIntOrTuple(dilation)), ceil_mode=\(ceilMode ? "True" : "False")"
    }
}

/// Max pooling over (N, C, L) or (C, L) (torch.nn.MaxPool1d).
public final class MaxPool1d: MaxPoolNd {
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1], returnIndices: Bool = false,
                ceilMode: Bool = false) throws {
        try super.init("MaxPool1d", spatial: 1, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                       returnIndices: returnIndices, ceilMode: ceilMode)
    }
    override public var typeName: String { "MaxPool1d" }
}

/// Max pooling over (N, C, H, W) or (C, H, W) (torch.nn.MaxPool2d).
///
/// ```swift
/// let pool = try MaxPool2d(kernelSize: [2])
/// ```
public final class MaxPool2d: MaxPoolNd {
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], dilation: [Int] = [1], returnIndices: Bool = false,
                ceilMode: Bool = false) throws {
        try super.init("MaxPool2d", spatial: 2, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                       returnIndices: returnIndices, ceilMode: ceilMode)
    }
    override public var typeName: String { "MaxPool2d" }
}

/// Average pooling over (N, C, H, W) or (C, H, W) (torch.nn.AvgPool2d).
public final class AvgPool2d: Module {
    /// The window: one size for both dims, or (kH, kW).
    public let kernelSize: [Int]
    /// The stride; the kernel size when none was given.
    public let stride: [Int]
    /// Implicit zero padding on both sides (at most half the kernel).
    public let padding: [Int]
    /// Whether sizes round up; whether the padding counts in the divisor.
    public let ceilMode: Bool, countIncludePad: Bool
    /// A fixed divisor replacing the window size, if set.
    public let divisorOverride: Int?

    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0], ceilMode: Bool = false, countIncludePad: Bool = true,
                divisorOverride: Int? = nil) throws {
        try MaxPoolNd.checkArguments("AvgPool2d", spatial: 2,
                                     PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode))
        if let divisorOverride, divisorOverride == 0 { throw EmberError.invalidArgument("AvgPool2d: divisor must be not zero") }
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.divisorOverride = divisorOverride
        super.init()
    }

    override public var typeName: String { "AvgPool2d" }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try input.avgPool(typeName, PoolOptions(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode),
                          countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }

    override public var extraRepr: String {
        "kernel_size=\(pythonIntOrTuple(kernelSize)), stride=\(pythonIntOrTuple(stride)), padding=\(pythonIntOrTuple(padding))"
    }
}

/// Adaptive average pooling to a fixed output size (torch.nn.AdaptiveAvgPool2d).
///
/// ```swift
/// let gap = try AdaptiveAvgPool2d(outputSize: [1])   // global average pooling
/// ```
public final class AdaptiveAvgPool2d: Module {
    /// One size for both dims or (OH, OW); nil keeps the input's size.
    public let outputSize: [Int?]

    public init(outputSize: [Int?]) throws {
        guard outputSize.count == 1 || outputSize.count == 2 else {
            throw EmberError.invalidArgument("AdaptiveAvgPool2d: output_size must be an int or a tuple of 2, got \(outputSize.count) values")
        }
        guard outputSize.allSatisfy({ ($0 ?? 0) >= 0 }) else {
            throw EmberError.invalidArgument("AdaptiveAvgPool2d: elements of output_size must be greater than or equal to 0")
        }
        self.outputSize = outputSize
        super.init()
    }

    override public var typeName: String { "AdaptiveAvgPool2d" }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try input.adaptiveAvgPool(typeName, outputSize: outputSize)
    }

    override public var extraRepr: String {
        let items = outputSize.map { $0.map(String.init) ?? "None" }
        return "output_size=" + (items.count == 1 ? items[0] : "(" + items.joined(separator: ", ") + ")")
    }
}

/// Resampling (torch.nn.Upsample): to `size`, or by `scaleFactor`, in mode
/// nearest, nearest-exact or bilinear.
///
/// ```swift
/// let up = try Upsample(scaleFactor: [2], mode: .bilinear)
/// ```
public final class Upsample: Module {
    /// The output size (one for every spatial dim, or one per dim), or nil when scaling.
    public let size: [Int]?
    /// The scale factors (one, or one per dim), or nil when sizing.
    public let scaleFactor: [Double]?
    /// nearest, nearest-exact or bilinear.
    public let mode: InterpolationMode
    /// Bilinear only: map the corner pixels' centres onto each other (nil is false).
    public let alignCorners: Bool?
    /// Sample with input / output size instead of 1 / scale_factor.
    public let recomputeScaleFactor: Bool?

    public init(size: [Int]? = nil, scaleFactor: [Double]? = nil, mode: InterpolationMode = .nearest, alignCorners: Bool? = nil,
                recomputeScaleFactor: Bool? = nil) throws {
        if let size, size.isEmpty || size.contains(where: { $0 < 0 }) {
            throw EmberError.invalidArgument("Upsample: size must be non-negative ints, got \(describe(size))")
        }
        if let scaleFactor, scaleFactor.isEmpty {
            throw EmberError.invalidArgument("Upsample: scale_factor must be a number or a tuple of numbers")
        }
        self.size = size
        // torch stores float(scale_factor): its repr prints 2.0.
        self.scaleFactor = scaleFactor
        self.mode = mode
        self.alignCorners = alignCorners
        self.recomputeScaleFactor = recomputeScaleFactor
        super.init()
    }

    override public var typeName: String { "Upsample" }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try input.interpolate(typeName, size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners,
                              recomputeScaleFactor: recomputeScaleFactor)
    }

    override public var extraRepr: String {
        var info: String
        if let scaleFactor {
            let items = scaleFactor.map { "\($0)" }
            info = "scale_factor=" + (items.count == 1 ? items[0] : "(" + items.joined(separator: ", ") + ")")
        } else if let size {
            info = "size=" + pythonIntOrTuple(size)
        } else {
            info = "size=None"
        }
        return info + ", mode='\(mode.rawValue)'"
    }
}

// MARK: - Registry

extension ModuleRegistry {
    /// MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Upsample with torch's signatures.
    static let poolModules: [String: Entry] = [
        "MaxPool1d": Entry(maxPoolSignature) { a in
            try MaxPool1d(kernelSize: requiredIntOrTuple(a, "kernel_size", count: 1), stride: intOrTuple(a, "stride", count: 1),
                          padding: requiredIntOrTuple(a, "padding", count: 1), dilation: requiredIntOrTuple(a, "dilation", count: 1),
                          returnIndices: a.bool("return_indices"), ceilMode: a.bool("ceil_mode"))
        },
        "MaxPool2d": Entry(maxPoolSignature) { a in
            try MaxPool2d(kernelSize: requiredIntOrTuple(a, "kernel_size", count: 2), stride: intOrTuple(a, "stride", count: 2),
                          padding: requiredIntOrTuple(a, "padding", count: 2), dilation: requiredIntOrTuple(a, "dilation", count: 2),
                          returnIndices: a.bool("return_indices"), ceilMode: a.bool("ceil_mode"))
        },
        "AvgPool2d": Entry([.init("kernel_size"), .init("stride", ArgumentValue.none), .init("padding", .int(0)), .init("ceil_mode", .bool(false)),
                            .init("count_include_pad", .bool(true)), .init("divisor_override", ArgumentValue.none)]) { a in
            try AvgPool2d(kernelSize: requiredIntOrTuple(a, "kernel_size", count: 2), stride: intOrTuple(a, "stride", count: 2),
                          padding: requiredIntOrTuple(a, "padding", count: 2), ceilMode: a.bool("ceil_mode"),
                          countIncludePad: a.bool("count_include_pad"), divisorOverride: a.optionalInt("divisor_override"))
        },
        "AdaptiveAvgPool2d": Entry([.init("output_size")]) { a in
            let v = try a.value("output_size")
            switch v {
            case .int(let n): return try AdaptiveAvgPool2d(outputSize: [n])
            case .tuple(let items) where items.count == 2:
                return try AdaptiveAvgPool2d(outputSize: items.map { item in
                    switch item {
                    case .int(let n): return n
                    case .none: return nil
                    default: throw a.mismatch("output_size", "an int or a tuple of 2 ints or None", v)
                    }
                })
            default: throw a.mismatch("output_size", "an int or a tuple of 2 ints or None", v)
            }
        },
        "Upsample": Entry([.init("size", ArgumentValue.none), .init("scale_factor", ArgumentValue.none), .init("mode", .string("nearest")),
                           .init("align_corners", ArgumentValue.none), .init("recompute_scale_factor", ArgumentValue.none)]) { a in
            let modeName = try a.string("mode")
            guard let mode = InterpolationMode(rawValue: modeName) else {
                throw EmberError.invalidArgument("Upsample: mode '\(modeName)' is not supported; expected one of 'nearest', 'nearest-exact', 'bilinear'")
            }
            let scale: [Double]?
            switch try a.value("scale_factor") {
            case .none: scale = nil
            case .tuple(let items):
                scale = try items.map { item in
                    switch item {
                    case .int(let n): return Double(n)
                    case .double(let d): return d
                    default: throw a.mismatch("scale_factor", "a number or a tuple of numbers", .tuple(items))
                    }
                }
            default: scale = [try a.double("scale_factor")]
            }
            return try Upsample(size: intOrTuple(a, "size", count: nil), scaleFactor: scale, mode: mode,
                                alignCorners: optionalBool(a, "align_corners"), recomputeScaleFactor: optionalBool(a, "recompute_scale_factor"))
        },
    ]

    static let maxPoolSignature: [Arguments.Parameter] = [
        .init("kernel_size"), .init("stride", ArgumentValue.none), .init("padding", .int(0)), .init("dilation", .int(1)),
        .init("return_indices", .bool(false)), .init("ceil_mode", .bool(false)),
    ]

    /// An int ([n]), a tuple of `count` ints (any length if count is nil), or None (nil).
    static func intOrTuple(_ a: Arguments, _ name: String, count: Int?) throws -> [Int]? {
        let v = try a.value(name)
        switch v {
        case .none: return nil
        case .int(let n): return [n]
        case .tuple(let items) where count == nil || items.count == count:
            return try items.map { item in
                guard case .int(let n) = item else { throw a.mismatch(name, "an int or a tuple of ints", v) }
                return n
            }
        default: throw a.mismatch(name, count.map { "an int or a tuple of \($0) ints" } ?? "an int or a tuple of ints", v)
        }
    }

    /// As intOrTuple, where None is not allowed.
    static func requiredIntOrTuple(_ a: Arguments, _ name: String, count: Int) throws -> [Int] {
        guard let values = try intOrTuple(a, name, count: count) else {
            throw a.mismatch(name, "an int or a tuple of \(count) ints", .none)
        }
        return values
    }

    static func optionalBool(_ a: Arguments, _ name: String) throws -> Bool? {
        if case .none = try a.value(name) { return nil }
        return try a.bool(name)
    }
}
