import EmberTensor

/// Matrix products with gradients. matmul's 1-D cases are views around one
/// batched product, so one gradient rule covers all of torch.matmul's forms;
/// mm, bmm, mv and dot are matmul with torch's stricter shape checks.
extension Tensor {
    /// torch.matmul: dot, matrix-vector, matrix and broadcast batched products.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard ndim >= 1 && other.ndim >= 1 else {
            throw EmberError.shape("matmul: both arguments need at least 1 dimension, got shapes \(describe(shape)) and \(describe(other.shape))")
        }
        guard dtype == other.dtype else {
            throw EmberError.dtype("matmul: expected both operands to have the same dtype, got \(dtype) and \(other.dtype)")
        }
        if ndim >= 2 && other.ndim >= 2 { return try batchedMatmul(other) }
        // A 1-D operand is a row (left) or column (right) vector whose dimension
        // is removed from the result.
        if ndim == 1 && other.ndim >= 1, other.ndim == 1 ? shape[0] != other.shape[0] : shape[0] != other.shape[other.ndim - 2] {
            throw EmberError.shape("matmul: shapes \(describe(shape)) and \(describe(other.shape)) cannot be multiplied (\(shape[0]) vs \(other.ndim == 1 ? other.shape[0] : other.shape[other.ndim - 2]))")
        }
        if other.ndim == 1 && ndim >= 2 && shape[ndim - 1] != other.shape[0] {
            throw EmberError.shape("matmul: shapes \(describe(shape)) and \(describe(other.shape)) cannot be multiplied (\(shape[ndim - 1]) vs \(other.shape[0]))")
        }
        let left = ndim == 1 ? try unsqueeze(0) : self
        let right = other.ndim == 1 ? try other.unsqueeze(1) : other
        var result = try left.batchedMatmul(right)
        if other.ndim == 1 { result = try result.squeeze(-1) }
        if ndim == 1 { result = try result.squeeze(-2 + (other.ndim == 1 ? 1 : 0)) }
        return result
    }

    /// (..., n, k) @ (..., k, m) with broadcast batch dims. d/da = g b^T, d/db = a^T g,
    /// each summed back over broadcast batch dims.
    func batchedMatmul(_ other: Tensor) throws -> Tensor {
        let value = try Kernels.batchedMatmul(array, other.array)
        let (sa, sb, dt) = (shape, other.shape, dtype)
        return Tensor.record(value, "MmBackward0", inputs: [self, other], saving: [self, other]) { g, ctx in
            let a = try ctx.saved(0), b = try ctx.saved(1)
            return [ctx.needsGrad(0) ? try g.matmul(b.transpose(-1, -2)).reduceGrad(to: sa, dt) : nil,
                    ctx.needsGrad(1) ? try a.transpose(-1, -2).matmul(g).reduceGrad(to: sb, dt) : nil]
        }
    }

    /// torch.mm: the product of two matrices (2-D only, no broadcasting).
    ///
    /// ```swift
    /// let c = try a.mm(b)   // [n, k] x [k, m] -> [n, m]
    /// ```
    public func mm(_ other: Tensor) throws -> Tensor {
        guard ndim == 2, other.ndim == 2 else {
            throw EmberError.shape("mm: expected 2-D tensors, got \(describe(shape)) and \(describe(other.shape))")
        }
        try checkProductOperands("mm", other, inner: shape[1], other.shape[0])
        return try batchedMatmul(other)
    }

    /// torch.bmm: batched matrix products of [b, n, k] and [b, k, m] (equal
    /// batch sizes, no broadcasting).
    public func bmm(_ other: Tensor) throws -> Tensor {
        guard ndim == 3, other.ndim == 3 else {
            throw EmberError.shape("bmm: expected 3-D tensors, got \(describe(shape)) and \(describe(other.shape))")
        }
        guard shape[0] == other.shape[0] else {
            throw EmberError.shape("bmm: expected equal batch sizes, got \(describe(shape)) and \(describe(other.shape))")
        }
        try checkProductOperands("bmm", other, inner: shape[2], other.shape[1])
        return try batchedMatmul(other)
    }

    /// torch.mv: a matrix [n, m] times a vector [m], giving [n].
    public func mv(_ vector: Tensor) throws -> Tensor {
        guard ndim == 2, vector.ndim == 1 else {
            throw EmberError.shape("mv: expected a 2-D matrix and a 1-D vector, got \(describe(shape)) and \(describe(vector.shape))")
        }
        try checkProductOperands("mv", vector, inner: shape[1], vector.shape[0])
        return try matmul(vector)
    }

    /// torch.dot: the inner product of two 1-D tensors of the same length, a 0-dim tensor.
    public func dot(_ other: Tensor) throws -> Tensor {
        guard ndim == 1, other.ndim == 1 else {
            throw EmberError.shape("dot: expected 1-D tensors, got \(describe(shape)) and \(describe(other.shape))")
        }
        try checkProductOperands("dot", other, inner: shape[0], other.shape[0])
        return try matmul(other)
    }

    /// torch.outer: a [n] and b [m] give [n, m] with entries a_i * b_j (dtypes promote as in mul).
    public func outer(_ other: Tensor) throws -> Tensor {
        guard ndim == 1, other.ndim == 1 else {
            throw EmberError.shape("outer: expected 1-D tensors, got \(describe(shape)) and \(describe(other.shape))")
        }
        return try unsqueeze(1).mul(other.unsqueeze(0))
    }

    /// The checks mm, bmm, mv and dot share: one dtype, not bool, matching inner sizes.
    func checkProductOperands(_ name: String, _ other: Tensor, inner: Int, _ otherInner: Int) throws {
        guard dtype == other.dtype else {
            throw EmberError.dtype("\(name): expected both operands to have the same dtype, got \(dtype) and \(other.dtype)")
        }
        guard dtype != .bool else { throw EmberError.dtype("\(name) is not implemented for bool tensors (as in torch)") }
        guard inner == otherInner else {
            throw EmberError.shape("\(name): shapes \(describe(shape)) and \(describe(other.shape)) cannot be multiplied (inner sizes \(inner) and \(otherInner) differ)")
        }
    }

    // MARK: - Triangles

    /// torch.tril: the lower triangle of the last two dims (col - row <= `diagonal`), zeros elsewhere.
    public func tril(diagonal: Int = 0) throws -> Tensor { try triangle(diagonal: diagonal, upper: false) }

    /// torch.triu: the upper triangle of the last two dims (col - row >= `diagonal`), zeros elsewhere.
    public func triu(diagonal: Int = 0) throws -> Tensor { try triangle(diagonal: diagonal, upper: true) }

    /// The gradient masks the same triangle.
    func triangle(diagonal: Int, upper: Bool) throws -> Tensor {
        let value = try Kernels.triangle(array, diagonal: diagonal, upper: upper)
        return Tensor.record(value, upper ? "TriuBackward0" : "TrilBackward0", inputs: [self]) { g, _ in
            [try g.triangle(diagonal: diagonal, upper: upper)]
        }
    }

    /// torch.nn.functional.linear: x W^T + b for x of shape (*, in), W (out, in),
    /// b (out). One fused node: the bias is the GEMM's initial accumulator.
    public func linear(weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard weight.ndim == 2 else {
            throw EmberError.shape("linear: weight must be 2-D (out_features, in_features), got \(describe(weight.shape))")
        }
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        guard ndim >= 1, shape[ndim - 1] == inFeatures else {
            throw EmberError.shape("linear: input of shape \(describe(shape)) does not end in in_features = \(inFeatures) (weight \(describe(weight.shape)))")
        }
        if let bias {
            guard bias.shape == [outFeatures] else {
                throw EmberError.shape("linear: bias must have shape [\(outFeatures)], got \(describe(bias.shape))")
            }
            guard bias.dtype == dtype else { throw EmberError.dtype("linear: input is \(dtype) but bias is \(bias.dtype)") }
        }
        guard dtype == weight.dtype else {
            throw EmberError.dtype("linear: input is \(dtype) but weight is \(weight.dtype); convert one with to(dtype)")
        }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("linear: expected a floating input, got \(dtype)") }
        // The 2-D case reads the arrays where they are (a local copy of an
        // NDArray is a copy and retains); other ranks go through (-1, in).
        let value = ndim == 2 ? try Kernels.linear(array, weight: weight.array, bias: bias?.array)
            : try Kernels.linear(array.reshaped([-1, inFeatures]), weight: weight.array, bias: bias?.array)
                .reshaped(shape.droppingLast() + [outFeatures])
        // The backward reads every size from the saved input and weight: a
        // closure that captures nothing needs no context object per call.
        return Tensor.record(value, "AddmmBackward0", inputs: self, weight, bias, saving: self, weight) { g, ctx in
            let x = try ctx.saved(0), w = try ctx.saved(1)
            let outFeatures = w.shape[0], inFeatures = w.shape[1]
            let hasBias = ctx.inputCount == 3
            let flat = x.ndim == 2
            if !GradMode.isEnabled {
                // Not differentiating the backward itself: three BLAS-level kernels, no graph.
                let (gx, gw, gb) = flat
                    ? try Kernels.linearBackward(grad: g.array, input: x.array, weight: w.array, input: ctx.needsGrad(0),
                                                 weight: ctx.needsGrad(1), bias: hasBias && ctx.needsGrad(2))
                    : try Kernels.linearBackward(grad: g.array.reshaped([-1, outFeatures]), input: x.array.reshaped([-1, inFeatures]),
                                                 weight: w.array, input: ctx.needsGrad(0), weight: ctx.needsGrad(1),
                                                 bias: hasBias && ctx.needsGrad(2))
                let gradInput = try gx.map { Tensor(flat ? $0 : try $0.reshaped(x.shape)) }
                return hasBias ? Gradients(gradInput, gw.map { Tensor($0) }, gb.map { Tensor($0) })
                    : Gradients(gradInput, gw.map { Tensor($0) })
            }
            let g2 = try g.reshape([-1, outFeatures])
            let gx = ctx.needsGrad(0) ? try g2.matmul(w).reshape(x.shape) : nil
            let gw = ctx.needsGrad(1) ? try g2.transpose(0, 1).matmul(x.reshape([-1, inFeatures])) : nil
            return hasBias ? Gradients(gx, gw, ctx.needsGrad(2) ? try g2.sum(dims: [0]) : nil) : Gradients(gx, gw)
        }
    }
}
