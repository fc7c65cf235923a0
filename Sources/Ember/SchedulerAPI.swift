import CEmber
import EmberAutograd
import EmberOptim
import EmberTensor

// Exports of ember/sched.h: learning-rate schedulers.

@inline(__always) func scheduler(_ h: OpaquePointer?, _ argument: StaticString) throws -> LRScheduler {
    try Handles.schedulers.get(h, argument)
}

/// The body of every scheduler constructor: `out` cleared first, set on success.
func newScheduler(_ function: StaticString, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                  _ make: () throws -> LRScheduler) -> ember_status {
    guard let out else { return fail(function, EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    return call(function) { out.pointee = Handles.schedulers.insert(try make()) }
}

/// A C integer argument as an Int (C's int64_t fits on the 64-bit platforms Ember runs on).
func readInt(_ value: Int64) -> Int { Int(clamping: value) }

@_cdecl("ember_steplr_new") @implementation
public func ember_steplr_new(_ opt: OpaquePointer?, _ stepSize: Int64, _ gamma: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_steplr_new", out) { try StepLR(optimizer: optimizer(opt, "opt"), stepSize: readInt(stepSize), gamma: gamma) }
}

@_cdecl("ember_multisteplr_new") @implementation
public func ember_multisteplr_new(_ opt: OpaquePointer?, _ milestones: UnsafePointer<Int64>?, _ count: Int64, _ gamma: Double,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_multisteplr_new", out) {
        let o = try optimizer(opt, "opt")
        return try MultiStepLR(optimizer: o, milestones: readIntList(milestones, count, "milestones"), gamma: gamma)
    }
}

@_cdecl("ember_constantlr_new") @implementation
public func ember_constantlr_new(_ opt: OpaquePointer?, _ factor: Double, _ totalIters: Int64,
                                 _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_constantlr_new", out) { try ConstantLR(optimizer: optimizer(opt, "opt"), factor: factor, totalIters: readInt(totalIters)) }
}

@_cdecl("ember_linearlr_new") @implementation
public func ember_linearlr_new(_ opt: OpaquePointer?, _ startFactor: Double, _ endFactor: Double, _ totalIters: Int64,
                               _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_linearlr_new", out) {
        try LinearLR(optimizer: optimizer(opt, "opt"), startFactor: startFactor, endFactor: endFactor, totalIters: readInt(totalIters))
    }
}

@_cdecl("ember_exponentiallr_new") @implementation
public func ember_exponentiallr_new(_ opt: OpaquePointer?, _ gamma: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_exponentiallr_new", out) { try ExponentialLR(optimizer: optimizer(opt, "opt"), gamma: gamma) }
}

@_cdecl("ember_polynomiallr_new") @implementation
public func ember_polynomiallr_new(_ opt: OpaquePointer?, _ totalIters: Int64, _ power: Double,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_polynomiallr_new", out) { try PolynomialLR(optimizer: optimizer(opt, "opt"), totalIters: readInt(totalIters), power: power) }
}

@_cdecl("ember_cosineannealinglr_new") @implementation
public func ember_cosineannealinglr_new(_ opt: OpaquePointer?, _ tMax: Int64, _ etaMin: Double,
                                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_cosineannealinglr_new", out) { try CosineAnnealingLR(optimizer: optimizer(opt, "opt"), tMax: readInt(tMax), etaMin: etaMin) }
}

@_cdecl("ember_cosineannealingwarmrestarts_new") @implementation
public func ember_cosineannealingwarmrestarts_new(_ opt: OpaquePointer?, _ t0: Int64, _ tMult: Int64, _ etaMin: Double,
                                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_cosineannealingwarmrestarts_new", out) {
        try CosineAnnealingWarmRestarts(optimizer: optimizer(opt, "opt"), t0: readInt(t0), tMult: readInt(tMult), etaMin: etaMin)
    }
}

@_cdecl("ember_onecyclelr_new") @implementation
public func ember_onecyclelr_new(_ opt: OpaquePointer?, _ maxLR: Double, _ totalSteps: Int64,
                                 _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_onecyclelr_new", out) { try OneCycleLR(optimizer: optimizer(opt, "opt"), maxLR: maxLR, totalSteps: readInt(totalSteps)) }
}

@_cdecl("ember_reducelronplateau_new") @implementation
public func ember_reducelronplateau_new(_ opt: OpaquePointer?, _ mode: UnsafePointer<CChar>?, _ factor: Double, _ patience: Int64,
                                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_reducelronplateau_new", out) {
        let o = try optimizer(opt, "opt")
        let text = mode.map { String(cString: $0) } ?? "min"
        guard let m = ReduceLROnPlateau.Mode(rawValue: text) else {
            throw EmberError.invalidArgument("ReduceLROnPlateau: mode \(text) is unknown! (expected 'min' or 'max')")
        }
        return try ReduceLROnPlateau(optimizer: o, mode: m, factor: factor, patience: readInt(patience))
    }
}

/// A C lr_lambda as a Swift one: its failure becomes an error with its status and message.
func cLambda(_ fn: ember_lr_lambda_fn, _ context: CallbackContext) -> LRLambda {
    { epoch, group in
        var factor = 0.0
        let status = fn(Int64(epoch), Int64(group), context.userData, &factor)
        guard status == EMBER_OK else { throw callbackError(status, "the lr_lambda for epoch \(epoch), group \(group)") }
        return factor
    }
}

@_cdecl("ember_lambdalr_new") @implementation
public func ember_lambdalr_new(_ opt: OpaquePointer?, _ lrLambda: ember_lr_lambda_fn?, _ userData: UnsafeMutableRawPointer?,
                               _ destroy: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?,
                               _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    // The context owns user_data from here on, success or not.
    let context = CallbackContext(userData, destroy)
    return newScheduler("ember_lambdalr_new", out) {
        let o = try optimizer(opt, "opt")
        guard let lrLambda else { throw EmberError.invalidArgument("argument 'lr_lambda' is NULL") }
        return try LambdaLR(optimizer: o, lambda: cLambda(lrLambda, context))
    }
}

@_cdecl("ember_multiplicativelr_new") @implementation
public func ember_multiplicativelr_new(_ opt: OpaquePointer?, _ lrLambda: ember_lr_lambda_fn?, _ userData: UnsafeMutableRawPointer?,
                                       _ destroy: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?,
                                       _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    let context = CallbackContext(userData, destroy)
    return newScheduler("ember_multiplicativelr_new", out) {
        let o = try optimizer(opt, "opt")
        guard let lrLambda else { throw EmberError.invalidArgument("argument 'lr_lambda' is NULL") }
        return try MultiplicativeLR(optimizer: o, lambda: cLambda(lrLambda, context))
    }
}

/// Reads a C list of scheduler handles.
func readSchedulers(_ list: UnsafePointer<OpaquePointer?>?, _ count: Int64) throws -> [LRScheduler] {
    guard count >= 0 && count <= 1 << 20 else { throw EmberError.invalidArgument("count must be in 0...\(1 << 20), got \(count)") }
    guard count == 0 || list != nil else { throw EmberError.invalidArgument("argument 'schedulers' is NULL but count is \(count)") }
    return try (0..<Int(count)).map { i in
        guard let s = Handles.schedulers.lookup(list![i]) else {
            throw Handles.schedulers.invalid(list![i], described: "element \(i) of 'schedulers'")
        }
        return s
    }
}

/// Reads a C list of int64 values.
func readIntList(_ list: UnsafePointer<Int64>?, _ count: Int64, _ argument: StaticString) throws -> [Int] {
    guard count >= 0 && count <= 1 << 24 else {
        throw EmberError.invalidArgument("argument '\(argument)': count must be in 0...\(1 << 24), got \(count)")
    }
    guard count == 0 || list != nil else { throw EmberError.invalidArgument("argument '\(argument)' is NULL but count is \(count)") }
    return (0..<Int(count)).map { readInt(list![$0]) }
}

@_cdecl("ember_sequentiallr_new") @implementation
public func ember_sequentiallr_new(_ opt: OpaquePointer?, _ schedulers: UnsafePointer<OpaquePointer?>?, _ count: Int64,
                                   _ milestones: UnsafePointer<Int64>?, _ nMilestones: Int64,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_sequentiallr_new", out) {
        let o = try optimizer(opt, "opt")
        return try SequentialLR(optimizer: o, schedulers: readSchedulers(schedulers, count),
                                milestones: readIntList(milestones, nMilestones, "milestones"))
    }
}

@_cdecl("ember_chainedscheduler_new") @implementation
public func ember_chainedscheduler_new(_ schedulers: UnsafePointer<OpaquePointer?>?, _ count: Int64,
                                       _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_chainedscheduler_new", out) { try ChainedScheduler(schedulers: readSchedulers(schedulers, count)) }
}

@_cdecl("ember_scheduler_new") @implementation
public func ember_scheduler_new(_ opt: OpaquePointer?, _ type: UnsafePointer<CChar>?, _ args: UnsafePointer<CChar>?,
                                _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newScheduler("ember_scheduler_new", out) {
        let o = try optimizer(opt, "opt")
        return try Schedulers.make(readString(type, "type"), optimizer: o, arguments: args.map { String(cString: $0) } ?? "")
    }
}

// MARK: - Stepping and reading

@_cdecl("ember_scheduler_step") @implementation
public func ember_scheduler_step(_ s: OpaquePointer?) -> ember_status {
    call("ember_scheduler_step") { try scheduler(s, "s").step() }
}

@_cdecl("ember_scheduler_step_metric") @implementation
public func ember_scheduler_step_metric(_ s: OpaquePointer?, _ metric: Double) -> ember_status {
    call("ember_scheduler_step_metric") { try scheduler(s, "s").step(metric: metric) }
}

@_cdecl("ember_scheduler_get_last_lr") @implementation
public func ember_scheduler_get_last_lr(_ s: OpaquePointer?, _ lrs: UnsafeMutablePointer<Double>?, _ capacity: Int64,
                                        _ count: UnsafeMutablePointer<Int64>?) -> ember_status {
    count?.pointee = 0
    return call("ember_scheduler_get_last_lr") {
        guard let count else { throw EmberError.invalidArgument("argument 'count' is NULL") }
        let values = try scheduler(s, "s").lastLR
        if let lrs {
            guard capacity >= Int64(values.count) else {
                throw EmberError.invalidArgument("capacity \(capacity) is too small for the \(values.count) learning rates")
            }
            for (i, v) in values.enumerated() { lrs[i] = v }
        }
        count.pointee = Int64(values.count)
    }
}

@_cdecl("ember_scheduler_get") @implementation
public func ember_scheduler_get(_ s: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Double>?) -> ember_status {
    out?.pointee = 0
    return call("ember_scheduler_get") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        out.pointee = try scheduler(s, "s").get(readString(name, "name"))
    }
}

@_cdecl("ember_scheduler_set") @implementation
public func ember_scheduler_set(_ s: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: Double) -> ember_status {
    call("ember_scheduler_set") { try scheduler(s, "s").set(readString(name, "name"), value) }
}

// MARK: - State

@_cdecl("ember_scheduler_state_count") @implementation
public func ember_scheduler_state_count(_ s: OpaquePointer?) -> Int64 {
    do { return Int64(try scheduler(s, "s").stateNames().count) } catch {
        failQuery("ember_scheduler_state_count", error)
        return -1
    }
}

@_cdecl("ember_scheduler_state_at") @implementation
public func ember_scheduler_state_at(_ s: OpaquePointer?, _ index: Int64, _ name: UnsafeMutablePointer<CChar>?, _ nameSize: Int,
                                     _ out: TensorOut?) -> ember_status {
    out?.pointee = nil
    if let name, nameSize > 0 { name.pointee = 0 }
    return call("ember_scheduler_state_at") {
        try writeStateEntry(try scheduler(s, "s").stateEntries(), index, name, nameSize, out)
    }
}

@_cdecl("ember_scheduler_load_state") @implementation
public func ember_scheduler_load_state(_ s: OpaquePointer?, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                                       _ tensors: UnsafePointer<OpaquePointer?>?, _ count: Int64) -> ember_status {
    call("ember_scheduler_load_state") {
        let sched = try scheduler(s, "s")
        try sched.loadStateDict(readNamedTensors(names, tensors, count))
    }
}

@_cdecl("ember_scheduler_free") @implementation
public func ember_scheduler_free(_ s: OpaquePointer?) {
    if s != nil && !Handles.schedulers.remove(s) {
        failQuery("ember_scheduler_free", Handles.schedulers.invalid(s, "s"))
    }
}
