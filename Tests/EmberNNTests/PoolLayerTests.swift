import EmberAutograd
import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// Pooling, resampling and shape modules: the functional ops and MaxPool1d/2d,
/// AvgPool2d, AdaptiveAvgPool2d, Upsample, Flatten, Unflatten and Identity
/// against torch (tools/fixtures/conv.py), gradchecks, and bad input.
final class PoolLayerTests: XCTestCase {
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line, _ op: ([Tensor]) throws -> Tensor) throws {
        let f32 = name.hasSuffix("_f32")
        try checkAgainstTorch("conv", name, rtol: f32 ? 1e-5 : 1e-10, atol: f32 ? 1e-6 : 1e-12, file: file, line: line, op)
    }

    // MARK: - Functional ops against torch

    func testMaxPoolMatchesTorchIncludingTiesAndNaN() throws {
        let cases: [(String, (Tensor) throws -> (values: Tensor, indices: Tensor))] = [
            ("maxpool2d_basic", { try $0.maxPool2dWithIndices(kernelSize: [2]) }),
            ("maxpool2d_stride_pad", { try $0.maxPool2dWithIndices(kernelSize: [3], stride: [2], padding: [1]) }),
            ("maxpool2d_dilation_ceil", {
                try $0.maxPool2dWithIndices(kernelSize: [3, 2], stride: [2, 3], padding: [1], dilation: [2, 1], ceilMode: true)
            }),
            ("maxpool2d_ceil", { try $0.maxPool2dWithIndices(kernelSize: [2], ceilMode: true) }),
            ("maxpool2d_unbatched", { try $0.maxPool2dWithIndices(kernelSize: [2], stride: [1]) }),
            ("maxpool2d_ties", { try $0.maxPool2dWithIndices(kernelSize: [3], stride: [1], padding: [1]) }),
            ("maxpool2d_nan", { try $0.maxPool2dWithIndices(kernelSize: [2], stride: [1, 2]) }),
            ("maxpool2d_int64", { try $0.maxPool2dWithIndices(kernelSize: [2], stride: [1], padding: [1]) }),
            ("maxpool2d_f32", { try $0.maxPool2dWithIndices(kernelSize: [3], stride: [2], padding: [1]) }),
            ("maxpool1d_basic", { try $0.maxPool1dWithIndices(kernelSize: [3], stride: [2], padding: [1]) }),
            ("maxpool1d_dilation_ceil", { try $0.maxPool1dWithIndices(kernelSize: [3], stride: [2], dilation: [2], ceilMode: true) }),
            ("maxpool1d_unbatched", { try $0.maxPool1dWithIndices(kernelSize: [2]) }),
        ]
        let fixture = try Fixtures.load("conv")
        for (name, op) in cases {
            try check(name) { try op($0[0]).values }
            // The indices, where torch's are recorded (ties keep the first maximum, NaN the last NaN).
            if fixture[name + "_indices"] != nil {
                try check(name + "_indices") { try op($0[0]).indices }
            }
        }
        // The functional forms without indices give the same values.
        let x = try Tensor.randn([2, 3, 6, 6], dtype: .float64)
        XCTAssertEqual(try x.maxPool2d(kernelSize: [3], stride: [2], padding: [1]).toDoubles(),
                       try x.maxPool2dWithIndices(kernelSize: [3], stride: [2], padding: [1]).values.toDoubles())
        XCTAssertEqual(try x.flatten(startDim: 2).maxPool1d(kernelSize: [4]).shape, [2, 3, 9])
    }

    func testAvgPoolMatchesTorch() throws {
        let cases: [(String, (Tensor) throws -> Tensor)] = [
            ("avgpool2d_basic", { try $0.avgPool2d(kernelSize: [2]) }),
            ("avgpool2d_pad_include", { try $0.avgPool2d(kernelSize: [3], stride: [2], padding: [1]) }),
            ("avgpool2d_pad_exclude", { try $0.avgPool2d(kernelSize: [3], stride: [2], padding: [1], countIncludePad: false) }),
            ("avgpool2d_ceil_include", { try $0.avgPool2d(kernelSize: [3], stride: [2], padding: [1], ceilMode: true) }),
            ("avgpool2d_ceil_exclude", {
                try $0.avgPool2d(kernelSize: [3], stride: [2], padding: [1], ceilMode: true, countIncludePad: false)
            }),
            ("avgpool2d_divisor", { try $0.avgPool2d(kernelSize: [2], stride: [1], padding: [1], divisorOverride: 5) }),
            ("avgpool2d_rect", { try $0.avgPool2d(kernelSize: [2, 3], stride: [1, 2]) }),
            ("avgpool2d_unbatched", { try $0.avgPool2d(kernelSize: [2], ceilMode: true) }),
            ("avgpool2d_int64", { try $0.avgPool2d(kernelSize: [2], stride: [1], padding: [1]) }),
            ("avgpool2d_f32", { try $0.avgPool2d(kernelSize: [3], stride: [2], padding: [1], countIncludePad: false) }),
        ]
        for (name, op) in cases { try check(name) { try op($0[0]) } }
    }

    func testAdaptiveAvgPoolMatchesTorch() throws {
        let cases: [(String, [Int?])] = [
            ("adaptive_down", [3, 4]), ("adaptive_up", [5, 7]), ("adaptive_none", [2, nil]), ("adaptive_global", [1]),
            ("adaptive_unbatched", [4, 3]), ("adaptive_f32", [3, 4]),
        ]
        for (name, size) in cases { try check(name) { try $0[0].adaptiveAvgPool2d(outputSize: size) } }
    }

    func testInterpolateMatchesTorch() throws {
        let cases: [(String, (Tensor) throws -> Tensor)] = [
            ("nearest_scale2", { try $0.interpolate(scaleFactor: [2]) }),
            ("nearest_size", { try $0.interpolate(size: [3, 10]) }),
            ("nearest_scale_frac", { try $0.interpolate(scaleFactor: [1.7, 0.6]) }),
            ("nearest_recompute", { try $0.interpolate(scaleFactor: [1.7, 0.6], recomputeScaleFactor: true) }),
            ("nearest_1d", { try $0.interpolate(scaleFactor: [2.5]) }),
            ("nearest_exact_size", { try $0.interpolate(size: [8, 3], mode: .nearestExact) }),
            ("nearest_exact_scale", { try $0.interpolate(scaleFactor: [1.5], mode: .nearestExact) }),
            ("bilinear_scale2", { try $0.interpolate(scaleFactor: [2], mode: .bilinear) }),
            ("bilinear_align", { try $0.interpolate(size: [7, 5], mode: .bilinear, alignCorners: true) }),
            ("bilinear_down", { try $0.interpolate(size: [2, 3], mode: .bilinear) }),
            ("bilinear_scale_frac", { try $0.interpolate(scaleFactor: [1.3, 2.7], mode: .bilinear) }),
            ("bilinear_same_size", { try $0.interpolate(size: [4, 6], mode: .bilinear) }),
            ("bilinear_out1", { try $0.interpolate(size: [1, 4], mode: .bilinear, alignCorners: true) }),
            ("bilinear_f32", { try $0.interpolate(scaleFactor: [1.3, 2.7], mode: .bilinear) }),
        ]
        for (name, op) in cases { try check(name) { try op($0[0]) } }
    }

    // MARK: - Modules against torch

    func testPoolAndResamplingModulesMatchTorch() throws {
        let names = try moduleCaseNames(types: ["MaxPool1d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Upsample"])
        XCTAssertGreaterThanOrEqual(names.count, 14)
        for name in names { try checkModuleCase(name) }
    }

    func testShapeModulesMatchTorch() throws {
        for name in try moduleCaseNames(types: ["Flatten", "Unflatten", "Identity"]) { try checkModuleCase(name) }
        let x = try Tensor.randn([2, 3])
        XCTAssertTrue(try Identity()(x) === x)
        XCTAssertEqual(try Flatten()(try Tensor.zeros([4, 2, 3, 5])).shape, [4, 30])
        XCTAssertEqual(try Unflatten(dim: -1, unflattenedSize: [-1, 2])(try Tensor.zeros([3, 8])).shape, [3, 4, 2])
    }

    func testPoolReprsMatchTorch() throws {
        try checkReprs(types: ["MaxPool1d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Upsample", "Flatten", "Unflatten", "Identity"])
    }

    func testMaxPoolModuleReturnsIndicesThroughTheMultiOutputForward() throws {
        let pool = try ModuleRegistry.make("MaxPool2d", "2, return_indices=True")
        let x = try Tensor.arange(0, 16, dtype: .float64).reshape([1, 1, 4, 4])
        let outputs = try pool.forward([x])
        XCTAssertEqual(outputs.count, 2)
        XCTAssertEqual(outputs[0].toDoubles(), [5, 7, 13, 15])
        XCTAssertEqual(outputs[1].dtype, .int64)
        XCTAssertEqual(outputs[1].toDoubles(), [5, 7, 13, 15])
        assertThrows(.invalidArgument, ["MaxPool2d", "return_indices=True returns 2 outputs"]) { try pool(x) }
        XCTAssertEqual(try ModuleRegistry.make("MaxPool1d", "2").forward([x.flatten(startDim: 2)]).count, 1)
    }

    // MARK: - Gradients

    func testPoolingGradchecks() throws {
        GlobalGenerator.manualSeed(21)
        // Distinct values (a permutation), so that no window has a tie.
        let perm = try Tensor.randn([1, 2, 7, 6], dtype: .float64).flatten().argsortValues()
        let x = try Tensor.from(perm, shape: [1, 2, 7, 6], dtype: .float64, requiresGrad: true)
        try gradcheck([x], "max_pool2d") { try $0[0].maxPool2d(kernelSize: [3, 2], stride: [2, 1], padding: [1], dilation: [1, 2], ceilMode: true) }
        try gradcheck([x], "max_pool1d") { try $0[0].flatten(startDim: 2).maxPool1d(kernelSize: [4], stride: [3], padding: [2]) }
        let y = try Tensor.randn([2, 2, 5, 6], dtype: .float64, requiresGrad: true)
        for (include, divisor) in [(true, nil), (false, nil), (true, 7)] as [(Bool, Int?)] {
            try gradcheck([y], "avg_pool2d include \(include) divisor \(String(describing: divisor))") {
                try $0[0].avgPool2d(kernelSize: [3, 2], stride: [2], padding: [1], ceilMode: true, countIncludePad: include,
                                    divisorOverride: divisor)
            }
        }
        try gradcheck([y], "adaptive_avg_pool2d") { try $0[0].adaptiveAvgPool2d(outputSize: [3, 4]) }
        try gradcheck([y], "nearest") { try $0[0].interpolate(scaleFactor: [1.7, 0.8]) }
        try gradcheck([y], "nearest-exact") { try $0[0].interpolate(size: [7, 4], mode: .nearestExact) }
        try gradcheck([y], "bilinear") { try $0[0].interpolate(size: [7, 9], mode: .bilinear) }
        try gradcheck([y], "bilinear align_corners") { try $0[0].interpolate(scaleFactor: [0.6, 1.5], mode: .bilinear, alignCorners: true) }
    }

    /// The backward ops are differentiable in the upstream gradient (their
    /// gradient is the forward op again): checked through autograd.grad with
    /// create_graph.
    func testPoolingBackwardIsDifferentiable() throws {
        GlobalGenerator.manualSeed(22)
        let x = try Tensor.randn([2, 2, 5, 6], dtype: .float64, requiresGrad: true)
        let ops: [(String, (Tensor) throws -> Tensor)] = [
            ("max_pool2d", { try $0.maxPool2d(kernelSize: [2], stride: [1]) }),
            ("avg_pool2d", { try $0.avgPool2d(kernelSize: [3], stride: [2], padding: [1], countIncludePad: false) }),
            ("adaptive_avg_pool2d", { try $0.adaptiveAvgPool2d(outputSize: [4, 4]) }),
            ("nearest", { try $0.interpolate(scaleFactor: [1.5]) }),
            ("bilinear", { try $0.interpolate(scaleFactor: [1.5, 0.7], mode: .bilinear) }),
        ]
        for (name, op) in ops {
            let u = try Tensor.randn(try op(x).shape, dtype: .float64, requiresGrad: true)
            try gradcheck([u], "d \(name) / d upstream") { inputs in
                let g = try Autograd.grad(outputs: [op(x)], inputs: [x], gradOutputs: [inputs[0]], createGraph: true)
                return try XCTUnwrap(g[0]).mul(x)
            }
        }
    }

    // MARK: - Bad input

    func testPoolingRejectsBadInput() throws {
        let x = try Tensor.zeros([2, 3, 8, 8])
        assertThrows(.invalidArgument, ["max_pool2d", "pad should be at most half of kernel size", "[2, 2]", "[3, 3]"]) {
            try x.maxPool2d(kernelSize: [3], padding: [2])
        }
        assertThrows(.shape, ["max_pool2d", "Given input size: (3x8x8)", "Calculated output size: (3x0x0)", "too small"]) {
            try x.maxPool2d(kernelSize: [9])
        }
        assertThrows(.invalidArgument, ["stride should be greater than zero"]) { try x.maxPool2d(kernelSize: [2], stride: [0]) }
        assertThrows(.invalidArgument, ["kernel size should be greater than zero"]) { try x.maxPool2d(kernelSize: [0], stride: [1]) }
        assertThrows(.invalidArgument, ["dilation should be greater than zero"]) { try x.maxPool2d(kernelSize: [2], dilation: [0]) }
        assertThrows(.invalidArgument, ["pad must be non-negative"]) { try x.avgPool2d(kernelSize: [3], padding: [-1]) }
        assertThrows(.invalidArgument, ["avg_pool2d", "kernel_size must either be a single int, or a tuple of two ints"]) {
            try x.avgPool2d(kernelSize: [2, 3, 4])
        }
        assertThrows(.shape, ["max_pool2d", "3-D (unbatched) or 4-D (batched)", "[8, 8]"]) { try Tensor.zeros([8, 8]).maxPool2d(kernelSize: [2]) }
        assertThrows(.shape, ["max_pool2d", "non-empty channel", "[2, 0, 4, 4]"]) { try Tensor.zeros([2, 0, 4, 4]).maxPool2d(kernelSize: [2]) }
        assertThrows(.shape, ["max_pool1d", "2-D (unbatched) or 3-D (batched) input (N, C, L)", "[10]"]) {
            try Tensor.zeros([10]).maxPool1d(kernelSize: [2])
        }
        assertThrows(.dtype, ["max_pool2d is not implemented for bool"]) { try x.ne(0).maxPool2d(kernelSize: [2]) }
        assertThrows(.invalidArgument, ["divisor must be not zero"]) { try x.avgPool2d(kernelSize: [2], divisorOverride: 0) }
        assertThrows(.dtype, ["adaptive_avg_pool2d", "int64"]) { try x.to(.int64).adaptiveAvgPool2d(outputSize: [2]) }
        assertThrows(.invalidArgument, ["output_size must be greater than or equal to 0"]) { try x.adaptiveAvgPool2d(outputSize: [-1]) }
        assertThrows(.invalidArgument, ["output_size must be an int or 2 values"]) { try x.adaptiveAvgPool2d(outputSize: [1, 2, 3]) }
        assertThrows(.shape, ["non-zero size for non-batch dimensions", "[2, 3, 0, 4]", "dimension 2"]) {
            try Tensor.zeros([2, 3, 0, 4]).adaptiveAvgPool2d(outputSize: [3])
        }
        // Empty batches pool to empty batches, as in torch.
        XCTAssertEqual(try Tensor.zeros([0, 3, 4, 4]).maxPool2d(kernelSize: [2]).shape, [0, 3, 2, 2])
        XCTAssertEqual(try Tensor.zeros([0, 3, 4, 4]).avgPool2d(kernelSize: [2]).shape, [0, 3, 2, 2])
        XCTAssertEqual(try Tensor.zeros([0, 3, 4, 4]).adaptiveAvgPool2d(outputSize: [2]).shape, [0, 3, 2, 2])

        let pool = try MaxPool2d(kernelSize: [2])
        assertThrows(.shape, ["MaxPool2d", "3-D (unbatched) or 4-D (batched)", "[4, 5]"]) { try pool(try Tensor.zeros([4, 5])) }
        assertThrows(.invalidArgument, ["MaxPool2d", "kernel_size, stride and dilation must be positive"]) { try MaxPool2d(kernelSize: [0]) }
        assertThrows(.invalidArgument, ["AvgPool2d", "divisor must be not zero"]) { try ModuleRegistry.make("AvgPool2d", "2, divisor_override=0") }
        assertThrows(.invalidArgument, ["'kernel_size' must be an int or a tuple of 2 ints"]) { try ModuleRegistry.make("MaxPool2d", "None") }
        assertThrows(.invalidArgument, ["AdaptiveAvgPool2d", "output_size"]) { try ModuleRegistry.make("AdaptiveAvgPool2d", "(1, 2, 3)") }
    }

    func testInterpolateRejectsBadInput() throws {
        let x = try Tensor.zeros([1, 1, 4, 4])
        assertThrows(.invalidArgument, ["align_corners option can only be set with the interpolating modes"]) {
            try x.interpolate(scaleFactor: [2], alignCorners: true)
        }
        assertThrows(.invalidArgument, ["only one of size or scale_factor should be defined"]) { try x.interpolate(size: [3], scaleFactor: [2]) }
        assertThrows(.invalidArgument, ["either size or scale_factor should be defined"]) { try x.interpolate() }
        assertThrows(.shape, ["bilinear mode needs a 4-D input", "[1, 4, 4]"]) { try Tensor.zeros([1, 4, 4]).interpolate(scaleFactor: [2], mode: .bilinear) }
        assertThrows(.shape, ["3-D (N, C, L) or 4-D (N, C, H, W)", "[4, 4]"]) { try Tensor.zeros([4, 4]).interpolate(scaleFactor: [2]) }
        assertThrows(.invalidArgument, ["same number of spatial dimensions", "[4, 4]", "[2, 3, 4]"]) { try x.interpolate(size: [2, 3, 4]) }
        assertThrows(.invalidArgument, ["same number of spatial dimensions"]) { try x.interpolate(scaleFactor: [2, 3, 4]) }
        assertThrows(.shape, ["Input and output sizes should be greater than 0", "output (H: 0, W: 0)"]) { try x.interpolate(size: [0]) }
        assertThrows(.shape, ["Input and output sizes should be greater than 0"]) { try x.interpolate(scaleFactor: [0.1]) }
        assertThrows(.invalidArgument, ["cannot be represented"]) { try x.interpolate(scaleFactor: [.infinity]) }
        assertThrows(.invalidArgument, ["cannot be represented"]) { try x.interpolate(scaleFactor: [.nan]) }
        assertThrows(.shape, ["non-empty 4-D data tensor", "[1, 0, 4, 4]"]) { try Tensor.zeros([1, 0, 4, 4]).interpolate(scaleFactor: [2]) }
        assertThrows(.dtype, ["int64"]) { try x.to(.int64).interpolate(scaleFactor: [2]) }
        XCTAssertEqual(try Tensor.zeros([0, 1, 4, 4]).interpolate(size: [3], mode: .bilinear).shape, [0, 1, 3, 3])
        assertThrows(.invalidArgument, ["Upsample", "mode 'bicubic' is not supported"]) { try ModuleRegistry.make("Upsample", "scale_factor=2, mode='bicubic'") }
        assertThrows(.invalidArgument, ["Upsample", "either size or scale_factor"]) { try Upsample()(x) }
        assertThrows(.shape, ["Upsample", "bilinear mode needs a 4-D input"]) {
            try Upsample(scaleFactor: [2], mode: .bilinear)(try Tensor.zeros([1, 2, 5]))
        }
    }

    func testShapeModulesRejectBadInput() throws {
        assertThrows(.invalidArgument, ["Flatten", "start_dim 1 is out of range", "[4]"]) { try Flatten()(try Tensor.zeros([4])) }
        assertThrows(.invalidArgument, ["Flatten", "cannot come after"]) { try Flatten(startDim: 2, endDim: 1)(try Tensor.zeros([2, 3, 4])) }
        assertThrows(.shape, ["Unflatten", "don't multiply up to the size of dim 1 (3)"]) {
            try Unflatten(dim: 1, unflattenedSize: [2, 2])(try Tensor.zeros([2, 3]))
        }
        assertThrows(.invalidArgument, ["Unflatten", "at most one -1"]) { try Unflatten(dim: 1, unflattenedSize: [-1, -1]) }
        assertThrows(.invalidArgument, ["Identity takes at most 0 positional arguments"]) { try ModuleRegistry.make("Identity", "3") }
    }
}

extension Tensor {
    /// The ranks 0..<n of the elements (a permutation): distinct values for tie-free max pooling.
    func argsortValues() throws -> [Double] {
        let values = toDoubles()
        var ranks = [Double](repeating: 0, count: values.count)
        for (rank, i) in values.indices.sorted(by: { values[$0] < values[$1] }).enumerated() { ranks[i] = Double(rank) }
        return ranks
    }
}
