import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/shape.h: thin shims that look up handles, call the Tensor op and
// hand out the result.

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
