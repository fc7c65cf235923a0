import EmberTensor

/// Cumulative sums and products along a dim, with gradients that are exact
/// where the input has zeros (torch's cumprod_backward), and the one-step
/// shift that the zero-safe product gradients are built from.
extension Tensor {
    // MARK: - cumsum

    /// torch.cumsum(x, dim): y_i = x_0 + ... + x_i along `dim`; int64 and bool give int64.
    ///
    /// ```swift
    /// try Tensor.from([1, 2, 3]).cumsum(dim: 0)   // [1, 3, 6]
    /// ```
    public func cumsum(dim: Int) throws -> Tensor { try cumulativeSum(dim: dim, reverse: false) }

    /// torch.cumprod(x, dim): y_i = x_0 * ... * x_i along `dim`; int64 and bool give int64.
    public func cumprod(dim: Int) throws -> Tensor { try cumulativeProduct(dim: dim, reverse: false) }

    /// A cumulative sum, from the end if `reverse`. d/dx = the cumulative sum
    /// of g in the other direction.
    func cumulativeSum(dim: Int, reverse: Bool) throws -> Tensor {
        let value = try Kernels.scan(array, dim: dim, op: .sum, reverse: reverse)
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(value, "CumsumBackward0", inputs: [self]) { g, _ in
            [try g.cumulativeSum(dim: d, reverse: !reverse)]
        }
    }

    /// A cumulative product, from the end if `reverse`.
    func cumulativeProduct(dim: Int, reverse: Bool) throws -> Tensor {
        let value = try Kernels.scan(array, dim: dim, op: .prod, reverse: reverse)
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(value, "CumprodBackward0", inputs: [self], saving: [self], saveOutput: true) { g, ctx in
            let x = try ctx.saved(0)
            if x.ndim == 0 || x.shape[d] <= 1 { return [g] }
            // Not differentiating the backward: the exact O(n) kernel.
            if !GradMode.isEnabled { return [Tensor(try Kernels.cumprodBackward(x.array, grad: g.array, dim: d, reverse: reverse))] }
            if try !Kernels.containsZero(x.array) {
                // sum over later (earlier) i of g_i y_i / x_k.
                return [try g.mul(ctx.output()).cumulativeSum(dim: d, reverse: !reverse).div(x)]
            }
            return [try Tensor.cumprodGradientWithZeros(g, x, dim: d, reverse: reverse)]
        }
    }

    /// dL/dx_k = sum over i >= k (i <= k if reversed) of g_i * prod(x_j, j <= i, j != k),
    /// as differentiable ops: for each k a copy of the line with x_k replaced
    /// by 1, scanned, masked to the i that depend on x_k, and contracted with g.
    /// O(n^2) per line, as torch's double-differentiable path.
    static func cumprodGradientWithZeros(_ g: Tensor, _ x: Tensor, dim d: Int, reverse: Bool) throws -> Tensor {
        let n = x.shape[d]
        let eye = try Kernels.embedDiagonal(NDArray.ones([n], dtype: x.dtype), shape: [n, n], 0, 1)
        let offDiagonal = try Kernels.binary(.sub, eye, scalar: 1, reversed: true)
        // Which i each k reaches: i >= k (rows k, columns i), or i <= k if reversed.
        let reach = try Kernels.triangle(NDArray.ones([n, n], dtype: x.dtype), diagonal: 0, upper: !reverse)
        let xt = try x.transpose(d, -1), gt = try g.transpose(d, -1)
        let lines = try xt.unsqueeze(-2).mul(Tensor(offDiagonal)).add(Tensor(eye))     // [..., k, j]
        let products = try lines.cumulativeProduct(dim: -1, reverse: reverse).mul(Tensor(reach))
        return try products.matmul(gt.unsqueeze(-1)).squeeze(-1).transpose(d, -1)
    }

    // MARK: - Shift

    /// This tensor moved one step along `dim`, `fill` entering at the start
    /// (`forward`) or the end. Its gradient is the opposite shift, filling 0.
    func shifted(dim: Int, forward: Bool, fill: Double) throws -> Tensor {
        let value = try Kernels.shifted(array, dim: dim, forward: forward, fill: fill)
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(value, "ShiftBackward0", inputs: [self]) { g, _ in
            [try g.shifted(dim: d, forward: !forward, fill: 0)]
        }
    }
}
