import EmberTensor

/// Dropout as torch computes it on the CPU: a Bernoulli(1 - p) mask drawn from
/// the global generator, one double-precision uniform per element in the
/// input's memory order (torch's empty_like(input).bernoulli_(1 - p)), divided
/// by 1 - p in the input's dtype and multiplied in. After the same
/// manual_seed the mask is torch's, bit for bit. The gradient is the incoming
/// gradient times the same mask (a MulBackward0, differentiable again).
extension Tensor {
    /// torch.nn.functional.dropout(input, p, training): zeroes each element
    /// with probability `p` and scales the rest by 1 / (1 - p) when
    /// `training`; otherwise (or with p = 0, or no elements) returns the input itself.
    ///
    /// ```swift
    /// GlobalGenerator.manualSeed(0)
    /// let y = try x.dropout(p: 0.1, training: model.training)
    /// ```
    public func dropout(p: Double = 0.5, training: Bool = true) throws -> Tensor {
        guard p >= 0 && p <= 1 else {
            throw EmberError.invalidArgument("dropout probability has to be between 0 and 1, but got \(p)")
        }
        if p == 0 || !training || count == 0 { return self }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("dropout: expected a floating input, got \(dtype)") }
        // torch multiplies by a 0-dim zero rather than drawing a mask.
        if p == 1 { return try mul(Tensor.zeros([], dtype: dtype)) }
        return try mul(Tensor(Tensor.dropoutNoise(like: array, p: p)))
    }

    /// In-place dropout (torch.nn.functional.dropout(..., inplace=True)): the
    /// same mask, multiplied into this tensor (refused, as in torch, on a leaf
    /// that requires grad). Returns this tensor.
    @discardableResult
    public func dropout_(p: Double = 0.5, training: Bool = true) throws -> Tensor {
        guard p >= 0 && p <= 1 else {
            throw EmberError.invalidArgument("dropout probability has to be between 0 and 1, but got \(p)")
        }
        if p == 0 || !training || count == 0 { return self }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("dropout: expected a floating input, got \(dtype)") }
        if p == 1 { return try mul_(Tensor.zeros([], dtype: dtype)) }
        return try mul_(Tensor(Tensor.dropoutNoise(like: array, p: p)))
    }

    /// The scaled dropout mask for `x`: 1 / (1 - p) with probability 1 - p,
    /// else 0, in x's dtype and shape. Drawn in x's memory order when x is a
    /// permutation of a dense layout (torch's empty_like keeps its strides),
    /// row-major otherwise.
    public static func dropoutNoise(like x: NDArray, p: Double) throws -> NDArray {
        let keep = 1 - p
        let mask: NDArray
        if x.isNonOverlappingAndDense && !x.isContiguous {
            // Visit the dims from the largest stride down: that order is memory order.
            let order = (0..<x.ndim).sorted { x.strides[$0] > x.strides[$1] || (x.strides[$0] == x.strides[$1] && $0 < $1) }
            var inverse = [Int](repeating: 0, count: order.count)
            for (i, d) in order.enumerated() { inverse[d] = i }
            mask = try NDArray.bernoulli(like: x.permuted(Dims(order)), p: keep).permuted(Dims(inverse))
        } else {
            mask = try NDArray.bernoulli(like: x, p: keep)
        }
        // torch divides the mask by 1 - p in the element type.
        return try Kernels.binary(.div, mask, scalar: keep)
    }
}
