// swift-tools-version:6.0
// Ember: PyTorch's core in Swift, shipped as the C library libember.so.
// Layers (each imports only those before it):
//   EmberTensor -> EmberAutograd -> EmberNN -> EmberOptim -> EmberData -> Ember (C exports)
import PackageDescription

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

        .target(name: "EmberTensor", dependencies: ["COpenBLAS"]),
        .target(name: "EmberAutograd", dependencies: ["EmberTensor"]),
        .target(name: "EmberNN", dependencies: ["EmberAutograd"]),
        .target(name: "EmberOptim", dependencies: ["EmberNN"]),
        .target(name: "EmberData", dependencies: ["EmberAutograd"]),
        .target(name: "Ember",
                dependencies: ["CEmber", "EmberTensor", "EmberAutograd", "EmberNN", "EmberOptim", "EmberData"],
                swiftSettings: [.enableExperimentalFeature("CImplementation")]),

        .testTarget(name: "EmberTensorTests", dependencies: ["EmberTensor"]),
        .testTarget(name: "EmberAutogradTests", dependencies: ["EmberAutograd"]),
        .testTarget(name: "EmberNNTests", dependencies: ["EmberNN"]),
        .testTarget(name: "EmberOptimTests", dependencies: ["EmberOptim"]),
        .testTarget(name: "EmberDataTests", dependencies: ["EmberData"]),
        .testTarget(name: "EmberCAPITests", dependencies: ["Ember", "CEmber"]),
    ],
    swiftLanguageModes: [.v5]
)
