import CEmber
@testable import Ember
import EmberTestSupport
import XCTest

/// The autograd extensions and in-place ops through the C API, with real C
/// callbacks (function pointers plus user data).
final class AutogradAPITests: XCTestCase {
    /// A C array of handles.
    func list(_ handles: OpaquePointer?...) -> [OpaquePointer?] { handles }

    /// State a callback reaches through its user_data pointer.
    final class Probe {
        var calls = 0
        var seen: [Double] = []
        var destroyed = 0
        var scale = 1.0
        var fail = false
    }

    static let scaleHook: ember_grad_hook = { grad, userData, replacement in
        let probe = Unmanaged<Probe>.fromOpaque(userData!).takeUnretainedValue()
        probe.calls += 1
        probe.seen = C.values(grad)
        if probe.fail {
            ember_set_last_error("the hook refused this gradient")
            return EMBER_ERR_INVALID_ARGUMENT
        }
        if probe.scale != 1 { return ember_mul_scalar(grad, probe.scale, replacement) }
        return EMBER_OK
    }

    static let destroyProbe: @convention(c) (UnsafeMutableRawPointer?) -> Void = { userData in
        Unmanaged<Probe>.fromOpaque(userData!).takeUnretainedValue().destroyed += 1
    }

    func testHookSeesReplacesAndIsDestroyed() {
        let probe = Probe()
        let x = C.tensor([1.0, 2.0], [2])
        C.ok(ember_tensor_set_requires_grad(x, true))
        var id: Int64 = 0
        C.ok(ember_tensor_register_hook(x, Self.scaleHook, Unmanaged.passUnretained(probe).toOpaque(), Self.destroyProbe, &id))
        probe.scale = 10
        var y, s: OpaquePointer?
        C.ok(ember_mul_scalar(x, 3, &y))
        C.ok(ember_sum(y, &s))
        C.ok(ember_tensor_backward(s, nil))
        XCTAssertEqual(probe.calls, 1)
        XCTAssertEqual(probe.seen, [3, 3])
        var g: OpaquePointer?
        C.ok(ember_tensor_grad(x, &g))
        XCTAssertEqual(C.values(g), [30, 30])
        // A failing hook stops backward with its status and its own message.
        probe.fail = true
        var s2: OpaquePointer?
        C.ok(ember_sum(y, &s2))
        C.ok(ember_mul(x, x, &y))
        C.ok(ember_sum(y, &s2))
        C.fails(ember_tensor_backward(s2, nil), EMBER_ERR_INVALID_ARGUMENT, ["ember_tensor_backward", "hook", "the hook refused this gradient"])
        XCTAssertEqual(C.values(g), [30, 30])
        XCTAssertEqual(probe.destroyed, 0)
        C.ok(ember_tensor_remove_hook(x, id))
        XCTAssertEqual(probe.destroyed, 1)
        C.fails(ember_tensor_remove_hook(x, id), EMBER_ERR_INVALID_ARGUMENT, ["no hook"])
        C.fails(ember_tensor_register_hook(x, nil, nil, nil, &id), EMBER_ERR_INVALID_ARGUMENT, ["'hook' is NULL"])
        for t in [x, y, s, s2, g] { ember_tensor_free(t) }
    }

    // A custom "square" op: forward x*x, backward 2x*g, through C callbacks.
    static let squareForward: ember_function_forward = { inputs, count, userData, output in
        let probe = Unmanaged<Probe>.fromOpaque(userData!).takeUnretainedValue()
        probe.calls += 1
        if probe.fail {
            ember_set_last_error("forward does not like these inputs")
            return EMBER_ERR_SHAPE
        }
        return ember_mul(inputs![0], inputs![0], output)
    }

    static let squareBackward: ember_function_backward = { grad, inputs, count, userData, gradInputs in
        var twice: OpaquePointer?
        var status = ember_mul_scalar(inputs![0], 2, &twice)
        guard status == EMBER_OK else { return status }
        status = ember_mul(grad, twice, gradInputs!)   // gradInputs[0]
        ember_tensor_free(twice)
        return status
    }

    func testCustomFunctionFromC() {
        let probe = Probe()
        var fn: OpaquePointer?
        C.ok(ember_function_new("Square", Self.squareForward, Self.squareBackward, Unmanaged.passUnretained(probe).toOpaque(),
                                Self.destroyProbe, &fn))
        let x = C.tensor([3.0, -2.0], [2])
        C.ok(ember_tensor_set_requires_grad(x, true))
        var y, s: OpaquePointer?
        C.ok(list(x).withUnsafeBufferPointer { ember_function_apply(fn, $0.baseAddress, 1, &y) })
        XCTAssertEqual(C.values(y), [9, 4])
        C.ok(ember_sum(y, &s))
        // Second order through the C backward: d/dx sum(2x * 1) = 2.
        var g: [OpaquePointer?] = [nil]
        C.ok(list(s).withUnsafeBufferPointer { outs in list(x).withUnsafeBufferPointer { ins in
            ember_autograd_grad(outs.baseAddress, 1, nil, ins.baseAddress, 1, true, true, false, &g) } })
        XCTAssertEqual(C.values(g[0]), [6, -4])
        var gs: OpaquePointer?
        C.ok(ember_sum(g[0], &gs))
        var h: [OpaquePointer?] = [nil]
        C.ok(list(gs).withUnsafeBufferPointer { outs in list(x).withUnsafeBufferPointer { ins in
            ember_autograd_grad(outs.baseAddress, 1, nil, ins.baseAddress, 1, false, false, false, &h) } })
        XCTAssertEqual(C.values(h[0]), [2, 2])
        var noGrad: OpaquePointer?
        C.ok(ember_tensor_grad(x, &noGrad))
        XCTAssertNil(noGrad)                                          // autograd_grad leaves .grad alone
        // A failing forward reaches the caller with its status and message.
        probe.fail = true
        var z: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(list(x).withUnsafeBufferPointer { ember_function_apply(fn, $0.baseAddress, 1, &z) }, EMBER_ERR_SHAPE,
                ["ember_function_apply", "Square", "forward does not like these inputs"])
        XCTAssertNil(z)
        for t in [x, y, s, g[0], gs, h[0]] { ember_tensor_free(t) }
        ember_function_free(fn)
        XCTAssertEqual(probe.destroyed, 1)                            // handle and graphs gone
        XCTAssertEqual(Handles.functions.liveCount, 0)
    }

    func testAutogradGradErrors() {
        let x = C.tensor([1.0], [1]), unused = C.tensor([1.0], [1])
        C.ok(ember_tensor_set_requires_grad(x, true))
        C.ok(ember_tensor_set_requires_grad(unused, true))
        var y: OpaquePointer?
        C.ok(ember_mul(x, x, &y))
        var grads: [OpaquePointer?] = [OpaquePointer(bitPattern: 0xdead), OpaquePointer(bitPattern: 0xdead)]
        C.fails(list(y).withUnsafeBufferPointer { outs in list(x, unused).withUnsafeBufferPointer { ins in
            ember_autograd_grad(outs.baseAddress, 1, nil, ins.baseAddress, 2, true, false, false, &grads) } },
                EMBER_ERR_STATE, ["input 1", "allow_unused"])
        XCTAssertEqual(grads, [nil, nil])
        C.ok(list(y).withUnsafeBufferPointer { outs in list(x, unused).withUnsafeBufferPointer { ins in
            [OpaquePointer?](repeating: C.tensor([1.0], [1]), count: 1).withUnsafeBufferPointer { seeds in
                ember_autograd_grad(outs.baseAddress, 1, seeds.baseAddress, ins.baseAddress, 2, false, false, true, &grads) } } })
        XCTAssertEqual(C.values(grads[0]), [2])
        XCTAssertNil(grads[1])
        ember_tensor_free(grads[0])
        for t in [x, unused, y] { ember_tensor_free(t) }
    }

    func testInPlaceThroughC() {
        let t = C.tensor([Float](repeating: 1, count: 4), [2, 2]), row = C.tensor([Float(1), 2], [2])
        C.ok(ember_add_(t, row, 2))
        C.ok(ember_mul_scalar_(t, 2))
        XCTAssertEqual(C.values(t), [6, 10, 6, 10])
        C.ok(ember_fill_(t, 0.25))
        C.ok(ember_copy_(t, row))
        XCTAssertEqual(C.values(t), [1, 2, 1, 2])
        C.ok(ember_zero_(t))
        XCTAssertEqual(C.values(t), [0, 0, 0, 0])
        ember_manual_seed(0)
        C.ok(ember_uniform_(t, 0, 1))
        XCTAssertEqual(C.values(t)[0], Double(Float(0.49625658988952637)))
        let w = C.tensor([1.0, 2.0], [2])
        C.ok(ember_tensor_set_requires_grad(w, true))
        C.fails(ember_add_scalar_(w, 1), EMBER_ERR_STATE, ["ember_add_scalar_", "leaf tensor that requires grad"])
        let was = ember_set_grad_enabled(false)
        C.ok(ember_add_scalar_(w, 1))
        ember_set_grad_enabled(was)
        XCTAssertEqual(C.values(w), [2, 3])
        let three = C.tensor([Float](repeating: 0, count: 3), [3])
        C.fails(ember_add_(t, three, 1), EMBER_ERR_SHAPE, ["[2, 2]", "[3]"])
        C.fails(ember_normal_(nil, 0, 1), EMBER_ERR_INVALID_HANDLE, ["'t' is NULL"])
        for x in [t, row, w, three] { ember_tensor_free(x) }
    }

    func testAnomalyModeThroughC() {
        XCTAssertFalse(ember_is_anomaly_enabled())
        ember_set_detect_anomaly(true)
        defer { ember_set_detect_anomaly(false) }
        let x = C.tensor([1.0], [1]), zero = C.tensor([0.0], [1])
        C.ok(ember_tensor_set_requires_grad(x, true))
        var y, s: OpaquePointer?
        C.ok(ember_log(zero, &y))                 // -inf, no grad involved
        ember_tensor_free(y)
        C.ok(ember_div(x, zero, &y))
        C.ok(ember_sum(y, &s))
        C.fails(ember_tensor_backward(s, nil), EMBER_ERR_STATE, ["DivBackward0", "inf"])
        for t in [x, zero, y, s] { ember_tensor_free(t) }
    }
}
