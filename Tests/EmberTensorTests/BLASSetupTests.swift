@testable import EmberTensor
import Glibc
import XCTest

final class BLASSetupTests: XCTestCase {
    func testBestCoreForFlags() {
        XCTAssertEqual(BLASSetup.bestCore(["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma"]), "SkylakeX")
        XCTAssertEqual(BLASSetup.bestCore(["avx2", "fma", "avx512f"]), "Haswell")
        XCTAssertNil(BLASSetup.bestCore(["sse4_2", "avx"]))
    }

    func testOpenBLASRunsKernelsThisCPUSupports() throws {
        let flags = BLASSetup.cpuFlags()
        guard getenv("OPENBLAS_CORETYPE") == nil, BLASSetup.bestCore(flags) != nil else {
            throw XCTSkip("the user chose a core, or this CPU has no AVX2")
        }
        // Whatever OpenBLAS detected at load, the BLAS Ember calls is not a pre-AVX2 one.
        XCTAssertFalse(BLASSetup.legacyCores.contains(BLASSetup.coreName.lowercased()), BLASSetup.coreName)
        let a = try NDArray.ones([70, 70], dtype: .float32)
        XCTAssertEqual(try Kernels.gemm(a, a).toDoubles()[0], 70)
    }

    /// The load-time set-up (Sources/CEmberStart) ran in this process, before any test.
    func testLoadTimeSetUpRan() {
        XCTAssertTrue(BLASSetup.quietedAtLoad)
    }
}
