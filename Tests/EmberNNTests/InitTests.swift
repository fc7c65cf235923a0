import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// torch.nn.init: after the same seed, the same values as torch (bit for bit,
/// except orthogonal_'s QR, equal to rounding), the generator left in the
/// same state, and the calls usable on parameters.
final class InitTests: XCTestCase {
    /// Runs the initialiser a fixture call names, with its keyword arguments.
    func apply(_ function: String, _ t: Tensor, _ kw: [String: Any]) throws {
        func number(_ key: String, _ fallback: Double) -> Double { kw[key] as? Double ?? fallback }
        let mode = kw["mode"] as? String ?? "fan_in", nonlinearity = kw["nonlinearity"] as? String ?? "leaky_relu"
        switch function {
        case "uniform_": try Init.uniform(t, from: number("a", 0), to: number("b", 1))
        case "normal_": try Init.normal(t, mean: number("mean", 0), std: number("std", 1))
        case "constant_": try Init.constant(t, number("val", 0))
        case "zeros_": try Init.zeros(t)
        case "ones_": try Init.ones(t)
        case "eye_": try Init.eye(t)
        case "kaiming_uniform_": try Init.kaimingUniform(t, a: number("a", 0), mode: mode, nonlinearity: nonlinearity)
        case "kaiming_normal_": try Init.kaimingNormal(t, a: number("a", 0), mode: mode, nonlinearity: nonlinearity)
        case "xavier_uniform_": try Init.xavierUniform(t, gain: number("gain", 1))
        case "xavier_normal_": try Init.xavierNormal(t, gain: number("gain", 1))
        case "orthogonal_": try Init.orthogonal(t, gain: number("gain", 1))
        case "trunc_normal_": try Init.truncNormal(t, mean: number("mean", 0), std: number("std", 1), a: number("a", -2), b: number("b", 2))
        default: XCTFail("unknown initialiser \(function)")
        }
    }

    func testInitialisersMatchTorchAfterTheSameSeed() throws {
        let calls = try XCTUnwrap(try NormLossSupport.section("init")["calls"] as? [[String: Any]])
        XCTAssertEqual(calls.count, 26)
        for call in calls {
            let function = try XCTUnwrap(call["function"] as? String), seed = try XCTUnwrap(call["seed"] as? Double)
            let expected = try FixtureTensor(call["result"])
            GlobalGenerator.manualSeed(UInt64(seed))
            // A parameter, as the initialisers are used on: a leaf that requires grad.
            let t = try Tensor.zeros(expected.shape, dtype: expected.dtype, requiresGrad: true)
            try apply(function, t, try XCTUnwrap(call["kwargs"] as? [String: Any]))
            let what = "\(function) \(describe(expected.shape)) \(expected.dtype)"
            XCTAssertTrue(t.isLeaf && t.requiresGrad, what)
            switch function {
            case "orthogonal_":
                // A QR decomposition: equal to rounding (torch's LAPACK sums in another order).
                let tolerance = expected.dtype == .float32 ? 2e-6 : 1e-13
                assertClose(t.toDoubles(), expected.values, rtol: tolerance, atol: tolerance, what)
            default:
                XCTAssertEqual(t.toDoubles(), expected.values, what)
            }
            // The generator advanced exactly as torch's did.
            XCTAssertEqual(try Tensor.rand([3], dtype: .float64).toDoubles(), try FixtureTensor(call["after"]).values, "\(what): generator state")
        }
    }

    func testOrthogonalResultIsOrthogonal() throws {
        GlobalGenerator.manualSeed(3)
        for shape: Dims in [[7, 4], [4, 7], [5, 2, 3]] {
            let t = try Tensor.zeros(shape, dtype: .float64)
            try Init.orthogonal(t, gain: 2)
            let rows = shape[0], cols = t.count / rows
            let q = try t.reshape([rows, cols])
            // Q^T Q = 4 I for tall matrices, Q Q^T = 4 I for wide ones.
            let product = rows >= cols ? try q.transpose(0, 1).matmul(q) : try q.matmul(q.transpose(0, 1))
            let n = Swift.min(rows, cols)
            assertClose(product.toDoubles(), try Tensor.eye(n, dtype: .float64).mul(4).toDoubles(), rtol: 1e-12, atol: 1e-12, "\(shape)")
        }
    }

    func testCalculateGainMatchesTorch() throws {
        for (name, value) in try XCTUnwrap(try NormLossSupport.section("init")["gains"] as? [String: Any]) {
            let parts = name.split(separator: ":")
            let gain = try Init.calculateGain(String(parts[0]), param: parts.count > 1 ? Double(parts[1]) : nil)
            XCTAssertEqual(gain, try XCTUnwrap(value as? Double), name)
        }
        assertThrows(.invalidArgument, ["unsupported nonlinearity \"swish\"", "leaky_relu", "selu"]) { try Init.calculateGain("swish") }
    }

    func testInitialisersRecordNothingAndBumpTheVersion() throws {
        let w = try Tensor.zeros([4, 3], requiresGrad: true)
        let y = try w.mul(2).sum()
        let version = w.array.storage.version
        try Init.xavierUniform(w)
        XCTAssertNil(w.gradFn)
        XCTAssertGreaterThan(w.array.storage.version, version)
        // The graph that saved w refuses to backward now, as torch's does.
        XCTAssertNoThrow(try y.backward())  // mul by a constant saved nothing of w
        let z = try w.mul(w).sum()
        try Init.ones(w)
        assertThrows(.state, ["modified by an in-place operation"]) { try z.backward() }
        // Kaiming on an empty tensor is a no-op, as torch's.
        XCTAssertNoThrow(try Init.kaimingUniform(Tensor.zeros([0, 3])))
    }

    func testInitialisersRejectBadInput() throws {
        assertThrows(.invalidArgument, ["fan in and fan out", "fewer than 2 dimensions", "[5]"]) { try Init.kaimingNormal(Tensor.zeros([5])) }
        assertThrows(.invalidArgument, ["mode \"fan_avg\"", "fan_in, fan_out"]) { try Init.kaimingUniform(Tensor.zeros([2, 2]), mode: "fan_avg") }
        assertThrows(.invalidArgument, ["unsupported nonlinearity \"gelu\""]) { try Init.kaimingNormal(Tensor.zeros([2, 2]), nonlinearity: "gelu") }
        assertThrows(.invalidArgument, ["eye_", "2 dimensions", "[2, 2, 2]"]) { try Init.eye(Tensor.zeros([2, 2, 2])) }
        assertThrows(.invalidArgument, ["orthogonal_", "2 or more dimensions", "[3]"]) { try Init.orthogonal(Tensor.zeros([3])) }
        assertThrows(.dtype, ["uniform_", "int64"]) { try Init.uniform(Tensor.zeros([2], dtype: .int64)) }
        assertThrows(.invalidArgument, ["normal expects std >= 0.0", "-1.0"]) { try Init.normal(Tensor.zeros([2]), std: -1) }
        assertThrows(.invalidArgument, ["xavier", "fan_in + fan_out is 0", "[0, 0]"]) { try Init.xavierUniform(Tensor.zeros([0, 0])) }
        assertThrows(.invalidArgument, ["trunc_normal_", "a <= b"]) { try Init.truncNormal(Tensor.zeros([2]), a: 1, b: 0) }
        XCTAssertEqual(try Init.fans([6, 4, 3, 2]).0, 24)
        XCTAssertEqual(try Init.fans([6, 4, 3, 2]).1, 36)
    }
}
