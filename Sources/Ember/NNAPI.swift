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

// MARK: - Construction by type name, several inputs and outputs, summaries

@_cdecl("ember_module_new") @implementation
public func ember_module_new(_ type: UnsafePointer<CChar>?, _ args: UnsafePointer<CChar>?, _ out: ModuleOut?) -> ember_status {
    returningModule("ember_module_new", out) {
        try ModuleRegistry.make(readString(type, "type"), args.map { String(cString: $0) } ?? "")
    }
}

@_cdecl("ember_module_forward_multi") @implementation
public func ember_module_forward_multi(_ m: OpaquePointer?, _ inputs: UnsafePointer<OpaquePointer?>?, _ nInputs: Int64,
                                       _ outputs: UnsafeMutablePointer<OpaquePointer?>?, _ capacity: Int64,
                                       _ nOutputs: UnsafeMutablePointer<Int64>?) -> ember_status {
    returningList("ember_module_forward_multi", outputs, capacity, nOutputs, countName: "n_outputs") {
        try module(m, "m").forward(readTensors(inputs, nInputs, "inputs"))
    }
}

/// Writes `text` NUL-terminated into a caller's buffer, or reports the size needed.
func writeString(_ text: String, _ buf: UnsafeMutablePointer<CChar>?, _ size: Int, _ length: UnsafeMutablePointer<Int>?) throws {
    let bytes = Array(text.utf8)
    length?.pointee = bytes.count
    if buf == nil && size == 0 { return }
    guard let buf else { throw EmberError.invalidArgument("argument 'buf' is NULL but buf_size is \(size)") }
    guard size > bytes.count else {
        throw EmberError.invalidArgument("buf_size is \(size) but the text needs \(bytes.count + 1) bytes")
    }
    bytes.withUnsafeBufferPointer { UnsafeMutableRawPointer(buf).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    buf[bytes.count] = 0
}

@_cdecl("ember_module_summary") @implementation
public func ember_module_summary(_ m: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ bufSize: Int,
                                 _ length: UnsafeMutablePointer<Int>?) -> ember_status {
    length?.pointee = 0
    return call("ember_module_summary") {
        try writeString(try module(m, "m").description, buf, bufSize, length)
    }
}

// MARK: - Buffers, children, freezing

@_cdecl("ember_module_buffer") @implementation
public func ember_module_buffer(_ m: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: TensorOut?) -> ember_status {
    returning("ember_module_buffer", out) { try module(m, "m").buffer(named: readString(name, "name")) }
}

@_cdecl("ember_module_buffer_count") @implementation
public func ember_module_buffer_count(_ m: OpaquePointer?) -> Int64 {
    do { return Int64(try module(m, "m").namedBuffers().count) } catch {
        failQuery("ember_module_buffer_count", error)
        return -1
    }
}

@_cdecl("ember_module_buffer_at") @implementation
public func ember_module_buffer_at(_ m: OpaquePointer?, _ index: Int64, _ name: UnsafeMutablePointer<CChar>?, _ nameSize: Int,
                                   _ out: TensorOut?) -> ember_status {
    out?.pointee = nil
    if let name, nameSize > 0 { name.pointee = 0 }
    return call("ember_module_buffer_at") {
        let buffers = try module(m, "m").namedBuffers()
        guard index >= 0 && index < Int64(buffers.count) else {
            throw EmberError.invalidArgument("index \(index) is out of range for a module with \(buffers.count) buffers")
        }
        let (bufferName, tensor) = buffers[Int(index)]
        if nameSize > 0 || name != nil { try writeString(bufferName, name, nameSize, nil) }
        if let out { out.pointee = Handles.tensors.insert(tensor) }
    }
}

@_cdecl("ember_module_child") @implementation
public func ember_module_child(_ m: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: ModuleOut?) -> ember_status {
    returningModule("ember_module_child", out) { try module(m, "m").child(named: readString(name, "name")) }
}

@_cdecl("ember_module_set_requires_grad") @implementation
public func ember_module_set_requires_grad(_ m: OpaquePointer?, _ requiresGrad: Bool) -> ember_status {
    call("ember_module_set_requires_grad") { try module(m, "m").setRequiresGrad(requiresGrad) }
}

// MARK: - Building modules from C

@_cdecl("ember_module_register_module") @implementation
public func ember_module_register_module(_ m: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ child: OpaquePointer?) -> ember_status {
    call("ember_module_register_module") {
        try module(m, "m").registerModule(readString(name, "name"), module(child, "child"))
    }
}

@_cdecl("ember_module_register_parameter") @implementation
public func ember_module_register_parameter(_ m: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ param: OpaquePointer?) -> ember_status {
    call("ember_module_register_parameter") {
        let owner = try module(m, "m"), label = try readString(name, "name"), p = try tensor(param, "param")
        guard p.dtype.isFloatingPoint else {
            throw EmberError.dtype("a parameter must be floating, got \(p.dtype)")
        }
        guard p.isLeaf else {
            throw EmberError.state("a parameter must be a leaf tensor; pass a detached copy (ember_detach) of a computed tensor")
        }
        try owner.registerParameter(label, p)
    }
}

@_cdecl("ember_module_register_buffer") @implementation
public func ember_module_register_buffer(_ m: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ buffer: OpaquePointer?) -> ember_status {
    call("ember_module_register_buffer") {
        try module(m, "m").registerBuffer(readString(name, "name"), tensor(buffer, "buffer"))
    }
}

@_cdecl("ember_module_custom_new") @implementation
public func ember_module_custom_new(_ typeName: UnsafePointer<CChar>?, _ forward: ember_module_forward_fn?, _ userData: UnsafeMutableRawPointer?,
                                    _ destroy: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?, _ out: ModuleOut?) -> ember_status {
    let context = CallbackContext(userData, destroy)
    return returningModule("ember_module_custom_new", out) {
        let name = try readString(typeName, "type_name")
        guard let forward else { throw EmberError.invalidArgument("argument 'forward' is NULL") }
        return CustomModule(typeName: name) { module, inputs in
            try callCustomForward(forward, context, module, inputs, name)
        }
    }
}

/// Calls a custom module's C forward with borrowed handles and adopts its outputs.
func callCustomForward(_ forward: ember_module_forward_fn, _ context: CallbackContext, _ module: Module, _ inputs: [Tensor],
                       _ name: String) throws -> [Tensor] {
    let capacity = 16
    var outputs = [OpaquePointer?](repeating: nil, count: capacity)
    var count: Int64 = 0
    let selfHandle = Handles.modules.insert(module)
    defer { _ = Handles.modules.remove(selfHandle) }
    let status = lending(inputs) { h in
        h.withUnsafeBufferPointer { list in
            outputs.withUnsafeMutableBufferPointer { out in
                forward(selfHandle, list.baseAddress, Int64(inputs.count), context.userData, out.baseAddress, Int64(capacity), &count)
            }
        }
    }
    guard status == EMBER_OK else {
        for o in outputs where o != nil { _ = Handles.tensors.remove(o) }
        throw callbackError(status, "the forward of module '\(name)'")
    }
    guard count >= 0 && count <= Int64(capacity) else {
        for o in outputs where o != nil { _ = Handles.tensors.remove(o) }
        throw EmberError.invalidArgument("the forward of module '\(name)' reported \(count) outputs (at most \(capacity))")
    }
    var result: [Tensor] = []
    for i in 0..<Int(count) {
        guard let t = try adopt(outputs[i], "the forward of module '\(name)'") else {
            throw EmberError.invalidArgument("the forward of module '\(name)' reported \(count) outputs but output \(i) is NULL")
        }
        result.append(t)
    }
    for o in outputs[Int(count)...] where o != nil { _ = Handles.tensors.remove(o) }
    return result
}
