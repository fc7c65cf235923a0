import EmberVector

/// EmberVector's loops compiled for AVX2 (this module is built with
/// `-target-cpu haswell` on x86-64; see Package.swift). Each entry point
/// specialises the shared inlinable code for one function, so the eight-lane
/// vectors are single 256-bit registers instead of pairs of SSE ones.
///
/// Only call these when the CPU has AVX2 (EmberTensor's VectorLoops checks
/// once): any instruction here may be an AVX2 one. The values are the same as
/// the baseline loops' to the bit: the same operations in the same order, and
/// Swift does not fuse multiplies and adds.
public enum AVX2Loops {
    /// y = f(x) over `n` floats.
    public static func map(_ kernel: VectorKernel1, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch kernel {
        case .exp: VectorMath.map(x, y, n, ExpVector.apply)
        case .sigmoid: VectorMath.map(x, y, n, SigmoidVector.apply)
        case .erf: VectorMath.map(x, y, n, ErfVector.apply)
        case .gelu: VectorMath.map(x, y, n, GeluVector.apply)
        case .silu: VectorMath.map(x, y, n, SiluVector.apply)
        }
    }

    /// y = f(a, b) over `n` floats.
    public static func map(_ kernel: VectorKernel2, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch kernel {
        case .erfGradient: VectorMath.map(a, b, y, n, ErfGradVector.apply)
        case .geluGradient: VectorMath.map(a, b, y, n, GeluGradVector.apply)
        case .siluGradient: VectorMath.map(a, b, y, n, SiluGradVector.apply)
        }
    }

    /// VectorMath.expShifted.
    public static func expShifted(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double {
        VectorMath.expShifted(x, y, n, shift: shift)
    }

    /// VectorMath.maximum.
    public static func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        VectorMath.maximum(x, n)
    }
}
