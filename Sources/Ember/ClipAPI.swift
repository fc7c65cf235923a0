import CEmber
import EmberAutograd
import EmberNN
import EmberOptim
import EmberTensor

// Exports of ember/optim.h: gradient clipping (torch.nn.utils).

@_cdecl("ember_clip_grad_norm_") @implementation
public func ember_clip_grad_norm_(_ params: UnsafePointer<OpaquePointer?>?, _ count: Int64, _ maxNorm: Double, _ normType: Double,
                                  _ errorIfNonfinite: Bool, _ totalNorm: UnsafeMutablePointer<Double>?) -> ember_status {
    totalNorm?.pointee = 0
    return call("ember_clip_grad_norm_") {
        guard let totalNorm else { throw EmberError.invalidArgument("argument 'total_norm' is NULL") }
        let tensors = try readTensorList(params, count, "params")
        totalNorm.pointee = try ClipGrad.clipGradNorm(tensors, maxNorm: maxNorm, normType: normType, errorIfNonfinite: errorIfNonfinite)
    }
}

@_cdecl("ember_clip_grad_value_") @implementation
public func ember_clip_grad_value_(_ params: UnsafePointer<OpaquePointer?>?, _ count: Int64, _ clipValue: Double) -> ember_status {
    call("ember_clip_grad_value_") { try ClipGrad.clipGradValue(readTensorList(params, count, "params"), clipValue: clipValue) }
}

@_cdecl("ember_module_clip_grad_norm_") @implementation
public func ember_module_clip_grad_norm_(_ m: OpaquePointer?, _ maxNorm: Double, _ normType: Double, _ errorIfNonfinite: Bool,
                                         _ totalNorm: UnsafeMutablePointer<Double>?) -> ember_status {
    totalNorm?.pointee = 0
    return call("ember_module_clip_grad_norm_") {
        guard let totalNorm else { throw EmberError.invalidArgument("argument 'total_norm' is NULL") }
        let model = try module(m, "m")
        totalNorm.pointee = try ClipGrad.clipGradNorm(model.parameters(), maxNorm: maxNorm, normType: normType,
                                                      errorIfNonfinite: errorIfNonfinite)
    }
}

@_cdecl("ember_module_clip_grad_value_") @implementation
public func ember_module_clip_grad_value_(_ m: OpaquePointer?, _ clipValue: Double) -> ember_status {
    call("ember_module_clip_grad_value_") { try ClipGrad.clipGradValue(module(m, "m").parameters(), clipValue: clipValue) }
}
