import CEmber
@testable import Ember
import EmberTestSupport
import Foundation
import XCTest

/// Optimizers, parameter groups, LR schedulers, clipping and state through
/// the C API, against the PyTorch fixtures of Tests/Fixtures/optim.json.
final class OptimAPITests: XCTestCase {
    /// The fixture problem built from C calls only: float64 parameters as
    /// explicit tensors, the network as C ops (x W1^T + b1, relu, W2^T + b2, cross entropy).
    final class Net {
        let params: [OpaquePointer?]
        let names = ["0.weight", "0.bias", "2.weight", "2.bias"]
        let x: OpaquePointer, y: OpaquePointer
        var opt: OpaquePointer?
        var lbfgs = false
        var negate = false
        var calls = 0
        var failAt = -1

        init(_ fixture: [String: Any]) throws {
            let initial = fixture["init"] as! [String: Any]
            params = try names.map { name in
                let t = try FixtureTensor(initial[name])
                let h = C.tensor(t.values, t.shape.map(Int64.init))
                C.ok(ember_tensor_set_requires_grad(h, true))
                return h
            }
            let xf = try FixtureTensor(fixture["x"]), yf = try FixtureTensor(fixture["y"])
            x = C.tensor(xf.values, xf.shape.map(Int64.init))
            y = C.tensor(yf.int64s, yf.shape.map(Int64.init))
        }

        deinit {
            for p in params { ember_tensor_free(p) }
            ember_tensor_free(x)
            ember_tensor_free(y)
        }

        /// The loss as a new tensor handle (with a graph to backward through).
        func loss() -> OpaquePointer? {
            var w1t, h, h1, a, w2t, o, logits, l: OpaquePointer?
            C.ok(ember_transpose(params[0], 0, 1, &w1t))
            C.ok(ember_matmul(x, w1t, &h))
            C.ok(ember_add(h, params[1], &h1))
            C.ok(ember_relu(h1, &a))
            C.ok(ember_transpose(params[2], 0, 1, &w2t))
            C.ok(ember_matmul(a, w2t, &o))
            C.ok(ember_add(o, params[3], &logits))
            C.ok(ember_cross_entropy(logits, y, &l))
            for t in [w1t, h, h1, a, w2t, o, logits] { ember_tensor_free(t) }
            return l
        }

        /// zero_grad, loss, backward; returns the loss value.
        func evaluate() -> ember_status {
            var l = loss()
            if negate {
                var n: OpaquePointer?
                C.ok(ember_neg(l, &n))
                ember_tensor_free(l)
                l = n
            }
            defer { ember_tensor_free(l) }
            let status = ember_tensor_backward(l, nil)
            return status
        }

        func value(_ t: OpaquePointer?) -> Double {
            var v = 0.0
            C.ok(ember_tensor_item(t, &v))
            return v
        }

        /// One step of torch's loop; LBFGS through the C closure.
        func step() {
            if lbfgs {
                var first = 0.0
                C.ok(ember_optimizer_step_closure(opt, OptimAPITests.closure, Unmanaged.passUnretained(self).toOpaque(), &first))
                return
            }
            C.ok(ember_optimizer_zero_grad(opt))
            C.ok(evaluate())
            C.ok(ember_optimizer_step(opt))
        }

        var values: [[Double]] { params.map { C.values($0) } }
    }

    /// LBFGS's closure: user_data is the Net.
    static let closure: ember_closure_fn = { userData, loss in
        let net = Unmanaged<Net>.fromOpaque(userData!).takeUnretainedValue()
        net.calls += 1
        if net.calls == net.failAt {
            ember_set_last_error("the model diverged")
            return EMBER_ERR_STATE
        }
        var status = ember_optimizer_zero_grad(net.opt)
        guard status == EMBER_OK else { return status }
        var l = net.loss()
        if net.negate {
            var n: OpaquePointer?
            status = ember_neg(l, &n)
            ember_tensor_free(l)
            l = n
            guard status == EMBER_OK else { return status }
        }
        defer { ember_tensor_free(l) }
        status = ember_tensor_backward(l, nil)
        guard status == EMBER_OK else { return status }
        return ember_tensor_item(l, loss)
    }

    static func list(_ handles: [OpaquePointer?]) -> [OpaquePointer?] { handles }

    /// Every trajectory case through ember_optimizer_new with torch's keyword syntax.
    func testTrajectoriesThroughTheGenericConstructor() throws {
        let fixture = try Fixtures.load("optim")
        let before = Handles.tensors.liveCount
        for (name, value) in (fixture["trajectories"] as! [String: Any]).sorted(by: { $0.key < $1.key }) {
            let c = value as! [String: Any]
            let net = try Net(fixture)
            net.negate = c["negate"] as! Bool
            net.lbfgs = c["type"] as! String == "LBFGS"
            C.ok(ember_optimizer_new(c["type"] as! String, net.params, 4, c["args"] as! String, &net.opt), name)
            for _ in 0..<100 { net.step() }
            let expected = c["params"] as! [String: Any]
            for (i, n) in net.names.enumerated() {
                assertClose(C.values(net.params[i]), try FixtureTensor(expected[n]).values, rtol: 1e-6, atol: 1e-12, "\(name) \(n)")
            }
            ember_optimizer_free(net.opt)
        }
        XCTAssertEqual(Handles.tensors.liveCount, before)
    }

    /// The typed constructors over a module, options by name, equal the generic one bit for bit.
    func testTypedConstructorsAgreeWithTheGenericOne() {
        let typed: [(String, (OpaquePointer?, Double, UnsafeMutablePointer<OpaquePointer?>?) -> ember_status, [(String, Double)], String)] = [
            ("SGD", ember_sgd_new, [("momentum", 0.9), ("nesterov", 1)], "lr=0.05, momentum=0.9, nesterov=True"),
            ("Adam", ember_adam_new, [("amsgrad", 1), ("beta1", 0.8)], "lr=0.05, amsgrad=True, betas=(0.8, 0.999)"),
            ("AdamW", ember_adamw_new, [("weight_decay", 0.1)], "lr=0.05, weight_decay=0.1"),
            ("RMSprop", ember_rmsprop_new, [("centered", 1), ("momentum", 0.5)], "lr=0.05, centered=True, momentum=0.5"),
            ("Adagrad", ember_adagrad_new, [("lr_decay", 0.1)], "lr=0.05, lr_decay=0.1"),
            ("Adadelta", ember_adadelta_new, [("rho", 0.8)], "lr=0.05, rho=0.8"),
            ("Adamax", ember_adamax_new, [("beta2", 0.9)], "lr=0.05, betas=(0.9, 0.9)"),
            ("NAdam", ember_nadam_new, [("momentum_decay", 0.01)], "lr=0.05, momentum_decay=0.01"),
            ("RAdam", ember_radam_new, [("decoupled_weight_decay", 1), ("weight_decay", 0.1)], "lr=0.05, weight_decay=0.1, decoupled_weight_decay=True"),
            ("LBFGS", ember_lbfgs_new, [("line_search_fn", 1), ("max_iter", 3)], "lr=0.05, line_search_fn='strong_wolfe', max_iter=3"),
        ]
        for (type, make, options, args) in typed {
            var results: [[Double]] = []
            for generic in [false, true] {
                ember_manual_seed(3)
                let model = C.seedNetwork()
                var opt: OpaquePointer?
                if generic {
                    var params = [OpaquePointer?](repeating: nil, count: 4)
                    for i in 0..<4 { C.ok(ember_module_parameter_at(model, Int64(i), nil, 0, &params[i])) }
                    C.ok(ember_optimizer_new(type, params, 4, args, &opt), type)
                    for p in params { ember_tensor_free(p) }
                } else {
                    C.ok(make(model, 0.05, &opt), type)
                    for (name, value) in options { C.ok(ember_optimizer_set(opt, name, value), "\(type) \(name)") }
                }
                let x = C.tensor([Float](repeating: 0.5, count: 30), [3, 10]), y = C.tensor([Int64(0), 1, 1], [3])
                let probe = Probe(model: model, x: x, y: y, opt: opt)
                for _ in 0..<5 {
                    if type == "LBFGS" {
                        C.ok(ember_optimizer_step_closure(opt, Self.moduleClosure, Unmanaged.passUnretained(probe).toOpaque(), nil))
                    } else {
                        C.ok(Self.moduleClosure(Unmanaged.passUnretained(probe).toOpaque(), nil))
                        C.ok(ember_optimizer_step(opt))
                    }
                }
                var values: [Double] = []
                for i in 0..<4 {
                    var p: OpaquePointer?
                    C.ok(ember_module_parameter_at(model, Int64(i), nil, 0, &p))
                    values += C.values(p)
                    ember_tensor_free(p)
                }
                results.append(values)
                ember_optimizer_free(opt)
                ember_module_free(model)
                ember_tensor_free(x)
                ember_tensor_free(y)
            }
            XCTAssertEqual(results[0], results[1], type)
            XCTAssertNotEqual(results[0].count, 0)
        }
    }

    /// What a closure over a module needs.
    final class Probe {
        let model, x, y, opt: OpaquePointer?
        init(model: OpaquePointer?, x: OpaquePointer?, y: OpaquePointer?, opt: OpaquePointer?) {
            (self.model, self.x, self.y, self.opt) = (model, x, y, opt)
        }
    }

    static let moduleClosure: ember_closure_fn = { userData, loss in
        let p = Unmanaged<Probe>.fromOpaque(userData!).takeUnretainedValue()
        var out, l: OpaquePointer?
        var status = ember_optimizer_zero_grad(p.opt)
        if status == EMBER_OK { status = ember_module_forward(p.model, p.x, &out) }
        if status == EMBER_OK { status = ember_cross_entropy(out, p.y, &l) }
        if status == EMBER_OK { status = ember_tensor_backward(l, nil) }
        if status == EMBER_OK, let loss { status = ember_tensor_item(l, loss) }
        ember_tensor_free(out)
        ember_tensor_free(l)
        return status
    }

    func testParameterGroupsThroughC() throws {
        let fixture = try Fixtures.load("optim")
        let c = (fixture["groups"] as! [String: Any])["adam_groups"] as! [String: Any]
        let net = try Net(fixture)
        C.ok(ember_optimizer_new("Adam", [net.params[0], net.params[2]], 2, c["args"] as! String, &net.opt))
        let second = (c["groups"] as! [[String: Any]])[1]
        C.ok(ember_optimizer_add_param_group(net.opt, [net.params[1], net.params[3]], 2, second["args"] as! String))
        XCTAssertEqual(ember_optimizer_param_group_count(net.opt), 2)
        var v = 0.0
        C.ok(ember_optimizer_get_group(net.opt, 1, "amsgrad", &v))
        XCTAssertEqual(v, 1)
        C.ok(ember_optimizer_get_group(net.opt, 0, "weight_decay", &v))
        XCTAssertEqual(v, 0.1)
        for _ in 0..<100 { net.step() }
        let expected = c["params"] as! [String: Any]
        for (i, n) in net.names.enumerated() {
            assertClose(C.values(net.params[i]), try FixtureTensor(expected[n]).values, rtol: 1e-6, atol: 1e-12, n)
        }
        // Per-group set; a plain set reaches every group.
        C.ok(ember_optimizer_set_group(net.opt, 1, "lr", 0.5))
        C.ok(ember_optimizer_get(net.opt, "lr", &v))
        XCTAssertEqual(v, 0.01)
        C.ok(ember_optimizer_set(net.opt, "eps", 1e-5))
        C.ok(ember_optimizer_get_group(net.opt, 1, "eps", &v))
        XCTAssertEqual(v, 1e-5)
        C.fails(ember_optimizer_set_group(net.opt, 2, "lr", 0.1), EMBER_ERR_INVALID_ARGUMENT, ["group index 2"])
        C.fails(ember_optimizer_get_group(net.opt, -1, "lr", &v), EMBER_ERR_INVALID_ARGUMENT, ["group index -1"])
        C.fails(ember_optimizer_add_param_group(net.opt, [net.params[1]], 1, nil), EMBER_ERR_INVALID_ARGUMENT, ["more than one parameter group"])
        C.fails(ember_optimizer_add_param_group(net.opt, [net.x], 1, "momentum=0.5"), EMBER_ERR_INVALID_ARGUMENT,
                ["unexpected argument 'momentum'", "lr, betas, eps, weight_decay, amsgrad"])
        C.fails(ember_optimizer_add_param_group(net.opt, [OpaquePointer(bitPattern: UInt(0xE1_FFFFFF_7FFFFFFF as UInt64))], 1, nil), EMBER_ERR_INVALID_HANDLE,
                ["element 0 of 'params' is a tensor handle that has been freed"])
        XCTAssertEqual(ember_optimizer_param_group_count(net.opt), 2)
        ember_optimizer_free(net.opt)
        XCTAssertEqual(ember_optimizer_param_group_count(net.opt), -1)
        XCTAssertTrue(C.lastError.contains("freed"))
    }

    // MARK: - Schedulers

    /// State a lambda callback reaches through user_data.
    final class LambdaProbe {
        var calls = 0
        var failEpoch = -1
        var destroyed = 0
    }

    static let lambda: ember_lr_lambda_fn = { epoch, group, userData, factor in
        let probe = Unmanaged<LambdaProbe>.fromOpaque(userData!).takeUnretainedValue()
        probe.calls += 1
        if epoch == Int64(probe.failEpoch) {
            ember_set_last_error("no factor for epoch \(epoch)")
            return EMBER_ERR_INVALID_ARGUMENT
        }
        factor!.pointee = group == 0 ? pow(0.95, Double(epoch)) : 1.0 / (1.0 + Double(epoch))
        return EMBER_OK
    }

    static let destroyLambda: @convention(c) (UnsafeMutableRawPointer?) -> Void = { userData in
        Unmanaged<LambdaProbe>.fromOpaque(userData!).takeUnretainedValue().destroyed += 1
    }

    /// An SGD over two groups (lr 0.1 and 0.05), as the scheduler fixtures have it.
    func twoGroupOptimizer(_ type: String = "SGD") -> (OpaquePointer?, [OpaquePointer?]) {
        let a = C.tensor([Float(0), 0], [2]), b = C.tensor([Float(0), 0, 0], [3])
        C.ok(ember_tensor_set_requires_grad(a, true))
        C.ok(ember_tensor_set_requires_grad(b, true))
        var opt: OpaquePointer?
        C.ok(ember_optimizer_new(type, [a], 1, type == "SGD" ? "lr=0.1, momentum=0.9" : "lr=0.1", &opt))
        C.ok(ember_optimizer_add_param_group(opt, [b], 1, "lr=0.05"))
        return (opt, [a, b])
    }

    func lastLR(_ s: OpaquePointer?) -> [Double] {
        var n: Int64 = 0
        C.ok(ember_scheduler_get_last_lr(s, nil, 0, &n))
        var lrs = [Double](repeating: 0, count: Int(n))
        C.ok(ember_scheduler_get_last_lr(s, &lrs, n, &n))
        return lrs
    }

    func expected(_ name: String) throws -> [[Double]] {
        let c = (try Fixtures.load("optim")["schedulers"] as! [String: Any])[name] as! [String: Any]
        return (c["lrs"] as! [Any]).map { ($0 as! [Any]).map { $0 as! Double } }
    }

    func assertSequence(_ s: OpaquePointer?, _ expected: [[Double]], _ what: String, metrics: [Double]? = nil) {
        var actual = [lastLR(s)]
        for i in 0..<(expected.count - 1) {
            if let metrics { C.ok(ember_scheduler_step_metric(s, metrics[i])) } else { C.ok(ember_scheduler_step(s)) }
            actual.append(lastLR(s))
        }
        for (i, (a, e)) in zip(actual, expected).enumerated() { assertClose(a, e, rtol: 1e-12, atol: 1e-15, "\(what) step \(i)") }
    }

    func testLambdaLRWithACallback() throws {
        let probe = LambdaProbe()
        let data = Unmanaged.passUnretained(probe).toOpaque()
        var (opt, tensors) = twoGroupOptimizer()
        var sched: OpaquePointer?
        C.ok(ember_lambdalr_new(opt, Self.lambda, data, Self.destroyLambda, &sched))
        ember_optimizer_free(opt)                                         // the scheduler keeps it alive
        assertSequence(sched, try expected("lambdalr_per_group"), "LambdaLR")
        // A failing callback: the step fails with its status and message, and nothing moves.
        let lrs = lastLR(sched)
        probe.failEpoch = 26
        C.fails(ember_scheduler_step(sched), EMBER_ERR_INVALID_ARGUMENT, ["ember_scheduler_step", "lr_lambda", "no factor for epoch 26"])
        XCTAssertEqual(lastLR(sched), lrs)
        var epoch = 0.0
        C.ok(ember_scheduler_get(sched, "last_epoch", &epoch))
        XCTAssertEqual(epoch, 25)
        XCTAssertEqual(probe.destroyed, 0)
        ember_scheduler_free(sched)
        XCTAssertEqual(probe.destroyed, 1)
        for t in tensors { ember_tensor_free(t) }
        // A failure in the constructor's initial step; user_data is released then too.
        (opt, tensors) = twoGroupOptimizer()
        probe.failEpoch = 0
        C.fails(ember_lambdalr_new(opt, Self.lambda, data, Self.destroyLambda, &sched), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_lambdalr_new", "no factor for epoch 0"])
        XCTAssertNil(sched)
        XCTAssertEqual(probe.destroyed, 2)
        // MultiplicativeLR asks for no factor at its initial step, only when stepping.
        C.ok(ember_multiplicativelr_new(opt, Self.lambda, data, nil, &sched))
        probe.failEpoch = 1
        C.fails(ember_scheduler_step(sched), EMBER_ERR_INVALID_ARGUMENT, ["no factor for epoch 1"])
        ember_scheduler_free(sched)
        XCTAssertEqual(probe.destroyed, 2)
        C.fails(ember_lambdalr_new(opt, nil, nil, nil, &sched), EMBER_ERR_INVALID_ARGUMENT, ["'lr_lambda' is NULL"])
        ember_optimizer_free(opt)
        for t in tensors { ember_tensor_free(t) }
    }

    /// Every scheduler made by name through C, and the typed constructors.
    func testSchedulersThroughC() throws {
        let all = try Fixtures.load("optim")["schedulers"] as! [String: Any]
        var checked = 0
        for (name, value) in all.sorted(by: { $0.key < $1.key }) {
            let c = value as! [String: Any]
            guard let type = c["type"] as? String, let args = c["args"] as? String else { continue }
            let (opt, tensors) = twoGroupOptimizer(c["optimizer"] as! String)
            var sched: OpaquePointer?
            C.ok(ember_scheduler_new(opt, type, args, &sched), name)
            assertSequence(sched, try expected(name), name, metrics: (c["metrics"] as? [Any])?.map { $0 as! Double })
            ember_scheduler_free(sched)
            ember_optimizer_free(opt)
            for t in tensors { ember_tensor_free(t) }
            checked += 1
        }
        XCTAssertEqual(checked, 19)

        let typed: [(String, (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> ember_status)] = [
            ("steplr", { ember_steplr_new($0, 7, 0.5, $1) }),
            ("multisteplr", { o, out in [Int64(5), 12, 12, 30].withUnsafeBufferPointer { ember_multisteplr_new(o, $0.baseAddress, 4, 0.3, out) } }),
            ("constantlr", { ember_constantlr_new($0, 0.25, 6, $1) }),
            ("linearlr_decay", { ember_linearlr_new($0, 1.0, 0.1, 30, $1) }),
            ("exponentiallr", { ember_exponentiallr_new($0, 0.93, $1) }),
            ("polynomiallr", { ember_polynomiallr_new($0, 20, 2.0, $1) }),
            ("cosineannealinglr", { ember_cosineannealinglr_new($0, 15, 0.001, $1) }),
            ("cosineannealingwarmrestarts_mult1", { ember_cosineannealingwarmrestarts_new($0, 7, 1, 0, $1) }),
            ("onecyclelr_cos", { ember_onecyclelr_new($0, 0.5, 50, $1) }),
        ]
        for (name, make) in typed {
            let (opt, tensors) = twoGroupOptimizer()
            var sched: OpaquePointer?
            C.ok(make(opt, &sched), name)
            assertSequence(sched, try expected(name), name)
            ember_scheduler_free(sched)
            ember_optimizer_free(opt)
            for t in tensors { ember_tensor_free(t) }
        }
        // ReduceLROnPlateau typed, then options by name.
        let c = all["plateau_min_abs_cooldown"] as! [String: Any]
        let (opt, tensors) = twoGroupOptimizer()
        var plateau: OpaquePointer?
        C.fails(ember_reducelronplateau_new(opt, "lowest", 0.3, 2, &plateau), EMBER_ERR_INVALID_ARGUMENT, ["mode lowest is unknown"])
        C.ok(ember_reducelronplateau_new(opt, "min", 0.3, 2, &plateau))
        var factor = 0.0
        C.ok(ember_scheduler_get(plateau, "factor", &factor))
        XCTAssertEqual(factor, 0.3)
        ember_scheduler_free(plateau)
        C.fails(ember_scheduler_new(opt, "ReduceLROnPlateau", "threshold_mode='relative'", &plateau), EMBER_ERR_INVALID_ARGUMENT,
                ["threshold_mode", "'rel', 'abs'"])
        C.ok(ember_scheduler_new(opt, "ReduceLROnPlateau", "mode='min', factor=0.3, patience=2, threshold_mode='abs'", &plateau))
        C.ok(ember_scheduler_set(plateau, "threshold", 0.01))
        C.ok(ember_scheduler_set(plateau, "cooldown", 3))
        C.ok(ember_scheduler_set(plateau, "min_lr", 0.004))
        C.fails(ember_scheduler_step(plateau), EMBER_ERR_INVALID_ARGUMENT, ["needs the metric"])
        assertSequence(plateau, try expected("plateau_min_abs_cooldown"), "plateau by name", metrics: (c["metrics"] as! [Any]).map { $0 as! Double })
        var best = 0.0
        C.ok(ember_scheduler_get(plateau, "best", &best))
        XCTAssertTrue(best.isFinite)
        C.fails(ember_scheduler_set(plateau, "best", 1), EMBER_ERR_INVALID_ARGUMENT, ["read-only"])
        C.fails(ember_scheduler_get(plateau, "gamma", &best), EMBER_ERR_INVALID_ARGUMENT,
                ["ReduceLROnPlateau has no option \"gamma\"", "factor, patience, threshold, cooldown, min_lr, eps"])
        ember_scheduler_free(plateau)
        ember_optimizer_free(opt)
        for t in tensors { ember_tensor_free(t) }
    }

    func testSequentialAndChainedThroughC() throws {
        var (opt, tensors) = twoGroupOptimizer()
        var warm, cos, seq: OpaquePointer?
        C.ok(ember_linearlr_new(opt, 0.1, 1.0, 5, &warm))
        C.ok(ember_cosineannealinglr_new(opt, 20, 0, &cos))
        C.fails(ember_sequentiallr_new(opt, [warm, cos], 2, [Int64(5), 9], 2, &seq), EMBER_ERR_INVALID_ARGUMENT, ["number of milestones"])
        C.ok(ember_sequentiallr_new(opt, [warm, cos], 2, [Int64(5)], 1, &seq))
        ember_scheduler_free(warm)                                          // kept alive by the sequence
        ember_scheduler_free(cos)
        assertSequence(seq, try expected("sequentiallr_warmup_cosine"), "SequentialLR")
        ember_scheduler_free(seq)
        ember_optimizer_free(opt)
        for t in tensors { ember_tensor_free(t) }

        (opt, tensors) = twoGroupOptimizer()
        var constant, exponential, chained: OpaquePointer?
        C.ok(ember_constantlr_new(opt, 0.1, 2, &constant))
        C.ok(ember_exponentiallr_new(opt, 0.9, &exponential))
        C.ok(ember_chainedscheduler_new([constant, exponential], 2, &chained))
        assertSequence(chained, try expected("chainedscheduler"), "ChainedScheduler")
        let (other, otherTensors) = twoGroupOptimizer()
        var foreign, plateau: OpaquePointer?
        C.ok(ember_exponentiallr_new(other, 0.5, &foreign))
        C.ok(ember_reducelronplateau_new(opt, nil, 0.1, 10, &plateau))
        C.fails(ember_chainedscheduler_new([constant, foreign], 2, &seq), EMBER_ERR_INVALID_ARGUMENT, ["same optimizer"])
        C.fails(ember_chainedscheduler_new([plateau], 1, &seq), EMBER_ERR_INVALID_ARGUMENT, ["ReduceLROnPlateau"])
        C.fails(ember_chainedscheduler_new([], 0, &seq), EMBER_ERR_INVALID_ARGUMENT, ["at least one scheduler"])
        C.fails(ember_chainedscheduler_new([opt], 1, &seq), EMBER_ERR_INVALID_HANDLE, ["element 0 of 'schedulers' is a optimizer handle"])
        XCTAssertNil(seq)
        for s in [constant, exponential, chained, foreign, plateau] { ember_scheduler_free(s) }
        ember_optimizer_free(opt)
        ember_optimizer_free(other)
        for t in tensors + otherTensors { ember_tensor_free(t) }
    }

    // MARK: - State

    /// A named-tensor list read through count/at, as a checkpoint writer would.
    func exportState(count: Int64, at: (Int64, UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<OpaquePointer?>?) -> ember_status)
        -> [(String, OpaquePointer?)] {
        (0..<count).map { i in
            var buffer = [CChar](repeating: 0, count: 64)
            var t: OpaquePointer?
            C.ok(at(i, &buffer, 64, &t))
            return (String(cString: buffer), t)
        }
    }

    func load(_ entries: [(String, OpaquePointer?)], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, [OpaquePointer?], Int64) -> ember_status) -> ember_status {
        let names = entries.map { UnsafePointer(strdup($0.0)) }
        defer { for n in names { free(UnsafeMutablePointer(mutating: n)) } }
        return names.withUnsafeBufferPointer { body($0.baseAddress, entries.map(\.1), Int64(entries.count)) }
    }

    /// Adam with OneCycleLR, saved after 50 steps through C and restored into
    /// fresh objects: 50 more steps equal 100 uninterrupted ones, bit for bit.
    func testStateRoundTripThroughC() throws {
        let fixture = try Fixtures.load("optim")
        func make(_ net: Net) -> OpaquePointer? {
            C.ok(ember_optimizer_new("NAdam", net.params, 4, "lr=0.01, weight_decay=0.01", &net.opt))
            var sched: OpaquePointer?
            C.ok(ember_scheduler_new(net.opt, "OneCycleLR", "max_lr=0.02, total_steps=100, three_phase=True", &sched))
            return sched
        }
        let straight = try Net(fixture)
        let s1 = make(straight)
        for _ in 0..<100 { straight.step(); C.ok(ember_scheduler_step(s1)) }

        let first = try Net(fixture)
        let s2 = make(first)
        for _ in 0..<50 { first.step(); C.ok(ember_scheduler_step(s2)) }
        let optState = exportState(count: ember_optimizer_state_count(first.opt)) { ember_optimizer_state_at(first.opt, $0, $1, $2, $3) }
        let schedState = exportState(count: ember_scheduler_state_count(s2)) { ember_scheduler_state_at(s2, $0, $1, $2, $3) }
        XCTAssertTrue(optState.contains { $0.0 == "state.3.mu_product" })
        XCTAssertTrue(optState.contains { $0.0 == "param_groups.0.max_momentum" })
        XCTAssertTrue(schedState.contains { $0.0 == "_schedule_phases.2.end_step" })
        let weights = first.values
        ember_scheduler_free(s2)
        ember_optimizer_free(first.opt)

        let resumed = try Net(fixture)
        for (p, w) in zip(resumed.params, weights) { C.ok(ember_tensor_copy_from(p, w, w.count * 8)) }
        let s3 = make(resumed)
        C.ok(load(optState) { ember_optimizer_load_state(resumed.opt, $0, $1, $2) })
        C.ok(load(schedState) { ember_scheduler_load_state(s3, $0, $1, $2) })
        for _ in 0..<50 { resumed.step(); C.ok(ember_scheduler_step(s3)) }
        XCTAssertEqual(resumed.values, straight.values)
        XCTAssertEqual(lastLR(s3), lastLR(s1))

        // Strict loading through C: the message names the mismatch; nothing changes.
        var broken = optState
        broken[0].0 = "state.0.exp_avgs"
        C.fails(load(broken) { ember_optimizer_load_state(resumed.opt, $0, $1, $2) }, EMBER_ERR_INVALID_ARGUMENT,
                ["ember_optimizer_load_state", "unexpected name 'state.0.exp_avgs'", "NAdam keeps step, mu_product"])
        C.fails(load(schedState.filter { $0.0 != "last_epoch" }) { ember_scheduler_load_state(s3, $0, $1, $2) }, EMBER_ERR_INVALID_ARGUMENT,
                ["'last_epoch' is missing"])
        C.fails(ember_optimizer_load_state(resumed.opt, nil, [optState[0].1], 1), EMBER_ERR_INVALID_ARGUMENT, ["'names' is NULL"])
        XCTAssertEqual(resumed.values, straight.values)
        // Name buffers: too small, or an index out of range.
        var small = [CChar](repeating: 0, count: 4)
        C.fails(ember_optimizer_state_at(resumed.opt, 0, &small, 4, nil), EMBER_ERR_INVALID_ARGUMENT, ["needs"])
        var t: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_scheduler_state_at(s3, 999, nil, 0, &t), EMBER_ERR_INVALID_ARGUMENT, ["index 999 is out of range"])
        XCTAssertNil(t)

        for (_, h) in optState + schedState { ember_tensor_free(h) }
        for s in [s1, s3] { ember_scheduler_free(s) }
        ember_optimizer_free(straight.opt)
        ember_optimizer_free(resumed.opt)
    }

    // MARK: - Clipping

    func testClippingThroughC() throws {
        let cases = try Fixtures.load("optim")["clipping"] as! [String: Any]
        for name in ["norm_2.0_1.0", "norm_inf_1.0", "norm_0.5_1.0", "value_0.3"] {
            let c = cases[name] as! [String: Any]
            let params: [OpaquePointer?] = try (c["grads"] as! [Any]).map { g in
                guard !(g is NSNull) else { return C.tensor([0.0, 0, 0, 0, 0], [5]) }
                let f = try FixtureTensor(g)
                let p = C.tensor([Double](repeating: 0, count: f.values.count), f.shape.map(Int64.init))
                C.ok(ember_tensor_set_requires_grad(p, true))
                var s: OpaquePointer?
                let grad = C.tensor(f.values, f.shape.map(Int64.init))
                C.ok(ember_mul(p, grad, &s))                      // d/dp sum(p * g) = g
                var total: OpaquePointer?
                C.ok(ember_sum(s, &total))
                C.ok(ember_tensor_backward(total, nil))
                for t in [s, total, grad] { ember_tensor_free(t) }
                return p
            }
            if let clip = c["clip_value"] as? Double {
                C.ok(ember_clip_grad_value_(params, Int64(params.count), clip))
            } else {
                var total = 0.0
                C.ok(ember_clip_grad_norm_(params, Int64(params.count), c["max_norm"] as! Double, c["norm_type"] as! Double, false, &total))
                XCTAssertEqual(total, c["total_norm"] as! Double, accuracy: 1e-12 * (c["total_norm"] as! Double), name)
            }
            for (p, e) in zip(params, c["clipped"] as! [Any]) {
                var g: OpaquePointer?
                C.ok(ember_tensor_grad(p, &g))
                if e is NSNull { XCTAssertNil(g) } else { assertClose(C.values(g), try FixtureTensor(e).values, rtol: 1e-12, atol: 1e-15, name) }
                ember_tensor_free(g)
                ember_tensor_free(p)
            }
        }
        // Over a module; a non-finite norm with error_if_nonfinite.
        let model = C.seedNetwork()
        let x = C.tensor([Float](repeating: 1, count: 10), [1, 10])
        var out, s: OpaquePointer?
        C.ok(ember_module_forward(model, x, &out))
        C.ok(ember_sum(out, &s))
        C.ok(ember_tensor_backward(s, nil))
        var total = -1.0
        C.ok(ember_module_clip_grad_norm_(model, 1e-3, .infinity, false, &total))
        XCTAssertGreaterThan(total, 0)
        C.ok(ember_module_clip_grad_value_(model, 1e-4))
        C.fails(ember_module_clip_grad_norm_(model, 1, 2, false, nil), EMBER_ERR_INVALID_ARGUMENT, ["'total_norm' is NULL"])
        C.fails(ember_clip_grad_norm_(nil, 2, 1, 2, false, &total), EMBER_ERR_INVALID_ARGUMENT, ["'params' is NULL"])
        C.fails(ember_module_clip_grad_value_(x, 1), EMBER_ERR_INVALID_HANDLE, ["tensor handle, not a module handle"])
        var p: OpaquePointer?
        C.ok(ember_module_parameter(model, "0.bias", &p))
        var g: OpaquePointer?
        C.ok(ember_tensor_grad(p, &g))
        XCTAssertTrue(C.values(g).allSatisfy { abs($0) <= 1e-4 })
        C.ok(ember_tensor_copy_from(g, [Float](repeating: .infinity, count: 5), 20))
        C.fails(ember_module_clip_grad_norm_(model, 1, 2, true, &total), EMBER_ERR_INVALID_ARGUMENT, ["non-finite", "error_if_nonfinite=False"])
        XCTAssertEqual(total, 0)
        for t in [x, out, s, p, g] { ember_tensor_free(t) }
        ember_module_free(model)
    }

    // MARK: - Bad input

    func testBadInputThroughC() throws {
        let model = C.seedNetwork()
        var opt: OpaquePointer?
        C.fails(ember_adam_new(model, -0.1, &opt), EMBER_ERR_INVALID_ARGUMENT, ["ember_adam_new", "invalid learning rate: -0.1"])
        XCTAssertNil(opt)
        C.fails(ember_rmsprop_new(nil, 0.1, &opt), EMBER_ERR_INVALID_HANDLE, ["argument 'm' is NULL"])
        var relu: OpaquePointer?
        C.ok(ember_relu_new(&relu))
        C.fails(ember_nadam_new(relu, 0.1, &opt), EMBER_ERR_INVALID_ARGUMENT, ["empty parameter list"])
        C.fails(ember_optimizer_new("Adamm", nil, 0, nil, &opt), EMBER_ERR_INVALID_ARGUMENT, ["unknown optimizer type \"Adamm\"", "RAdam, LBFGS"])
        C.fails(ember_optimizer_new("Adam", nil, 3, nil, &opt), EMBER_ERR_INVALID_ARGUMENT, ["'params' is NULL but count is 3"])
        C.fails(ember_optimizer_new("Adam", [model], 1, nil, &opt), EMBER_ERR_INVALID_HANDLE, ["element 0 of 'params' is a module handle"])
        C.ok(ember_adam_new(model, 0.1, &opt))
        C.fails(ember_optimizer_set(opt, "betas", 0.9), EMBER_ERR_INVALID_ARGUMENT,
                ["Adam has no option \"betas\"", "lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay"])
        C.fails(ember_optimizer_set(opt, "beta1", 1.0), EMBER_ERR_INVALID_ARGUMENT, ["invalid beta parameter at index 0: 1.0"])
        C.fails(ember_optimizer_set(opt, "beta2", -0.5), EMBER_ERR_INVALID_ARGUMENT, ["invalid beta parameter at index 1: -0.5"])
        C.fails(ember_optimizer_set(opt, "eps", -1), EMBER_ERR_INVALID_ARGUMENT, ["invalid epsilon value"])
        C.fails(ember_optimizer_set(opt, "lr", -1), EMBER_ERR_INVALID_ARGUMENT, ["invalid learning rate"])
        C.fails(ember_optimizer_step_closure(opt, nil, nil, nil), EMBER_ERR_INVALID_ARGUMENT, ["'closure' is NULL"])
        C.ok(ember_optimizer_step(opt))                                   // no gradients: a no-op
        XCTAssertEqual(ember_optimizer_state_count(opt), 9)               // options and params only: no state was made
        var lbfgs: OpaquePointer?
        C.ok(ember_lbfgs_new(model, 1, &lbfgs))
        C.fails(ember_optimizer_step(lbfgs), EMBER_ERR_INVALID_ARGUMENT, ["LBFGS", "closure"])
        C.fails(ember_optimizer_add_param_group(lbfgs, nil, 0, nil), EMBER_ERR_INVALID_ARGUMENT, ["per-parameter options"])
        // A failing closure: its status and its message.
        let fixture = try Fixtures.load("optim")
        let net = try Net(fixture)
        C.ok(ember_optimizer_new("LBFGS", net.params, 4, "line_search_fn='strong_wolfe'", &net.opt))
        net.failAt = 2
        var loss = 1.0
        C.fails(ember_optimizer_step_closure(net.opt, Self.closure, Unmanaged.passUnretained(net).toOpaque(), &loss), EMBER_ERR_STATE,
                ["ember_optimizer_step_closure", "the closure failed (EMBER_ERR_STATE)", "the model diverged"])
        XCTAssertEqual(loss, 0)
        XCTAssertEqual(ember_optimizer_state_count(net.opt), 9)           // the failed step left no state
        ember_optimizer_free(net.opt)
        // Stale and wrong-kind handles.
        var sched: OpaquePointer?
        C.ok(ember_steplr_new(opt, 2, 0.5, &sched))
        ember_optimizer_free(opt)
        C.fails(ember_optimizer_step(opt), EMBER_ERR_INVALID_HANDLE, ["has been freed"])
        C.ok(ember_scheduler_step(sched))                                 // its optimizer lives on inside
        ember_scheduler_free(sched)
        C.fails(ember_steplr_new(opt, 2, 0.5, &sched), EMBER_ERR_INVALID_HANDLE, ["argument 'opt' is a optimizer handle that has been freed"])
        C.fails(ember_scheduler_step(model), EMBER_ERR_INVALID_HANDLE, ["module handle, not a scheduler handle"])
        C.fails(ember_scheduler_step(nil), EMBER_ERR_INVALID_HANDLE, ["is NULL"])
        C.fails(ember_steplr_new(lbfgs, 0, 0.5, &sched), EMBER_ERR_INVALID_ARGUMENT, ["step_size must be a positive integer"])
        XCTAssertNil(sched)
        C.ok(ember_exponentiallr_new(lbfgs, 0.5, &sched))
        C.fails(ember_scheduler_step_metric(sched, 1), EMBER_ERR_INVALID_ARGUMENT, ["takes no metric"])
        var one = 0.0
        var count: Int64 = 0
        C.fails(ember_scheduler_get_last_lr(sched, &one, 0, &count), EMBER_ERR_INVALID_ARGUMENT, ["capacity 0 is too small"])
        C.fails(ember_scheduler_get_last_lr(sched, &one, 1, nil), EMBER_ERR_INVALID_ARGUMENT, ["'count' is NULL"])
        ember_scheduler_free(sched)
        C.fails(ember_scheduler_new(lbfgs, "CosineAnnealing", "T_max=3", &sched), EMBER_ERR_INVALID_ARGUMENT,
                ["unknown scheduler type \"CosineAnnealing\"", "CosineAnnealingLR"])
        C.fails(ember_scheduler_new(lbfgs, "StepLR", "step_size=3, gama=0.5", &sched), EMBER_ERR_INVALID_ARGUMENT,
                ["unexpected argument 'gama'", "step_size, gamma"])
        C.fails(ember_onecyclelr_new(lbfgs, 0.1, 10, &sched), EMBER_ERR_INVALID_ARGUMENT, ["must support momentum or beta1"])
        XCTAssertNil(sched)
        XCTAssertEqual(ember_scheduler_state_count(nil), -1)
        ember_scheduler_free(nil)
        ember_optimizer_free(nil)
        ember_optimizer_free(lbfgs)
        ember_module_free(relu)
        ember_module_free(model)
    }

    /// Freeing everything releases everything: optimizers, schedulers and the parts they hold.
    func testNoHandlesLeak() throws {
        let before = (Handles.tensors.liveCount, Handles.optimizers.liveCount, Handles.schedulers.liveCount)
        let probe = LambdaProbe()
        do {
            let (opt, tensors) = twoGroupOptimizer()
            var a, b, seq: OpaquePointer?
            C.ok(ember_lambdalr_new(opt, Self.lambda, Unmanaged.passUnretained(probe).toOpaque(), Self.destroyLambda, &a))
            C.ok(ember_steplr_new(opt, 3, 0.5, &b))
            C.ok(ember_sequentiallr_new(opt, [a, b], 2, [Int64(4)], 1, &seq))
            for _ in 0..<6 { C.ok(ember_scheduler_step(seq)) }
            for s in [a, b, seq] { ember_scheduler_free(s) }
            ember_optimizer_free(opt)
            for t in tensors { ember_tensor_free(t) }
        }
        XCTAssertEqual(probe.destroyed, 1)                                 // the lambda went with its sequence
        XCTAssertEqual(Handles.tensors.liveCount, before.0)
        XCTAssertEqual(Handles.optimizers.liveCount, before.1)
        XCTAssertEqual(Handles.schedulers.liveCount, before.2)
    }
}
