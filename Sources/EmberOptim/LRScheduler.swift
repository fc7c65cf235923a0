import EmberTensor

/// One value of a scheduler's state: torch keeps counters as Python ints,
/// rates as floats and milestones as lists of ints.
public enum SchedulerValue: Equatable, Sendable {
    case int(Int)
    case double(Double)
    case ints([Int])
}

/// The base of the learning-rate schedulers (torch.optim.lr_scheduler.LRScheduler).
///
/// A scheduler keeps its optimizer alive and writes the optimizer's group
/// learning rates ("lr") on every step. Most schedulers follow torch's
/// chainable form: made with `last_epoch = -1`, they record each group's lr
/// as "initial_lr" (base_lrs) and take an initial step, then `step()`
/// computes the next rates from the current ones (`getLR`), so that several
/// schedulers can act on one optimizer in turn.
///
/// ```swift
/// let sched = try StepLR(optimizer: opt, stepSize: 30, gamma: 0.1)
/// for _ in 0..<epochs { train(); try sched.step() }
/// sched.lastLR   // [0.001]
/// ```
open class LRScheduler {
    /// The optimizer whose rates this scheduler sets (kept alive).
    public let optimizer: Optimizer
    /// Each group's "initial_lr" when the scheduler was made.
    public internal(set) var baseLRs: [Double]
    /// The index of the last step (-1 before the initial step; torch's last_epoch).
    public internal(set) var lastEpoch: Int
    /// How many times step() ran (torch's _step_count).
    public internal(set) var stepCount = 0
    /// The learning rates the last step set (torch's get_last_lr()).
    public internal(set) var lastLR: [Double]
    /// Set during the initial step (torch's _is_initial).
    var isInitial = false

    /// torch's class name ("StepLR").
    open var typeName: String { "LRScheduler" }

    /// A chainable scheduler: records "initial_lr" in every group (keeping one
    /// a scheduler set before), takes them as base_lrs and takes the initial step.
    init(optimizer: Optimizer) throws {
        self.optimizer = optimizer
        for g in optimizer.paramGroups where g.extras["initial_lr"] == nil { g.extras["initial_lr"] = g.options["lr"] ?? 0 }
        baseLRs = optimizer.paramGroups.map { $0.extras["initial_lr"]! }
        lastEpoch = -1
        lastLR = optimizer.paramGroups.map { $0.options["lr"] ?? 0 }
        try initialStep()
    }

    /// For the schedulers torch does not initialise through LRScheduler
    /// (ReduceLROnPlateau, SequentialLR, ChainedScheduler): no base_lrs, no initial step.
    init(unchained optimizer: Optimizer, lastEpoch: Int) {
        self.optimizer = optimizer
        baseLRs = []
        self.lastEpoch = lastEpoch
        lastLR = optimizer.paramGroups.map { $0.options["lr"] ?? 0 }
    }

    /// torch's _initial_step: resets the step count and steps in initial mode.
    func initialStep() throws {
        stepCount = 0
        isInitial = true
        defer { isInitial = false }
        try step()
    }

    // MARK: - Stepping

    /// Advances one epoch and sets the groups' learning rates (torch's step()).
    /// On failure (a LambdaLR callback error, a OneCycleLR stepped past its
    /// total) the scheduler and the optimizer are left as they were.
    open func step() throws {
        try atomically {
            stepCount += 1
            try updateLR(epoch: nil)
        }
    }

    /// ReduceLROnPlateau's step; the other schedulers take no metric.
    open func step(metric: Double) throws {
        throw EmberError.invalidArgument("\(typeName).step takes no metric; only ReduceLROnPlateau does")
    }

    /// torch's _update_lr: the next epoch's rates from getLR, or for an explicit
    /// epoch from the closed form where there is one.
    func updateLR(epoch: Int?) throws {
        try checkGroups()
        if let epoch { lastEpoch = epoch } else { lastEpoch += 1 }
        let values = try (epoch != nil ? closedFormLR() : nil) ?? getLR()
        setLRs(values)
    }

    /// The learning rates of the next epoch, from the current ones (torch's get_lr).
    open func getLR() throws -> [Double] {
        throw EmberError.state("\(typeName) has no get_lr (torch raises NotImplementedError)")
    }

    /// The rates at `lastEpoch` computed directly (torch's _get_closed_form_lr), if the scheduler has that form.
    open func closedFormLR() throws -> [Double]? { nil }

    /// Writes one learning rate per group and records them as lastLR.
    func setLRs(_ values: [Double]) {
        for (g, v) in zip(optimizer.paramGroups, values) { g.options["lr"] = v }
        lastLR = currentLRs
    }

    /// The groups' learning rates now.
    var currentLRs: [Double] { optimizer.paramGroups.map { $0.options["lr"] ?? 0 } }

    /// torch zips per-group lists strictly: a group added after the scheduler was made is an error.
    func checkGroups(_ count: Int? = nil) throws {
        let expected = count ?? baseLRs.count
        guard optimizer.paramGroups.count == expected else {
            throw EmberError.state("\(typeName): the optimizer has \(optimizer.paramGroups.count) parameter groups but the scheduler was made for \(expected)")
        }
    }

    /// Runs `body`, restoring this scheduler's state and the optimizer's group
    /// options if it throws.
    func atomically(_ body: () throws -> Void) throws {
        let saved = Dictionary(uniqueKeysWithValues: stateValues())
        let groups = optimizer.paramGroups.map { ($0.options, $0.extras) }
        do {
            try body()
        } catch {
            restoreValues(saved)
            for (g, (options, extras)) in zip(optimizer.paramGroups, groups) { (g.options, g.extras) = (options, extras) }
            throw error
        }
    }

    // MARK: - Options by name

    /// The numeric attributes that can be read and set by torch's name ("gamma", "step_size").
    open var optionNames: [String] { [] }

    /// Attributes that can be read but not set (counters and derived values).
    open var readOnlyNames: [String] { ["last_epoch"] }

    /// The value of an option or read-only attribute, nil for an unknown name.
    open func option(_ name: String) -> Double? { name == "last_epoch" ? Double(lastEpoch) : nil }

    /// Sets an option (checked as the constructor checks it).
    open func setOption(_ name: String, _ value: Double) throws {
        throw EmberError.internal("\(typeName): option \(name) has no setter")
    }

    /// Reads an option by its torch name; the message for an unknown one lists the names there are.
    public func get(_ name: String) throws -> Double {
        guard let v = option(name) else { throw unknownOption(name) }
        return v
    }

    /// Sets an option by its torch name.
    public func set(_ name: String, _ value: Double) throws {
        guard optionNames.contains(name) else {
            if readOnlyNames.contains(name) { throw EmberError.invalidArgument("\(typeName): \(name) is read-only") }
            throw unknownOption(name)
        }
        guard !value.isNaN else { throw EmberError.invalidArgument("\(typeName): \(name) must be a number, got NaN") }
        try setOption(name, value)
    }

    func unknownOption(_ name: String) -> EmberError {
        let names = optionNames + readOnlyNames
        return EmberError.invalidArgument("\(typeName) has no option \"\(name)\"; valid options are: \(names.joined(separator: ", "))")
    }

    // MARK: - State (see LRScheduler+StateDict.swift)

    /// The state as torch's state_dict has it, flattened: base_lrs.<g>,
    /// last_epoch, _step_count, _last_lr.<g>, then the subclass's attributes.
    open func stateValues() -> [(String, SchedulerValue)] {
        var out: [(String, SchedulerValue)] = baseLRs.enumerated().map { ("base_lrs.\($0.offset)", .double($0.element)) }
        out.append(("last_epoch", .int(lastEpoch)))
        out.append(("_step_count", .int(stepCount)))
        out += lastLR.enumerated().map { ("_last_lr.\($0.offset)", .double($0.element)) }
        return out
    }

    /// Assigns values stateValues() listed (already checked).
    open func restoreValues(_ v: [String: SchedulerValue]) {
        for i in baseLRs.indices { baseLRs[i] = v.double("base_lrs.\(i)") ?? baseLRs[i] }
        lastEpoch = v.int("last_epoch") ?? lastEpoch
        stepCount = v.int("_step_count") ?? stepCount
        for i in lastLR.indices { lastLR[i] = v.double("_last_lr.\(i)") ?? lastLR[i] }
    }

    /// Problems with loaded values that the constructor would reject (a step_size of 0).
    open func validateValues(_ v: [String: SchedulerValue]) -> [String] { [] }
}

extension Dictionary where Key == String, Value == SchedulerValue {
    func int(_ key: String) -> Int? { if case .int(let i)? = self[key] { return i }; return nil }
    func double(_ key: String) -> Double? { if case .double(let d)? = self[key] { return d }; return nil }
    func ints(_ key: String) -> [Int]? { if case .ints(let l)? = self[key] { return l }; return nil }
}

// MARK: - Python arithmetic the schedulers rely on

/// Python's `a % b` (the sign of b).
func pyMod(_ a: Int, _ b: Int) -> Int {
    let r = a % b
    return r != 0 && (r < 0) != (b < 0) ? r + b : r
}

/// Python's `a // b` (rounds toward negative infinity).
func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q
}

/// Python's bisect.bisect_right on `list` (which need not be sorted, as in torch).
func bisectRight(_ list: [Int], _ x: Int) -> Int {
    var lo = 0, hi = list.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if x < list[mid] { hi = mid } else { lo = mid + 1 }
    }
    return lo
}

/// A whole number for an integer option (step_size, T_max, patience).
func wholeNumber(_ value: Double, _ what: String, in type: String) throws -> Int {
    guard value == value.rounded(), abs(value) < 1e15 else {
        throw EmberError.invalidArgument("\(type): \(what) must be an integer, got \(value)")
    }
    return Int(value)
}
