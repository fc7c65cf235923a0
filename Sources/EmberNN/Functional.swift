import EmberAutograd
import EmberTensor

/// Losses and other functions without state (torch.nn.functional). The
/// losses live in Functional+Classification.swift (cross_entropy, nll_loss),
/// Functional+Regression.swift (mse, l1, smooth L1, Huber, KL divergence) and
/// Functional+Binary.swift (binary cross-entropy with and without logits);
/// normalisation in Functional+Norm.swift.
public enum Functional {
    /// Mean cross-entropy of logits (N, C) or (C) against int64 class indices
    /// (N) or () (torch.nn.functional.cross_entropy). Fused log_softmax + nll;
    /// d/dx = (softmax(x) - onehot(t)) / N. Every target must be a class index
    /// (no ignore_index); the full form is `crossEntropy(_:_:weight:...)`.
    public static func crossEntropy(_ logits: Tensor, _ target: Tensor) throws -> Tensor {
        let value = try Kernels.crossEntropy(logits.array, target.array)
        // (The backward captures nothing, so it needs no context object per call.)
        return Tensor.record(value, "CrossEntropyBackward0", inputs: logits, saving: logits, target) { g, ctx in
            let x = try ctx.saved(0), t = try ctx.saved(1)
            if !GradMode.isEnabled {
                // Not differentiating the backward itself: one fused kernel.
                return Gradients(Tensor(try Kernels.crossEntropyBackward(x.array, t.array, scale: g.item())))
            }
            let classes = x.shape.last ?? 0
            let batch = x.ndim == 2 ? x.shape[0] : 1
            let onehot = Tensor(try Kernels.oneHot(t.array, classes: classes, dtype: x.dtype))
            return Gradients(try x.softmax(dim: -1).sub(onehot).mul(g).div(Double(max(batch, 1))))
        }
    }

    /// mean((input - target)^2) (torch.nn.functional.mse_loss); the shapes broadcast.
    public static func mseLoss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        let diff = try input.sub(target)
        return try diff.mul(diff).mean()
    }
}

/// How a loss reduces its elementwise values (torch's `reduction` argument).
public enum Reduction: String, Sendable, CaseIterable {
    /// No reduction: one loss per element (per sample for cross_entropy).
    case none
    /// The mean (for nll_loss and cross_entropy with a weight, the weighted mean).
    case mean
    /// The sum.
    case sum
    /// The sum divided by the batch size, input.size(0) (kl_div only).
    case batchmean

    /// The reduction named `name`, checked against those `function` accepts;
    /// the message lists them (torch: "avg is not a valid value for reduction").
    public init(_ name: String, function: String, allowBatchMean: Bool = false) throws {
        guard let r = Reduction(rawValue: name), r != .batchmean || allowBatchMean else {
            let valid = allowBatchMean ? "'none', 'batchmean', 'sum' or 'mean'" : "'none', 'mean' or 'sum'"
            throw EmberError.invalidArgument("\(function): reduction '\(name)' is not a valid value for reduction; expected \(valid)")
        }
        self = r
    }
}

// MARK: - Helpers shared by the losses

extension Functional {
    /// Applies `reduction` to elementwise losses (batchmean is kl_div's own).
    static func reduce(_ loss: Tensor, _ reduction: Reduction, _ function: String) throws -> Tensor {
        try rejectBatchMean(reduction, function)
        switch reduction {
        case .none, .batchmean: return loss
        case .mean: return try loss.mean()
        case .sum: return try loss.sum()
        }
    }

    /// 'batchmean' is kl_div's alone.
    static func rejectBatchMean(_ reduction: Reduction, _ function: String) throws {
        if reduction == .batchmean {
            throw EmberError.invalidArgument("\(function): reduction 'batchmean' is only valid for kl_div; expected 'none', 'mean' or 'sum'")
        }
    }

    /// torch refuses a weight that requires grad where it has no derivative.
    static func checkNotDifferentiable(_ t: Tensor?, _ argument: String, _ function: String) throws {
        if let t, t.requiresGrad && GradMode.isEnabled {
            throw EmberError.invalidArgument("\(function): the function is not differentiable with respect to argument '\(argument)'; this input cannot require grad (detach it)")
        }
    }

    /// The first element (flat position and value) where the bool `bad` holds, if any.
    static func firstViolation(_ bad: Tensor, in values: Tensor) throws -> (position: Int, value: Double)? {
        try GradMode.with(false) {
            guard try bad.any().item() != 0 else { return nil }
            let position = Int(try bad.to(.int64).reshape([-1]).argmax().item())
            return (position, try values.reshape([-1]).select(dim: 0, index: position).item())
        }
    }

    /// Throws unless every element of `t` lies in [0, 1] (NaN does not), as torch's binary_cross_entropy.
    static func checkProbabilities(_ t: Tensor, _ argument: String, _ function: String) throws {
        let inside = try GradMode.with(false) { try t.ge(0).logicalAnd(t.le(1)) }
        if let (position, value) = try firstViolation(try inside.logicalNot(), in: t) {
            throw EmberError.invalidArgument("\(function): all elements of \(argument) should be between 0 and 1, got \(value) at position \(position) of \(argument) \(describe(t.shape))")
        }
    }

    /// The broadcast shape of `a` and `b`, or a SHAPE error naming both.
    static func broadcastShape(_ a: Tensor, _ b: Tensor, _ names: (String, String), _ function: String) throws -> Dims {
        do {
            return try Shapes.broadcast(a.shape, b.shape)
        } catch {
            throw EmberError.shape("\(function): \(names.0) of shape \(describe(a.shape)) and \(names.1) of shape \(describe(b.shape)) do not broadcast")
        }
    }
}
