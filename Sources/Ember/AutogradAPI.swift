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
