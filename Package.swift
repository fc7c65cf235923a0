// swift-tools-version:6.0
// Ember: PyTorch's core in Swift, shipped as the C library libember.so.
// Layers (each imports only those before it):
//   EmberVector (+ EmberVectorAVX2) -> EmberTensor -> EmberAutograd -> EmberNN -> EmberOptim -> EmberData -> Ember (C exports)
import PackageDescription

// Release builds skip Swift's runtime exclusivity checks: they cost a TLS lookup
// per access in the kernels' hot loops, and a violation would trap (kill the
// host process) rather than be reported anyway.
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// EmberVectorAVX2 is compiled for Haswell (AVX2) on x86-64 hosts; EmberTensor
// calls it only after checking the CPU (VectorLoops). Elsewhere it is an
// ordinary second copy of the baseline loops.
#if arch(x86_64)
let avx2: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let avx2: [SwiftSetting] = []
#endif

let package = Package(
    name: "Ember",
    products: [
        // libember.so; `make` adds -static-stdlib, the SONAME and the export list.
        .library(name: "ember", type: .dynamic, targets: ["Ember"]),
    ],
    targets: [
        .systemLibrary(name: "CEmber", path: "Sources/CEmber"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // Vectorisable square roots (a header of static inline functions).
        .systemLibrary(name: "CEmberMath", path: "Sources/CEmberMath"),

        // Load-time set-up: stops OpenBLAS's idle thread pool (see start.c).
        .target(name: "CEmberStart", path: "Sources/CEmberStart"),

        // The vectorised float32 functions (inlinable), and the same loops
        // compiled for AVX2, which EmberTensor runs when the CPU has it.
        .target(name: "EmberVector", swiftSettings: fast),
        .target(name: "EmberVectorAVX2", dependencies: ["EmberVector"], swiftSettings: fast + avx2),

        .target(name: "EmberTensor", dependencies: ["COpenBLAS", "CEmberMath", "CEmberStart", "EmberVector", "EmberVectorAVX2"],
                swiftSettings: fast),
        .target(name: "EmberAutograd", dependencies: ["EmberTensor"], swiftSettings: fast),
        .target(name: "EmberNN", dependencies: ["EmberAutograd"], swiftSettings: fast),
        .target(name: "EmberOptim", dependencies: ["EmberNN"], swiftSettings: fast),
        .target(name: "EmberData", dependencies: ["EmberAutograd"], swiftSettings: fast),
        .target(name: "Ember",
                dependencies: ["CEmber", "EmberTensor", "EmberAutograd", "EmberNN", "EmberOptim", "EmberData"],
                swiftSettings: fast + [.enableExperimentalFeature("CImplementation")]),

        // Fixture loading, tolerances and the finite-difference gradcheck, shared by the tests.
        .target(name: "EmberTestSupport", dependencies: ["EmberAutograd"], path: "Tests/EmberTestSupport"),
        .testTarget(name: "EmberTensorTests", dependencies: ["EmberTensor", "EmberVector", "EmberVectorAVX2", "EmberTestSupport"]),
        .testTarget(name: "EmberAutogradTests", dependencies: ["EmberAutograd", "EmberTestSupport"]),
        .testTarget(name: "EmberNNTests", dependencies: ["EmberNN", "EmberTestSupport"]),
        .testTarget(name: "EmberOptimTests", dependencies: ["EmberOptim", "EmberTestSupport"]),
        .testTarget(name: "EmberDataTests", dependencies: ["EmberData", "EmberTestSupport"]),
        .testTarget(name: "EmberCAPITests", dependencies: ["Ember", "CEmber", "EmberTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
