import Glibc

/// Vectorised float32 transcendental functions for the hot elementwise,
/// softmax and activation paths.
/// Eight lanes at a time (SIMD8, two SSE registers on the baseline x86-64
/// target) with a Cephes-style polynomial; accurate to about 1 ulp, like the
/// vectorised (Sleef) kernels torch uses. Chunks with a lane outside the
/// polynomial's range (overflow, denormal results, NaN, infinities) fall back
/// to the scalar libm function, so special values come out exactly as libm's.
public enum VectorMath {
    /// exp of `n` contiguous floats.
    @inlinable @inline(__always)
    public static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        map(x, y, n) { expAny8($0) }
    }

    /// y[i] = exp(x[i] - shift) for `n` floats (y may be x); returns their sum,
    /// the softmax denominator, accumulated in eight float lanes.
    @inlinable @inline(__always)
    public static func expShifted(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double {
        if n < 8 {
            // Shorter than a vector (two-class logits): libm, element by element.
            var total = 0.0
            for i in 0..<n {
                let e = expf(x[i] - shift)
                y[i] = e
                total += Double(e)
            }
            return total
        }
        var sum = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let e = expAny8(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - shift)
            UnsafeMutableRawPointer(y + i).storeBytes(of: e, as: SIMD8<Float>.self)
            sum += e
            i += 8
        }
        if i < n {
            // The tail in a vector padded with -inf, whose exp is 0.
            var v = SIMD8<Float>(repeating: -.infinity)
            for j in 0..<(n - i) { v[j] = x[i + j] - shift }
            let e = expAny8(v)
            for j in 0..<(n - i) { y[i + j] = e[j] }
            sum += e
        }
        var total = 0.0
        for j in 0..<8 { total += Double(sum[j]) }
        return total
    }

    /// The largest of `n` (>= 1) floats; NaN if any is NaN.
    @inlinable @inline(__always)
    public static func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        var i = 0
        if n >= 16 {
            var best = SIMD8<Float>(repeating: -.infinity)
            var nan = SIMDMask<SIMD8<Int32>>()
            while i + 8 <= n {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                best.replace(with: v, where: v .> best)
                nan .|= v .!= v
                i += 8
            }
            if any(nan) { return .nan }
            for j in 0..<8 where best[j] > m { m = best[j] }
        }
        while i < n {
            if x[i] > m { m = x[i] }
            if x[i].isNaN { return .nan }
            i += 1
        }
        return m
    }

    /// Applies `f` to `n` contiguous floats eight at a time; the tail goes
    /// through `f` too (in a zero-padded vector), so every element is computed
    /// by the same formula wherever it sits.
    @inlinable @inline(__always)
    public static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                    _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
            i += 8
        }
        if i < n {
            var v = SIMD8<Float>()
            for j in 0..<(n - i) { v[j] = x[i + j] }
            let r = f(v)
            for j in 0..<(n - i) { y[i + j] = r[j] }
        }
    }

    /// `map` of two inputs.
    @inlinable @inline(__always)
    public static func map(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                    _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        while i + 8 <= n {
            let u = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let v = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(u, v), as: SIMD8<Float>.self)
            i += 8
        }
        if i < n {
            var u = SIMD8<Float>(), v = SIMD8<Float>()
            for j in 0..<(n - i) { u[j] = a[i + j]; v[j] = b[i + j] }
            let r = f(u, v)
            for j in 0..<(n - i) { y[i + j] = r[j] }
        }
    }

    /// e^v for any lanes: the polynomial where every lane is in its range or
    /// so negative that e^v rounds to 0 (below -104, as for masked -inf
    /// scores); libm lane by lane otherwise (overflow, denormal results, NaN).
    @inlinable @inline(__always)
    public static func expAny8(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let inRange = (v .>= -87.0) .& (v .<= 88.0)
        if all(inRange) { return exp8(v) }
        let zero = v .< -104.0
        if all(inRange .| zero) {
            return exp8(v.replacing(with: 0, where: zero)).replacing(with: 0, where: zero)
        }
        var r = SIMD8<Float>()
        for j in 0..<8 { r[j] = expf(v[j]) }
        return r
    }

    /// erf by Abramowitz and Stegun's formula 7.1.26 (absolute error below
    /// 1.5e-7, the approximation torch's vectorised float erf uses):
    /// erf(|x|) = 1 - t (a1 + t (a2 + ... + t a5)) e^(-x^2) with t = 1 / (1 + p|x|).
    @inlinable @inline(__always)
    public static func erf8(_ v: SIMD8<Float>) -> SIMD8<Float> {
        erf8(v, expNegSquare: exp8(expNegSquareExponent(v)))
    }

    /// The exponent -v^2 of erf's e^(-v^2), held at -87 where the polynomial
    /// stops being valid (below it, e^(-v^2) times the rest is 0 anyway).
    @inlinable @inline(__always)
    public static func expNegSquareExponent(_ v: SIMD8<Float>) -> SIMD8<Float> {
        var z = -(v * v)
        z.replace(with: -87, where: z .< -87)
        return z
    }

    /// erf of `v` given e = e^(-v^2) (or exp8(expNegSquareExponent(v)); below
    /// e^-87 the value makes no difference), for callers that need
    /// that exponential too (gelu's backward: the normal density is e^(-x^2/2)).
    @inlinable @inline(__always)
    public static func erf8(_ v: SIMD8<Float>, expNegSquare e: SIMD8<Float>) -> SIMD8<Float> {
        let signBits = unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x8000_0000
        let a = unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
        let t = 1 / (a * 0.3275911 + 1)
        var r = SIMD8<Float>(repeating: 1.061405429)
        r = r * t - 1.453152027
        r = r * t + 1.421413741
        r = r * t - 0.284496736
        r = r * t + 0.254829592
        r = r * t
        let y = 1 - r * e
        return unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) | signBits, to: SIMD8<Float>.self)
    }

    /// e^v for lanes in [-87, 88]: v = k ln2 + r with |r| <= ln2 / 2, e^r by a
    /// degree-6 polynomial, times 2^k built in the exponent bits. Rounding to
    /// the nearest integer and converting to int use the 1.5 * 2^23 trick:
    /// Swift's SIMD float-to-int conversions and rounding go lane by lane.
    @inlinable @inline(__always)
    public static func exp8(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let t = v * 1.44269504088896341 + magic
        let k = t - magic
        // ln 2 split in two so that k * ln2 is exact to float precision.
        var r = v - k * 0.693359375
        r = r - k * -2.12194440e-4
        let r2 = r * r
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let e = p * r2 + r + 1
        let kBits = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((kBits &+ 127) &<< 23, to: SIMD8<Float>.self)
        return e * scale
    }
}
