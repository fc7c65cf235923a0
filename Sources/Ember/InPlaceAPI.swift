import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/inplace.h.

@_cdecl("ember_add_") @implementation
public func ember_add_(_ t: OpaquePointer?, _ other: OpaquePointer?, _ alpha: Double) -> ember_status {
    call("ember_add_") { try tensor(t, "t").add_(tensor(other, "other"), alpha: alpha) }
}

@_cdecl("ember_add_scalar_") @implementation
public func ember_add_scalar_(_ t: OpaquePointer?, _ s: Double) -> ember_status {
    call("ember_add_scalar_") { try tensor(t, "t").add_(s) }
}

@_cdecl("ember_sub_") @implementation
public func ember_sub_(_ t: OpaquePointer?, _ other: OpaquePointer?, _ alpha: Double) -> ember_status {
    call("ember_sub_") { try tensor(t, "t").sub_(tensor(other, "other"), alpha: alpha) }
}

@_cdecl("ember_mul_") @implementation
public func ember_mul_(_ t: OpaquePointer?, _ other: OpaquePointer?) -> ember_status {
    call("ember_mul_") { try tensor(t, "t").mul_(tensor(other, "other")) }
}

@_cdecl("ember_mul_scalar_") @implementation
public func ember_mul_scalar_(_ t: OpaquePointer?, _ s: Double) -> ember_status {
    call("ember_mul_scalar_") { try tensor(t, "t").mul_(s) }
}

@_cdecl("ember_div_") @implementation
public func ember_div_(_ t: OpaquePointer?, _ other: OpaquePointer?) -> ember_status {
    call("ember_div_") { try tensor(t, "t").div_(tensor(other, "other")) }
}

@_cdecl("ember_div_scalar_") @implementation
public func ember_div_scalar_(_ t: OpaquePointer?, _ s: Double) -> ember_status {
    call("ember_div_scalar_") { try tensor(t, "t").div_(s) }
}

@_cdecl("ember_clamp_") @implementation
public func ember_clamp_(_ t: OpaquePointer?, _ min: Double, _ max: Double) -> ember_status {
    call("ember_clamp_") { try tensor(t, "t").clamp_(min: min, max: max) }
}

@_cdecl("ember_clamp_min_") @implementation
public func ember_clamp_min_(_ t: OpaquePointer?, _ min: Double) -> ember_status {
    call("ember_clamp_min_") { try tensor(t, "t").clamp_(min: min, max: nil) }
}

@_cdecl("ember_clamp_max_") @implementation
public func ember_clamp_max_(_ t: OpaquePointer?, _ max: Double) -> ember_status {
    call("ember_clamp_max_") { try tensor(t, "t").clamp_(min: nil, max: max) }
}

@_cdecl("ember_zero_") @implementation
public func ember_zero_(_ t: OpaquePointer?) -> ember_status {
    call("ember_zero_") { try tensor(t, "t").zero_() }
}

@_cdecl("ember_fill_") @implementation
public func ember_fill_(_ t: OpaquePointer?, _ value: Double) -> ember_status {
    call("ember_fill_") { try tensor(t, "t").fill_(value) }
}

@_cdecl("ember_copy_") @implementation
public func ember_copy_(_ t: OpaquePointer?, _ src: OpaquePointer?) -> ember_status {
    call("ember_copy_") { try tensor(t, "t").copy_(tensor(src, "src")) }
}

@_cdecl("ember_uniform_") @implementation
public func ember_uniform_(_ t: OpaquePointer?, _ from: Double, _ to: Double) -> ember_status {
    call("ember_uniform_") { try tensor(t, "t").uniform_(from: from, to: to) }
}

@_cdecl("ember_normal_") @implementation
public func ember_normal_(_ t: OpaquePointer?, _ mean: Double, _ std: Double) -> ember_status {
    call("ember_normal_") { try tensor(t, "t").normal_(mean: mean, std: std) }
}
