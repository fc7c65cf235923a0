import EmberAutograd
import EmberNN
import EmberTensor

/// A set of parameters sharing hyper-parameters (torch's param_groups entry).
public final class ParamGroup {
    /// The group's parameters, kept alive by the optimizer.
    public let params: [Tensor]
    /// The optimizer's options for this group, by torch name ("lr", "beta1", ...).
    public internal(set) var options: [String: Double] {
        didSet { generation &+= 1 }
    }
    /// Bumped by every change of `options`, so that what is derived from
    /// them (validation, an update's parsed hyperparameters) is redone only
    /// when they change, not by string lookups at every step.
    var generation = 0
    /// The generation `validateGroup` last accepted.
    var validatedGeneration = -1
    /// What LR schedulers keep in the group besides the options
    /// ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum").
    public internal(set) var extras: [String: Double] = [:]

    init(params: [Tensor], options: [String: Double]) {
        self.params = params
        self.options = options
    }

    /// The extras schedulers may add, in the order state exports list them.
    public static let extraNames = ["initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"]
}

/// The base of every optimizer (torch.optim.Optimizer): parameter groups with
/// options read and set by torch's names, per-parameter state, zero_grad.
/// Subclasses declare their options and defaults and implement `update`.
///
/// ```swift
/// let opt = try Adam(parameters: model.parameters(), lr: 1e-3)
/// try opt.set("weight_decay", 0.01)
/// try opt.addParamGroup(biases, options: ["weight_decay": 0])
/// ```
open class Optimizer {
    /// The parameter groups; the parameters given at construction are group 0.
    public private(set) var paramGroups: [ParamGroup]
    /// Per-parameter state (step counts, moments, buffers) keyed by the
    /// parameter; values are NDArrays as torch keeps them (steps are 0-dim float32).
    public var state: [ObjectIdentifier: [String: NDArray]] = [:]
    /// The option names, in torch's order.
    public let optionNames: [String]
    /// The options a group added later starts from: the constructor's, as
    /// changed by `set(_:_:)` (torch's `defaults`).
    public private(set) var defaults: [String: Double]

    /// `defaults` are the options in the order messages list them.
    public init(parameters: [Tensor], defaults: KeyValuePairs<String, Double>) throws {
        var options: [String: Double] = [:]
        for (k, v) in defaults { options[k] = v }
        optionNames = defaults.map(\.key)
        self.defaults = options
        paramGroups = [ParamGroup(params: parameters, options: options)]
        // torch checks the options before the parameters.
        for (name, value) in defaults { try checkValue(name, value) }
        guard !parameters.isEmpty else { throw EmberError.invalidArgument("\(typeName): optimizer got an empty parameter list") }
        try checkNewParameters(parameters, existing: [])
    }

    /// torch's class name ("SGD").
    open var typeName: String { "Optimizer" }

    /// Checks one option's value; subclasses reject what torch rejects.
    open func validate(_ name: String, _ value: Double) throws {}

    /// Checks the options together before a step (e.g. nesterov needs momentum).
    open func validateGroup(_ options: [String: Double]) throws {}

    /// One update of one group's parameters that have gradients (grad mode is off).
    open func update(_ group: ParamGroup) throws {}

    /// Called after an option was set on `group` (LBFGS derives max_eval from max_iter).
    open func didSet(_ name: String, _ value: Double, in group: ParamGroup) {}

    // MARK: - State layout (see Optimizer+StateDict.swift)

    /// The per-parameter state keys, in the order exports list them.
    open var stateKeys: [String] { [] }

    /// What the state entry `key` of parameter `index` must look like; nil for a key this optimizer does not keep.
    open func stateShape(forKey key: String, parameterIndex index: Int) -> StateShape? {
        guard stateKeys.contains(key) else { return nil }
        return key == "step" || key == "mu_product" ? .scalar(.float32) : .likeParameter
    }

    /// The keys a parameter with any state must have (optional ones, such as
    /// amsgrad's max_exp_avg_sq, are made when first needed).
    open func requiredStateKeys(parameterIndex index: Int) -> [String] { stateKeys }

    /// Problems that involve several loaded entries together (LBFGS's history lengths).
    open func stateConsistencyProblems(_ loaded: [Int: [String: NDArray]], parameterCount: Int) -> [String] { [] }

    /// The per-parameter entries to export: (parameter index, key, live array).
    open func exportedParameterState() throws -> [(Int, String, NDArray)] { parameterStateEntries() }

    /// Called after a state was loaded into `state` and the groups.
    open func didLoadState() {}

    // MARK: - Options

    /// Sets an option on every group and in the defaults of groups added later.
    public func set(_ name: String, _ value: Double) throws {
        try checkName(name)
        try checkValue(name, value)
        defaults[name] = value
        for group in paramGroups {
            group.options[name] = value
            didSet(name, value, in: group)
        }
    }

    /// Reads an option from the first group.
    public func get(_ name: String) throws -> Double { try get(name, group: 0) }

    /// Sets an option on one group (torch's `param_groups[g][name] = value`).
    public func set(_ name: String, _ value: Double, group index: Int) throws {
        let group = try self.group(index)
        try checkName(name)
        try checkValue(name, value)
        group.options[name] = value
        didSet(name, value, in: group)
    }

    /// Reads an option of one group; scheduler extras ("initial_lr") are readable too once a scheduler set them.
    public func get(_ name: String, group index: Int) throws -> Double {
        let group = try self.group(index)
        if let extra = group.extras[name] { return extra }
        try checkName(name)
        return group.options[name] ?? 0
    }

    func group(_ index: Int) throws -> ParamGroup {
        guard index >= 0 && index < paramGroups.count else {
            throw EmberError.invalidArgument("\(typeName): group index \(index) is out of range for \(paramGroups.count) parameter group\(paramGroups.count == 1 ? "" : "s")")
        }
        return paramGroups[index]
    }

    func checkName(_ name: String) throws {
        guard optionNames.contains(name) else {
            throw EmberError.invalidArgument("\(typeName) has no option \"\(name)\"; valid options are: \(optionNames.joined(separator: ", "))")
        }
    }

    func checkValue(_ name: String, _ value: Double) throws {
        guard !value.isNaN else { throw EmberError.invalidArgument("\(typeName): \(name) must be a number, got NaN") }
        try validate(name, value)
    }

    // MARK: - Parameter groups

    /// Adds a group of parameters with its own options (torch's add_param_group):
    /// options not given take the defaults. Errors: an unknown option, a value
    /// torch rejects, a parameter already in a group, a non-leaf tensor.
    public func addParamGroup(_ parameters: [Tensor], options: [String: Double] = [:]) throws {
        guard supportsParamGroups else {
            throw EmberError.invalidArgument("\(typeName) doesn't support per-parameter options (parameter groups)")
        }
        for (name, value) in options.sorted(by: { $0.key < $1.key }) {
            try checkName(name)
            try checkValue(name, value)
        }
        try checkNewParameters(parameters, existing: paramGroups.flatMap(\.params))
        var merged = defaults
        for (k, v) in options { merged[k] = v }
        let group = ParamGroup(params: parameters, options: merged)
        for (name, value) in options { didSet(name, value, in: group) }
        paramGroups.append(group)
    }

    /// Whether groups can be added (LBFGS has exactly one).
    var supportsParamGroups: Bool { true }

    func checkNewParameters(_ parameters: [Tensor], existing: [Tensor]) throws {
        var seen = Set(existing.map(ObjectIdentifier.init))
        for (i, p) in parameters.enumerated() {
            guard p.isLeaf else { throw EmberError.invalidArgument("\(typeName): can't optimize a non-leaf Tensor (parameter \(i))") }
            guard p.dtype.isFloatingPoint else {
                throw EmberError.dtype("\(typeName): can only optimize floating point parameters, parameter \(i) is \(p.dtype)")
            }
            guard seen.insert(ObjectIdentifier(p)).inserted else {
                throw EmberError.invalidArgument("\(typeName): some parameters appear in more than one parameter group (parameter \(i))")
            }
        }
    }

    /// Every parameter in group order: the numbering state export uses (torch's state_dict).
    public var allParameters: [Tensor] { paramGroups.flatMap(\.params) }

    // MARK: - Steps

    /// One optimisation step (torch's step()): parameters without a gradient are skipped.
    open func step() throws {
        for group in paramGroups where group.validatedGeneration != group.generation {
            try validateGroup(group.options)
            group.validatedGeneration = group.generation
        }
        try GradMode.with(false) {
            for group in paramGroups { try update(group) }
        }
    }

    /// torch's step(closure): evaluates `closure` (the loss, with gradients
    /// computed) with grad mode on, then steps; returns the closure's loss.
    @discardableResult
    open func step(closure: () throws -> Double) throws -> Double {
        let loss = try GradMode.with(true) { try closure() }
        try step()
        return loss
    }

    /// Clears the gradients of every parameter (torch's zero_grad(set_to_none=True)).
    public func zeroGrad() {
        for group in paramGroups { for p in group.params { try? p.setGrad(nil) } }
    }

    // MARK: - Validation helpers (torch's messages)

    /// A boolean option must be exactly 0 or 1.
    public func checkBool(_ name: String, _ value: Double) throws {
        guard value == 0 || value == 1 else {
            throw EmberError.invalidArgument("\(typeName): \(name) is a boolean and must be 0 or 1, got \(value)")
        }
    }

    /// torch's `0.0 <= value` checks ("Invalid learning rate: -1.0"); values must also be finite.
    public func checkNonNegative(_ value: Double, _ what: String) throws {
        guard value >= 0, value.isFinite else { throw EmberError.invalidArgument("\(typeName): invalid \(what): \(value)") }
    }

    /// torch's `0.0 <= beta < 1.0` ("Invalid beta parameter at index 0: 1.0").
    public func checkBeta(_ value: Double, index: Int) throws {
        guard value >= 0 && value < 1 else {
            throw EmberError.invalidArgument("\(typeName): invalid beta parameter at index \(index): \(value) (betas must be in [0, 1))")
        }
    }

    /// A count (max_iter, history_size): a whole number of at least `minimum`.
    public func checkCount(_ name: String, _ value: Double, minimum: Double) throws {
        guard value >= minimum, value == value.rounded(), value < 1e15 else {
            throw EmberError.invalidArgument("\(typeName): \(name) must be an integer >= \(Int(minimum)), got \(value)")
        }
    }

    /// The checks every optimizer shares for lr, eps, weight_decay and maximize.
    func validateCommon(_ name: String, _ value: Double) throws {
        switch name {
        case "lr": try checkNonNegative(value, "learning rate")
        case "eps": try checkNonNegative(value, "epsilon value")
        case "weight_decay": try checkNonNegative(value, "weight_decay value")
        case "beta1": try checkBeta(value, index: 0)
        case "beta2": try checkBeta(value, index: 1)
        case "maximize", "amsgrad", "decoupled_weight_decay", "nesterov", "centered": try checkBool(name, value)
        default: guard value.isFinite else { throw EmberError.invalidArgument("\(typeName): \(name) must be finite, got \(value)") }
        }
    }
}
