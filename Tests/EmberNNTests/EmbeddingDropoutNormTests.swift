import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// Embedding, Dropout and LayerNorm: the functional ops against torch, their
/// gradchecks, torch-identical dropout masks, the modules, and bad input.
final class EmbeddingDropoutNormTests: XCTestCase {
    // MARK: - layer_norm

    func testLayerNormMatchesTorch() throws {
        let cases: [(String, Dims, String, Double)] = [
            ("layer_norm_f64", [5], "wb", 1e-10), ("layer_norm_2d_f64", [3, 4], "wb", 1e-10), ("layer_norm_noaffine_f64", [6], "", 1e-10),
            ("layer_norm_weight_only_f64", [4], "w", 1e-10), ("layer_norm_f32", [16], "wb", 1e-5), ("layer_norm_big_f32", [128], "wb", 1e-5),
        ]
        for (name, shape, affine, tolerance) in cases {
            try checkAgainstTorch("sequence", name, rtol: tolerance, atol: tolerance) { t in
                try t[0].layerNorm(normalizedShape: shape, weight: affine.contains("w") ? t[1] : nil,
                                   bias: affine.contains("b") ? t[t.count - 1] : nil)
            }
        }
    }

    func testLayerNormGradcheckIncludingSecondOrder() throws {
        GlobalGenerator.manualSeed(2)
        let x = try Tensor.randn([3, 2, 4], dtype: .float64, requiresGrad: true)
        let w = try Tensor.randn([2, 4], dtype: .float64, requiresGrad: true)
        let b = try Tensor.randn([2, 4], dtype: .float64, requiresGrad: true)
        try gradcheck([x, w, b], "layer_norm") { try $0[0].layerNorm(normalizedShape: [2, 4], weight: $0[1], bias: $0[2]) }
        try gradcheck([x], "layer_norm without affine") { try $0[0].layerNorm(normalizedShape: [4], eps: 1e-3) }
        // The gradient is differentiable again: d/dx of |d layer_norm / dx|^2 and of the weight gradient.
        try gradcheck([x, w], "d layer_norm / dx") { t in
            let y = try t[0].layerNorm(normalizedShape: [2, 4], weight: t[1], bias: b)
            let g = try Autograd.grad(outputs: [y.mul(y.add(0.5)).sum()], inputs: [t[0], t[1]], createGraph: true)
            return try g[0]!.mul(g[0]!).sum().add(g[1]!.sum())
        }
    }

    /// The fused no-graph backward equals the differentiable one.
    func testLayerNormFusedBackwardMatchesComposed() throws {
        GlobalGenerator.manualSeed(3)
        let x = try Tensor.randn([7, 33], requiresGrad: true)
        let w = try Tensor.randn([33], requiresGrad: true), b = try Tensor.randn([33], requiresGrad: true)
        let y = try x.layerNorm(normalizedShape: [33], weight: w, bias: b)
        let up = try Tensor.randn([7, 33])
        let fused = try Autograd.grad(outputs: [y], inputs: [x, w, b], gradOutputs: [up], retainGraph: true)
        let composed = try Autograd.grad(outputs: [y], inputs: [x, w, b], gradOutputs: [up], createGraph: true)
        for i in 0..<3 { assertClose(fused[i]!.toDoubles(), composed[i]!.toDoubles(), rtol: 1e-4, atol: 1e-5, "gradient \(i)") }
    }

    func testLayerNormRejectsBadShapes() throws {
        let x = try Tensor.zeros([2, 3, 4])
        assertThrows(.shape, ["normalized_shape=[3]", "[*, 3]", "[2, 3, 4]"]) { try x.layerNorm(normalizedShape: [3]) }
        assertThrows(.shape, ["weight of shape [3]", "normalized_shape = [4]"]) {
            try x.layerNorm(normalizedShape: [4], weight: Tensor.ones([3]))
        }
        assertThrows(.invalidArgument, ["at least 1-dimensional"]) { try x.layerNorm(normalizedShape: []) }
        assertThrows(.dtype, ["float64", "bias"]) { try x.layerNorm(normalizedShape: [4], bias: Tensor.zeros([4], dtype: .float64)) }
        assertThrows(.shape, ["LayerNorm", "normalized_shape=[5]"]) { try LayerNorm([5]).forward(x) }
    }

    // MARK: - embedding

    func testEmbeddingMatchesTorch() throws {
        let cases: [(String, Int?, Bool, Double)] = [("embedding_f64", nil, false, 1e-12), ("embedding_padding_f64", 4, false, 1e-12),
                                                      ("embedding_padding_negative_f32", -1, false, 1e-6), ("embedding_freq_f64", 0, true, 1e-12),
                                                      ("embedding_scalar_index_f64", nil, false, 1e-12)]
        for (name, padding, freq, tolerance) in cases {
            try checkAgainstTorch("sequence", name, rtol: tolerance, atol: tolerance) { t in
                try Tensor.embedding(t[1], weight: t[0], paddingIdx: padding, scaleGradByFreq: freq)
            }
        }
        // The padding row gets exactly no gradient.
        let w = try Tensor.randn([5, 2], requiresGrad: true)
        try Tensor.embedding(Tensor.from([4, 0, 4, 1], dtype: .int64), weight: w, paddingIdx: -1).sum().backward()
        XCTAssertEqual(Array(w.grad!.toDoubles()[8...]), [0, 0])
        XCTAssertEqual(Array(w.grad!.toDoubles()[0...1]), [1, 1])
    }

    func testEmbeddingMaxNormRenormalisesInPlaceAsTorch() throws {
        let f = try Fixtures.load("sequence")["embedding_max_norm_f64"] as! [String: Any]
        let inputs = try (f["inputs"] as! [Any]).map { try FixtureTensor($0) }
        let w = try inputs[0].tensor(requiresGrad: true), idx = try inputs[1].tensor()
        let y = try Tensor.embedding(idx, weight: w, maxNorm: 1.5)
        assertClose(y.toDoubles(), try FixtureTensor(f["output"]).values, rtol: 1e-12, atol: 1e-12, "max_norm output")
        assertClose(w.toDoubles(), try FixtureTensor(f["weight_after"]).values, rtol: 1e-12, atol: 1e-12, "max_norm weight")
        try y.backward(try FixtureTensor(f["upstream"]).tensor())
        assertClose(w.grad!.toDoubles(), try FixtureTensor((f["grads"] as! [Any])[0]).values, rtol: 1e-12, atol: 1e-12, "max_norm grad")
    }

    /// Without padding_idx and frequency scaling (which make torch's gradient
    /// deliberately not the derivative) the gradient is the derivative.
    func testEmbeddingGradcheck() throws {
        GlobalGenerator.manualSeed(4)
        let w = try Tensor.randn([6, 3], dtype: .float64, requiresGrad: true)
        let idx = try Tensor.from([1, 5, 1, 0, 2, 2], shape: [2, 3], dtype: .int64)
        try gradcheck([w], "embedding") { try Tensor.embedding(idx, weight: $0[0]).mul($0[0].sum()) }
    }

    func testEmbeddingRejectsBadIndices() throws {
        let emb = try Embedding(10, 3)
        assertThrows(.invalidArgument, ["Embedding", "index 12 is out of range", "10 embeddings", "position [1, 0]", "[2, 2]"]) {
            try emb(Tensor.from([1, 2, 12, 0], shape: [2, 2], dtype: .int64))
        }
        assertThrows(.invalidArgument, ["Embedding", "index -1"]) { try emb(Tensor.from([-1], dtype: .int64)) }
        assertThrows(.dtype, ["Embedding", "int64", "float32"]) { try emb(Tensor.from([1, 2])) }
        assertThrows(.invalidArgument, ["padding_idx must be within num_embeddings"]) { try Embedding(10, 3, paddingIdx: 10) }
        assertThrows(.invalidArgument, ["padding_idx must be within num_embeddings"]) { try ModuleRegistry.make("Embedding", "4, 2, padding_idx=-5") }
        assertThrows(.invalidArgument, ["sparse"]) { try ModuleRegistry.make("Embedding", "4, 2, sparse=True") }
        assertThrows(.shape, ["weight must be 2-D"]) { try Tensor.embedding(Tensor.from([0], dtype: .int64), weight: Tensor.zeros([3])) }
    }

    // MARK: - dropout

    /// After the same manual_seed the mask is torch's exactly, for contiguous,
    /// transposed, permuted and sliced inputs, float32 and float64; so are the gradients.
    func testDropoutMasksMatchTorchExactly() throws {
        let cases = try Fixtures.load("sequence")["dropout"] as! [Any]
        for any in cases {
            let c = any as! [String: Any]
            let name = c["name"] as! String, p = c["p"] as! Double
            let base = try FixtureTensor(c["base"]).tensor().array
            let view: NDArray
            switch c["view"] as! String {
            case "transpose": view = try base.transposed(0, 1)
            case "permute": view = try base.permuted([2, 0, 1])
            case "slice": view = try base.sliced(dim: 1, start: 0, stop: base.shape[1], step: 2)
            default: view = base
            }
            let x = Tensor(view, requiresGrad: true)
            GlobalGenerator.manualSeed(UInt64(c["seed"] as! Double))
            let y = try x.dropout(p: p, training: true)
            let expected = try FixtureTensor(c["output"])
            XCTAssertEqual(y.shape, expected.shape, name)
            // Exact: the same kept elements, scaled by the same float.
            assertClose(y.toDoubles(), expected.values, rtol: 0, atol: 0, "dropout \(name)")
            try y.backward(try FixtureTensor(c["upstream"]).tensor())
            assertClose(x.grad!.toDoubles(), try FixtureTensor(c["grad"]).values, rtol: 0, atol: 0, "dropout grad \(name)")
        }
    }

    func testDropoutIsTheIdentityWhenNotTrainingOrZero() throws {
        let x = try Tensor.randn([3, 4], requiresGrad: true)
        XCTAssertTrue(try x.dropout(p: 0.5, training: false) === x)
        XCTAssertTrue(try x.dropout(p: 0, training: true) === x)
        let layer = try Dropout(0.5)
        layer.eval()
        XCTAssertEqual(try layer(x).toDoubles(), x.toDoubles())
        layer.train()
        let y = try layer(x).toDoubles()
        XCTAssertTrue(y.enumerated().allSatisfy { $0.element == 0 || abs($0.element - 2 * x.toDoubles()[$0.offset]) < 1e-6 })
        XCTAssertTrue(y.contains(0))
        assertThrows(.invalidArgument, ["dropout probability has to be between 0 and 1, but got 1.5"]) { try x.dropout(p: 1.5) }
        assertThrows(.invalidArgument, ["Dropout", "between 0 and 1"]) { try Dropout(-0.1) }
    }

    /// Dropout with its mask fixed by reseeding is a linear map: gradcheck it.
    func testDropoutGradcheckWithAFixedMask() throws {
        let x = try Tensor.randn([4, 5], dtype: .float64, requiresGrad: true)
        try gradcheck([x], "dropout") { t in
            GlobalGenerator.manualSeed(9)
            return try t[0].dropout(p: 0.4).mul(t[0])
        }
    }

    func testInPlaceDropoutModule() throws {
        let layer = try ModuleRegistry.make("Dropout", "p=0.5, inplace=True")
        let original = try Tensor.randn([6, 6])
        let x = try original.clone()
        GlobalGenerator.manualSeed(5)
        let y = try layer(x)
        XCTAssertTrue(y === x)
        GlobalGenerator.manualSeed(5)
        XCTAssertEqual(x.toDoubles(), try original.dropout(p: 0.5).toDoubles())
        XCTAssertTrue(x.toDoubles().contains(0))
    }

    // MARK: - Modules

    func testEmbeddingLayerNormDropoutModulesMatchTorch() throws {
        try checkModuleCases(types: ["Embedding", "LayerNorm", "Dropout"])
    }

    func testEmbeddingInitialisationZeroesThePaddingRow() throws {
        GlobalGenerator.manualSeed(0)
        let emb = try Embedding(4, 3, paddingIdx: -2)
        XCTAssertEqual(emb.paddingIdx, 2)
        XCTAssertEqual(Array(emb.weight.toDoubles()[6..<9]), [0, 0, 0])
        XCTAssertEqual(emb.description, "Embedding(4, 3, padding_idx=2)")
    }
}
