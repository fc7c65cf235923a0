import Glibc

/// Vectorised float32 transcendental functions for the hot elementwise paths.
/// Eight lanes at a time (SIMD8, two SSE registers on the baseline x86-64
/// target) with a Cephes-style polynomial; accurate to about 1 ulp, like the
/// vectorised (Sleef) kernels torch uses. Chunks with a lane outside the
/// polynomial's range (overflow, denormal results, NaN, infinities) fall back
/// to the scalar libm function, so special values come out exactly as libm's.
enum VectorMath {
    /// exp of `n` contiguous floats.
    static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            if all(v .>= -87.0 .& v .<= 88.0) {
                UnsafeMutableRawPointer(y + i).storeBytes(of: exp8(v), as: SIMD8<Float>.self)
            } else {
                for j in 0..<8 { y[i + j] = expf(x[i + j]) }
            }
            i += 8
        }
        while i < n {
            y[i] = expf(x[i])
            i += 1
        }
    }

    /// e^v for lanes in [-87, 88]: v = k ln2 + r with |r| <= ln2 / 2, e^r by a
    /// degree-6 polynomial, times 2^k built in the exponent bits. Rounding to
    /// the nearest integer and converting to int use the 1.5 * 2^23 trick:
    /// Swift's SIMD float-to-int conversions and rounding go lane by lane.
    @inline(__always)
    static func exp8(_ v: SIMD8<Float>) -> SIMD8<Float> {
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
