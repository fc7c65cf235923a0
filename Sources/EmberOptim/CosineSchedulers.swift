import EmberTensor
import Glibc

/// Cosine annealing from the base rates to `etaMin` over `tMax` epochs, then
/// back up, in torch's recursive form (torch's CosineAnnealingLR).
public final class CosineAnnealingLR: LRScheduler {
    /// The half period in epochs (torch's T_max).
    public private(set) var tMax: Int
    /// The lowest rate (torch's eta_min).
    public private(set) var etaMin: Double

    /// torch's CosineAnnealingLR(optimizer, T_max, eta_min=0). T_max = 0 is
    /// rejected here (torch fails at the first step with a division by zero).
    public init(optimizer: Optimizer, tMax: Int, etaMin: Double = 0) throws {
        guard tMax != 0 else { throw EmberError.invalidArgument("CosineAnnealingLR: T_max must not be 0") }
        try checkFinite(etaMin, "eta_min", "CosineAnnealingLR")
        self.tMax = tMax
        self.etaMin = etaMin
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "CosineAnnealingLR" }

    override public func getLR() throws -> [Double] {
        let t = Double(tMax), e = Double(lastEpoch)
        if isInitial { return currentLRs }
        if stepCount == 1 && lastEpoch > 0 {
            return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(e * Double.pi / t)) / 2 }
        }
        if pyMod(lastEpoch - 1 - tMax, 2 * tMax) == 0 {
            return zip(currentLRs, baseLRs).map { lr, base in lr + (base - etaMin) * (1 - cos(Double.pi / t)) / 2 }
        }
        return currentLRs.map { lr in
            (1 + cos(Double.pi * e / t)) / (1 + cos(Double.pi * (e - 1) / t)) * (lr - etaMin) + etaMin
        }
    }

    override public func closedFormLR() throws -> [Double]? {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(Double.pi * Double(lastEpoch) / Double(tMax))) / 2 }
    }

    override public var optionNames: [String] { ["T_max", "eta_min"] }
    override public func option(_ name: String) -> Double? {
        switch name {
        case "T_max": Double(tMax)
        case "eta_min": etaMin
        default: super.option(name)
        }
    }
    override public func setOption(_ name: String, _ value: Double) throws {
        if name == "eta_min" { try checkFinite(value, name, typeName); etaMin = value; return }
        let t = try wholeNumber(value, name, in: typeName)
        guard t != 0 else { throw EmberError.invalidArgument("CosineAnnealingLR: T_max must not be 0") }
        tMax = t
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        super.stateValues() + [("T_max", .int(tMax)), ("eta_min", .double(etaMin))]
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        tMax = v.int("T_max") ?? tMax
        etaMin = v.double("eta_min") ?? etaMin
    }
    override public func validateValues(_ v: [String: SchedulerValue]) -> [String] {
        v.int("T_max") == 0 ? ["'T_max' must not be 0"] : []
    }
}

/// Cosine annealing with warm restarts every T_i epochs, T_i growing by
/// `tMult` after each restart (torch's CosineAnnealingWarmRestarts, SGDR).
public final class CosineAnnealingWarmRestarts: LRScheduler {
    /// The length of the first cycle (torch's T_0).
    public private(set) var t0: Int
    /// The factor each cycle grows by (torch's T_mult).
    public private(set) var tMult: Int
    /// The lowest rate (torch's eta_min).
    public private(set) var etaMin: Double
    /// The length of the current cycle and the epochs since its restart.
    public private(set) var tI: Int
    /// Epochs since the last restart (torch's T_cur).
    public private(set) var tCur: Int

    /// torch's CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0).
    public init(optimizer: Optimizer, t0: Int, tMult: Int = 1, etaMin: Double = 0) throws {
        guard t0 > 0 else { throw EmberError.invalidArgument("CosineAnnealingWarmRestarts: Expected positive integer T_0, but got \(t0)") }
        guard tMult >= 1 else { throw EmberError.invalidArgument("CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got \(tMult)") }
        try checkFinite(etaMin, "eta_min", "CosineAnnealingWarmRestarts")
        self.t0 = t0
        self.tMult = tMult
        self.etaMin = etaMin
        tI = t0
        tCur = -1
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "CosineAnnealingWarmRestarts" }

    override public func getLR() throws -> [Double] {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(Double.pi * Double(tCur) / Double(tI))) / 2 }
    }

    /// torch's own step: the position in the cycle advances and wraps around
    /// at the cycle's end (no step count is kept, as in torch).
    override public func step() throws {
        try atomically {
            try checkGroups()
            if lastEpoch < 0 {
                // The initial step: epoch 0 of the first cycle.
                tI = t0
                tCur = 0
                lastEpoch = 0
            } else {
                lastEpoch += 1
                tCur += 1
                if tCur >= tI {
                    tCur = pyMod(tCur, tI)
                    let (grown, overflow) = tI.multipliedReportingOverflow(by: tMult)
                    tI = overflow ? Int.max : grown
                }
            }
            setLRs(try getLR())
        }
    }

    override public var optionNames: [String] { ["T_0", "T_mult", "eta_min"] }
    override public var readOnlyNames: [String] { super.readOnlyNames + ["T_i", "T_cur"] }
    override public func option(_ name: String) -> Double? {
        switch name {
        case "T_0": Double(t0)
        case "T_mult": Double(tMult)
        case "eta_min": etaMin
        case "T_i": Double(tI)
        case "T_cur": Double(tCur)
        default: super.option(name)
        }
    }
    override public func setOption(_ name: String, _ value: Double) throws {
        switch name {
        case "eta_min": try checkFinite(value, name, typeName); etaMin = value
        case "T_0":
            let t = try wholeNumber(value, name, in: typeName)
            guard t > 0 else { throw EmberError.invalidArgument("CosineAnnealingWarmRestarts: Expected positive integer T_0, but got \(t)") }
            t0 = t
        default:
            let m = try wholeNumber(value, name, in: typeName)
            guard m >= 1 else { throw EmberError.invalidArgument("CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got \(m)") }
            tMult = m
        }
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        super.stateValues() + [("T_0", .int(t0)), ("T_i", .int(tI)), ("T_mult", .int(tMult)), ("eta_min", .double(etaMin)), ("T_cur", .int(tCur))]
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        super.restoreValues(v)
        t0 = v.int("T_0") ?? t0
        tI = v.int("T_i") ?? tI
        tMult = v.int("T_mult") ?? tMult
        etaMin = v.double("eta_min") ?? etaMin
        tCur = v.int("T_cur") ?? tCur
    }
    override public func validateValues(_ v: [String: SchedulerValue]) -> [String] {
        var problems: [String] = []
        if (v.int("T_0") ?? 1) < 1 { problems.append("'T_0' must be a positive integer") }
        if (v.int("T_i") ?? 1) < 1 { problems.append("'T_i' must be a positive integer") }
        if (v.int("T_mult") ?? 1) < 1 { problems.append("'T_mult' must be >= 1") }
        return problems
    }
}
