import CEmber
import EmberAutograd
import EmberNN
import EmberTensor
import Glibc

// Exports of ember/nn.h.

public typealias ModuleOut = UnsafeMutablePointer<OpaquePointer?>

/// As `returning`, for exports whose result is a new module handle.
@inline(__always)
func returningModule(_ function: StaticString, _ out: ModuleOut?, _ body: () throws -> Module) -> ember_status {
    guard let out else { return fail(function, EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    do {
        out.pointee = Handles.modules.insert(try body())
        return EMBER_OK
    } catch {
        return fail(function, error)
    }
}

@_cdecl("ember_linear_new") @implementation
public func ember_linear_new(_ inFeatures: Int64, _ outFeatures: Int64, _ bias: Bool, _ out: ModuleOut?) -> ember_status {
    returningModule("ember_linear_new", out) {
        guard inFeatures >= 0, outFeatures >= 0, inFeatures <= Int64(Int32.max), outFeatures <= Int64(Int32.max) else {
            throw EmberError.invalidArgument("in_features and out_features must be in 0...\(Int32.max), got \(inFeatures) and \(outFeatures)")
        }
        return try Linear(Int(inFeatures), Int(outFeatures), bias: bias)
    }
}

@_cdecl("ember_relu_new") @implementation
public func ember_relu_new(_ out: ModuleOut?) -> ember_status {
    returningModule("ember_relu_new", out) { ReLU() }
}

@_cdecl("ember_sequential_new") @implementation
public func ember_sequential_new(_ out: ModuleOut?) -> ember_status {
    returningModule("ember_sequential_new", out) { try Sequential() }
}

@_cdecl("ember_sequential_append") @implementation
public func ember_sequential_append(_ seq: OpaquePointer?, _ child: OpaquePointer?) -> ember_status {
    call("ember_sequential_append") {
        let container = try module(seq, "seq")
        let m = try module(child, "child")
        guard let sequential = container as? Sequential else {
            throw EmberError.invalidArgument("argument 'seq' is a \(container.typeName), not a Sequential")
        }
        try sequential.append(m)
    }
}

@_cdecl("ember_module_forward") @implementation
public func ember_module_forward(_ m: OpaquePointer?, _ input: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_module_forward", out) { try module(m, "m").forward(tensor(input, "input")) }
}

@_cdecl("ember_module_parameter") @implementation
public func ember_module_parameter(_ m: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: TensorOut?) -> ember_status {
    returning("ember_module_parameter", out) { try module(m, "m").parameter(named: readString(name, "name")) }
}

@_cdecl("ember_module_parameter_count") @implementation
public func ember_module_parameter_count(_ m: OpaquePointer?) -> Int64 {
    do { return Int64(try module(m, "m").namedParameters().count) } catch {
        failQuery("ember_module_parameter_count", error)
        return -1
    }
}

@_cdecl("ember_module_parameter_at") @implementation
public func ember_module_parameter_at(_ m: OpaquePointer?, _ index: Int64, _ name: UnsafeMutablePointer<CChar>?, _ nameSize: Int,
                                      _ out: TensorOut?) -> ember_status {
    out?.pointee = nil
    if let name, nameSize > 0 { name.pointee = 0 }
    return call("ember_module_parameter_at") {
        let params = try module(m, "m").namedParameters()
        guard index >= 0 && index < Int64(params.count) else {
            throw EmberError.invalidArgument("index \(index) is out of range for a module with \(params.count) parameters")
        }
        let (paramName, param) = params[Int(index)]
        let bytes = Array(paramName.utf8)
        if nameSize > 0 || name != nil {
            guard let name else { throw EmberError.invalidArgument("argument 'name' is NULL but name_size is \(nameSize)") }
            guard nameSize > bytes.count else {
                throw EmberError.invalidArgument("name_size is \(nameSize) but the name \"\(paramName)\" needs \(bytes.count + 1) bytes")
            }
            bytes.withUnsafeBufferPointer { b in
                UnsafeMutableRawPointer(name).copyMemory(from: b.baseAddress!, byteCount: b.count)
            }
            name[bytes.count] = 0
        }
        if let out { out.pointee = Handles.tensors.insert(param) }
    }
}

@_cdecl("ember_module_train") @implementation
public func ember_module_train(_ m: OpaquePointer?, _ training: Bool) -> ember_status {
    call("ember_module_train") { try module(m, "m").train(training) }
}

@_cdecl("ember_module_is_training") @implementation
public func ember_module_is_training(_ m: OpaquePointer?) -> Bool {
    do { return try module(m, "m").training } catch {
        failQuery("ember_module_is_training", error)
        return false
    }
}

@_cdecl("ember_module_zero_grad") @implementation
public func ember_module_zero_grad(_ m: OpaquePointer?) -> ember_status {
    call("ember_module_zero_grad") { try module(m, "m").zeroGrad() }
}

@_cdecl("ember_module_free") @implementation
public func ember_module_free(_ m: OpaquePointer?) {
    if m != nil && !Handles.modules.remove(m) {
        failQuery("ember_module_free", Handles.modules.invalid(m, "m"))
    }
}
