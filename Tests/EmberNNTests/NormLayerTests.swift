import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// What the norm, activation, loss and init tests share: the norm_loss
/// fixture (tools/fixtures/norm_loss.py), module parity steps and a
/// first- and second-order gradcheck.
enum NormLossSupport {
    static func fixture() throws -> [String: Any] { try Fixtures.load("norm_loss") }

    static func section(_ key: String) throws -> [String: Any] {
        guard let s = try fixture()[key] as? [String: Any] else { throw EmberError.internal("norm_loss.json has no \(key)") }
        return s
    }

    /// The "constants" of a functional case (running statistics, class weights).
    static func constants(_ name: String) throws -> [Tensor] {
        let c = try XCTUnwrap(try fixture()[name] as? [String: Any], "no case \(name)")
        return try ((c["constants"] as? [Any]) ?? []).map { try FixtureTensor($0).tensor() }
    }

    /// Puts torch's state_dict into a module: parameters and buffers by name,
    /// each in the fixture's dtype (so a float32 module becomes float64, as m.double()).
    static func load(_ state: [String: Any], into m: Module) throws {
        let parameterNames = Set(m.namedParameters().map(\.0)), bufferNames = Set(m.namedBuffers().map(\.0))
        XCTAssertEqual(parameterNames.union(bufferNames), Set(state.keys), "\(m.typeName) state_dict names")
        for (name, value) in state {
            let t = try FixtureTensor(value).tensor()
            if parameterNames.contains(name) { try m.registerParameter(name, t) } else { try m.registerBuffer(name, t) }
        }
    }

    /// One forward and backward of `m` as a fixture step records it: the
    /// output, and the gradients of the input and of every parameter.
    static func checkStep(_ m: Module, _ step: [String: Any], rtol: Double, atol: Double, _ what: String,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        m.zeroGrad()
        let x = try FixtureTensor(step["input"]).tensor(requiresGrad: true)
        let y = try m(x)
        let expected = try FixtureTensor(step["output"])
        XCTAssertEqual(y.shape, expected.shape, "\(what) shape", file: file, line: line)
        assertClose(y.toDoubles(), expected.values, rtol: rtol, atol: atol, "\(what) output", file: file, line: line)
        try y.backward(try FixtureTensor(step["upstream"]).tensor())
        assertClose(try XCTUnwrap(x.grad).toDoubles(), try FixtureTensor(step["input_grad"]).values, rtol: rtol, atol: atol,
                    "\(what) input grad", file: file, line: line)
        let grads = step["param_grads"] as? [String: Any] ?? [:]
        XCTAssertEqual(Set(grads.keys), Set(m.namedParameters().map(\.0)), "\(what) parameters", file: file, line: line)
        for (name, g) in grads {
            assertClose(try XCTUnwrap(m.parameter(named: name).grad, "\(what) \(name) grad").toDoubles(), try FixtureTensor(g).values,
                        rtol: rtol, atol: atol, "\(what) \(name) grad", file: file, line: line)
        }
    }

    /// A float64 leaf of seeded normal samples mapped through `make`, requiring grad.
    static func leaf(_ shape: Dims, seed: UInt64, _ make: (Double) -> Double = { $0 }) throws -> Tensor {
        GlobalGenerator.manualSeed(seed)
        let values = try Tensor.randn(shape, dtype: .float64).toDoubles().map(make)
        return try Tensor.from(values, shape: shape, dtype: .float64, requiresGrad: true)
    }

    /// gradcheck of `f`, then gradcheck of its gradient (computed with
    /// create_graph for a fixed upstream gradient, projected on fixed weights).
    static func checkBothOrders(_ inputs: [Tensor], _ what: String, file: StaticString = #filePath, line: UInt = #line,
                                _ f: @escaping ([Tensor]) throws -> Tensor) throws {
        try gradcheck(inputs, what, file: file, line: line, f)
        let shape = try f(inputs).shape
        let upstream = try Tensor.from((0..<shape.product).map { 0.3 + Double($0 % 7) * 0.2 }, shape: shape, dtype: .float64)
        try gradcheck(inputs, "d(\(what))/dx", file: file, line: line) { xs in
            let grads = try Autograd.grad(outputs: [f(xs)], inputs: xs, gradOutputs: [upstream], createGraph: true, allowUnused: true)
            var total = try Tensor.zeros([], dtype: .float64)
            for (k, g) in grads.enumerated() {
                guard let g else { continue }
                let weights = try Tensor.from((0..<g.count).map { Double(($0 + k) % 5) * 0.3 - 0.5 }, shape: g.shape, dtype: .float64)
                total = try total.add(g.mul(weights).sum())
            }
            return total
        }
    }
}

/// BatchNorm1d/2d and GroupNorm, and their functional forms, against torch.
final class NormLayerTests: XCTestCase {
    // MARK: - Functional

    func testBatchNormTrainingMatchesTorch() throws {
        for (name, eps, tolerance) in [("bn_train_2d", 1e-5, 1e-10), ("bn_train_3d", 1e-3, 1e-10), ("bn_train_4d", 1e-5, 1e-10),
                                       ("bn_train_noaffine", 1e-5, 1e-10), ("bn_train_f32", 1e-5, 1e-5)] {
            try checkAgainstTorch("norm_loss", name, rtol: tolerance, atol: tolerance) { x in
                try x[0].batchNorm(runningMean: nil, runningVar: nil, weight: x.count > 1 ? x[1] : nil, bias: x.count > 2 ? x[2] : nil,
                                   training: true, eps: eps)
            }
        }
    }

    func testBatchNormEvalUsesRunningStatistics() throws {
        for (name, eps, tolerance) in [("bn_eval", 1e-5, 1e-10), ("bn_eval_f32", 1e-3, 1e-5)] {
            let stats = try NormLossSupport.constants(name)
            try checkAgainstTorch("norm_loss", name, rtol: tolerance, atol: tolerance) { x in
                try Functional.batchNorm(x[0], runningMean: stats[0], runningVar: stats[1], weight: x[1], bias: x[2], eps: eps)
            }
        }
    }

    func testBatchNormUpdatesRunningStatisticsWithUnbiasedVariance() throws {
        let c = try TorchCase("norm_loss", "bn_running_update")
        let stats = try NormLossSupport.constants("bn_running_update")
        let after = try XCTUnwrap((try NormLossSupport.fixture()["bn_running_update"] as? [String: Any])?["after"] as? [Any])
        let y = try c.inputs[0].tensor().batchNorm(runningMean: stats[0], runningVar: stats[1], training: true, momentum: 0.3)
        assertClose(y.toDoubles(), c.output.values, rtol: 1e-10, atol: 1e-10, "output")
        assertClose(stats[0].toDoubles(), try FixtureTensor(after[0]).values, rtol: 1e-12, atol: 1e-12, "running_mean")
        assertClose(stats[1].toDoubles(), try FixtureTensor(after[1]).values, rtol: 1e-12, atol: 1e-12, "running_var")
        // In eval mode they are read, not written.
        let before = stats[0].toDoubles()
        _ = try c.inputs[0].tensor().batchNorm(runningMean: stats[0], runningVar: stats[1], training: false)
        XCTAssertEqual(stats[0].toDoubles(), before)
    }

    func testGroupNormMatchesTorch() throws {
        for (name, groups, eps, tolerance) in [("gn_basic", 3, 1e-5, 1e-10), ("gn_4d", 2, 1e-4, 1e-10), ("gn_2d_noaffine", 2, 1e-5, 1e-10),
                                               ("gn_one_group", 1, 1e-5, 1e-10), ("gn_f32", 2, 1e-5, 1e-5)] {
            try checkAgainstTorch("norm_loss", name, rtol: tolerance, atol: tolerance) { x in
                try Functional.groupNorm(x[0], numGroups: groups, weight: x.count > 1 ? x[1] : nil, bias: x.count > 2 ? x[2] : nil, eps: eps)
            }
        }
    }

    func testBatchNormGradcheckBothOrders() throws {
        let x = try NormLossSupport.leaf([4, 3, 2], seed: 1)
        let w = try NormLossSupport.leaf([3], seed: 2), b = try NormLossSupport.leaf([3], seed: 3)
        try NormLossSupport.checkBothOrders([x, w, b], "batch_norm training") { v in
            try v[0].batchNorm(runningMean: nil, runningVar: nil, weight: v[1], bias: v[2], training: true)
        }
        try NormLossSupport.checkBothOrders([x], "batch_norm training without affine") { v in
            try v[0].batchNorm(runningMean: nil, runningVar: nil, training: true, eps: 1e-3)
        }
        let mean = try Tensor.from([0.1, -0.2, 0.3], dtype: .float64), variance = try Tensor.from([0.5, 1.5, 2.0], dtype: .float64)
        // Eval mode is linear in x: its second derivative is the weight/input cross term only.
        try NormLossSupport.checkBothOrders([x, w, b], "batch_norm eval") { v in
            try v[0].batchNorm(runningMean: mean, runningVar: variance, weight: v[1], bias: v[2], training: false)
        }
    }

    func testEmptyBatchesLeaveRunningStatisticsAlone() throws {
        let x = try Tensor.zeros([0, 3], requiresGrad: true), w = try Tensor.ones([3], requiresGrad: true)
        let mean = try Tensor.zeros([3]), variance = try Tensor.ones([3])
        let y = try x.batchNorm(runningMean: mean, runningVar: variance, weight: w, training: true)
        XCTAssertEqual(y.shape, [0, 3])
        try y.sum().backward()
        XCTAssertEqual(w.grad?.toDoubles(), [0, 0, 0])
        XCTAssertEqual(x.grad?.shape, [0, 3])
        XCTAssertEqual(mean.toDoubles(), [0, 0, 0])
        XCTAssertEqual(variance.toDoubles(), [1, 1, 1])
        XCTAssertEqual(try Tensor.zeros([0, 4, 2]).groupNorm(numGroups: 2).shape, [0, 4, 2])
    }

    func testGroupNormGradcheckBothOrders() throws {
        let x = try NormLossSupport.leaf([2, 4, 3], seed: 4)
        let w = try NormLossSupport.leaf([4], seed: 5), b = try NormLossSupport.leaf([4], seed: 6)
        try NormLossSupport.checkBothOrders([x, w, b], "group_norm") { v in try v[0].groupNorm(numGroups: 2, weight: v[1], bias: v[2]) }
        try NormLossSupport.checkBothOrders([x], "group_norm one group") { v in try v[0].groupNorm(numGroups: 1) }
    }

    func testFusedAndComposedBackwardsAgree() throws {
        // The no-graph kernel (plain backward) and the differentiable formula (create_graph) give the same gradients.
        let x = try NormLossSupport.leaf([5, 3, 4], seed: 7), w = try NormLossSupport.leaf([3], seed: 8)
        for (name, f) in [("batch", { (v: [Tensor]) in try v[0].batchNorm(runningMean: nil, runningVar: nil, weight: v[1], training: true) }),
                          ("group", { (v: [Tensor]) in try v[0].groupNorm(numGroups: 3, weight: v[1]) })] {
            let upstream = try NormLossSupport.leaf([5, 3, 4], seed: 9).detach()
            let fused = try Autograd.grad(outputs: [f([x, w])], inputs: [x, w], gradOutputs: [upstream])
            let composed = try Autograd.grad(outputs: [f([x, w])], inputs: [x, w], gradOutputs: [upstream], createGraph: true)
            for i in 0..<2 {
                assertClose(try XCTUnwrap(fused[i]).toDoubles(), try XCTUnwrap(composed[i]).toDoubles(), rtol: 1e-10, atol: 1e-12, "\(name) \(i)")
            }
        }
    }

    // MARK: - Modules

    func testStatefulModulesMatchTorchOverTrainingAndEvalSteps() throws {
        for (name, value) in try NormLossSupport.section("stateful") {
            let c = try XCTUnwrap(value as? [String: Any])
            let type = try XCTUnwrap(c["type"] as? String), args = try XCTUnwrap(c["args"] as? String)
            for (suffix, tolerance) in [("f32", 2e-5), ("f64", 1e-10)] {
                let run = try XCTUnwrap(c[suffix] as? [String: Any])
                let m = try ModuleRegistry.make(type, args)
                try NormLossSupport.load(try XCTUnwrap(run["state"] as? [String: Any]), into: m)
                for (i, step) in try XCTUnwrap(run["steps"] as? [[String: Any]]).enumerated() {
                    m.train(step["mode"] as? String == "train")
                    try NormLossSupport.checkStep(m, step, rtol: tolerance, atol: tolerance, "\(name) \(suffix) step \(i)")
                }
                // Running statistics and num_batches_tracked after the steps.
                for (key, expected) in try XCTUnwrap(run["final_state"] as? [String: Any]) {
                    let actual = try m.namedBuffers().first { $0.0 == key }?.1 ?? m.parameter(named: key)
                    assertClose(actual.toDoubles(), try FixtureTensor(expected).values, rtol: tolerance, atol: tolerance,
                                "\(name) \(suffix) final \(key)")
                }
            }
        }
    }

    func testBatchNormParametersBuffersAndDefaults() throws {
        let bn = try BatchNorm2d(3)
        XCTAssertEqual(bn.namedParameters().map(\.0), ["weight", "bias"])
        XCTAssertEqual(bn.namedBuffers().map(\.0), ["running_mean", "running_var", "num_batches_tracked"])
        XCTAssertEqual(bn.numBatchesTracked?.dtype, .int64)
        XCTAssertEqual(bn.numBatchesTracked?.shape, [])
        XCTAssertTrue(try BatchNorm1d(3, trackRunningStats: false).namedBuffers().isEmpty)
        XCTAssertTrue(try BatchNorm1d(3, affine: false).namedParameters().isEmpty)
        XCTAssertEqual(try BatchNorm1d(3, bias: false).namedParameters().map(\.0), ["weight"])
        // Eval mode leaves the statistics alone; training counts batches.
        let x = try Tensor.randn([4, 3, 2, 2])
        bn.eval()
        _ = try bn(x)
        XCTAssertEqual(try bn.numBatchesTracked?.item(), 0)
        XCTAssertEqual(bn.runningMean?.toDoubles(), [0, 0, 0])
        bn.train()
        _ = try bn(x)
        _ = try bn(x)
        XCTAssertEqual(try bn.numBatchesTracked?.item(), 2)
        XCTAssertNotEqual(bn.runningMean?.toDoubles(), [0, 0, 0])
        try bn.resetParameters()
        XCTAssertEqual(try bn.numBatchesTracked?.item(), 0)
        XCTAssertEqual(bn.runningVar?.toDoubles(), [1, 1, 1])
    }

    func testDefaultInitialisationDrawsNothingAndMatchesTorch() throws {
        for (type, value) in try NormLossSupport.section("default_init") {
            let c = try XCTUnwrap(value as? [String: Any])
            GlobalGenerator.manualSeed(5)
            let m = try ModuleRegistry.make(type, try XCTUnwrap(c["args"] as? String))
            let state = try XCTUnwrap(c["state"] as? [String: Any])
            let all = m.namedParameters() + m.namedBuffers()
            XCTAssertEqual(Set(all.map(\.0)), Set(state.keys), type)
            for (name, t) in all {
                let expected = try FixtureTensor(state[name])
                XCTAssertEqual(t.dtype, expected.dtype, "\(type) \(name)")
                XCTAssertEqual(t.shape, expected.shape, "\(type) \(name)")
                XCTAssertEqual(t.toDoubles(), expected.values, "\(type) \(name)")
            }
            XCTAssertEqual(try Tensor.rand([4]).toDoubles(), try FixtureTensor(c["after"]).values, "\(type): the generator after construction")
        }
    }

    func testReprsMatchTorch() throws {
        for entry in try XCTUnwrap(try NormLossSupport.fixture()["reprs"] as? [[String: Any]]) {
            let type = try XCTUnwrap(entry["type"] as? String), args = try XCTUnwrap(entry["args"] as? String)
            XCTAssertEqual(try ModuleRegistry.make(type, args).description, entry["repr"] as? String, "\(type)(\(args))")
        }
        XCTAssertEqual(try BatchNorm1d(4, momentum: nil).description,
                       "BatchNorm1d(4, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)")
        XCTAssertEqual(try GroupNorm(2, 6, eps: 0.001).description, "GroupNorm(2, 6, eps=0.001, affine=True, bias=True)")
    }

    // MARK: - Bad input

    func testModulesRejectWrongRanksAndChannels() throws {
        assertThrows(.shape, ["BatchNorm1d", "expected 2D or 3D input", "got 4D", "[2, 3, 4, 5]"]) {
            try BatchNorm1d(3)(Tensor.zeros([2, 3, 4, 5]))
        }
        assertThrows(.shape, ["BatchNorm2d", "expected 4D input", "[2, 3, 4]"]) { try BatchNorm2d(3)(Tensor.zeros([2, 3, 4])) }
        assertThrows(.shape, ["BatchNorm2d", "expected 3 channels", "num_features", "[2, 4, 5, 5]"]) {
            try BatchNorm2d(3)(Tensor.zeros([2, 4, 5, 5]))
        }
        assertThrows(.invalidArgument, ["BatchNorm1d", "more than 1 value per channel", "[1, 3]"]) {
            try BatchNorm1d(3)(Tensor.zeros([1, 3]))
        }
        assertThrows(.dtype, ["BatchNorm1d", "int64"]) { try BatchNorm1d(3)(Tensor.zeros([2, 3], dtype: .int64)) }
        assertThrows(.dtype, ["BatchNorm1d", "running_mean is float32", "float64"]) {
            try BatchNorm1d(3)(Tensor.zeros([2, 3], dtype: .float64))
        }
        assertThrows(.shape, ["GroupNorm", "(N, 6, *)", "[2, 4, 3]"]) { try GroupNorm(2, 6)(Tensor.zeros([2, 4, 3])) }
        assertThrows(.shape, ["GroupNorm", "[5]"]) { try GroupNorm(1, 5)(Tensor.zeros([5])) }
        assertThrows(.invalidArgument, ["GroupNorm", "num_channels (4) must be divisible by num_groups (3)"]) { try GroupNorm(3, 4) }
        assertThrows(.invalidArgument, ["GroupNorm", "num_groups must be positive"]) { try GroupNorm(0, 4) }
        assertThrows(.invalidArgument, ["BatchNorm2d", "argument 'momentum' must be a number"]) {
            try ModuleRegistry.make("BatchNorm2d", "3, momentum='fast'")
        }
    }

    func testFunctionalFormsRejectBadArguments() throws {
        let x = try Tensor.randn([3, 4, 2])
        assertThrows(.shape, ["batch_norm", "running_mean should contain 4 elements", "[3, 4, 2]", "[3]"]) {
            try x.batchNorm(runningMean: Tensor.zeros([3]), runningVar: Tensor.ones([3]), training: true)
        }
        assertThrows(.shape, ["batch_norm", "weight should contain 4 elements"]) {
            try x.batchNorm(runningMean: nil, runningVar: nil, weight: Tensor.ones([3]), training: true)
        }
        assertThrows(.invalidArgument, ["batch_norm", "both be None or neither"]) {
            try x.batchNorm(runningMean: Tensor.zeros([4]), runningVar: nil, training: true)
        }
        assertThrows(.invalidArgument, ["batch_norm", "must be defined in evaluation mode"]) {
            try x.batchNorm(runningMean: nil, runningVar: nil, training: false)
        }
        assertThrows(.invalidArgument, ["batch_norm", "eps must be positive during training", "0.0"]) {
            try x.batchNorm(runningMean: nil, runningVar: nil, training: true, eps: 0)
        }
        assertThrows(.shape, ["batch_norm", "at least 2 dims", "[4]"]) {
            try Tensor.zeros([4]).batchNorm(runningMean: nil, runningVar: nil, training: true)
        }
        assertThrows(.dtype, ["batch_norm", "bias is float64", "float32"]) {
            try x.batchNorm(runningMean: nil, runningVar: nil, bias: Tensor.zeros([4], dtype: .float64), training: true)
        }
        assertThrows(.shape, ["group_norm", "divisible by num_groups", "[3, 4, 2]", "num_groups=3"]) { try x.groupNorm(numGroups: 3) }
        assertThrows(.shape, ["group_norm", "weight of shape [3]", "input of shape [3, 4, 2]"]) {
            try x.groupNorm(numGroups: 2, weight: Tensor.ones([3]))
        }
        assertThrows(.invalidArgument, ["group_norm", "num_groups must be positive", "-2"]) { try x.groupNorm(numGroups: -2) }
        assertThrows(.invalidArgument, ["group_norm", "more than 1 value per channel", "[1, 2]"]) {
            try Tensor.zeros([1, 2]).groupNorm(numGroups: 2)
        }
        assertThrows(.shape, ["group_norm", "at least 2 dimensions", "received 1"]) { try Tensor.zeros([4]).groupNorm(numGroups: 2) }
    }
}
