import EmberTensor
import Glibc

/// The 1cycle policy (torch's OneCycleLR): the rate rises from
/// max_lr / div_factor to max_lr over the first pct_start of the steps and
/// anneals to initial_lr / final_div_factor, with momentum (or Adam's beta1)
/// cycling the other way between max_momentum and base_momentum. Its three
/// phase variant returns to initial_lr before the final annealing.
///
/// The scheduler writes "initial_lr", "max_lr", "min_lr" and, when cycling
/// momentum, "max_momentum" and "base_momentum" into every group, as torch does.
public final class OneCycleLR: LRScheduler {
    /// How the rate moves within a phase.
    public enum Anneal: String, Sendable { case cos, linear }

    /// A phase ends at `endStep`, moving the group value `startLR` to `endLR`.
    struct Phase {
        var endStep: Double
        let startLR, endLR, startMomentum, endMomentum: String
    }

    /// torch's arguments, with per-group lists for max_lr and the momenta.
    public struct Configuration {
        /// The peak rate, once or per group (torch's max_lr).
        public var maxLR: [Double]
        /// The number of steps, or nil to use epochs * stepsPerEpoch.
        public var totalSteps: Int? = nil
        /// torch's epochs (with stepsPerEpoch, when totalSteps is nil).
        public var epochs: Int? = nil
        /// torch's steps_per_epoch.
        public var stepsPerEpoch: Int? = nil
        /// The fraction of the steps spent raising the rate (torch's pct_start).
        public var pctStart = 0.3
        /// torch's anneal_strategy.
        public var annealStrategy = Anneal.cos
        /// Whether momentum (or beta1) cycles against the rate (torch's cycle_momentum).
        public var cycleMomentum = true
        /// The lowest momentum, once or per group (torch's base_momentum).
        public var baseMomentum = [0.85]
        /// The highest momentum, once or per group (torch's max_momentum).
        public var maxMomentum = [0.95]
        /// initial_lr = max_lr / divFactor (torch's div_factor).
        public var divFactor = 25.0
        /// min_lr = initial_lr / finalDivFactor (torch's final_div_factor).
        public var finalDivFactor = 1e4
        /// torch's three_phase: back to initial_lr before the final annealing.
        public var threePhase = false

        /// torch's defaults with `maxLR`; set totalSteps (or epochs and stepsPerEpoch) too.
        public init(maxLR: [Double]) { self.maxLR = maxLR }
    }

    /// The number of steps the cycle lasts; stepping past it is an error, as in torch.
    public private(set) var totalSteps: Int
    let anneal: Anneal
    let cycleMomentum: Bool
    /// Whether momentum is the optimizer's beta1 (Adam and relatives) rather than "momentum".
    let useBeta1: Bool
    var phases: [Phase]

    /// torch's OneCycleLR(optimizer, max_lr, total_steps) with its other defaults.
    public convenience init(optimizer: Optimizer, maxLR: Double, totalSteps: Int) throws {
        var c = Configuration(maxLR: [maxLR])
        c.totalSteps = totalSteps
        try self.init(optimizer: optimizer, c)
    }

    /// torch's OneCycleLR with every argument; checks them all before it writes the groups.
    public init(optimizer: Optimizer, _ c: Configuration) throws {
        // Everything is checked before the groups are touched.
        if let total = c.totalSteps {
            guard total > 0 else { throw EmberError.invalidArgument("OneCycleLR: Expected positive integer total_steps, but got \(total)") }
            totalSteps = total
        } else if let epochs = c.epochs, let perEpoch = c.stepsPerEpoch {
            guard epochs > 0 else { throw EmberError.invalidArgument("OneCycleLR: Expected positive integer epochs, but got \(epochs)") }
            guard perEpoch > 0 else { throw EmberError.invalidArgument("OneCycleLR: Expected positive integer steps_per_epoch, but got \(perEpoch)") }
            let (total, overflow) = epochs.multipliedReportingOverflow(by: perEpoch)
            guard !overflow else { throw EmberError.invalidArgument("OneCycleLR: epochs * steps_per_epoch overflows") }
            totalSteps = total
        } else {
            throw EmberError.invalidArgument("OneCycleLR: You must define either total_steps OR (epochs AND steps_per_epoch)")
        }
        guard c.pctStart >= 0 && c.pctStart <= 1 else {
            throw EmberError.invalidArgument("OneCycleLR: Expected float between 0 and 1 pct_start, but got \(c.pctStart)")
        }
        for (name, v) in [("div_factor", c.divFactor), ("final_div_factor", c.finalDivFactor)] { try checkFinite(v, name, "OneCycleLR") }
        let groups = optimizer.paramGroups
        let maxLRs = try perGroup(c.maxLR, "max_lr", groups.count)
        let maxMomenta = try perGroup(c.maxMomentum, "max_momentum", groups.count)
        let baseMomenta = try perGroup(c.baseMomentum, "base_momentum", groups.count)
        let hasMomentum = optimizer.optionNames.contains("momentum"), hasBeta1 = optimizer.optionNames.contains("beta1")
        if c.cycleMomentum && !hasMomentum && !hasBeta1 {
            throw EmberError.invalidArgument("OneCycleLR: optimizer must support momentum or beta1 with `cycle_momentum` option enabled (\(optimizer.typeName) has neither)")
        }
        let total = Double(totalSteps)
        phases = c.threePhase ? [
            Phase(endStep: c.pctStart * total - 1, startLR: "initial_lr", endLR: "max_lr", startMomentum: "max_momentum", endMomentum: "base_momentum"),
            Phase(endStep: 2 * c.pctStart * total - 2, startLR: "max_lr", endLR: "initial_lr", startMomentum: "base_momentum", endMomentum: "max_momentum"),
            Phase(endStep: total - 1, startLR: "initial_lr", endLR: "min_lr", startMomentum: "max_momentum", endMomentum: "max_momentum"),
        ] : [
            Phase(endStep: c.pctStart * total - 1, startLR: "initial_lr", endLR: "max_lr", startMomentum: "max_momentum", endMomentum: "base_momentum"),
            Phase(endStep: total - 1, startLR: "max_lr", endLR: "min_lr", startMomentum: "base_momentum", endMomentum: "max_momentum"),
        ]
        anneal = c.annealStrategy
        cycleMomentum = c.cycleMomentum
        useBeta1 = hasBeta1
        for (g, group) in groups.enumerated() {
            group.extras["initial_lr"] = maxLRs[g] / c.divFactor
            group.extras["max_lr"] = maxLRs[g]
            group.extras["min_lr"] = group.extras["initial_lr"]! / c.finalDivFactor
            if c.cycleMomentum {
                group.options[useBeta1 ? "beta1" : "momentum"] = maxMomenta[g]
                group.extras["max_momentum"] = maxMomenta[g]
                group.extras["base_momentum"] = baseMomenta[g]
            }
        }
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "OneCycleLR" }

    func annealed(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch anneal {
        case .cos: end + (start - end) / 2.0 * (cos(Double.pi * pct) + 1)
        case .linear: (end - start) * pct + start
        }
    }

    override public func getLR() throws -> [Double] {
        let stepNum = Double(lastEpoch)
        guard lastEpoch <= totalSteps else {
            throw EmberError.invalidArgument("OneCycleLR: Tried to step \(lastEpoch) times. The specified number of total steps is \(totalSteps)")
        }
        var lrs: [Double] = []
        var momenta: [Double] = []
        for group in optimizer.paramGroups {
            var start = 0.0
            for (i, phase) in phases.enumerated() {
                if stepNum <= phase.endStep || i == phases.count - 1 {
                    guard phase.endStep != start else {
                        throw EmberError.invalidArgument("OneCycleLR: float division by zero: phase \(i + 1) has no steps (total_steps \(totalSteps) is too small for pct_start)")
                    }
                    let pct = (stepNum - start) / (phase.endStep - start)
                    lrs.append(annealed(group.extras[phase.startLR] ?? 0, group.extras[phase.endLR] ?? 0, pct))
                    if cycleMomentum {
                        momenta.append(annealed(group.extras[phase.startMomentum] ?? 0, group.extras[phase.endMomentum] ?? 0, pct))
                    }
                    break
                }
                start = phase.endStep
            }
        }
        if cycleMomentum {
            for (group, m) in zip(optimizer.paramGroups, momenta) { group.options[useBeta1 ? "beta1" : "momentum"] = m }
        }
        return lrs
    }

    override public var readOnlyNames: [String] { super.readOnlyNames + ["total_steps"] }
    override public func option(_ name: String) -> Double? { name == "total_steps" ? Double(totalSteps) : super.option(name) }

    override public func stateValues() -> [(String, SchedulerValue)] {
        super.stateValues() + [("total_steps", .int(totalSteps))]
            + phases.enumerated().map { ("_schedule_phases.\($0.offset).end_step", .double($0.element.endStep)) }
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        totalSteps = v.int("total_steps") ?? totalSteps
        for i in phases.indices { phases[i].endStep = v.double("_schedule_phases.\(i).end_step") ?? phases[i].endStep }
    }
    override public func validateValues(_ v: [String: SchedulerValue]) -> [String] {
        (v.int("total_steps") ?? 1) > 0 ? [] : ["'total_steps' must be positive"]
    }
}

/// A value given once or per group (torch's _format_param).
func perGroup(_ values: [Double], _ name: String, _ groups: Int) throws -> [Double] {
    if values.count == 1 { return [Double](repeating: values[0], count: groups) }
    guard values.count == groups else {
        throw EmberError.invalidArgument("\(name) must have the same length as optimizer.param_groups. \(name) has \(values.count) values, param_groups has \(groups).")
    }
    return values
}
