import EmberAutograd
import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

final class LossTests: XCTestCase {
    func fixture(_ name: String) throws -> ([Tensor], FixtureTensor, FixtureTensor, [FixtureTensor?]) {
        let c = try Fixtures.load("ops")[name] as! [String: Any]
        let inputs = try (c["inputs"] as! [Any]).map { try FixtureTensor($0) }
        let grads = try (c["grads"] as! [Any]).map { $0 is NSNull ? nil : try FixtureTensor($0) }
        return (try inputs.map { try $0.tensor(requiresGrad: $0.dtype != .int64) }, try FixtureTensor(c["output"]),
                try FixtureTensor(c["upstream"]), grads)
    }

    func checkAgainstTorch(_ name: String, rtol: Double, _ loss: ([Tensor]) throws -> Tensor) throws {
        let (inputs, output, upstream, grads) = try fixture(name)
        let y = try loss(inputs)
        XCTAssertEqual(y.shape, [])
        assertClose(y.toDoubles(), output.values, rtol: rtol, atol: rtol, name)
        try y.backward(try upstream.tensor())
        for (i, g) in grads.enumerated() {
            guard let g else { XCTAssertNil(inputs[i].grad); continue }
            assertClose(inputs[i].grad!.toDoubles(), g.values, rtol: rtol, atol: rtol, "\(name) grad \(i)")
        }
    }

    func testCrossEntropyMatchesTorch() throws {
        try checkAgainstTorch("cross_entropy", rtol: 1e-12) { try Functional.crossEntropy($0[0], $0[1]) }
        try checkAgainstTorch("cross_entropy_f32", rtol: 1e-6) { try Functional.crossEntropy($0[0], $0[1]) }
        try checkAgainstTorch("cross_entropy_unbatched", rtol: 1e-12) { try Functional.crossEntropy($0[0], $0[1]) }
    }

    func testMSELossMatchesTorch() throws {
        try checkAgainstTorch("mse_loss", rtol: 1e-12) { try Functional.mseLoss($0[0], $0[1]) }
        try checkAgainstTorch("mse_loss_f32", rtol: 1e-6) { try Functional.mseLoss($0[0], $0[1]) }
    }

    func testCrossEntropyGradcheckIncludingSecondOrder() throws {
        GlobalGenerator.manualSeed(3)
        let x = try Tensor.randn([4, 3], dtype: .float64, requiresGrad: true)
        let y = try Tensor.from([2, 0, 1, 2], dtype: .int64)
        try gradcheck([x], "cross_entropy") { try Functional.crossEntropy($0[0], y) }
        // The gradient itself is differentiable (create_graph takes the composed path).
        try gradcheck([x], "d cross_entropy / dx") { inputs in
            let z = inputs[0]
            let l = try Functional.crossEntropy(z, y)
            try z.setGrad(nil)
            try l.backward(createGraph: true)
            let g = z.grad!
            try z.setGrad(nil)
            return try g.mul(g)
        }
    }

    func testMSELossGradcheckWithBroadcasting() throws {
        GlobalGenerator.manualSeed(4)
        let a = try Tensor.randn([3, 4], dtype: .float64, requiresGrad: true)
        let b = try Tensor.randn([4], dtype: .float64, requiresGrad: true)
        try gradcheck([a, b], "mse_loss") { try Functional.mseLoss($0[0], $0[1]) }
    }

    func testCrossEntropyRejectsBadTargets() throws {
        let x = try Tensor.zeros([2, 3], requiresGrad: true)
        assertThrows(.invalidArgument, ["target 3", "3 classes", "position 1"]) {
            try Functional.crossEntropy(x, try Tensor.from([0, 3], dtype: .int64))
        }
        assertThrows(.dtype, ["int64"]) { try Functional.crossEntropy(x, try Tensor.from([0, 1], dtype: .float32)) }
        assertThrows(.shape, ["[2, 3]", "[3]"]) { try Functional.crossEntropy(x, try Tensor.from([0, 1, 2], dtype: .int64)) }
    }

    func testSeedNetworkLossAndGradientsMatchTorch() throws {
        let fixture = try Fixtures.load("seed_network")
        for (suffix, dtype, tolerance) in [("f64", DType.float64, 1e-12), ("f32", DType.float32, 1e-6)] {
            let c = fixture[suffix] as! [String: Any]
            let model = try Sequential([try Linear(10, 5, dtype: dtype), ReLU(), try Linear(5, 2, dtype: dtype)])
            for (name, value) in c["weights"] as! [String: Any] {
                try model.parameter(named: name).copyValues(from: try FixtureTensor(value).tensor().array)
            }
            let x = try FixtureTensor(c["x"]).tensor(), y = try FixtureTensor(c["y"]).tensor()
            let loss = try Functional.crossEntropy(model(x), y)
            assertClose(loss.toDoubles(), [c["loss"] as! Double], rtol: tolerance, atol: tolerance, "seed loss \(suffix)")
            try loss.backward()
            for (name, grad) in c["grads"] as! [String: Any] {
                assertClose(try model.parameter(named: name).grad!.toDoubles(), try FixtureTensor(grad).values,
                            rtol: tolerance, atol: tolerance, "seed grad \(name) \(suffix)")
            }
        }
    }
}
