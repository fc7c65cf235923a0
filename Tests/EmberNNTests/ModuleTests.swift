import EmberAutograd
import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

final class ModuleTests: XCTestCase {
    func seedNetwork() throws -> Sequential {
        try Sequential([try Linear(10, 5), ReLU(), try Linear(5, 2)])
    }

    func testParameterNamesAreTorchStateDictKeys() throws {
        let model = try seedNetwork()
        XCTAssertEqual(model.namedParameters().map(\.0), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertEqual(model.parameters().map(\.shape), [[5, 10], [5], [2, 5], [2]])
        XCTAssertTrue(model.parameters().allSatisfy { $0.requiresGrad && $0.isLeaf })
        let nested = try Sequential([try Sequential([try Linear(3, 3)]), try Linear(3, 1, bias: false)])
        XCTAssertEqual(nested.namedParameters().map(\.0), ["0.0.weight", "0.0.bias", "1.weight"])
        assertThrows(.invalidArgument, ["no parameter \"1.bias\"", "\"0.0.weight\"", "\"1.weight\""]) {
            try nested.parameter(named: "1.bias")
        }
    }

    func testDefaultInitialisationMatchesTorch() throws {
        let rng = try Fixtures.load("rng")
        GlobalGenerator.manualSeed(0)
        let first = try Linear(10, 5), second = try Linear(5, 2)
        XCTAssertEqual(first.weight.toDoubles(), try FixtureTensor(rng["linear_10_5_weight"]).values)
        XCTAssertEqual(first.bias!.toDoubles(), try FixtureTensor(rng["linear_10_5_bias"]).values)
        XCTAssertEqual(second.weight.toDoubles(), try FixtureTensor(rng["linear_5_2_weight"]).values)
        XCTAssertEqual(second.bias!.toDoubles(), try FixtureTensor(rng["linear_5_2_bias"]).values)
    }

    func testSharedModuleAppearsOnceInParameters() throws {
        let shared = try Linear(2, 2)
        let model = try Sequential([shared, ReLU(), shared])
        XCTAssertEqual(model.namedParameters().map(\.0), ["0.weight", "0.bias"])
        XCTAssertEqual(model.allNamedParameters().count, 4)
        XCTAssertTrue(try model.parameter(named: "2.weight") === shared.weight)
    }

    func testCyclesAreRejected() throws {
        let outer = try Sequential(), inner = try Sequential()
        try outer.append(inner)
        assertThrows(.invalidArgument, ["cycle"]) { try inner.append(outer) }
        assertThrows(.invalidArgument, ["cycle"]) { try outer.append(outer) }
        XCTAssertEqual(inner.namedChildren.count, 0)
    }

    func testTrainAndEvalReachEveryModule() throws {
        let model = try seedNetwork()
        model.eval()
        XCTAssertTrue(model.namedModules().allSatisfy { !$0.1.training })
        model.train()
        XCTAssertTrue(model.namedModules().allSatisfy { $0.1.training })
        XCTAssertEqual(model.namedModules().map(\.0), ["", "0", "1", "2"])
    }

    func testLinearShapesAndErrors() throws {
        let layer = try Linear(3, 2)
        XCTAssertEqual(try layer(try Tensor.zeros([4, 3])).shape, [4, 2])
        XCTAssertEqual(try layer(try Tensor.zeros([5, 4, 3])).shape, [5, 4, 2])
        XCTAssertEqual(try layer(try Tensor.zeros([3])).shape, [2])
        assertThrows(.shape, ["[4, 5]", "in_features = 3"]) { try layer(try Tensor.zeros([4, 5])) }
        assertThrows(.dtype, ["float64", "float32"]) { try layer(try Tensor.zeros([4, 3], dtype: .float64)) }
        assertThrows(.invalidArgument, ["-1"]) { try Linear(-1, 2) }
        XCTAssertEqual(try Linear(0, 2).bias!.toDoubles(), [0, 0])   // torch: bound 0 when fan_in is 0
    }

    func testZeroGradClearsEveryParameter() throws {
        let model = try seedNetwork()
        try Functional.crossEntropy(model(try Tensor.randn([4, 10])), try Tensor.from([0, 1, 1, 0], dtype: .int64)).backward()
        XCTAssertTrue(model.parameters().allSatisfy { $0.grad != nil })
        model.zeroGrad()
        XCTAssertTrue(model.parameters().allSatisfy { $0.grad == nil })
    }
}
