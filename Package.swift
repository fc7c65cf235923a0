// swift-tools-version:6.0
// Ember: PyTorch's core in Swift, shipped as the C library libember.so.
// Layers (each imports only those before it):
//   EmberTensor -> EmberAutograd -> EmberNN -> EmberOptim -> EmberData -> Ember (C exports)
import PackageDescription

// Release builds skip Swift's runtime exclusivity checks: they cost a TLS lookup
// per access in the kernels' hot loops, and a violation would trap (kill the
// host process) rather than be reported anyway.
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

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

        .target(name: "EmberTensor", dependencies: ["COpenBLAS", "CEmberMath", "CEmberStart"], swiftSettings: fast),
        .target(name: "EmberAutograd", dependencies: ["EmberTensor"], swiftSettings: fast),
        .target(name: "EmberNN", dependencies: ["EmberAutograd"], swiftSettings: fast),
        .target(name: "EmberOptim", dependencies: ["EmberNN"], swiftSettings: fast),
        .target(name: "EmberData", dependencies: ["EmberAutograd"], swiftSettings: fast),
        .target(name: "Ember",
                dependencies: ["CEmber", "EmberTensor", "EmberAutograd", "EmberNN", "EmberOptim", "EmberData"],
                swiftSettings: fast + [.enableExperimentalFeature("CImplementation")]),

        // Fixture loading, tolerances and the finite-difference gradcheck, shared by the tests.
        .target(name: "EmberTestSupport", dependencies: ["EmberAutograd"], path: "Tests/EmberTestSupport"),
        .testTarget(name: "EmberTensorTests", dependencies: ["EmberTensor", "EmberTestSupport"]),
        .testTarget(name: "EmberAutogradTests", dependencies: ["EmberAutograd", "EmberTestSupport"]),
        .testTarget(name: "EmberNNTests", dependencies: ["EmberNN", "EmberTestSupport"]),
        .testTarget(name: "EmberOptimTests", dependencies: ["EmberOptim", "EmberTestSupport"]),
        .testTarget(name: "EmberDataTests", dependencies: ["EmberData", "EmberTestSupport"]),
        .testTarget(name: "EmberCAPITests", dependencies: ["Ember", "CEmber", "EmberTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
