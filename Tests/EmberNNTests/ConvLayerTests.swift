import EmberAutograd
import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// Convolutions: the functional ops and Conv1d, Conv2d and ConvTranspose2d
/// against torch (tools/fixtures/conv.py), finite-difference gradchecks of
/// every order, and torch's errors for bad input.
final class ConvLayerTests: XCTestCase {
    // MARK: - Functional ops against torch

    func testConv2dMatchesTorch() throws {
        let cases: [(String, ([Tensor]) throws -> Tensor)] = [
            ("conv2d_basic", { try $0[0].conv2d(weight: $0[1], bias: $0[2]) }),
            ("conv2d_stride_pad", { try $0[0].conv2d(weight: $0[1], bias: $0[2], stride: [2, 3], padding: [1, 2]) }),
            ("conv2d_dilation", { try $0[0].conv2d(weight: $0[1], padding: 2, dilation: [2, 1]) }),
            ("conv2d_groups", { try $0[0].conv2d(weight: $0[1], bias: $0[2], groups: 2) }),
            ("conv2d_depthwise", { try $0[0].conv2d(weight: $0[1], padding: 1, groups: 3) }),
            ("conv2d_same_even", { try $0[0].conv2d(weight: $0[1], bias: $0[2], padding: .same) }),
            ("conv2d_same_dilated", { try $0[0].conv2d(weight: $0[1], padding: .same, dilation: [2]) }),
            ("conv2d_valid", { try $0[0].conv2d(weight: $0[1], padding: .valid) }),
            ("conv2d_unbatched", { try $0[0].conv2d(weight: $0[1], bias: $0[2]) }),
            ("conv2d_1x1", { try $0[0].conv2d(weight: $0[1], bias: $0[2]) }),
            ("conv2d_big_stride", { try $0[0].conv2d(weight: $0[1], stride: [4]) }),
            ("conv2d_batch1", { try $0[0].conv2d(weight: $0[1], bias: $0[2], padding: 1) }),
            ("conv2d_f32", { try $0[0].conv2d(weight: $0[1], bias: $0[2], stride: [2, 3], padding: [1, 2]) }),
        ]
        for (name, op) in cases { try checkConvCase(name, op) }
    }

    func testConv1dMatchesTorch() throws {
        let cases: [(String, ([Tensor]) throws -> Tensor)] = [
            ("conv1d_basic", { try $0[0].conv1d(weight: $0[1], bias: $0[2], stride: [2], padding: 1) }),
            ("conv1d_same_even", { try $0[0].conv1d(weight: $0[1], padding: .same) }),
            ("conv1d_groups_dilation", { try $0[0].conv1d(weight: $0[1], bias: $0[2], dilation: [3], groups: 2) }),
            ("conv1d_unbatched", { try $0[0].conv1d(weight: $0[1]) }),
            ("conv1d_f32", { try $0[0].conv1d(weight: $0[1], bias: $0[2], stride: [2], padding: 1) }),
        ]
        for (name, op) in cases { try checkConvCase(name, op) }
    }

    func testConvTranspose2dMatchesTorch() throws {
        let cases: [(String, ([Tensor]) throws -> Tensor)] = [
            ("convt_basic", { try $0[0].convTranspose2d(weight: $0[1], bias: $0[2]) }),
            ("convt_stride_outpad", { try $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: [2], padding: [1], outputPadding: [1]) }),
            ("convt_groups_dilation", { try $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: [1, 2], groups: 2, dilation: [2]) }),
            ("convt_outpad_below_dilation", { try $0[0].convTranspose2d(weight: $0[1], outputPadding: [2], dilation: [3]) }),
            ("convt_unbatched", { try $0[0].convTranspose2d(weight: $0[1], padding: [1]) }),
            ("convt_f32", { try $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: [2], padding: [1], outputPadding: [1]) }),
        ]
        for (name, op) in cases { try checkConvCase(name, op) }
    }

    func checkConvCase(_ name: String, file: StaticString = #filePath, line: UInt = #line,
                       _ op: ([Tensor]) throws -> Tensor) throws {
        let f32 = name.hasSuffix("_f32")
        try checkAgainstTorch("conv", name, rtol: f32 ? 1e-5 : 1e-10, atol: f32 ? 2e-5 : 1e-12, file: file, line: line, op)
    }

    // MARK: - Modules against torch

    func testConvModulesMatchTorch() throws {
        for name in try moduleCaseNames(types: ["Conv1d", "Conv2d", "ConvTranspose2d"]) { try checkModuleCase(name) }
    }

    func testConvReprsMatchTorch() throws {
        try checkReprs(types: ["Conv1d", "Conv2d", "ConvTranspose2d"])
    }

    func testSwiftInitialisersMatchTheRegistry() throws {
        GlobalGenerator.manualSeed(5)
        let a = try Conv2d(3, 6, kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], groups: 3, bias: false)
        GlobalGenerator.manualSeed(5)
        let b = try ModuleRegistry.make("Conv2d", "3, 6, (3, 2), stride=(2, 1), padding=(1, 0), groups=3, bias=False")
        XCTAssertEqual(a.description, b.description)
        XCTAssertEqual(a.weight.toDoubles(), try b.parameter(named: "weight").toDoubles())
        XCTAssertEqual(a.weight.shape, [6, 1, 3, 2])
        let t = try ConvTranspose2d(4, 6, kernelSize: [3], groups: 2, dtype: .float64)
        XCTAssertEqual(t.weight.shape, [4, 3, 3, 3])
        XCTAssertEqual(t.weight.dtype, .float64)
        XCTAssertEqual(try Conv1d(2, 3, kernelSize: [5]).weight.shape, [3, 2, 5])
        // fan_in = 0: kaiming leaves the empty weight alone and the bias stays zero, drawing nothing.
        GlobalGenerator.manualSeed(1)
        let empty = try Conv2d(0, 2, kernelSize: [3])
        XCTAssertEqual(empty.bias?.toDoubles(), [0, 0])
        let next = try Tensor.rand([1]).toDoubles()
        GlobalGenerator.manualSeed(1)
        XCTAssertEqual(try Tensor.rand([1]).toDoubles(), next)
    }

    // MARK: - Gradients

    func testConvGradchecks() throws {
        GlobalGenerator.manualSeed(11)
        let configs: [(String, Dims, Dims, ConvOptions)] = [
            ("plain", [2, 2, 5, 4], [3, 2, 3, 2], ConvOptions()),
            ("stride pad dilation", [1, 2, 7, 6], [2, 2, 2, 3], ConvOptions(stride: [2, 1], padding: .explicit([1, 2]), dilation: [2, 1])),
            ("groups", [1, 4, 4, 4], [4, 2, 3, 3], ConvOptions(padding: .explicit([1]), groups: 2)),
            ("same even", [1, 1, 5, 4], [2, 1, 2, 4], ConvOptions(padding: .same)),
        ]
        for (what, xs, ws, options) in configs {
            let x = try Tensor.randn(xs, dtype: .float64, requiresGrad: true)
            let w = try Tensor.randn(ws, dtype: .float64, requiresGrad: true)
            let b = try Tensor.randn([ws[0]], dtype: .float64, requiresGrad: true)
            try gradcheck([x, w, b], "conv2d \(what)") { try $0[0].convolution("conv2d", spatial: 2, weight: $0[1], bias: $0[2], options) }
        }
        let x1 = try Tensor.randn([2, 2, 7], dtype: .float64, requiresGrad: true)
        let w1 = try Tensor.randn([2, 1, 3], dtype: .float64, requiresGrad: true)
        try gradcheck([x1, w1], "conv1d") { try $0[0].conv1d(weight: $0[1], stride: [2], padding: 1, dilation: [2], groups: 2) }
        let xt = try Tensor.randn([2, 4, 3, 2], dtype: .float64, requiresGrad: true)
        let wt = try Tensor.randn([4, 1, 3, 2], dtype: .float64, requiresGrad: true)
        let bt = try Tensor.randn([2], dtype: .float64, requiresGrad: true)
        try gradcheck([xt, wt, bt], "conv_transpose2d") {
            try $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: [2, 1], padding: [1, 0], outputPadding: [1, 0], groups: 2, dilation: [1, 2])
        }
        let xu = try Tensor.randn([3, 4, 4], dtype: .float64, requiresGrad: true)
        let wu = try Tensor.randn([2, 3, 3, 3], dtype: .float64, requiresGrad: true)
        try gradcheck([xu, wu], "unbatched conv2d") { try $0[0].conv2d(weight: $0[1], padding: 1) }
    }

    /// Second order: the input and weight gradients (each bilinear in two of
    /// x, w and the upstream gradient u) differentiated again, through the
    /// transposed-convolution and weight-gradient ops.
    func testConvSecondOrderGradcheck() throws {
        GlobalGenerator.manualSeed(12)
        let x = try Tensor.randn([2, 2, 5, 5], dtype: .float64, requiresGrad: true)
        let w = try Tensor.randn([4, 1, 3, 2], dtype: .float64, requiresGrad: true)
        let u = try Tensor.randn([2, 4, 3, 2], dtype: .float64, requiresGrad: true)
        try gradcheck([x, w, u], "conv2d double backward") { inputs in
            let y = try inputs[0].conv2d(weight: inputs[1], stride: [2, 3], padding: 1, dilation: [1, 2], groups: 2)
            let g = try Autograd.grad(outputs: [y], inputs: [inputs[0], inputs[1]], gradOutputs: [inputs[2]], createGraph: true)
            return try Tensor.cat([XCTUnwrap(g[0]).flatten(), XCTUnwrap(g[1]).flatten()], dim: 0)
        }
        let xt = try Tensor.randn([1, 2, 3, 3], dtype: .float64, requiresGrad: true)
        let wt = try Tensor.randn([2, 3, 2, 2], dtype: .float64, requiresGrad: true)
        let ut = try Tensor.randn([1, 3, 7, 7], dtype: .float64, requiresGrad: true)
        try gradcheck([xt, wt, ut], "conv_transpose2d double backward") { inputs in
            let y = try inputs[0].convTranspose2d(weight: inputs[1], stride: [2], padding: [0], outputPadding: [1])
            let g = try Autograd.grad(outputs: [y], inputs: [inputs[0], inputs[1]], gradOutputs: [inputs[2]], createGraph: true)
            return try Tensor.cat([XCTUnwrap(g[0]).flatten(), XCTUnwrap(g[1]).flatten()], dim: 0)
        }
        // Third order exists too: d/dx of sum(gw^2), with gw = dL/dw, is nonzero.
        let g = try Autograd.grad(outputs: [x.conv2d(weight: w, groups: 2).square().sum()], inputs: [w], createGraph: true)
        let h = try Autograd.grad(outputs: [XCTUnwrap(g[0]).square().sum()], inputs: [x], createGraph: true)
        XCTAssertGreaterThan(try XCTUnwrap(h[0]).abs().sum().item(), 0)
    }

    /// The fused no-graph backward and the differentiable one agree.
    func testFusedBackwardMatchesDifferentiableBackward() throws {
        GlobalGenerator.manualSeed(13)
        let x = try Tensor.randn([3, 4, 6, 5], dtype: .float64, requiresGrad: true)
        let w = try Tensor.randn([6, 2, 3, 3], dtype: .float64, requiresGrad: true)
        let b = try Tensor.randn([6], dtype: .float64, requiresGrad: true)
        func grads(createGraph: Bool) throws -> [[Double]] {
            for t in [x, w, b] { try t.setGrad(nil) }
            try x.conv2d(weight: w, bias: b, stride: [2, 1], padding: [1, 2], groups: 2).square().sum().backward(createGraph: createGraph)
            return try [x, w, b].map { try XCTUnwrap($0.grad).toDoubles() }
        }
        let fused = try grads(createGraph: false), composed = try grads(createGraph: true)
        for i in 0..<3 { assertClose(fused[i], composed[i], rtol: 1e-12, atol: 1e-12, "gradient \(i)") }
        // Only the input asks for a gradient here; the fused pass gives it alone.
        for t in [x, w, b] { try t.setGrad(nil) }
        try x.conv2d(weight: w.detach(), bias: b.detach(), groups: 2).sum().backward()
        XCTAssertEqual(try XCTUnwrap(x.grad).shape, x.shape)
        XCTAssertNil(w.grad)
        XCTAssertNil(b.grad)
    }

    func testIntegerConvolutionAsTorch() throws {
        // F.conv2d(arange(16).reshape(1, 1, 4, 4), ones(1, 1, 2, 2)): int64 stays int64.
        let x = try Tensor.arange(0, 16, dtype: .int64).reshape([1, 1, 4, 4])
        let y = try x.conv2d(weight: try Tensor.ones([1, 1, 2, 2], dtype: .int64))
        XCTAssertEqual(y.dtype, .int64)
        XCTAssertEqual(y.toDoubles(), [10, 14, 18, 26, 30, 34, 42, 46, 50])
        let t = try x.convTranspose2d(weight: try Tensor.ones([1, 1, 2, 2], dtype: .int64))
        XCTAssertEqual(Array(t.toDoubles().prefix(12)), [0, 1, 3, 5, 3, 4, 10, 14, 18, 10, 12, 26])
    }

    // MARK: - Bad input

    func testConvModulesRejectBadInputWithTheLayerAndShapes() throws {
        let conv = try Conv2d(3, 8, kernelSize: [3])
        assertThrows(.shape, ["Conv2d", "3-D (unbatched) or 4-D (batched)", "[28, 28]"]) { try conv(try Tensor.zeros([28, 28])) }
        assertThrows(.shape, ["Conv2d", "[5, 1, 3, 28, 28]"]) { try conv(try Tensor.zeros([5, 1, 3, 28, 28])) }
        assertThrows(.shape, ["Conv2d", "weight of size [8, 3, 3, 3]", "input[2, 4, 28, 28] to have 3 channels, but got 4"]) {
            try conv(try Tensor.zeros([2, 4, 28, 28]))
        }
        assertThrows(.shape, ["Conv2d", "padded input size per channel: (2 x 5)", "Kernel size: (3 x 3)"]) {
            try conv(try Tensor.zeros([1, 3, 2, 5]))
        }
        assertThrows(.dtype, ["Conv2d", "float64", "float32"]) { try conv(try Tensor.zeros([1, 3, 5, 5], dtype: .float64)) }
        let reflect = try Conv1d(2, 2, kernelSize: [3], padding: 1, paddingMode: "reflect")
        assertThrows(.shape, ["Conv1d", "2-D (unbatched) or 3-D (batched)", "[7]"]) { try reflect(try Tensor.zeros([7])) }
        let convT = try ConvTranspose2d(4, 2, kernelSize: [3], stride: [2])
        assertThrows(.shape, ["ConvTranspose2d", "transposed=1", "to have 4 channels, but got 3"]) { try convT(try Tensor.zeros([1, 3, 4, 4])) }

        assertThrows(.invalidArgument, ["Conv2d", "non-positive stride"]) { try Conv2d(3, 8, kernelSize: [3], stride: [0]) }
        assertThrows(.invalidArgument, ["Conv2d", "non-positive kernel_size"]) { try Conv2d(3, 8, kernelSize: [0, 3]) }
        assertThrows(.invalidArgument, ["Conv2d", "negative padding"]) { try Conv2d(3, 8, kernelSize: [3], padding: -1) }
        assertThrows(.invalidArgument, ["in_channels must be divisible by groups"]) { try Conv2d(3, 8, kernelSize: [3], groups: 2) }
        assertThrows(.invalidArgument, ["out_channels must be divisible by groups"]) { try Conv2d(4, 6, kernelSize: [3], groups: 4) }
        assertThrows(.invalidArgument, ["groups must be a positive integer"]) { try Conv2d(4, 6, kernelSize: [3], groups: 0) }
        assertThrows(.invalidArgument, ["kernel_size to be a single integer value or a list of 2 values", "[3, 3, 3]"]) {
            try Conv2d(4, 6, kernelSize: [3, 3, 3])
        }
        assertThrows(.invalidArgument, ["Conv2d", "invalid padding string 'foo'", "'valid', 'same'"]) {
            try ModuleRegistry.make("Conv2d", "3, 8, 3, padding='foo'")
        }
        assertThrows(.invalidArgument, ["padding='same' is not supported for strided convolutions"]) {
            try ModuleRegistry.make("Conv2d", "3, 8, 3, padding='same', stride=2")
        }
        assertThrows(.invalidArgument, ["padding_mode must be one of", "'foo'"]) {
            try ModuleRegistry.make("Conv2d", "3, 8, 3, padding_mode='foo'")
        }
        assertThrows(.invalidArgument, ["only \"zeros\" padding mode is supported for ConvTranspose2d"]) {
            try ModuleRegistry.make("ConvTranspose2d", "3, 8, 3, padding_mode='reflect'")
        }
        assertThrows(.invalidArgument, ["'kernel_size' must be an integer or a tuple of 2 integers"]) {
            try ModuleRegistry.make("Conv2d", "3, 8, (3, 3, 3)")
        }
        assertThrows(.invalidArgument, ["in_channels and out_channels must be non-negative"]) { try ModuleRegistry.make("Conv2d", "-1, 8, 3") }
    }

    func testFunctionalConvRejectsBadArguments() throws {
        let x = try Tensor.zeros([2, 3, 8, 8]), w = try Tensor.zeros([4, 3, 3, 3])
        assertThrows(.invalidArgument, ["conv2d", "non-positive stride"]) { try x.conv2d(weight: w, stride: [0]) }
        assertThrows(.invalidArgument, ["conv2d", "non-positive dilation"]) { try x.conv2d(weight: w, dilation: [1, 0]) }
        assertThrows(.invalidArgument, ["conv2d", "non-positive groups"]) { try x.conv2d(weight: w, groups: 0) }
        assertThrows(.invalidArgument, ["conv2d", "padding", "too large"]) { try x.conv2d(weight: w, padding: .explicit([Int.max])) }
        assertThrows(.invalidArgument, ["padding='same' is not supported for strided convolutions"]) {
            try x.conv2d(weight: w, stride: [2], padding: .same)
        }
        assertThrows(.shape, ["Given groups=3, expected weight to be divisible by 3 at dimension 0", "[4, 1, 3, 3]"]) {
            try x.conv2d(weight: try Tensor.zeros([4, 1, 3, 3]), groups: 3)
        }
        assertThrows(.shape, ["expected bias to be 1-dimensional with 4 elements", "[3]"]) { try x.conv2d(weight: w, bias: try Tensor.zeros([3])) }
        assertThrows(.shape, ["expected weight to be at least 1 at dimension 0"]) { try x.conv2d(weight: try Tensor.zeros([0, 3, 3, 3])) }
        assertThrows(.shape, ["conv2d", "4-D weight", "[4, 3, 9]"]) { try x.conv2d(weight: try Tensor.zeros([4, 3, 9])) }
        assertThrows(.shape, ["kernel size should be greater than zero", "[4, 3, 0, 3]"]) { try x.conv2d(weight: try Tensor.zeros([4, 3, 0, 3])) }
        assertThrows(.shape, ["conv1d", "2-D (unbatched) or 3-D (batched) input (N, C, L)", "[10]"]) {
            try Tensor.zeros([10]).conv1d(weight: try Tensor.zeros([4, 3, 3]))
        }
        assertThrows(.dtype, ["conv2d is not implemented for bool"]) {
            try x.ne(0).conv2d(weight: w.ne(0))
        }
        assertThrows(.dtype, ["conv2d", "bias is float64"]) { try x.conv2d(weight: w, bias: try Tensor.zeros([4], dtype: .float64)) }
        let xt = try Tensor.zeros([2, 3, 4, 4]), wt = try Tensor.zeros([3, 4, 3, 3])
        assertThrows(.invalidArgument, ["conv_transpose2d", "output padding must be smaller than either stride or dilation"]) {
            try xt.convTranspose2d(weight: wt, stride: [2], outputPadding: [2])
        }
        assertThrows(.shape, ["conv_transpose2d", "negative"]) { try xt.convTranspose2d(weight: wt, padding: [6]) }
        assertThrows(.shape, ["conv_transpose2d", "only zero batch or zero channel"]) {
            try Tensor.zeros([2, 3, 0, 4]).convTranspose2d(weight: wt)
        }
        // An empty batch is fine, as in torch.
        XCTAssertEqual(try Tensor.zeros([0, 3, 8, 8]).conv2d(weight: w).shape, [0, 4, 6, 6])
        XCTAssertEqual(try xt.convTranspose2d(weight: wt, padding: [3]).shape, [2, 4, 0, 0])
    }
}

// MARK: - Module cases (shared with PoolLayerTests)

/// The module cases of conv.json whose type is one of `types`.
func moduleCaseNames(types: Set<String>) throws -> [String] {
    let modules = try XCTUnwrap(try Fixtures.load("conv")["modules"] as? [String: Any])
    return modules.compactMap { name, value in
        guard let c = value as? [String: Any], let type = c["type"] as? String, types.contains(type) else { return nil }
        return name
    }.sorted()
}

/// A module case of conv.json: made by class name and torch's arguments after
/// torch's seed, its initial weights and repr equal torch's; then with those
/// weights, its output and the gradients of the input and of every parameter
/// match torch's in float32 (and float64, converting the parameters, where
/// the case has it), in training and evaluation mode alike.
func checkModuleCase(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let modules = try XCTUnwrap(try Fixtures.load("conv")["modules"] as? [String: Any])
    let c = try XCTUnwrap(modules[name] as? [String: Any], name)
    let type = try XCTUnwrap(c["type"] as? String), args = try XCTUnwrap(c["args"] as? String)
    GlobalGenerator.manualSeed(UInt64(try XCTUnwrap(c["seed"] as? Double)))
    let m = try ModuleRegistry.make(type, args)
    XCTAssertEqual(m.description, c["repr"] as? String, "\(name) repr", file: file, line: line)
    let weights = try XCTUnwrap(c["weights"] as? [String: Any])
    XCTAssertEqual(Set(m.namedParameters().map(\.0)), Set(weights.keys), "\(name) parameter names", file: file, line: line)
    for (pname, value) in weights {
        // Seeded initialisation is bit-identical to torch's.
        XCTAssertEqual(try m.parameter(named: pname).toDoubles(), try FixtureTensor(value).values, "\(name) init \(pname)",
                       file: file, line: line)
    }
    let input = try FixtureTensor(c["input"])
    try runModuleCase(m, try XCTUnwrap(c["f32"] as? [String: Any]), input: try input.tensor(requiresGrad: true),
                      rtol: 1e-5, atol: 2e-5, "\(name) f32", file: file, line: line)
    if let f64 = c["f64"] as? [String: Any] {
        for (pname, p) in m.namedParameters() { try m.registerParameter(pname, Tensor(try p.array.cast(to: .float64))) }
        let x = Tensor(try input.tensor().array.cast(to: .float64), requiresGrad: true)
        try runModuleCase(m, f64, input: x, rtol: 1e-10, atol: 1e-12, "\(name) f64", file: file, line: line)
    }
}

func runModuleCase(_ m: Module, _ c: [String: Any], input x: Tensor, rtol: Double, atol: Double, _ what: String,
                   file: StaticString, line: UInt) throws {
    m.train()
    let y = try m(x)
    let expected = try FixtureTensor(c["output"])
    XCTAssertEqual(y.shape, expected.shape, "\(what) output shape", file: file, line: line)
    assertClose(y.toDoubles(), expected.values, rtol: rtol, atol: atol, "\(what) output", file: file, line: line)
    try y.backward(try FixtureTensor(c["upstream"]).tensor().to(y.dtype))
    assertClose(try XCTUnwrap(x.grad).toDoubles(), try FixtureTensor(c["input_grad"]).values, rtol: rtol, atol: atol,
                "\(what) input grad", file: file, line: line)
    for (pname, g) in try XCTUnwrap(c["param_grads"] as? [String: Any]) {
        let grad = try XCTUnwrap(try m.parameter(named: pname).grad, "\(what) \(pname) got no gradient")
        assertClose(grad.toDoubles(), try FixtureTensor(g).values, rtol: rtol, atol: atol, "\(what) grad \(pname)", file: file, line: line)
    }
    m.zeroGrad()
    m.eval()
    XCTAssertEqual(try m(x).toDoubles(), y.toDoubles(), "\(what): eval mode differs", file: file, line: line)
    m.train()
}

/// Every "reprs" entry of conv.json whose type is one of `types` prints as torch prints it.
func checkReprs(types: Set<String>, file: StaticString = #filePath, line: UInt = #line) throws {
    let reprs = try XCTUnwrap(try Fixtures.load("conv")["reprs"] as? [Any])
    var checked = 0
    for item in reprs {
        let r = try XCTUnwrap(item as? [String: Any])
        let type = try XCTUnwrap(r["type"] as? String), args = try XCTUnwrap(r["args"] as? String)
        guard types.contains(type) else { continue }
        XCTAssertEqual(try ModuleRegistry.make(type, args).description, r["repr"] as? String, "\(type)(\(args))", file: file, line: line)
        checked += 1
    }
    XCTAssertGreaterThan(checked, 0, file: file, line: line)
}
