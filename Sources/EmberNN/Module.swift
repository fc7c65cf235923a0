import EmberAutograd
import EmberTensor

/// The base of every layer and container (torch.nn.Module). A module owns
/// named parameters, buffers and child modules; the dotted paths through the
/// tree are torch's `state_dict` keys for the same tree.
///
/// ```swift
/// let model = Sequential([try Linear(10, 5), ReLU(), try Linear(5, 2)])
/// let logits = try model(x)
/// model.namedParameters().map(\.0)  // ["0.weight", "0.bias", "2.weight", "2.bias"]
/// ```
open class Module {
    public private(set) var training = true
    private var ownParameters: [(name: String, tensor: Tensor)] = []
    private var ownBuffers: [(name: String, tensor: Tensor)] = []
    private var ownChildren: [(name: String, module: Module)] = []

    public init() {}

    /// torch's class name, for messages ("Linear", "Sequential").
    open var typeName: String { "Module" }

    /// The constructor arguments, as bound by the registry (for the summary
    /// and for saving the architecture); empty for modules made otherwise.
    public internal(set) var arguments: [(String, ArgumentValue)] = []

    /// Set while a default forward delegates to the other form, so a module
    /// that overrides neither fails instead of recursing forever.
    private var delegating = false

    /// The computation on one input; subclasses override it (or the multi-input form).
    open func forward(_ input: Tensor) throws -> Tensor {
        guard !delegating else { throw EmberError.state("\(typeName) has no forward") }
        delegating = true
        defer { delegating = false }
        let outputs = try forward([input])
        guard outputs.count == 1 else {
            throw EmberError.invalidArgument("\(typeName) returns \(outputs.count) outputs; use the forward that returns several")
        }
        return outputs[0]
    }

    /// The computation on several inputs with several outputs (MultiheadAttention
    /// takes query, key and value; LSTM returns its output and states). The
    /// default passes a single input to `forward(_:)`.
    open func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard !delegating else { throw EmberError.state("\(typeName) has no forward") }
        guard inputs.count == 1 else {
            throw EmberError.invalidArgument("\(typeName) takes one input, got \(inputs.count)")
        }
        delegating = true
        defer { delegating = false }
        return [try forward(inputs[0])]
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor { try forward(input) }

    /// One line per child for the repr, "(name): Child(...)"; ModuleList
    /// groups runs of identical children as torch does.
    open var childReprLines: [String] {
        namedChildren.map { name, child in "(\(name)): " + child.description.replacingNewlines(with: "\n  ") }
    }

    /// torch's extra_repr: what the summary prints between the parentheses.
    /// By default the constructor arguments that were given or differ from the defaults.
    open var extraRepr: String {
        arguments.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
    }

    // MARK: - Registration

    /// Adds (or replaces) a parameter under `name`; it is made a leaf that requires grad.
    public func registerParameter(_ name: String, _ tensor: Tensor) throws {
        try checkName(name)
        if tensor.dtype.isFloatingPoint && !tensor.requiresGrad { try tensor.setRequiresGrad(true) }
        if let i = ownParameters.firstIndex(where: { $0.name == name }) { ownParameters[i].tensor = tensor } else {
            ownParameters.append((name, tensor))
        }
    }

    /// Adds (or replaces) a buffer: state that is saved but not trained (running statistics).
    public func registerBuffer(_ name: String, _ tensor: Tensor) throws {
        try checkName(name)
        if let i = ownBuffers.firstIndex(where: { $0.name == name }) { ownBuffers[i].tensor = tensor } else {
            ownBuffers.append((name, tensor))
        }
    }

    /// Adds (or replaces) a child module under `name`. A module may not contain itself.
    public func registerModule(_ name: String, _ module: Module) throws {
        try checkName(name)
        guard !module.contains(self) else {
            throw EmberError.invalidArgument("cannot add a \(module.typeName) under \"\(name)\": it contains this \(typeName), which would make a cycle")
        }
        if let i = ownChildren.firstIndex(where: { $0.name == name }) { ownChildren[i].module = module } else {
            ownChildren.append((name, module))
        }
    }

    private func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains(".") else {
            throw EmberError.invalidArgument("invalid attribute name \"\(name)\": names must be non-empty and contain no \".\"")
        }
    }

    /// Whether `other` is this module or anywhere below it.
    public func contains(_ other: Module) -> Bool {
        var stack: [Module] = [self]
        while let m = stack.popLast() {
            if m === other { return true }
            stack.append(contentsOf: m.ownChildren.map(\.module))
        }
        return false
    }

    // MARK: - Traversal

    /// This module's direct children, in registration order.
    public var namedChildren: [(String, Module)] { ownChildren.map { ($0.name, $0.module) } }

    /// The direct children in registration order, without namedChildren's
    /// copy (for forward passes that run on every step).
    final var childModules: [(name: String, module: Module)] { ownChildren }

    /// Every module in the tree with its dotted path ("" for this one), depth first.
    public func namedModules() -> [(String, Module)] {
        var out: [(String, Module)] = []
        var stack: [(String, Module)] = [("", self)]
        while let (prefix, m) = stack.popLast() {
            out.append((prefix, m))
            for (name, child) in m.ownChildren.reversed() {
                stack.append((prefix.isEmpty ? name : prefix + "." + name, child))
            }
        }
        return out
    }

    /// Parameters with their state_dict names; a tensor shared by two places
    /// appears once, under its first name (torch's named_parameters()).
    public func namedParameters() -> [(String, Tensor)] {
        var seen = Set<ObjectIdentifier>()
        return allNamedParameters().filter { seen.insert(ObjectIdentifier($0.1)).inserted }
    }

    /// Every parameter under every name it has (as state_dict lists them).
    public func allNamedParameters() -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for (prefix, m) in namedModules() {
            for p in m.ownParameters { out.append((prefix.isEmpty ? p.name : prefix + "." + p.name, p.tensor)) }
        }
        return out
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    /// Buffers with their state_dict names.
    public func namedBuffers() -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for (prefix, m) in namedModules() {
            for b in m.ownBuffers { out.append((prefix.isEmpty ? b.name : prefix + "." + b.name, b.tensor)) }
        }
        return out
    }

    /// The parameter called `name` (a dotted path), or an error listing the names there are.
    public func parameter(named name: String) throws -> Tensor {
        let all = allNamedParameters()
        if let found = all.first(where: { $0.0 == name }) { return found.1 }
        let names = all.map { "\"\($0.0)\"" }.joined(separator: ", ")
        throw EmberError.invalidArgument("\(typeName) has no parameter \"\(name)\"; its parameters are: \(names.isEmpty ? "(none)" : names)")
    }

    /// This module's own parameter `name` (not its children's).
    public func ownParameter(_ name: String) -> Tensor? { ownParameters.first { $0.name == name }?.tensor }

    // MARK: - Modes and gradients

    /// Training (true) or evaluation mode, for this module and all below it (torch's train()).
    public func train(_ mode: Bool = true) {
        for (_, m) in namedModules() { m.training = mode }
    }

    /// Evaluation mode (torch's eval()).
    public func eval() { train(false) }

    /// Clears every parameter's gradient (torch's zero_grad(set_to_none=True)).
    public func zeroGrad() {
        for p in parameters() { try? p.setGrad(nil) }
    }

    /// Freezes (false) or unfreezes every parameter in the tree (torch's requires_grad_).
    public func setRequiresGrad(_ flag: Bool) throws {
        for p in parameters() { try p.setRequiresGrad(flag) }
    }

    /// The module at a dotted path below this one ("0", "encoder.layers.1"), or an error listing the children.
    public func child(named path: String) throws -> Module {
        var current: Module = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let next = current.ownChildren.first(where: { $0.name == part })?.module else {
                let names = current.ownChildren.map { "\"\($0.name)\"" }.joined(separator: ", ")
                throw EmberError.invalidArgument("\(typeName) has no submodule \"\(path)\"; \(current === self ? "its" : "\(current.typeName)'s") children are: \(names.isEmpty ? "(none)" : names)")
            }
            current = next
        }
        return current
    }

    /// The buffer called `name` (a dotted path), or an error listing the names there are.
    public func buffer(named name: String) throws -> Tensor {
        let all = namedBuffers()
        if let found = all.first(where: { $0.0 == name }) { return found.1 }
        let names = all.map { "\"\($0.0)\"" }.joined(separator: ", ")
        throw EmberError.invalidArgument("\(typeName) has no buffer \"\(name)\"; its buffers are: \(names.isEmpty ? "(none)" : names)")
    }

    /// This module's own buffer `name` (not its children's).
    public func ownBuffer(_ name: String) -> Tensor? { ownBuffers.first { $0.name == name }?.tensor }
}

extension Module: CustomStringConvertible {
    /// The tree as torch prints it:
    ///
    ///     Sequential(
    ///       (0): Linear(in_features=10, out_features=5, bias=True)
    ///       (1): ReLU()
    ///     )
    public var description: String {
        // torch's Module.__repr__, line for line.
        let extraLines = extraRepr.isEmpty ? [] : extraRepr.split(separator: "\n").map(String.init)
        let childLines = childReprLines
        let lines = extraLines + childLines
        var text = typeName + "("
        if extraLines.count == 1 && childLines.isEmpty {
            text += extraLines[0]
        } else if !lines.isEmpty {
            text += "\n  " + lines.joined(separator: "\n  ") + "\n"
        }
        return text + ")"
    }
}

extension String {
    func replacingNewlines(with replacement: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
