import EmberAutograd
import EmberNN
import EmberOptim
import EmberTensor
import EmberTestSupport
import XCTest

final class SGDTests: XCTestCase {
    func model(_ fixture: [String: Any]) throws -> Sequential {
        let m = try Sequential([try Linear(4, 6, dtype: .float64), ReLU(), try Linear(6, 3, dtype: .float64)])
        for (name, value) in fixture["init"] as! [String: Any] {
            try m.parameter(named: name).copyValues(from: try FixtureTensor(value).tensor().array)
        }
        return m
    }

    /// Trajectories of torch.optim.SGD for each option combination (float64, 25 steps).
    func testTrajectoriesMatchTorch() throws {
        let f = try Fixtures.load("sgd")
        let x = try FixtureTensor(f["x"]).tensor(), y = try FixtureTensor(f["y"]).tensor()
        let steps = Int(f["steps"] as! Double), lr = f["lr"] as! Double
        for name in ["plain", "momentum", "momentum_dampening", "nesterov", "weight_decay", "all", "maximize"] {
            let c = f[name] as! [String: Any]
            let m = try model(f)
            let opt = try SGD(parameters: m.parameters(), lr: lr)
            for (option, value) in c["options"] as! [String: Any] { try opt.set(option, value as! Double) }
            var losses: [Double] = []
            for _ in 0..<steps {
                opt.zeroGrad()
                let loss = try Functional.crossEntropy(m(x), y)
                try loss.backward()
                try opt.step()
                losses.append(try loss.item())
            }
            assertClose(losses, (c["losses"] as! [Any]).map { $0 as! Double }, rtol: 1e-9, atol: 1e-12, "\(name) losses")
            for (param, value) in c["params"] as! [String: Any] {
                assertClose(try m.parameter(named: param).toDoubles(), try FixtureTensor(value).values, rtol: 1e-9, atol: 1e-12,
                            "\(name) \(param)")
            }
        }
    }

    func testOptionsByNameAndTheirErrors() throws {
        let m = try Sequential([try Linear(2, 2)])
        let opt = try SGD(parameters: m.parameters(), lr: 0.1)
        XCTAssertEqual(try opt.get("lr"), 0.1)
        XCTAssertEqual(try opt.get("momentum"), 0)
        try opt.set("momentum", 0.9)
        XCTAssertEqual(try opt.get("momentum"), 0.9)
        assertThrows(.invalidArgument, ["no option \"betas\"", "lr, momentum, dampening, weight_decay, nesterov, maximize"]) {
            try opt.set("betas", 0.9)
        }
        assertThrows(.invalidArgument, ["invalid learning rate: -1"]) { try opt.set("lr", -1) }
        assertThrows(.invalidArgument, ["momentum"]) { try opt.set("momentum", -0.5) }
        assertThrows(.invalidArgument, ["weight_decay"]) { try opt.set("weight_decay", -0.1) }
        assertThrows(.invalidArgument, ["boolean"]) { try opt.set("nesterov", 0.5) }
        XCTAssertEqual(try opt.get("momentum"), 0.9)          // unchanged by the failures
        assertThrows(.invalidArgument, ["invalid learning rate"]) { try SGD(parameters: [], lr: -0.01) }
    }

    func testNesterovWithoutMomentumFailsAtStepAndChangesNothing() throws {
        let m = try Sequential([try Linear(2, 1)])
        let opt = try SGD(parameters: m.parameters(), lr: 0.1)
        try opt.set("nesterov", 1)
        try m(try Tensor.ones([1, 2])).sum().backward()
        let before = m.parameters().map { $0.toDoubles() }
        assertThrows(.invalidArgument, ["Nesterov", "momentum"]) { try opt.step() }
        XCTAssertEqual(m.parameters().map { $0.toDoubles() }, before)
    }

    /// Options are parsed and validated once per change, not per step: a
    /// change between steps must still take effect, and a group that fails
    /// validation must fail at every step until it is mended.
    func testOptionChangesBetweenStepsTakeEffect() throws {
        let w = try Tensor.from([1, 2], dtype: .float64, requiresGrad: true)
        let opt = try SGD(parameters: [w], lr: 0.5)
        func step() throws {
            opt.zeroGrad()
            try w.sum().backward()              // the gradient is 1 everywhere
            try opt.step()
        }
        try step()
        XCTAssertEqual(w.toDoubles(), [0.5, 1.5])
        try opt.set("lr", 0.25)
        try step()
        XCTAssertEqual(w.toDoubles(), [0.25, 1.25])
        try opt.set("nesterov", 1)              // without momentum: refused at step
        assertThrows(.invalidArgument, ["Nesterov"]) { try step() }
        assertThrows(.invalidArgument, ["Nesterov"]) { try step() }
        XCTAssertEqual(w.toDoubles(), [0.25, 1.25])
        try opt.set("momentum", 0.5)
        try step()                              // first momentum step: buf = g, d = g + m buf = 1.5
        XCTAssertEqual(w.toDoubles(), [-0.125, 0.875])
    }

    func testStepWithoutGradientsIsANoOp() throws {
        let m = try Sequential([try Linear(3, 2)])
        let opt = try SGD(parameters: m.parameters(), lr: 0.5)
        try opt.set("momentum", 0.9)
        let before = m.parameters().map { $0.toDoubles() }
        try opt.step()
        XCTAssertEqual(m.parameters().map { $0.toDoubles() }, before)
        XCTAssertTrue(opt.state.isEmpty)
    }

    func testZeroGradSetsGradsToNone() throws {
        let m = try Sequential([try Linear(3, 2)])
        let opt = try SGD(parameters: m.parameters(), lr: 0.5)
        try m(try Tensor.ones([1, 3])).sum().backward()
        opt.zeroGrad()
        XCTAssertTrue(m.parameters().allSatisfy { $0.grad == nil })
    }
}
