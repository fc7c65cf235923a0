import EmberTensor

/// Runs schedulers one after another, switching at the milestone epochs
/// (torch's SequentialLR): warmup with LinearLR, then CosineAnnealingLR.
/// The schedulers must belong to `optimizer` and be made before this one;
/// it keeps them alive.
public final class SequentialLR: LRScheduler {
    /// The parts, kept alive.
    public let schedulers: [LRScheduler]
    /// The epochs at which the next part takes over.
    public private(set) var milestones: [Int]

    /// torch's SequentialLR(optimizer, schedulers, milestones): takes the first part's initial step again.
    public init(optimizer: Optimizer, schedulers: [LRScheduler], milestones: [Int]) throws {
        try checkParts(schedulers, of: optimizer, "SequentialLR")
        guard milestones.count == schedulers.count - 1 else {
            throw EmberError.invalidArgument("SequentialLR: Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers \(schedulers.count) and the number of milestones to be equal to \(milestones.count)")
        }
        for (i, g) in optimizer.paramGroups.enumerated() where g.extras["initial_lr"] == nil {
            throw EmberError.invalidArgument("SequentialLR: param 'initial_lr' is not specified in param_groups[\(i)]")
        }
        self.schedulers = schedulers
        self.milestones = milestones
        super.init(unchained: optimizer, lastEpoch: 0)
        // Undo what the schedulers' initial steps did, and take the first one's initial step again.
        for g in optimizer.paramGroups { g.options["lr"] = g.extras["initial_lr"]! }
        undoLastEpoch(self)
        let first = schedulers[bisectRight(milestones, 0)]
        try first.initialStep()
        lastLR = first.lastLR
    }

    /// torch's recursive_undo: one epoch back for every scheduler inside.
    func undoLastEpoch(_ s: LRScheduler) {
        if let parts = (s as? SequentialLR)?.schedulers ?? (s as? ChainedScheduler)?.schedulers {
            for p in parts { undoLastEpoch(p) }
        } else {
            s.lastEpoch -= 1
        }
    }

    override public var typeName: String { "SequentialLR" }

    override func updateLR(epoch: Int?) throws { throw EmberError.state("SequentialLR has no get_lr (torch raises NotImplementedError)") }

    override public func step() throws {
        try atomically {
            lastEpoch += 1
            let index = bisectRight(milestones, lastEpoch)
            let current = schedulers[index]
            if index > 0 && milestones[index - 1] == lastEpoch {
                // At a milestone the next scheduler starts from epoch 0 (its closed form where it has one).
                try current.updateLR(epoch: 0)
            } else {
                try current.step()
            }
            lastLR = current.lastLR
        }
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        [("last_epoch", .int(lastEpoch)), ("_milestones", .ints(milestones))]
            + lastLR.enumerated().map { ("_last_lr.\($0.offset)", .double($0.element)) }
            + partValues(schedulers)
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        lastEpoch = v.int("last_epoch") ?? lastEpoch
        milestones = v.ints("_milestones") ?? milestones
        for i in lastLR.indices { lastLR[i] = v.double("_last_lr.\(i)") ?? lastLR[i] }
        restoreParts(schedulers, v)
    }
    override public func validateValues(_ v: [String: SchedulerValue]) -> [String] { validateParts(schedulers, v) }
}

/// Steps several schedulers of one optimizer together, each acting on the
/// rates the previous one set (torch's ChainedScheduler).
public final class ChainedScheduler: LRScheduler {
    /// The parts, kept alive.
    public let schedulers: [LRScheduler]

    /// torch's ChainedScheduler(schedulers, optimizer=None).
    public init(schedulers: [LRScheduler], optimizer: Optimizer? = nil) throws {
        guard let first = schedulers.first else {
            throw EmberError.invalidArgument("ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
        }
        let optimizer = optimizer ?? first.optimizer
        try checkParts(schedulers, of: optimizer, "ChainedScheduler")
        self.schedulers = schedulers
        super.init(unchained: optimizer, lastEpoch: first.lastEpoch)
        lastLR = currentLRs
    }

    override public var typeName: String { "ChainedScheduler" }

    override func updateLR(epoch: Int?) throws { throw EmberError.state("ChainedScheduler has no get_lr (torch raises NotImplementedError)") }

    override public func step() throws {
        try atomically {
            for s in schedulers { try s.step() }
            lastLR = currentLRs
        }
    }

    override public func stateValues() -> [(String, SchedulerValue)] {
        lastLR.enumerated().map { ("_last_lr.\($0.offset)", .double($0.element)) } + partValues(schedulers)
    }
    override public func restoreValues(_ v: [String: SchedulerValue]) {
        for i in lastLR.indices { lastLR[i] = v.double("_last_lr.\(i)") ?? lastLR[i] }
        restoreParts(schedulers, v)
    }
    override public func validateValues(_ v: [String: SchedulerValue]) -> [String] { validateParts(schedulers, v) }
}

/// The checks SequentialLR and ChainedScheduler make on their parts.
func checkParts(_ schedulers: [LRScheduler], of optimizer: Optimizer, _ type: String) throws {
    guard !schedulers.isEmpty else { throw EmberError.invalidArgument("\(type) expects at least one scheduler, but got no scheduler.") }
    for (i, s) in schedulers.enumerated() {
        if s is ReduceLROnPlateau {
            throw EmberError.invalidArgument("\(type) does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs to be specified when calling `step`, but got one at index \(i) in the given schedulers sequence.")
        }
        guard s.optimizer === optimizer else {
            throw EmberError.invalidArgument("\(type) expects all schedulers to belong to the same optimizer, but got scheduler \(s.typeName) at index \(i) with a different \(s.optimizer.typeName)")
        }
    }
}

/// The parts' state under "_schedulers.<k>.".
func partValues(_ schedulers: [LRScheduler]) -> [(String, SchedulerValue)] {
    schedulers.enumerated().flatMap { k, s in s.stateValues().map { ("_schedulers.\(k).\($0.0)", $0.1) } }
}

func partSlice(_ k: Int, _ v: [String: SchedulerValue]) -> [String: SchedulerValue] {
    let prefix = "_schedulers.\(k)."
    var out: [String: SchedulerValue] = [:]
    for (name, value) in v where name.hasPrefix(prefix) { out[String(name.dropFirst(prefix.count))] = value }
    return out
}

func restoreParts(_ schedulers: [LRScheduler], _ v: [String: SchedulerValue]) {
    for (k, s) in schedulers.enumerated() { s.restoreValues(partSlice(k, v)) }
}

func validateParts(_ schedulers: [LRScheduler], _ v: [String: SchedulerValue]) -> [String] {
    schedulers.enumerated().flatMap { k, s in s.validateValues(partSlice(k, v)).map { "_schedulers.\(k): \($0)" } }
}
