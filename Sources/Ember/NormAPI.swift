import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/norm.h.

@_cdecl("ember_batch_norm") @implementation
public func ember_batch_norm(_ input: OpaquePointer?, _ runningMean: OpaquePointer?, _ runningVar: OpaquePointer?,
                             _ weight: OpaquePointer?, _ bias: OpaquePointer?, _ training: Bool, _ momentum: Double, _ eps: Double,
                             _ out: TensorOut?) -> ember_status {
    returning("ember_batch_norm", out) {
        try tensor(input, "input").batchNorm(runningMean: nullableTensor(runningMean, "running_mean"),
                                             runningVar: nullableTensor(runningVar, "running_var"),
                                             weight: nullableTensor(weight, "weight"), bias: nullableTensor(bias, "bias"),
                                             training: training, momentum: momentum, eps: eps)
    }
}

@_cdecl("ember_group_norm") @implementation
public func ember_group_norm(_ input: OpaquePointer?, _ numGroups: Int64, _ weight: OpaquePointer?, _ bias: OpaquePointer?, _ eps: Double,
                             _ out: TensorOut?) -> ember_status {
    returning("ember_group_norm", out) {
        guard let groups = Int(exactly: numGroups) else { throw EmberError.invalidArgument("num_groups \(numGroups) is out of range") }
        return try tensor(input, "input").groupNorm(numGroups: groups, weight: nullableTensor(weight, "weight"),
                                                    bias: nullableTensor(bias, "bias"), eps: eps)
    }
}
