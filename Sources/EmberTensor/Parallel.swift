import Glibc
import Synchronization

/// Splitting kernels across cores (torch.set_num_threads). Big loops are cut
/// into one contiguous range per thread; small ones run on the caller's
/// thread, where the cost of waking others would exceed the work. The
/// ranges run on Ember's own worker threads (WorkerPool), the only ones it
/// computes on: OpenBLAS is kept single-threaded and the matrix products
/// split their work across these threads themselves (Kernels.gemm), so the
/// two never compete for the cores.
public enum Parallel {
    static let threadCount = Atomic<Int>(Parallel.defaultThreads)

    /// The online cores, as torch's default.
    public static var defaultThreads: Int { max(1, min(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 64)) }

    /// The number of threads kernels (and BLAS) may use.
    public static var threads: Int { threadCount.load(ordering: .relaxed) }

    /// Sets the number of threads for kernels and BLAS (at least 1).
    public static func setThreads(_ n: Int) {
        let count = max(1, min(n, 256))
        threadCount.store(count, ordering: .relaxed)
    }

    /// Calls `body` on disjoint ranges covering 0..<count, in parallel when the
    /// work is worth it: at least `grain` elements per thread (pick the grain
    /// by the cost of one element: ~32K for an add, ~4K for an exp).
    @inlinable
    public static func forEach(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, count / max(grain, 1))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let step = (count + chunks - 1) / chunks
        WorkerPool.shared.run(chunks: chunks, threads: chunks) { i in
            let lo = i * step
            body(lo..<min(count, lo + step))
        }
    }
}
