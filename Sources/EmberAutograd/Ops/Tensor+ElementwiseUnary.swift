import EmberTensor

/// gelu's `approximate` argument.
public enum GeluApproximation: String, Sendable {
    /// x * Phi(x), with Phi the standard normal CDF.
    case none
    /// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
    case tanh
}

/// Unary math and activations with gradients. Each op records one node whose
/// backward runs the fused kernel `Kernels.unaryBackward` when nobody
/// differentiates the backward, and otherwise composes the same derivative
/// from differentiable ops (`unaryDerivative`), so that create_graph works.
extension Tensor {
    // MARK: - Math

    /// |x| (torch.abs). d/dx = sign(x), 0 at 0.
    public func abs() throws -> Tensor { try unary(.abs, "AbsBackward0") }
    /// -1, 0 or 1 (torch.sign); its gradient is zero.
    public func sign() throws -> Tensor { try zeroGradient(.sign, "SignBackward0") }
    /// x^2 (torch.square). d/dx = 2x.
    public func square() throws -> Tensor { try unary(.square, "PowBackward0") }
    /// e^x - 1 (torch.expm1), accurate near 0. d/dx = y + 1.
    public func expm1() throws -> Tensor { try unary(.expm1, "Expm1Backward0") }
    /// ln(1 + x) (torch.log1p), accurate near 0. d/dx = 1 / (1 + x).
    public func log1p() throws -> Tensor { try unary(.log1p, "Log1PBackward0") }
    /// log2(x) (torch.log2). d/dx = 1 / (x ln 2).
    public func log2() throws -> Tensor { try unary(.log2, "Log2Backward0") }
    /// sqrt(x) (torch.sqrt). d/dx = 1 / (2y).
    public func sqrt() throws -> Tensor { try unary(.sqrt, "SqrtBackward0") }
    /// 1 / sqrt(x) (torch.rsqrt). d/dx = -y^3 / 2.
    public func rsqrt() throws -> Tensor { try unary(.rsqrt, "RsqrtBackward0") }
    /// 1 / x (torch.reciprocal). d/dx = -y^2.
    public func reciprocal() throws -> Tensor { try unary(.reciprocal, "ReciprocalBackward0") }
    /// sin(x) (torch.sin).
    public func sin() throws -> Tensor { try unary(.sin, "SinBackward0") }
    /// cos(x) (torch.cos).
    public func cos() throws -> Tensor { try unary(.cos, "CosBackward0") }
    /// tan(x) (torch.tan). d/dx = 1 + y^2.
    public func tan() throws -> Tensor { try unary(.tan, "TanBackward0") }
    /// tanh(x) (torch.tanh). d/dx = 1 - y^2.
    public func tanh() throws -> Tensor { try unary(.tanh, "TanhBackward0") }
    /// 1 / (1 + e^-x) (torch.sigmoid). d/dx = y (1 - y).
    public func sigmoid() throws -> Tensor { try unary(.sigmoid, "SigmoidBackward0") }
    /// The error function (torch.erf). d/dx = 2 / sqrt(pi) e^(-x^2).
    public func erf() throws -> Tensor { try unary(.erf, "ErfBackward0") }

    /// log(x / (1 - x)) (torch.logit), with x first clamped to [eps, 1 - eps]
    /// when eps is given (and not negative). d/dx = 1 / (x (1 - x)); 0 where
    /// eps clamped x, NaN outside [0, 1] without eps.
    public func logit(eps: Double? = nil) throws -> Tensor { try unary(.logit(eps: eps), "LogitBackward0") }

    // MARK: - Rounding and clamping

    /// The largest integer <= x (torch.floor); int64 input is returned as is. Zero gradient.
    public func floor() throws -> Tensor { try zeroGradient(.floor, "FloorBackward0") }
    /// The smallest integer >= x (torch.ceil). Zero gradient.
    public func ceil() throws -> Tensor { try zeroGradient(.ceil, "CeilBackward0") }
    /// x rounded half to even (torch.round). Zero gradient.
    public func round() throws -> Tensor { try zeroGradient(.round, "RoundBackward0") }

    /// torch.clamp(x, min, max): either bound may be nil (not both). The
    /// bounds promote like Python scalars (an int64 tensor clamped to 0.5 is
    /// float32). The gradient flows only strictly between the bounds, as torch.
    public func clamp(min: Double? = nil, max: Double? = nil) throws -> Tensor {
        try unary(.clamp(min: min, max: max), "ClampBackward1")
    }

    // MARK: - Activations

    /// torch.nn.functional.relu6: min(max(x, 0), 6). Gradient 0 at 0 and 6.
    public func relu6() throws -> Tensor { try hardtanh(minVal: 0, maxVal: 6) }

    /// torch.nn.functional.hardtanh: x clamped to [minVal, maxVal]; int64
    /// input stays int64. The gradient is 0 at and beyond the bounds.
    public func hardtanh(minVal: Double = -1, maxVal: Double = 1) throws -> Tensor {
        try unary(.hardtanh(min: minVal, max: maxVal), "HardtanhBackward0")
    }

    /// torch.nn.functional.leaky_relu: x if x > 0 else negativeSlope * x.
    public func leakyRelu(negativeSlope: Double = 0.01) throws -> Tensor {
        try unary(.leakyRelu(negativeSlope: negativeSlope), "LeakyReluBackward0")
    }

    /// torch.nn.functional.elu: x if x > 0 else alpha (e^x - 1).
    public func elu(alpha: Double = 1) throws -> Tensor {
        try unary(.elu(alpha: alpha, scale: 1, inputScale: 1), "EluBackward0")
    }

    /// torch.nn.functional.selu: scale * elu(x, alpha) with torch's constants.
    public func selu() throws -> Tensor { try unary(UnaryOp.selu, "EluBackward0") }

    /// torch.nn.functional.gelu, exact (x Phi(x)) or with the tanh approximation.
    public func gelu(approximate: GeluApproximation = .none) throws -> Tensor {
        try unary(approximate == .none ? .gelu : .geluTanh, "GeluBackward0")
    }

    /// torch.nn.functional.silu: x sigmoid(x).
    public func silu() throws -> Tensor { try unary(.silu, "SiluBackward0") }

    /// torch.nn.functional.mish: x tanh(softplus(x)).
    public func mish() throws -> Tensor { try unary(.mish, "MishBackward0") }

    /// torch.nn.functional.softplus: log(1 + e^(beta x)) / beta, and x itself
    /// where beta x > threshold.
    public func softplus(beta: Double = 1, threshold: Double = 20) throws -> Tensor {
        try unary(.softplus(beta: beta, threshold: threshold), "SoftplusBackward0")
    }

    // MARK: - Recording

    /// Runs `op` and records its node (saving the input, or the output when
    /// the derivative is cheaper from it).
    func unary(_ op: UnaryOp, _ name: String) throws -> Tensor {
        let value = try Kernels.unary(op, array)
        let fromOutput = op.gradientUsesOutput
        return Tensor.record(value, name, inputs: [self], saving: fromOutput ? [] : [self], saveOutput: fromOutput) { g, ctx in
            if !GradMode.isEnabled {
                // Nobody differentiates this backward: one fused pass.
                let saved = fromOutput ? try ctx.outputValue() : try ctx.saved(0).array
                return [Tensor(try Kernels.unaryBackward(op, grad: g.array, saved: saved))]
            }
            return [try Tensor.unaryDerivative(op, g, fromOutput ? ctx.output() : ctx.saved(0))]
        }
    }

    /// Runs `op`, whose gradient is zero everywhere (torch gives zeros, not none).
    func zeroGradient(_ op: UnaryOp, _ name: String) throws -> Tensor {
        let value = try Kernels.unary(op, array)
        let (inputShape, inputType) = (shape, dtype)
        return Tensor.record(value, name, inputs: [self]) { _, _ in [try Tensor.zeros(inputShape, dtype: inputType)] }
    }

    /// `g * op'(x)` in differentiable ops; `s` is the saved input x, or the
    /// output y for ops with `gradientUsesOutput`. Masks are constants: their
    /// derivative is zero almost everywhere.
    static func unaryDerivative(_ op: UnaryOp, _ g: Tensor, _ s: Tensor) throws -> Tensor {
        let x = s, y = s
        switch op {
        case .exp: return try g.mul(y)
        case .log: return try g.div(x)
        case .neg: return try g.neg()
        case .relu: return try g.mul(Tensor(Kernels.positiveMask(y.array)))
        case .abs: return try g.mul(Tensor(Kernels.unary(.sign, x.array)))
        case .sign, .floor, .ceil, .round: return try Tensor.zeros(g.shape, dtype: g.dtype)
        case .square: return try g.mul(x.mul(2))
        case .expm1: return try g.mul(y.add(1))
        case .log1p: return try g.div(x.add(1))
        case .log2: return try g.div(x.mul(0.69314718055994530942))
        case .sqrt: return try g.div(y.mul(2))
        case .rsqrt: return try g.mul(y.mul(y).mul(y)).mul(-0.5)
        case .reciprocal: return try g.mul(y.mul(y)).neg()
        case .sin: return try g.mul(x.cos())
        case .cos: return try g.mul(x.sin()).neg()
        case .tan: return try g.mul(y.mul(y).add(1))
        case .tanh: return try g.mul(oneMinus(y.mul(y)))
        case .sigmoid: return try g.mul(y).mul(oneMinus(y))
        case .erf: return try g.mul(x.mul(x).neg().exp().mul(1.12837916709551257390))
        case let .hardtanh(min, max):
            let outside = try Kernels.logical(.or, Kernels.compare(.le, x.array, scalar: min), Kernels.compare(.ge, x.array, scalar: max))
            return try g.maskedFill(Tensor(outside), 0)
        case let .clamp(min, max):
            var inside = try Kernels.compare(.eq, x.array, x.array)  // false only at NaN
            if let min { inside = try Kernels.logical(.and, inside, Kernels.compare(.gt, x.array, scalar: min)) }
            if let max { inside = try Kernels.logical(.and, inside, Kernels.compare(.lt, x.array, scalar: max)) }
            return try g.maskedFill(Tensor(Kernels.logicalNot(inside)), 0)
        case let .leakyRelu(slope):
            return try Tensor.where(Tensor(Kernels.compare(.gt, x.array, scalar: 0)), g, g.mul(slope))
        case let .elu(alpha, scale, inputScale):
            // The exponential only sees x <= 0, so it cannot overflow where it is not selected.
            let negativeSide = try Kernels.compare(.le, x.array, scalar: 0)
            let clipped = try x.maskedFill(Tensor(Kernels.logicalNot(negativeSide)), 0)
            let slope = try clipped.mul(inputScale).exp().mul(alpha * scale * inputScale)
            return try Tensor.where(Tensor(negativeSide), g.mul(slope), g.mul(scale))
        case .gelu:
            let cdf = try x.mul(0.70710678118654752440).erf().add(1).mul(0.5)
            let pdf = try x.mul(x).mul(-0.5).exp().mul(0.39894228040143267794)
            return try g.mul(cdf.add(x.mul(pdf)))
        case .geluTanh:
            // s = sigmoid(2u) = (1 + tanh(u)) / 2, so 1 - tanh(u)^2 = 4 s (1 - s).
            let beta = 0.79788456080286535588, kappa = 0.044715
            let s = try x.add(x.mul(x).mul(x).mul(kappa)).mul(2 * beta).sigmoid()
            let inner = try x.mul(x).mul(3 * kappa).add(1).mul(2 * beta)
            return try g.mul(s.add(x.mul(s).mul(oneMinus(s)).mul(inner)))
        case .silu:
            let s = try x.sigmoid()
            return try g.mul(s.mul(x.mul(oneMinus(s)).add(1)))
        case .mish:
            let t = try x.softplus().tanh()
            return try g.mul(t.add(x.mul(x.sigmoid()).mul(oneMinus(t.mul(t)))))
        case let .softplus(beta, threshold):
            let linear = Tensor(try Kernels.compare(.gt, Kernels.binary(.mul, x.array, scalar: beta), scalar: threshold))
            return try g.mul(x.mul(beta).sigmoid().maskedFill(linear, 1))
        case let .logit(eps):
            let d = try g.div(x.mul(oneMinus(x)))
            if let eps, eps >= 0 {
                let outside = try Kernels.logical(.or, Kernels.compare(.lt, x.array, scalar: eps), Kernels.compare(.gt, x.array, scalar: 1 - eps))
                return try d.maskedFill(Tensor(outside), 0)
            }
            let outside = try Kernels.logical(.or, Kernels.compare(.lt, x.array, scalar: 0), Kernels.compare(.gt, x.array, scalar: 1))
            return try d.maskedFill(Tensor(outside), .nan)
        }
    }

    /// 1 - t, differentiably.
    static func oneMinus(_ t: Tensor) throws -> Tensor { try t.neg().add(1) }
}
