import EmberAutograd
import EmberNN
import EmberTensor

/// A set of parameters sharing hyper-parameters (torch's param_groups entry).
public final class ParamGroup {
    public let params: [Tensor]
    public internal(set) var options: [String: Double]

    init(params: [Tensor], options: [String: Double]) {
        self.params = params
        self.options = options
    }
}

/// The base of every optimizer (torch.optim.Optimizer): parameter groups with
/// options read and set by torch's names, per-parameter state, zero_grad.
/// Subclasses declare their options and defaults and implement `update`.
open class Optimizer {
    public private(set) var paramGroups: [ParamGroup]
    /// Per-parameter state (momentum buffers, moments), keyed by the parameter.
    public var state: [ObjectIdentifier: [String: NDArray]] = [:]

    /// `defaults` are the options in the order messages list them.
    public init(parameters: [Tensor], defaults: KeyValuePairs<String, Double>) throws {
        var options: [String: Double] = [:]
        for (k, v) in defaults { options[k] = v }
        optionNames = defaults.map(\.key)
        paramGroups = [ParamGroup(params: parameters, options: options)]
        for (name, value) in defaults { try validate(name, value) }
    }

    /// The option names, in torch's order.
    public let optionNames: [String]

    /// torch's class name ("SGD").
    open var typeName: String { "Optimizer" }

    /// Checks one option's value; subclasses reject what torch rejects.
    open func validate(_ name: String, _ value: Double) throws {}

    /// Checks the options together before a step (e.g. nesterov needs momentum).
    open func validateGroup(_ options: [String: Double]) throws {}

    /// One update of one group's parameters that have gradients.
    open func update(_ group: ParamGroup) throws {}

    /// Sets an option on every group.
    public func set(_ name: String, _ value: Double) throws {
        try checkName(name)
        guard !value.isNaN else { throw EmberError.invalidArgument("\(typeName): \(name) must be a number, got NaN") }
        try validate(name, value)
        for group in paramGroups { group.options[name] = value }
    }

    /// Reads an option (from the first group).
    public func get(_ name: String) throws -> Double {
        try checkName(name)
        return paramGroups.first?.options[name] ?? 0
    }

    func checkName(_ name: String) throws {
        guard optionNames.contains(name) else {
            throw EmberError.invalidArgument("\(typeName) has no option \"\(name)\"; valid options are: \(optionNames.joined(separator: ", "))")
        }
    }

    /// One optimisation step (torch's step()): parameters without a gradient are skipped.
    public func step() throws {
        for group in paramGroups { try validateGroup(group.options) }
        try GradMode.with(false) {
            for group in paramGroups { try update(group) }
        }
    }

    /// Clears the gradients of every parameter (torch's zero_grad(set_to_none=True)).
    public func zeroGrad() {
        for group in paramGroups { for p in group.params { try? p.setGrad(nil) } }
    }

    /// A boolean option must be exactly 0 or 1.
    public func checkBool(_ name: String, _ value: Double) throws {
        guard value == 0 || value == 1 else {
            throw EmberError.invalidArgument("\(typeName): \(name) is a boolean and must be 0 or 1, got \(value)")
        }
    }
}
