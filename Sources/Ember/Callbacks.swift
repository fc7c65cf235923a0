import CEmber
import EmberAutograd
import EmberTensor
import Glibc

// Calling back into C: hooks and custom functions. A callback gets borrowed
// handles that live for the call, hands results over by writing new handles
// that the library then takes ownership of, and reports failure with a status
// and ember_set_last_error.

/// A C caller's user data and its destructor, called once when the last
/// Swift closure holding this context is gone.
final class CallbackContext: @unchecked Sendable {
    let userData: UnsafeMutableRawPointer?
    let destroy: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?

    init(_ userData: UnsafeMutableRawPointer?, _ destroy: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?) {
        self.userData = userData
        self.destroy = destroy
    }

    deinit { destroy?(userData) }
}

/// A callback's failure as an error carrying its status and its own message.
func callbackError(_ status: ember_status, _ what: String) -> EmberError {
    // A callback may return any value, (ember_status)-1 included: never trap converting it.
    let kind = Int32(exactly: status.rawValue).flatMap { EmberError.Kind(rawValue: $0) } ?? .internal
    let message = String(cString: LastError.current)
    return EmberError(kind, "\(what) failed (\(String(cString: ember_status_name(status)))): \(message.isEmpty ? "no message" : message)")
}

/// Lends `tensors` to C as handles for the duration of `body`.
func lending<R>(_ tensors: [Tensor], _ body: ([OpaquePointer?]) throws -> R) rethrows -> R {
    let handles: [OpaquePointer?] = tensors.map { Handles.tensors.insert($0) }
    defer { for h in handles { _ = Handles.tensors.remove(h) } }
    return try body(handles)
}

/// Takes ownership of a tensor handle a callback produced.
func adopt(_ handle: OpaquePointer?, _ what: String) throws -> Tensor? {
    guard let handle else { return nil }
    guard let t = Handles.tensors.lookup(handle) else {
        throw Handles.tensors.invalid(handle, described: "the tensor returned by \(what)")
    }
    _ = Handles.tensors.remove(handle)
    return t
}

/// A C gradient hook as a Swift hook.
func cHook(_ hook: ember_grad_hook, _ context: CallbackContext) -> (Tensor) throws -> Tensor? {
    { grad in
        var replacement: OpaquePointer? = nil
        let status = lending([grad]) { h in hook(h[0], context.userData, &replacement) }
        guard status == EMBER_OK else {
            if let r = replacement { _ = Handles.tensors.remove(r) }
            throw callbackError(status, "a gradient hook")
        }
        return try adopt(replacement, "a gradient hook")
    }
}

/// A custom function whose forward and backward are C callbacks.
func cFunction(_ name: String, _ forward: ember_function_forward, _ backward: ember_function_backward,
               _ context: CallbackContext) -> Function {
    Function(name: name, forward: { inputs in
        var output: OpaquePointer? = nil
        let status = lending(inputs) { h in h.withUnsafeBufferPointer { forward($0.baseAddress, Int64(inputs.count), context.userData, &output) } }
        guard status == EMBER_OK else {
            if let o = output { _ = Handles.tensors.remove(o) }
            throw callbackError(status, "the forward of function '\(name)'")
        }
        guard let result = try adopt(output, "the forward of function '\(name)'") else {
            throw EmberError.invalidArgument("the forward of function '\(name)' returned EMBER_OK but no output tensor")
        }
        return result
    }, backward: { grad, inputs in
        var grads = [OpaquePointer?](repeating: nil, count: inputs.count)
        let status = lending([grad] + inputs) { h in
            Array(h.dropFirst()).withUnsafeBufferPointer { list in
                grads.withUnsafeMutableBufferPointer { out in
                    backward(h[0], list.baseAddress, Int64(inputs.count), context.userData, out.baseAddress)
                }
            }
        }
        guard status == EMBER_OK else {
            for g in grads where g != nil { _ = Handles.tensors.remove(g) }
            throw callbackError(status, "the backward of function '\(name)'")
        }
        var result: [Tensor?] = []
        for (i, g) in grads.enumerated() {
            do { result.append(try adopt(g, "the backward of function '\(name)'")) } catch {
                for later in grads[(i + 1)...] where later != nil { _ = Handles.tensors.remove(later) }
                throw error
            }
        }
        return result
    })
}
