import CEmber
import EmberAutograd
import EmberNN
import EmberTensor

// Exports of ember/loss.h: thin shims that look up handles, read the reduction,
// call the loss and hand out the result.

/// A nullable tensor argument (an optional weight): NULL is none.
func nullableTensor(_ h: OpaquePointer?, _ argument: StaticString) throws -> Tensor? {
    h == nil ? nil : try tensor(h, argument)
}

/// A C reduction string; NULL is torch's default, "mean".
func readReduction(_ s: UnsafePointer<CChar>?, _ function: String, allowBatchMean: Bool = false) throws -> Reduction {
    guard let s else { return .mean }
    return try Reduction(String(cString: s), function: function, allowBatchMean: allowBatchMean)
}

@_cdecl("ember_cross_entropy") @implementation
public func ember_cross_entropy(_ logits: OpaquePointer?, _ target: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_cross_entropy", out) { try Functional.crossEntropy(tensor(logits, "logits"), tensor(target, "target")) }
}

@_cdecl("ember_mse_loss") @implementation
public func ember_mse_loss(_ input: OpaquePointer?, _ target: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_mse_loss", out) { try Functional.mseLoss(tensor(input, "input"), tensor(target, "target")) }
}

@_cdecl("ember_cross_entropy_ex") @implementation
public func ember_cross_entropy_ex(_ input: OpaquePointer?, _ target: OpaquePointer?, _ weight: OpaquePointer?, _ ignoreIndex: Int64,
                                   _ reduction: UnsafePointer<CChar>?, _ labelSmoothing: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_cross_entropy_ex", out) {
        try Functional.crossEntropy(tensor(input, "input"), tensor(target, "target"), weight: nullableTensor(weight, "weight"),
                                    ignoreIndex: Int(ignoreIndex), reduction: readReduction(reduction, "cross_entropy"),
                                    labelSmoothing: labelSmoothing)
    }
}

@_cdecl("ember_nll_loss") @implementation
public func ember_nll_loss(_ input: OpaquePointer?, _ target: OpaquePointer?, _ weight: OpaquePointer?, _ ignoreIndex: Int64,
                           _ reduction: UnsafePointer<CChar>?, _ out: TensorOut?) -> ember_status {
    returning("ember_nll_loss", out) {
        try Functional.nllLoss(tensor(input, "input"), tensor(target, "target"), weight: nullableTensor(weight, "weight"),
                               ignoreIndex: Int(ignoreIndex), reduction: readReduction(reduction, "nll_loss"))
    }
}

@_cdecl("ember_mse_loss_ex") @implementation
public func ember_mse_loss_ex(_ input: OpaquePointer?, _ target: OpaquePointer?, _ reduction: UnsafePointer<CChar>?,
                              _ out: TensorOut?) -> ember_status {
    returning("ember_mse_loss_ex", out) {
        try Functional.mseLoss(tensor(input, "input"), tensor(target, "target"), reduction: readReduction(reduction, "mse_loss"))
    }
}

@_cdecl("ember_l1_loss") @implementation
public func ember_l1_loss(_ input: OpaquePointer?, _ target: OpaquePointer?, _ reduction: UnsafePointer<CChar>?,
                          _ out: TensorOut?) -> ember_status {
    returning("ember_l1_loss", out) {
        try Functional.l1Loss(tensor(input, "input"), tensor(target, "target"), reduction: readReduction(reduction, "l1_loss"))
    }
}

@_cdecl("ember_smooth_l1_loss") @implementation
public func ember_smooth_l1_loss(_ input: OpaquePointer?, _ target: OpaquePointer?, _ reduction: UnsafePointer<CChar>?, _ beta: Double,
                                 _ out: TensorOut?) -> ember_status {
    returning("ember_smooth_l1_loss", out) {
        try Functional.smoothL1Loss(tensor(input, "input"), tensor(target, "target"),
                                    reduction: readReduction(reduction, "smooth_l1_loss"), beta: beta)
    }
}

@_cdecl("ember_huber_loss") @implementation
public func ember_huber_loss(_ input: OpaquePointer?, _ target: OpaquePointer?, _ reduction: UnsafePointer<CChar>?, _ delta: Double,
                             _ out: TensorOut?) -> ember_status {
    returning("ember_huber_loss", out) {
        try Functional.huberLoss(tensor(input, "input"), tensor(target, "target"), reduction: readReduction(reduction, "huber_loss"),
                                 delta: delta)
    }
}

@_cdecl("ember_binary_cross_entropy") @implementation
public func ember_binary_cross_entropy(_ input: OpaquePointer?, _ target: OpaquePointer?, _ weight: OpaquePointer?,
                                       _ reduction: UnsafePointer<CChar>?, _ out: TensorOut?) -> ember_status {
    returning("ember_binary_cross_entropy", out) {
        try Functional.binaryCrossEntropy(tensor(input, "input"), tensor(target, "target"), weight: nullableTensor(weight, "weight"),
                                          reduction: readReduction(reduction, "binary_cross_entropy"))
    }
}

@_cdecl("ember_binary_cross_entropy_with_logits") @implementation
public func ember_binary_cross_entropy_with_logits(_ input: OpaquePointer?, _ target: OpaquePointer?, _ weight: OpaquePointer?,
                                                   _ posWeight: OpaquePointer?, _ reduction: UnsafePointer<CChar>?,
                                                   _ out: TensorOut?) -> ember_status {
    returning("ember_binary_cross_entropy_with_logits", out) {
        try Functional.binaryCrossEntropyWithLogits(tensor(input, "input"), tensor(target, "target"),
                                                    weight: nullableTensor(weight, "weight"),
                                                    posWeight: nullableTensor(posWeight, "pos_weight"),
                                                    reduction: readReduction(reduction, "binary_cross_entropy_with_logits"))
    }
}

@_cdecl("ember_kl_div") @implementation
public func ember_kl_div(_ input: OpaquePointer?, _ target: OpaquePointer?, _ reduction: UnsafePointer<CChar>?, _ logTarget: Bool,
                         _ out: TensorOut?) -> ember_status {
    returning("ember_kl_div", out) {
        try Functional.klDiv(tensor(input, "input"), tensor(target, "target"),
                             reduction: readReduction(reduction, "kl_div", allowBatchMean: true), logTarget: logTarget)
    }
}
