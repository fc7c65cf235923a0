import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// scaled_dot_product_attention, MultiheadAttention, TransformerEncoderLayer
/// and TransformerEncoder against torch; gradchecks; masks and bad input.
final class AttentionLayerTests: XCTestCase {
    // MARK: - scaled_dot_product_attention

    func testScaledDotProductAttentionMatchesTorch() throws {
        let cases: [(String, Bool, Double?, Double)] = [
            ("sdpa_f64", false, nil, 1e-10), ("sdpa_float_mask_f64", false, nil, 1e-10), ("sdpa_bool_mask_f64", false, nil, 1e-10),
            ("sdpa_masked_row_f64", false, nil, 1e-10), ("sdpa_causal_f64", true, nil, 1e-10), ("sdpa_causal_rect_f64", true, nil, 1e-10),
            ("sdpa_scale_f32", false, 0.3, 1e-5), ("sdpa_broadcast_f64", false, nil, 1e-10),
        ]
        for (name, causal, scale, tolerance) in cases {
            try checkAgainstTorch("sequence", name, rtol: tolerance, atol: tolerance) { t in
                var mask = t.count > 3 ? t[3] : nil
                if name.contains("bool") || name.contains("masked_row") { mask = try mask?.ne(0) }
                return try Tensor.scaledDotProductAttention(query: t[0], key: t[1], value: t[2], attnMask: mask, isCausal: causal, scale: scale)
            }
        }
    }

    /// A query with every key masked gets zeros from attention (torch's
    /// scaled_dot_product_attention) but NaN from MultiheadAttention's
    /// need_weights path (torch's softmax).
    func testFullyMaskedRows() throws {
        let q = try Tensor.randn([1, 2, 4]), k = try Tensor.randn([1, 3, 4]), v = try Tensor.randn([1, 3, 4])
        let keep = try Tensor.from([1, 1, 0, 0, 0, 0], shape: [2, 3]).ne(0)
        let out = try Tensor.scaledDotProductAttention(query: q, key: k, value: v, attnMask: keep).toDoubles()
        XCTAssertEqual(Array(out[4...]), [0, 0, 0, 0])
        XCTAssertFalse(out[..<4].contains { $0.isNaN })
        let mha = try MultiheadAttention(4, 2, batchFirst: true)
        let drop = try Tensor.from([0, 0, 1, 1, 1, 1], shape: [2, 3]).ne(0)
        let (_, weights) = try mha.forward(query: q, key: k, value: v, attnMask: drop)
        XCTAssertTrue(weights!.toDoubles()[3...].allSatisfy(\.isNaN))
        let (y, none) = try mha.forward(query: q, key: k, value: v, needWeights: false, attnMask: drop)
        XCTAssertNil(none)
        XCTAssertFalse(y.toDoubles().contains { $0.isNaN })
    }

    func testAttentionGradcheckIncludingSecondOrder() throws {
        GlobalGenerator.manualSeed(11)
        let q = try Tensor.randn([2, 3, 4], dtype: .float64, requiresGrad: true)
        let k = try Tensor.randn([2, 5, 4], dtype: .float64, requiresGrad: true)
        let v = try Tensor.randn([2, 5, 3], dtype: .float64, requiresGrad: true)
        let m = try Tensor.randn([3, 5], dtype: .float64, requiresGrad: true)
        try gradcheck([q, k, v, m], "sdpa float mask") {
            try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], attnMask: $0[3])
        }
        let kc = try Tensor.randn([2, 3, 4], dtype: .float64, requiresGrad: true)
        let vc = try Tensor.randn([2, 3, 3], dtype: .float64, requiresGrad: true)
        try gradcheck([q, kc, vc], "sdpa causal") {
            try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true, scale: 0.7)
        }
        try gradcheck([q, k], "d sdpa / dq") { t in
            let y = try Tensor.scaledDotProductAttention(query: t[0], key: t[1], value: v, attnMask: m)
            let g = try Autograd.grad(outputs: [y.mul(y).sum()], inputs: [t[0]], createGraph: true)
            return g[0]!
        }
    }

    /// With the mask fixed by reseeding, attention dropout is differentiable as usual.
    func testAttentionDropoutGradcheck() throws {
        let q = try Tensor.randn([1, 3, 2], dtype: .float64, requiresGrad: true)
        let v = try Tensor.randn([1, 3, 2], dtype: .float64, requiresGrad: true)
        try gradcheck([q, v], "sdpa dropout") { t in
            GlobalGenerator.manualSeed(3)
            return try Tensor.scaledDotProductAttention(query: t[0], key: t[0], value: t[1], dropoutP: 0.3)
        }
    }

    func testScaledDotProductAttentionRejectsBadInput() throws {
        let q = try Tensor.zeros([2, 3, 4]), k = try Tensor.zeros([2, 5, 4]), v = try Tensor.zeros([2, 5, 4])
        assertThrows(.shape, ["attn_mask of shape [4, 5]", "[2, 3, 5]"]) {
            try Tensor.scaledDotProductAttention(query: q, key: k, value: v, attnMask: Tensor.zeros([4, 5]))
        }
        assertThrows(.dtype, ["attn_mask", "int64"]) {
            try Tensor.scaledDotProductAttention(query: q, key: k, value: v, attnMask: Tensor.zeros([3, 5], dtype: .int64))
        }
        assertThrows(.invalidArgument, ["attn_mask should not be set when is_causal=True"]) {
            try Tensor.scaledDotProductAttention(query: q, key: k, value: v, attnMask: Tensor.zeros([3, 5]), isCausal: true)
        }
        assertThrows(.shape, ["[2, 3, 4]", "[2, 5, 3]"]) { try Tensor.scaledDotProductAttention(query: q, key: Tensor.zeros([2, 5, 3]), value: v) }
        assertThrows(.dtype, ["float64"]) { try Tensor.scaledDotProductAttention(query: q, key: k, value: Tensor.zeros([2, 5, 4], dtype: .float64)) }
    }

    func testCausalMaskMatchesTorch() throws {
        let c = try Fixtures.load("sequence")
        for (name, size, dtype) in [("causal_mask_4", 4, DType.float32), ("causal_mask_3_f64", 3, .float64)] {
            let expected = try FixtureTensor((c[name] as! [String: Any])["output"])
            let mask = try Transformer.squareSubsequentMask(size, dtype: dtype)
            XCTAssertEqual(mask.dtype, dtype)
            XCTAssertEqual(mask.shape, expected.shape)
            XCTAssertEqual(mask.toDoubles(), expected.values)
        }
        XCTAssertEqual(try Transformer.squareSubsequentMask(3, dtype: .bool).toDoubles(), [0, 1, 1, 0, 0, 1, 0, 0, 0])
        XCTAssertTrue(try Transformer.isCausalMask(Transformer.squareSubsequentMask(5), size: 5))
        XCTAssertFalse(try Transformer.isCausalMask(Transformer.squareSubsequentMask(5), size: 4))
        XCTAssertFalse(try Transformer.isCausalMask(Tensor.zeros([5, 5]), size: 5))
    }

    // MARK: - Modules

    func testMultiheadAttentionMatchesTorch() throws {
        try checkModuleCases(types: ["MultiheadAttention"])
    }

    func testTransformerEncoderLayerMatchesTorch() throws {
        try checkModuleCases(types: ["TransformerEncoderLayer"])
    }

    func testTransformerEncoderMatchesTorch() throws {
        try checkModuleCases(types: ["TransformerEncoder"])
    }

    func testParameterNames() throws {
        let mha = try MultiheadAttention(8, 2, addBiasKV: true, kdim: 5, vdim: 6)
        XCTAssertEqual(mha.namedParameters().map(\.0), ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k",
                                                        "bias_v", "out_proj.weight", "out_proj.bias"])
        let encoder = try ModuleRegistry.make("TransformerEncoder", "8, 2, dim_feedforward=16, num_layers=2, norm=True")
        let names = encoder.namedParameters().map(\.0)
        XCTAssertEqual(names.first, "layers.0.self_attn.in_proj_weight")
        XCTAssertTrue(names.contains("layers.1.linear2.bias"))
        XCTAssertEqual(Array(names.suffix(2)), ["norm.weight", "norm.bias"])
        XCTAssertEqual(names.count, 2 * 12 + 2)
    }

    /// The encoder's layers are deep copies: equal at the start, then independent.
    func testEncoderLayersAreIndependentCopies() throws {
        GlobalGenerator.manualSeed(0)
        let layer = try TransformerEncoderLayer(8, 2, dimFeedforward: 16, dropout: 0)
        let encoder = try TransformerEncoder(layer, numLayers: 2)
        let a = try encoder.parameter(named: "layers.0.linear1.weight"), b = try encoder.parameter(named: "layers.1.linear1.weight")
        XCTAssertEqual(a.toDoubles(), b.toDoubles())
        XCTAssertEqual(a.toDoubles(), try layer.parameter(named: "linear1.weight").toDoubles())
        XCTAssertFalse(a === b)
        try a.copyValues(from: NDArray.zeros(a.shape, dtype: a.dtype))
        XCTAssertNotEqual(a.toDoubles(), b.toDoubles())
    }

    /// C passes tensors positionally: an empty tensor stands for a missing mask.
    func testEmptyTensorsStandForMissingMasks() throws {
        GlobalGenerator.manualSeed(1)
        let mha = try MultiheadAttention(8, 2)
        let x = try Tensor.randn([3, 2, 8])
        let mask = try Transformer.squareSubsequentMask(3)
        let empty = try Tensor.zeros([0])
        let a = try mha.forward([x, x, x, empty, mask])
        let (b, w) = try mha.forward(query: x, key: x, value: x, attnMask: mask)
        XCTAssertEqual(a.count, 2)
        XCTAssertEqual(a[0].toDoubles(), b.toDoubles())
        XCTAssertEqual(a[1].toDoubles(), w!.toDoubles())
        mha.needWeights = false
        XCTAssertEqual(try mha.forward([x, x, x]).count, 1)
    }

    func testAttentionRejectsBadInput() throws {
        assertThrows(.invalidArgument, ["embed_dim must be divisible by num_heads", "embed_dim=10", "num_heads=3"]) {
            try MultiheadAttention(10, 3)
        }
        assertThrows(.invalidArgument, ["MultiheadAttention", "divisible"]) { try ModuleRegistry.make("TransformerEncoderLayer", "10, 4") }
        let mha = try MultiheadAttention(8, 2)
        let x = try Tensor.zeros([3, 2, 8])
        assertThrows(.shape, ["MultiheadAttention", "2D attn_mask is [3, 4]", "(3, 3)"]) {
            try mha.forward(query: x, key: x, value: x, attnMask: Tensor.zeros([3, 4]))
        }
        assertThrows(.shape, ["MultiheadAttention", "3D attn_mask is [2, 3, 3]", "(4, 3, 3)"]) {
            try mha.forward(query: x, key: x, value: x, attnMask: Tensor.zeros([2, 3, 3]))
        }
        assertThrows(.dtype, ["MultiheadAttention", "only bool and floating types of attn_mask"]) {
            try mha.forward(query: x, key: x, value: x, attnMask: Tensor.zeros([3, 3], dtype: .int64))
        }
        assertThrows(.dtype, ["MultiheadAttention", "key_padding_mask is float64"]) {
            try mha.forward(query: x, key: x, value: x, keyPaddingMask: Tensor.zeros([2, 3], dtype: .float64))
        }
        assertThrows(.shape, ["MultiheadAttention", "key_padding_mask of shape (2, 3)", "[3, 2]"]) {
            try mha.forward(query: x, key: x, value: x, keyPaddingMask: Tensor.zeros([3, 2]))
        }
        assertThrows(.shape, ["MultiheadAttention", "embedding dimension of 8", "got 6"]) {
            let y = try Tensor.zeros([3, 2, 6])
            return try mha.forward(query: y, key: y, value: y)
        }
        assertThrows(.shape, ["MultiheadAttention", "batched (3-D) query", "2-D"]) {
            try mha.forward(query: x, key: Tensor.zeros([3, 8]), value: Tensor.zeros([3, 8]))
        }
        assertThrows(.invalidArgument, ["MultiheadAttention", "Need attn_mask", "is_causal"]) {
            try mha.forward(query: x, key: x, value: x, isCausal: true)
        }
        assertThrows(.invalidArgument, ["MultiheadAttention takes [query, key, value]", "2 inputs"]) { try mha.forward([x, x]) }
        let layer = try TransformerEncoderLayer(8, 2, dimFeedforward: 16)
        assertThrows(.shape, ["TransformerEncoderLayer", "MultiheadAttention", "2D attn_mask"]) {
            try layer.forward(x, srcMask: Tensor.zeros([2, 2]))
        }
        assertThrows(.invalidArgument, ["activation", "'relu', 'gelu'", "'tanh'"]) {
            try ModuleRegistry.make("TransformerEncoderLayer", "8, 2, activation='tanh'")
        }
        assertThrows(.invalidArgument, ["missing the required argument 'num_layers'"]) { try ModuleRegistry.make("TransformerEncoder", "8, 2") }
    }

    /// The char_transformer shape of the benchmark: pre-norm GELU layers with
    /// the causal hint; the causal path (no mask read) equals the explicit mask.
    func testCausalHintEqualsTheExplicitMask() throws {
        GlobalGenerator.manualSeed(2)
        let encoder = try ModuleRegistry.make("TransformerEncoder", "16, 4, dim_feedforward=32, dropout=0.0, activation='gelu', batch_first=True, norm_first=True, num_layers=2") as! TransformerEncoder
        let x = try Tensor.randn([3, 6, 16])
        let mask = try Transformer.squareSubsequentMask(6)
        let hinted = try encoder.forward(x, mask: mask, isCausal: true)
        let explicit = try encoder.forward(x, mask: mask, isCausal: false)
        let detected = try encoder.forward(x, mask: mask)
        assertClose(hinted.toDoubles(), explicit.toDoubles(), rtol: 1e-5, atol: 1e-6, "causal hint")
        XCTAssertEqual(hinted.toDoubles(), detected.toDoubles())
    }
}
