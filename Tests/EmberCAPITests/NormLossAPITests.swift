import CEmber
@testable import Ember
import EmberTestSupport
import XCTest

/// ember/norm.h, ember/loss.h, ember/init.h and the norm, activation and loss
/// modules, called as a C program calls them, against the torch fixtures.
final class NormLossAPITests: XCTestCase {
    /// A fixture tensor as a new C handle (float32, float64 or int64).
    func handle(_ any: Any?) throws -> OpaquePointer {
        let f = try FixtureTensor(any)
        let shape = f.shape.map { Int64($0) }
        switch f.dtype {
        case .float32: return C.tensor(f.floats, shape)
        case .float64: return C.tensor(f.values, shape)
        default: return C.tensor(f.int64s, shape)
        }
    }

    func fixtureCase(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(try Fixtures.load("norm_loss")[name] as? [String: Any], name)
    }

    func free(_ handles: OpaquePointer?...) { for h in handles { ember_tensor_free(h) } }

    func testBatchNormTrainingUpdatesRunningStatisticsThroughC() throws {
        let c = try fixtureCase("bn_running_update")
        let x = try handle((c["inputs"] as? [Any])?[0])
        let constants = try XCTUnwrap(c["constants"] as? [Any]), after = try XCTUnwrap(c["after"] as? [Any])
        let mean = try handle(constants[0]), variance = try handle(constants[1])
        var y: OpaquePointer?
        C.ok(ember_batch_norm(x, mean, variance, nil, nil, true, 0.3, 1e-5, &y), "batch_norm")
        assertClose(C.values(y), try FixtureTensor(c["output"]).values, rtol: 1e-10, atol: 1e-10, "output")
        assertClose(C.values(mean), try FixtureTensor(after[0]).values, rtol: 1e-12, atol: 1e-12, "running_mean")
        assertClose(C.values(variance), try FixtureTensor(after[1]).values, rtol: 1e-12, atol: 1e-12, "running_var")
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xbad)
        C.fails(ember_batch_norm(x, nil, nil, nil, nil, false, 0.1, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_batch_norm", "must be defined in evaluation mode"])
        XCTAssertNil(out)
        C.fails(ember_batch_norm(x, mean, nil, nil, nil, true, 0.1, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, ["both be None or neither"])
        C.fails(ember_batch_norm(x, variance, mean, x, nil, true, 0.1, 1e-5, &out), EMBER_ERR_SHAPE,
                ["weight should contain 4 elements", "[5, 4, 3]"])
        C.fails(ember_batch_norm(nil, nil, nil, nil, nil, true, 0.1, 1e-5, &out), EMBER_ERR_INVALID_HANDLE, ["'input' is NULL"])
        C.fails(ember_batch_norm(x, nil, nil, nil, nil, true, 0.1, 1e-5, nil), EMBER_ERR_INVALID_ARGUMENT, ["'out' is NULL"])
        free(x, mean, variance, y)
    }

    func testGroupNormAndItsGradientsThroughC() throws {
        let c = try fixtureCase("gn_basic")
        let inputs = try XCTUnwrap(c["inputs"] as? [Any]).map { try handle($0) }
        for h in inputs { C.ok(ember_tensor_set_requires_grad(h, true)) }
        var y: OpaquePointer?
        C.ok(ember_group_norm(inputs[0], 3, inputs[1], inputs[2], 1e-5, &y), "group_norm")
        assertClose(C.values(y), try FixtureTensor(c["output"]).values, rtol: 1e-10, atol: 1e-10, "output")
        let upstream = try handle(c["upstream"])
        C.ok(ember_tensor_backward(y, upstream))
        for (i, g) in try XCTUnwrap(c["grads"] as? [Any]).enumerated() {
            var grad: OpaquePointer?
            C.ok(ember_tensor_grad(inputs[i], &grad))
            assertClose(C.values(grad), try FixtureTensor(g).values, rtol: 1e-10, atol: 1e-10, "grad \(i)")
            ember_tensor_free(grad)
        }
        var out: OpaquePointer?
        C.fails(ember_group_norm(inputs[0], 4, nil, nil, 1e-5, &out), EMBER_ERR_SHAPE, ["ember_group_norm", "divisible by num_groups", "num_groups=4"])
        C.fails(ember_group_norm(inputs[0], 0, nil, nil, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, ["num_groups must be positive"])
        for h in inputs { ember_tensor_free(h) }
        free(y, upstream)
    }

    /// Runs `call` on a fixture case's inputs and constants through C, checking the loss and the input gradient.
    func checkLoss(_ name: String, tolerance: Double = 1e-10, _ call: ([OpaquePointer?], [OpaquePointer?], inout OpaquePointer?) -> ember_status) throws {
        let c = try fixtureCase(name)
        let inputs = try XCTUnwrap(c["inputs"] as? [Any]).map { try handle($0) }
        let constants = try ((c["constants"] as? [Any]) ?? []).map { try handle($0) }
        C.ok(ember_tensor_set_requires_grad(inputs[0], true))
        var y: OpaquePointer?
        C.ok(call(inputs, constants, &y), name)
        assertClose(C.values(y), try FixtureTensor(c["output"]).values, rtol: tolerance, atol: tolerance, name)
        let upstream = try handle(c["upstream"])
        C.ok(ember_tensor_backward(y, upstream))
        var grad: OpaquePointer?
        C.ok(ember_tensor_grad(inputs[0], &grad))
        assertClose(C.values(grad), try FixtureTensor((c["grads"] as? [Any])?[0]).values, rtol: tolerance, atol: tolerance, "\(name) grad")
        for h in inputs + constants { ember_tensor_free(h) }
        free(y, upstream, grad)
    }

    func testLossesThroughC() throws {
        try checkLoss("ce_smoothing") { x, c, out in ember_cross_entropy_ex(x[0], x[1], c[0], -100, "mean", 0.2, &out) }
        try checkLoss("ce_nd_none") { x, _, out in ember_cross_entropy_ex(x[0], x[1], nil, -100, "none", 0, &out) }
        try checkLoss("ce_prob") { x, _, out in ember_cross_entropy_ex(x[0], x[1], nil, -100, nil, 0, &out) }
        try checkLoss("nll_weight_ignore_sum") { x, c, out in ember_nll_loss(x[0], x[1], c[0], 1, "sum", &out) }
        try checkLoss("mse_none_broadcast") { x, _, out in ember_mse_loss_ex(x[0], x[1], "none", &out) }
        try checkLoss("l1_mean") { x, _, out in ember_l1_loss(x[0], x[1], nil, &out) }
        try checkLoss("smooth_l1_beta") { x, _, out in ember_smooth_l1_loss(x[0], x[1], "mean", 0.5, &out) }
        try checkLoss("huber_sum") { x, _, out in ember_huber_loss(x[0], x[1], "sum", 1.5, &out) }
        try checkLoss("bce_weight_sum") { x, c, out in ember_binary_cross_entropy(x[0], x[1], c[0], "sum", &out) }
        try checkLoss("bcel_pos_weight_none") { x, c, out in ember_binary_cross_entropy_with_logits(x[0], x[1], c[0], c[1], "none", &out) }
        try checkLoss("kl_batchmean") { x, _, out in ember_kl_div(x[0], x[1], "batchmean", false, &out) }
        try checkLoss("kl_log_target_none") { x, _, out in ember_kl_div(x[0], x[1], "none", true, &out) }
        // The existing fused entry points keep their behaviour.
        try checkLoss("ce_fast_f32", tolerance: 1e-6) { x, _, out in ember_cross_entropy(x[0], x[1], &out) }
        try checkLoss("mse_f32", tolerance: 1e-6) { x, _, out in ember_mse_loss(x[0], x[1], &out) }
    }

    func testLossErrorsThroughC() {
        let x = C.tensor([0.2, 0.5, 1.5] as [Float], [3]), t = C.tensor([0, 1, 1] as [Float], [3])
        let logits = C.tensor([Float](repeating: 0, count: 6), [2, 3]), labels = C.tensor([0, 3] as [Int64], [2])
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xbad)
        C.fails(ember_mse_loss_ex(x, t, "avg", &out), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_mse_loss_ex", "reduction 'avg' is not a valid value", "'none', 'mean' or 'sum'"])
        XCTAssertNil(out)
        C.fails(ember_l1_loss(x, t, "batchmean", &out), EMBER_ERR_INVALID_ARGUMENT, ["reduction 'batchmean' is not a valid value"])
        C.fails(ember_binary_cross_entropy(x, t, nil, "mean", &out), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_binary_cross_entropy", "between 0 and 1", "1.5"])
        C.fails(ember_cross_entropy_ex(logits, labels, nil, -100, "mean", 0, &out), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_cross_entropy_ex", "target 3 is out of bounds for 3 classes", "position 1"])
        C.fails(ember_cross_entropy_ex(logits, labels, nil, 3, "mean", 2, &out), EMBER_ERR_INVALID_ARGUMENT, ["label_smoothing"])
        C.fails(ember_nll_loss(logits, x, nil, -100, "mean", &out), EMBER_ERR_DTYPE, ["ember_nll_loss", "int64 class indices"])
        C.fails(ember_smooth_l1_loss(x, t, nil, -0.5, &out), EMBER_ERR_INVALID_ARGUMENT, ["negative values for beta"])
        C.fails(ember_huber_loss(x, t, nil, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["non-positive values for delta"])
        C.fails(ember_binary_cross_entropy_with_logits(logits, t, nil, nil, nil, &out), EMBER_ERR_SHAPE, ["target size ([3])", "input size ([2, 3])"])
        let classes = C.tensor([0, 1, 1] as [Int64], [3])
        C.fails(ember_kl_div(x, classes, nil, false, &out), EMBER_ERR_DTYPE, ["integral inputs"])
        C.fails(ember_cross_entropy_ex(logits, nil, nil, -100, nil, 0, &out), EMBER_ERR_INVALID_HANDLE, ["'target' is NULL"])
        free(x, t, logits, labels, classes)
    }

    func testModulesThroughC() throws {
        // A loss module takes (input, target) through forward_multi, and a weight as a buffer.
        let c = try fixtureCase("ce_weight_ignore")
        let inputs = try XCTUnwrap(c["inputs"] as? [Any]).map { try handle($0) }
        let weight = try handle((c["constants"] as? [Any])?[0])
        var loss: OpaquePointer?
        C.ok(ember_module_new("CrossEntropyLoss", "ignore_index=2", &loss))
        C.ok(ember_module_register_buffer(loss, "weight", weight))
        var outputs = [OpaquePointer?](repeating: nil, count: 2), count: Int64 = 0
        let args: [OpaquePointer?] = inputs
        C.ok(ember_module_forward_multi(loss, args, 2, &outputs, 2, &count))
        XCTAssertEqual(count, 1)
        assertClose(C.values(outputs[0]), try FixtureTensor(c["output"]).values, rtol: 1e-10, atol: 1e-10, "CrossEntropyLoss")
        var single: OpaquePointer?
        C.fails(ember_module_forward(loss, inputs[0], &single), EMBER_ERR_INVALID_ARGUMENT, ["CrossEntropyLoss takes 2 inputs"])

        // BatchNorm2d by name: buffers by torch's names, errors naming the layer.
        var bn: OpaquePointer?
        C.ok(ember_module_new("BatchNorm2d", "3, momentum=None", &bn))
        XCTAssertEqual(ember_module_buffer_count(bn), 3)
        var nbt: OpaquePointer?
        C.ok(ember_module_buffer(bn, "num_batches_tracked", &nbt))
        let x = C.tensor([Float](repeating: 0.5, count: 24), [2, 3, 2, 2])
        var y: OpaquePointer?
        C.ok(ember_module_forward(bn, x, &y))
        var tracked: Int64 = -1
        C.ok(ember_tensor_item_int64(nbt, &tracked))
        XCTAssertEqual(tracked, 1)
        let wrong = C.tensor([Float](repeating: 0.5, count: 16), [2, 2, 2, 2])
        C.fails(ember_module_forward(bn, wrong, &single), EMBER_ERR_SHAPE, ["BatchNorm2d", "expected 3 channels", "[2, 2, 2, 2]"])
        C.fails(ember_module_new("GroupNorm", "3, 4", &single), EMBER_ERR_INVALID_ARGUMENT, ["num_channels (4) must be divisible by num_groups (3)"])
        var gelu: OpaquePointer?
        C.ok(ember_module_new("GELU", "approximate='tanh'", &gelu))
        var length = 0
        C.ok(ember_module_summary(gelu, nil, 0, &length))
        var buf = [CChar](repeating: 0, count: length + 1)
        C.ok(ember_module_summary(gelu, &buf, buf.count, &length))
        XCTAssertEqual(String(cString: buf), "GELU(approximate='tanh')")
        for m in [loss, bn, gelu] { ember_module_free(m) }
        for h in inputs + outputs { ember_tensor_free(h) }
        free(weight, nbt, x, y, wrong)
    }

    func testInitialisersThroughC() throws {
        let calls = try XCTUnwrap((try Fixtures.load("norm_loss")["init"] as? [String: Any])?["calls"] as? [[String: Any]])
        var checked = 0
        for call in calls {
            let function = try XCTUnwrap(call["function"] as? String), kw = try XCTUnwrap(call["kwargs"] as? [String: Any])
            let expected = try FixtureTensor(call["result"])
            let t = try handle(call["result"])
            C.ok(ember_tensor_set_requires_grad(t, true))
            ember_manual_seed(UInt64(try XCTUnwrap(call["seed"] as? Double)))
            let status: ember_status
            switch function {
            case "kaiming_uniform_": status = ember_init_kaiming_uniform_(t, kw["a"] as? Double ?? 0, kw["mode"] as? String, kw["nonlinearity"] as? String)
            case "kaiming_normal_": status = ember_init_kaiming_normal_(t, kw["a"] as? Double ?? 0, kw["mode"] as? String, kw["nonlinearity"] as? String)
            case "xavier_uniform_": status = ember_init_xavier_uniform_(t, kw["gain"] as? Double ?? 1)
            case "xavier_normal_": status = ember_init_xavier_normal_(t, kw["gain"] as? Double ?? 1)
            case "uniform_": status = ember_init_uniform_(t, kw["a"] as? Double ?? 0, kw["b"] as? Double ?? 1)
            case "normal_": status = ember_init_normal_(t, kw["mean"] as? Double ?? 0, kw["std"] as? Double ?? 1)
            case "eye_": status = ember_init_eye_(t)
            case "orthogonal_": status = ember_init_orthogonal_(t, kw["gain"] as? Double ?? 1)
            default: ember_tensor_free(t); continue
            }
            C.ok(status, function)
            if function == "orthogonal_" {
                let tolerance = expected.dtype == .float32 ? 2e-6 : 1e-13
                assertClose(C.values(t), expected.values, rtol: tolerance, atol: tolerance, function)
            } else {
                XCTAssertEqual(C.values(t), expected.values, function)
            }
            XCTAssertTrue(ember_tensor_is_leaf(t))
            checked += 1
            ember_tensor_free(t)
        }
        XCTAssertEqual(checked, 19)
        let t = C.tensor([Float](repeating: 0, count: 6), [2, 3])
        C.ok(ember_init_constant_(t, 0.5))
        XCTAssertEqual(C.values(t), [Double](repeating: 0.5, count: 6))
        C.ok(ember_init_ones_(t))
        C.ok(ember_init_zeros_(t))
        XCTAssertEqual(C.values(t), [Double](repeating: 0, count: 6))
        C.ok(ember_init_trunc_normal_(t, 0, 1, -0.5, 0.5))
        XCTAssertTrue(C.values(t).allSatisfy { abs($0) <= 0.5 })
        C.fails(ember_init_kaiming_normal_(t, 0, "fan_mid", nil), EMBER_ERR_INVALID_ARGUMENT, ["ember_init_kaiming_normal_", "fan_in, fan_out"])
        C.fails(ember_init_xavier_uniform_(nil, 1), EMBER_ERR_INVALID_HANDLE, ["'t' is NULL"])
        let vector = C.tensor([Float](repeating: 0, count: 3), [3])
        C.fails(ember_init_orthogonal_(vector, 1), EMBER_ERR_INVALID_ARGUMENT, ["2 or more dimensions"])
        free(t, vector)

        var gain = 0.0
        C.ok(ember_calculate_gain("relu", nil, &gain))
        XCTAssertEqual(gain, 2.0.squareRoot())
        var slope = 0.2
        C.ok(ember_calculate_gain("leaky_relu", &slope, &gain))
        XCTAssertEqual(gain, (2.0 / (1 + 0.2 * 0.2)).squareRoot())
        C.fails(ember_calculate_gain("swish", nil, &gain), EMBER_ERR_INVALID_ARGUMENT, ["unsupported nonlinearity", "tanh"])
        XCTAssertEqual(gain, 0)
        C.fails(ember_calculate_gain(nil, nil, &gain), EMBER_ERR_INVALID_ARGUMENT, ["'nonlinearity' is NULL"])
    }
}
