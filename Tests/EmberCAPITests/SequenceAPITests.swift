import CEmber
import EmberTestSupport
import Foundation
import XCTest

/// ember/sequence.h and the sequence modules from Swift as a C program uses
/// them: modules by class name with weights copied in by name, several inputs
/// and outputs (an empty tensor for a missing mask), gradients of inputs and
/// parameters against torch, the functional ops, and bad input as statuses.
final class SequenceAPITests: XCTestCase {
    /// A fixture tensor as a C tensor of its dtype (bool when `bool`).
    func cTensor(_ f: FixtureTensor, bool: Bool = false) -> OpaquePointer {
        let shape = f.shape.map { Int64($0) }
        if bool {
            var out: OpaquePointer?
            let values = f.values.map { $0 != 0 }
            C.ok(ember_tensor_from_data(values, EMBER_BOOL, shape, Int64(shape.count), &out))
            return out!
        }
        switch f.dtype {
        case .float32: return C.tensor(f.floats, shape)
        case .float64: return C.tensor(f.values, shape)
        default: return C.tensor(f.int64s, shape)
        }
    }

    func fixtureCase(_ name: String) throws -> [String: Any] {
        let all = try Fixtures.load("sequence")["modules"] as! [Any]
        return try XCTUnwrap(all.first { ($0 as! [String: Any])["name"] as? String == name } as? [String: Any], name)
    }

    /// Builds the module of a float32 case with ember_module_new, copies torch's
    /// weights in by name, runs ember_module_forward_multi and checks every
    /// output, then the gradients of the inputs and of every parameter.
    func checkModule(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = try fixtureCase(name)
        var m: OpaquePointer?
        C.ok(ember_module_new(c["type"] as? String, c["args"] as? String, &m), name, file: file, line: line)
        defer { ember_module_free(m) }
        for (pname, value) in c["weights"] as! [String: Any] {
            let w = try FixtureTensor(value)
            var p: OpaquePointer?
            C.ok(ember_module_parameter(m, pname, &p), pname, file: file, line: line)
            var floats = w.floats
            C.ok(ember_tensor_copy_from(p, &floats, floats.count * 4), pname, file: file, line: line)
            ember_tensor_free(p)
        }
        C.ok(ember_module_train(m, c["train"] as! Bool))
        let bools = c["bool_inputs"] as! [Bool]
        let inputs = try (c["inputs"] as! [Any]).enumerated().map { i, any -> OpaquePointer in
            let f = try FixtureTensor(any)
            let t = cTensor(f, bool: bools[i])
            if f.dtype == .float32 { C.ok(ember_tensor_set_requires_grad(t, true)) }
            return t
        }
        var empty: OpaquePointer?
        C.ok(ember_tensor_zeros([0], 1, EMBER_FLOAT32, &empty))
        defer { (inputs + [empty]).forEach { ember_tensor_free($0) } }
        let list: [OpaquePointer?] = (c["order"] as! [Any]).map { ($0 as? Double).map { inputs[Int($0)] } ?? empty }
        if let seed = c["seed"] as? Double { ember_manual_seed(UInt64(seed)) }
        var outputs = [OpaquePointer?](repeating: nil, count: 4)
        var count: Int64 = 0
        C.ok(ember_module_forward_multi(m, list, Int64(list.count), &outputs, 4, &count), name, file: file, line: line)
        defer { outputs.forEach { ember_tensor_free($0) } }
        let expected = try (c["outputs"] as! [Any]).map { try FixtureTensor($0) }
        let upstreams = try (c["upstreams"] as! [Any]).map { try FixtureTensor($0) }
        XCTAssertEqual(count, Int64(expected.count), "\(name) outputs", file: file, line: line)
        var loss: OpaquePointer?
        for i in 0..<min(Int(count), expected.count) {
            XCTAssertEqual(C.shape(outputs[i]), expected[i].shape.map { Int64($0) }, "\(name) output \(i)", file: file, line: line)
            assertClose(C.values(outputs[i]), expected[i].values, rtol: 1e-4, atol: 1e-5, "\(name) output \(i)", file: file, line: line)
            let u = cTensor(upstreams[i])
            var product, term: OpaquePointer?
            C.ok(ember_mul(outputs[i], u, &product))
            C.ok(ember_sum(product, &term))
            if let previous = loss {
                var total: OpaquePointer?
                C.ok(ember_add(previous, term, &total))
                ember_tensor_free(previous)
                ember_tensor_free(term)
                loss = total
            } else {
                loss = term
            }
            ember_tensor_free(u)
            ember_tensor_free(product)
        }
        defer { ember_tensor_free(loss) }
        C.ok(ember_tensor_backward(loss, nil), "\(name) backward", file: file, line: line)
        for (i, g) in (c["input_grads"] as! [Any]).enumerated() where !(g is NSNull) {
            var grad: OpaquePointer?
            C.ok(ember_tensor_grad(inputs[i], &grad))
            XCTAssertNotNil(grad, "\(name) input \(i) grad", file: file, line: line)
            assertClose(C.values(grad), try FixtureTensor(g).values, rtol: 1e-4, atol: 1e-5, "\(name) input \(i) grad", file: file, line: line)
            ember_tensor_free(grad)
        }
        for (pname, g) in c["param_grads"] as! [String: Any] where !(g is NSNull) {
            var p, grad: OpaquePointer?
            C.ok(ember_module_parameter(m, pname, &p))
            C.ok(ember_tensor_grad(p, &grad))
            assertClose(C.values(grad), try FixtureTensor(g).values, rtol: 1e-4, atol: 1e-5, "\(name) grad of \(pname)", file: file, line: line)
            ember_tensor_free(grad)
            ember_tensor_free(p)
        }
    }

    func testSequenceModulesThroughTheCAPI() throws {
        for name in ["lstm_2l_bidir_states_train", "gru_2l_bidir_bf_h0_train", "rnn_unbatched_h0", "lstm_3l_dropout_train",
                     "mha_bf_kv_masks", "mha_kdim_vdim_3d_mask", "mha_causal_hint", "tel_bool_masks_bf", "tel_dropout_train_bf",
                     "enc_pre_gelu_causal_bf", "enc_post_norm_kpm", "embedding_padding", "layernorm_2d", "dropout_train"] {
            try checkModule(name)
        }
    }

    /// Runs a C op on a functional case's inputs and checks its output and input gradients.
    func checkFunctional(_ name: String, tolerance: Double, boolLast: Bool = false, file: StaticString = #filePath, line: UInt = #line,
                         _ op: ([OpaquePointer], inout OpaquePointer?) -> ember_status) throws {
        let c = try TorchCase("sequence", name)
        let xs = c.inputs.enumerated().map { i, f -> OpaquePointer in
            let t = cTensor(f, bool: boolLast && i == c.inputs.count - 1)
            if f.dtype.isFloatingPoint { C.ok(ember_tensor_set_requires_grad(t, true)) }
            return t
        }
        defer { xs.forEach { ember_tensor_free($0) } }
        var y: OpaquePointer?
        C.ok(op(xs, &y), name, file: file, line: line)
        defer { ember_tensor_free(y) }
        XCTAssertEqual(C.shape(y), c.output.shape.map { Int64($0) }, "\(name) shape", file: file, line: line)
        assertClose(C.values(y), c.output.values, rtol: tolerance, atol: tolerance, "\(name)", file: file, line: line)
        guard let upstream = c.upstream else { return }
        let u = cTensor(upstream)
        defer { ember_tensor_free(u) }
        C.ok(ember_tensor_backward(y, u), file: file, line: line)
        for (i, g) in c.grads.enumerated() {
            guard let g else { continue }
            var grad: OpaquePointer?
            C.ok(ember_tensor_grad(xs[i], &grad))
            assertClose(C.values(grad), g.values, rtol: tolerance, atol: tolerance, "\(name) grad \(i)", file: file, line: line)
            ember_tensor_free(grad)
        }
    }

    func testFunctionalOpsMatchTorch() throws {
        try checkFunctional("layer_norm_2d_f64", tolerance: 1e-10) { x, out in ember_layer_norm(x[0], [3, 4], 2, x[1], x[2], 1e-5, &out) }
        try checkFunctional("layer_norm_noaffine_f64", tolerance: 1e-10) { x, out in ember_layer_norm(x[0], [6], 1, nil, nil, 1e-5, &out) }
        try checkFunctional("embedding_f64", tolerance: 1e-12) { x, out in ember_embedding(x[1], x[0], &out) }
        try checkFunctional("embedding_padding_f64", tolerance: 1e-12) { x, out in ember_embedding_padding_idx(x[1], x[0], 4, &out) }
        try checkFunctional("sdpa_float_mask_f64", tolerance: 1e-10) { x, out in
            ember_scaled_dot_product_attention(x[0], x[1], x[2], x[3], 0, false, &out)
        }
        try checkFunctional("sdpa_bool_mask_f64", tolerance: 1e-10, boolLast: true) { x, out in
            ember_scaled_dot_product_attention(x[0], x[1], x[2], x[3], 0, false, &out)
        }
        try checkFunctional("sdpa_causal_f64", tolerance: 1e-10) { x, out in
            ember_scaled_dot_product_attention(x[0], x[1], x[2], nil, 0, true, &out)
        }
        try checkFunctional("sdpa_scale_f32", tolerance: 1e-5) { x, out in
            ember_scaled_dot_product_attention_scale(x[0], x[1], x[2], nil, 0, false, 0.3, &out)
        }
    }

    func testDropoutAndCausalMask() throws {
        let c = (try Fixtures.load("sequence")["dropout"] as! [Any]).map { $0 as! [String: Any] }.first { $0["name"] as? String == "f32" }!
        let x = cTensor(try FixtureTensor(c["base"]))
        defer { ember_tensor_free(x) }
        ember_manual_seed(UInt64(c["seed"] as! Double))
        var y: OpaquePointer?
        C.ok(ember_dropout(x, c["p"] as! Double, true, &y))
        XCTAssertEqual(C.values(y), try FixtureTensor(c["output"]).values)
        ember_tensor_free(y)
        C.ok(ember_dropout(x, 0.5, false, &y))
        XCTAssertEqual(C.values(y), C.values(x))
        ember_tensor_free(y)

        var mask: OpaquePointer?
        C.ok(ember_generate_square_subsequent_mask(3, EMBER_FLOAT32, &mask))
        XCTAssertEqual(C.values(mask), [0, -.infinity, -.infinity, 0, 0, -.infinity, 0, 0, 0])
        XCTAssertEqual(ember_tensor_dtype(mask), EMBER_FLOAT32)
        ember_tensor_free(mask)
        C.ok(ember_generate_square_subsequent_mask(2, EMBER_BOOL, &mask))
        XCTAssertEqual(C.values(mask), [0, 1, 0, 0])
        ember_tensor_free(mask)
    }

    func testBadInputIsAStatusWithAMessage() throws {
        let weight = C.tensor([Float](repeating: 0.5, count: 12), [4, 3])
        let indices = C.tensor([Int64(1), 7], [2])
        let floats = C.tensor([Float(1), 2], [2])
        defer { [weight, indices, floats].forEach { ember_tensor_free($0) } }
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_embedding(indices, weight, &out), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_embedding", "index 7 is out of range for 4 embeddings", "position [1]"])
        XCTAssertNil(out)
        C.fails(ember_embedding(floats, weight, &out), EMBER_ERR_DTYPE, ["ember_embedding", "int64", "float32"])
        let zero = C.tensor([Int64(0)], [1])
        defer { ember_tensor_free(zero) }
        C.fails(ember_embedding_padding_idx(zero, weight, 4, &out), EMBER_ERR_INVALID_ARGUMENT, ["padding_idx must be within num_embeddings"])
        C.fails(ember_embedding(nil, weight, &out), EMBER_ERR_INVALID_HANDLE, ["input"])
        C.fails(ember_layer_norm(weight, [4], 1, nil, nil, 1e-5, &out), EMBER_ERR_SHAPE, ["ember_layer_norm", "normalized_shape=[4]", "[4, 3]"])
        C.fails(ember_layer_norm(weight, nil, 1, nil, nil, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, ["normalized_shape"])
        C.fails(ember_dropout(weight, 2, true, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_dropout", "between 0 and 1"])
        C.fails(ember_scaled_dot_product_attention(weight, weight, weight, floats, 0, false, &out), EMBER_ERR_SHAPE,
                ["ember_scaled_dot_product_attention", "attn_mask of shape [2]"])
        C.fails(ember_scaled_dot_product_attention(weight, weight, weight, nil, 0, false, nil), EMBER_ERR_INVALID_ARGUMENT, ["out"])
        C.fails(ember_generate_square_subsequent_mask(-1, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, ["size"])
        C.fails(ember_generate_square_subsequent_mask(3, EMBER_INT64, &out), EMBER_ERR_DTYPE, ["int64"])
        XCTAssertNil(out)

        var m: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_module_new("MultiheadAttention", "10, 3", &m), EMBER_ERR_INVALID_ARGUMENT, ["ember_module_new", "divisible by num_heads"])
        XCTAssertNil(m)
        C.ok(ember_module_new("LSTM", "3, 4", &m))
        defer { ember_module_free(m) }
        let wrong = C.tensor([Float](repeating: 0, count: 10), [5, 1, 2])
        defer { ember_tensor_free(wrong) }
        var outputs = [OpaquePointer?](repeating: nil, count: 3)
        var count: Int64 = 7
        C.fails(ember_module_forward_multi(m, [wrong], 1, &outputs, 3, &count), EMBER_ERR_SHAPE,
                ["ember_module_forward_multi", "LSTM", "input.size(-1) must be equal to input_size. Expected 3, got 2"])
        XCTAssertEqual(count, 0)
        XCTAssertNil(outputs[0])
        var mha: OpaquePointer?
        C.ok(ember_module_new("MultiheadAttention", "4, 2", &mha))
        defer { ember_module_free(mha) }
        let x = C.tensor([Float](repeating: 0.1, count: 24), [3, 2, 4])
        let badMask = C.tensor([Float](repeating: 0, count: 6), [2, 3])
        defer { ember_tensor_free(x); ember_tensor_free(badMask) }
        var empty: OpaquePointer?
        C.ok(ember_tensor_zeros([0], 1, EMBER_FLOAT32, &empty))
        defer { ember_tensor_free(empty) }
        C.fails(ember_module_forward_multi(mha, [x, x, x, empty, badMask], 5, &outputs, 3, &count), EMBER_ERR_SHAPE,
                ["ember_module_forward_multi", "MultiheadAttention", "2D attn_mask is [2, 3]", "(3, 3)"])
        C.fails(ember_module_forward_multi(mha, [x, x, x, nil, badMask], 5, &outputs, 3, &count), EMBER_ERR_INVALID_HANDLE, ["inputs"])
    }
}
