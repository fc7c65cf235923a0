import EmberVector

/// Unary elementwise kernels: math functions, activations, rounding and
/// clamping, with torch's dtype rules (which ops turn integers into floats,
/// which keep them, which reject them) and torch's values at the edges (NaN,
/// signed zeros, infinities).

/// Unary elementwise operations. Parameters are torch's, as doubles; the
/// kernels convert them to the element type, as torch does.
public enum UnaryOp: Sendable, Equatable {
    /// Keep int64 (bool is refused, except by sign; square turns it into int64).
    case neg, relu, abs, sign, square
    /// Math functions: int64 and bool input gives float32.
    case exp, log, expm1, log1p, log2, sqrt, rsqrt, reciprocal
    case sin, cos, tan, tanh, sigmoid, erf
    /// Rounding; int64 input is returned unchanged. round is half to even.
    case floor, ceil, round
    /// torch.nn.functional.hardtanh (and relu6 = hardtanh(0, 6)): int64 input
    /// stays int64, with the bounds truncated toward zero.
    case hardtanh(min: Double, max: Double)
    /// torch.clamp with either bound optional (nil is None); the bounds take
    /// part in type promotion as Python scalars.
    case clamp(min: Double?, max: Double?)
    case leakyRelu(negativeSlope: Double)
    /// torch's elu kernel: scale * (x if x > 0 else alpha * (e^(inputScale * x) - 1)); selu is a choice of constants.
    case elu(alpha: Double, scale: Double, inputScale: Double)
    /// gelu with approximate="none" (x * Phi(x)) and approximate="tanh".
    case gelu, geluTanh
    case silu, mish
    case softplus(beta: Double, threshold: Double)
    /// torch.logit; eps nil (or negative, as torch) leaves x unclamped.
    case logit(eps: Double?)

    /// selu's constants (torch.nn.functional.selu).
    public static let selu = UnaryOp.elu(alpha: 1.6732632423543772848170429916717, scale: 1.0507009873554804934193349852946, inputScale: 1)

    /// torch's function name, for messages.
    public var name: String {
        switch self {
        case .neg: "neg"
        case .exp: "exp"
        case .log: "log"
        case .relu: "relu"
        case .abs: "abs"
        case .sign: "sign"
        case .square: "square"
        case .expm1: "expm1"
        case .log1p: "log1p"
        case .log2: "log2"
        case .sqrt: "sqrt"
        case .rsqrt: "rsqrt"
        case .reciprocal: "reciprocal"
        case .sin: "sin"
        case .cos: "cos"
        case .tan: "tan"
        case .tanh: "tanh"
        case .sigmoid: "sigmoid"
        case .erf: "erf"
        case .floor: "floor"
        case .ceil: "ceil"
        case .round: "round"
        case .hardtanh: "hardtanh"
        case .clamp: "clamp"
        case .leakyRelu: "leaky_relu"
        case .elu: "elu"
        case .gelu, .geluTanh: "gelu"
        case .silu: "silu"
        case .mish: "mish"
        case .softplus: "softplus"
        case .logit: "logit"
        }
    }

    /// The result dtype for an input dtype, or torch's refusal.
    public func resultType(_ input: DType) throws -> DType {
        switch self {
        case .exp, .log, .expm1, .log1p, .log2, .sqrt, .rsqrt, .reciprocal, .sin, .cos, .tan, .tanh, .sigmoid, .erf, .logit:
            return input.floatingCounterpart
        case .sign:
            return input
        case .square:
            // torch squares a bool tensor as an integer power.
            return input == .bool ? .int64 : input
        case .neg, .relu, .abs, .floor, .ceil, .round, .hardtanh:
            guard input != .bool else {
                if self == .neg {
                    throw EmberError.dtype("negation, the `-` operator, on a bool tensor is not supported (as in torch); use logical_not to invert a mask")
                }
                throw EmberError.dtype("\(name) is not supported for bool tensors (as in torch); convert with to(dtype) first")
            }
            return input
        case .leakyRelu, .elu, .gelu, .geluTanh, .silu, .mish, .softplus:
            guard input.isFloatingPoint else {
                throw EmberError.dtype("\(name) is not implemented for \(input) tensors (as in torch); convert to a floating dtype with to(dtype) first")
            }
            return input
        case let .clamp(min, max):
            guard min != nil || max != nil else {
                throw EmberError.invalidArgument("clamp: at least one of 'min' or 'max' must not be None")
            }
            var participants: [(DType, PromotionRank)] = [(input, .dimensioned)]
            if let min { participants.append((Kernels.scalarType(min), .scalar)) }
            if let max { participants.append((Kernels.scalarType(max), .scalar)) }
            return promoteTypes(participants)
        }
    }

    /// Whether the gradient is computed from the output (saved instead of the input).
    public var gradientUsesOutput: Bool {
        switch self {
        case .exp, .expm1, .sqrt, .rsqrt, .reciprocal, .tan, .tanh, .sigmoid, .relu: true
        default: false
        }
    }
}

extension Kernels {
    /// `op(x)` with torch's dtype rules (see `UnaryOp.resultType`).
    public static func unary(_ op: UnaryOp, _ x: NDArray) throws -> NDArray {
        let dtype = try op.resultType(x.dtype)
        if case let .hardtanh(min, max) = op, min > max {
            throw EmberError.invalidArgument("hardtanh: min_val cannot be greater than max_val (got \(min) and \(max))")
        }
        let source = try x.cast(to: dtype)
        let out = try NDArray(empty: x.shape, dtype: dtype)
        switch dtype {
        case .float32: unaryFloat(op, source, out, Float.self)
        case .float64: unaryFloat(op, source, out, Double.self)
        case .int64: try unaryInt(op, source, out)
        case .bool:
            guard op == .sign else { throw EmberError.internal("\(op.name) reached the bool kernel") }
            Kernels.copy(from: source, into: out)
        }
        return out
    }

    static func unaryInt(_ op: UnaryOp, _ x: NDArray, _ out: NDArray) throws {
        switch op {
        case .neg: map1(x, out) { (v: Int64) in 0 &- v }
        case .relu: map1(x, out) { (v: Int64) in v < 0 ? 0 : v }
        case .abs: map1(x, out) { (v: Int64) in v < 0 ? 0 &- v : v }
        case .sign: map1(x, out) { (v: Int64) -> Int64 in v > 0 ? 1 : (v < 0 ? -1 : 0) }
        case .square: map1(x, out) { (v: Int64) in v &* v }
        case .floor, .ceil, .round: Kernels.copy(from: x, into: out)
        case let .hardtanh(min, max):
            let lo = Int64(castFrom: min), hi = Int64(castFrom: max)
            map1(x, out) { (v: Int64) in v < lo ? lo : (v > hi ? hi : v) }
        case let .clamp(min, max):
            let lo = min.map { Int64(castFrom: $0) } ?? .min, hi = max.map { Int64(castFrom: $0) } ?? .max
            map1(x, out) { (v: Int64) in Swift.min(Swift.max(v, lo), hi) }
        default:
            throw EmberError.internal("\(op.name) reached the int64 kernel")
        }
    }

    /// The floating kernels; transcendental ones split at a smaller grain.
    @inline(__always)
    static func unaryFloat<T: FloatMath>(_ op: UnaryOp, _ x: NDArray, _ out: NDArray, _: T.Type) {
        let g = 4096
        switch op {
        case .neg: map1(NegFunction<T>.self, x, out)
        case .exp:
            if !vectorMap(ExpVector.self, x, out, grain: g) { map1(x, out, grain: g) { (v: T) in T.exp(v) } }
        case .log: map1(x, out, grain: g) { (v: T) in T.log(v) }
        // NaN passes through, as torch's clamp_min(0) does.
        case .relu: if !vectorMap(ReluVector.self, x, out, grain: 32_768) { map1(ReluFunction<T>.self, x, out) }
        case .abs: map1(AbsFunction<T>.self, x, out)
        case .sign: map1(SignFunction<T>.self, x, out)
        case .square: map1(SquareFunction<T>.self, x, out)
        case .expm1: map1(x, out, grain: g) { (v: T) in T.expm1(v) }
        case .log1p: map1(x, out, grain: g) { (v: T) in T.log1p(v) }
        case .log2: map1(x, out, grain: g) { (v: T) in T.log2(v) }
        case .sqrt: map1(SqrtFunction<T>.self, x, out)
        case .rsqrt: map1(RsqrtFunction<T>.self, x, out)
        case .reciprocal: map1(ReciprocalFunction<T>.self, x, out)
        case .sin: map1(x, out, grain: g) { (v: T) in T.sin(v) }
        case .cos: map1(x, out, grain: g) { (v: T) in T.cos(v) }
        case .tan: map1(x, out, grain: g) { (v: T) in T.tan(v) }
        case .tanh: map1(x, out, grain: g) { (v: T) in T.tanh(v) }
        case .sigmoid:
            if !vectorMap(SigmoidVector.self, x, out, grain: g) { map1(x, out, grain: g) { (v: T) in T.sigmoid(v) } }
        case .erf:
            if !vectorMap(ErfVector.self, x, out, grain: g) { map1(x, out, grain: g) { (v: T) in T.erf(v) } }
        case .floor: map1(FloorFunction<T>.self, x, out)
        case .ceil: map1(CeilFunction<T>.self, x, out)
        case .round: map1(RoundFunction<T>.self, x, out)
        case let .hardtanh(min, max):
            // Comparisons keep NaN and -0.0, as torch's hardtanh.
            let lo = T(min), hi = T(max)
            map1(x, out) { (v: T) in v < lo ? lo : (v > hi ? hi : v) }
        case let .clamp(min, max):
            if let min, let max {
                let lo = T(min), hi = T(max)
                map1(x, out) { (v: T) in T.propagatingMinimum(T.propagatingMaximum(v, lo), hi) }
            } else if let min {
                let lo = T(min)
                map1(x, out) { (v: T) in T.propagatingMaximum(v, lo) }
            } else if let max {
                let hi = T(max)
                map1(x, out) { (v: T) in T.propagatingMinimum(v, hi) }
            }
        case let .leakyRelu(slope):
            let s = T(slope)
            map1(x, out) { (v: T) in v > 0 ? v : v * s }
        case let .elu(alpha, scale, inputScale):
            let negative = T(alpha) * T(scale), positive = T(scale), inner = T(inputScale)
            map1(x, out, grain: g) { (v: T) in v <= 0 ? T.expm1(v * inner) * negative : v * positive }
        case .gelu:
            let r = T(0.70710678118654752440)  // 1/sqrt(2)
            if !vectorMap(GeluVector.self, x, out, grain: g) {
                map1(x, out, grain: g) { (v: T) in v * 0.5 * (1 + T.erf(v * r)) }
            }
        case .geluTanh:
            // 0.5 (1 + tanh(u)) is sigmoid(2u): one exp instead of libm's slow
            // tanh, and no cancellation where tanh(u) is near -1.
            let twoBeta = T(2 * 0.79788456080286535588), kappa = T(0.044715)  // sqrt(2/pi)
            map1(x, out, grain: g) { (v: T) in v / (1 + T.exp(-twoBeta * (v + kappa * (v * v * v)))) }
        case .silu:
            if !vectorMap(SiluVector.self, x, out, grain: g) {
                map1(x, out, grain: g) { (v: T) in v / (1 + T.exp(-v)) }
            }
        case .mish:
            // tanh(log(1 + e^x)) is n / (n + 2) with n = e^x (e^x + 2): one exp
            // instead of exp, log1p and tanh; above 20 it is 1 to double precision.
            map1(x, out, grain: g) { (v: T) in v > 20 ? v : v * mishTanh(T.exp(v)) }
        case let .softplus(beta, threshold):
            let b = T(beta), t = T(threshold)
            map1(x, out, grain: g) { (v: T) in v * b > t ? v : T.log1p(T.exp(v * b)) / b }
        case let .logit(eps):
            if let eps, eps >= 0 {
                let lo = T(eps), hi = 1 - T(eps)
                map1(x, out, grain: g) { (v: T) in logit(v < lo ? lo : (v > hi ? hi : v)) }
            } else {
                map1(x, out, grain: g) { (v: T) in logit(v) }
            }
        }
    }

    /// tanh(softplus(x)) from e = e^x (x <= 20).
    @inline(__always)
    static func mishTanh<T: FloatMath>(_ e: T) -> T {
        let n = e * (e + 2)
        return n / (n + 2)
    }

    /// log(x / (1 - x)), with +inf at 1 as torch.
    @inline(__always)
    static func logit<T: FloatMath>(_ v: T) -> T { v == 1 ? .infinity : T.log(v / (1 - v)) }
}
