import EmberAutograd
import EmberTensor

/// Binary cross-entropy on probabilities and on logits. Each elementwise loss
/// is one node with torch's gradient formulas for the input and the target
/// (written in differentiable ops, so they can be differentiated again); the
/// weight and the reduction are ordinary ops on top.
extension Functional {
    /// torch.nn.functional.binary_cross_entropy:
    /// -weight * (t * log(x) + (1 - t) * log(1 - x)), each log clamped below
    /// at -100 as torch does, so x of exactly 0 or 1 gives a finite loss.
    /// `input` and `target` have the same shape and dtype with every value in
    /// [0, 1] (INVALID_ARGUMENT naming the first value outside); `weight`
    /// broadcasts to that shape. The input gradient is torch's
    /// (x - t) / max((1 - x) x, eps) (eps the float 1e-12), the target's -logit(x).
    public static func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                          reduction: Reduction = .mean) throws -> Tensor {
        let f = "binary_cross_entropy"
        try rejectBatchMean(reduction, f)
        guard target.shape == input.shape else {
            throw EmberError.shape("\(f): using a target size (\(describe(target.shape))) that is different to the input size (\(describe(input.shape))) is deprecated; please ensure they have the same size")
        }
        guard input.dtype.isFloatingPoint else { throw EmberError.dtype("\(f): expected a floating input, got \(input.dtype)") }
        guard target.dtype == input.dtype else {
            throw EmberError.dtype("\(f): found dtype \(target.dtype) for the target but expected \(input.dtype), the input's")
        }
        try checkElementWeight(weight, "weight", input, f)
        try checkProbabilities(input, "input", f)
        try checkProbabilities(target, "target", f)
        let value = try GradMode.with(false) {
            // (t - 1) * max(log1p(-x), -100) - t * max(log(x), -100), torch's arithmetic.
            try target.sub(1).mul(input.neg().log1p().clamp(min: -100)).sub(target.mul(input.log().clamp(min: -100)))
        }
        let elementwise = Tensor.record(value.array, "BinaryCrossEntropyBackward0", inputs: [input, target],
                                        saving: [input, target]) { g, ctx in
            let x = try ctx.saved(0), t = try ctx.saved(1)
            // torch's EPSILON is the float 1e-12.
            return [ctx.needsGrad(0) ? try g.mul(x.sub(t)).div(x.neg().add(1).mul(x).clamp(min: Double(Float(1e-12)))) : nil,
                    ctx.needsGrad(1) ? try g.mul(x.logit().neg()) : nil]
        }
        return try reduce(weight.map { try elementwise.mul($0) } ?? elementwise, reduction, f)
    }

    /// torch.nn.functional.binary_cross_entropy_with_logits, computed stably
    /// from logits x: (1 - t) * x - l * log_sigmoid(x), with
    /// l = (pos_weight - 1) * t + 1 (1 without pos_weight), times `weight`.
    /// `target` has the input's shape; `weight` and `posWeight` (one per
    /// class, the last dim) broadcast to it. Gradients as torch:
    /// ((pos_weight * t + 1 - t) * sigmoid(x) - pos_weight * t) for the input,
    /// log_sigmoid(-x) - pos_weight * log_sigmoid(x) for the target.
    public static func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, posWeight: Tensor? = nil,
                                                    reduction: Reduction = .mean) throws -> Tensor {
        let f = "binary_cross_entropy_with_logits"
        try rejectBatchMean(reduction, f)
        guard target.shape == input.shape else {
            throw EmberError.shape("\(f): target size (\(describe(target.shape))) must be the same as input size (\(describe(input.shape)))")
        }
        guard input.dtype.isFloatingPoint && target.dtype.isFloatingPoint else {
            throw EmberError.dtype("\(f): expected floating input and target, got \(input.dtype) and \(target.dtype)")
        }
        try checkElementWeight(weight, "weight", input, f)
        try checkElementWeight(posWeight, "pos_weight", input, f)
        let value = try GradMode.with(false) {
            var logSigmoid = try logSigmoidOf(input)
            if let posWeight { logSigmoid = try logSigmoid.mul(posWeight.sub(1).mul(target).add(1)) }
            return try target.neg().add(1).mul(input).sub(logSigmoid)
        }
        let hasPosWeight = posWeight != nil
        let (inputType, targetType, shape) = (input.dtype, target.dtype, input.shape)
        let saving = [input, target] + (posWeight.map { [$0] } ?? [])
        let elementwise = Tensor.record(value.array, "BinaryCrossEntropyWithLogitsBackward0", inputs: [input, target],
                                        saving: saving) { g, ctx in
            let x = try ctx.saved(0), t = try ctx.saved(1), pw = hasPosWeight ? try ctx.saved(2) : nil
            var gx: Tensor? = nil, gt: Tensor? = nil
            if ctx.needsGrad(0) {
                let s = try x.sigmoid()
                if let pw {
                    let pt = try pw.mul(t)
                    gx = try pt.add(1).sub(t).mul(s).sub(pt).mul(g)
                } else {
                    gx = try s.sub(t).mul(g)
                }
                gx = try gx?.reduceGrad(to: shape, inputType)
            }
            if ctx.needsGrad(1) {
                gt = try pw.map { try logSigmoidOf(x.neg()).sub(logSigmoidOf(x).mul($0)).mul(g) } ?? x.neg().mul(g)
                gt = try gt?.reduceGrad(to: shape, targetType)
            }
            return [gx, gt]
        }
        return try reduce(weight.map { try elementwise.mul($0) } ?? elementwise, reduction, f)
    }

    /// log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), stable for any x.
    static func logSigmoidOf(_ x: Tensor) throws -> Tensor {
        try x.clamp(max: 0).sub(x.abs().neg().exp().log1p())
    }

    /// A per-element weight: floating, not requiring grad, broadcasting to the input's shape.
    static func checkElementWeight(_ weight: Tensor?, _ name: String, _ input: Tensor, _ f: String) throws {
        guard let weight else { return }
        guard weight.dtype.isFloatingPoint else { throw EmberError.dtype("\(f): \(name) must be floating, got \(weight.dtype)") }
        guard (try? Shapes.broadcast(weight.shape, input.shape)) == input.shape else {
            throw EmberError.shape("\(f): \(name) of shape \(describe(weight.shape)) does not broadcast to the input's shape \(describe(input.shape))")
        }
        try checkNotDifferentiable(weight, name, f)
    }
}
