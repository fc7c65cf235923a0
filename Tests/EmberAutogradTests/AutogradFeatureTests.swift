import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// torch.autograd beyond backward: grad, higher order, hooks, custom functions, anomaly mode.
final class AutogradFeatureTests: XCTestCase {
    func vector(_ values: [Double], requiresGrad: Bool = true) throws -> Tensor {
        try Tensor.from(values, dtype: .float64, requiresGrad: requiresGrad)
    }

    func testGradReturnsWithoutTouchingGrad() throws {
        let x = try vector([1, 2, 3]), w = try vector([4, 5, 6])
        let y = try x.mul(w).sum()                          // dy/dx = w, dy/dw = x
        let grads = try Autograd.grad(outputs: [y], inputs: [x, w], retainGraph: true)
        XCTAssertEqual(grads[0]?.toDoubles(), [4, 5, 6])
        XCTAssertEqual(grads[1]?.toDoubles(), [1, 2, 3])
        XCTAssertNil(x.grad)
        XCTAssertNil(w.grad)
        // With respect to an intermediate tensor.
        let h = try x.mul(2)
        let out = try h.mul(h).sum()                        // d/dh = 2h = 4x
        XCTAssertEqual(try Autograd.grad(outputs: [out], inputs: [h])[0]?.toDoubles(), [4, 8, 12])
    }

    func testGradUnusedInputs() throws {
        let x = try vector([1]), unused = try vector([2])
        let y = try x.mul(3).sum()
        assertThrows(.state, ["input 1", "allow_unused"]) { try Autograd.grad(outputs: [y], inputs: [x, unused], retainGraph: true) }
        let grads = try Autograd.grad(outputs: [y], inputs: [x, unused], allowUnused: true)
        XCTAssertEqual(grads[0]?.toDoubles(), [3])
        XCTAssertNil(grads[1] ?? nil)
        assertThrows(.state, ["does not require grad"]) {
            try Autograd.grad(outputs: [try x.mul(2).sum()], inputs: [try self.vector([1], requiresGrad: false)])
        }
    }

    func testSeveralOutputsWithWeights() throws {
        let x = try vector([1, 2])
        let a = try x.mul(x), b = try x.mul(3)              // d/dx (a . [1, 10] + b . [2, 2]) = 2x [1, 10] + 6
        let g = try Autograd.grad(outputs: [a, b], inputs: [x],
                                  gradOutputs: [try vector([1, 10], requiresGrad: false), try vector([2, 2], requiresGrad: false)])
        XCTAssertEqual(g[0]?.toDoubles(), [8, 46])
        try Autograd.backward([try x.mul(x).sum(), try x.sum()], gradients: [nil, nil])
        XCTAssertEqual(x.grad?.toDoubles(), [3, 5])
    }

    func testSecondDerivativeOfCube() throws {
        // d/dx x^3 = 3x^2; d2/dx2 = 6x.
        let x = try vector([2, -1])
        let y = try x.mul(x).mul(x).sum()
        let g = try Autograd.grad(outputs: [y], inputs: [x], createGraph: true)[0]!
        XCTAssertEqual(g.toDoubles(), [12, 3])
        let h = try Autograd.grad(outputs: [g.sum()], inputs: [x])[0]!
        XCTAssertEqual(h.toDoubles(), [12, -6])
    }

    func testHessianVectorProduct() throws {
        // f(x) = sum(exp(A x)) with A 2x2; H = A^T diag(exp(Ax)) A; check H v against finite differences of grad.
        let a = try Tensor.from([0.5, -1.0, 2.0, 0.25], shape: [2, 2], dtype: .float64)
        let v = try vector([0.3, -0.7], requiresGrad: false)
        func gradient(_ x: Tensor) throws -> Tensor {
            try Autograd.grad(outputs: [a.matmul(x).exp().sum()], inputs: [x], createGraph: true)[0]!
        }
        let x = try vector([0.1, 0.2])
        let hv = try Autograd.grad(outputs: [gradient(x).mul(v).sum()], inputs: [x])[0]!.toDoubles()
        var numeric: [Double] = []
        let eps = 1e-6
        let plus = try gradient(try vector([0.1 + eps * 0.3, 0.2 - eps * 0.7])).toDoubles()
        let minus = try gradient(try vector([0.1 - eps * 0.3, 0.2 + eps * 0.7])).toDoubles()
        for i in 0..<2 { numeric.append((plus[i] - minus[i]) / (2 * eps)) }
        assertClose(hv, numeric, rtol: 1e-6, atol: 1e-8, "Hessian-vector product")
    }

    func testGradientPenaltyTrains() throws {
        // WGAN-GP style: penalty = (||d critic / d input|| - 1)^2 with critic(x) = w . tanh-free x*w*w,
        // minimised over w. d penalty/dw by autograd vs finite differences.
        func penalty(_ w: Tensor) throws -> Tensor {
            let input = try self.vector([0.5, -1.5, 2.0])
            let critic = try input.mul(w).mul(w).sum()                   // sum(x w^2): d/dx = w^2
            let g = try Autograd.grad(outputs: [critic], inputs: [input], createGraph: true)[0]!
            let norm = try g.mul(g).sum()                                 // ||g||^2 (kept smooth)
            return try norm.sub(1).mul(norm.sub(1))
        }
        let w = try vector([0.8, 1.1, -0.9])
        try gradcheck([w], "gradient penalty") { try penalty($0[0]) }
        // And a few SGD steps lower it.
        let start = try penalty(w).item()
        for _ in 0..<20 {
            try w.setGrad(nil)
            try penalty(w).backward()
            try GradMode.with(false) { try w.sub_(w.grad!, alpha: 0.01) }
        }
        XCTAssertLessThan(try penalty(w).item(), start * 0.5)
    }

    func testHooksObserveAndReplace() throws {
        let x = try vector([1, 2])
        var seen: [[Double]] = []
        let observe = try x.registerHook { g in seen.append(g.toDoubles()); return nil }
        let y = try x.mul(3)
        try y.registerHook { g in try g.mul(10) }                       // non-leaf: scales what flows on
        try y.sum().backward()
        XCTAssertEqual(seen, [[30, 30]])
        XCTAssertEqual(x.grad?.toDoubles(), [30, 30])
        XCTAssertTrue(x.removeHook(observe))
        XCTAssertFalse(x.removeHook(observe))
        try x.mul(1).sum().backward()
        XCTAssertEqual(seen.count, 1)
        try x.registerHook { g in try g.reshape([1, 2]) }
        assertThrows(.shape, ["hook"]) { try x.mul(1).sum().backward() }
        assertThrows(.state, ["does not require grad"]) { try self.vector([1], requiresGrad: false).registerHook { _ in nil } }
    }

    func testCustomFunctionRecordsAndDifferentiatesTwice() throws {
        let cube = Function(name: "Cube", forward: { try $0[0].mul($0[0]).mul($0[0]) },
                            backward: { g, inputs in [try g.mul(inputs[0].mul(inputs[0]).mul(3))] })
        let x = try vector([2, -3])
        let y = try cube.apply([x])
        XCTAssertEqual(y.gradFn?.name, "CubeBackward")
        XCTAssertEqual(y.toDoubles(), [8, -27])
        try gradcheck([x], "custom cube") { try cube.apply([$0[0]]) }
        let g = try Autograd.grad(outputs: [cube.apply([x]).sum()], inputs: [x], createGraph: true)[0]!
        XCTAssertEqual(try Autograd.grad(outputs: [g.sum()], inputs: [x])[0]?.toDoubles(), [12, -18])
        let wrong = Function(name: "Wrong", forward: { try $0[0].mul(2) }, backward: { g, _ in [try g.sum()] })
        assertThrows(.shape, ["Wrong", "input 0"]) { try wrong.apply([x]).sum().backward() }
    }

    func testAnomalyModeNamesTheFunction() throws {
        Autograd.detectAnomaly = true
        defer { Autograd.detectAnomaly = false }
        let x = try vector([1, 2]), z = try vector([0, 1])
        let y = try x.div(z).sum()
        assertThrows(.state, ["DivBackward0", "inf", "0th output"]) { try y.backward() }
        Autograd.detectAnomaly = false
        try x.div(z).sum().backward()                                     // off: no check
        XCTAssertTrue(x.grad!.toDoubles()[0].isInfinite)
    }
}
