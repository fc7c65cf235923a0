import CEmber
import EmberAutograd
import EmberNN
import EmberOptim
import EmberTensor

// Exports of ember/optim.h.

@_cdecl("ember_sgd_new") @implementation
public func ember_sgd_new(_ m: OpaquePointer?, _ lr: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    guard let out else { return fail("ember_sgd_new", EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    return call("ember_sgd_new") {
        let model = try module(m, "m")
        out.pointee = Handles.optimizers.insert(try SGD(parameters: model.parameters(), lr: lr))
    }
}

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

@_cdecl("ember_optimizer_zero_grad") @implementation
public func ember_optimizer_zero_grad(_ opt: OpaquePointer?) -> ember_status {
    call("ember_optimizer_zero_grad") { try optimizer(opt, "opt").zeroGrad() }
}

@_cdecl("ember_optimizer_step") @implementation
public func ember_optimizer_step(_ opt: OpaquePointer?) -> ember_status {
    call("ember_optimizer_step") { try optimizer(opt, "opt").step() }
}

@_cdecl("ember_optimizer_free") @implementation
public func ember_optimizer_free(_ opt: OpaquePointer?) {
    if opt != nil && !Handles.optimizers.remove(opt) {
        failQuery("ember_optimizer_free", Handles.optimizers.invalid(opt, "opt"))
    }
}
