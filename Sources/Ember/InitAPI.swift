import CEmber
import EmberAutograd
import EmberNN
import EmberTensor

// Exports of ember/init.h: each looks up the tensor and runs the initialiser.

/// An optional C string argument with a default for NULL.
func readOptionalString(_ s: UnsafePointer<CChar>?, default value: String) -> String {
    s.map { String(cString: $0) } ?? value
}

@_cdecl("ember_init_uniform_") @implementation
public func ember_init_uniform_(_ t: OpaquePointer?, _ a: Double, _ b: Double) -> ember_status {
    call("ember_init_uniform_") { try Init.uniform(tensor(t, "t"), from: a, to: b) }
}

@_cdecl("ember_init_normal_") @implementation
public func ember_init_normal_(_ t: OpaquePointer?, _ mean: Double, _ std: Double) -> ember_status {
    call("ember_init_normal_") { try Init.normal(tensor(t, "t"), mean: mean, std: std) }
}

@_cdecl("ember_init_trunc_normal_") @implementation
public func ember_init_trunc_normal_(_ t: OpaquePointer?, _ mean: Double, _ std: Double, _ a: Double, _ b: Double) -> ember_status {
    call("ember_init_trunc_normal_") { try Init.truncNormal(tensor(t, "t"), mean: mean, std: std, a: a, b: b) }
}

@_cdecl("ember_init_constant_") @implementation
public func ember_init_constant_(_ t: OpaquePointer?, _ val: Double) -> ember_status {
    call("ember_init_constant_") { try Init.constant(tensor(t, "t"), val) }
}

@_cdecl("ember_init_zeros_") @implementation
public func ember_init_zeros_(_ t: OpaquePointer?) -> ember_status {
    call("ember_init_zeros_") { try Init.zeros(tensor(t, "t")) }
}

@_cdecl("ember_init_ones_") @implementation
public func ember_init_ones_(_ t: OpaquePointer?) -> ember_status {
    call("ember_init_ones_") { try Init.ones(tensor(t, "t")) }
}

@_cdecl("ember_init_eye_") @implementation
public func ember_init_eye_(_ t: OpaquePointer?) -> ember_status {
    call("ember_init_eye_") { try Init.eye(tensor(t, "t")) }
}

@_cdecl("ember_init_kaiming_uniform_") @implementation
public func ember_init_kaiming_uniform_(_ t: OpaquePointer?, _ a: Double, _ mode: UnsafePointer<CChar>?,
                                        _ nonlinearity: UnsafePointer<CChar>?) -> ember_status {
    call("ember_init_kaiming_uniform_") {
        try Init.kaimingUniform(tensor(t, "t"), a: a, mode: readOptionalString(mode, default: "fan_in"),
                                nonlinearity: readOptionalString(nonlinearity, default: "leaky_relu"))
    }
}

@_cdecl("ember_init_kaiming_normal_") @implementation
public func ember_init_kaiming_normal_(_ t: OpaquePointer?, _ a: Double, _ mode: UnsafePointer<CChar>?,
                                       _ nonlinearity: UnsafePointer<CChar>?) -> ember_status {
    call("ember_init_kaiming_normal_") {
        try Init.kaimingNormal(tensor(t, "t"), a: a, mode: readOptionalString(mode, default: "fan_in"),
                               nonlinearity: readOptionalString(nonlinearity, default: "leaky_relu"))
    }
}

@_cdecl("ember_init_xavier_uniform_") @implementation
public func ember_init_xavier_uniform_(_ t: OpaquePointer?, _ gain: Double) -> ember_status {
    call("ember_init_xavier_uniform_") { try Init.xavierUniform(tensor(t, "t"), gain: gain) }
}

@_cdecl("ember_init_xavier_normal_") @implementation
public func ember_init_xavier_normal_(_ t: OpaquePointer?, _ gain: Double) -> ember_status {
    call("ember_init_xavier_normal_") { try Init.xavierNormal(tensor(t, "t"), gain: gain) }
}

@_cdecl("ember_init_orthogonal_") @implementation
public func ember_init_orthogonal_(_ t: OpaquePointer?, _ gain: Double) -> ember_status {
    call("ember_init_orthogonal_") { try Init.orthogonal(tensor(t, "t"), gain: gain) }
}

@_cdecl("ember_calculate_gain") @implementation
public func ember_calculate_gain(_ nonlinearity: UnsafePointer<CChar>?, _ param: UnsafePointer<Double>?,
                                 _ out: UnsafeMutablePointer<Double>?) -> ember_status {
    guard let out else { return fail("ember_calculate_gain", EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = 0
    return call("ember_calculate_gain") {
        out.pointee = try Init.calculateGain(readString(nonlinearity, "nonlinearity"), param: param?.pointee)
    }
}
