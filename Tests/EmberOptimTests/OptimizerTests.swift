import EmberAutograd
import EmberNN
import EmberOptim
import EmberTensor
import EmberTestSupport
import XCTest

/// The fixed problem of Tests/Fixtures/optim.json: Linear(4, 6), ReLU,
/// Linear(6, 3) in float64 with torch's initial weights, cross entropy over 16
/// samples.
struct Problem {
    let fixture: [String: Any]
    let x: Tensor, y: Tensor

    init() throws {
        fixture = try Fixtures.load("optim")
        x = try FixtureTensor(fixture["x"]).tensor()
        y = try FixtureTensor(fixture["y"]).tensor()
    }

    func model() throws -> Sequential {
        let m = try Sequential([try Linear(4, 6, dtype: .float64), ReLU(), try Linear(6, 3, dtype: .float64)])
        for (name, value) in fixture["init"] as! [String: Any] {
            try m.parameter(named: name).copyValues(from: try FixtureTensor(value).tensor().array)
        }
        return m
    }

    func loss(_ m: Module) throws -> Tensor { try Functional.crossEntropy(m(x), y) }

    /// One training step as torch's loop does it; LBFGS re-evaluates through
    /// the closure (on the negated loss when `negate`). Returns the loss.
    @discardableResult
    func step(_ opt: Optimizer, _ m: Module, negate: Bool = false) throws -> Double {
        if opt is LBFGS {
            return try opt.step {
                opt.zeroGrad()
                let l = try loss(m)
                let objective = negate ? try l.neg() : l
                try objective.backward()
                return try objective.item()
            }
        }
        opt.zeroGrad()
        let l = try loss(m)
        try l.backward()
        try opt.step()
        return try l.item()
    }

    /// An optimizer of torch class `type`, made by its own initialiser.
    static func optimizer(_ type: String, _ params: [Tensor], lr: Double) throws -> Optimizer {
        switch type {
        case "SGD": try SGD(parameters: params, lr: lr)
        case "Adam": try Adam(parameters: params, lr: lr)
        case "AdamW": try AdamW(parameters: params, lr: lr)
        case "RMSprop": try RMSprop(parameters: params, lr: lr)
        case "Adagrad": try Adagrad(parameters: params, lr: lr)
        case "Adadelta": try Adadelta(parameters: params, lr: lr)
        case "Adamax": try Adamax(parameters: params, lr: lr)
        case "NAdam": try NAdam(parameters: params, lr: lr)
        case "RAdam": try RAdam(parameters: params, lr: lr)
        case "LBFGS": try LBFGS(parameters: params, lr: lr)
        default: throw EmberError.internal("no optimizer \(type)")
        }
    }

    /// The parameters of `m` by name, compared with a fixture's.
    func assertParameters(_ m: Module, _ expected: Any?, _ what: String, rtol: Double = 1e-6,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let params = expected as! [String: Any]
        XCTAssertEqual(params.count, 4, what, file: file, line: line)
        for (name, value) in params {
            assertClose(try m.parameter(named: name).toDoubles(), try FixtureTensor(value).values, rtol: rtol, atol: rtol * 1e-3,
                        "\(what) \(name)", file: file, line: line)
        }
    }
}

final class OptimizerTests: XCTestCase {
    /// Every optimizer and option combination against torch: parameters after
    /// 100 steps equal to 1e-6 relative, and every step's loss. The elementwise
    /// kernels run torch's ops in torch's order (float32 step counts and
    /// mu_product included) and agree to ~1e-11, so they are held to 1e-10,
    /// which catches deviations 1e-6 would let through; LBFGS's dot products
    /// sum in another order than torch's BLAS, so it gets the 1e-6 of the issue.
    func testTrajectoriesMatchTorch() throws {
        let p = try Problem()
        let cases = (p.fixture["trajectories"] as! [String: Any]).sorted { $0.key < $1.key }
        XCTAssertEqual(Set(cases.map { ($0.value as! [String: Any])["type"] as! String }).count, 10)
        for (name, value) in cases {
            let c = value as! [String: Any]
            let m = try p.model()
            let opt = try Problem.optimizer(c["type"] as! String, m.parameters(), lr: c["lr"] as! Double)
            for (option, v) in c["options"] as! [String: Any] { try opt.set(option, v as! Double) }
            var losses: [Double] = []
            for _ in 0..<100 { losses.append(try p.step(opt, m, negate: c["negate"] as! Bool)) }
            let rtol = opt is LBFGS ? 1e-6 : 1e-10
            assertClose(losses, (c["losses"] as! [Any]).map { $0 as! Double }, rtol: rtol, atol: 1e-13, "\(name) losses")
            try p.assertParameters(m, c["params"], name, rtol: rtol)
        }
    }

    /// The same trajectories with the options in torch's keyword syntax (the generic constructor).
    func testGenericConstructorMatchesTorch() throws {
        let p = try Problem()
        for name in ["adam_amsgrad_weight_decay_betas", "adamw_maximize", "nadam_decoupled", "rmsprop_all", "lbfgs_strong_wolfe_tolerances"] {
            let c = (p.fixture["trajectories"] as! [String: Any])[name] as! [String: Any]
            let m = try p.model()
            let opt = try Optimizers.make(c["type"] as! String, parameters: m.parameters(), arguments: c["args"] as! String)
            for _ in 0..<100 { try p.step(opt, m) }
            try p.assertParameters(m, c["params"], name)
        }
    }

    /// Two groups with their own options (weights decay, biases do not).
    func testParameterGroupsMatchTorch() throws {
        let p = try Problem()
        for (name, value) in (p.fixture["groups"] as! [String: Any]).sorted(by: { $0.key < $1.key }) {
            let c = value as! [String: Any]
            let m = try p.model()
            let groups = c["groups"] as! [[String: Any]]
            let first = try (groups[0]["params"] as! [String]).map { try m.parameter(named: $0) }
            let opt = try Problem.optimizer(c["type"] as! String, first, lr: c["lr"] as! Double)
            for (option, v) in c["options"] as! [String: Any] { try opt.set(option, v as! Double) }
            let second = try (groups[1]["params"] as! [String]).map { try m.parameter(named: $0) }
            try opt.addParamGroup(second, options: (groups[1]["options"] as! [String: Any]).mapValues { $0 as! Double })
            XCTAssertEqual(opt.paramGroups.count, 2)
            for _ in 0..<100 { try p.step(opt, m) }
            try p.assertParameters(m, c["params"], name)
        }
    }

    func testGroupOptionsAreReadAndSetPerGroup() throws {
        let m = try Sequential([try Linear(3, 2), ReLU(), try Linear(2, 1)])
        let named = Dictionary(uniqueKeysWithValues: m.namedParameters())
        let opt = try Adam(parameters: [named["0.weight"]!, named["2.weight"]!], lr: 0.01)
        try opt.set("weight_decay", 0.1)                   // before the group: the group inherits it
        try opt.addParamGroup([named["0.bias"]!, named["2.bias"]!], options: ["weight_decay": 0, "beta1": 0.8])
        XCTAssertEqual(try opt.get("weight_decay", group: 0), 0.1)
        XCTAssertEqual(try opt.get("weight_decay", group: 1), 0)
        XCTAssertEqual(try opt.get("beta1", group: 1), 0.8)
        XCTAssertEqual(try opt.get("lr", group: 1), 0.01)
        try opt.set("lr", 0.5, group: 1)
        XCTAssertEqual(try opt.get("lr"), 0.01)
        XCTAssertEqual(try opt.get("lr", group: 1), 0.5)
        try opt.set("eps", 1e-6)                           // all groups
        XCTAssertEqual(try opt.get("eps", group: 1), 1e-6)
        assertThrows(.invalidArgument, ["group index 2", "2 parameter groups"]) { try opt.get("lr", group: 2) }
        assertThrows(.invalidArgument, ["more than one parameter group"]) { try opt.addParamGroup([named["0.bias"]!]) }
        assertThrows(.invalidArgument, ["invalid beta parameter at index 1: 1.0"]) { try opt.set("beta2", 1, group: 1) }
        let y = try named["0.bias"]!.mul(2.0)
        assertThrows(.invalidArgument, ["non-leaf"]) { try Adam(parameters: [y], lr: 0.1) }
        // Group options in torch's syntax.
        XCTAssertEqual(try Optimizers.groupOptions(opt, arguments: "betas=(0.5, 0.6), amsgrad=True"),
                       ["beta1": 0.5, "beta2": 0.6, "amsgrad": 1])
        assertThrows(.invalidArgument, ["unexpected argument 'momentum'", "lr, betas, eps"]) {
            try Optimizers.groupOptions(opt, arguments: "momentum=0.9")
        }
        assertThrows(.invalidArgument, ["given by name"]) { try Optimizers.groupOptions(opt, arguments: "0.1") }
    }

    /// torch's checks, with its messages' substance and the valid names listed.
    func testBadOptionsAreRejectedAsTorchRejectsThem() throws {
        let ps = try Sequential([try Linear(2, 2, dtype: .float64)]).parameters()
        for type in Optimizers.types {
            let opt = try Problem.optimizer(type, ps, lr: 0.1)
            assertThrows(.invalidArgument, ["invalid learning rate: -0.5"]) { try opt.set("lr", -0.5) }
            assertThrows(.invalidArgument, ["invalid learning rate"]) { try Problem.optimizer(type, ps, lr: -1) }
            assertThrows(.invalidArgument, ["\(type) has no option \"bogus\"", "valid options are: lr, "]) { try opt.set("bogus", 1) }
            assertThrows(.invalidArgument, ["NaN"]) { try opt.set("lr", .nan) }
            assertThrows(.invalidArgument, ["maximize", "boolean"]) { try opt.set("maximize", 2) }
            XCTAssertEqual(try opt.get("lr"), 0.1)
            assertThrows(.invalidArgument, ["empty parameter list"]) { try Problem.optimizer(type, [], lr: 0.1) }
        }
        for type in ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"] {
            let opt = try Problem.optimizer(type, ps, lr: 0.1)
            assertThrows(.invalidArgument, ["invalid beta parameter at index 0: 1.0"]) { try opt.set("beta1", 1) }
            assertThrows(.invalidArgument, ["invalid beta parameter at index 1: -0.1"]) { try opt.set("beta2", -0.1) }
            assertThrows(.invalidArgument, ["invalid epsilon value: -1e-08"]) { try opt.set("eps", -1e-8) }
            assertThrows(.invalidArgument, ["invalid weight_decay value: -0.1"]) { try opt.set("weight_decay", -0.1) }
            try opt.set("beta1", 0)                              // [0, 1) includes 0
        }
        assertThrows(.invalidArgument, ["invalid momentum value: -0.1"]) { try RMSprop(parameters: ps, lr: 0.1).set("momentum", -0.1) }
        assertThrows(.invalidArgument, ["invalid alpha value: -0.5"]) { try RMSprop(parameters: ps, lr: 0.1).set("alpha", -0.5) }
        assertThrows(.invalidArgument, ["invalid lr_decay value"]) { try Adagrad(parameters: ps, lr: 0.1).set("lr_decay", -1) }
        assertThrows(.invalidArgument, ["invalid initial_accumulator_value value"]) {
            try Adagrad(parameters: ps, lr: 0.1).set("initial_accumulator_value", -1)
        }
        assertThrows(.invalidArgument, ["invalid rho value: 1.5"]) { try Adadelta(parameters: ps, lr: 0.1).set("rho", 1.5) }
        try Adadelta(parameters: ps, lr: 0.1).set("rho", 1)      // torch allows rho = 1
        assertThrows(.invalidArgument, ["invalid momentum_decay value"]) { try NAdam(parameters: ps, lr: 0.1).set("momentum_decay", -1) }
        let lbfgs = try LBFGS(parameters: ps, lr: 1)
        assertThrows(.invalidArgument, ["history_size", "integer >= 1"]) { try lbfgs.set("history_size", 0) }
        assertThrows(.invalidArgument, ["max_iter", "integer"]) { try lbfgs.set("max_iter", 2.5) }
        assertThrows(.invalidArgument, ["line_search_fn", "'strong_wolfe'"]) { try lbfgs.set("line_search_fn", 2) }
        assertThrows(.invalidArgument, ["per-parameter options"]) { try lbfgs.addParamGroup([]) }
        assertThrows(.invalidArgument, ["closure"]) { try lbfgs.step() }
        // max_eval follows max_iter (torch: max_iter * 5 // 4) until it is set.
        try lbfgs.set("max_iter", 10)
        XCTAssertEqual(try lbfgs.get("max_eval"), 12)
        try lbfgs.set("max_eval", 30)
        try lbfgs.set("max_iter", 4)
        XCTAssertEqual(try lbfgs.get("max_eval"), 30)
        // The generic constructor: unknown types and arguments list what there is.
        assertThrows(.invalidArgument, ["unknown optimizer type \"Adamw\"", "AdamW"]) { try Optimizers.make("Adamw", parameters: ps, arguments: "") }
        assertThrows(.invalidArgument, ["unexpected argument 'beta1'", "betas"]) {
            try Optimizers.make("Adam", parameters: ps, arguments: "beta1=0.9")
        }
        assertThrows(.invalidArgument, ["betas", "tuple of two numbers"]) { try Optimizers.make("Adam", parameters: ps, arguments: "betas=0.9") }
        assertThrows(.invalidArgument, ["only 'strong_wolfe'"]) { try Optimizers.make("LBFGS", parameters: ps, arguments: "line_search_fn='armijo'") }
        assertThrows(.invalidArgument, ["invalid beta parameter at index 1: 1.0"]) {
            try Optimizers.make("Adam", parameters: ps, arguments: "lr=0.1, betas=(0.9, 1.0)")
        }
        let adam = try Optimizers.make("Adam", parameters: ps, arguments: "")
        XCTAssertEqual(try adam.get("lr"), 1e-3)                   // torch's default
        XCTAssertEqual(try Optimizers.make("SGD", parameters: ps, arguments: "0.2, 0.9").get("momentum"), 0.9)
    }

    /// torch skips parameters without gradients: a step before any backward
    /// changes nothing and makes no state, for every optimizer.
    func testStepWithoutGradientsIsANoOp() throws {
        for type in Optimizers.types {
            let m = try Sequential([try Linear(3, 2)])
            let opt = try Problem.optimizer(type, m.parameters(), lr: 0.5)
            let before = m.parameters().map { $0.toDoubles() }
            if opt is LBFGS {
                try opt.step { 1.0 }                             // a closure that computes no gradient
            } else {
                try opt.step()
            }
            XCTAssertEqual(m.parameters().map { $0.toDoubles() }, before, type)
            XCTAssertTrue(opt.state.isEmpty, type)
        }
        // Only the parameter with a gradient moves.
        let m = try Sequential([try Linear(3, 2)])
        let opt = try Adam(parameters: m.parameters(), lr: 0.1)
        let bias = try m.parameter(named: "0.bias"), weight = try m.parameter(named: "0.weight")
        let w0 = weight.toDoubles(), b0 = bias.toDoubles()
        try bias.sum().backward()
        try opt.step()
        XCTAssertEqual(weight.toDoubles(), w0)
        XCTAssertNotEqual(bias.toDoubles(), b0)
        XCTAssertEqual(opt.state.count, 1)
    }

    /// A closure error propagates out of step, for LBFGS mid-iteration too,
    /// and leaves LBFGS's state as it was.
    func testClosureErrorsPropagate() throws {
        let p = try Problem()
        let m = try p.model()
        let opt = try LBFGS(parameters: m.parameters(), lr: 0.5)
        try opt.set("line_search_fn", 1)
        try p.step(opt, m)
        let names = try opt.stateNames()
        let state = try opt.stateDict().map { $0.1.toDoubles() }
        var calls = 0
        assertThrows(.shape, ["closure exploded"]) {
            try opt.step {
                calls += 1
                if calls == 3 { throw EmberError.shape("closure exploded") }
                opt.zeroGrad()
                let l = try p.loss(m)
                try l.backward()
                return try l.item()
            }
        }
        XCTAssertEqual(calls, 3)
        XCTAssertEqual(try opt.stateNames(), names)
        XCTAssertEqual(try opt.stateDict().map { $0.1.toDoubles() }, state)
        let sgd = try SGD(parameters: m.parameters(), lr: 0.1)
        assertThrows(.state, ["no loss"]) { try sgd.step { throw EmberError.state("no loss") } }
    }

    /// Float32 parameters update in float32 arithmetic; the update agrees with float64 to float precision.
    func testFloat32ParametersFollowFloat64() throws {
        for type in Optimizers.types where type != "LBFGS" {
            var results: [[Double]] = []
            for dtype in [DType.float32, .float64] {
                let w = try Tensor.from([0.5, -0.25, 0.125, 1.0], shape: [4], dtype: dtype, requiresGrad: true)
                let opt = try Problem.optimizer(type, [w], lr: 0.01)
                for _ in 0..<5 {
                    opt.zeroGrad()
                    try w.mul(w).sum().backward()
                    try opt.step()
                }
                XCTAssertEqual(w.dtype, dtype)
                results.append(w.toDoubles())
            }
            assertClose(results[0], results[1], rtol: 1e-5, atol: 1e-6, type)
        }
    }
}
