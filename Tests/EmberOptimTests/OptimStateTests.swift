import EmberAutograd
import EmberNN
import EmberOptim
import EmberTensor
import EmberTestSupport
import XCTest

/// State export and import: a run saved after 50 steps and resumed in fresh
/// objects continues bit for bit; torch's own state loads and continues as
/// torch does; loading is strict.
final class OptimStateTests: XCTestCase {
    /// An optimizer (with its groups) for a fixture case, and a scheduler that varies with `index`.
    func make(_ c: [String: Any], _ m: Module, index: Int) throws -> (Optimizer, LRScheduler) {
        let type = c["type"] as! String
        var opt: Optimizer
        if let groups = c["groups"] as? [[String: Any]] {
            opt = try Problem.optimizer(type, (groups[0]["params"] as! [String]).map { try m.parameter(named: $0) }, lr: c["lr"] as! Double)
            for (option, v) in c["options"] as! [String: Any] { try opt.set(option, v as! Double) }
            try opt.addParamGroup((groups[1]["params"] as! [String]).map { try m.parameter(named: $0) },
                                  options: (groups[1]["options"] as! [String: Any]).mapValues { $0 as! Double })
        } else {
            opt = try Problem.optimizer(type, m.parameters(), lr: c["lr"] as! Double)
            for (option, v) in c["options"] as! [String: Any] { try opt.set(option, v as! Double) }
        }
        let hasMomentum = opt.optionNames.contains("momentum") || opt.optionNames.contains("beta1")
        let sched: LRScheduler = switch index % 4 {
        case 0 where hasMomentum: try OneCycleLR(optimizer: opt, maxLR: (c["lr"] as! Double) * 2, totalSteps: 100)
        case 1: try CosineAnnealingWarmRestarts(optimizer: opt, t0: 7, tMult: 2, etaMin: 1e-4)
        case 2: try ReduceLROnPlateau(optimizer: opt, factor: 0.5, patience: 2, cooldown: 1)
        default: try SequentialLR(optimizer: opt, schedulers: [try LinearLR(optimizer: opt, startFactor: 0.5, totalIters: 10),
                                                                try ExponentialLR(optimizer: opt, gamma: 0.98)], milestones: [20])
        }
        return (opt, sched)
    }

    func run(_ p: Problem, _ opt: Optimizer, _ sched: LRScheduler, _ m: Module, _ steps: Int, negate: Bool) throws {
        for _ in 0..<steps {
            let loss = try p.step(opt, m, negate: negate)
            if sched is ReduceLROnPlateau { try sched.step(metric: loss) } else { try sched.step() }
        }
    }

    /// For every optimizer, option combination and group layout, with a
    /// scheduler: 50 steps, export, fresh model/optimizer/scheduler, import, 50
    /// more steps == 100 uninterrupted steps, bit for bit (weights and state).
    func testResumeContinuesBitForBit() throws {
        let p = try Problem()
        let cases = ((p.fixture["trajectories"] as! [String: Any]).merging(p.fixture["groups"] as! [String: Any]) { a, _ in a })
            .sorted { $0.key < $1.key }
        for (index, (name, value)) in cases.enumerated() {
            let c = value as! [String: Any]
            let negate = c["negate"] as? Bool ?? false
            let straight = try p.model()
            let (o1, s1) = try make(c, straight, index: index)
            try run(p, o1, s1, straight, 100, negate: negate)

            let first = try p.model()
            let (o2, s2) = try make(c, first, index: index)
            try run(p, o2, s2, first, 50, negate: negate)
            let weights = first.namedParameters().map { ($0.0, $0.1.toDoubles()) }
            let optState = try o2.stateDict(), schedState = try s2.stateEntries()

            let resumed = try p.model()
            for (n, v) in weights { try resumed.parameter(named: n).copyValues(from: try Tensor.from(v, shape: resumed.parameter(named: n).shape, dtype: .float64).array) }
            let (o3, s3) = try make(c, resumed, index: index)
            try o3.loadStateDict(optState)
            try s3.loadStateDict(schedState)
            try run(p, o3, s3, resumed, 50, negate: negate)

            XCTAssertEqual(resumed.parameters().map { $0.toDoubles() }, straight.parameters().map { $0.toDoubles() }, "\(name) weights")
            let a = try o3.stateDict(), b = try o1.stateDict()
            XCTAssertEqual(a.map(\.0), b.map(\.0), "\(name) state names")
            XCTAssertEqual(a.map { $0.1.toDoubles() }, b.map { $0.1.toDoubles() }, "\(name) state values")
            XCTAssertEqual(s3.lastLR, s1.lastLR, "\(name) scheduler")
            XCTAssertEqual(try s3.stateEntries().map { $0.1.toDoubles() }, try s1.stateEntries().map { $0.1.toDoubles() }, "\(name) scheduler state")
        }
    }

    /// Every scheduler kind: stepped halfway, saved with its optimizer,
    /// restored into fresh objects and stepped on, it sets the same rates (and
    /// momenta) as an uninterrupted one, bit for bit.
    func testEverySchedulerResumesBitForBit() throws {
        let all = try Fixtures.load("optim")["schedulers"] as! [String: Any]
        var makers: [(String, String, Int, (Optimizer) throws -> LRScheduler)] = []
        for (name, value) in all.sorted(by: { $0.key < $1.key }) {
            let c = value as! [String: Any]
            guard let type = c["type"] as? String, let args = c["args"] as? String, type != "ReduceLROnPlateau" else { continue }
            makers.append((name, c["optimizer"] as! String, (c["lrs"] as! [Any]).count - 1, { try Schedulers.make(type, optimizer: $0, arguments: args) }))
        }
        makers += [
            ("lambdalr", "SGD", 20, { try LambdaLR(optimizer: $0) { e, g in 1.0 / Double(e + g + 1) } }),
            ("multiplicativelr", "SGD", 20, { try MultiplicativeLR(optimizer: $0) { e, _ in 0.9 + 0.001 * Double(e) } }),
            ("sequentiallr", "SGD", 30, { opt in
                try SequentialLR(optimizer: opt, schedulers: [try LinearLR(optimizer: opt, startFactor: 0.1, totalIters: 5),
                                                              try CosineAnnealingWarmRestarts(optimizer: opt, t0: 4, tMult: 2)], milestones: [8])
            }),
            ("chainedscheduler", "SGD", 30, { opt in
                try ChainedScheduler(schedulers: [try MultiStepLR(optimizer: opt, milestones: [3, 9], gamma: 0.5),
                                                  try CosineAnnealingLR(optimizer: opt, tMax: 7, etaMin: 0.01)])
            }),
        ]
        XCTAssertEqual(makers.count, 19)
        for (name, kind, steps, make) in makers {
            let o1 = try SchedulerTests.optimizer(kind), s1 = try make(o1)
            var straight: [[Double]] = []
            for _ in 0..<steps { try s1.step(); straight.append(s1.lastLR + [try o1.get(kind == "Adam" ? "beta1" : "momentum")]) }

            let o2 = try SchedulerTests.optimizer(kind), s2 = try make(o2)
            let half = steps / 2
            var resumed: [[Double]] = []
            for _ in 0..<half { try s2.step(); resumed.append(s2.lastLR + [try o2.get(kind == "Adam" ? "beta1" : "momentum")]) }
            let optState = try o2.stateDict(), schedState = try s2.stateEntries()
            let o3 = try SchedulerTests.optimizer(kind), s3 = try make(o3)
            try o3.loadStateDict(optState)
            try s3.loadStateDict(schedState)
            for _ in half..<steps { try s3.step(); resumed.append(s3.lastLR + [try o3.get(kind == "Adam" ? "beta1" : "momentum")]) }
            XCTAssertEqual(resumed, straight, name)
        }
    }

    /// torch's state_dict after 50 steps (flattened into these names) loads,
    /// and 50 more steps land where torch's 100 do.
    func testTorchStateLoadsAndContinues() throws {
        let p = try Problem()
        let cases = p.fixture["resume_from_torch"] as! [String: Any]
        XCTAssertEqual(cases.count, 9)
        for (name, value) in cases.sorted(by: { $0.key < $1.key }) {
            let c = value as! [String: Any]
            let trajectory = (p.fixture["trajectories"] as! [String: Any])[name] as! [String: Any]
            let m = try p.model()
            for (n, v) in c["weights"] as! [String: Any] { try m.parameter(named: n).copyValues(from: try FixtureTensor(v).tensor().array) }
            let opt = try Problem.optimizer(trajectory["type"] as! String, m.parameters(), lr: 1)
            let entries = try (c["state"] as! [String: Any]).map { ($0.key, try FixtureTensor($0.value).tensor().array) }
            try opt.loadStateDict(entries)
            XCTAssertEqual(Set(try opt.stateNames()), Set(entries.map(\.0)), name)
            for _ in 0..<50 { try p.step(opt, m) }
            try p.assertParameters(m, trajectory["params"], "\(name) resumed from torch")
        }
    }

    func testStateNamesFollowTorch() throws {
        let m = try Sequential([try Linear(2, 2, dtype: .float64)])
        let opt = try Adam(parameters: m.parameters(), lr: 0.1)
        XCTAssertEqual(try opt.stateNames(), ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize", "decoupled_weight_decay", "params"]
            .map { "param_groups.0.\($0)" })
        try opt.set("amsgrad", 1)
        try m(try Tensor.ones([1, 2], dtype: .float64)).sum().backward()
        try opt.step()
        _ = try StepLR(optimizer: opt, stepSize: 3)
        let names = try opt.stateNames()
        XCTAssertEqual(Array(names.prefix(8)), ["state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                                                "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq"])
        XCTAssertTrue(names.contains("param_groups.0.initial_lr"))
        let entries = Dictionary(uniqueKeysWithValues: try opt.stateDict())
        XCTAssertEqual(entries["state.0.step"]?.dtype, .float32)
        XCTAssertEqual(entries["state.0.step"]?.shape, [])
        XCTAssertEqual(entries["state.0.exp_avg"]?.shape, [2, 2])
        XCTAssertEqual(entries["param_groups.0.lr"]?.dtype, .float64)
        XCTAssertEqual(entries["param_groups.0.params"]?.toDoubles(), [0, 1])
        XCTAssertEqual(entries["param_groups.0.params"]?.dtype, .int64)
        // An export is a copy: later steps leave it alone.
        let before = entries["state.0.exp_avg"]!.toDoubles()
        try opt.step()
        XCTAssertEqual(entries["state.0.exp_avg"]!.toDoubles(), before)
    }

    /// Every mismatch is named in one message, and nothing changes.
    func testStrictLoading() throws {
        let m = try Sequential([try Linear(3, 2, dtype: .float64)])
        let opt = try Adam(parameters: m.parameters(), lr: 0.1)
        try m(try Tensor.ones([1, 3], dtype: .float64)).sum().backward()
        try opt.step()
        let good = try opt.stateDict()
        var bad = good.filter { $0.0 != "param_groups.0.eps" && $0.0 != "state.1.exp_avg" }
        bad = try bad.map { name, a in
            switch name {
            case "state.0.exp_avg": (name, try NDArray.zeros([2, 2], dtype: .float64))
            case "state.0.step": (name, try NDArray.zeros([], dtype: .float64))
            case "param_groups.0.amsgrad": (name, try NDArray.full([], value: 0.5, dtype: .float64))
            case "param_groups.0.params": (name, try NDArray.zeros([3], dtype: .int64))
            default: (name, a)
            }
        }
        bad += [("state.0.exp_avgg", try NDArray.zeros([2, 3], dtype: .float64)), ("state.7.step", try NDArray.zeros([], dtype: .float32)),
                ("param_groups.3.lr", try NDArray.zeros([], dtype: .float64)), ("momentum", try NDArray.zeros([], dtype: .float64)),
                ("param_groups.0.amsgrad", try NDArray.zeros([], dtype: .float64))]
        let before = try opt.stateDict().map { $0.1.toDoubles() }
        assertThrows(.invalidArgument, [
            "'state.0.exp_avg' has shape [2, 2] but [2, 3] is expected",
            "'state.0.step' has dtype float64 but float32 is expected",
            "'param_groups.0.amsgrad': Adam: amsgrad is a boolean and must be 0 or 1, got 0.5",
            "'param_groups.0.params' has shape [3] but [2] is expected",
            "unexpected name 'state.0.exp_avgg' (Adam keeps step, exp_avg, exp_avg_sq, max_exp_avg_sq per parameter)",
            "'state.7.step' refers to parameter 7 but the optimizer has 2 parameters",
            "'param_groups.3.lr' refers to group 3 but the optimizer has 1 parameter groups",
            "unexpected name 'momentum'",
            "'param_groups.0.amsgrad' is given twice",
            "'param_groups.0.eps' is missing",
            "'state.1.exp_avg' is missing (parameter 1 has other state)",
        ]) { try opt.loadStateDict(bad) }
        XCTAssertEqual(try opt.stateDict().map { $0.1.toDoubles() }, before)
        // The good state loads; an empty state (torch's fresh optimizer) needs the groups.
        try opt.loadStateDict(good)
        assertThrows(.invalidArgument, ["'param_groups.0.lr' is missing", "'param_groups.0.params' is missing"]) { try opt.loadStateDict([]) }
        // A loaded state is copied: changing the source later changes nothing.
        let source = try NDArray.full([2, 3], value: 7, dtype: .float64)
        try opt.loadStateDict(good.map { $0.0 == "state.0.exp_avg" ? ($0.0, source) : $0 })
        Kernels.fill(source, with: 1)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: try opt.stateDict())["state.0.exp_avg"]!.toDoubles(), [Double](repeating: 7, count: 6))
    }

    func testLBFGSStateLoadingChecksItsHistory() throws {
        let p = try Problem()
        let m = try p.model()
        let opt = try LBFGS(parameters: m.parameters(), lr: 0.5)
        for _ in 0..<3 { try p.step(opt, m) }
        let state = try opt.stateDict()
        XCTAssertTrue(state.contains { $0.0 == "state.0.old_dirs.0" })
        XCTAssertEqual(state.first { $0.0 == "state.0.d" }?.1.shape, [51])
        let broken = state.filter { $0.0 != "state.0.ro.0" && $0.0 != "state.0.d" }
        assertThrows(.invalidArgument, ["must come in equal numbers", "'state.0.d' is missing (n_iter is"]) { try opt.loadStateDict(broken) }
        let fresh = try LBFGS(parameters: try p.model().parameters(), lr: 0.5)
        try fresh.loadStateDict(state)
        XCTAssertEqual(try fresh.stateDict().map { $0.1.toDoubles() }, state.map { $0.1.toDoubles() })
    }

    func testSchedulerStrictLoading() throws {
        let opt = try SchedulerTests.optimizer()
        let sched = try CosineAnnealingWarmRestarts(optimizer: opt, t0: 3, tMult: 2)
        for _ in 0..<4 { try sched.step() }
        let good = try sched.stateEntries()
        XCTAssertEqual(good.map(\.0), ["base_lrs.0", "base_lrs.1", "last_epoch", "_step_count", "_last_lr.0", "_last_lr.1",
                                      "T_0", "T_i", "T_mult", "eta_min", "T_cur"])
        XCTAssertEqual(good.first { $0.0 == "T_i" }?.1.dtype, .int64)
        let intZero = try NDArray.zeros([], dtype: .int64)
        var bad = good.filter { $0.0 != "T_cur" }.map { $0.0 == "eta_min" ? ($0.0, intZero) : $0 }
        bad.append(("T_max", try NDArray.zeros([], dtype: .int64)))
        assertThrows(.invalidArgument, ["'T_cur' is missing", "'eta_min' has dtype int64 but float64 is expected", "unexpected name 'T_max'"]) {
            try sched.loadStateDict(bad)
        }
        let zeroCycle = good.map { $0.0 == "T_i" ? ($0.0, intZero) : $0 }
        assertThrows(.invalidArgument, ["'T_i' must be a positive integer"]) { try sched.loadStateDict(zeroCycle) }
        let fresh = try CosineAnnealingWarmRestarts(optimizer: try SchedulerTests.optimizer(), t0: 3, tMult: 2)
        try fresh.loadStateDict(good)
        try fresh.step()
        try sched.step()
        XCTAssertEqual(fresh.lastLR, sched.lastLR)
    }
}
