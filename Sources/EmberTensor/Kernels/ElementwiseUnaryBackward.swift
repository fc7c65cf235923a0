import EmberVector

/// Fused backward kernels of the unary ops: `grad * op'(x)` in one pass.
/// Autograd uses them when nobody differentiates the backward itself (grad
/// mode off inside the backward); with create_graph it composes the same
/// formulas from differentiable ops instead. Formulas and edge conventions
/// are torch's (derivatives.yaml and its *_backward kernels).
extension Kernels {
    /// `grad * op'(x)`, where `saved` is the op's output if
    /// `op.gradientUsesOutput`, else its input. grad and saved have the op's
    /// output shape and a floating dtype.
    public static func unaryBackward(_ op: UnaryOp, grad: NDArray, saved: NDArray) throws -> NDArray {
        guard grad.dtype.isFloatingPoint, saved.dtype == grad.dtype, saved.shape == grad.shape else {
            throw EmberError.internal("\(op.name) backward: grad \(grad.dtype) \(describe(grad.shape)) against saved \(saved.dtype) \(describe(saved.shape))")
        }
        let out = try NDArray(empty: grad.shape, dtype: grad.dtype)
        if grad.dtype == .float32 {
            try unaryBackward(op, grad, saved, out, Float.self)
        } else {
            try unaryBackward(op, grad, saved, out, Double.self)
        }
        return out
    }

    @inline(__always)
    static func unaryBackward<T: FloatMath>(_ op: UnaryOp, _ grad: NDArray, _ saved: NDArray, _ out: NDArray, _: T.Type) throws {
        let g = 4096
        switch op {
        // From the output y.
        case .exp: map2(grad, saved, out) { (d: T, y: T) in d * y }
        case .expm1: map2(grad, saved, out) { (d: T, y: T) in d * (y + 1) }
        case .sqrt: map2(grad, saved, out) { (d: T, y: T) in d / (2 * y) }
        case .rsqrt: map2(grad, saved, out) { (d: T, y: T) in -0.5 * d * y * y * y }
        case .reciprocal: map2(grad, saved, out) { (d: T, y: T) in -d * y * y }
        case .tan: map2(grad, saved, out) { (d: T, y: T) in d * (1 + y * y) }
        case .tanh: map2(grad, saved, out) { (d: T, y: T) in d * (1 - y * y) }
        case .sigmoid: map2(grad, saved, out) { (d: T, y: T) in d * (1 - y) * y }
        case .relu: map2(grad, saved, out) { (d: T, y: T) in y > 0 ? d : 0 }
        // From the input x.
        case .log: map2(grad, saved, out) { (d: T, x: T) in d / x }
        case .neg: map2(grad, saved, out) { (d: T, _: T) in -d }
        case .abs: map2(grad, saved, out) { (d: T, x: T) in d * T.signum(x) }
        case .sign, .floor, .ceil, .round: map2(grad, saved, out) { (_: T, _: T) in 0 }
        case .square: map2(grad, saved, out) { (d: T, x: T) in d * 2 * x }
        case .log1p: map2(grad, saved, out) { (d: T, x: T) in d / (x + 1) }
        case .log2:
            let ln2 = T(0.69314718055994530942)
            map2(grad, saved, out) { (d: T, x: T) in d / (x * ln2) }
        case .sin: map2(grad, saved, out, grain: g) { (d: T, x: T) in d * T.cos(x) }
        case .cos: map2(grad, saved, out, grain: g) { (d: T, x: T) in d * -T.sin(x) }
        case .erf:
            let c = T(1.12837916709551257390)  // 2/sqrt(pi)
            if !vectorMap(ErfGradVector.self, grad, saved, out, grain: g) {
                map2(grad, saved, out, grain: g) { (d: T, x: T) in d * c * T.exp(-(x * x)) }
            }
        case let .hardtanh(min, max):
            // Zero at and beyond the bounds, as torch's hardtanh_backward.
            let lo = T(min), hi = T(max)
            map2(grad, saved, out) { (d: T, x: T) in x <= lo || x >= hi ? 0 : d }
        case let .clamp(min, max):
            // Only strictly inside the bounds (torch: no subgradient at a scalar bound; NaN gets 0).
            if let min, let max {
                let lo = T(min), hi = T(max)
                map2(grad, saved, out) { (d: T, x: T) in x > lo && x < hi ? d : 0 }
            } else if let min {
                let lo = T(min)
                map2(grad, saved, out) { (d: T, x: T) in x > lo ? d : 0 }
            } else if let max {
                let hi = T(max)
                map2(grad, saved, out) { (d: T, x: T) in x < hi ? d : 0 }
            }
        case let .leakyRelu(slope):
            let s = T(slope)
            map2(grad, saved, out) { (d: T, x: T) in x > 0 ? d : d * s }
        case let .elu(alpha, scale, inputScale):
            let negative = T(alpha) * T(scale) * T(inputScale), positive = T(scale), inner = T(inputScale)
            map2(grad, saved, out, grain: g) { (d: T, x: T) in x <= 0 ? d * negative * T.exp(x * inner) : d * positive }
        case .gelu:
            let r = T(0.70710678118654752440), k = T(0.39894228040143267794)  // 1/sqrt(2), 1/sqrt(2 pi)
            let vectorised = vectorMap(GeluGradVector.self, grad, saved, out, grain: g)
            if !vectorised {
                map2(grad, saved, out, grain: g) { (d: T, x: T) in
                    d * (0.5 * (1 + T.erf(x * r)) + x * k * T.exp(-0.5 * x * x))
                }
            }
        case .geluTanh:
            // With t = tanh(u) and s = sigmoid(2u): 0.5 (1 + t) = s and 1 - t^2 = 4 s (1 - s).
            let beta = T(0.79788456080286535588), kappa = T(0.044715)
            map2(grad, saved, out, grain: g) { (d: T, x: T) in
                let s = T.sigmoid(2 * beta * (x + kappa * (x * x * x)))
                return d * (s + 2 * x * s * (1 - s) * beta * (1 + 3 * kappa * x * x))
            }
        case .silu:
            let vectorised = vectorMap(SiluGradVector.self, grad, saved, out, grain: g)
            if !vectorised {
                map2(grad, saved, out, grain: g) { (d: T, x: T) in
                    let s = T.sigmoid(x)
                    return d * s * (1 + x * (1 - s))
                }
            }
        case .mish:
            // t = tanh(softplus(x)) and sigmoid(x) from one exp; t is 1 above 20
            // (and at +inf torch's formula gives inf * 0, NaN).
            map2(grad, saved, out, grain: g) { (d: T, x: T) in
                if x > 20 { return x == .infinity ? .nan : d }
                let e = T.exp(x)
                let t = mishTanh(e)
                return d * (t + x * (e / (1 + e)) * (1 - t * t))
            }
        case let .softplus(beta, threshold):
            let b = T(beta), th = T(threshold)
            map2(grad, saved, out, grain: g) { (d: T, x: T) in
                if x * b > th { return d }
                let z = T.exp(x * b)
                return d * z / (z + 1)
            }
        case let .logit(eps):
            // With eps: zero outside [eps, 1 - eps]; without: NaN outside [0, 1].
            if let eps, eps >= 0 {
                let lo = T(eps), hi = 1 - T(eps)
                map2(grad, saved, out) { (d: T, x: T) in x < lo || x > hi ? 0 : d / (x * (1 - x)) }
            } else {
                map2(grad, saved, out) { (d: T, x: T) in x < 0 || x > 1 ? .nan : d / (x * (1 - x)) }
            }
        }
    }

    // MARK: - relu

    /// A mask (1 where `x > 0`, else 0) in x's dtype: relu's derivative.
    public static func positiveMask(_ x: NDArray) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32: map1(x, out) { (v: Float) -> Float in v > 0 ? 1 : 0 }
        case .float64: map1(x, out) { (v: Double) -> Double in v > 0 ? 1 : 0 }
        case .int64: map1(x, out) { (v: Int64) -> Int64 in v > 0 ? 1 : 0 }
        case .bool: map1(x, out) { (v: Bool) -> Bool in v }
        }
        return out
    }

    /// relu's backward in one pass: `grad` where `output > 0`, else 0
    /// (torch's threshold_backward). Same shapes and dtype.
    public static func reluBackward(_ grad: NDArray, output: NDArray) throws -> NDArray {
        let out = try NDArray(empty: grad.shape, dtype: grad.dtype)
        switch grad.dtype {
        case .float32:
            if grad.shape != output.shape || !vectorMap(ReluGradVector.self, grad, output, out, grain: 32_768) {
                map2(ReluGradFunction<Float>.self, grad, output, out)
            }
        case .float64: map2(ReluGradFunction<Double>.self, grad, output, out)
        case .int64: map2(grad, output, out) { (g: Int64, y: Int64) in y > 0 ? g : 0 }
        case .bool: throw EmberError.dtype("relu backward of a bool tensor")
        }
        return out
    }
}
