import EmberVector

/// The softmax at the heart of attention, fused with its scaling and masks:
/// softmax(scale * scores + masks) along the last dim in one pass over the
/// scores, with masks read through broadcast strides (never materialised) and
/// the causal mask applied by position. Its backward is one pass too.

/// One mask of the attention softmax; it broadcasts to the scores' shape.
public enum AttentionMaskTerm {
    /// Added to the scaled scores (a float mask of the scores' dtype; -inf masks out).
    case additive(NDArray)
    /// Bool: true where a query may attend (scaled_dot_product_attention's bool masks).
    case keep(NDArray)
    /// Bool: true where attention is masked out (MultiheadAttention's bool masks).
    case drop(NDArray)

    var array: NDArray {
        switch self {
        case .additive(let a), .keep(let a), .drop(let a): a
        }
    }
}

extension Kernels {
    /// softmax(scale * scores + masks) over the last dim of `scores` (at least
    /// 2-D: (..., L, S)); a position is -inf where a bool mask excludes it and,
    /// with `causal`, where the key comes after the query (j > i, torch's
    /// top-left causal alignment). A row with every position excluded gives
    /// zeros when `safe` (torch's scaled_dot_product_attention) and NaN
    /// otherwise (torch's softmax). The result is contiguous.
    public static func attentionSoftmax(_ scores: NDArray, scale: Double, masks: [AttentionMaskTerm], causal: Bool,
                                        safe: Bool) throws -> NDArray {
        guard scores.dtype.isFloatingPoint else {
            throw EmberError.dtype("attention softmax: expected floating scores, got \(scores.dtype)")
        }
        guard scores.ndim >= 2 else {
            throw EmberError.shape("attention softmax: expected scores of shape (..., L, S), got \(describe(scores.shape))")
        }
        var views: [AttentionMaskView] = []
        for term in masks {
            let m = term.array
            switch term {
            case .additive:
                guard m.dtype == scores.dtype else {
                    throw EmberError.dtype("attention: a float mask must have the scores' dtype \(scores.dtype), got \(m.dtype)")
                }
            case .keep, .drop:
                guard m.dtype == .bool else { throw EmberError.dtype("attention: expected a bool mask, got \(m.dtype)") }
            }
            guard (try? Shapes.broadcast(m.shape, scores.shape)) == scores.shape else {
                throw EmberError.shape("attention: a mask of shape \(describe(m.shape)) does not broadcast to the attention scores' shape \(describe(scores.shape))")
            }
            let strides = Shapes.broadcastStrides(m.shape, m.strides, to: scores.shape)
            let kind: AttentionMaskView.Kind
            switch term {
            case .additive: kind = .additive
            case .keep: kind = .keep
            case .drop: kind = .drop
            }
            views.append(AttentionMaskView(kind: kind, base: m.rawPointer, strides: strides, owner: m.storage))
        }
        let source = try scores.contiguous()
        let out = try NDArray(empty: scores.shape, dtype: scores.dtype)
        if out.count == 0 { return out }
        let geometry = AttentionGeometry(scores.shape)
        switch scores.dtype {
        case .float32: attentionRows(source.pointer(Float.self), out.pointer(Float.self), geometry, Float(scale), views, causal, safe)
        case .float64: attentionRows(source.pointer(Double.self), out.pointer(Double.self), geometry, scale, views, causal, safe)
        case .int64, .bool: break
        }
        withExtendedLifetime((source, views)) {}
        return out
    }

    /// A mask as the row loop reads it: its first element and its strides broadcast to the scores.
    struct AttentionMaskView {
        enum Kind { case additive, keep, drop }
        let kind: Kind
        let base: UnsafeMutableRawPointer
        let strides: Dims
        let owner: Storage
    }

    /// The scores' rows: `rows` lines of `length` keys, `queries` rows per (batch...) matrix.
    struct AttentionGeometry {
        let shape: Dims
        let rows: Int, length: Int, queries: Int

        init(_ shape: Dims) {
            self.shape = shape
            length = shape[shape.count - 1]
            queries = shape[shape.count - 2]
            rows = length == 0 ? 0 : shape.product / length
        }

        /// The element offset of row `r`'s first key in an array with `strides` (broadcast to the scores).
        @inline(__always) func offset(row r: Int, _ strides: Dims) -> Int {
            var rest = r, off = 0
            for d in stride(from: shape.count - 2, through: 0, by: -1) {
                off += (rest % shape[d]) * strides[d]
                rest /= shape[d]
            }
            return off
        }
    }

    static func attentionRows<T: FloatElement>(_ s: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ geometry: AttentionGeometry,
                                               _ scale: T, _ masks: [AttentionMaskView], _ causal: Bool, _ safe: Bool) {
        let n = geometry.length
        masks.withUnsafeBufferPointer { masks in
            Parallel.forEach(geometry.rows, grain: Swift.max(1, 4096 / Swift.max(n, 1))) { range in
                for r in range {
                    let sr = s + r * n, yr = y + r * n
                    // Keys after `limit` are masked by causality.
                    let limit = causal ? r % geometry.queries : n - 1
                    var maxValue = -T.infinity
                    for j in 0..<n {
                        let z = j > limit ? -T.infinity : sr[j] * scale
                        yr[j] = z
                    }
                    for m in masks {
                        let off = geometry.offset(row: r, m.strides), cs = m.strides[m.strides.count - 1]
                        switch m.kind {
                        case .additive:
                            let p = m.base.assumingMemoryBound(to: T.self) + off
                            for j in 0..<n { yr[j] += p[j * cs] }
                        case .keep:
                            let p = m.base.assumingMemoryBound(to: Bool.self) + off
                            for j in 0..<n where !p[j * cs] { yr[j] = -T.infinity }
                        case .drop:
                            let p = m.base.assumingMemoryBound(to: Bool.self) + off
                            for j in 0..<n where p[j * cs] { yr[j] = -T.infinity }
                        }
                    }
                    // Without masks, the keys after `limit` are exactly -inf:
                    // their weights are exactly 0 and add nothing to the sum.
                    let active = masks.isEmpty ? Swift.min(n, limit + 1) : n
                    if T.self == Float.self && active > 0 {
                        maxValue = T(VectorLoops.maximum(UnsafeRawPointer(yr).assumingMemoryBound(to: Float.self), active))
                    } else {
                        for j in 0..<n where yr[j] > maxValue || yr[j].isNaN { maxValue = yr[j] }
                    }
                    if maxValue == -T.infinity {
                        // Every key is masked: torch's softmax gives NaN, its attention zeros.
                        let fill: T = safe ? 0 : T.nan
                        for j in 0..<n { yr[j] = fill }
                        continue
                    }
                    if T.self == Float.self {
                        let yf = UnsafeMutableRawPointer(yr).assumingMemoryBound(to: Float.self)
                        let sum = VectorLoops.expShifted(yf, yf, active, shift: Float(maxValue))
                        let inv = Float(1 / sum)
                        VectorMath.map(yf, yf, active) { $0 * inv }
                        (yf + active).update(repeating: 0, count: n - active)
                        continue
                    }
                    var sum = 0.0
                    for j in 0..<n {
                        let e = T.exp(yr[j] - maxValue)
                        yr[j] = e
                        sum += Double(e)
                    }
                    let inv = T(1 / sum)
                    for j in 0..<n { yr[j] *= inv }
                }
            }
        }
    }

    /// The gradient of attentionSoftmax with respect to its scores: for the
    /// saved output y and incoming gradient g, scale * y * (g - sum(g * y))
    /// along the last dim (with scale 1, the gradient with respect to an
    /// additive mask). Contiguous, y's shape.
    public static func attentionSoftmaxBackward(grad: NDArray, output y: NDArray, scale: Double) throws -> NDArray {
        guard grad.shape == y.shape, y.ndim >= 1 else {
            throw EmberError.shape("attention softmax backward: gradient of shape \(describe(grad.shape)) for an output of shape \(describe(y.shape))")
        }
        let g = try grad.cast(to: y.dtype).contiguous(), yc = try y.contiguous()
        let out = try NDArray(empty: y.shape, dtype: y.dtype)
        let n = y.shape[y.ndim - 1], rows = n == 0 ? 0 : y.count / n
        switch y.dtype {
        case .float32: attentionSoftmaxGradientRows(g.pointer(Float.self), yc.pointer(Float.self), out.pointer(Float.self), rows, n, Float(scale))
        case .float64: attentionSoftmaxGradientRows(g.pointer(Double.self), yc.pointer(Double.self), out.pointer(Double.self), rows, n, scale)
        case .int64, .bool: throw EmberError.dtype("attention softmax backward: expected a floating output, got \(y.dtype)")
        }
        withExtendedLifetime((g, yc)) {}
        return out
    }

    static func attentionSoftmaxGradientRows<T: FloatElement>(_ g: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>,
                                                     _ rows: Int, _ n: Int, _ scale: T) {
        Parallel.forEach(rows, grain: Swift.max(1, 16_384 / Swift.max(n, 1))) { range in
            for r in range {
                let gr = g + r * n, yr = y + r * n, o = out + r * n
                var dot = 0.0
                for j in 0..<n { dot += Double(gr[j] * yr[j]) }
                let d = T(dot)
                for j in 0..<n { o[j] = scale * yr[j] * (gr[j] - d) }
            }
        }
    }
}
