import COpenBLAS
import EmberVector

/// The element types BLAS multiplies: one single-threaded GEMM call.
protocol BLASScalar: FloatElement {
    /// Eight lanes of Self with concrete (not generic, lane-by-lane) arithmetic.
    associatedtype Lanes: GemmLanes where Lanes.Scalar == Self
    static func blasGemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                         _ b: UnsafePointer<Self>, _ ldb: Int, _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
}

extension Float: BLASScalar {
    typealias Lanes = SIMD8<Float>
    @inline(__always)
    static func blasGemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                         _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, Int32(m), Int32(n),
                    Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Double: BLASScalar {
    typealias Lanes = DoubleLanes
    @inline(__always)
    static func blasGemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                         _ b: UnsafePointer<Double>, _ ldb: Int, _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, Int32(m), Int32(n),
                    Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// Matrix products on single-threaded BLAS, split across Ember's threads
/// (see Parallel): a large product into blocks of rows (or of columns, when
/// it is wider than tall) of the result, one per thread; a batch of small
/// products into runs of whole products. Sizes must fit BLAS's 32-bit
/// integers (checked by the callers).
extension Kernels {
    /// Multiply-adds (m n k) below which one thread computes the whole product:
    /// about 5 us of single-core sgemm, a few times the cost of handing work over.
    static let gemmSplitWork = 1 << 17

    /// c (m x n, leading dimension ldc) = op(a) op(b) + beta c, row-major;
    /// op transposes when asked.
    static func splitGemm<T: BLASScalar>(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<T>, _ lda: Int,
                                         _ b: UnsafePointer<T>, _ ldb: Int, _ beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int) {
        if m * n * k <= smallGemmWork {
            smallGemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc)
            return
        }
        let threads = Parallel.threads
        let byRows = m >= n
        let extent = byRows ? m : n
        // Blocks of whole 16-row (or column) panels, the kernels' unit of work.
        let parts = min(threads, extent / 16)
        guard parts > 1, m * n * k >= gemmSplitWork else {
            T.blasGemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc)
            return
        }
        let step = ((extent + parts - 1) / parts + 15) / 16 * 16
        Parallel.forEach(parts, grain: 1) { range in
            for part in range {
                let lo = part * step, hi = min(extent, lo + step)
                if lo >= hi { continue }
                if byRows {
                    T.blasGemm(ta, tb, hi - lo, n, k, a + (ta ? lo : lo * lda), lda, b, ldb, beta, c + lo * ldc, ldc)
                } else {
                    T.blasGemm(ta, tb, m, hi - lo, k, a, lda, b + (tb ? lo * ldb : lo), ldb, beta, c + lo, ldc)
                }
            }
        }
    }

    /// Multiply-adds up to which a product is computed here rather than by
    /// BLAS, whose packing and dispatch cost a few thousand instructions per
    /// call: more than the whole of a product this small (the seed network's).
    static let smallGemmWork = 4096

    /// op(a) op(b) + beta c directly, eight columns of four rows of the
    /// result at a time (SmallProducts.rows): op(b) is first copied into a
    /// scratch block whose rows are padded to whole vectors (unless it already
    /// has that layout), so every load is a full vector. Each element is still
    /// a sum over k in order (no fused multiply-add), then added to beta c, as
    /// BLAS's kernels do.
    @inline(__always)
    static func smallGemm<T: BLASScalar>(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<T>, _ lda: Int,
                                         _ b: UnsafePointer<T>, _ ldb: Int, _ beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int) {
        if m == 0 || n == 0 { return }
        if !tb && n % 8 == 0 {
            smallGemmRows(ta, m, n, k, a, lda, b, ldb, beta, c, ldc)
            return
        }
        // op(b) as k rows of `width` elements, zero beyond column n.
        let width = (n + 7) & ~7
        withUnsafeTemporaryAllocation(of: T.self, capacity: max(1, k * width)) { scratch in
            let packed = scratch.baseAddress!
            if tb {
                // op(b)'s rows are b's columns: gathered, then zero-padded.
                for p in 0..<k {
                    let row = packed + p &* width, source = b + p
                    for j in 0..<n { row[j] = source[j &* ldb] }
                    for j in n..<width { row[j] = 0 }
                }
            } else {
                // Whole rows, zero-padded (without memcpy and memset calls for a few elements).
                for p in 0..<k { SmallProducts.packRow(b + p &* ldb, packed + p &* width, n, width) }
            }
            smallGemmRows(ta, m, n, k, a, lda, UnsafePointer(packed), width, beta, c, ldc)
        }
    }

    /// `smallGemm` once op(b) is row-major with rows of whole vectors
    /// (SmallProducts.rows; float32 on AVX2 where the CPU has it).
    @inline(__always)
    static func smallGemmRows<T: BLASScalar>(_ ta: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<T>, _ lda: Int,
                                             _ b: UnsafePointer<T>, _ ldb: Int, _ beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int) {
        if T.self == Float.self {
            VectorLoops.smallProductRows(ta, m, n, k, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda,
                                         UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb, unsafeBitCast(beta, to: Float.self),
                                         UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc)
        } else {
            SmallProducts.rows(T.Lanes.self, ta, m, n, k, a, lda, b, ldb, beta, c, ldc)
        }
    }

    /// `count` products of the same shape, the i-th reading a + aOffsets(i),
    /// b + bOffsets(i) and writing c + i * cStride: small products run whole,
    /// several per thread; large ones one after another, each split.
    static func batchedGemm<T: BLASScalar>(_ count: Int, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int,
                                           _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
                                           _ c: UnsafeMutablePointer<T>, _ cStride: Int, _ ldc: Int,
                                           offsets: (Int) -> (Int, Int)) {
        let work = m * n * k
        if work <= smallGemmWork && count * work < gemmSplitWork {
            for i in 0..<count {
                let (oa, ob) = offsets(i)
                smallGemm(ta, tb, m, n, k, a + oa, lda, b + ob, ldb, 0, c + i * cStride, ldc)
            }
            return
        }
        if count >= 4 * Parallel.threads || work < gemmSplitWork {
            Parallel.forEach(count, grain: max(1, gemmSplitWork / max(1, work))) { range in
                for i in range {
                    let (oa, ob) = offsets(i)
                    if work <= smallGemmWork {
                        smallGemm(ta, tb, m, n, k, a + oa, lda, b + ob, ldb, 0, c + i * cStride, ldc)
                    } else {
                        T.blasGemm(ta, tb, m, n, k, a + oa, lda, b + ob, ldb, 0, c + i * cStride, ldc)
                    }
                }
            }
        } else {
            for i in 0..<count {
                let (oa, ob) = offsets(i)
                splitGemm(ta, tb, m, n, k, a + oa, lda, b + ob, ldb, 0, c + i * cStride, ldc)
            }
        }
    }
}
