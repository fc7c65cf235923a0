import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/reduce.h: thin shims that look up handles, call the Tensor op and
// hand out the result.

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

@_cdecl("ember_softmax") @implementation
public func ember_softmax(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_softmax", out) { try tensor(x, "x").softmax(dim: Int(dim)) }
}

@_cdecl("ember_log_softmax") @implementation
public func ember_log_softmax(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_log_softmax", out) { try tensor(x, "x").logSoftmax(dim: Int(dim)) }
}
