import CEmberStart
import COpenBLAS
import Glibc

/// Makes OpenBLAS use the kernels this CPU can run. OpenBLAS chooses them
/// when it loads, from the CPU it detects; versions that do not recognise a
/// CPU (0.3.21 sees a virtualised recent Xeon as a "Prescott") fall back to
/// SSE3 kernels, five to seven times slower than the AVX2/AVX-512 ones the
/// CPU has. Unless the user chose a core with OPENBLAS_CORETYPE, Ember asks
/// OpenBLAS's dynamic-architecture loader to choose again with the right one,
/// once, before its first BLAS call. A fixed-architecture OpenBLAS (without
/// the loader's entry points) is left alone.
///
/// OpenBLAS runs on one thread, inside whichever of Ember's threads calls
/// it: its own pool would spin (sched_yield) for a long while after every
/// call, competing with Ember's workers for the cores. Ember's GEMMs split
/// their work across its own threads instead (Kernels.gemm).
public enum BLASSetup {
    /// The OpenBLAS core in use after setup ("SkylakeX", "Haswell", ...).
    public static var coreName: String {
        _ = configured
        return openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Whether OpenBLAS's idle thread pool was stopped when the library
    /// loaded (Sources/CEmberStart/start.c).
    public static var quietedAtLoad: Bool { quiet_blas_threads_ran() != 0 }

    /// Runs the setup once; every BLAS entry point touches it.
    public static let configured: Void = configure()

    /// Cores that predate AVX2: a sign that OpenBLAS did not recognise the CPU.
    static let legacyCores = ["prescott", "katmai", "coppermine", "northwood", "banias", "atom", "core2", "penryn",
                              "dunnington", "nehalem", "nano", "unknown"]

    static func configure() {
        openblas_set_num_threads(1)
        guard getenv("OPENBLAS_CORETYPE") == nil, let name = openblas_get_corename() else { return }
        guard legacyCores.contains(String(cString: name).lowercased()), let target = bestCore(cpuFlags()) else { return }
        guard let library = dlopen(nil, RTLD_NOW), let quitSymbol = dlsym(library, "gotoblas_dynamic_quit"),
              let initSymbol = dlsym(library, "gotoblas_dynamic_init") else { return }
        typealias Entry = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", target, 1)
        unsafeBitCast(quitSymbol, to: Entry.self)()
        unsafeBitCast(initSymbol, to: Entry.self)()
        // Child processes should not inherit a choice the user did not make.
        unsetenv("OPENBLAS_CORETYPE")
        openblas_set_num_threads(1)
    }

    /// OpenBLAS's name for the best kernels these CPU flags allow, if better than SSE.
    static func bestCore(_ flags: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The CPU feature flags from /proc/cpuinfo (empty where it cannot be read).
    static func cpuFlags() -> Set<String> {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                return Set(text.split(separator: ":", maxSplits: 1).last?.split(separator: " ").map {
                    $0.trimmingCharacters(in: "\n") } ?? [])
            }
        }
        return []
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
