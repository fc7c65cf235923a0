import CEmber
import EmberTestSupport
import XCTest

/// ember/conv.h from Swift as a C program calls it: results and gradients
/// against torch's fixtures, NULL defaults, layers by class name, and every
/// kind of bad input reported as a status and a message.
final class ConvAPITests: XCTestCase {
    /// The inputs of a conv.json case as C tensors (floating ones require grad).
    func inputs(_ c: TorchCase) -> [OpaquePointer] {
        c.inputs.map { input in
            let t = input.dtype == .float64 ? C.tensor(input.values, input.shape.map { Int64($0) })
                : input.dtype == .float32 ? C.tensor(input.floats, input.shape.map { Int64($0) })
                : C.tensor(input.int64s, input.shape.map { Int64($0) })
            if input.dtype != .int64 { C.ok(ember_tensor_set_requires_grad(t, true)) }
            return t
        }
    }

    /// Runs `op` on a case's inputs through the C API and checks the output,
    /// then backpropagates torch's upstream gradient and checks every input's gradient.
    func check(_ name: String, rtol: Double = 1e-10, file: StaticString = #filePath, line: UInt = #line,
               _ op: ([OpaquePointer], inout OpaquePointer?) -> ember_status) throws {
        let c = try TorchCase("conv", name)
        let xs = inputs(c)
        defer { xs.forEach { ember_tensor_free($0) } }
        var y: OpaquePointer?
        C.ok(op(xs, &y), name, file: file, line: line)
        defer { ember_tensor_free(y) }
        XCTAssertEqual(C.shape(y), c.output.shape.map { Int64($0) }, "\(name) shape", file: file, line: line)
        assertClose(C.values(y), c.output.values, rtol: rtol, atol: rtol, "\(name) output", file: file, line: line)
        guard let upstream = c.upstream else { return }
        let shape = upstream.shape.map { Int64($0) }
        let u = upstream.dtype == .float32 ? C.tensor(upstream.floats, shape) : C.tensor(upstream.values, shape)
        defer { ember_tensor_free(u) }
        C.ok(ember_tensor_backward(y, u), "\(name) backward", file: file, line: line)
        for (i, expected) in c.grads.enumerated() {
            guard let expected else { continue }
            var g: OpaquePointer?
            C.ok(ember_tensor_grad(xs[i], &g), file: file, line: line)
            guard g != nil else { continue }
            assertClose(C.values(g), expected.values, rtol: rtol, atol: rtol, "\(name) grad \(i)", file: file, line: line)
            ember_tensor_free(g)
        }
    }

    func testConvolutionsMatchTorch() throws {
        let stride: [Int64] = [2, 3], padding: [Int64] = [1, 2]
        try check("conv2d_stride_pad") { x, out in ember_conv2d(x[0], x[1], x[2], stride, padding, nil, 1, &out) }
        try check("conv2d_groups") { x, out in ember_conv2d(x[0], x[1], x[2], nil, nil, nil, 2, &out) }
        try check("conv2d_dilation") { x, out in ember_conv2d(x[0], x[1], nil, nil, [2, 2], [2, 1], 1, &out) }
        try check("conv2d_same_even") { x, out in ember_conv2d_padding(x[0], x[1], x[2], nil, "same", nil, 1, &out) }
        try check("conv2d_valid") { x, out in ember_conv2d_padding(x[0], x[1], nil, [1, 1], "valid", nil, 1, &out) }
        try check("conv2d_unbatched") { x, out in ember_conv2d(x[0], x[1], x[2], nil, nil, nil, 1, &out) }
        try check("conv2d_f32", rtol: 2e-5) { x, out in ember_conv2d(x[0], x[1], x[2], stride, padding, nil, 1, &out) }
        try check("conv1d_basic") { x, out in ember_conv1d(x[0], x[1], x[2], [2], [1], nil, 1, &out) }
        try check("conv1d_groups_dilation") { x, out in ember_conv1d(x[0], x[1], x[2], nil, nil, [3], 2, &out) }
        try check("conv1d_same_even") { x, out in ember_conv1d_padding(x[0], x[1], nil, nil, "same", nil, 1, &out) }
        try check("convt_stride_outpad") { x, out in ember_conv_transpose2d(x[0], x[1], x[2], [2, 2], [1, 1], [1, 1], 1, nil, &out) }
        try check("convt_groups_dilation") { x, out in ember_conv_transpose2d(x[0], x[1], x[2], [1, 2], nil, nil, 2, [2, 2], &out) }
    }

    func testPoolingAndResamplingMatchTorch() throws {
        try check("maxpool2d_stride_pad") { x, out in ember_max_pool2d(x[0], [3, 3], [2, 2], [1, 1], nil, false, &out) }
        try check("maxpool2d_dilation_ceil") { x, out in ember_max_pool2d(x[0], [3, 2], [2, 3], [1, 1], [2, 1], true, &out) }
        try check("maxpool2d_basic") { x, out in ember_max_pool2d(x[0], [2, 2], nil, nil, nil, false, &out) }
        try check("maxpool1d_dilation_ceil") { x, out in ember_max_pool1d(x[0], [3], [2], nil, [2], true, &out) }
        try check("maxpool2d_ties_indices") { x, out in
            var values: OpaquePointer?
            defer { ember_tensor_free(values) }
            return ember_max_pool2d_with_indices(x[0], [3, 3], [1, 1], [1, 1], nil, false, &values, &out)
        }
        try check("maxpool1d_dilation_ceil_indices") { x, out in
            var values: OpaquePointer?
            defer { ember_tensor_free(values) }
            return ember_max_pool1d_with_indices(x[0], [3], [2], nil, [2], true, &values, &out)
        }
        try check("avgpool2d_ceil_exclude") { x, out in ember_avg_pool2d(x[0], [3, 3], [2, 2], [1, 1], true, false, nil, &out) }
        try check("avgpool2d_divisor") { x, out in
            var divisor: Int64 = 5
            return ember_avg_pool2d(x[0], [2, 2], [1, 1], [1, 1], false, true, &divisor, &out)
        }
        try check("avgpool2d_int64") { x, out in ember_avg_pool2d(x[0], [2, 2], [1, 1], [1, 1], false, true, nil, &out) }
        try check("adaptive_down") { x, out in ember_adaptive_avg_pool2d(x[0], [3, 4], &out) }
        try check("nearest_size") { x, out in ember_interpolate_size(x[0], [3, 10], 2, "nearest", false, &out) }
        try check("nearest_scale_frac") { x, out in ember_interpolate_scale(x[0], [1.7, 0.6], 2, "nearest", false, false, &out) }
        try check("nearest_recompute") { x, out in ember_interpolate_scale(x[0], [1.7, 0.6], 2, "nearest", false, true, &out) }
        try check("nearest_1d") { x, out in ember_interpolate_scale(x[0], [2.5], 1, "nearest", false, false, &out) }
        try check("nearest_exact_size") { x, out in ember_interpolate_size(x[0], [8, 3], 2, "nearest-exact", false, &out) }
        try check("bilinear_align") { x, out in ember_interpolate_size(x[0], [7, 5], 2, "bilinear", true, &out) }
        try check("bilinear_scale2") { x, out in ember_interpolate_scale(x[0], [2], 1, "bilinear", false, false, &out) }
    }

    func testLayersByClassName() {
        let cases: [(String, String, [Int64], [Int64], String)] = [
            ("Conv2d", "3, 8, 3, padding='same'", [2, 3, 6, 6], [2, 8, 6, 6], "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=same)"),
            ("Conv1d", "2, 4, 3, stride=2", [1, 2, 9], [1, 4, 4], "Conv1d(2, 4, kernel_size=(3,), stride=(2,))"),
            ("ConvTranspose2d", "4, 2, 2, stride=2", [4, 3, 3], [2, 6, 6],
             "ConvTranspose2d(4, 2, kernel_size=(2, 2), stride=(2, 2))"),
            ("MaxPool2d", "2", [1, 2, 5, 5], [1, 2, 2, 2], "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
            ("MaxPool1d", "3, stride=1", [2, 6], [2, 4], "MaxPool1d(kernel_size=3, stride=1, padding=0, dilation=1, ceil_mode=False)"),
            ("AvgPool2d", "(2, 3), stride=1", [1, 1, 4, 4], [1, 1, 3, 2], "AvgPool2d(kernel_size=(2, 3), stride=1, padding=0)"),
            ("AdaptiveAvgPool2d", "1", [2, 3, 5, 5], [2, 3, 1, 1], "AdaptiveAvgPool2d(output_size=1)"),
            ("Upsample", "scale_factor=2, mode='bilinear'", [1, 1, 2, 3], [1, 1, 4, 6], "Upsample(scale_factor=2.0, mode='bilinear')"),
            ("Flatten", "", [2, 3, 4], [2, 12], "Flatten(start_dim=1, end_dim=-1)"),
            ("Unflatten", "1, (3, 4)", [2, 12], [2, 3, 4], "Unflatten(dim=1, unflattened_size=(3, 4))"),
            ("Identity", "", [2, 3], [2, 3], "Identity()"),
        ]
        for (type, args, inShape, outShape, repr) in cases {
            var m: OpaquePointer?
            C.ok(ember_module_new(type, args, &m), type)
            var length = 0
            C.ok(ember_module_summary(m, nil, 0, &length))
            var buf = [CChar](repeating: 0, count: length + 1)
            C.ok(ember_module_summary(m, &buf, buf.count, &length))
            XCTAssertEqual(String(cString: buf), repr)
            let x = C.tensor([Float](repeating: 0.5, count: Int(inShape.reduce(1, *))), inShape)
            var y: OpaquePointer?
            C.ok(ember_module_forward(m, x, &y), type)
            XCTAssertEqual(C.shape(y), outShape, type)
            for t in [x, y] { ember_tensor_free(t) }
            ember_module_free(m)
        }
    }

    func testBadInputIsAStatusAndAMessage() {
        let x = C.tensor([Float](repeating: 1, count: 2 * 3 * 8 * 8), [2, 3, 8, 8])
        let w = C.tensor([Float](repeating: 1, count: 4 * 3 * 3 * 3), [4, 3, 3, 3])
        let image = C.tensor([Float](repeating: 1, count: 28 * 28), [28, 28])
        defer { [x, w, image].forEach { ember_tensor_free($0) } }
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0x1)
        C.fails(ember_conv2d(image, w, nil, nil, nil, nil, 1, &out), EMBER_ERR_SHAPE,
                ["ember_conv2d", "3-D (unbatched) or 4-D (batched)", "[28, 28]"])
        XCTAssertNil(out)
        let w6 = C.tensor([Float](repeating: 1, count: 4 * 6 * 9), [4, 6, 3, 3])
        C.fails(ember_conv2d(x, w6, nil, nil, nil, nil, 1, &out), EMBER_ERR_SHAPE,
                ["ember_conv2d", "weight of size [4, 6, 3, 3], expected input[2, 3, 8, 8] to have 6 channels, but got 3"])
        ember_tensor_free(w6)
        C.fails(ember_conv2d(x, w, nil, [0, 1], nil, nil, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["non-positive stride"])
        C.fails(ember_conv2d(x, w, nil, nil, [-1, 0], nil, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["negative padding"])
        C.fails(ember_conv2d(x, w, nil, nil, nil, nil, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["non-positive groups"])
        C.fails(ember_conv2d(x, w, nil, nil, [0, 0], [4, 4], 1, &out), EMBER_ERR_SHAPE, ["Kernel size: (9 x 9)", "(8 x 8)"])
        C.fails(ember_conv2d(x, w, x, nil, nil, nil, 1, &out), EMBER_ERR_SHAPE, ["expected bias to be 1-dimensional with 4 elements"])
        C.fails(ember_conv2d(x, nil, nil, nil, nil, nil, 1, &out), EMBER_ERR_INVALID_HANDLE, ["weight"])
        C.fails(ember_conv2d(x, w, nil, nil, nil, nil, 1, nil), EMBER_ERR_INVALID_ARGUMENT, ["'out' is NULL"])
        C.fails(ember_conv2d_padding(x, w, nil, nil, "full", nil, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["invalid padding string 'full'"])
        C.fails(ember_conv2d_padding(x, w, nil, [2, 2], "same", nil, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["strided convolutions"])
        C.fails(ember_conv2d_padding(x, w, nil, nil, nil, nil, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["'padding' is NULL"])
        C.fails(ember_conv_transpose2d(x, w, nil, [2, 2], nil, [2, 2], 1, nil, &out), EMBER_ERR_INVALID_ARGUMENT,
                ["output padding must be smaller than either stride or dilation"])
        C.fails(ember_max_pool2d(x, nil, nil, nil, nil, false, &out), EMBER_ERR_INVALID_ARGUMENT, ["'kernel_size' is NULL"])
        C.fails(ember_max_pool2d(x, [3, 3], nil, [2, 2], nil, false, &out), EMBER_ERR_INVALID_ARGUMENT, ["pad should be at most half"])
        C.fails(ember_max_pool2d(x, [9, 9], nil, nil, nil, false, &out), EMBER_ERR_SHAPE, ["Output size is too small"])
        var values: OpaquePointer? = OpaquePointer(bitPattern: 0x1), indices: OpaquePointer? = OpaquePointer(bitPattern: 0x1)
        C.fails(ember_max_pool1d_with_indices(x, [2], nil, nil, nil, false, &values, &indices), EMBER_ERR_SHAPE, ["max_pool1d", "[2, 3, 8, 8]"])
        XCTAssertNil(values)
        XCTAssertNil(indices)
        var zero: Int64 = 0
        C.fails(ember_avg_pool2d(x, [2, 2], nil, nil, false, true, &zero, &out), EMBER_ERR_INVALID_ARGUMENT, ["divisor must be not zero"])
        C.fails(ember_adaptive_avg_pool2d(x, [-1, 2], &out), EMBER_ERR_INVALID_ARGUMENT, ["greater than or equal to 0"])
        C.fails(ember_interpolate_size(x, [4, 4], 2, "bicubic", false, &out), EMBER_ERR_INVALID_ARGUMENT, ["mode 'bicubic' is not supported"])
        C.fails(ember_interpolate_size(x, [4, 4], 2, "nearest", true, &out), EMBER_ERR_INVALID_ARGUMENT, ["align_corners"])
        C.fails(ember_interpolate_size(x, [4, 4, 4], 3, "nearest", false, &out), EMBER_ERR_INVALID_ARGUMENT, ["same number of spatial dimensions"])
        C.fails(ember_interpolate_size(x, nil, 2, "nearest", false, &out), EMBER_ERR_INVALID_ARGUMENT, ["'size' is NULL"])
        C.fails(ember_interpolate_scale(x, [2], 0, "nearest", false, false, &out), EMBER_ERR_INVALID_ARGUMENT, ["nscale"])
        C.fails(ember_interpolate_scale(image, [2], 1, "bilinear", false, false, &out), EMBER_ERR_SHAPE, ["[28, 28]"])
        XCTAssertNil(out)

        // A layer fed the wrong input names itself and the shapes.
        var conv: OpaquePointer?
        C.ok(ember_module_new("Conv2d", "3, 8, 3", &conv))
        C.fails(ember_module_forward(conv, image, &out), EMBER_ERR_SHAPE, ["Conv2d", "3-D (unbatched) or 4-D (batched)", "[28, 28]"])
        let wrong = C.tensor([Float](repeating: 1, count: 4 * 8 * 8), [1, 4, 8, 8])
        C.fails(ember_module_forward(conv, wrong, &out), EMBER_ERR_SHAPE, ["Conv2d", "input[1, 4, 8, 8] to have 3 channels, but got 4"])
        ember_tensor_free(wrong)
        ember_module_free(conv)
        C.fails(ember_module_new("Conv2d", "3, 8, 3, groups=2", &conv), EMBER_ERR_INVALID_ARGUMENT, ["in_channels must be divisible by groups"])
        C.fails(ember_module_new("MaxPool2d", "2, stride=0", &conv), EMBER_ERR_INVALID_ARGUMENT, ["MaxPool2d", "stride"])
        C.fails(ember_module_new("Upsample", "scale_factor=2, mode='area'", &conv), EMBER_ERR_INVALID_ARGUMENT, ["mode 'area' is not supported"])
        XCTAssertNil(conv)
    }
}
