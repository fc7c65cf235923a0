import CEmber
import EmberAutograd
import EmberNN
import EmberTensor

// Exports of ember/ops.h. Each is a thin shim: look up the handles, call the
// Tensor op, hand out the result.

public typealias TensorOut = UnsafeMutablePointer<OpaquePointer?>

// MARK: - Elementwise

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

// MARK: - Reductions

@_cdecl("ember_sum") @implementation
public func ember_sum(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_sum", out) { try tensor(x, "x").sum() }
}

@_cdecl("ember_sum_dim") @implementation
public func ember_sum_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_sum_dim", out) { try tensor(x, "x").sum(dims: readDims(dims, ndims), keepdim: keepdim) }
}

@_cdecl("ember_mean") @implementation
public func ember_mean(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_mean", out) { try tensor(x, "x").mean() }
}

@_cdecl("ember_mean_dim") @implementation
public func ember_mean_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_mean_dim", out) { try tensor(x, "x").mean(dims: readDims(dims, ndims), keepdim: keepdim) }
}

@_cdecl("ember_argmax_dim") @implementation
public func ember_argmax_dim(_ x: OpaquePointer?, _ dim: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_argmax_dim", out) { try tensor(x, "x").argmax(dim: Int(dim), keepdim: keepdim) }
}

@_cdecl("ember_argmax") @implementation
public func ember_argmax(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_argmax", out) { try tensor(x, "x").argmax() }
}

// MARK: - Linear algebra, softmax, losses

@_cdecl("ember_matmul") @implementation
public func ember_matmul(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_matmul", out) { try tensor(a, "a").matmul(tensor(b, "b")) }
}

@_cdecl("ember_softmax") @implementation
public func ember_softmax(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_softmax", out) { try tensor(x, "x").softmax(dim: Int(dim)) }
}

@_cdecl("ember_log_softmax") @implementation
public func ember_log_softmax(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_log_softmax", out) { try tensor(x, "x").logSoftmax(dim: Int(dim)) }
}

@_cdecl("ember_cross_entropy") @implementation
public func ember_cross_entropy(_ logits: OpaquePointer?, _ target: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_cross_entropy", out) { try Functional.crossEntropy(tensor(logits, "logits"), tensor(target, "target")) }
}

@_cdecl("ember_mse_loss") @implementation
public func ember_mse_loss(_ input: OpaquePointer?, _ target: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_mse_loss", out) { try Functional.mseLoss(tensor(input, "input"), tensor(target, "target")) }
}

// MARK: - Shape and views

@_cdecl("ember_reshape") @implementation
public func ember_reshape(_ x: OpaquePointer?, _ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_reshape", out) { try tensor(x, "x").reshape(readShape(shape, ndim)) }
}

@_cdecl("ember_transpose") @implementation
public func ember_transpose(_ x: OpaquePointer?, _ dim0: Int64, _ dim1: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_transpose", out) { try tensor(x, "x").transpose(Int(dim0), Int(dim1)) }
}

@_cdecl("ember_permute") @implementation
public func ember_permute(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_permute", out) { try tensor(x, "x").permute(readDims(dims, ndim)) }
}

@_cdecl("ember_expand") @implementation
public func ember_expand(_ x: OpaquePointer?, _ shape: UnsafePointer<Int64>?, _ ndim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_expand", out) { try tensor(x, "x").expand(readShape(shape, ndim)) }
}

@_cdecl("ember_contiguous") @implementation
public func ember_contiguous(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_contiguous", out) { try tensor(x, "x").contiguous() }
}

@_cdecl("ember_clone") @implementation
public func ember_clone(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_clone", out) { try tensor(x, "x").clone() }
}

@_cdecl("ember_to_dtype") @implementation
public func ember_to_dtype(_ x: OpaquePointer?, _ dtype: ember_dtype, _ out: TensorOut?) -> ember_status {
    returning("ember_to_dtype", out) { try tensor(x, "x").to(readDType(dtype)) }
}
