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
        case .relu: VectorMath.map(x, y, n, ReluVector.apply)
        }
    }

    /// y = f(a, b) over `n` floats.
    public static func map(_ kernel: VectorKernel2, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch kernel {
        case .erfGradient: VectorMath.map(a, b, y, n, ErfGradVector.apply)
        case .geluGradient: VectorMath.map(a, b, y, n, GeluGradVector.apply)
        case .siluGradient: VectorMath.map(a, b, y, n, SiluGradVector.apply)
        case .reluGradient: VectorMath.map(a, b, y, n, ReluGradVector.apply)
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

    /// ImageRows.copyRows.
    public static func copyRows(_ destination: UnsafeMutableRawPointer, _ destinationStride: Int, _ source: UnsafeRawPointer,
                                _ sourceStride: Int, rowBytes: Int, rows: Int) {
        ImageRows.copyRows(destination, destinationStride, source, sourceStride, rowBytes: rowBytes, rows: rows)
    }

    /// ImageRows.addRows.
    public static func addRows(_ destination: UnsafeMutablePointer<Float>, _ destinationStride: Int, _ source: UnsafePointer<Float>,
                               _ sourceStride: Int, count: Int, rows: Int) {
        ImageRows.addRows(destination, destinationStride, source, sourceStride, count: count, rows: rows)
    }

    /// ImageRows.maxPool2x2.
    public static func maxPool2x2(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                  _ idx: UnsafeMutablePointer<Int64>?, _ w: Int, _ oh: Int, _ ow: Int) {
        ImageRows.maxPool2x2(src, dst, idx, w, oh, ow)
    }

    /// SmallProducts.rows on float32.
    public static func smallProductRows(_ ta: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                                        _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        SmallProducts.rows(SIMD8<Float>.self, ta, m, n, k, a, lda, b, ldb, beta, c, ldc)
    }
}
