import EmberTensor

/// Reduces the rates by `factor` once a metric has stopped improving for
/// `patience` epochs (torch's ReduceLROnPlateau). Step it with the metric:
/// `try sched.step(metric: validationLoss)`.
public final class ReduceLROnPlateau: LRScheduler {
    /// Whether the metric should go down (min) or up (max).
    public enum Mode: String, Sendable { case min, max }
    /// Whether an improvement is measured relative to the best value or in absolute terms.
    public enum ThresholdMode: String, Sendable { case rel, abs }

    /// torch's mode.
    public let mode: Mode
    /// torch's threshold_mode.
    public let thresholdMode: ThresholdMode
    /// The factor a reduction multiplies the rates by.
    public private(set) var factor: Double
    /// Bad epochs tolerated before a reduction.
    public private(set) var patience: Int
    /// The least change that counts as an improvement.
    public private(set) var threshold: Double
    /// Epochs after a reduction during which bad epochs are not counted.
    public private(set) var cooldown: Int
    /// Reductions smaller than this are skipped.
    public private(set) var eps: Double
    /// The floor of each group's rate.
    public private(set) var minLRs: [Double]
    /// The single min_lr given (nil for a per-group list): groups added later get it.
    let defaultMinLR: Double?
    /// The best metric so far (infinity, or -infinity in max mode, before the first).
    public private(set) var best: Double
    /// Consecutive epochs without improvement.
    public private(set) var numBadEpochs = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownCounter = 0

    /// torch's ReduceLROnPlateau(optimizer, mode, factor, patience, threshold,
    /// threshold_mode, cooldown, min_lr, eps); `minLR` holds one value or one per group.
    public init(optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
                thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLR: [Double] = [0], eps: Double = 1e-8) throws {
        guard factor < 1.0 else { throw EmberError.invalidArgument("ReduceLROnPlateau: Factor should be < 1.0, got \(factor)") }
        for (name, v) in [("factor", factor), ("threshold", threshold), ("eps", eps)] + minLR.map({ ("min_lr", $0) }) {
            try checkFinite(v, name, "ReduceLROnPlateau")
        }
        let groups = optimizer.paramGroups.count
        if minLR.count == 1 {
            (minLRs, defaultMinLR) = ([Double](repeating: minLR[0], count: groups), minLR[0])
        } else {
            guard minLR.count == groups else {
                throw EmberError.invalidArgument("ReduceLROnPlateau: expected \(groups) min_lrs, got \(minLR.count)")
            }
            (minLRs, defaultMinLR) = (minLR, nil)
        }
        self.mode = mode
        self.thresholdMode = thresholdMode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.eps = eps
        best = mode == .min ? .infinity : -.infinity
        super.init(unchained: optimizer, lastEpoch: 0)
    }

    override public var typeName: String { "ReduceLROnPlateau" }

    override public func step() throws {
        throw EmberError.invalidArgument("ReduceLROnPlateau.step needs the metric to watch (step(metric:), ember_scheduler_step_metric)")
    }

    override public func step(metric current: Double) throws {
        try atomically {
            lastEpoch += 1
            if isBetter(current, best) {
                best = current
                numBadEpochs = 0
            } else {
                numBadEpochs += 1
            }
            if cooldownCounter > 0 {
                cooldownCounter -= 1
                numBadEpochs = 0  // ignore any bad epochs in cooldown
            }
            if numBadEpochs > patience {
                try reduceLR()
                cooldownCounter = cooldown
                numBadEpochs = 0
            }
            lastLR = currentLRs
        }
    }

    func reduceLR() throws {
        let groups = optimizer.paramGroups
        if groups.count != minLRs.count {
            guard let d = defaultMinLR else {
                throw EmberError.state("ReduceLROnPlateau: The number of param groups in the `optimizer` (\(groups.count)) differs from when `ReduceLROnPlateau` was initialized (\(minLRs.count)), usually due to a new param group being added to the optimizer.")
            }
            minLRs = [Double](repeating: d, count: groups.count)
        }
        for (i, group) in groups.enumerated() {
            let old = group.options["lr"] ?? 0
            let new = pyMax(old * factor, minLRs[i])
            if old - new > eps { group.options["lr"] = new }
        }
    }

    func isBetter(_ a: Double, _ best: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): a < best * (1.0 - threshold)
        case (.min, .abs): a < best - threshold
        case (.max, .rel): a > best * (threshold + 1.0)
        case (.max, .abs): a > best + threshold
        }
    }

    override public var optionNames: [String] { ["factor", "patience", "threshold", "cooldown", "min_lr", "eps"] }
    override public var readOnlyNames: [String] { super.readOnlyNames + ["best", "num_bad_epochs", "cooldown_counter"] }
    override public func option(_ name: String) -> Double? {
        switch name {
        case "factor": factor
        case "patience": Double(patience)
        case "threshold": threshold
        case "cooldown": Double(cooldown)
        case "min_lr": minLRs.first ?? 0
        case "eps": eps
        case "best": best
        case "num_bad_epochs": Double(numBadEpochs)
        case "cooldown_counter": Double(cooldownCounter)
        default: super.option(name)
        }
    }
    override public func setOption(_ name: String, _ value: Double) throws {
        switch name {
        case "patience": patience = try wholeNumber(value, name, in: typeName)
        case "cooldown": cooldown = try wholeNumber(value, name, in: typeName)
        default:
            try checkFinite(value, name, typeName)
            switch name {
            case "factor":
                guard value < 1 else { throw EmberError.invalidArgument("ReduceLROnPlateau: Factor should be < 1.0, got \(value)") }
                factor = value
            case "threshold": threshold = value
            case "min_lr": minLRs = minLRs.map { _ in value }
            default: eps = value
            }
        }
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        [("factor", .double(factor))] + minLRs.enumerated().map { ("min_lrs.\($0.offset)", .double($0.element)) } + [
            ("patience", .int(patience)), ("cooldown", .int(cooldown)), ("cooldown_counter", .int(cooldownCounter)),
            ("eps", .double(eps)), ("last_epoch", .int(lastEpoch)), ("best", .double(best)),
            ("num_bad_epochs", .int(numBadEpochs)), ("threshold", .double(threshold)),
        ] + lastLR.enumerated().map { ("_last_lr.\($0.offset)", .double($0.element)) }
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        factor = v.double("factor") ?? factor
        for i in minLRs.indices { minLRs[i] = v.double("min_lrs.\(i)") ?? minLRs[i] }
        patience = v.int("patience") ?? patience
        cooldown = v.int("cooldown") ?? cooldown
        cooldownCounter = v.int("cooldown_counter") ?? cooldownCounter
        eps = v.double("eps") ?? eps
        lastEpoch = v.int("last_epoch") ?? lastEpoch
        best = v.double("best") ?? best
        numBadEpochs = v.int("num_bad_epochs") ?? numBadEpochs
        threshold = v.double("threshold") ?? threshold
        for i in lastLR.indices { lastLR[i] = v.double("_last_lr.\(i)") ?? lastLR[i] }
    }
    override public func validateValues(_ v: [String: SchedulerValue]) -> [String] {
        (v.double("factor") ?? 0) < 1 ? [] : ["'factor' must be < 1.0"]
    }
}
