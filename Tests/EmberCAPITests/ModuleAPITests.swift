import CEmber
@testable import Ember
import EmberTestSupport
import XCTest

/// Modules from C: by type name, several inputs and outputs, summaries,
/// buffers, freezing, and custom modules with a C forward.
final class ModuleAPITests: XCTestCase {
    func summary(_ m: OpaquePointer?) -> String {
        var length = 0
        C.ok(ember_module_summary(m, nil, 0, &length))
        var buf = [CChar](repeating: 0, count: length + 1)
        C.ok(ember_module_summary(m, &buf, buf.count, &length))
        return String(cString: buf)
    }

    func testModuleByTypeNameAndSummary() {
        var model, fc, relu: OpaquePointer?
        C.ok(ember_module_new("Sequential", nil, &model))
        C.ok(ember_module_new("Linear", "4, 3, bias=False", &fc))
        C.ok(ember_module_new("ReLU", "", &relu))
        C.ok(ember_sequential_append(model, fc))
        C.ok(ember_sequential_append(model, relu))
        XCTAssertEqual(summary(model), "Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=False)\n  (1): ReLU()\n)")
        var small = [CChar](repeating: 0, count: 8), length = 0
        C.fails(ember_module_summary(model, &small, 8, &length), EMBER_ERR_INVALID_ARGUMENT, ["buf_size is 8"])
        XCTAssertGreaterThan(length, 8)
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_module_new("Linear", "4", &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_module_new", "missing the required argument 'out_features'"])
        XCTAssertNil(out)
        C.fails(ember_module_new("Lineer", "4, 3", &out), EMBER_ERR_INVALID_ARGUMENT, ["unknown module type \"Lineer\""])
        var child: OpaquePointer?
        C.ok(ember_module_child(model, "0", &child))
        var w: OpaquePointer?
        C.ok(ember_module_parameter(child, "weight", &w))
        XCTAssertEqual(C.shape(w), [3, 4])
        C.ok(ember_module_set_requires_grad(model, false))
        XCTAssertFalse(ember_tensor_requires_grad(w))
        C.fails(ember_module_child(model, "5", &out), EMBER_ERR_INVALID_ARGUMENT, ["no submodule \"5\""])
        for m in [model, fc, relu, child] { ember_module_free(m) }
        ember_tensor_free(w)
    }

    // A custom module from C: y = relu(x) + scale * x, two outputs (y and its sum).
    final class State {
        var calls = 0
        var destroyed = false
    }

    static let forward: ember_module_forward_fn = { module, inputs, count, userData, outputs, capacity, nOutputs in
        Unmanaged<State>.fromOpaque(userData!).takeUnretainedValue().calls += 1
        var scale, r, scaled, y, total: OpaquePointer?
        var status = ember_module_parameter(module, "scale", &scale)
        if status != EMBER_OK { return status }
        status = ember_relu(inputs![0], &r)
        if status == EMBER_OK { status = ember_mul(inputs![0], scale, &scaled) }
        if status == EMBER_OK { status = ember_add(r, scaled, &y) }
        if status == EMBER_OK { status = ember_sum(y, &total) }
        ember_tensor_free(scale); ember_tensor_free(r); ember_tensor_free(scaled)
        if status != EMBER_OK { ember_tensor_free(y); return status }
        outputs![0] = y
        outputs![1] = total
        nOutputs!.pointee = 2
        return EMBER_OK
    }

    static let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = { userData in
        Unmanaged<State>.fromOpaque(userData!).takeUnretainedValue().destroyed = true
    }

    func testCustomModuleFromC() {
        let state = State()
        var m: OpaquePointer?
        C.ok(ember_module_custom_new("ScaledRelu", Self.forward, Unmanaged.passUnretained(state).toOpaque(), Self.destroy, &m))
        let scale = C.tensor([2.0], [1])
        C.ok(ember_module_register_parameter(m, "scale", scale))
        XCTAssertTrue(ember_tensor_requires_grad(scale))
        let steps = C.tensor([Int64(0)], [])
        C.ok(ember_module_register_buffer(m, "steps", steps))
        XCTAssertEqual(ember_module_buffer_count(m), 1)
        XCTAssertEqual(ember_module_parameter_count(m), 1)
        let x = C.tensor([-1.0, 3.0], [2])
        var outs = [OpaquePointer?](repeating: nil, count: 2)
        var n: Int64 = 0
        C.ok([x].map { Optional($0) }.withUnsafeBufferPointer { ember_module_forward_multi(m, $0.baseAddress, 1, &outs, 2, &n) })
        XCTAssertEqual(n, 2)
        XCTAssertEqual(C.values(outs[0]), [-2, 9])
        XCTAssertEqual(C.values(outs[1]), [7])
        C.ok(ember_tensor_backward(outs[1], nil))
        var g: OpaquePointer?
        C.ok(ember_tensor_grad(scale, &g))
        XCTAssertEqual(C.values(g), [2])                              // d/dscale sum(scale * x) = sum(x)
        // The single-output forward refuses a two-output module.
        var single: OpaquePointer?
        C.fails(ember_module_forward(m, x, &single), EMBER_ERR_INVALID_ARGUMENT, ["ScaledRelu returns 2 outputs"])
        // An optimizer trains its parameter like any other.
        var opt: OpaquePointer?
        C.ok(ember_sgd_new(m, 0.5, &opt))
        C.ok(ember_optimizer_step(opt))
        XCTAssertEqual(C.values(scale), [1])
        ember_optimizer_free(opt)
        for t in [x, outs[0], outs[1], g, steps] { ember_tensor_free(t) }
        ember_tensor_free(scale)
        XCTAssertEqual(state.calls, 2)
        XCTAssertFalse(state.destroyed)
        ember_module_free(m)
        XCTAssertTrue(state.destroyed)
        let int = C.tensor([Int64(1)], [1])
        var m2: OpaquePointer?
        C.ok(ember_module_new("Sequential", "", &m2))
        C.fails(ember_module_register_parameter(m2, "w", int), EMBER_ERR_DTYPE, ["floating"])
        let one = C.tensor([1.0], [1])
        C.fails(ember_module_register_parameter(m2, "a.b", one), EMBER_ERR_INVALID_ARGUMENT, ["invalid attribute name \"a.b\""])
        ember_module_free(m2)
        ember_tensor_free(int)
        ember_tensor_free(one)
    }
}
