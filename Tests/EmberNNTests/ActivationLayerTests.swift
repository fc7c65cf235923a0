import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// The activation modules against torch: made by class name and torch's
/// arguments, output and input gradient in float32 and float64, repr.
final class ActivationLayerTests: XCTestCase {
    func testActivationModulesMatchTorch() throws {
        for (name, value) in try NormLossSupport.section("activations") {
            let c = try XCTUnwrap(value as? [String: Any])
            let type = try XCTUnwrap(c["type"] as? String), args = try XCTUnwrap(c["args"] as? String)
            let m = try ModuleRegistry.make(type, args)
            XCTAssertEqual(m.description, c["repr"] as? String, name)
            XCTAssertTrue(m.namedParameters().isEmpty, name)
            for (suffix, tolerance) in [("f32", 1e-6), ("f64", 1e-12)] {
                try NormLossSupport.checkStep(m, try XCTUnwrap(c[suffix] as? [String: Any]), rtol: tolerance, atol: tolerance, "\(name) \(suffix)")
            }
        }
    }

    func testSwiftConstructorsGiveTorchsReprs() throws {
        let cases: [(Module, String)] = [
            (LeakyReLU(), "LeakyReLU(negative_slope=0.01)"), (LeakyReLU(negativeSlope: 0.2, inplace: true), "LeakyReLU(negative_slope=0.2, inplace=True)"),
            (ELU(), "ELU(alpha=1.0)"), (SELU(), "SELU()"), (GELU(approximate: .tanh), "GELU(approximate='tanh')"), (SiLU(), "SiLU()"),
            (Mish(inplace: true), "Mish(inplace=True)"), (Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
            (try Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"), (ReLU6(), "ReLU6()"), (Sigmoid(), "Sigmoid()"), (Tanh(), "Tanh()"),
            (Softmax(), "Softmax(dim=None)"), (LogSoftmax(dim: 1), "LogSoftmax(dim=1)"),
        ]
        for (m, repr) in cases { XCTAssertEqual(m.description, repr) }
    }

    func testSoftmaxWithoutDimUsesTorchsLegacyChoice() throws {
        GlobalGenerator.manualSeed(11)
        for shape: Dims in [[5], [3, 4], [2, 3, 4], [2, 3, 2, 2]] {
            let x = try Tensor.randn(shape)
            let dim = shape.count == 1 || shape.count == 3 ? 0 : 1
            XCTAssertEqual(try Softmax()(x).toDoubles(), try x.softmax(dim: dim).toDoubles(), "\(shape)")
            XCTAssertEqual(try LogSoftmax()(x).toDoubles(), try x.logSoftmax(dim: dim).toDoubles(), "\(shape)")
        }
    }

    func testInplaceLeavesTheInputUnchanged() throws {
        let x = try Tensor.from([-1, 0.5, 2])
        let y = try ModuleRegistry.make("LeakyReLU", "0.1, inplace=True")(x)
        XCTAssertEqual(y.toDoubles().map { ($0 * 1e6).rounded() / 1e6 }, [-0.1, 0.5, 2])
        XCTAssertEqual(x.toDoubles(), [-1, 0.5, 2])
    }

    func testBadArgumentsAndInputsNameTheLayer() throws {
        assertThrows(.invalidArgument, ["Hardtanh", "max_val (0.0) must be greater than min_val (1.0)"]) { try Hardtanh(minVal: 1, maxVal: 0) }
        assertThrows(.invalidArgument, ["GELU", "approximate", "'none', 'tanh'", "'exact'"]) {
            try ModuleRegistry.make("GELU", "approximate='exact'")
        }
        assertThrows(.invalidArgument, ["Softmax", "dim", "an integer"]) { try ModuleRegistry.make("Softmax", "dim=1.5") }
        let ints = try Tensor.from([1, 2], dtype: .int64)
        assertThrows(.dtype, ["LeakyReLU"]) { try LeakyReLU()(ints) }
        assertThrows(.dtype, ["GELU"]) { try GELU()(ints) }
        assertThrows(.invalidArgument, ["Softmax", "dim"]) { try Softmax(dim: 3)(Tensor.zeros([2, 2])) }
        assertThrows(.invalidArgument, ["Sigmoid takes at most 0 positional arguments"]) { try ModuleRegistry.make("Sigmoid", "1") }
    }
}
