/// The vectorised float32 elementwise functions, as types (`F.apply` is
/// resolved when a loop is specialised, so it inlines and vectorises; see
/// Kernels' ScalarFunction for why a closure would not). Each also names
/// itself as a `VectorKernel1`/`VectorKernel2`, so that a loop compiled for
/// another instruction set (EmberVectorAVX2) can be asked for the same
/// function by value.

/// An elementwise function of eight float lanes (see `VectorMath`).
public protocol VectorFunction1 {
    static var kernel: VectorKernel1 { get }
    static func apply(_ v: SIMD8<Float>) -> SIMD8<Float>
}

/// An elementwise function of two eight-lane vectors (a gradient and a saved input).
public protocol VectorFunction2 {
    static var kernel: VectorKernel2 { get }
    static func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float>
}

/// The one-input vector functions, by name.
public enum VectorKernel1: Sendable, CaseIterable {
    case exp, sigmoid, erf, gelu, silu, relu
}

/// The two-input vector functions (gradients), by name.
public enum VectorKernel2: Sendable, CaseIterable {
    case erfGradient, geluGradient, siluGradient, reluGradient
}

/// e^x.
public enum ExpVector: VectorFunction1 {
    @inlinable public static var kernel: VectorKernel1 { .exp }
    @inlinable @inline(__always) public static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { VectorMath.expAny8(v) }
}

/// 1 / (1 + e^-x).
public enum SigmoidVector: VectorFunction1 {
    @inlinable public static var kernel: VectorKernel1 { .sigmoid }
    @inlinable @inline(__always) public static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + VectorMath.expAny8(-v)) }
}

/// erf(x).
public enum ErfVector: VectorFunction1 {
    @inlinable public static var kernel: VectorKernel1 { .erf }
    @inlinable @inline(__always) public static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { VectorMath.erf8(v) }
}

/// gelu (exact): x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.
public enum GeluVector: VectorFunction1 {
    @inlinable public static var kernel: VectorKernel1 { .gelu }
    @inlinable @inline(__always) public static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        v * 0.5 * (1 + VectorMath.erf8(v * 0.70710678118654752440))
    }
}

/// silu: x sigmoid(x).
public enum SiluVector: VectorFunction1 {
    @inlinable public static var kernel: VectorKernel1 { .silu }
    @inlinable @inline(__always) public static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { v / (1 + VectorMath.expAny8(-v)) }
}

/// erf's gradient: d 2/sqrt(pi) e^(-x^2).
public enum ErfGradVector: VectorFunction2 {
    @inlinable public static var kernel: VectorKernel2 { .erfGradient }
    @inlinable @inline(__always) public static func apply(_ d: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        d * 1.12837916709551257390 * VectorMath.expAny8(-(x * x))
    }
}

/// gelu's gradient: d (Phi(x) + x phi(x)); Phi's erf and phi share one
/// exponential, e^(-x^2/2). e is 0 (not held at e^-87) far out, so that
/// x = -inf gives torch's -inf * 0 = nan.
public enum GeluGradVector: VectorFunction2 {
    @inlinable public static var kernel: VectorKernel2 { .geluGradient }
    @inlinable @inline(__always) public static func apply(_ d: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        let u = x * 0.70710678118654752440
        let e = VectorMath.expAny8(-(u * u))
        let cdf = 0.5 * (1 + VectorMath.erf8(u, expNegSquare: e))
        return d * (cdf + x * 0.39894228040143267794 * e)
    }
}

/// silu's gradient: d s (1 + x (1 - s)) with s = sigmoid(x).
public enum SiluGradVector: VectorFunction2 {
    @inlinable public static var kernel: VectorKernel2 { .siluGradient }
    @inlinable @inline(__always) public static func apply(_ d: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        let s = 1 / (1 + VectorMath.expAny8(-x))
        return d * s * (1 + x * (1 - s))
    }
}

/// relu: 0 below 0; NaN (and -0) pass through, as torch's clamp_min(0).
public enum ReluVector: VectorFunction1 {
    @inlinable public static var kernel: VectorKernel1 { .relu }
    @inlinable @inline(__always) public static func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        v.replacing(with: 0, where: v .< 0)
    }
}

/// relu's gradient from the output y: d where y > 0, else 0 (threshold_backward).
public enum ReluGradVector: VectorFunction2 {
    @inlinable public static var kernel: VectorKernel2 { .reluGradient }
    @inlinable @inline(__always) public static func apply(_ d: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
        d.replacing(with: 0, where: .!(y .> 0))
    }
}
