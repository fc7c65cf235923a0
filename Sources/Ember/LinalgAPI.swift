import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/linalg.h: thin shims that look up handles, call the Tensor op and
// hand out the result.

@_cdecl("ember_matmul") @implementation
public func ember_matmul(_ a: OpaquePointer?, _ b: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_matmul", out) { try tensor(a, "a").matmul(tensor(b, "b")) }
}
