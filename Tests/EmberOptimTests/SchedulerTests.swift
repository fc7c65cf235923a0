import EmberAutograd
import EmberNN
import EmberOptim
import EmberTensor
import EmberTestSupport
import Foundation
import XCTest

/// Learning-rate sequences against torch's (Tests/Fixtures/optim.json,
/// "schedulers"): an optimizer with two groups (lr 0.1 and 0.05), the rates
/// after construction and after every step, and the cycled momentum.
final class SchedulerTests: XCTestCase {
    /// The optimizer the fixtures schedule: SGD(lr 0.1, momentum 0.9) or
    /// Adam(lr 0.1) over two groups, the second with lr 0.05.
    static func optimizer(_ kind: String = "SGD") throws -> Optimizer {
        let a = try Tensor.zeros([2], requiresGrad: true), b = try Tensor.zeros([3], requiresGrad: true)
        let opt: Optimizer = kind == "Adam" ? try Adam(parameters: [a], lr: 0.1) : try SGD(parameters: [a], lr: 0.1)
        if kind == "SGD" { try opt.set("momentum", 0.9) }
        try opt.addParamGroup([b], options: ["lr": 0.05])
        return opt
    }

    static func fixture(_ name: String) throws -> [String: Any] {
        try XCTUnwrap((try Fixtures.load("optim")["schedulers"] as! [String: Any])[name] as? [String: Any], name)
    }

    static func expected(_ c: [String: Any], _ key: String = "lrs") -> [[Double]] {
        (c[key] as! [Any]).map { ($0 as! [Any]).map { $0 as! Double } }
    }

    /// Records lastLR after construction and after each step (as the fixture does).
    func record(_ opt: Optimizer, _ sched: LRScheduler, steps: Int, step: (() throws -> Void)? = nil,
                metrics: [Double]? = nil) throws -> (lrs: [[Double]], momenta: [[Double]]) {
        func momenta() throws -> [Double] {
            try (0..<opt.paramGroups.count).map { try opt.get(opt.optionNames.contains("beta1") ? "beta1" : "momentum", group: $0) }
        }
        var lrs = [sched.lastLR], mom = [try momenta()]
        for i in 0..<steps {
            if let metrics { try sched.step(metric: metrics[i]) } else if let step { try step() } else { try sched.step() }
            lrs.append(try (0..<opt.paramGroups.count).map { try opt.get("lr", group: $0) })
            mom.append(try momenta())
        }
        return (lrs, mom)
    }

    func assertSequence(_ actual: [[Double]], _ expected: [[Double]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            assertClose(a, e, rtol: 1e-12, atol: 1e-15, "\(what) step \(i)", file: file, line: line)
        }
    }

    /// Every scheduler made from torch's keyword syntax, its rates and momenta step by step.
    func testSequencesMatchTorch() throws {
        let all = try Fixtures.load("optim")["schedulers"] as! [String: Any]
        var checked = 0
        for (name, value) in all.sorted(by: { $0.key < $1.key }) {
            let c = value as! [String: Any]
            guard let type = c["type"] as? String, let args = c["args"] as? String else { continue }
            let opt = try Self.optimizer(c["optimizer"] as! String)
            let sched = try Schedulers.make(type, optimizer: opt, arguments: args)
            let metrics = (c["metrics"] as? [Any])?.map { $0 as! Double }
            let expected = Self.expected(c)
            let (lrs, momenta) = try record(opt, sched, steps: expected.count - 1, metrics: metrics)
            assertSequence(lrs, expected, name)
            if c["momentum"] != nil { assertSequence(momenta, Self.expected(c, "momentum"), "\(name) momentum") }
            checked += 1
        }
        XCTAssertEqual(checked, 19)
    }

    /// The typed initialisers give the same sequences as torch.
    func testTypedInitialisersMatchTorch() throws {
        let cases: [(String, (Optimizer) throws -> LRScheduler)] = [
            ("steplr", { try StepLR(optimizer: $0, stepSize: 7, gamma: 0.5) }),
            ("multisteplr", { try MultiStepLR(optimizer: $0, milestones: [30, 12, 5, 12], gamma: 0.3) }),
            ("exponentiallr", { try ExponentialLR(optimizer: $0, gamma: 0.93) }),
            ("cosineannealinglr", { try CosineAnnealingLR(optimizer: $0, tMax: 15, etaMin: 0.001) }),
            ("cosineannealingwarmrestarts", { try CosineAnnealingWarmRestarts(optimizer: $0, t0: 5, tMult: 2, etaMin: 0.0005) }),
            ("linearlr_warmup", { try LinearLR(optimizer: $0, startFactor: 0.2, endFactor: 1.0, totalIters: 10) }),
            ("onecyclelr_cos", { try OneCycleLR(optimizer: $0, maxLR: 0.5, totalSteps: 50) }),
        ]
        for (name, make) in cases {
            let c = try Self.fixture(name)
            let opt = try Self.optimizer()
            let expected = Self.expected(c)
            assertSequence(try record(opt, try make(opt), steps: expected.count - 1).lrs, expected, name)
        }
    }

    func testLambdaSchedulersMatchTorch() throws {
        let cases: [(String, (Optimizer) throws -> LRScheduler)] = [
            ("lambdalr", { try LambdaLR(optimizer: $0) { epoch, _ in pow(0.95, Double(epoch)) } }),
            ("lambdalr_per_group", { try LambdaLR(optimizer: $0) { e, g in g == 0 ? pow(0.95, Double(e)) : 1.0 / (1.0 + Double(e)) } }),
            ("multiplicativelr", { try MultiplicativeLR(optimizer: $0) { e, _ in e % 2 == 1 ? 0.9 : 0.99 } }),
        ]
        for (name, make) in cases {
            let opt = try Self.optimizer()
            let expected = Self.expected(try Self.fixture(name))
            assertSequence(try record(opt, try make(opt), steps: expected.count - 1).lrs, expected, name)
        }
    }

    func testSequentialAndChainedMatchTorch() throws {
        var opt = try Self.optimizer()
        var seq: LRScheduler = try SequentialLR(optimizer: opt, schedulers: [
            try LinearLR(optimizer: opt, startFactor: 0.1, totalIters: 5), try CosineAnnealingLR(optimizer: opt, tMax: 20),
        ], milestones: [5])
        var expected = Self.expected(try Self.fixture("sequentiallr_warmup_cosine"))
        assertSequence(try record(opt, seq, steps: expected.count - 1).lrs, expected, "warmup then cosine")

        opt = try Self.optimizer()
        seq = try SequentialLR(optimizer: opt, schedulers: [
            try ConstantLR(optimizer: opt, factor: 0.5, totalIters: 3), try ExponentialLR(optimizer: opt, gamma: 0.9),
            try StepLR(optimizer: opt, stepSize: 3, gamma: 0.5),
        ], milestones: [4, 10])
        expected = Self.expected(try Self.fixture("sequentiallr_three"))
        assertSequence(try record(opt, seq, steps: expected.count - 1).lrs, expected, "three schedulers")

        // Two schedulers on one optimizer, stepped in turn: torch's chainable form.
        opt = try Self.optimizer()
        let first = try ExponentialLR(optimizer: opt, gamma: 0.9), second = try StepLR(optimizer: opt, stepSize: 3, gamma: 0.5)
        expected = Self.expected(try Self.fixture("chained_by_hand"))
        assertSequence(try record(opt, second, steps: expected.count - 1, step: { try first.step(); try second.step() }).lrs,
                       expected, "chained by hand")

        opt = try Self.optimizer()
        let chained = try ChainedScheduler(schedulers: [try ConstantLR(optimizer: opt, factor: 0.1, totalIters: 2),
                                                        try ExponentialLR(optimizer: opt, gamma: 0.9)])
        expected = Self.expected(try Self.fixture("chainedscheduler"))
        assertSequence(try record(opt, chained, steps: expected.count - 1).lrs, expected, "ChainedScheduler")
    }

    func testOptionsByName() throws {
        let opt = try Self.optimizer()
        let sched = try StepLR(optimizer: opt, stepSize: 2, gamma: 0.5)
        XCTAssertEqual(try sched.get("gamma"), 0.5)
        XCTAssertEqual(try sched.get("step_size"), 2)
        XCTAssertEqual(try sched.get("last_epoch"), 0)
        try sched.set("gamma", 0.1)
        try sched.step()
        try sched.step()
        XCTAssertEqual(sched.lastLR[0], 0.1 * 0.1, accuracy: 1e-15)
        XCTAssertEqual(try opt.get("initial_lr", group: 1), 0.05)            // what the scheduler recorded
        assertThrows(.invalidArgument, ["StepLR has no option \"T_max\"", "step_size, gamma, last_epoch"]) { try sched.set("T_max", 3) }
        assertThrows(.invalidArgument, ["last_epoch is read-only"]) { try sched.set("last_epoch", 3) }
        assertThrows(.invalidArgument, ["step_size must be a positive integer"]) { try sched.set("step_size", 0) }
        assertThrows(.invalidArgument, ["step_size must be an integer"]) { try sched.set("step_size", 1.5) }
        let plateau = try ReduceLROnPlateau(optimizer: opt)
        try plateau.set("patience", 0)
        try plateau.set("min_lr", 0.001)
        XCTAssertEqual(try plateau.get("best"), .infinity)
        try plateau.step(metric: 1)
        try plateau.step(metric: 2)
        XCTAssertEqual(try plateau.get("best"), 1)
        XCTAssertEqual(plateau.lastLR[1], 0.001)                             // 0.005 * 0.1 is below the floor
        assertThrows(.invalidArgument, ["Factor should be < 1.0"]) { try plateau.set("factor", 1) }
    }

    /// torch's checks, and the errors torch raises while stepping.
    func testBadInput() throws {
        let opt = try Self.optimizer()
        assertThrows(.invalidArgument, ["step_size must be a positive integer"]) { try StepLR(optimizer: opt, stepSize: 0) }
        assertThrows(.invalidArgument, ["Constant multiplicative factor expected to be between 0 and 1"]) {
            try ConstantLR(optimizer: opt, factor: 1.5)
        }
        assertThrows(.invalidArgument, ["Starting multiplicative factor"]) { try LinearLR(optimizer: opt, startFactor: 0) }
        assertThrows(.invalidArgument, ["Ending multiplicative factor"]) { try LinearLR(optimizer: opt, endFactor: 2) }
        assertThrows(.invalidArgument, ["Expected positive integer T_0, but got 0"]) { try CosineAnnealingWarmRestarts(optimizer: opt, t0: 0) }
        assertThrows(.invalidArgument, ["Expected integer T_mult >= 1, but got 0"]) {
            try CosineAnnealingWarmRestarts(optimizer: opt, t0: 3, tMult: 0)
        }
        assertThrows(.invalidArgument, ["T_max must not be 0"]) { try CosineAnnealingLR(optimizer: opt, tMax: 0) }
        assertThrows(.invalidArgument, ["Factor should be < 1.0"]) { try ReduceLROnPlateau(optimizer: opt, factor: 1) }
        assertThrows(.invalidArgument, ["expected 2 min_lrs, got 3"]) { try ReduceLROnPlateau(optimizer: opt, minLR: [0, 0, 0]) }
        assertThrows(.invalidArgument, ["argument 'mode' must be one of 'min', 'max'"]) {
            try Schedulers.make("ReduceLROnPlateau", optimizer: opt, arguments: "mode='maximum'")
        }
        assertThrows(.invalidArgument, ["must define either total_steps OR (epochs AND steps_per_epoch)"]) {
            try Schedulers.make("OneCycleLR", optimizer: opt, arguments: "max_lr=0.1")
        }
        assertThrows(.invalidArgument, ["Expected float between 0 and 1 pct_start, but got 1.5"]) {
            try Schedulers.make("OneCycleLR", optimizer: opt, arguments: "max_lr=0.1, total_steps=10, pct_start=1.5")
        }
        assertThrows(.invalidArgument, ["max_lr must have the same length as optimizer.param_groups"]) {
            try Schedulers.make("OneCycleLR", optimizer: opt, arguments: "max_lr=[0.1, 0.2, 0.3], total_steps=10")
        }
        assertThrows(.invalidArgument, ["float division by zero"]) {
            try Schedulers.make("OneCycleLR", optimizer: opt, arguments: "max_lr=0.1, total_steps=10, pct_start=0.1")
        }
        assertThrows(.invalidArgument, ["unknown scheduler type \"StepLr\"", "StepLR", "LambdaLR"]) {
            try Schedulers.make("StepLr", optimizer: opt, arguments: "")
        }
        assertThrows(.invalidArgument, ["missing the required argument 'step_size'"]) { try Schedulers.make("StepLR", optimizer: opt, arguments: "") }
        let rms = try RMSprop(parameters: [try Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
        try OneCycleLR(optimizer: rms, maxLR: 0.1, totalSteps: 5).step()        // cycles RMSprop's momentum
        let adagrad = try Adagrad(parameters: [try Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
        assertThrows(.invalidArgument, ["must support momentum or beta1"]) { try OneCycleLR(optimizer: adagrad, maxLR: 0.1, totalSteps: 5) }

        // OneCycleLR stepped past its total fails as torch's does, and changes nothing.
        let cycle = try OneCycleLR(optimizer: try Self.optimizer(), maxLR: 0.1, totalSteps: 3)
        for _ in 0..<3 { try cycle.step() }
        let lrs = cycle.lastLR
        assertThrows(.invalidArgument, ["Tried to step 4 times. The specified number of total steps is 3"]) { try cycle.step() }
        XCTAssertEqual(cycle.lastEpoch, 3)
        XCTAssertEqual(cycle.lastLR, lrs)
        XCTAssertEqual(try cycle.optimizer.get("lr"), lrs[0])

        // A failing lambda leaves scheduler and optimizer as they were.
        let lopt = try Self.optimizer()
        var fail = false
        let lambda = try LambdaLR(optimizer: lopt) { e, _ in
            if fail { throw EmberError.invalidArgument("no factor for epoch \(e)") }
            return 0.5
        }
        fail = true
        assertThrows(.invalidArgument, ["no factor for epoch 1"]) { try lambda.step() }
        XCTAssertEqual(lambda.lastEpoch, 0)
        XCTAssertEqual(try lopt.get("lr"), 0.05)
        assertThrows(.invalidArgument, ["no factor for epoch 0"]) { try LambdaLR(optimizer: lopt) { e, _ in throw EmberError.invalidArgument("no factor for epoch \(e)") } }

        // Composites: parts of one optimizer, no ReduceLROnPlateau, milestones one fewer than parts.
        let other = try Self.optimizer()
        assertThrows(.invalidArgument, ["same optimizer"]) {
            try SequentialLR(optimizer: opt, schedulers: [try ExponentialLR(optimizer: other, gamma: 0.9)], milestones: [])
        }
        assertThrows(.invalidArgument, ["does not support `ReduceLROnPlateau`"]) {
            try ChainedScheduler(schedulers: [try ReduceLROnPlateau(optimizer: opt)])
        }
        assertThrows(.invalidArgument, ["number of milestones to be equal to 0"]) {
            try SequentialLR(optimizer: opt, schedulers: [try ExponentialLR(optimizer: opt, gamma: 0.9), try StepLR(optimizer: opt, stepSize: 2)],
                             milestones: [])
        }
        assertThrows(.invalidArgument, ["needs the metric"]) { try ReduceLROnPlateau(optimizer: opt).step() }
        assertThrows(.invalidArgument, ["takes no metric"]) { try StepLR(optimizer: opt, stepSize: 2).step(metric: 1) }

        // A group added after the scheduler was made: torch's strict zip fails.
        let grow = try Self.optimizer()
        let step = try StepLR(optimizer: grow, stepSize: 2)
        try grow.addParamGroup([try Tensor.zeros([1], requiresGrad: true)])
        assertThrows(.state, ["3 parameter groups but the scheduler was made for 2"]) { try step.step() }
    }

    /// The scheduler keeps its optimizer alive.
    func testSchedulerKeepsItsOptimizer() throws {
        weak var weakOptimizer: Optimizer?
        let sched: LRScheduler = try {
            let opt = try Self.optimizer()
            weakOptimizer = opt
            return try ExponentialLR(optimizer: opt, gamma: 0.5)
        }()
        XCTAssertNotNil(weakOptimizer)
        try sched.step()
        XCTAssertEqual(sched.lastLR, [0.05, 0.025])
    }
}
