import Glibc

/// Per-element math the elementwise kernels share: libm for Float and Double,
/// and torch's own definitions where they differ from libm or C (floor
/// division, Python-style remainder, NaN-propagating maximum, integer powers).

/// Float and Double with the libm functions the elementwise kernels need.
public protocol FloatMath: FloatElement, NumericElement {
    static func expm1(_ x: Self) -> Self
    static func log2(_ x: Self) -> Self
    static func tan(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    static func atan2(_ y: Self, _ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    static func fmod(_ x: Self, _ y: Self) -> Self
}

extension Float: FloatMath {
    @inlinable public static func expm1(_ x: Float) -> Float { expm1f(x) }
    @inlinable public static func log2(_ x: Float) -> Float { log2f(x) }
    @inlinable public static func tan(_ x: Float) -> Float { tanf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { tanhf(x) }
    @inlinable public static func erf(_ x: Float) -> Float { erff(x) }
    @inlinable public static func atan2(_ y: Float, _ x: Float) -> Float { atan2f(y, x) }
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
    @inlinable public static func fmod(_ x: Float, _ y: Float) -> Float { fmodf(x, y) }
}

extension Double: FloatMath {
    @inlinable public static func expm1(_ x: Double) -> Double { Glibc.expm1(x) }
    @inlinable public static func log2(_ x: Double) -> Double { Glibc.log2(x) }
    @inlinable public static func tan(_ x: Double) -> Double { Glibc.tan(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    @inlinable public static func erf(_ x: Double) -> Double { Glibc.erf(x) }
    @inlinable public static func atan2(_ y: Double, _ x: Double) -> Double { Glibc.atan2(y, x) }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
    @inlinable public static func fmod(_ x: Double, _ y: Double) -> Double { Glibc.fmod(x, y) }
}

extension FloatMath {
    /// torch.floor_divide for floats (c10's div_floor_floating): the floor of
    /// the exact quotient, computed from fmod so that it is not thrown off by
    /// the rounding of a / b; IEEE's result for a zero divisor.
    @inlinable
    public static func floorDivide(_ a: Self, _ b: Self) -> Self {
        if b == 0 { return a / b }
        let mod = fmod(a, b)
        var div = (a - mod) / b
        if mod != 0 && (b < 0) != (mod < 0) { div -= 1 }
        if div == 0 { return Self(signOf: a / b, magnitudeOf: 0) }
        var floored = div.rounded(.down)
        if div - floored > 0.5 { floored += 1 }
        return floored
    }

    /// torch.remainder for floats: fmod moved into the divisor's sign (Python's %).
    @inlinable
    public static func remainder(_ a: Self, _ b: Self) -> Self {
        var mod = fmod(a, b)
        if mod != 0 && (b < 0) != (mod < 0) { mod += b }
        return mod
    }

    /// torch.maximum: NaN if either is NaN; the first on a tie (so max(0, -0) is 0).
    /// (FloatingPoint.maximum is IEEE's maxNum, which drops the NaN.)
    @inlinable
    public static func propagatingMaximum(_ a: Self, _ b: Self) -> Self {
        if a.isNaN || b.isNaN { return .nan }
        return a < b ? b : a
    }

    /// torch.minimum: NaN if either is NaN; the first on a tie.
    @inlinable
    public static func propagatingMinimum(_ a: Self, _ b: Self) -> Self {
        if a.isNaN || b.isNaN { return .nan }
        return b < a ? b : a
    }

    /// torch.sign: -1, 0 or 1; 0 for NaN and for both zeros.
    @inlinable
    public static func signum(_ x: Self) -> Self {
        (0 < x ? 1 : 0) - (x < 0 ? 1 : 0)
    }

    /// 1 / (1 + e^-x).
    @inlinable
    public static func sigmoid(_ x: Self) -> Self { 1 / (1 + exp(-x)) }
}

/// torch's integer division, remainder and power for int64: they wrap where
/// C++ would overflow (INT64_MIN / -1) instead of trapping. Zero divisors are
/// rejected before these run.
public enum IntMath {
    /// The quotient rounded toward zero.
    @inlinable
    public static func truncDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a.dividedReportingOverflow(by: b).partialValue
    }

    /// The quotient rounded down (c10's div_floor_integer).
    @inlinable
    public static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a.dividedReportingOverflow(by: b).partialValue
        if (a < 0) != (b < 0) && a.remainderReportingOverflow(dividingBy: b).partialValue != 0 {
            return quotient &- 1
        }
        return quotient
    }

    /// The remainder with the divisor's sign (Python's %).
    @inlinable
    public static func remainder(_ a: Int64, _ b: Int64) -> Int64 {
        var r = a.remainderReportingOverflow(dividingBy: b).partialValue
        if r != 0 && (r < 0) != (b < 0) { r = r &+ b }
        return r
    }

    /// a ** b by squaring, wrapping; a negative exponent gives 1 for a base of
    /// 1, +-1 for -1 and 0 otherwise, as torch's integer pow.
    @inlinable
    public static func pow(_ a: Int64, _ b: Int64) -> Int64 {
        if b < 0 {
            if a == 1 { return 1 }
            if a == -1 { return b & 1 == 0 ? 1 : -1 }
            return 0
        }
        var result: Int64 = 1, base = a, e = b
        while e != 0 {
            if e & 1 != 0 { result = result &* base }
            e >>= 1
            base = base &* base
        }
        return result
    }
}
