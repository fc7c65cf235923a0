import CEmber
import EmberAutograd
import EmberNN
import EmberTensor

// Exports of ember/loss.h: thin shims that look up handles, call the Tensor op and
// hand out the result.

@_cdecl("ember_cross_entropy") @implementation
public func ember_cross_entropy(_ logits: OpaquePointer?, _ target: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_cross_entropy", out) { try Functional.crossEntropy(tensor(logits, "logits"), tensor(target, "target")) }
}

@_cdecl("ember_mse_loss") @implementation
public func ember_mse_loss(_ input: OpaquePointer?, _ target: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_mse_loss", out) { try Functional.mseLoss(tensor(input, "input"), tensor(target, "target")) }
}
