import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/linalg.h: thin shims that look up handles, call the Tensor op and
// hand out the result.

@_cdecl("ember_matmul") @implementation
public func ember_matmul(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_matmul", out) { try tensor(a, "a").matmul(tensor(b, "b")) }
}

@_cdecl("ember_mm") @implementation
public func ember_mm(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_mm", out) { try tensor(a, "a").mm(tensor(b, "b")) }
}

@_cdecl("ember_bmm") @implementation
public func ember_bmm(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_bmm", out) { try tensor(a, "a").bmm(tensor(b, "b")) }
}

@_cdecl("ember_mv") @implementation
public func ember_mv(_ matrix: OpaquePointer?, _ vector: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_mv", out) { try tensor(matrix, "matrix").mv(tensor(vector, "vector")) }
}

@_cdecl("ember_dot") @implementation
public func ember_dot(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_dot", out) { try tensor(a, "a").dot(tensor(b, "b")) }
}

@_cdecl("ember_outer") @implementation
public func ember_outer(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_outer", out) { try tensor(a, "a").outer(tensor(b, "b")) }
}

@_cdecl("ember_einsum") @implementation
public func ember_einsum(_ equation: UnsafePointer<CChar>?, _ operands: UnsafePointer<OpaquePointer?>?, _ count: Int64,
                         _ out: TensorOut?) -> ember_status {
    returning("ember_einsum", out) {
        try Tensor.einsum(readString(equation, "equation"), readTensors(operands, count, "operands"))
    }
}

@_cdecl("ember_tril") @implementation
public func ember_tril(_ x: OpaquePointer?, _ diagonal: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_tril", out) { try tensor(x, "x").tril(diagonal: Int(diagonal)) }
}

@_cdecl("ember_triu") @implementation
public func ember_triu(_ x: OpaquePointer?, _ diagonal: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_triu", out) { try tensor(x, "x").triu(diagonal: Int(diagonal)) }
}
