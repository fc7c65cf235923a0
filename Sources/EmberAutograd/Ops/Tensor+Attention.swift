import EmberTensor

/// A mask for attention scores of shape (..., L, S); it broadcasts to them.
public enum AttentionMask {
    /// A float mask added to the scaled scores (-inf masks out); it may require grad.
    case additive(Tensor)
    /// A bool mask, true where a query may attend (torch.nn.functional.scaled_dot_product_attention's convention).
    case keep(Tensor)
    /// A bool mask, true where attention is masked out (torch.nn.MultiheadAttention's convention).
    case drop(Tensor)

    var tensor: Tensor {
        switch self {
        case .additive(let t), .keep(let t), .drop(let t): t
        }
    }

    var term: AttentionMaskTerm {
        switch self {
        case .additive(let t): .additive(t.array)
        case .keep(let t): .keep(t.array)
        case .drop(let t): .drop(t.array)
        }
    }
}

/// Scaled dot-product attention on batched matrix products: scores q k^T
/// (one BLAS call per batch and head, through strides, no copies), the fused
/// masked softmax below, dropout, and the product with v.
extension Tensor {
    /// softmax(scale * self + masks) over the last dim, with masked positions
    /// (and, if `causal`, keys after the query) excluded. A fully masked row
    /// gives zeros when `safe` (torch's attention) and NaN otherwise (torch's
    /// softmax). Differentiable in the scores and in additive masks.
    public func attentionSoftmax(scale: Double, masks: [AttentionMask] = [], causal: Bool = false, safe: Bool) throws -> Tensor {
        let value = try Kernels.attentionSoftmax(array, scale: scale, masks: masks.map(\.term), causal: causal, safe: safe)
        // Additive masks are inputs too: a learned float mask gets its gradient.
        var inputs = [self]
        var maskShapes: [(Dims, DType)] = []
        for case .additive(let m) in masks {
            inputs.append(m)
            maskShapes.append((m.shape, m.dtype))
        }
        let last = ndim - 1
        return Tensor.record(value, "SoftmaxBackward0", inputs: inputs, saveOutput: true) { g, ctx in
            let y = try ctx.output()
            let wantsMask = (0..<maskShapes.count).contains { ctx.needsGrad($0 + 1) }
            var grads: [Tensor?]
            if !GradMode.isEnabled {
                // One fused pass; the mask gradient (d/dz, unscaled) only when someone wants it.
                grads = [ctx.needsGrad(0) ? Tensor(try Kernels.attentionSoftmaxBackward(grad: g.array, output: y.array, scale: scale)) : nil]
                let dz = wantsMask ? Tensor(try Kernels.attentionSoftmaxBackward(grad: g.array, output: y.array, scale: 1)) : nil
                for (i, (shape, dtype)) in maskShapes.enumerated() {
                    grads.append(ctx.needsGrad(i + 1) ? try dz?.reduceGrad(to: shape, dtype) : nil)
                }
                return Gradients(grads)
            }
            // z = scale * s + m, y = softmax(z): dz = y * (g - sum(g * y)), ds = scale * dz, dm = dz.
            let dz = try y.mul(g.sub(g.mul(y).sum(dims: [last], keepdim: true)))
            grads = [ctx.needsGrad(0) ? try dz.mul(scale) : nil]
            for (i, (shape, dtype)) in maskShapes.enumerated() {
                grads.append(ctx.needsGrad(i + 1) ? try dz.reduceGrad(to: shape, dtype) : nil)
            }
            return Gradients(grads)
        }
    }

    /// torch.nn.functional.scaled_dot_product_attention: softmax(q k^T * scale
    /// + mask) v for query (..., L, E), key (..., S, E) and value (..., S, Ev),
    /// batch dims broadcasting; the result is (..., L, Ev). `attnMask` (it
    /// broadcasts to (..., L, S)) is bool -- true where a query may attend --
    /// or a float added to the scores; `isCausal` lets query i attend to keys
    /// 0...i only (no attn_mask then). `scale` defaults to 1 / sqrt(E).
    /// Dropout with `dropoutP` is applied to the attention weights (always, as
    /// torch's functional form does). A query with no key to attend to gets zeros.
    ///
    /// ```swift
    /// let out = try Tensor.scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)  // (B, H, L, E)
    /// ```
    public static func scaledDotProductAttention(query q: Tensor, key k: Tensor, value v: Tensor, attnMask: Tensor? = nil,
                                                 dropoutP: Double = 0, isCausal: Bool = false, scale: Double? = nil) throws -> Tensor {
        let name = "scaled_dot_product_attention"
        guard q.ndim >= 2, k.ndim >= 2, v.ndim >= 2 else {
            throw EmberError.shape("\(name): expected query, key and value of at least 2 dimensions, got query \(describe(q.shape)), key \(describe(k.shape)) and value \(describe(v.shape))")
        }
        guard q.dtype == k.dtype, k.dtype == v.dtype, q.dtype.isFloatingPoint else {
            throw EmberError.dtype("\(name): expected query, key and value to have the same floating dtype, but got query.dtype: \(q.dtype), key.dtype: \(k.dtype) and value.dtype: \(v.dtype)")
        }
        guard q.shape[q.ndim - 1] == k.shape[k.ndim - 1], k.shape[k.ndim - 2] == v.shape[v.ndim - 2] else {
            throw EmberError.shape("\(name): query \(describe(q.shape)) and key \(describe(k.shape)) must share their last size (E), key and value \(describe(v.shape)) their second-to-last (S)")
        }
        guard dropoutP >= 0 && dropoutP <= 1 else {
            throw EmberError.invalidArgument("\(name): dropout_p must be in [0, 1], got \(dropoutP)")
        }
        if isCausal && attnMask != nil {
            throw EmberError.invalidArgument("\(name): explicit attn_mask should not be set when is_causal=True")
        }
        var masks: [AttentionMask] = []
        if let m = attnMask {
            switch m.dtype {
            case .bool: masks.append(.keep(m))
            case q.dtype: masks.append(.additive(m))
            default:
                throw EmberError.dtype("\(name): expected attn_mask dtype to be bool or to match query dtype \(q.dtype), got \(m.dtype)")
            }
        }
        let scores = try q.matmul(k.transpose(-2, -1))
        if let m = attnMask, (try? Shapes.broadcast(m.shape, scores.shape)) != scores.shape {
            throw EmberError.shape("\(name): attn_mask of shape \(describe(m.shape)) does not broadcast to the attention weights' shape \(describe(scores.shape)) (..., L, S)")
        }
        let e = q.shape[q.ndim - 1]
        let factor = scale ?? (e > 0 ? 1 / Double(e).squareRoot() : 1)
        var weights = try scores.attentionSoftmax(scale: factor, masks: masks, causal: isCausal, safe: true)
        if dropoutP > 0 { weights = try weights.dropout(p: dropoutP, training: true) }
        return try weights.matmul(v)
    }
}
