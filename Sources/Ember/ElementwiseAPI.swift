import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/elementwise.h: thin shims that look up handles, call the
// Tensor op and hand out the result.

// MARK: - Arithmetic

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

@_cdecl("ember_div_mode") @implementation
public func ember_div_mode(_ a: OpaquePointer?, _ b: OpaquePointer?, _ rounding_mode: UnsafePointer<CChar>?, _ out: TensorOut?) -> ember_status {
    returning("ember_div_mode", out) { try tensor(a, "a").div(tensor(b, "b"), roundingMode: readRoundingMode(rounding_mode)) }
}

@_cdecl("ember_div_scalar_mode") @implementation
public func ember_div_scalar_mode(_ a: OpaquePointer?, _ s: Double, _ rounding_mode: UnsafePointer<CChar>?, _ out: TensorOut?) -> ember_status {
    returning("ember_div_scalar_mode", out) { try tensor(a, "a").div(s, roundingMode: readRoundingMode(rounding_mode)) }
}

@_cdecl("ember_floor_divide") @implementation
public func ember_floor_divide(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_floor_divide", out) { try tensor(a, "a").floorDivide(tensor(b, "b")) }
}

@_cdecl("ember_floor_divide_scalar") @implementation
public func ember_floor_divide_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_floor_divide_scalar", out) { try tensor(a, "a").floorDivide(s) }
}

@_cdecl("ember_remainder") @implementation
public func ember_remainder(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_remainder", out) { try tensor(a, "a").remainder(tensor(b, "b")) }
}

@_cdecl("ember_remainder_scalar") @implementation
public func ember_remainder_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_remainder_scalar", out) { try tensor(a, "a").remainder(s) }
}

@_cdecl("ember_maximum") @implementation
public func ember_maximum(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_maximum", out) { try tensor(a, "a").maximum(tensor(b, "b")) }
}

@_cdecl("ember_minimum") @implementation
public func ember_minimum(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_minimum", out) { try tensor(a, "a").minimum(tensor(b, "b")) }
}

@_cdecl("ember_atan2") @implementation
public func ember_atan2(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_atan2", out) { try tensor(a, "a").atan2(tensor(b, "b")) }
}

@_cdecl("ember_pow") @implementation
public func ember_pow(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_pow", out) { try tensor(a, "a").pow(tensor(b, "b")) }
}

@_cdecl("ember_pow_scalar") @implementation
public func ember_pow_scalar(_ x: OpaquePointer?, _ exponent: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_pow_scalar", out) { try tensor(x, "x").pow(exponent) }
}

@_cdecl("ember_pow_scalar_base") @implementation
public func ember_pow_scalar_base(_ base: Double, _ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_pow_scalar_base", out) { try Tensor.pow(base, tensor(x, "x")) }
}

@_cdecl("ember_addcmul") @implementation
public func ember_addcmul(_ input: OpaquePointer?, _ tensor1: OpaquePointer?, _ tensor2: OpaquePointer?, _ value: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_addcmul", out) { try tensor(input, "input").addcmul(tensor(tensor1, "tensor1"), tensor(tensor2, "tensor2"), value: value) }
}

@_cdecl("ember_addcdiv") @implementation
public func ember_addcdiv(_ input: OpaquePointer?, _ tensor1: OpaquePointer?, _ tensor2: OpaquePointer?, _ value: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_addcdiv", out) { try tensor(input, "input").addcdiv(tensor(tensor1, "tensor1"), tensor(tensor2, "tensor2"), value: value) }
}

@_cdecl("ember_lerp") @implementation
public func ember_lerp(_ start: OpaquePointer?, _ end: OpaquePointer?, _ weight: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_lerp", out) { try tensor(start, "start").lerp(tensor(end, "end"), weight: weight) }
}

@_cdecl("ember_lerp_tensor") @implementation
public func ember_lerp_tensor(_ start: OpaquePointer?, _ end: OpaquePointer?, _ weight: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_lerp_tensor", out) { try tensor(start, "start").lerp(tensor(end, "end"), weight: tensor(weight, "weight")) }
}

// MARK: - Unary math

@_cdecl("ember_neg") @implementation
public func ember_neg(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_neg", out) { try tensor(x, "x").neg() }
}

@_cdecl("ember_abs") @implementation
public func ember_abs(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_abs", out) { try tensor(x, "x").abs() }
}

@_cdecl("ember_sign") @implementation
public func ember_sign(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_sign", out) { try tensor(x, "x").sign() }
}

@_cdecl("ember_square") @implementation
public func ember_square(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_square", out) { try tensor(x, "x").square() }
}

@_cdecl("ember_exp") @implementation
public func ember_exp(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_exp", out) { try tensor(x, "x").exp() }
}

@_cdecl("ember_expm1") @implementation
public func ember_expm1(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_expm1", out) { try tensor(x, "x").expm1() }
}

@_cdecl("ember_log") @implementation
public func ember_log(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_log", out) { try tensor(x, "x").log() }
}

@_cdecl("ember_log1p") @implementation
public func ember_log1p(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_log1p", out) { try tensor(x, "x").log1p() }
}

@_cdecl("ember_log2") @implementation
public func ember_log2(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_log2", out) { try tensor(x, "x").log2() }
}

@_cdecl("ember_sqrt") @implementation
public func ember_sqrt(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_sqrt", out) { try tensor(x, "x").sqrt() }
}

@_cdecl("ember_rsqrt") @implementation
public func ember_rsqrt(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_rsqrt", out) { try tensor(x, "x").rsqrt() }
}

@_cdecl("ember_reciprocal") @implementation
public func ember_reciprocal(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_reciprocal", out) { try tensor(x, "x").reciprocal() }
}

@_cdecl("ember_sin") @implementation
public func ember_sin(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_sin", out) { try tensor(x, "x").sin() }
}

@_cdecl("ember_cos") @implementation
public func ember_cos(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_cos", out) { try tensor(x, "x").cos() }
}

@_cdecl("ember_tan") @implementation
public func ember_tan(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_tan", out) { try tensor(x, "x").tan() }
}

@_cdecl("ember_tanh") @implementation
public func ember_tanh(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_tanh", out) { try tensor(x, "x").tanh() }
}

@_cdecl("ember_sigmoid") @implementation
public func ember_sigmoid(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_sigmoid", out) { try tensor(x, "x").sigmoid() }
}

@_cdecl("ember_erf") @implementation
public func ember_erf(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_erf", out) { try tensor(x, "x").erf() }
}

@_cdecl("ember_logit") @implementation
public func ember_logit(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_logit", out) { try tensor(x, "x").logit() }
}

@_cdecl("ember_floor") @implementation
public func ember_floor(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_floor", out) { try tensor(x, "x").floor() }
}

@_cdecl("ember_ceil") @implementation
public func ember_ceil(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_ceil", out) { try tensor(x, "x").ceil() }
}

@_cdecl("ember_round") @implementation
public func ember_round(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_round", out) { try tensor(x, "x").round() }
}

@_cdecl("ember_logit_eps") @implementation
public func ember_logit_eps(_ x: OpaquePointer?, _ eps: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_logit_eps", out) { try tensor(x, "x").logit(eps: eps) }
}

@_cdecl("ember_clamp") @implementation
public func ember_clamp(_ x: OpaquePointer?, _ min: Double, _ max: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_clamp", out) { try tensor(x, "x").clamp(min: min, max: max) }
}

@_cdecl("ember_clamp_min") @implementation
public func ember_clamp_min(_ x: OpaquePointer?, _ min: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_clamp_min", out) { try tensor(x, "x").clamp(min: min) }
}

@_cdecl("ember_clamp_max") @implementation
public func ember_clamp_max(_ x: OpaquePointer?, _ max: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_clamp_max", out) { try tensor(x, "x").clamp(max: max) }
}

// MARK: - Activations

@_cdecl("ember_relu") @implementation
public func ember_relu(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_relu", out) { try tensor(x, "x").relu() }
}

@_cdecl("ember_relu6") @implementation
public func ember_relu6(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_relu6", out) { try tensor(x, "x").relu6() }
}

@_cdecl("ember_selu") @implementation
public func ember_selu(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_selu", out) { try tensor(x, "x").selu() }
}

@_cdecl("ember_gelu") @implementation
public func ember_gelu(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_gelu", out) { try tensor(x, "x").gelu() }
}

@_cdecl("ember_gelu_tanh") @implementation
public func ember_gelu_tanh(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_gelu_tanh", out) { try tensor(x, "x").gelu(approximate: .tanh) }
}

@_cdecl("ember_silu") @implementation
public func ember_silu(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_silu", out) { try tensor(x, "x").silu() }
}

@_cdecl("ember_mish") @implementation
public func ember_mish(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_mish", out) { try tensor(x, "x").mish() }
}

@_cdecl("ember_hardtanh") @implementation
public func ember_hardtanh(_ x: OpaquePointer?, _ min_val: Double, _ max_val: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_hardtanh", out) { try tensor(x, "x").hardtanh(minVal: min_val, maxVal: max_val) }
}

@_cdecl("ember_leaky_relu") @implementation
public func ember_leaky_relu(_ x: OpaquePointer?, _ negative_slope: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_leaky_relu", out) { try tensor(x, "x").leakyRelu(negativeSlope: negative_slope) }
}

@_cdecl("ember_elu") @implementation
public func ember_elu(_ x: OpaquePointer?, _ alpha: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_elu", out) { try tensor(x, "x").elu(alpha: alpha) }
}

@_cdecl("ember_softplus") @implementation
public func ember_softplus(_ x: OpaquePointer?, _ beta: Double, _ threshold: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_softplus", out) { try tensor(x, "x").softplus(beta: beta, threshold: threshold) }
}

// MARK: - Comparisons and logical ops

@_cdecl("ember_eq") @implementation
public func ember_eq(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_eq", out) { try tensor(a, "a").eq(tensor(b, "b")) }
}

@_cdecl("ember_ne") @implementation
public func ember_ne(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_ne", out) { try tensor(a, "a").ne(tensor(b, "b")) }
}

@_cdecl("ember_lt") @implementation
public func ember_lt(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_lt", out) { try tensor(a, "a").lt(tensor(b, "b")) }
}

@_cdecl("ember_le") @implementation
public func ember_le(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_le", out) { try tensor(a, "a").le(tensor(b, "b")) }
}

@_cdecl("ember_gt") @implementation
public func ember_gt(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_gt", out) { try tensor(a, "a").gt(tensor(b, "b")) }
}

@_cdecl("ember_ge") @implementation
public func ember_ge(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_ge", out) { try tensor(a, "a").ge(tensor(b, "b")) }
}

@_cdecl("ember_eq_scalar") @implementation
public func ember_eq_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_eq_scalar", out) { try tensor(a, "a").eq(s) }
}

@_cdecl("ember_ne_scalar") @implementation
public func ember_ne_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_ne_scalar", out) { try tensor(a, "a").ne(s) }
}

@_cdecl("ember_lt_scalar") @implementation
public func ember_lt_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_lt_scalar", out) { try tensor(a, "a").lt(s) }
}

@_cdecl("ember_le_scalar") @implementation
public func ember_le_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_le_scalar", out) { try tensor(a, "a").le(s) }
}

@_cdecl("ember_gt_scalar") @implementation
public func ember_gt_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_gt_scalar", out) { try tensor(a, "a").gt(s) }
}

@_cdecl("ember_ge_scalar") @implementation
public func ember_ge_scalar(_ a: OpaquePointer?, _ s: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_ge_scalar", out) { try tensor(a, "a").ge(s) }
}

@_cdecl("ember_logical_and") @implementation
public func ember_logical_and(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_logical_and", out) { try tensor(a, "a").logicalAnd(tensor(b, "b")) }
}

@_cdecl("ember_logical_or") @implementation
public func ember_logical_or(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_logical_or", out) { try tensor(a, "a").logicalOr(tensor(b, "b")) }
}

@_cdecl("ember_logical_xor") @implementation
public func ember_logical_xor(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_logical_xor", out) { try tensor(a, "a").logicalXor(tensor(b, "b")) }
}

@_cdecl("ember_logical_not") @implementation
public func ember_logical_not(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_logical_not", out) { try tensor(x, "x").logicalNot() }
}

// MARK: - Selection

@_cdecl("ember_where") @implementation
public func ember_where(_ condition: OpaquePointer?, _ input: OpaquePointer?, _ other: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_where", out) { try Tensor.where(tensor(condition, "condition"), tensor(input, "input"), tensor(other, "other")) }
}

@_cdecl("ember_masked_fill") @implementation
public func ember_masked_fill(_ x: OpaquePointer?, _ mask: OpaquePointer?, _ value: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_masked_fill", out) { try tensor(x, "x").maskedFill(tensor(mask, "mask"), value) }
}

// MARK: - Arguments

/// torch.div's rounding_mode from C: NULL is None (true division).
func readRoundingMode(_ mode: UnsafePointer<CChar>?) throws -> RoundingMode? {
    guard let mode else { return nil }
    let text = String(cString: mode)
    guard let parsed = RoundingMode(rawValue: text) else {
        throw EmberError.invalidArgument("rounding_mode must be \"trunc\", \"floor\" or NULL (true division), but found \"\(text)\"")
    }
    return parsed
}
