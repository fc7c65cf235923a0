import EmberAutograd
import EmberTensor

/// cross_entropy and nll_loss with torch's full signatures: class indices in
/// any (N, C, d1, ...) layout or class probabilities, class weights,
/// ignore_index and label smoothing. Composed as torch composes them
/// (log_softmax, then nll_loss and the smoothing term), so gradients of every
/// order follow; the common case -- (N, C) logits, no weight, no smoothing,
/// mean, no ignored target -- takes the fused kernel.
extension Functional {
    /// torch.nn.functional.cross_entropy. The class dim is 1 (0 for an
    /// unbatched (C) input). A target of the input's shape holds class
    /// probabilities (floating); otherwise it holds int64 class indices of
    /// shape (N, d1, ...) (or () for a (C) input), each in [0, C) or equal to
    /// `ignoreIndex`, whose samples are skipped. `weight` (C) rescales each
    /// class; the weighted mean divides by the total weight of the counted
    /// targets. `labelSmoothing` in [0, 1] mixes the target with the uniform
    /// distribution (a negative value is ignored, as torch does). `weight` has
    /// no default, so that `crossEntropy(x, t)` stays the strict fused form.
    ///
    /// ```swift
    /// let loss = try Functional.crossEntropy(logits, labels, weight: nil, labelSmoothing: 0.1)
    /// ```
    public static func crossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor?, ignoreIndex: Int = -100,
                                    reduction: Reduction = .mean, labelSmoothing: Double = 0) throws -> Tensor {
        let f = "cross_entropy"
        try rejectBatchMean(reduction, f)
        guard input.dtype.isFloatingPoint else { throw EmberError.dtype("\(f): expected a floating input, got \(input.dtype)") }
        guard input.ndim >= 1 else { throw EmberError.shape("\(f): expected an input with 1 or more dimensions (got 0)") }
        guard !(labelSmoothing > 1) && !labelSmoothing.isNaN else {
            throw EmberError.invalidArgument("\(f): label_smoothing must be between 0.0 and 1.0. Got: \(labelSmoothing)")
        }
        let classDim = input.ndim == 1 ? 0 : 1
        let classes = input.shape[classDim]
        try checkClassWeight(weight, classes: classes, input, f)
        if input.shape == target.shape {
            guard target.dtype.isFloatingPoint else {
                throw EmberError.dtype("\(f): expected a floating target with class probabilities (the input's shape \(describe(input.shape))), got \(target.dtype)")
            }
            return try probabilityCrossEntropy(input, target, weight: weight, classDim: classDim, reduction: reduction,
                                               labelSmoothing: labelSmoothing)
        }
        let t = try checkClassTarget(input, target, classDim: classDim, ignoreIndex: ignoreIndex, f)
        let smoothing = labelSmoothing > 0
        if weight == nil && !smoothing && reduction == .mean && input.ndim <= 2, try !Kernels.classTargetsContain(t.array, Int64(ignoreIndex)) {
            // The common case: one fused kernel forward and backward.
            return try crossEntropy(input, t)
        }
        let logp = try input.logSoftmax(dim: classDim)
        let nll = try negativeLogLikelihood(logp, t, weight: weight, classDim: classDim, ignoreIndex: ignoreIndex, reduction: reduction)
        guard smoothing else { return nll.loss }
        // torch's label smoothing term: the (weighted) sum of -log p over the
        // classes, zero for ignored targets, reduced like the nll term.
        let weighted = try weight.map { try logp.mul($0.reshape(classWeightShape(input.ndim, classDim, classes))) } ?? logp
        let smooth = try weighted.sum(dims: [classDim]).neg().maskedFill(nll.ignored, 0)
        let term: Tensor
        switch reduction {
        case .mean: term = try smooth.sum().div(nll.totalWeight)
        case .sum: term = try smooth.sum()
        case .none, .batchmean: term = smooth
        }
        return try nll.loss.mul(1 - labelSmoothing).add(term.mul(labelSmoothing / Double(classes)))
    }

    /// torch.nn.functional.nll_loss: -weight[t] * input[t] for log-probabilities
    /// `input` (N, C, d1, ...) or (C) and int64 class indices `target`
    /// (N, d1, ...) or (); targets equal to `ignoreIndex` count for nothing.
    /// 'mean' divides by the total weight of the counted targets (NaN when
    /// every target is ignored, as torch).
    public static func nllLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                               reduction: Reduction = .mean) throws -> Tensor {
        let f = "nll_loss"
        try rejectBatchMean(reduction, f)
        guard input.dtype.isFloatingPoint else { throw EmberError.dtype("\(f): expected a floating input, got \(input.dtype)") }
        guard input.ndim >= 1 else { throw EmberError.shape("\(f): expected an input with 1 or more dimensions (got 0)") }
        let classDim = input.ndim == 1 ? 0 : 1
        try checkClassWeight(weight, classes: input.shape[classDim], input, f)
        let t = try checkClassTarget(input, target, classDim: classDim, ignoreIndex: ignoreIndex, f)
        return try negativeLogLikelihood(input, t, weight: weight, classDim: classDim, ignoreIndex: ignoreIndex, reduction: reduction).loss
    }

    // MARK: - Pieces

    /// The nll term, the mask of ignored targets and the total weight of the others.
    static func negativeLogLikelihood(_ logp: Tensor, _ target: Tensor, weight: Tensor?, classDim: Int, ignoreIndex: Int,
                                      reduction: Reduction) throws -> (loss: Tensor, ignored: Tensor, totalWeight: Tensor) {
        let ignored = try target.eq(Double(ignoreIndex))
        // Ignored positions pick class 0 and get weight 0.
        let safe = try Tensor.where(ignored, Tensor.scalar(0, dtype: .int64), target)
        let picked = try logp.gather(dim: classDim, index: safe.unsqueeze(classDim)).squeeze(classDim)
        var w = try ignored.logicalNot().to(logp.dtype)
        if let weight { w = try weight.indexSelect(dim: 0, index: safe.reshape([-1])).reshape(target.shape).mul(w) }
        let loss = try picked.neg().mul(w)
        let total = try w.sum()
        switch reduction {
        case .none, .batchmean: return (loss, ignored, total)
        case .sum: return (try loss.sum(), ignored, total)
        case .mean:
            // Nothing counted (every target ignored): torch's 0 / 0 is NaN, and its gradient is 0, not NaN.
            if try total.item() == 0 { return (try loss.sum().mul(0).add(.nan), ignored, total) }
            return (try loss.sum().div(total), ignored, total)
        }
    }

    /// Cross-entropy against class probabilities (torch's cross_entropy_loss_prob_target).
    static func probabilityCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor?, classDim: Int, reduction: Reduction,
                                        labelSmoothing: Double) throws -> Tensor {
        let classes = input.shape[classDim]
        let logp = try input.logSoftmax(dim: classDim)
        let t = labelSmoothing > 0 ? try target.mul(1 - labelSmoothing).add(labelSmoothing / Double(classes)) : target
        var product = try logp.mul(t)
        if let weight { product = try product.mul(weight.reshape(classWeightShape(input.ndim, classDim, classes))) }
        switch reduction {
        case .none, .batchmean: return try product.sum(dims: [classDim]).neg()
        case .sum: return try product.sum().neg()
        case .mean:
            // Divided by the number of samples (every element but the classes); NaN when empty.
            let samples = classes == 0 ? 0 : input.count / classes
            return try product.sum().neg().div(samples == 0 ? .nan : Double(samples))
        }
    }

    /// (1, C, 1, ...): a class weight broadcast along the class dim.
    static func classWeightShape(_ ndim: Int, _ classDim: Int, _ classes: Int) -> Dims {
        var shape = Dims(repeating: 1, count: ndim)
        shape[classDim] = classes
        return shape
    }

    static func checkClassWeight(_ weight: Tensor?, classes: Int, _ input: Tensor, _ f: String) throws {
        guard let weight else { return }
        guard weight.ndim == 1 && weight.count == classes else {
            throw EmberError.shape("\(f): weight tensor should be defined either for all \(classes) classes or no classes but got weight tensor of shape: \(describe(weight.shape))")
        }
        guard weight.dtype == input.dtype else { throw EmberError.dtype("\(f): weight is \(weight.dtype) but the input is \(input.dtype)") }
        try checkNotDifferentiable(weight, "weight", f)
    }

    /// Checks class-index targets against the input: int64, the input's shape
    /// without the class dim, each index in [0, C) or ignore_index. Returns the
    /// target, reshaped to () for a (C) input with a target of one element.
    static func checkClassTarget(_ input: Tensor, _ target: Tensor, classDim: Int, ignoreIndex: Int, _ f: String) throws -> Tensor {
        guard target.dtype == .int64 else {
            throw EmberError.dtype("\(f): expected int64 class indices as target (or class probabilities of the input's shape \(describe(input.shape))), got a \(target.dtype) target of shape \(describe(target.shape))")
        }
        var t = target
        if input.ndim == 1 {
            guard target.ndim == 0 || target.shape == [1] else {
                throw EmberError.shape("\(f): for a 1-D input \(describe(input.shape)) the target must be a single class index (shape [] or [1]), got shape \(describe(target.shape))")
            }
            t = try target.reshape([])
        } else {
            guard target.ndim >= 1 && target.shape[0] == input.shape[0] else {
                throw EmberError.shape("\(f): expected input batch_size (\(input.shape[0])) to match target batch_size (\(target.ndim == 0 ? 0 : target.shape[0])); input \(describe(input.shape)), target \(describe(target.shape))")
            }
            var expected = input.shape
            _ = expected.remove(at: classDim)
            guard target.shape == expected else {
                throw EmberError.shape("\(f): expected target size \(describe(expected)), got \(describe(target.shape)) (input \(describe(input.shape)))")
            }
        }
        let classes = Double(input.shape[classDim])
        let bad = try GradMode.with(false) { try t.lt(0).logicalOr(t.ge(classes)).logicalAnd(t.ne(Double(ignoreIndex))) }
        if let (position, value) = try firstViolation(bad, in: t) {
            throw EmberError.invalidArgument("\(f): target \(Int(value)) is out of bounds for \(Int(classes)) classes (at position \(position)); targets must be in [0, \(Int(classes))) or equal ignore_index (\(ignoreIndex))")
        }
        return t
    }
}
