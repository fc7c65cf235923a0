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

@_cdecl("ember_prod") @implementation
public func ember_prod(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_prod", out) { try tensor(x, "x").prod() }
}

@_cdecl("ember_prod_dim") @implementation
public func ember_prod_dim(_ x: OpaquePointer?, _ dim: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_prod_dim", out) { try tensor(x, "x").prod(dim: Int(dim), keepdim: keepdim) }
}

@_cdecl("ember_max") @implementation
public func ember_max(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_max", out) { try tensor(x, "x").max() }
}

@_cdecl("ember_max_dim") @implementation
public func ember_max_dim(_ x: OpaquePointer?, _ dim: Int64, _ keepdim: Bool, _ values: TensorOut?, _ indices: TensorOut?) -> ember_status {
    returningPair("ember_max_dim", values, indices) { try tensor(x, "x").max(dim: Int(dim), keepdim: keepdim) }
}

@_cdecl("ember_min") @implementation
public func ember_min(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_min", out) { try tensor(x, "x").min() }
}

@_cdecl("ember_min_dim") @implementation
public func ember_min_dim(_ x: OpaquePointer?, _ dim: Int64, _ keepdim: Bool, _ values: TensorOut?, _ indices: TensorOut?) -> ember_status {
    returningPair("ember_min_dim", values, indices) { try tensor(x, "x").min(dim: Int(dim), keepdim: keepdim) }
}

@_cdecl("ember_amax") @implementation
public func ember_amax(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_amax", out) { try tensor(x, "x").amax() }
}

@_cdecl("ember_amax_dim") @implementation
public func ember_amax_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_amax_dim", out) { try tensor(x, "x").amax(dims: readDims(dims, ndims), keepdim: keepdim) }
}

@_cdecl("ember_amin") @implementation
public func ember_amin(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_amin", out) { try tensor(x, "x").amin() }
}

@_cdecl("ember_amin_dim") @implementation
public func ember_amin_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_amin_dim", out) { try tensor(x, "x").amin(dims: readDims(dims, ndims), keepdim: keepdim) }
}

@_cdecl("ember_argmin_dim") @implementation
public func ember_argmin_dim(_ x: OpaquePointer?, _ dim: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_argmin_dim", out) { try tensor(x, "x").argmin(dim: Int(dim), keepdim: keepdim) }
}

@_cdecl("ember_argmin") @implementation
public func ember_argmin(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_argmin", out) { try tensor(x, "x").argmin() }
}

@_cdecl("ember_var") @implementation
public func ember_var(_ x: OpaquePointer?, _ correction: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_var", out) { try tensor(x, "x").variance(correction: correction) }
}

@_cdecl("ember_var_dim") @implementation
public func ember_var_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ correction: Double, _ keepdim: Bool,
                          _ out: TensorOut?) -> ember_status {
    returning("ember_var_dim", out) { try tensor(x, "x").variance(dims: readDims(dims, ndims), correction: correction, keepdim: keepdim) }
}

@_cdecl("ember_std") @implementation
public func ember_std(_ x: OpaquePointer?, _ correction: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_std", out) { try tensor(x, "x").std(correction: correction) }
}

@_cdecl("ember_std_dim") @implementation
public func ember_std_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ correction: Double, _ keepdim: Bool,
                          _ out: TensorOut?) -> ember_status {
    returning("ember_std_dim", out) { try tensor(x, "x").std(dims: readDims(dims, ndims), correction: correction, keepdim: keepdim) }
}

@_cdecl("ember_logsumexp") @implementation
public func ember_logsumexp(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_logsumexp", out) { try tensor(x, "x").logsumexp(dims: []) }
}

@_cdecl("ember_logsumexp_dim") @implementation
public func ember_logsumexp_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_logsumexp_dim", out) { try tensor(x, "x").logsumexp(dims: readDims(dims, ndims), keepdim: keepdim) }
}

@_cdecl("ember_norm") @implementation
public func ember_norm(_ x: OpaquePointer?, _ p: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_norm", out) { try tensor(x, "x").norm(p: p) }
}

@_cdecl("ember_norm_dim") @implementation
public func ember_norm_dim(_ x: OpaquePointer?, _ p: Double, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ keepdim: Bool,
                           _ out: TensorOut?) -> ember_status {
    returning("ember_norm_dim", out) { try tensor(x, "x").norm(p: p, dims: readDims(dims, ndims), keepdim: keepdim) }
}

@_cdecl("ember_all") @implementation
public func ember_all(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_all", out) { try tensor(x, "x").all() }
}

@_cdecl("ember_all_dim") @implementation
public func ember_all_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_all_dim", out) { try tensor(x, "x").all(dims: readDims(dims, ndims), keepdim: keepdim) }
}

@_cdecl("ember_any") @implementation
public func ember_any(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_any", out) { try tensor(x, "x").any() }
}

@_cdecl("ember_any_dim") @implementation
public func ember_any_dim(_ x: OpaquePointer?, _ dims: UnsafePointer<Int64>?, _ ndims: Int64, _ keepdim: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_any_dim", out) { try tensor(x, "x").any(dims: readDims(dims, ndims), keepdim: keepdim) }
}

@_cdecl("ember_cumsum") @implementation
public func ember_cumsum(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_cumsum", out) { try tensor(x, "x").cumsum(dim: Int(dim)) }
}

@_cdecl("ember_cumprod") @implementation
public func ember_cumprod(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_cumprod", out) { try tensor(x, "x").cumprod(dim: Int(dim)) }
}

@_cdecl("ember_softmax") @implementation
public func ember_softmax(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_softmax", out) { try tensor(x, "x").softmax(dim: Int(dim)) }
}

@_cdecl("ember_log_softmax") @implementation
public func ember_log_softmax(_ x: OpaquePointer?, _ dim: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_log_softmax", out) { try tensor(x, "x").logSoftmax(dim: Int(dim)) }
}
