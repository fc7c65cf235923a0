import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/elementwise.h: thin shims that look up handles, call the Tensor op and
// hand out the result.

@_cdecl("ember_add") @implementation
public func ember_add(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_add", out) { try tensor(a, "a").add(tensor(b, "b")) }
}

@_cdecl("ember_sub") @implementation
public func ember_sub(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_sub", out) { try tensor(a, "a").sub(tensor(b, "b")) }
}

@_cdecl("ember_mul") @implementation
public func ember_mul(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_mul", out) { try tensor(a, "a").mul(tensor(b, "b")) }
}

@_cdecl("ember_div") @implementation
public func ember_div(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_div", out) { try tensor(a, "a").div(tensor(b, "b")) }
}

@_cdecl("ember_add_scalar") @implementation
public func ember_add_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_add_scalar", out) { try tensor(a, "a").add(s) }
}

@_cdecl("ember_sub_scalar") @implementation
public func ember_sub_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_sub_scalar", out) { try tensor(a, "a").sub(s) }
}

@_cdecl("ember_mul_scalar") @implementation
public func ember_mul_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_mul_scalar", out) { try tensor(a, "a").mul(s) }
}

@_cdecl("ember_div_scalar") @implementation
public func ember_div_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_div_scalar", out) { try tensor(a, "a").div(s) }
}

@_cdecl("ember_neg") @implementation
public func ember_neg(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_neg", out) { try tensor(x, "x").neg() }
}

@_cdecl("ember_exp") @implementation
public func ember_exp(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_exp", out) { try tensor(x, "x").exp() }
}

@_cdecl("ember_log") @implementation
public func ember_log(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_log", out) { try tensor(x, "x").log() }
}

@_cdecl("ember_relu") @implementation
public func ember_relu(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_relu", out) { try tensor(x, "x").relu() }
}
