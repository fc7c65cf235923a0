import EmberAutograd
import EmberTensor

/// Activation modules: thin modules over the elementwise and softmax ops,
/// with torch's constructor arguments and reprs. `inplace=True` is accepted
/// (and shown in the repr, as torch does) but the result is computed out of
/// place: the input is left unchanged, the output is the same.

/// x if x > 0 else negative_slope * x (torch.nn.LeakyReLU).
public final class LeakyReLU: Module {
    /// The constructor arguments, as torch keeps them.
    public let negativeSlope: Double, inplace: Bool
    /// Makes the module with torch's defaults.
    public init(negativeSlope: Double = 0.01, inplace: Bool = false) {
        self.negativeSlope = negativeSlope
        self.inplace = inplace
        super.init()
    }
    override public var typeName: String { "LeakyReLU" }
    override public var extraRepr: String { "negative_slope=\(reprNumber("negative_slope", negativeSlope))\(inplaceSuffix(inplace))" }
    override public func forward(_ input: Tensor) throws -> Tensor {
        try withLayerName { try input.leakyRelu(negativeSlope: negativeSlope) }
    }
}

/// x if x > 0 else alpha * (e^x - 1) (torch.nn.ELU).
public final class ELU: Module {
    /// The constructor arguments, as torch keeps them.
    public let alpha: Double, inplace: Bool
    /// Makes the module with torch's defaults.
    public init(alpha: Double = 1, inplace: Bool = false) {
        self.alpha = alpha
        self.inplace = inplace
        super.init()
    }
    override public var typeName: String { "ELU" }
    override public var extraRepr: String { "alpha=\(reprNumber("alpha", alpha))\(inplaceSuffix(inplace))" }
    override public func forward(_ input: Tensor) throws -> Tensor { try withLayerName { try input.elu(alpha: alpha) } }
}

/// scale * elu(x, alpha) with torch's fixed constants (torch.nn.SELU).
public final class SELU: Module {
    /// The constructor arguments, as torch keeps them.
    public let inplace: Bool
    /// Makes the module with torch's defaults.
    public init(inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }
    override public var typeName: String { "SELU" }
    override public var extraRepr: String { inplace ? "inplace=True" : "" }
    override public func forward(_ input: Tensor) throws -> Tensor { try withLayerName { try input.selu() } }
}

/// x * Phi(x), or its tanh approximation (torch.nn.GELU, approximate 'none' or 'tanh').
public final class GELU: Module {
    /// The constructor arguments, as torch keeps them.
    public let approximate: GeluApproximation
    /// Makes the module with torch's defaults.
    public init(approximate: GeluApproximation = .none) {
        self.approximate = approximate
        super.init()
    }
    override public var typeName: String { "GELU" }
    override public var extraRepr: String { "approximate='\(approximate.rawValue)'" }
    override public func forward(_ input: Tensor) throws -> Tensor { try withLayerName { try input.gelu(approximate: approximate) } }
}

/// x * sigmoid(x) (torch.nn.SiLU).
public final class SiLU: Module {
    /// The constructor arguments, as torch keeps them.
    public let inplace: Bool
    /// Makes the module with torch's defaults.
    public init(inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }
    override public var typeName: String { "SiLU" }
    override public var extraRepr: String { inplace ? "inplace=True" : "" }
    override public func forward(_ input: Tensor) throws -> Tensor { try withLayerName { try input.silu() } }
}

/// x * tanh(softplus(x)) (torch.nn.Mish).
public final class Mish: Module {
    /// The constructor arguments, as torch keeps them.
    public let inplace: Bool
    /// Makes the module with torch's defaults.
    public init(inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }
    override public var typeName: String { "Mish" }
    override public var extraRepr: String { inplace ? "inplace=True" : "" }
    override public func forward(_ input: Tensor) throws -> Tensor { try withLayerName { try input.mish() } }
}

/// log(1 + e^(beta x)) / beta, linear above the threshold (torch.nn.Softplus).
public final class Softplus: Module {
    /// The constructor arguments, as torch keeps them.
    public let beta: Double, threshold: Double
    /// Makes the module with torch's defaults.
    public init(beta: Double = 1, threshold: Double = 20) {
        self.beta = beta
        self.threshold = threshold
        super.init()
    }
    override public var typeName: String { "Softplus" }
    override public var extraRepr: String { "beta=\(reprNumber("beta", beta)), threshold=\(reprNumber("threshold", threshold))" }
    override public func forward(_ input: Tensor) throws -> Tensor {
        try withLayerName { try input.softplus(beta: beta, threshold: threshold) }
    }
}

/// x clamped to [min_val, max_val] (torch.nn.Hardtanh); max_val must exceed min_val.
public final class Hardtanh: Module {
    /// The constructor arguments, as torch keeps them.
    public let minVal: Double, maxVal: Double, inplace: Bool
    /// The registry's argument names for the bounds (torch's deprecated
    /// min_value/max_value, when given, replace min_val/max_val).
    var boundNames = ("min_val", "max_val")

    /// Makes the module with torch's defaults.
    public init(minVal: Double = -1, maxVal: Double = 1, inplace: Bool = false) throws {
        guard maxVal > minVal else {
            throw EmberError.invalidArgument("Hardtanh: max_val (\(ArgumentValue.double(maxVal))) must be greater than min_val (\(ArgumentValue.double(minVal)))")
        }
        self.minVal = minVal
        self.maxVal = maxVal
        self.inplace = inplace
        super.init()
    }
    override public var typeName: String { "Hardtanh" }
    override public var extraRepr: String {
        "min_val=\(reprNumber(boundNames.0, minVal)), max_val=\(reprNumber(boundNames.1, maxVal))\(inplaceSuffix(inplace))"
    }
    override public func forward(_ input: Tensor) throws -> Tensor {
        try withLayerName { try input.hardtanh(minVal: minVal, maxVal: maxVal) }
    }
}

/// min(max(x, 0), 6) (torch.nn.ReLU6).
public final class ReLU6: Module {
    /// The constructor arguments, as torch keeps them.
    public let inplace: Bool
    /// Makes the module with torch's defaults.
    public init(inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }
    override public var typeName: String { "ReLU6" }
    override public var extraRepr: String { inplace ? "inplace=True" : "" }
    override public func forward(_ input: Tensor) throws -> Tensor { try withLayerName { try input.relu6() } }
}

/// 1 / (1 + e^-x) (torch.nn.Sigmoid).
public final class Sigmoid: Module {
    /// Makes the module.
    override public init() { super.init() }
    override public var typeName: String { "Sigmoid" }
    override public var extraRepr: String { "" }
    override public func forward(_ input: Tensor) throws -> Tensor { try withLayerName { try input.sigmoid() } }
}

/// The hyperbolic tangent (torch.nn.Tanh).
public final class Tanh: Module {
    /// Makes the module.
    override public init() { super.init() }
    override public var typeName: String { "Tanh" }
    override public var extraRepr: String { "" }
    override public func forward(_ input: Tensor) throws -> Tensor { try withLayerName { try input.tanh() } }
}

/// softmax along `dim` (torch.nn.Softmax). Without a dim, torch's legacy
/// choice: dim 0 for 0-, 1- and 3-D input, dim 1 otherwise.
///
/// ```swift
/// let probabilities = try Softmax(dim: -1)(logits)
/// ```
public final class Softmax: Module {
    /// The constructor arguments, as torch keeps them.
    public let dim: Int?
    /// Makes the module with torch's defaults.
    public init(dim: Int? = nil) {
        self.dim = dim
        super.init()
    }
    override public var typeName: String { "Softmax" }
    override public var extraRepr: String { "dim=\(dim.map(String.init) ?? "None")" }
    override public func forward(_ input: Tensor) throws -> Tensor {
        try withLayerName { try input.softmax(dim: dim ?? legacySoftmaxDim(input.ndim)) }
    }
}

/// log(softmax(x)) along `dim` (torch.nn.LogSoftmax); the dim defaults as Softmax's.
public final class LogSoftmax: Module {
    /// The constructor arguments, as torch keeps them.
    public let dim: Int?
    /// Makes the module with torch's defaults.
    public init(dim: Int? = nil) {
        self.dim = dim
        super.init()
    }
    override public var typeName: String { "LogSoftmax" }
    override public var extraRepr: String { "dim=\(dim.map(String.init) ?? "None")" }
    override public func forward(_ input: Tensor) throws -> Tensor {
        try withLayerName { try input.logSoftmax(dim: dim ?? legacySoftmaxDim(input.ndim)) }
    }
}

// MARK: - Shared

/// torch's _get_softmax_dim for dim=None.
func legacySoftmaxDim(_ ndim: Int) -> Int { ndim == 0 || ndim == 1 || ndim == 3 ? 0 : 1 }

extension Module {
    /// Runs an activation, naming the layer in its errors.
    func withLayerName(_ body: () throws -> Tensor) throws -> Tensor {
        do {
            return try body()
        } catch let error as EmberError {
            throw EmberError(error.kind, "\(typeName): \(error.message)")
        }
    }

    /// ", inplace=True" when set, as torch's reprs append it.
    func inplaceSuffix(_ inplace: Bool) -> String { inplace ? ", inplace=True" : "" }
}

// MARK: - Registry

extension ModuleRegistry {
    /// The activation modules with torch's signatures.
    static let activationModules: [String: Entry] = [
        "LeakyReLU": Entry([.init("negative_slope", .double(0.01)), .init("inplace", .bool(false))]) { a in
            LeakyReLU(negativeSlope: try a.double("negative_slope"), inplace: try a.bool("inplace"))
        },
        "ELU": Entry([.init("alpha", .double(1)), .init("inplace", .bool(false))]) { a in
            ELU(alpha: try a.double("alpha"), inplace: try a.bool("inplace"))
        },
        "SELU": Entry([.init("inplace", .bool(false))]) { a in SELU(inplace: try a.bool("inplace")) },
        "GELU": Entry([.init("approximate", .string("none"))]) { a in
            let name = try a.string("approximate", oneOf: ["none", "tanh"])
            return GELU(approximate: name == "tanh" ? .tanh : .none)
        },
        "SiLU": Entry([.init("inplace", .bool(false))]) { a in SiLU(inplace: try a.bool("inplace")) },
        "Mish": Entry([.init("inplace", .bool(false))]) { a in Mish(inplace: try a.bool("inplace")) },
        "Softplus": Entry([.init("beta", .double(1)), .init("threshold", .double(20))]) { a in
            Softplus(beta: try a.double("beta"), threshold: try a.double("threshold"))
        },
        "Hardtanh": Entry([.init("min_val", .double(-1)), .init("max_val", .double(1)), .init("inplace", .bool(false)),
                           .init("min_value", ArgumentValue.none), .init("max_value", ArgumentValue.none)]) { a in
            // torch's deprecated min_value and max_value replace min_val and max_val when given.
            let minValue = try a.optionalDouble("min_value"), maxValue = try a.optionalDouble("max_value")
            let m = try Hardtanh(minVal: minValue ?? a.double("min_val"), maxVal: maxValue ?? a.double("max_val"), inplace: a.bool("inplace"))
            m.boundNames = (minValue == nil ? "min_val" : "min_value", maxValue == nil ? "max_val" : "max_value")
            return m
        },
        "ReLU6": Entry([.init("inplace", .bool(false))]) { a in ReLU6(inplace: try a.bool("inplace")) },
        "Sigmoid": Entry([]) { _ in Sigmoid() },
        "Tanh": Entry([]) { _ in Tanh() },
        "Softmax": Entry([.init("dim", ArgumentValue.none)]) { a in Softmax(dim: try a.optionalInt("dim")) },
        "LogSoftmax": Entry([.init("dim", ArgumentValue.none)]) { a in LogSoftmax(dim: try a.optionalInt("dim")) },
    ]
}
