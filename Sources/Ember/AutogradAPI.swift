import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/autograd.h.

@_cdecl("ember_tensor_set_requires_grad") @implementation
public func ember_tensor_set_requires_grad(_ t: OpaquePointer?, _ requiresGrad: Bool) -> ember_status {
    call("ember_tensor_set_requires_grad") { try tensor(t, "t").setRequiresGrad(requiresGrad) }
}

@_cdecl("ember_tensor_requires_grad") @implementation
public func ember_tensor_requires_grad(_ t: OpaquePointer?) -> Bool {
    do { return try tensor(t, "t").requiresGrad } catch {
        failQuery("ember_tensor_requires_grad", error)
        return false
    }
}

@_cdecl("ember_tensor_is_leaf") @implementation
public func ember_tensor_is_leaf(_ t: OpaquePointer?) -> Bool {
    do { return try tensor(t, "t").isLeaf } catch {
        failQuery("ember_tensor_is_leaf", error)
        return false
    }
}

@_cdecl("ember_tensor_backward") @implementation
public func ember_tensor_backward(_ t: OpaquePointer?, _ gradient: OpaquePointer?) -> ember_status {
    call("ember_tensor_backward") {
        let root = try tensor(t, "t")
        let g = gradient == nil ? nil : try tensor(gradient, "gradient")
        try Autograd.backward(root, gradient: g)
    }
}

@_cdecl("ember_tensor_backward_ex") @implementation
public func ember_tensor_backward_ex(_ t: OpaquePointer?, _ gradient: OpaquePointer?, _ retainGraph: Bool, _ createGraph: Bool) -> ember_status {
    call("ember_tensor_backward_ex") {
        let root = try tensor(t, "t")
        let g = gradient == nil ? nil : try tensor(gradient, "gradient")
        try Autograd.backward(root, gradient: g, retainGraph: retainGraph || createGraph, createGraph: createGraph)
    }
}

@_cdecl("ember_tensor_grad") @implementation
public func ember_tensor_grad(_ t: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    guard let out else { return fail("ember_tensor_grad", EmberError.invalidArgument("argument 'out' is NULL")) }
    out.pointee = nil
    return call("ember_tensor_grad") {
        if let g = try tensor(t, "t").grad { out.pointee = Handles.tensors.insert(g) }
    }
}

@_cdecl("ember_tensor_zero_grad") @implementation
public func ember_tensor_zero_grad(_ t: OpaquePointer?) -> ember_status {
    call("ember_tensor_zero_grad") { try tensor(t, "t").setGrad(nil) }
}

@_cdecl("ember_detach") @implementation
public func ember_detach(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_detach", out) { try tensor(x, "x").detach() }
}

/// Reads a list whose entries may be NULL (gradients that default to 1).
func readOptionalTensors(_ list: UnsafePointer<OpaquePointer?>?, _ count: Int, _ argument: String) throws -> [Tensor?] {
    guard let list else { return [Tensor?](repeating: nil, count: count) }
    return try (0..<count).map { i in
        guard let h = list[i] else { return nil }
        guard let t = Handles.tensors.lookup(h) else { throw Handles.tensors.invalid(h, described: "element \(i) of '\(argument)'") }
        return t
    }
}

@_cdecl("ember_autograd_backward") @implementation
public func ember_autograd_backward(_ tensors: UnsafePointer<OpaquePointer?>?, _ count: Int64, _ gradTensors: UnsafePointer<OpaquePointer?>?,
                                    _ retainGraph: Bool, _ createGraph: Bool) -> ember_status {
    call("ember_autograd_backward") {
        let roots = try readTensors(tensors, count)
        let grads = try readOptionalTensors(gradTensors, roots.count, "grad_tensors")
        try Autograd.backward(roots, gradients: grads, retainGraph: retainGraph || createGraph, createGraph: createGraph)
    }
}

@_cdecl("ember_autograd_grad") @implementation
public func ember_autograd_grad(_ outputs: UnsafePointer<OpaquePointer?>?, _ nOutputs: Int64, _ gradOutputs: UnsafePointer<OpaquePointer?>?,
                                _ inputs: UnsafePointer<OpaquePointer?>?, _ nInputs: Int64, _ retainGraph: Bool, _ createGraph: Bool,
                                _ allowUnused: Bool, _ grads: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    if let grads, nInputs > 0, nInputs <= Int64(Int32.max) { for i in 0..<Int(nInputs) { grads[i] = nil } }
    return call("ember_autograd_grad") {
        guard let grads else { throw EmberError.invalidArgument("argument 'grads' is NULL") }
        let outs = try readTensors(outputs, nOutputs, "outputs")
        let xs = try readTensors(inputs, nInputs, "inputs")
        let seeds = try readOptionalTensors(gradOutputs, outs.count, "grad_outputs")
        let results = try Autograd.grad(outputs: outs, inputs: xs, gradOutputs: seeds, retainGraph: retainGraph || createGraph,
                                        createGraph: createGraph, allowUnused: allowUnused)
        for (i, r) in results.enumerated() { grads[i] = r.map { Handles.tensors.insert($0) } }
    }
}

@_cdecl("ember_tensor_register_hook") @implementation
public func ember_tensor_register_hook(_ t: OpaquePointer?, _ hook: ember_grad_hook?, _ userData: UnsafeMutableRawPointer?,
                                       _ destroy: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?,
                                       _ id: UnsafeMutablePointer<Int64>?) -> ember_status {
    id?.pointee = 0
    // The context owns user_data from here on, success or not.
    let context = CallbackContext(userData, destroy)
    return call("ember_tensor_register_hook") {
        let x = try tensor(t, "t")
        guard let hook else { throw EmberError.invalidArgument("argument 'hook' is NULL") }
        guard let id else { throw EmberError.invalidArgument("argument 'id' is NULL") }
        id.pointee = Int64(try x.registerHook(cHook(hook, context)))
    }
}

@_cdecl("ember_tensor_remove_hook") @implementation
public func ember_tensor_remove_hook(_ t: OpaquePointer?, _ id: Int64) -> ember_status {
    call("ember_tensor_remove_hook") {
        guard try tensor(t, "t").removeHook(Int(id)) else {
            throw EmberError.invalidArgument("the tensor has no hook with id \(id)")
        }
    }
}

@_cdecl("ember_set_last_error") @implementation
public func ember_set_last_error(_ message: UnsafePointer<CChar>?) {
    LastError.set(message.map { String(cString: $0) } ?? "")
}

@_cdecl("ember_function_new") @implementation
public func ember_function_new(_ name: UnsafePointer<CChar>?, _ forward: ember_function_forward?, _ backward: ember_function_backward?,
                               _ userData: UnsafeMutableRawPointer?, _ destroy: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?,
                               _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    out?.pointee = nil
    let context = CallbackContext(userData, destroy)
    return call("ember_function_new") {
        guard let out else { throw EmberError.invalidArgument("argument 'out' is NULL") }
        let label = try readString(name, "name")
        guard let forward else { throw EmberError.invalidArgument("argument 'forward' is NULL") }
        guard let backward else { throw EmberError.invalidArgument("argument 'backward' is NULL") }
        out.pointee = Handles.functions.insert(cFunction(label, forward, backward, context))
    }
}

@_cdecl("ember_function_apply") @implementation
public func ember_function_apply(_ fn: OpaquePointer?, _ inputs: UnsafePointer<OpaquePointer?>?, _ count: Int64,
                                 _ out: UnsafeMutablePointer<OpaquePointer?>?) -> ember_status {
    returning("ember_function_apply", out) {
        let f = try Handles.functions.get(fn, "fn")
        return try f.apply(readTensors(inputs, count, "inputs"))
    }
}

@_cdecl("ember_function_free") @implementation
public func ember_function_free(_ fn: OpaquePointer?) {
    if fn != nil && !Handles.functions.remove(fn) {
        failQuery("ember_function_free", Handles.functions.invalid(fn, "fn"))
    }
}

@_cdecl("ember_set_detect_anomaly") @implementation
public func ember_set_detect_anomaly(_ enabled: Bool) {
    Autograd.detectAnomaly = enabled
}

@_cdecl("ember_is_anomaly_enabled") @implementation
public func ember_is_anomaly_enabled() -> Bool {
    Autograd.detectAnomaly
}
