import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// Every loss with its options against torch (forward, input and target
/// gradients), the loss modules made by class name, float64 gradchecks of
/// both orders, and bad input.
final class LossFunctionTests: XCTestCase {
    typealias LossFunction = ([Tensor], [Tensor]) throws -> Tensor

    /// Each functional case: its loss given (inputs, constants), and a tolerance.
    let cases: [(String, Double, LossFunction)] = [
        ("ce_basic", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil) }),
        ("ce_ignored_default", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil) }),
        ("ce_weight_ignore", 1e-10, { x, c in try Functional.crossEntropy(x[0], x[1], weight: c[0], ignoreIndex: 2) }),
        ("ce_nd_none", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil, reduction: .none) }),
        ("ce_nd_sum_weight", 1e-10, { x, c in try Functional.crossEntropy(x[0], x[1], weight: c[0], reduction: .sum) }),
        ("ce_smoothing", 1e-10, { x, c in try Functional.crossEntropy(x[0], x[1], weight: c[0], labelSmoothing: 0.2) }),
        ("ce_smoothing_none", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil, reduction: .none, labelSmoothing: 0.15) }),
        ("ce_smoothing_sum_nd", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil, reduction: .sum, labelSmoothing: 0.3) }),
        ("ce_all_ignored", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil) }),
        ("ce_prob", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil) }),
        ("ce_prob_weight_smooth_none", 1e-10, { x, c in
            try Functional.crossEntropy(x[0], x[1], weight: c[0], reduction: .none, labelSmoothing: 0.1)
        }),
        ("ce_prob_sum", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil, reduction: .sum) }),
        ("ce_unbatched", 1e-10, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil, labelSmoothing: 0.1) }),
        ("ce_f32", 1e-5, { x, c in try Functional.crossEntropy(x[0], x[1], weight: c[0], labelSmoothing: 0.1) }),
        ("ce_fast_f32", 1e-6, { x, _ in try Functional.crossEntropy(x[0], x[1], weight: nil) }),
        ("nll_weight_ignore_sum", 1e-10, { x, c in try Functional.nllLoss(x[0], x[1], weight: c[0], ignoreIndex: 1, reduction: .sum) }),
        ("nll_weight_mean", 1e-10, { x, c in try Functional.nllLoss(x[0], x[1], weight: c[0]) }),
        ("nll_4d_none", 1e-10, { x, _ in try Functional.nllLoss(x[0], x[1], reduction: .none) }),
        ("mse_mean", 1e-10, { x, _ in try Functional.mseLoss(x[0], x[1], reduction: .mean) }),
        ("mse_sum", 1e-10, { x, _ in try Functional.mseLoss(x[0], x[1], reduction: .sum) }),
        ("mse_none_broadcast", 1e-10, { x, _ in try Functional.mseLoss(x[0], x[1], reduction: .none) }),
        ("mse_f32", 1e-6, { x, _ in try Functional.mseLoss(x[0], x[1], reduction: .mean) }),
        ("l1_mean", 1e-10, { x, _ in try Functional.l1Loss(x[0], x[1]) }),
        ("l1_none", 1e-10, { x, _ in try Functional.l1Loss(x[0], x[1], reduction: .none) }),
        ("smooth_l1_beta", 1e-10, { x, _ in try Functional.smoothL1Loss(x[0], x[1], beta: 0.5) }),
        ("smooth_l1_default_sum", 1e-10, { x, _ in try Functional.smoothL1Loss(x[0], x[1], reduction: .sum) }),
        ("smooth_l1_beta0", 1e-10, { x, _ in try Functional.smoothL1Loss(x[0], x[1], reduction: .none, beta: 0) }),
        ("smooth_l1_f32", 1e-6, { x, _ in try Functional.smoothL1Loss(x[0], x[1], beta: 0.7) }),
        ("huber_delta", 1e-10, { x, _ in try Functional.huberLoss(x[0], x[1], delta: 0.7) }),
        ("huber_sum", 1e-10, { x, _ in try Functional.huberLoss(x[0], x[1], reduction: .sum, delta: 1.5) }),
        ("huber_none_f32", 1e-6, { x, _ in try Functional.huberLoss(x[0], x[1], reduction: .none) }),
        ("bce_mean", 1e-10, { x, _ in try Functional.binaryCrossEntropy(x[0], x[1]) }),
        ("bce_weight_sum", 1e-10, { x, c in try Functional.binaryCrossEntropy(x[0], x[1], weight: c[0], reduction: .sum) }),
        ("bce_edges_none", 1e-10, { x, _ in try Functional.binaryCrossEntropy(x[0], x[1], reduction: .none) }),
        ("bce_f32", 1e-6, { x, _ in try Functional.binaryCrossEntropy(x[0], x[1]) }),
        ("bcel_mean", 1e-10, { x, _ in try Functional.binaryCrossEntropyWithLogits(x[0], x[1]) }),
        ("bcel_pos_weight_none", 1e-10, { x, c in
            try Functional.binaryCrossEntropyWithLogits(x[0], x[1], weight: c[0], posWeight: c[1], reduction: .none)
        }),
        ("bcel_pos_weight_sum", 1e-10, { x, c in try Functional.binaryCrossEntropyWithLogits(x[0], x[1], posWeight: c[0], reduction: .sum) }),
        ("bcel_f32", 1e-5, { x, c in try Functional.binaryCrossEntropyWithLogits(x[0], x[1], posWeight: c[0]) }),
        ("kl_mean", 1e-10, { x, _ in try Functional.klDiv(x[0], x[1]) }),
        ("kl_batchmean", 1e-10, { x, _ in try Functional.klDiv(x[0], x[1], reduction: .batchmean) }),
        ("kl_sum_zero_target", 1e-10, { x, _ in try Functional.klDiv(x[0], x[1], reduction: .sum) }),
        ("kl_log_target_none", 1e-10, { x, _ in try Functional.klDiv(x[0], x[1], reduction: .none, logTarget: true) }),
        ("kl_f32", 1e-6, { x, _ in try Functional.klDiv(x[0], x[1], reduction: .batchmean) }),
    ]

    func testLossesMatchTorch() throws {
        for (name, tolerance, loss) in cases {
            let constants = try NormLossSupport.constants(name)
            try checkAgainstTorch("norm_loss", name, rtol: tolerance, atol: tolerance) { try loss($0, constants) }
        }
    }

    func testLossModulesMatchTorch() throws {
        for (name, value) in try NormLossSupport.section("losses") {
            let c = try XCTUnwrap(value as? [String: Any])
            let type = try XCTUnwrap(c["type"] as? String), args = try XCTUnwrap(c["args"] as? String)
            let m = try ModuleRegistry.make(type, args)
            XCTAssertEqual(m.description, c["repr"] as? String, name)
            for (suffix, tolerance) in [("f32", 2e-6), ("f64", 1e-12)] {
                let run = try XCTUnwrap(c[suffix] as? [String: Any])
                let inputs = try XCTUnwrap(run["inputs"] as? [Any]).map { try FixtureTensor($0) }
                let x = try inputs[0].tensor(requiresGrad: true), y = try inputs[1].tensor(requiresGrad: inputs[1].dtype.isFloatingPoint)
                let out = try m.forward([x, y])
                XCTAssertEqual(out.count, 1)
                let expected = try FixtureTensor(run["output"])
                XCTAssertEqual(out[0].shape, expected.shape, "\(name) \(suffix)")
                assertClose(out[0].toDoubles(), expected.values, rtol: tolerance, atol: tolerance, "\(name) \(suffix)")
                try out[0].backward(try FixtureTensor(run["upstream"]).tensor())
                let grads = try XCTUnwrap(run["grads"] as? [Any])
                assertClose(try XCTUnwrap(x.grad).toDoubles(), try FixtureTensor(grads[0]).values, rtol: tolerance, atol: tolerance,
                            "\(name) \(suffix) input grad")
                if grads[1] is NSNull { XCTAssertNil(y.grad, name) } else {
                    assertClose(try XCTUnwrap(y.grad).toDoubles(), try FixtureTensor(grads[1]).values, rtol: tolerance, atol: tolerance,
                                "\(name) \(suffix) target grad")
                }
            }
        }
    }

    func testLossModulesTakeWeightsAsBuffersAndTwoInputs() throws {
        // CrossEntropyLoss with a weight buffer equals the functional form with the weight.
        let c = try TorchCase("norm_loss", "ce_weight_ignore")
        let weight = try NormLossSupport.constants("ce_weight_ignore")[0]
        let m = try ModuleRegistry.make("CrossEntropyLoss", "ignore_index=2")
        try m.registerBuffer("weight", weight)
        XCTAssertEqual(m.namedBuffers().map(\.0), ["weight"])
        let loss = try m.forward([c.inputs[0].tensor(), c.inputs[1].tensor()])[0]
        assertClose(loss.toDoubles(), c.output.values, rtol: 1e-10, atol: 1e-10, "weighted module")
        XCTAssertEqual(try CrossEntropyLoss(weight: weight).namedBuffers().map(\.0), ["weight"])
        XCTAssertEqual(try BCEWithLogitsLoss(posWeight: weight).namedBuffers().map(\.0), ["pos_weight"])
        let typed = try CrossEntropyLoss(weight: weight, ignoreIndex: 2)
        assertClose(try typed(c.inputs[0].tensor(), c.inputs[1].tensor()).toDoubles(), c.output.values, rtol: 1e-10, atol: 1e-10, "typed")
        assertThrows(.invalidArgument, ["MSELoss takes 2 inputs (input, target), got 1"]) { try MSELoss()(Tensor.zeros([2])) }
        assertThrows(.invalidArgument, ["MSELoss takes 2 inputs (input, target), got 3"]) {
            try MSELoss().forward([Tensor.zeros([2]), Tensor.zeros([2]), Tensor.zeros([2])])
        }
        assertThrows(.invalidArgument, ["CrossEntropyLoss", "'weight' must be None", "register a buffer"]) {
            try ModuleRegistry.make("CrossEntropyLoss", "weight=1")
        }
        assertThrows(.invalidArgument, ["MSELoss", "reduction 'avg' is not a valid value", "'none', 'mean' or 'sum'"]) {
            try ModuleRegistry.make("MSELoss", "reduction='avg'")
        }
        XCTAssertEqual(try XCTUnwrap(ModuleRegistry.make("L1Loss", "size_average=False") as? Loss).reduction, .sum)
        XCTAssertEqual(try XCTUnwrap(ModuleRegistry.make("L1Loss", "reduce=False") as? Loss).reduction, Reduction.none)
    }

    func testGeneralPathAgreesWithTheFusedOne() throws {
        // Forcing the composed path (sum then divide by N) gives the fused kernel's mean.
        GlobalGenerator.manualSeed(21)
        let x = try Tensor.randn([6, 5], dtype: .float64, requiresGrad: true)
        let y = try Tensor.randint(0, 5, [6])
        let fused = try Functional.crossEntropy(x, y, weight: nil)
        let composed = try Functional.crossEntropy(x, y, weight: nil, reduction: .sum).div(6)
        assertClose(fused.toDoubles(), composed.toDoubles(), rtol: 1e-12, atol: 1e-12, "value")
        let g1 = try XCTUnwrap(Autograd.grad(outputs: [fused], inputs: [x])[0])
        let g2 = try XCTUnwrap(Autograd.grad(outputs: [composed], inputs: [x])[0])
        assertClose(g1.toDoubles(), g2.toDoubles(), rtol: 1e-12, atol: 1e-12, "gradient")
    }

    func testGradchecksBothOrders() throws {
        let x = try NormLossSupport.leaf([4, 3], seed: 31), t = try NormLossSupport.leaf([4, 3], seed: 32)
        let probability = try NormLossSupport.leaf([4, 3], seed: 33) { 0.1 + 0.8 / (1 + Double.exp(-$0)) }
        let target = try NormLossSupport.leaf([4, 3], seed: 34) { 0.05 + 0.9 / (1 + Double.exp(-$0)) }
        let classes = try Tensor.from([2, 0, -100, 1], dtype: .int64)
        let weight = try Tensor.from([0.5, 2, 1.5], dtype: .float64)
        let logp = try NormLossSupport.leaf([4, 3], seed: 35).logSoftmax(dim: 1).detach()
        try logp.setRequiresGrad(true)
        let checks: [(String, [Tensor], ([Tensor]) throws -> Tensor)] = [
            ("mse", [x, t], { try Functional.mseLoss($0[0], $0[1], reduction: .mean) }),
            ("smooth_l1", [x, t], { try Functional.smoothL1Loss($0[0], $0[1], reduction: .sum, beta: 0.8) }),
            ("huber", [x, t], { try Functional.huberLoss($0[0], $0[1], reduction: .none, delta: 0.6) }),
            ("bce", [probability, target], { try Functional.binaryCrossEntropy($0[0], $0[1], weight: weight) }),
            ("bce_with_logits", [x, target], { try Functional.binaryCrossEntropyWithLogits($0[0], $0[1], weight: weight, posWeight: weight) }),
            ("kl_div", [logp, target], { try Functional.klDiv($0[0], $0[1], reduction: .batchmean) }),
            ("kl_div log_target", [logp, x], { try Functional.klDiv($0[0], $0[1], reduction: .sum, logTarget: true) }),
            ("cross_entropy smoothing", [x], { try Functional.crossEntropy($0[0], classes, weight: weight, labelSmoothing: 0.2) }),
            ("cross_entropy probabilities", [x, target], { try Functional.crossEntropy($0[0], $0[1], weight: weight, labelSmoothing: 0.1) }),
        ]
        for (name, inputs, f) in checks { try NormLossSupport.checkBothOrders(inputs, name, f) }
        // nll_loss is linear in its input and l1_loss piecewise linear: first order only.
        try gradcheck([logp], "nll_loss") { try Functional.nllLoss($0[0], classes, weight: weight, reduction: .sum) }
        try gradcheck([x, t], "l1_loss") { try Functional.l1Loss($0[0], $0[1], reduction: .none) }
    }

    // MARK: - Bad input

    func testClassificationLossesRejectBadTargets() throws {
        let x = try Tensor.zeros([3, 4], requiresGrad: true)
        assertThrows(.invalidArgument, ["cross_entropy", "target 4 is out of bounds for 4 classes", "position 2"]) {
            try Functional.crossEntropy(x, Tensor.from([0, 1, 4], dtype: .int64), weight: nil)
        }
        assertThrows(.invalidArgument, ["cross_entropy", "target -100 is out of bounds", "ignore_index (1)"]) {
            try Functional.crossEntropy(x, Tensor.from([-100, 1, 2], dtype: .int64), weight: nil, ignoreIndex: 1)
        }
        assertThrows(.shape, ["cross_entropy", "batch_size (3)", "batch_size (2)"]) {
            try Functional.crossEntropy(x, Tensor.from([0, 1], dtype: .int64), weight: nil)
        }
        assertThrows(.shape, ["cross_entropy", "expected target size [3, 5], got [3, 4]"]) {
            try Functional.crossEntropy(Tensor.zeros([3, 4, 5]), Tensor.zeros([3, 4], dtype: .int64), weight: nil)
        }
        assertThrows(.dtype, ["cross_entropy", "int64 class indices", "float32"]) {
            try Functional.crossEntropy(x, Tensor.from([0, 1, 2]), weight: nil)
        }
        assertThrows(.dtype, ["cross_entropy", "class probabilities", "int64"]) {
            try Functional.crossEntropy(x, Tensor.zeros([3, 4], dtype: .int64), weight: nil)
        }
        assertThrows(.shape, ["cross_entropy", "weight tensor should be defined either for all 4 classes", "[3]"]) {
            try Functional.crossEntropy(x, Tensor.from([0, 1, 2], dtype: .int64), weight: Tensor.ones([3]))
        }
        assertThrows(.invalidArgument, ["cross_entropy", "label_smoothing must be between 0.0 and 1.0", "1.5"]) {
            try Functional.crossEntropy(x, Tensor.from([0, 1, 2], dtype: .int64), weight: nil, labelSmoothing: 1.5)
        }
        assertThrows(.invalidArgument, ["cross_entropy", "not differentiable with respect to argument 'weight'"]) {
            try Functional.crossEntropy(x, Tensor.from([0, 1, 2], dtype: .int64), weight: Tensor.ones([4], requiresGrad: true))
        }
        assertThrows(.invalidArgument, ["cross_entropy", "'batchmean' is only valid for kl_div"]) {
            try Functional.crossEntropy(x, Tensor.from([0, 1, 2], dtype: .int64), weight: nil, reduction: .batchmean)
        }
        assertThrows(.shape, ["nll_loss", "1 or more dimensions"]) { try Functional.nllLoss(Tensor.scalar(0), Tensor.scalar(0, dtype: .int64)) }
        assertThrows(.shape, ["nll_loss", "1-D input [3]", "[2]"]) {
            try Functional.nllLoss(Tensor.zeros([3]), Tensor.from([0, 1], dtype: .int64))
        }
        assertThrows(.dtype, ["nll_loss", "floating input"]) {
            try Functional.nllLoss(Tensor.zeros([2, 3], dtype: .int64), Tensor.from([0, 1], dtype: .int64))
        }
        assertThrows(.invalidArgument, ["reduction 'avg' is not a valid value"]) { try Reduction("avg", function: "nll_loss") }
        assertThrows(.invalidArgument, ["'none', 'batchmean', 'sum' or 'mean'"]) { try Reduction("avg", function: "kl_div", allowBatchMean: true) }
    }

    func testBinaryAndRegressionLossesRejectBadInput() throws {
        let p = try Tensor.from([0.2, 0.7, 1.2]), t = try Tensor.from([0, 1, 0.5])
        assertThrows(.invalidArgument, ["binary_cross_entropy", "all elements of input should be between 0 and 1", "1.2", "position 2"]) {
            try Functional.binaryCrossEntropy(p, t)
        }
        assertThrows(.invalidArgument, ["binary_cross_entropy", "all elements of input", "nan"]) {
            try Functional.binaryCrossEntropy(Tensor.from([0.5, .nan]), Tensor.from([0, 1]))
        }
        assertThrows(.invalidArgument, ["binary_cross_entropy", "all elements of target", "-0.5"]) {
            try Functional.binaryCrossEntropy(Tensor.from([0.5, 0.5]), Tensor.from([-0.5, 1]))
        }
        assertThrows(.shape, ["binary_cross_entropy", "target size ([1, 3])", "input size ([3])"]) {
            try Functional.binaryCrossEntropy(Tensor.from([0.2, 0.5, 0.7]), Tensor.zeros([1, 3]))
        }
        assertThrows(.dtype, ["binary_cross_entropy", "float64", "float32"]) {
            try Functional.binaryCrossEntropy(Tensor.from([0.2]), Tensor.from([1], dtype: .float64))
        }
        assertThrows(.shape, ["binary_cross_entropy", "weight of shape [2, 3]", "[3]"]) {
            try Functional.binaryCrossEntropy(Tensor.from([0.2, 0.5, 0.7]), Tensor.from([0, 1, 1]), weight: Tensor.ones([2, 3]))
        }
        assertThrows(.shape, ["binary_cross_entropy_with_logits", "target size ([3])", "input size ([2, 3])"]) {
            try Functional.binaryCrossEntropyWithLogits(Tensor.zeros([2, 3]), Tensor.zeros([3]))
        }
        assertThrows(.shape, ["binary_cross_entropy_with_logits", "pos_weight of shape [4]", "[2, 3]"]) {
            try Functional.binaryCrossEntropyWithLogits(Tensor.zeros([2, 3]), Tensor.zeros([2, 3]), posWeight: Tensor.ones([4]))
        }
        assertThrows(.invalidArgument, ["binary_cross_entropy_with_logits", "'pos_weight'"]) {
            try Functional.binaryCrossEntropyWithLogits(Tensor.zeros([3]), Tensor.zeros([3]), posWeight: Tensor.ones([3], requiresGrad: true))
        }
        assertThrows(.invalidArgument, ["smooth_l1_loss does not support negative values for beta", "-1.0"]) {
            try Functional.smoothL1Loss(Tensor.zeros([2]), Tensor.zeros([2]), beta: -1)
        }
        assertThrows(.invalidArgument, ["huber_loss does not support non-positive values for delta"]) {
            try Functional.huberLoss(Tensor.zeros([2]), Tensor.zeros([2]), delta: 0)
        }
        assertThrows(.shape, ["mse_loss", "input of shape [2, 3]", "target of shape [4]"]) {
            try Functional.mseLoss(Tensor.zeros([2, 3]), Tensor.zeros([4]), reduction: .mean)
        }
        assertThrows(.dtype, ["l1_loss", "int64"]) {
            try Functional.l1Loss(Tensor.zeros([2], dtype: .int64), Tensor.zeros([2], dtype: .int64))
        }
        assertThrows(.dtype, ["kl_div", "integral inputs"]) { try Functional.klDiv(Tensor.zeros([2]), Tensor.zeros([2], dtype: .int64)) }
    }
}
