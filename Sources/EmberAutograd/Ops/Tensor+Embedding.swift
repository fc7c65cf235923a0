import EmberTensor

/// Embedding lookup: rows of a weight matrix read through int64 indices. The
/// gradient adds each incoming row into the weight row it came from (index_add
/// into zeros), skipping padding_idx and, with scale_grad_by_freq, dividing by
/// how often the index occurs -- in differentiable ops, so it can be
/// differentiated again.
extension Tensor {
    /// torch.nn.functional.embedding(input, weight, padding_idx, max_norm,
    /// norm_type, scale_grad_by_freq): `weight` rows for the int64 indices
    /// in `input`, shape input.shape + [embedding_dim]. `paddingIdx` (negative
    /// counts from the end) gets no gradient. With `maxNorm`, every row the
    /// input refers to whose `normType`-norm exceeds it is first rescaled in
    /// place to that norm (torch's embedding_renorm_, outside autograd).
    ///
    /// ```swift
    /// let x = try Tensor.embedding(tokens, weight: table, paddingIdx: 0)   // tokens: (B, T) int64
    /// ```
    public static func embedding(_ input: Tensor, weight: Tensor, paddingIdx: Int? = nil, maxNorm: Double? = nil, normType: Double = 2,
                                 scaleGradByFreq: Bool = false) throws -> Tensor {
        guard weight.ndim == 2 else {
            throw EmberError.shape("embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape \(describe(weight.shape))")
        }
        guard input.dtype == .int64 else {
            throw EmberError.dtype("embedding: expected indices (input) of dtype int64, got \(input.dtype) (shape \(describe(input.shape)))")
        }
        guard weight.dtype.isFloatingPoint else { throw EmberError.dtype("embedding: expected a floating weight, got \(weight.dtype)") }
        let rows = weight.shape[0], width = weight.shape[1]
        let padding = try normalizedPaddingIndex(paddingIdx, rows)
        guard input.ndim < Dims.capacity else {
            throw EmberError.shape("embedding: input of shape \(describe(input.shape)) has too many dimensions for an extra embedding dimension")
        }
        let flat = try input.array.contiguous().reshaped([input.count])
        try checkEmbeddingIndices(flat, rows: rows, inputShape: input.shape)
        if let maxNorm { try renormRows(weight, flat, maxNorm: maxNorm, normType: normType) }
        var outShape = input.shape
        outShape.append(width)
        let value = try Kernels.indexSelect(weight.array, dim: 0, index: flat).reshaped(outShape)
        // Per-index gradient scale: 0 for padding, 1 / count with scale_grad_by_freq.
        var scale: NDArray? = nil
        if let padding {
            scale = try Kernels.compare(.ne, flat, scalar: Double(padding)).cast(to: weight.dtype)
        }
        if scaleGradByFreq {
            let counts = try Kernels.indexAdd(NDArray.zeros([rows], dtype: weight.dtype), dim: 0, index: flat,
                                              source: NDArray.ones([flat.count], dtype: weight.dtype), alpha: 1)
            let inverse = try Kernels.binary(.div, Kernels.indexSelect(counts, dim: 0, index: flat), scalar: 1, reversed: true)
            scale = try scale.map { try Kernels.binary(.mul, $0, inverse) } ?? inverse
        }
        let columnScale = try scale?.reshaped([flat.count, 1])
        let count = flat.count
        return Tensor.record(value, "EmbeddingBackward0", inputs: [weight], saving: [Tensor(flat)]) { g, ctx in
            var rowsGrad = try g.reshape([count, width])
            if let columnScale { rowsGrad = try rowsGrad.mul(Tensor(columnScale)) }
            return [try Tensor.zeros([rows, width], dtype: g.dtype).indexAdd(dim: 0, index: ctx.saved(0), source: rowsGrad)]
        }
    }

    /// torch's padding_idx rule: within -rows..<rows, negative counting from the end.
    static func normalizedPaddingIndex(_ paddingIdx: Int?, _ rows: Int) throws -> Int? {
        guard let p = paddingIdx else { return nil }
        guard p < rows && p >= -rows else {
            throw EmberError.invalidArgument("embedding: padding_idx must be within num_embeddings (padding_idx=\(p), num_embeddings=\(rows))")
        }
        return p < 0 ? rows + p : p
    }

    /// An error naming the first index outside 0..<rows and where it is in the input.
    static func checkEmbeddingIndices(_ flat: NDArray, rows: Int, inputShape: Dims) throws {
        let p = flat.pointer(Int64.self)
        for i in 0..<flat.count where p[i] < 0 || p[i] >= Int64(rows) {
            var position = [Int](repeating: 0, count: inputShape.count)
            var rest = i
            for d in stride(from: inputShape.count - 1, through: 0, by: -1) {
                position[d] = rest % inputShape[d]
                rest /= inputShape[d]
            }
            throw EmberError.invalidArgument("embedding: index \(p[i]) is out of range for \(rows) embeddings (num_embeddings=\(rows); at position \(describe(position)) of the input of shape \(describe(inputShape)))")
        }
    }

    /// torch's embedding_renorm_: rows whose norm exceeds maxNorm are scaled by
    /// maxNorm / (norm + 1e-7), in place and outside the graph.
    static func renormRows(_ weight: Tensor, _ flat: NDArray, maxNorm: Double, normType: Double) throws {
        guard flat.count > 0 else { return }
        let rows = try Kernels.indexSelect(weight.array, dim: 0, index: flat)
        let norms = try Kernels.norm(rows, p: normType, dims: [1], keepdim: true)
        let over = try Kernels.compare(.gt, norms, scalar: maxNorm)
        let factor = try Kernels.binary(.div, Kernels.binary(.add, norms, scalar: 1e-7), scalar: maxNorm, reversed: true)
        let scale = try Kernels.where(over, factor, NDArray.ones([], dtype: weight.dtype))
        let scaled = try Kernels.binary(.mul, rows, scale)
        // Duplicate indices write the same scaled row, so plain scatter is exact.
        let index = try flat.reshaped([flat.count, 1]).expanded([flat.count, weight.shape[1]])
        let updated = try Kernels.scatter(weight.array, dim: 0, index: index, src: scaled, accumulate: false)
        try weight.copyValues(from: updated)
    }
}
