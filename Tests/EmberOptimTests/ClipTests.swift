import EmberAutograd
import EmberOptim
import EmberTensor
import EmberTestSupport
import Foundation
import XCTest

/// clip_grad_norm_ and clip_grad_value_ against torch (optim.json, "clipping"):
/// three parameters with gradients and one without, every norm type.
final class ClipTests: XCTestCase {
    /// Parameters whose gradients are a fixture case's "grads" (null: no gradient).
    static func parameters(_ c: [String: Any]) throws -> [Tensor] {
        try (c["grads"] as! [Any]).map { g in
            if g is NSNull { return try Tensor.zeros([5], dtype: .float64, requiresGrad: true) }
            let grad = try FixtureTensor(g).tensor()
            let p = try Tensor.zeros(grad.shape, dtype: grad.dtype, requiresGrad: true)
            try p.setGrad(grad)
            return p
        }
    }

    static func assertGrads(_ ps: [Tensor], _ c: [String: Any], _ what: String, rtol: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        for (p, e) in zip(ps, c["clipped"] as! [Any]) {
            if e is NSNull {
                XCTAssertNil(p.grad, what, file: file, line: line)
            } else {
                assertClose(try XCTUnwrap(p.grad).toDoubles(), try FixtureTensor(e).values, rtol: rtol, atol: 1e-15, what, file: file, line: line)
            }
        }
    }

    func testClipGradNormMatchesTorch() throws {
        let cases = try Fixtures.load("optim")["clipping"] as! [String: Any]
        var checked = 0
        for (name, value) in cases.sorted(by: { $0.key < $1.key }) where name.hasPrefix("norm_") {
            let c = value as! [String: Any]
            let ps = try Self.parameters(c)
            let float32 = name == "norm_float32"
            let total = try ClipGrad.clipGradNorm(ps, maxNorm: c["max_norm"] as! Double, normType: c["norm_type"] as! Double)
            let expected = c["total_norm"] as! Double
            if expected.isFinite {
                XCTAssertEqual(total, expected, accuracy: abs(expected) * (float32 ? 1e-6 : 1e-12), name)
            } else {
                XCTAssertEqual(total, expected, name)
            }
            try Self.assertGrads(ps, c, name, rtol: float32 ? 1e-6 : 1e-12)
            checked += 1
        }
        XCTAssertEqual(checked, 16)
    }

    func testClipGradValueMatchesTorch() throws {
        let c = (try Fixtures.load("optim")["clipping"] as! [String: Any])["value_0.3"] as! [String: Any]
        let ps = try Self.parameters(c)
        try ClipGrad.clipGradValue(ps, clipValue: c["clip_value"] as! Double)
        try Self.assertGrads(ps, c, "clip_grad_value_", rtol: 0)
    }

    func testNonfiniteNormsAndEdgeCases() throws {
        let c = (try Fixtures.load("optim")["clipping"] as! [String: Any])["norm_nonfinite"] as! [String: Any]
        let ps = try Self.parameters(c)
        let before = ps.map { $0.grad?.toDoubles() }
        assertThrows(.invalidArgument, ["total norm of order 2.0", "non-finite", "error_if_nonfinite=False"]) {
            try ClipGrad.clipGradNorm(ps, maxNorm: 1, errorIfNonfinite: true)
        }
        XCTAssertEqual(ps.map { $0.grad?.toDoubles() }.description, before.description)   // unchanged
        // No gradients at all: a total of 0 and nothing to clip (torch.tensor(0.0)).
        let bare = [try Tensor.zeros([3], requiresGrad: true)]
        XCTAssertEqual(try ClipGrad.clipGradNorm(bare, maxNorm: 1), 0)
        try ClipGrad.clipGradValue(bare, clipValue: 1)
        XCTAssertNil(bare[0].grad)
        assertThrows(.invalidArgument, ["norm_type", "nan"]) { try ClipGrad.clipGradNorm(ps, maxNorm: 1, normType: .nan) }
        assertThrows(.invalidArgument, ["clip_value", "nan"]) { try ClipGrad.clipGradValue(ps, clipValue: .nan) }
        // A gradient below the limit is multiplied by the clamped coefficient 1: unchanged.
        let p = try Tensor.zeros([2], dtype: .float64, requiresGrad: true)
        try p.setGrad(try Tensor.from([0.3, -0.4], dtype: .float64))
        XCTAssertEqual(try ClipGrad.clipGradNorm([p], maxNorm: 10), 0.5, accuracy: 1e-15)
        XCTAssertEqual(p.grad!.toDoubles(), [0.3, -0.4])
        // Above it: scaled to max_norm / (total + 1e-6).
        XCTAssertEqual(try ClipGrad.clipGradNorm([p], maxNorm: 0.25), 0.5, accuracy: 1e-15)
        assertClose(p.grad!.toDoubles(), [0.3 * 0.25 / (0.5 + 1e-6), -0.4 * 0.25 / (0.5 + 1e-6)], rtol: 1e-15, atol: 0)
    }
}
