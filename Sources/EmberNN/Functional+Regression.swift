import EmberAutograd
import EmberTensor

/// Regression losses: mse_loss, l1_loss, smooth_l1_loss, huber_loss and
/// kl_div. Each is composed of differentiable ops, so that input and target
/// both get torch's gradients and the gradients can be differentiated again.
/// Input and target broadcast and promote as torch's do (torch warns when
/// their sizes differ).
extension Functional {
    /// torch.nn.functional.mse_loss: (input - target)^2, reduced.
    ///
    /// ```swift
    /// let loss = try Functional.mseLoss(prediction, target, reduction: .sum)
    /// ```
    public static func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction) throws -> Tensor {
        let d = try difference(input, target, "mse_loss")
        return try reduce(d.square(), reduction, "mse_loss")
    }

    /// torch.nn.functional.l1_loss: |input - target|, reduced. The gradient at
    /// input == target is 0, as torch's sign.
    public static func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        let d = try difference(input, target, "l1_loss")
        return try reduce(d.abs(), reduction, "l1_loss")
    }

    /// torch.nn.functional.smooth_l1_loss: with z = |input - target|,
    /// 0.5 z^2 / beta where z < beta and z - 0.5 beta elsewhere; beta 0 is the
    /// L1 loss. A negative beta is INVALID_ARGUMENT.
    public static func smoothL1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, beta: Double = 1) throws -> Tensor {
        guard beta >= 0 else {
            throw EmberError.invalidArgument("smooth_l1_loss does not support negative values for beta, got \(beta)")
        }
        let d = try difference(input, target, "smooth_l1_loss")
        let z = try d.abs()
        if beta == 0 { return try reduce(z, reduction, "smooth_l1_loss") }
        let loss = try Tensor.where(z.lt(beta), z.square().mul(0.5).div(beta), z.sub(0.5 * beta))
        return try reduce(loss, reduction, "smooth_l1_loss")
    }

    /// torch.nn.functional.huber_loss: with z = |input - target|, 0.5 z^2
    /// where z < delta and delta (z - 0.5 delta) elsewhere. delta must be
    /// positive (INVALID_ARGUMENT otherwise).
    public static func huberLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, delta: Double = 1) throws -> Tensor {
        guard delta > 0 else {
            throw EmberError.invalidArgument("huber_loss does not support non-positive values for delta, got \(delta)")
        }
        let d = try difference(input, target, "huber_loss")
        let z = try d.abs()
        let loss = try Tensor.where(z.lt(delta), z.square().mul(0.5), z.sub(0.5 * delta).mul(delta))
        return try reduce(loss, reduction, "huber_loss")
    }

    /// torch.nn.functional.kl_div with `input` holding log-probabilities:
    /// target * (log(target) - input), 0 where target is 0 (torch's
    /// xlogy(target, target) - target * input); with `logTarget` the target
    /// holds log-probabilities too: exp(target) * (target - input). Reductions
    /// are 'none', 'mean' (over every element), 'sum' and 'batchmean' (the sum
    /// divided by input.size(0), the true KL divergence per sample).
    public static func klDiv(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, logTarget: Bool = false) throws -> Tensor {
        _ = try broadcastShape(input, target, ("input", "target"), "kl_div")
        guard input.dtype.isFloatingPoint && target.dtype.isFloatingPoint else {
            throw EmberError.dtype("kl_div: integral inputs are not supported; expected floating input and target, got \(input.dtype) and \(target.dtype)")
        }
        let loss: Tensor
        if logTarget {
            loss = try target.exp().mul(target.sub(input))
        } else {
            // xlogy(t, t): 0 where t == 0 (NaN stays NaN; log of a negative t is NaN).
            let zero = try Tensor.scalar(0, dtype: target.dtype.floatingCounterpart)
            let xlogy = try Tensor.where(target.eq(0), zero, target.mul(target.log()))
            loss = try xlogy.sub(target.mul(input))
        }
        switch reduction {
        case .batchmean: return input.ndim == 0 ? try loss.sum() : try loss.sum().div(Double(input.shape[0]))
        default: return try reduce(loss, reduction, "kl_div")
        }
    }

    /// input - target, checked to broadcast and to be floating.
    static func difference(_ input: Tensor, _ target: Tensor, _ function: String) throws -> Tensor {
        _ = try broadcastShape(input, target, ("input", "target"), function)
        guard promote(input.dtype, target.dtype).isFloatingPoint else {
            throw EmberError.dtype("\(function): expected floating input and target, got \(input.dtype) and \(target.dtype)")
        }
        return try input.sub(target)
    }
}
