import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// Finite-difference gradchecks (float64) of every differentiable elementwise
/// op, with broadcasting, and second-order checks (the gradient computed with
/// create_graph, checked by finite differences) wherever the second
/// derivative is not zero.
extension ElementwiseOpsTests {
    /// A float64 leaf of `values` (or random values) that requires grad.
    func leaf(_ shape: Dims, _ make: (Double) -> Double = { $0 }, seed: UInt64 = 5) throws -> Tensor {
        GlobalGenerator.manualSeed(seed)
        let r = try Tensor.randn(shape, dtype: .float64).toDoubles().map(make)
        return try Tensor.from(r, shape: shape, dtype: .float64, requiresGrad: true)
    }

    /// gradcheck of `f`, then gradcheck of its gradient: the first derivatives
    /// (with a fixed upstream gradient, computed with create_graph) projected
    /// on fixed weights, as functions of the inputs.
    func checkBothOrders(_ inputs: [Tensor], _ what: String, file: StaticString = #filePath, line: UInt = #line,
                         _ f: @escaping ([Tensor]) throws -> Tensor) throws {
        try gradcheck(inputs, what, file: file, line: line, f)
        let shape = try f(inputs).shape
        let upstream = try Tensor.from((0..<shape.product).map { 0.3 + Double($0 % 7) * 0.2 }, shape: shape, dtype: .float64)
        try gradcheck(inputs, "d(\(what))/dx", file: file, line: line) { xs in
            let y = try f(xs)
            let grads = try Autograd.grad(outputs: [y], inputs: xs, gradOutputs: [upstream], createGraph: true, allowUnused: true)
            var total = try Tensor.zeros([], dtype: .float64)
            for (k, g) in grads.enumerated() {
                guard let g else { continue }
                let weights = try Tensor.from((0..<g.count).map { Double(($0 + k) % 5) * 0.3 - 0.5 }, shape: g.shape, dtype: .float64)
                total = try total.add(g.mul(weights).sum())
            }
            return total
        }
    }

    func testSmoothUnaryOpsGradcheckBothOrders() throws {
        let x = try leaf([3, 4])
        let positive = try leaf([3, 4], { Swift.abs($0) + 0.3 })
        let unit = try leaf([3, 4], { 0.1 + 0.8 / (1 + Double.exp(-$0)) })
        let angle = try leaf([3, 4], { Swift.max(-1.2, Swift.min(1.2, $0)) })
        let smooth: [(String, Tensor, ElementwiseOpsTests.Unary)] = [
            ("square", x, { try $0.square() }), ("expm1", x, { try $0.expm1() }), ("log1p", positive, { try $0.log1p() }),
            ("log2", positive, { try $0.log2() }), ("sqrt", positive, { try $0.sqrt() }), ("rsqrt", positive, { try $0.rsqrt() }),
            ("reciprocal", positive, { try $0.reciprocal() }), ("sin", x, { try $0.sin() }), ("cos", x, { try $0.cos() }),
            ("tan", angle, { try $0.tan() }), ("tanh", x, { try $0.tanh() }), ("sigmoid", x, { try $0.sigmoid() }),
            ("erf", x, { try $0.erf() }), ("logit", unit, { try $0.logit() }), ("logit eps", unit, { try $0.logit(eps: 0.05) }),
            ("elu", x, { try $0.elu(alpha: 0.7) }), ("selu", x, { try $0.selu() }), ("gelu", x, { try $0.gelu() }),
            ("gelu tanh", x, { try $0.gelu(approximate: .tanh) }), ("silu", x, { try $0.silu() }), ("mish", x, { try $0.mish() }),
            ("softplus", x, { try $0.softplus() }), ("softplus beta", x, { try $0.softplus(beta: 2, threshold: 1.5) }),
            ("pow 2.5", positive, { try $0.pow(2.5) }), ("pow 3", x, { try $0.pow(3) }), ("pow -1.5", positive, { try $0.pow(-1.5) }),
            ("pow 0.5", positive, { try $0.pow(0.5) }), ("2.5 ** x", x, { try Tensor.pow(2.5, $0) }),
            ("exp of transposed", x, { try $0.transpose(0, 1).exp() }), ("abs then square", x, { try $0.abs().square() }),
        ]
        for (name, input, op) in smooth { try checkBothOrders([input], name) { try op($0[0]) } }
    }

    func testPiecewiseUnaryOpsGradcheck() throws {
        // Random inputs stay clear of the kinks; the second derivative is zero.
        let x = try leaf([3, 4], { $0 * 2 })
        let piecewise: [(String, ElementwiseOpsTests.Unary)] = [
            ("abs", { try $0.abs() }), ("sign", { try $0.sign() }), ("floor", { try $0.floor() }), ("ceil", { try $0.ceil() }),
            ("round", { try $0.round() }), ("clamp", { try $0.clamp(min: -0.5, max: 0.8) }), ("clamp_min", { try $0.clamp(min: 0.1) }),
            ("clamp_max", { try $0.clamp(max: -0.2) }), ("relu6", { try $0.mul(3).relu6() }), ("hardtanh", { try $0.hardtanh() }),
            ("leaky_relu", { try $0.leakyRelu(negativeSlope: 0.3) }), ("remainder", { try $0.remainder(0.7) }),
            ("div trunc", { try $0.div(0.7, roundingMode: .trunc) }), ("masked_fill", { try $0.maskedFill($0.gt(0.5), 2) }),
        ]
        for (name, op) in piecewise { try gradcheck([x], name) { try op($0[0]) } }
    }

    func testBinaryOpsGradcheckWithBroadcasting() throws {
        let pairs: [(Dims, Dims)] = [([3, 4], [3, 4]), ([3, 1, 4], [2, 4]), ([], [2, 3]), ([2, 1], [1, 3])]
        for (sa, sb) in pairs {
            let a = try leaf(sa, seed: 1), b = try leaf(sb, seed: 2)
            let pa = try leaf(sa, { Swift.abs($0) + 0.5 }, seed: 3), nb = try leaf(sb, { $0 < 0 ? $0 - 0.5 : $0 + 0.5 }, seed: 4)
            let tag = "\(sa) \(sb)"
            try checkBothOrders([a, b], "atan2 \(tag)") { try $0[0].atan2($0[1]) }
            try checkBothOrders([pa, b], "pow \(tag)") { try $0[0].pow($0[1]) }
            try gradcheck([a, b], "lerp \(tag)") { try $0[0].lerp($0[1], weight: 0.3) }
            try gradcheck([a, nb], "remainder \(tag)") { try $0[0].remainder($0[1]) }
            try gradcheck([a, b], "maximum \(tag)") { try $0[0].maximum($0[1]) }
            try gradcheck([a, b], "minimum \(tag)") { try $0[0].minimum($0[1]) }
            try gradcheck([a, nb], "div floor \(tag)") { try $0[0].div($0[1], roundingMode: .floor) }
        }
    }

    func testTernaryOpsGradcheckWithBroadcasting() throws {
        let triples: [(Dims, Dims, Dims)] = [([3, 4], [3, 4], [3, 4]), ([3, 1, 4], [2, 4], [4]), ([], [2, 3], [])]
        for (s0, s1, s2) in triples {
            let x = try leaf(s0, seed: 6), a = try leaf(s1, seed: 7), b = try leaf(s2, seed: 8)
            let away = try leaf(s2, { $0 < 0 ? $0 - 0.5 : $0 + 0.5 }, seed: 9)
            let tag = "\(s0) \(s1) \(s2)"
            try checkBothOrders([x, a, b], "lerp tensor \(tag)") { try $0[0].lerp($0[1], weight: $0[2]) }
            try checkBothOrders([x, a, b], "addcmul \(tag)") { try $0[0].addcmul($0[1], $0[2], value: -0.6) }
            try checkBothOrders([x, a, away], "addcdiv \(tag)") { try $0[0].addcdiv($0[1], $0[2], value: 1.7) }
            let condition = try Tensor.from((0..<s1.product).map { $0 % 3 == 0 ? 1 : 0 }, shape: s1, dtype: .bool)
            try gradcheck([x, b], "where \(tag)") { try Tensor.where(condition, $0[0], $0[1]) }
            try gradcheck([x], "masked_fill \(tag)") { try $0[0].maskedFill(condition, -1) }
        }
    }

    /// d2/dx2 of x^3 is 6x, through pow's create_graph backward (the example).
    func testSecondDerivativeOfCube() throws {
        let x = try Tensor.from([-1.5, 0, 2], dtype: .float64, requiresGrad: true)
        let y = try x.pow(3).sum()
        let g = try XCTUnwrap(Autograd.grad(outputs: [y], inputs: [x], createGraph: true)[0])
        assertClose(g.toDoubles(), [6.75, 0, 12], rtol: 1e-15, atol: 0, "3x^2")   // d/dx x^3 = 3x^2
        let h = try XCTUnwrap(Autograd.grad(outputs: [g.sum()], inputs: [x])[0])
        assertClose(h.toDoubles(), [-9, 0, 12], rtol: 1e-15, atol: 0, "6x")       // d/dx 3x^2 = 6x
    }

    func testGradientsComeBackInEachInputsDtype() throws {
        let a = try Tensor.from([0.5, -1, 2], dtype: .float32, requiresGrad: true)
        let b = try Tensor.from([1, 1, -3], shape: [3], dtype: .float64, requiresGrad: true)
        let y = try a.maximum(b).add(a.atan2(b)).add(Tensor.where(a.gt(0), a, b)).sum()
        XCTAssertEqual(y.dtype, .float64)
        try y.backward()
        XCTAssertEqual(a.grad?.dtype, .float32)
        XCTAssertEqual(b.grad?.dtype, .float64)
    }

    func testFloorDivideHasNoDerivativeLikeTorch() throws {
        let a = try Tensor.from([7, -7], dtype: .float64, requiresGrad: true)
        let q = try a.floorDivide(2)
        XCTAssertEqual(q.toDoubles(), [3, -4])
        XCTAssertTrue(q.requiresGrad)
        assertThrows(.state, ["floor_divide", "rounding_mode"]) { try q.sum().backward() }
        let b = try Tensor.from([2, 2], dtype: .float64, requiresGrad: true)
        assertThrows(.state, ["floor_divide"]) { try a.floorDivide(b).sum().backward() }
        // The rounding division has a zero gradient instead.
        try a.div(b, roundingMode: .floor).sum().backward()
        XCTAssertEqual(a.grad?.toDoubles(), [0, 0])
        XCTAssertEqual(b.grad?.toDoubles(), [0, 0])
    }

    func testSavedTensorsModifiedInPlaceAreDetected() throws {
        let x = try Tensor.from([0.5, 1.5], dtype: .float64, requiresGrad: true)
        let h = try x.mul(1)
        let y = try h.sigmoid()                 // saves its output
        let z = try h.erf()                     // saves its input h
        _ = try GradMode.with(false) { try y.mul_(2) }
        assertThrows(.state, ["SigmoidBackward0"]) { try y.sum().backward() }
        _ = try GradMode.with(false) { try h.add_(1) }
        assertThrows(.state, ["ErfBackward0"]) { try z.sum().backward() }
    }
}
