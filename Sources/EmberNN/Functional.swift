import EmberAutograd
import EmberTensor

/// Losses and other functions without state (torch.nn.functional).
public enum Functional {
    /// Mean cross-entropy of logits (N, C) or (C) against int64 class indices
    /// (N) or () (torch.nn.functional.cross_entropy). Fused log_softmax + nll;
    /// d/dx = (softmax(x) - onehot(t)) / N.
    public static func crossEntropy(_ logits: Tensor, _ target: Tensor) throws -> Tensor {
        let value = try Kernels.crossEntropy(logits.array, target.array)
        let classes = logits.shape.last ?? 0
        let batch = logits.ndim == 2 ? logits.shape[0] : 1
        return Tensor.record(value, "CrossEntropyBackward0", inputs: [logits], saving: [logits, target]) { g, ctx in
            let x = try ctx.saved(0), t = try ctx.saved(1)
            if !GradMode.isEnabled {
                // Not differentiating the backward itself: one fused kernel.
                return [Tensor(try Kernels.crossEntropyBackward(x.array, t.array, scale: g.item()))]
            }
            let onehot = Tensor(try Kernels.oneHot(t.array, classes: classes, dtype: x.dtype))
            return [try x.softmax(dim: -1).sub(onehot).mul(g).div(Double(max(batch, 1)))]
        }
    }

    /// mean((input - target)^2) (torch.nn.functional.mse_loss); the shapes broadcast.
    public static func mseLoss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        let diff = try input.sub(target)
        return try diff.mul(diff).mean()
    }
}
