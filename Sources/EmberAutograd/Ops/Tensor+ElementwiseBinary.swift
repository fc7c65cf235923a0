import EmberTensor

/// Binary math with broadcasting and gradients: rounding division,
/// remainder, maximum/minimum, atan2 and the three forms of pow. Gradients
/// follow torch's conventions at ties, zeros and poles (derivatives.yaml),
/// and are summed back over broadcast dimensions with `reduceGrad`.
extension Tensor {
    // MARK: - Division with rounding

    /// torch.floor_divide: a / b rounded down (int64 stays int64; an int64
    /// zero divisor is an error). Like torch it has no derivative: a backward
    /// through it fails; `div(_:roundingMode: .floor)` has a zero gradient.
    public func floorDivide(_ other: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.floorDivide, array, other.array)
        return Tensor.record(value, "NotImplemented", inputs: [self, other]) { _, _ in throw Tensor.floorDivideHasNoDerivative }
    }

    /// torch.floor_divide with a scalar divisor.
    public func floorDivide(_ s: Double) throws -> Tensor {
        let value = try Kernels.binary(.floorDivide, array, scalar: s)
        return Tensor.record(value, "NotImplemented", inputs: [self]) { _, _ in throw Tensor.floorDivideHasNoDerivative }
    }

    static var floorDivideHasNoDerivative: EmberError {
        EmberError.state("backward: the derivative of floor_divide is not implemented (as in torch); use div with rounding_mode 'floor', whose gradient is zero, or detach its inputs")
    }

    /// torch.div(a, b, rounding_mode=...): true division for nil, else the
    /// quotient rounded toward zero (trunc) or down (floor). With a rounding
    /// mode both gradients are zero, as in torch.
    public func div(_ other: Tensor, roundingMode: RoundingMode?) throws -> Tensor {
        guard let roundingMode else { return try div(other) }
        let value = try Kernels.binary(roundingMode.op, array, other.array)
        let (sa, da, sb, db) = (shape, dtype, other.shape, other.dtype)
        return Tensor.record(value, "DivBackward2", inputs: [self, other]) { _, ctx in
            [ctx.needsGrad(0) ? try Tensor.zeros(sa, dtype: da) : nil, ctx.needsGrad(1) ? try Tensor.zeros(sb, dtype: db) : nil]
        }
    }

    /// torch.div(a, s, rounding_mode=...) with a scalar divisor.
    public func div(_ s: Double, roundingMode: RoundingMode?) throws -> Tensor {
        guard let roundingMode else { return try div(s) }
        let value = try Kernels.binary(roundingMode.op, array, scalar: s)
        let (sa, da) = (shape, dtype)
        return Tensor.record(value, "DivBackward2", inputs: [self]) { _, _ in [try Tensor.zeros(sa, dtype: da)] }
    }

    // MARK: - Remainder

    /// torch.remainder: a - floor(a / b) * b, with the sign of b (Python's %).
    /// d/da = 1, d/db = -floor_divide(a, b).
    public func remainder(_ other: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.remainder, array, other.array)
        let (sa, da, sb, db) = (shape, dtype, other.shape, other.dtype)
        return Tensor.record(value, "RemainderBackward1", inputs: [self, other], saving: [self, other]) { g, ctx in
            let a = try ctx.saved(0), b = try ctx.saved(1)
            let quotient = Tensor(try Kernels.binary(.floorDivide, a.array, b.array))
            return [ctx.needsGrad(0) ? try g.reduceGrad(to: sa, da) : nil,
                    ctx.needsGrad(1) ? try g.mul(quotient).neg().reduceGrad(to: sb, db) : nil]
        }
    }

    /// torch.remainder with a scalar divisor. d/da = 1.
    public func remainder(_ s: Double) throws -> Tensor {
        let value = try Kernels.binary(.remainder, array, scalar: s)
        let (sa, da) = (shape, dtype)
        return Tensor.record(value, "RemainderBackward0", inputs: [self]) { g, _ in [try g.reduceGrad(to: sa, da)] }
    }

    // MARK: - Maximum, minimum

    /// torch.maximum: the larger of a and b, NaN if either is NaN. On a tie
    /// each side gets half the gradient, as in torch.
    public func maximum(_ other: Tensor) throws -> Tensor { try extremum(other, .maximum, "MaximumBackward0") }

    /// torch.minimum: the smaller of a and b, NaN if either is NaN; ties split the gradient.
    public func minimum(_ other: Tensor) throws -> Tensor { try extremum(other, .minimum, "MinimumBackward0") }

    func extremum(_ other: Tensor, _ op: BinaryOp, _ name: String) throws -> Tensor {
        let value = try Kernels.binary(op, array, other.array)
        let (sa, da, sb, db) = (shape, dtype, other.shape, other.dtype)
        // The side that loses gets nothing: a < b for a in maximum, a > b in minimum.
        let (aLoses, bLoses): (CompareOp, CompareOp) = op == .maximum ? (.lt, .gt) : (.gt, .lt)
        return Tensor.record(value, name, inputs: [self, other], saving: [self, other]) { g, ctx in
            let a = try ctx.saved(0).array, b = try ctx.saved(1).array
            let shared = try Tensor.where(Tensor(Kernels.compare(.eq, a, b)), g.mul(0.5), g)
            return [ctx.needsGrad(0) ? try shared.maskedFill(Tensor(Kernels.compare(aLoses, a, b)), 0).reduceGrad(to: sa, da) : nil,
                    ctx.needsGrad(1) ? try shared.maskedFill(Tensor(Kernels.compare(bLoses, a, b)), 0).reduceGrad(to: sb, db) : nil]
        }
    }

    // MARK: - atan2

    /// torch.atan2(a, b): the angle of the point (b, a), in (-pi, pi]; int64
    /// inputs give float32. d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2),
    /// both 0 where a^2 + b^2 is 0, as in torch.
    public func atan2(_ other: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.atan2, array, other.array)
        let (sa, da, sb, db) = (shape, dtype, other.shape, other.dtype)
        return Tensor.record(value, "Atan2Backward0", inputs: [self, other], saving: [self, other]) { g, ctx in
            let a = try ctx.saved(0), b = try ctx.saved(1)
            let denominator = try a.mul(a).add(b.mul(b))
            let zero = Tensor(try Kernels.compare(.eq, denominator.array, scalar: 0))
            let reciprocal = try denominator.reciprocal().maskedFill(zero, 0)
            return [ctx.needsGrad(0) ? try g.mul(b).mul(reciprocal).reduceGrad(to: sa, da) : nil,
                    ctx.needsGrad(1) ? try g.mul(a.neg()).mul(reciprocal).reduceGrad(to: sb, db) : nil]
        }
    }

    // MARK: - pow

    /// torch.pow(x, exponent) for a scalar exponent. int64 stays int64 for an
    /// integral exponent (a negative one is an error, as in torch).
    /// d/dx = exponent * x^(exponent - 1), and 0 for exponent 0.
    public func pow(_ exponent: Double) throws -> Tensor {
        let value = try Kernels.binary(.pow, array, scalar: exponent)
        let (sx, dx) = (shape, dtype)
        return Tensor.record(value, "PowBackward0", inputs: [self], saving: [self]) { g, ctx in
            if exponent == 0 { return [try Tensor.zeros(sx, dtype: dx)] }
            return [try g.mul(ctx.saved(0).pow(exponent - 1).mul(exponent)).reduceGrad(to: sx, dx)]
        }
    }

    /// torch.pow(base, exponent) for a scalar base. d/dexponent = y ln(base),
    /// and 0 where base is 0 and exponent >= 0, as in torch.
    public static func pow(_ base: Double, _ exponent: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.pow, exponent.array, scalar: base, reversed: true)
        let (sx, dx) = (exponent.shape, exponent.dtype)
        let logBase = Double.log(base)
        return Tensor.record(value, "PowBackward2", inputs: [exponent], saving: [exponent], saveOutput: true) { g, ctx in
            var d = try ctx.output().mul(logBase)
            if base == 0 { d = try d.maskedFill(Tensor(Kernels.compare(.ge, ctx.saved(0).array, scalar: 0)), 0) }
            return [try g.mul(d).reduceGrad(to: sx, dx)]
        }
    }

    /// torch.pow(a, b) elementwise with broadcasting. d/da = b a^(b - 1) (0
    /// where b is 0); d/db = y ln(a) (0 where a is 0 and b >= 0), as in torch.
    public func pow(_ exponent: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.pow, array, exponent.array)
        let (sa, da, sb, db) = (shape, dtype, exponent.shape, exponent.dtype)
        return Tensor.record(value, "PowBackward1", inputs: [self, exponent], saving: [self, exponent], saveOutput: true) { g, ctx in
            let a = try ctx.saved(0), b = try ctx.saved(1)
            var grads: [Tensor?] = [nil, nil]
            if ctx.needsGrad(0) {
                let zeroExponent = Tensor(try Kernels.compare(.eq, b.array, scalar: 0))
                grads[0] = try g.mul(b.mul(a.pow(b.sub(1)))).maskedFill(zeroExponent, 0).reduceGrad(to: sa, da)
            }
            if ctx.needsGrad(1) {
                let zeroBase = try Kernels.logical(.and, Kernels.compare(.eq, a.array, scalar: 0), Kernels.compare(.ge, b.array, scalar: 0))
                // ln(a) in the result's dtype, as torch promotes a first.
                let y = try ctx.output()
                grads[1] = try g.mul(y.mul(a.to(y.dtype).log()).maskedFill(Tensor(zeroBase), 0)).reduceGrad(to: sb, db)
            }
            return Gradients(grads)
        }
    }
}
