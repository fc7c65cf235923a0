import EmberVector
import EmberVectorAVX2
import Glibc

/// The vectorised float32 loops, on the widest instruction set this build
/// has for the CPU: EmberVectorAVX2's copies where the CPU has AVX2 (and
/// EMBER_SIMD is not "baseline"), else EmberVector's baseline x86-64 (SSE2)
/// ones. Both give the same values to the bit.
enum VectorLoops {
    /// Whether the AVX2 copies run; decided once, from /proc/cpuinfo (which
    /// lists avx2 only when the kernel also saves the wide registers).
    static let usesAVX2: Bool = {
        #if arch(x86_64)
        if let choice = getenv("EMBER_SIMD"), String(cString: choice) == "baseline" { return false }
        return BLASSetup.cpuFlags().contains("avx2")
        #else
        return false
        #endif
    }()

    /// The instruction set the vector loops use: "avx2" or "baseline".
    static var level: String { usesAVX2 ? "avx2" : "baseline" }

    @inline(__always)
    static func map<F: VectorFunction1>(_: F.Type, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if usesAVX2 { AVX2Loops.map(F.kernel, x, y, n) } else { VectorMath.map(x, y, n, F.apply) }
    }

    @inline(__always)
    static func map<F: VectorFunction2>(_: F.Type, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                        _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if usesAVX2 { AVX2Loops.map(F.kernel, a, b, y, n) } else { VectorMath.map(a, b, y, n, F.apply) }
    }

    /// e^x of `n` floats.
    static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        map(ExpVector.self, x, y, n)
    }

    /// VectorMath.expShifted.
    static func expShifted(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double {
        usesAVX2 ? AVX2Loops.expShifted(x, y, n, shift: shift) : VectorMath.expShifted(x, y, n, shift: shift)
    }

    /// VectorMath.maximum.
    static func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        usesAVX2 ? AVX2Loops.maximum(x, n) : VectorMath.maximum(x, n)
    }

    /// ImageRows.copyRows.
    static func copyRows(_ destination: UnsafeMutableRawPointer, _ destinationStride: Int, _ source: UnsafeRawPointer,
                         _ sourceStride: Int, rowBytes: Int, rows: Int) {
        if usesAVX2 {
            AVX2Loops.copyRows(destination, destinationStride, source, sourceStride, rowBytes: rowBytes, rows: rows)
        } else {
            ImageRows.copyRows(destination, destinationStride, source, sourceStride, rowBytes: rowBytes, rows: rows)
        }
    }

    /// ImageRows.addRows.
    static func addRows(_ destination: UnsafeMutablePointer<Float>, _ destinationStride: Int, _ source: UnsafePointer<Float>,
                        _ sourceStride: Int, count: Int, rows: Int) {
        if usesAVX2 {
            AVX2Loops.addRows(destination, destinationStride, source, sourceStride, count: count, rows: rows)
        } else {
            ImageRows.addRows(destination, destinationStride, source, sourceStride, count: count, rows: rows)
        }
    }

    /// ImageRows.maxPool2x2.
    static func maxPool2x2(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                           _ idx: UnsafeMutablePointer<Int64>?, _ w: Int, _ oh: Int, _ ow: Int) {
        if usesAVX2 { AVX2Loops.maxPool2x2(src, dst, idx, w, oh, ow) } else { ImageRows.maxPool2x2(src, dst, idx, w, oh, ow) }
    }

    /// SmallProducts.rows on float32.
    static func smallProductRows(_ ta: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                                 _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        if usesAVX2 {
            AVX2Loops.smallProductRows(ta, m, n, k, a, lda, b, ldb, beta, c, ldc)
        } else {
            SmallProducts.rows(SIMD8<Float>.self, ta, m, n, k, a, lda, b, ldb, beta, c, ldc)
        }
    }
}
