import EmberAutograd
import EmberTensor

/// y = x W^T + b (torch.nn.Linear), initialised as torch initialises it.
public final class Linear: Module {
    public let inFeatures: Int
    public let outFeatures: Int

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32) throws {
        guard inFeatures >= 0, outFeatures >= 0 else {
            throw EmberError.invalidArgument("Linear: in_features and out_features must be non-negative, got \(inFeatures) and \(outFeatures)")
        }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("Linear: parameters must be floating, got \(dtype)") }
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        super.init()
        let weight = Tensor(try NDArray(empty: [outFeatures, inFeatures], dtype: dtype))
        try registerParameter("weight", weight)
        if bias { try registerParameter("bias", Tensor(try NDArray(empty: [outFeatures], dtype: dtype))) }
        try resetParameters()
    }

    override public var typeName: String { "Linear" }
    override public var extraRepr: String { "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias == nil ? "False" : "True")" }

    public var weight: Tensor { ownParameter("weight")! }
    public var bias: Tensor? { ownParameter("bias") }

    /// torch's reset_parameters: kaiming_uniform(a = sqrt(5)) for the weight,
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias.
    public func resetParameters() throws {
        try Init.kaimingUniform(weight, a: 5.0.squareRoot())
        if let bias {
            let fanIn = inFeatures
            let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
            try Init.uniform(bias, from: -bound, to: bound)
        }
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try input.linear(weight: weight, bias: bias)
    }
}

/// max(x, 0) as a module (torch.nn.ReLU).
public final class ReLU: Module {
    override public init() { super.init() }
    override public var typeName: String { "ReLU" }
    override public var extraRepr: String { "" }
    override public func forward(_ input: Tensor) throws -> Tensor { try input.relu() }
}

/// Applies its children in order (torch.nn.Sequential); they are named "0", "1", ...
public final class Sequential: Module {
    public init(_ modules: [Module] = []) throws {
        super.init()
        for m in modules { try append(m) }
    }

    override public var typeName: String { "Sequential" }
    override public var extraRepr: String { "" }

    /// Adds `module` at the end under the next index.
    public func append(_ module: Module) throws {
        try registerModule(String(namedChildren.count), module)
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        var x = input
        for child in childModules { x = try child.module.forward(x) }
        return x
    }
}
