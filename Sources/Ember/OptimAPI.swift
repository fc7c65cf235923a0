import CEmber
import EmberAutograd
import EmberNN
import EmberOptim
import EmberTensor

// Exports of ember/optim.h: optimizers, parameter groups, steps and state.

/// The body of the ember_<class>_new(module, lr, &opt) constructors.
func newOptimizer(_ function: StaticString, _ m: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                  _ make: ([Tensor]) throws -> Optimizer) -> ember_status {
    guard let out else { return fail(function, EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    return call(function) {
        let model = try module(m, "m")
        out.pointee = Handles.optimizers.insert(try make(model.parameters()))
    }
}

@_cdecl("ember_sgd_new") @implementation
public func ember_sgd_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_sgd_new", m, out) { try SGD(parameters: $0, lr: lr) }
}

@_cdecl("ember_adam_new") @implementation
public func ember_adam_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_adam_new", m, out) { try Adam(parameters: $0, lr: lr) }
}

@_cdecl("ember_adamw_new") @implementation
public func ember_adamw_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_adamw_new", m, out) { try AdamW(parameters: $0, lr: lr) }
}

@_cdecl("ember_rmsprop_new") @implementation
public func ember_rmsprop_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_rmsprop_new", m, out) { try RMSprop(parameters: $0, lr: lr) }
}

@_cdecl("ember_adagrad_new") @implementation
public func ember_adagrad_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_adagrad_new", m, out) { try Adagrad(parameters: $0, lr: lr) }
}

@_cdecl("ember_adadelta_new") @implementation
public func ember_adadelta_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_adadelta_new", m, out) { try Adadelta(parameters: $0, lr: lr) }
}

@_cdecl("ember_adamax_new") @implementation
public func ember_adamax_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_adamax_new", m, out) { try Adamax(parameters: $0, lr: lr) }
}

@_cdecl("ember_nadam_new") @implementation
public func ember_nadam_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_nadam_new", m, out) { try NAdam(parameters: $0, lr: lr) }
}

@_cdecl("ember_radam_new") @implementation
public func ember_radam_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_radam_new", m, out) { try RAdam(parameters: $0, lr: lr) }
}

@_cdecl("ember_lbfgs_new") @implementation
public func ember_lbfgs_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    newOptimizer("ember_lbfgs_new", m, out) { try LBFGS(parameters: $0, lr: lr) }
}

@_cdecl("ember_optimizer_new") @implementation
public func ember_optimizer_new(_ type: UnsafePointer<CChar>?, _ params: UnsafePointer<OpaquePointer?>?, _ count: Int64,
                                _ args: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    guard let out else { return fail("ember_optimizer_new", EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    return call("ember_optimizer_new") {
        let name = try readString(type, "type")
        let tensors = try readTensorList(params, count, "params")
        let text = args.map { String(cString: $0) } ?? ""
        out.pointee = Handles.optimizers.insert(try Optimizers.make(name, parameters: tensors, arguments: text))
    }
}

// MARK: - Options and groups

@_cdecl("ember_optimizer_set") @implementation
public func ember_optimizer_set(_ opt: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: Double) -> ember_status {
    call("ember_optimizer_set") { try optimizer(opt, "opt").set(readString(name, "name"), value) }
}

@_cdecl("ember_optimizer_get") @implementation
public func ember_optimizer_get(_ opt: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Double>?) -> ember_status {
    out?.pointee = 0
    return call("ember_optimizer_get") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        out.pointee = try optimizer(opt, "opt").get(readString(name, "name"))
    }
}

@_cdecl("ember_optimizer_add_param_group") @implementation
public func ember_optimizer_add_param_group(_ opt: OpaquePointer?, _ params: UnsafePointer<OpaquePointer?>?, _ count: Int64,
                                            _ args: UnsafePointer<CChar>?) -> ember_status {
    call("ember_optimizer_add_param_group") {
        let o = try optimizer(opt, "opt")
        let tensors = try readTensorList(params, count, "params")
        let options = try Optimizers.groupOptions(o, arguments: args.map { String(cString: $0) } ?? "")
        try o.addParamGroup(tensors, options: options)
    }
}

@_cdecl("ember_optimizer_param_group_count") @implementation
public func ember_optimizer_param_group_count(_ opt: OpaquePointer?) -> Int64 {
    do { return Int64(try optimizer(opt, "opt").paramGroups.count) } catch {
        failQuery("ember_optimizer_param_group_count", error)
        return -1
    }
}

/// A group index from C, range-checked by the optimizer.
func groupIndex(_ group: Int64) -> Int { Int(clamping: group) }

@_cdecl("ember_optimizer_set_group") @implementation
public func ember_optimizer_set_group(_ opt: OpaquePointer?, _ group: Int64, _ name: UnsafePointer<CChar>?, _ value: Double) -> ember_status {
    call("ember_optimizer_set_group") { try optimizer(opt, "opt").set(readString(name, "name"), value, group: groupIndex(group)) }
}

@_cdecl("ember_optimizer_get_group") @implementation
public func ember_optimizer_get_group(_ opt: OpaquePointer?, _ group: Int64, _ name: UnsafePointer<CChar>?,
                                      _ out: UnsafeMutablePointer<Double>?) -> ember_status {
    out?.pointee = 0
    return call("ember_optimizer_get_group") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        out.pointee = try optimizer(opt, "opt").get(readString(name, "name"), group: groupIndex(group))
    }
}

// MARK: - Steps

@_cdecl("ember_optimizer_zero_grad") @implementation
public func ember_optimizer_zero_grad(_ opt: OpaquePointer?) -> ember_status {
    call("ember_optimizer_zero_grad") { try optimizer(opt, "opt").zeroGrad() }
}

@_cdecl("ember_optimizer_step") @implementation
public func ember_optimizer_step(_ opt: OpaquePointer?) -> ember_status {
    call("ember_optimizer_step") { try optimizer(opt, "opt").step() }
}

@_cdecl("ember_optimizer_step_closure") @implementation
public func ember_optimizer_step_closure(_ opt: OpaquePointer?, _ closure: ember_closure_fn?, _ userData: UnsafeMutableRawPointer?,
                                         _ loss: UnsafeMutablePointer<Double>?) -> ember_status {
    loss?.pointee = 0
    return call("ember_optimizer_step_closure") {
        let o = try optimizer(opt, "opt")
        guard let closure else { throw EmberError.invalidArgument("argument 'closure' is NULL") }
        let first = try o.step {
            var value = 0.0
            let status = closure(userData, &value)
            guard status == EMBER_OK else { throw callbackError(status, "the closure") }
            return value
        }
        loss?.pointee = first
    }
}

// MARK: - State

@_cdecl("ember_optimizer_state_count") @implementation
public func ember_optimizer_state_count(_ opt: OpaquePointer?) -> Int64 {
    do { return Int64(try optimizer(opt, "opt").stateNames().count) } catch {
        failQuery("ember_optimizer_state_count", error)
        return -1
    }
}

@_cdecl("ember_optimizer_state_at") @implementation
public func ember_optimizer_state_at(_ opt: OpaquePointer?, _ index: Int64, _ name: UnsafeMutablePointer<CChar>?, _ nameSize: Int,
                                     _ out: TensorOut?) -> ember_status {
    out?.pointee = nil
    if let name, nameSize > 0 { name.pointee = 0 }
    return call("ember_optimizer_state_at") {
        let entries = try optimizer(opt, "opt").stateEntries()
        try writeStateEntry(entries, index, name, nameSize, out)
    }
}

@_cdecl("ember_optimizer_load_state") @implementation
public func ember_optimizer_load_state(_ opt: OpaquePointer?, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                                       _ tensors: UnsafePointer<OpaquePointer?>?, _ count: Int64) -> ember_status {
    call("ember_optimizer_load_state") {
        let o = try optimizer(opt, "opt")
        try o.loadStateDict(readNamedTensors(names, tensors, count))
    }
}

@_cdecl("ember_optimizer_free") @implementation
public func ember_optimizer_free(_ opt: OpaquePointer?) {
    if opt != nil && !Handles.optimizers.remove(opt) {
        failQuery("ember_optimizer_free", Handles.optimizers.invalid(opt, "opt"))
    }
}

// MARK: - Named tensor lists (shared with the scheduler exports)

/// Writes entry `index` of a state list: its name into the caller's buffer and a copy of its value as a new handle.
func writeStateEntry(_ entries: [(String, NDArray)], _ index: Int64, _ name: UnsafeMutablePointer<CChar>?, _ nameSize: Int,
                     _ out: TensorOut?) throws {
    guard index >= 0 && index < Int64(entries.count) else {
        throw EmberError.invalidArgument("index \(index) is out of range for a state of \(entries.count) entries")
    }
    let (entryName, value) = entries[Int(index)]
    if nameSize > 0 || name != nil {
        let bytes = Array(entryName.utf8)
        guard let name else { throw EmberError.invalidArgument("argument 'name' is NULL but name_size is \(nameSize)") }
        guard nameSize > bytes.count else {
            throw EmberError.invalidArgument("name_size is \(nameSize) but the name \"\(entryName)\" needs \(bytes.count + 1) bytes")
        }
        for (i, b) in bytes.enumerated() { name[i] = CChar(bitPattern: b) }
        name[bytes.count] = 0
    }
    if let out { out.pointee = Handles.tensors.insert(Tensor(try value.contiguous(force: true))) }
}

/// readTensors with a sane bound on the count, so that a garbage count is an
/// error rather than an attempt to reserve an impossible array.
func readTensorList(_ list: UnsafePointer<OpaquePointer?>?, _ count: Int64, _ argument: StaticString) throws -> [Tensor] {
    guard count <= 1 << 24 else { throw EmberError.invalidArgument("argument '\(argument)': count \(count) is too large") }
    return try readTensors(list, count, argument)
}

/// Reads the (names, tensors, count) lists of a state load.
func readNamedTensors(_ names: UnsafePointer<UnsafePointer<CChar>?>?, _ tensors: UnsafePointer<OpaquePointer?>?,
                      _ count: Int64) throws -> [(String, NDArray)] {
    let values = try readTensorList(tensors, count, "tensors")
    guard count == 0 || names != nil else { throw EmberError.invalidArgument("argument 'names' is NULL but count is \(count)") }
    return try values.enumerated().map { i, t in
        guard let n = names![i] else { throw EmberError.invalidArgument("element \(i) of 'names' is NULL") }
        return (String(cString: n), t.array)
    }
}
