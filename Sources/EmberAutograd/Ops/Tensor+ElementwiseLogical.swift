import EmberTensor

/// Comparisons and logical ops (bool results, never differentiable), and the
/// selections where and masked_fill, whose gradients route the incoming
/// gradient to the side that was selected.
extension Tensor {
    // MARK: - Comparisons

    /// a == b elementwise with broadcasting, as a bool tensor (torch.eq).
    public func eq(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.compare(.eq, array, other.array)) }
    /// a != b (torch.ne).
    public func ne(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.compare(.ne, array, other.array)) }
    /// a < b (torch.lt).
    public func lt(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.compare(.lt, array, other.array)) }
    /// a <= b (torch.le).
    public func le(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.compare(.le, array, other.array)) }
    /// a > b (torch.gt).
    public func gt(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.compare(.gt, array, other.array)) }
    /// a >= b (torch.ge).
    public func ge(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.compare(.ge, array, other.array)) }

    /// a == s, the scalar promoting like a Python number (torch.eq with a scalar).
    public func eq(_ s: Double) throws -> Tensor { Tensor(try Kernels.compare(.eq, array, scalar: s)) }
    /// a != s.
    public func ne(_ s: Double) throws -> Tensor { Tensor(try Kernels.compare(.ne, array, scalar: s)) }
    /// a < s.
    public func lt(_ s: Double) throws -> Tensor { Tensor(try Kernels.compare(.lt, array, scalar: s)) }
    /// a <= s.
    public func le(_ s: Double) throws -> Tensor { Tensor(try Kernels.compare(.le, array, scalar: s)) }
    /// a > s.
    public func gt(_ s: Double) throws -> Tensor { Tensor(try Kernels.compare(.gt, array, scalar: s)) }
    /// a >= s.
    public func ge(_ s: Double) throws -> Tensor { Tensor(try Kernels.compare(.ge, array, scalar: s)) }

    // MARK: - Logical

    /// Both nonzero (torch.logical_and), as a bool tensor of the broadcast shape.
    public func logicalAnd(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.logical(.and, array, other.array)) }
    /// Either nonzero (torch.logical_or).
    public func logicalOr(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.logical(.or, array, other.array)) }
    /// Exactly one nonzero (torch.logical_xor).
    public func logicalXor(_ other: Tensor) throws -> Tensor { Tensor(try Kernels.logical(.xor, array, other.array)) }
    /// Zero (torch.logical_not).
    public func logicalNot() throws -> Tensor { Tensor(try Kernels.logicalNot(array)) }

    // MARK: - Selection

    /// torch.where(condition, input, other): input where the bool condition
    /// holds, else other; all three broadcast, input and other promote.
    /// The gradient goes to input where the condition holds and to other elsewhere.
    ///
    /// ```swift
    /// let y = try Tensor.where(x.gt(0), x, x.mul(0.1))   // a leaky relu
    /// ```
    public static func `where`(_ condition: Tensor, _ input: Tensor, _ other: Tensor) throws -> Tensor {
        let value = try Kernels.where(condition.array, input.array, other.array)
        let (sa, da, sb, db) = (input.shape, input.dtype, other.shape, other.dtype)
        return Tensor.record(value, "WhereBackward0", inputs: [input, other], saving: [condition]) { g, ctx in
            let c = try ctx.saved(0)
            return [ctx.needsGrad(0) ? try g.maskedFill(Tensor(Kernels.logicalNot(c.array)), 0).reduceGrad(to: sa, da) : nil,
                    ctx.needsGrad(1) ? try g.maskedFill(c, 0).reduceGrad(to: sb, db) : nil]
        }
    }

    /// torch.Tensor.masked_fill(mask, value): `value` where the bool mask
    /// holds. The result has the broadcast shape of self and mask and self's
    /// dtype. The gradient is zero where the mask holds.
    public func maskedFill(_ mask: Tensor, _ value: Double) throws -> Tensor {
        let result = try Kernels.maskedFill(array, mask: mask.array, value: value)
        let (sx, dx) = (shape, dtype)
        return Tensor.record(result, "MaskedFillBackward0", inputs: [self], saving: [mask]) { g, ctx in
            [try g.maskedFill(ctx.saved(0), 0).reduceGrad(to: sx, dx)]
        }
    }
}
