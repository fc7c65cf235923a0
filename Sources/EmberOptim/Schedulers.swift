import EmberTensor
import Glibc

// The step-function schedulers of torch.optim.lr_scheduler, each with torch's
// chainable get_lr and its closed form (used by SequentialLR at milestones).

/// Multiplies the rates by `gamma` every `stepSize` epochs (torch's StepLR).
public final class StepLR: LRScheduler {
    /// Epochs between decays (torch's step_size).
    public private(set) var stepSize: Int
    /// The decay factor.
    public private(set) var gamma: Double

    /// torch's StepLR(optimizer, step_size, gamma=0.1). A step_size below 1
    /// is rejected here (torch fails at the first step with a division by zero).
    public init(optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) throws {
        guard stepSize >= 1 else { throw EmberError.invalidArgument("StepLR: step_size must be a positive integer, got \(stepSize)") }
        try checkFinite(gamma, "gamma", "StepLR")
        self.stepSize = stepSize
        self.gamma = gamma
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "StepLR" }

    override public func getLR() throws -> [Double] {
        if lastEpoch == 0 || pyMod(lastEpoch, stepSize) != 0 { return currentLRs }
        return currentLRs.map { $0 * gamma }
    }

    override public func closedFormLR() throws -> [Double]? {
        baseLRs.map { $0 * pow(gamma, Double(floorDiv(lastEpoch, stepSize))) }
    }

    override public var optionNames: [String] { ["step_size", "gamma"] }
    override public func option(_ name: String) -> Double? {
        switch name {
        case "step_size": Double(stepSize)
        case "gamma": gamma
        default: super.option(name)
        }
    }
    override public func setOption(_ name: String, _ value: Double) throws {
        if name == "gamma" { try checkFinite(value, "gamma", typeName); gamma = value; return }
        let size = try wholeNumber(value, "step_size", in: typeName)
        guard size >= 1 else { throw EmberError.invalidArgument("StepLR: step_size must be a positive integer, got \(size)") }
        stepSize = size
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        super.stateValues() + [("step_size", .int(stepSize)), ("gamma", .double(gamma))]
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        stepSize = v.int("step_size") ?? stepSize
        gamma = v.double("gamma") ?? gamma
    }
    override public func validateValues(_ v: [String: SchedulerValue]) -> [String] {
        (v.int("step_size") ?? 1) >= 1 ? [] : ["'step_size' must be a positive integer"]
    }
}

/// Multiplies the rates by `gamma` at each milestone epoch, by gamma^k for a
/// milestone listed k times (torch's MultiStepLR).
public final class MultiStepLR: LRScheduler {
    /// The milestones in ascending order, repeated as often as given (torch's Counter).
    public private(set) var milestones: [Int]
    /// The decay factor.
    public private(set) var gamma: Double

    /// torch's MultiStepLR(optimizer, milestones, gamma=0.1).
    public init(optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) throws {
        try checkFinite(gamma, "gamma", "MultiStepLR")
        self.milestones = milestones.sorted()
        self.gamma = gamma
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "MultiStepLR" }

    override public func getLR() throws -> [Double] {
        let hits = milestones.filter { $0 == lastEpoch }.count
        if hits == 0 { return currentLRs }
        return currentLRs.map { $0 * pow(gamma, Double(hits)) }
    }

    override public func closedFormLR() throws -> [Double]? {
        let passed = bisectRight(milestones, lastEpoch)
        return baseLRs.map { $0 * pow(gamma, Double(passed)) }
    }

    override public var optionNames: [String] { ["gamma"] }
    override public func option(_ name: String) -> Double? { name == "gamma" ? gamma : super.option(name) }
    override public func setOption(_ name: String, _ value: Double) throws {
        try checkFinite(value, "gamma", typeName)
        gamma = value
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        super.stateValues() + [("milestones", .ints(milestones)), ("gamma", .double(gamma))]
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        milestones = (v.ints("milestones") ?? milestones).sorted()
        gamma = v.double("gamma") ?? gamma
    }
}

/// Multiplies the rates by `factor` until epoch `totalIters` (torch's ConstantLR).
public final class ConstantLR: LRScheduler {
    /// The factor applied until totalIters.
    public private(set) var factor: Double
    /// The epoch the schedule ends at (torch's total_iters).
    public private(set) var totalIters: Int

    /// torch's ConstantLR(optimizer, factor=1/3, total_iters=5).
    public init(optimizer: Optimizer, factor: Double = 1.0 / 3, totalIters: Int = 5) throws {
        guard factor >= 0 && factor <= 1 else {
            throw EmberError.invalidArgument("ConstantLR: Constant multiplicative factor expected to be between 0 and 1, got \(factor)")
        }
        self.factor = factor
        self.totalIters = totalIters
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "ConstantLR" }

    override public func getLR() throws -> [Double] {
        if lastEpoch == 0 { return currentLRs.map { $0 * factor } }
        if lastEpoch != totalIters { return currentLRs }
        guard factor != 0 else { throw EmberError.invalidArgument("ConstantLR: float division by zero (factor is 0 at epoch \(lastEpoch))") }
        return currentLRs.map { $0 * (1.0 / factor) }
    }

    override public func closedFormLR() throws -> [Double]? {
        baseLRs.map { $0 * (factor + (lastEpoch >= totalIters ? 1 : 0) * (1 - factor)) }
    }

    override public var optionNames: [String] { ["factor", "total_iters"] }
    override public func option(_ name: String) -> Double? {
        switch name {
        case "factor": factor
        case "total_iters": Double(totalIters)
        default: super.option(name)
        }
    }
    override public func setOption(_ name: String, _ value: Double) throws {
        if name == "total_iters" { totalIters = try wholeNumber(value, name, in: typeName); return }
        guard value >= 0 && value <= 1 else {
            throw EmberError.invalidArgument("ConstantLR: Constant multiplicative factor expected to be between 0 and 1, got \(value)")
        }
        factor = value
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        super.stateValues() + [("factor", .double(factor)), ("total_iters", .int(totalIters))]
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        factor = v.double("factor") ?? factor
        totalIters = v.int("total_iters") ?? totalIters
    }
}

/// Scales the rates linearly from `startFactor` to `endFactor` over
/// `totalIters` epochs (torch's LinearLR), the usual warmup.
public final class LinearLR: LRScheduler {
    /// The factor at epoch 0.
    public private(set) var startFactor: Double
    /// The factor from totalIters on.
    public private(set) var endFactor: Double
    /// The epoch the schedule ends at (torch's total_iters).
    public private(set) var totalIters: Int

    /// torch's LinearLR(optimizer, start_factor=1/3, end_factor=1, total_iters=5).
    public init(optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1.0, totalIters: Int = 5) throws {
        try LinearLR.check(start: startFactor, end: endFactor)
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        try super.init(optimizer: optimizer)
    }

    static func check(start: Double, end: Double) throws {
        guard start > 0 && start <= 1 else {
            throw EmberError.invalidArgument("LinearLR: Starting multiplicative factor expected to be greater than 0 and less or equal to 1, got \(start)")
        }
        guard end >= 0 && end <= 1 else {
            throw EmberError.invalidArgument("LinearLR: Ending multiplicative factor expected to be between 0 and 1, got \(end)")
        }
    }

    override public var typeName: String { "LinearLR" }

    override public func getLR() throws -> [Double] {
        if lastEpoch == 0 { return currentLRs.map { $0 * startFactor } }
        if isInitial || lastEpoch > totalIters { return currentLRs }
        let denominator = Double(totalIters) * startFactor + Double(lastEpoch - 1) * (endFactor - startFactor)
        guard denominator != 0 else { throw EmberError.invalidArgument("LinearLR: float division by zero at epoch \(lastEpoch)") }
        return currentLRs.map { $0 * (1.0 + (endFactor - startFactor) / denominator) }
    }

    override public func closedFormLR() throws -> [Double]? {
        guard totalIters != 0 else { throw EmberError.invalidArgument("LinearLR: float division by zero (total_iters is 0)") }
        return baseLRs.map {
            $0 * (startFactor + (endFactor - startFactor) * Double(Swift.min(totalIters, lastEpoch)) / Double(totalIters))
        }
    }

    override public var optionNames: [String] { ["start_factor", "end_factor", "total_iters"] }
    override public func option(_ name: String) -> Double? {
        switch name {
        case "start_factor": startFactor
        case "end_factor": endFactor
        case "total_iters": Double(totalIters)
        default: super.option(name)
        }
    }
    override public func setOption(_ name: String, _ value: Double) throws {
        switch name {
        case "start_factor": try LinearLR.check(start: value, end: endFactor); startFactor = value
        case "end_factor": try LinearLR.check(start: startFactor, end: value); endFactor = value
        default: totalIters = try wholeNumber(value, name, in: typeName)
        }
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        super.stateValues() + [("start_factor", .double(startFactor)), ("end_factor", .double(endFactor)), ("total_iters", .int(totalIters))]
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        startFactor = v.double("start_factor") ?? startFactor
        endFactor = v.double("end_factor") ?? endFactor
        totalIters = v.int("total_iters") ?? totalIters
    }
}

/// Multiplies the rates by `gamma` every epoch (torch's ExponentialLR).
public final class ExponentialLR: LRScheduler {
    /// The decay factor.
    public private(set) var gamma: Double

    /// torch's ExponentialLR(optimizer, gamma).
    public init(optimizer: Optimizer, gamma: Double) throws {
        try checkFinite(gamma, "gamma", "ExponentialLR")
        self.gamma = gamma
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "ExponentialLR" }

    override public func getLR() throws -> [Double] {
        isInitial ? currentLRs : currentLRs.map { $0 * gamma }
    }

    override public func closedFormLR() throws -> [Double]? { baseLRs.map { $0 * pow(gamma, Double(lastEpoch)) } }

    override public var optionNames: [String] { ["gamma"] }
    override public func option(_ name: String) -> Double? { name == "gamma" ? gamma : super.option(name) }
    override public func setOption(_ name: String, _ value: Double) throws {
        try checkFinite(value, "gamma", typeName)
        gamma = value
    }

    override public func stateValues() -> [(String, SchedulerValue)] { super.stateValues() + [("gamma", .double(gamma))] }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        gamma = v.double("gamma") ?? gamma
    }
}

/// Decays the rates polynomially to 0 over `totalIters` epochs (torch's PolynomialLR).
public final class PolynomialLR: LRScheduler {
    /// The epoch the schedule ends at (torch's total_iters).
    public private(set) var totalIters: Int
    /// The exponent of the decay.
    public private(set) var power: Double

    /// torch's PolynomialLR(optimizer, total_iters=5, power=1).
    public init(optimizer: Optimizer, totalIters: Int = 5, power: Double = 1.0) throws {
        try checkFinite(power, "power", "PolynomialLR")
        self.totalIters = totalIters
        self.power = power
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "PolynomialLR" }

    override public func getLR() throws -> [Double] {
        if isInitial || lastEpoch > totalIters { return currentLRs }
        let t = Double(totalIters)
        let decay = pow((1.0 - Double(lastEpoch) / t) / (1.0 - Double(lastEpoch - 1) / t), power)
        return currentLRs.map { $0 * decay }
    }

    override public func closedFormLR() throws -> [Double]? {
        guard totalIters != 0 else { throw EmberError.invalidArgument("PolynomialLR: float division by zero (total_iters is 0)") }
        return baseLRs.map { $0 * pow(1.0 - Double(Swift.min(totalIters, lastEpoch)) / Double(totalIters), power) }
    }

    override public var optionNames: [String] { ["total_iters", "power"] }
    override public func option(_ name: String) -> Double? {
        switch name {
        case "total_iters": Double(totalIters)
        case "power": power
        default: super.option(name)
        }
    }
    override public func setOption(_ name: String, _ value: Double) throws {
        if name == "power" { try checkFinite(value, name, typeName); power = value } else { totalIters = try wholeNumber(value, name, in: typeName) }
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        super.stateValues() + [("total_iters", .int(totalIters)), ("power", .double(power))]
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        totalIters = v.int("total_iters") ?? totalIters
        power = v.double("power") ?? power
    }
}

/// A finite number for a scheduler hyper-parameter.
func checkFinite(_ value: Double, _ what: String, _ type: String) throws {
    guard value.isFinite else { throw EmberError.invalidArgument("\(type): \(what) must be a finite number, got \(value)") }
}
