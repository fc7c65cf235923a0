import CEmber
@testable import Ember
import EmberTestSupport
import Foundation
import XCTest

/// Bad input through the C API: a status, a message naming the function and
/// the values, every out-parameter NULL, and nothing leaked or half-changed.
final class ErrorTests: XCTestCase {
    func testMatmulShapeMismatchNamesBothShapes() {
        let a = C.tensor([Float](repeating: 1, count: 6), [2, 3]), b = C.tensor([Float](repeating: 1, count: 8), [4, 2])
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_matmul(a, b, &out), EMBER_ERR_SHAPE, ["ember_matmul", "[2, 3]", "[4, 2]"])
        XCTAssertNil(out)
        ember_tensor_free(a); ember_tensor_free(b)
    }

    /// Handles live in chunks of 4096 slots that lookups read without a lock:
    /// more handles than one chunk holds, freed in an order that leaves holes,
    /// reused, and every stale one still recognised.
    func testHandlesAcrossChunksAndReuse() {
        let before = Handles.tensors.liveCount
        var handles: [OpaquePointer] = (0..<5000).map { C.tensor([Float($0)], [1]) }
        XCTAssertEqual(Handles.tensors.liveCount, before + 5000)
        for (i, h) in handles.enumerated() where i % 7 == 0 {
            var v = 0.0
            XCTAssertEqual(ember_tensor_item(h, &v), EMBER_OK)
            XCTAssertEqual(v, Double(i))
        }
        let freed = stride(from: 1, to: 5000, by: 2).map { handles[$0] }
        for h in freed { ember_tensor_free(h) }
        var out: OpaquePointer?
        for h in freed.prefix(3) + freed.suffix(3) {
            C.fails(ember_relu(h, &out), EMBER_ERR_INVALID_HANDLE, ["argument 'x'", "freed"])
        }
        // The freed slots are reused with new generations: old handles stay stale.
        let fresh = (0..<2500).map { C.tensor([Float(-$0)], [1]) }
        for h in freed.prefix(2) + freed.suffix(2) {
            C.fails(ember_relu(h, &out), EMBER_ERR_INVALID_HANDLE, ["freed"])
        }
        var v = 0.0
        XCTAssertEqual(ember_tensor_item(fresh[2499], &v), EMBER_OK)
        XCTAssertEqual(v, -2499)
        handles = stride(from: 0, to: 5000, by: 2).map { handles[$0] } + fresh
        for h in handles { ember_tensor_free(h) }
        XCTAssertEqual(Handles.tensors.liveCount, before)
        // A handle naming a slot in a chunk never made.
        let far = OpaquePointer(bitPattern: UInt((UInt64(0xE1) << 56) | (UInt64(1) << 32) | 0xFFFF_0000))
        C.fails(ember_relu(far, &out), EMBER_ERR_INVALID_HANDLE, ["freed"])
    }

    func testNullFreedAndWrongKindHandles() {
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_relu(nil, &out), EMBER_ERR_INVALID_HANDLE, ["ember_relu", "argument 'x' is NULL"])
        XCTAssertNil(out)

        let t = C.tensor([Float(1)], [1])
        ember_tensor_free(t)
        out = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_relu(t, &out), EMBER_ERR_INVALID_HANDLE, ["freed"])
        XCTAssertNil(out)
        ember_tensor_free(t)                                    // a double free is reported, not a crash
        XCTAssertTrue(C.lastError.contains("ember_tensor_free"))

        var m: OpaquePointer?
        C.ok(ember_relu_new(&m))
        C.fails(ember_relu(m, &out), EMBER_ERR_INVALID_HANDLE, ["module handle, not a tensor handle"])
        C.fails(ember_module_forward(m, m, &out), EMBER_ERR_INVALID_HANDLE, ["argument 'input'", "module handle"])
        ember_module_free(m)

        let stray = OpaquePointer(bitPattern: 0x7fff_1234_5678)
        C.fails(ember_relu(stray, &out), EMBER_ERR_INVALID_HANDLE, ["not an Ember handle"])
        XCTAssertEqual(ember_tensor_ndim(nil), -1)
        XCTAssertEqual(ember_tensor_numel(stray), -1)
        XCTAssertEqual(ember_tensor_dtype(nil).rawValue, UInt32.max)   // EMBER_DTYPE_INVALID
        XCTAssertEqual(ember_module_parameter_count(nil), -1)
        ember_tensor_free(nil)                                   // NULL is a no-op
    }

    func testNullOutParameter() {
        let a = C.tensor([Float(1)], [1])
        C.fails(ember_relu(a, nil), EMBER_ERR_INVALID_ARGUMENT, ["argument 'out' is NULL"])
        C.fails(ember_tensor_item(a, nil), EMBER_ERR_INVALID_ARGUMENT, ["out"])
        ember_tensor_free(a)
    }

    func testCrossEntropyTargetOutOfRange() {
        let logits = C.tensor([Float](repeating: 0, count: 6), [3, 2]), target = C.tensor([Int64(0), 1, 2], [3])
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_cross_entropy(logits, target, &out), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_cross_entropy", "target 2 is out of bounds", "2 classes", "position 2"])
        XCTAssertNil(out)
        ember_tensor_free(logits); ember_tensor_free(target)
    }

    func testBackwardErrors() {
        let x = C.tensor([1.0, 2.0], [2])
        C.ok(ember_tensor_set_requires_grad(x, true))
        var y: OpaquePointer?
        C.ok(ember_mul(x, x, &y))
        C.fails(ember_tensor_backward(y, nil), EMBER_ERR_SHAPE, ["ember_tensor_backward", "one element", "[2]"])
        var s: OpaquePointer?
        C.ok(ember_sum(y, &s))
        C.ok(ember_tensor_backward(s, nil))
        C.fails(ember_tensor_backward(s, nil), EMBER_ERR_STATE, ["second time"])
        var g: OpaquePointer?
        C.ok(ember_tensor_grad(x, &g))
        XCTAssertEqual(C.values(g), [2, 4])                      // unchanged by the failed call
        ember_tensor_free(g)
        // retain_graph keeps it for a second pass.
        var s2: OpaquePointer?
        C.ok(ember_sum(y, &s2))
        C.ok(ember_tensor_zero_grad(x))
        var none: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.ok(ember_tensor_grad(x, &none))
        XCTAssertNil(none)                                       // no grad: NULL with EMBER_OK
        for t in [y, s, s2, x] { ember_tensor_free(t) }
        let i = C.tensor([Int64(1)], [1])
        C.fails(ember_tensor_set_requires_grad(i, true), EMBER_ERR_DTYPE, ["floating"])
        ember_tensor_free(i)
    }

    func testCopyBuffersAreChecked() {
        let t = C.tensor([Float](repeating: 1, count: 6), [2, 3])
        var small = [Float](repeating: 0, count: 4)
        C.fails(ember_tensor_copy_to(t, &small, 16), EMBER_ERR_INVALID_ARGUMENT, ["ember_tensor_copy_to", "16", "24 bytes"])
        XCTAssertEqual(small, [0, 0, 0, 0])
        C.fails(ember_tensor_copy_from(t, small, 16), EMBER_ERR_INVALID_ARGUMENT, ["exactly 24 bytes"])
        C.fails(ember_tensor_copy_to(t, nil, 24), EMBER_ERR_INVALID_ARGUMENT, ["'dst' is NULL"])
        var big = [Float](repeating: -1, count: 8)
        C.ok(ember_tensor_copy_to(t, &big, 32))                  // a larger buffer is fine
        XCTAssertEqual(big, [1, 1, 1, 1, 1, 1, -1, -1])
        ember_tensor_free(t)
    }

    func testCreationErrors() {
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_tensor_zeros([2, -3], 2, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, ["negative size -3"])
        XCTAssertNil(out)
        C.fails(ember_tensor_zeros([2], 1, ember_dtype(rawValue: 7), &out), EMBER_ERR_DTYPE, ["not a valid ember_dtype (7)"])
        C.fails(ember_tensor_zeros(nil, 2, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, ["'shape' is NULL"])
        C.fails(ember_tensor_zeros([1_000_000_000, 1_000_000], 2, EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, ["cannot allocate"])
        C.fails(ember_tensor_zeros([Int64.max, 4], 2, EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, [])
        C.fails(ember_tensor_from_data(nil, EMBER_FLOAT32, [2], 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["data is NULL"])
        C.fails(ember_tensor_zeros([Int64](repeating: 1, count: 13), 13, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT,
                ["ndim 13", "12 dimensions"])
        C.fails(ember_tensor_randn([2], 1, EMBER_INT64, &out), EMBER_ERR_DTYPE, ["floating"])
        C.fails(ember_tensor_arange(0, 1, 0, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, ["step"])
        XCTAssertNil(out)
        C.ok(ember_tensor_zeros(nil, 0, EMBER_FLOAT64, &out))    // a scalar needs no shape
        XCTAssertEqual(ember_tensor_ndim(out), 0)
        ember_tensor_free(out)
    }

    func testModuleOptimizerAndLoaderErrors() {
        var relu, linear, out: OpaquePointer?
        C.ok(ember_relu_new(&relu))
        C.ok(ember_linear_new(2, 2, true, &linear))
        C.fails(ember_sequential_append(relu, linear), EMBER_ERR_INVALID_ARGUMENT, ["a ReLU, not a Sequential"])
        C.fails(ember_module_parameter(linear, "weights", &out), EMBER_ERR_INVALID_ARGUMENT, ["no parameter \"weights\"", "\"weight\", \"bias\""])
        XCTAssertNil(out)
        C.fails(ember_linear_new(-1, 2, true, &out), EMBER_ERR_INVALID_ARGUMENT, ["-1"])
        var name = [CChar](repeating: 0, count: 4)
        C.fails(ember_module_parameter_at(linear, 0, &name, 4, &out), EMBER_ERR_INVALID_ARGUMENT, ["needs 7 bytes"])
        name = [CChar](repeating: 0, count: 16)
        C.ok(ember_module_parameter_at(linear, 1, &name, 16, &out))
        XCTAssertEqual(String(cString: name), "bias")
        XCTAssertEqual(C.shape(out), [2])
        ember_tensor_free(out)
        C.fails(ember_module_parameter_at(linear, 2, nil, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["index 2"])

        var opt: OpaquePointer?
        C.fails(ember_sgd_new(linear, -0.1, &opt), EMBER_ERR_INVALID_ARGUMENT, ["invalid learning rate"])
        XCTAssertNil(opt)
        C.ok(ember_sgd_new(linear, 0.1, &opt))
        C.fails(ember_optimizer_set(opt, "beta1", 0.9), EMBER_ERR_INVALID_ARGUMENT, ["no option \"beta1\"", "lr, momentum"])
        var value = 1.0
        C.fails(ember_optimizer_get(opt, nil, &value), EMBER_ERR_INVALID_ARGUMENT, ["'name' is NULL"])
        XCTAssertEqual(value, 0)
        C.ok(ember_optimizer_step(opt))                          // no gradients: a no-op

        let x = C.tensor([Float](repeating: 0, count: 4), [4]), y = C.tensor([Int64(0), 1, 2], [3])
        var loader: OpaquePointer?
        C.fails(ember_dataloader_new(x, y, 2, false, &loader), EMBER_ERR_SHAPE, ["4 rows", "3"])
        C.fails(ember_dataloader_new(x, x, 0, false, &loader), EMBER_ERR_INVALID_ARGUMENT, ["batch_size"])
        XCTAssertNil(loader)
        C.ok(ember_dataloader_new(x, x, 3, false, &loader))
        C.fails(ember_dataloader_set(loader, "shuffle", 1), EMBER_ERR_INVALID_ARGUMENT, ["read-only"])
        C.fails(ember_dataloader_set(loader, "batchsize", 1), EMBER_ERR_INVALID_ARGUMENT, ["drop_last, batch_size"])
        C.ok(ember_dataloader_get(loader, "len", &value))
        XCTAssertEqual(value, 2)

        ember_dataloader_free(loader); ember_optimizer_free(opt)
        ember_module_free(relu); ember_module_free(linear)
        ember_tensor_free(x); ember_tensor_free(y)
    }

    func testLastErrorIsPerThreadAndKeptBySuccess() {
        var out: OpaquePointer?
        _ = ember_relu(nil, &out)
        let mine = C.lastError
        let thread = Thread { var o: OpaquePointer?; _ = ember_exp(nil, &o) }
        thread.start()
        while !thread.isFinished { usleep(1000) }
        let t = C.tensor([Float(1)], [1])
        C.ok(ember_relu(t, &out))
        XCTAssertEqual(C.lastError, mine)
        ember_tensor_free(out); ember_tensor_free(t)
    }

    func testNamesAndVersion() {
        XCTAssertEqual(String(cString: ember_version()), "\(EMBER_VERSION_MAJOR).\(EMBER_VERSION_MINOR).\(EMBER_VERSION_PATCH)")
        XCTAssertEqual(String(cString: ember_status_name(EMBER_ERR_SHAPE)), "EMBER_ERR_SHAPE")
        XCTAssertEqual(String(cString: ember_status_name(ember_status(rawValue: 99))), "unknown status")
        XCTAssertEqual(String(cString: ember_dtype_name(EMBER_INT64)), "int64")
    }

    func testNoHandleLeaksAcrossATrainingStep() {
        let before = (Handles.tensors.liveCount, Handles.modules.liveCount, Handles.optimizers.liveCount)
        let model = C.seedNetwork()
        var opt, x, out, loss: OpaquePointer?
        C.ok(ember_sgd_new(model, 0.1, &opt))
        C.ok(ember_tensor_randn([8, 10], 2, EMBER_FLOAT32, &x))
        let y = C.tensor([Int64](repeating: 1, count: 8), [8])
        C.ok(ember_module_forward(model, x, &out))
        C.ok(ember_cross_entropy(out, y, &loss))
        C.ok(ember_tensor_backward(loss, nil))
        C.ok(ember_optimizer_step(opt))
        for t in [x, y, out, loss] { ember_tensor_free(t) }
        ember_optimizer_free(opt)
        ember_module_free(model)
        XCTAssertEqual(before.0, Handles.tensors.liveCount)
        XCTAssertEqual(before.1, Handles.modules.liveCount)
        XCTAssertEqual(before.2, Handles.optimizers.liveCount)
    }
}
