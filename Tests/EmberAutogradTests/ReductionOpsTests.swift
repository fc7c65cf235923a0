import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

typealias FixtureOp = ([Tensor]) throws -> Tensor

/// Runs one case of Tests/Fixtures/reduce_linalg.json (tools/fixtures/reduce_linalg.py):
/// forward values, dtype, shape and every input gradient against torch's.
/// Bool tensors are stored as int64 there, and flagged; flagged inputs are
/// converted to bool first and a flagged output must be bool.
func checkReduceLinalgCase(_ name: String, rtol: Double, atol: Double, file: StaticString = #filePath, line: UInt = #line,
                           _ op: FixtureOp) throws {
    guard let raw = try Fixtures.load("reduce_linalg")[name] as? [String: Any] else {
        XCTFail("reduce_linalg.json has no case \(name)", file: file, line: line)
        return
    }
    let inputTypes = raw["input_dtypes"] as? [String]
    let boolOutput = raw["output_dtype"] as? String == "bool"
    if inputTypes == nil && !boolOutput {
        try checkAgainstTorch("reduce_linalg", name, rtol: rtol, atol: atol, file: file, line: line, op)
        return
    }
    let c = try TorchCase("reduce_linalg", name)
    var inputs = try c.inputs.map { try $0.tensor(requiresGrad: $0.dtype.isFloatingPoint) }
    for (i, type) in (inputTypes ?? []).enumerated() where type == "bool" { inputs[i] = try inputs[i].to(.bool) }
    let y = try op(inputs)
    XCTAssertEqual(y.shape, c.output.shape, "\(name) shape", file: file, line: line)
    XCTAssertEqual(y.dtype, boolOutput ? .bool : c.output.dtype, "\(name) dtype", file: file, line: line)
    assertClose(y.toDoubles(), c.output.values, rtol: rtol, atol: atol, "\(name) forward", file: file, line: line)
}

/// Checks the gradient of `f` by finite differences (float64), and then the
/// gradient of that gradient: the inner function returns the squared
/// first-order gradients, computed with create_graph.
func gradgradcheck(_ inputs: [Tensor], _ what: String, file: StaticString = #filePath, line: UInt = #line,
                   _ f: @escaping FixtureOp) throws {
    try gradcheck(inputs, what, file: file, line: line, f)
    try gradcheck(inputs, "d(\(what))/dx", file: file, line: line) { xs in
        let y = try f(xs)
        let weights = try Tensor.from((0..<y.count).map { Double($0 % 5) * 0.25 - 0.4 }, shape: y.shape, dtype: .float64)
        let grads = try Autograd.grad(outputs: [y.mul(weights).sum()], inputs: xs, createGraph: true, allowUnused: true)
        var total = try Tensor.zeros([], dtype: .float64)
        for g in grads { if let g { total = try total.add(g.mul(g).sum()) } }
        // A gradient that does not depend on the inputs (a zero second
        // derivative) still has to come out as zero: keep them in the graph.
        for x in xs { total = try total.add(x.sum().mul(0)) }
        return total
    }
}

/// Reductions and scans against PyTorch (float64 and float32, fixture values),
/// finite-difference gradchecks (first and second order) and bad input.
final class ReductionOpsTests: XCTestCase {
    override func setUp() { GlobalGenerator.manualSeed(23) }

    /// Cases with floating inputs (also run in float32 as NAME_f32).
    static let ops: [String: FixtureOp] = [
        "sum_transposed_dim0": { try $0[0].transpose(0, 1).sum(dims: [0]) },
        "sum_empty": { try $0[0].sum(dims: [1]) },
        "sum_scalar": { try $0[0].sum() },
        "mean_dims_neg_keep": { try $0[0].mean(dims: [-1, 0], keepdim: true) },
        "mean_permuted": { try $0[0].permute([2, 0, 1]).mean(dims: [1]) },
        "prod_all": { try $0[0].prod() },
        "prod_all_one_zero": { try $0[0].prod() },
        "prod_all_two_zeros": { try $0[0].prod() },
        "prod_dim1": { try $0[0].prod(dim: 1) },
        "prod_dim_neg1_keep": { try $0[0].prod(dim: -1, keepdim: true) },
        "prod_dim1_zeros": { try $0[0].prod(dim: 1) },
        "prod_dim0_zeros_3d": { try $0[0].prod(dim: 0) },
        "prod_transposed": { try $0[0].transpose(0, 1).prod(dim: 0) },
        "prod_scalar": { try $0[0].prod() },
        "prod_scalar_dim": { try $0[0].prod(dim: 0, keepdim: true) },
        "prod_empty_dim": { try $0[0].prod(dim: 0) },
        "max_all": { try $0[0].max() },
        "max_all_ties": { try $0[0].max() },
        "min_all_ties": { try $0[0].min() },
        "max_all_nan": { try $0[0].max() },
        "max_scalar": { try $0[0].max() },
        "max_dim1": { try $0[0].max(dim: 1).values },
        "max_dim1_ties": { try $0[0].max(dim: 1).values },
        "max_dim1_ties_indices": { try $0[0].max(dim: 1).indices },
        "min_dim1_ties": { try $0[0].min(dim: 1).values },
        "min_dim1_ties_indices": { try $0[0].min(dim: 1).indices },
        "max_dim0_keep_transposed": { try $0[0].transpose(0, 1).max(dim: 0, keepdim: true).values },
        "max_dim0_keep_transposed_indices": { try $0[0].transpose(0, 1).max(dim: 0, keepdim: true).indices },
        "min_dim_neg2_3d": { try $0[0].min(dim: -2).values },
        "min_dim_neg2_3d_indices": { try $0[0].min(dim: -2).indices },
        "max_dim_nan": { try $0[0].max(dim: 1).values },
        "max_dim_nan_indices": { try $0[0].max(dim: 1).indices },
        "max_dim_scalar": { try $0[0].max(dim: 0).values },
        "max_dim_empty_other": { try $0[0].max(dim: 1).values },
        "amax_dim1_ties": { try $0[0].amax(dims: [1]) },
        "amin_dim0_ties": { try $0[0].amin(dims: [0]) },
        "amax_all": { try $0[0].amax() },
        "amax_dims02_keep": { try $0[0].amax(dims: [0, 2], keepdim: true) },
        "amin_dims_neg_transposed": { try $0[0].transpose(0, 1).amin(dims: [-1, 0]) },
        "amax_nan": { try $0[0].amax(dims: [1]) },
        "argmax_ties": { try $0[0].argmax(dim: 1) },
        "argmin_ties": { try $0[0].argmin(dim: 1) },
        "argmin_dim0_keep": { try $0[0].argmin(dim: 0, keepdim: true) },
        "argmin_all": { try $0[0].argmin() },
        "argmax_all_transposed": { try $0[0].transpose(0, 1).argmax() },
        "argmin_nan": { try $0[0].argmin(dim: 1) },
        "var_all": { try $0[0].variance() },
        "var_dim1": { try $0[0].variance(dims: [1]) },
        "var_dims02_keep": { try $0[0].variance(dims: [0, 2], keepdim: true) },
        "var_correction0": { try $0[0].variance(dims: [-1], correction: 0) },
        "var_correction2_transposed": { try $0[0].transpose(0, 1).variance(dims: [0], correction: 2) },
        "var_single": { try $0[0].variance(dims: [1]) },
        "var_scalar": { try $0[0].variance(correction: 0) },
        "var_empty": { try $0[0].variance(dims: [1]) },
        "std_all": { try $0[0].std() },
        "std_dim0": { try $0[0].std(dims: [0]) },
        "std_dims_keep_correction0": { try $0[0].std(dims: [1, 2], correction: 0, keepdim: true) },
        "std_constant_row": { try $0[0].std(dims: [1]) },
        "logsumexp_dim1": { try $0[0].logsumexp(dims: [1]) },
        "logsumexp_dims01_keep": { try $0[0].logsumexp(dims: [0, 1], keepdim: true) },
        "logsumexp_all": { try $0[0].logsumexp(dims: []) },
        "logsumexp_large": { try $0[0].mul(1000).logsumexp(dims: [-1]) },
        "logsumexp_inf": { try $0[0].logsumexp(dims: [1]) },
        "logsumexp_empty": { try $0[0].logsumexp(dims: [1]) },
        "logsumexp_transposed": { try $0[0].transpose(0, 1).logsumexp(dims: [0]) },
        "norm_2_all": { try $0[0].norm() },
        "norm_fro_dims": { try $0[0].norm(p: 2, dims: [0, 1]) },
        "norm_1_dim1": { try $0[0].norm(p: 1, dims: [1]) },
        "norm_2_zero_row": { try $0[0].norm(p: 2, dims: [1]) },
        "norm_inf_ties": { try $0[0].norm(p: .infinity, dims: [1]) },
        "norm_neg_inf": { try $0[0].norm(p: -.infinity, dims: [1]) },
        "norm_3_keep": { try $0[0].norm(p: 3, dims: [0], keepdim: true) },
        "norm_1_5": { try $0[0].norm(p: 1.5, dims: [-1]) },
        "norm_0_5": { try $0[0].norm(p: 0.5) },
        "norm_neg1": { try $0[0].norm(p: -1, dims: [1]) },
        "norm_0": { try $0[0].norm(p: 0, dims: [1]) },
        "norm_2_transposed": { try $0[0].transpose(0, 1).norm(p: 2, dims: [0]) },
        "norm_scalar": { try $0[0].norm() },
        "all_float": { try $0[0].all() },
        "any_float": { try $0[0].any() },
        "any_dims_keep": { try $0[0].any(dims: [0, 2], keepdim: true) },
        "all_no_dims": { try $0[0].all(dims: []) },
        "all_empty": { try $0[0].all() },
        "any_empty": { try $0[0].any() },
        "any_dim0_empty": { try $0[0].any(dims: [1]) },
        "all_transposed": { try $0[0].transpose(0, 1).all(dims: [0]) },
        "cumsum_dim1": { try $0[0].cumsum(dim: 1) },
        "cumsum_dim0": { try $0[0].cumsum(dim: 0) },
        "cumsum_middle_neg": { try $0[0].cumsum(dim: -2) },
        "cumsum_transposed": { try $0[0].transpose(0, 1).cumsum(dim: 1) },
        "cumsum_scalar": { try $0[0].cumsum(dim: 0) },
        "cumsum_empty": { try $0[0].cumsum(dim: 0) },
        "cumprod_dim1": { try $0[0].cumprod(dim: 1) },
        "cumprod_zeros": { try $0[0].cumprod(dim: 1) },
        "cumprod_two_zeros": { try $0[0].cumprod(dim: 0) },
        "cumprod_dim0_3d_zeros": { try $0[0].cumprod(dim: 0) },
        "cumprod_transposed": { try $0[0].transpose(0, 1).cumprod(dim: -1) },
        "cumprod_scalar": { try $0[0].cumprod(dim: 0) },
        "softmax_transposed": { try $0[0].transpose(0, 1).softmax(dim: 0) },
        "log_softmax_middle": { try $0[0].logSoftmax(dim: 1) },
    ]

    /// Cases with only int64 or bool inputs (no float32 twin).
    static let integerOps: [String: FixtureOp] = [
        "prod_int": { try $0[0].prod(dim: 1) },
        "max_int": { try $0[0].max() },
        "max_dim_int_indices": { try $0[0].max(dim: 0).indices },
        "argmin_int": { try $0[0].argmin(dim: 1) },
        "logsumexp_int": { try $0[0].logsumexp(dims: [1]) },
        "all_dim1_int": { try $0[0].all(dims: [1]) },
        "cumsum_int": { try $0[0].cumsum(dim: 0) },
        "cumprod_int": { try $0[0].cumprod(dim: 1) },
        "all_bool_dim": { try $0[0].all(dims: [0]) },
        "any_bool": { try $0[0].any() },
        "max_bool": { try $0[0].max() },
        "amin_bool": { try $0[0].amin(dims: [1]) },
        "sum_bool": { try $0[0].sum(dims: [1]) },
        "prod_bool": { try $0[0].prod() },
        "cumsum_bool": { try $0[0].cumsum(dim: 1) },
        "cumprod_bool": { try $0[0].cumprod(dim: 0) },
        "logsumexp_bool": { try $0[0].logsumexp(dims: [0]) },
    ]

    func testFloat64MatchesTorch() throws {
        for (name, op) in Self.ops { try checkReduceLinalgCase(name, rtol: 1e-10, atol: 1e-12, op) }
    }

    func testFloat32MatchesTorch() throws {
        for (name, op) in Self.ops { try checkReduceLinalgCase(name + "_f32", rtol: 1e-5, atol: 1e-6, op) }
    }

    func testIntegerAndBoolInputsMatchTorch() throws {
        for (name, op) in Self.integerOps { try checkReduceLinalgCase(name, rtol: 0, atol: 1e-6, op) }
    }

    func testEveryFixtureCaseIsChecked() throws {
        let known = Set(Self.ops.keys).union(Self.integerOps.keys).union(LinalgOpsTests.ops.keys).union(LinalgOpsTests.integerOps.keys)
        for name in try Fixtures.load("reduce_linalg").keys where !name.hasSuffix("_f32") {
            XCTAssertTrue(known.contains(name), "fixture case \(name) has no test")
        }
    }

    // MARK: - Finite differences

    func leaf(_ shape: Dims) throws -> Tensor { try Tensor.randn(shape, dtype: .float64, requiresGrad: true) }

    func values(_ v: [Double], _ shape: Dims) throws -> Tensor { try Tensor.from(v, shape: shape, dtype: .float64, requiresGrad: true) }

    func testProdGradcheckIncludingZerosAndSecondOrder() throws {
        let x = try leaf([3, 4])
        try gradgradcheck([x], "prod") { try $0[0].prod() }
        try gradgradcheck([x], "prod dim") { try $0[0].prod(dim: 1) }
        try gradgradcheck([x], "prod dim keepdim transposed") { try $0[0].transpose(0, 1).prod(dim: -1, keepdim: true) }
        // Zeros: one per row, two in a row, and in the flattened product.
        let z = try values([2, 0, 3, 1.5, 0, 1.5, 0, 2, 1, 2, -1, 0.5], [3, 4])
        try gradgradcheck([z], "prod dim with zeros") { try $0[0].prod(dim: 1) }
        try gradgradcheck([z], "prod dim 0 with zeros") { try $0[0].prod(dim: 0) }
        let one = try values([2, 0.5, 0, 3], [2, 2])
        try gradgradcheck([one], "prod with one zero") { try $0[0].prod() }
        let two = try values([2, 0, -1, 0], [4])
        try gradgradcheck([two], "prod with two zeros") { try $0[0].prod() }
    }

    func testSelectionGradchecks() throws {
        // Distinct values, so the selection is stable under the finite-difference step.
        let x = try values([0.3, -1.2, 2.5, 0.9, 1.7, -0.4, 0.1, 3.1, -2.2, 0.6, 1.1, -0.8], [3, 4])
        try gradcheck([x], "max") { try $0[0].max() }
        try gradcheck([x], "min") { try $0[0].min() }
        try gradcheck([x], "max dim") { try $0[0].max(dim: 1).values }
        try gradcheck([x], "min dim keepdim") { try $0[0].min(dim: 0, keepdim: true).values }
        try gradcheck([x], "amax dims") { try $0[0].amax(dims: [0, 1]) }
        try gradcheck([x], "amin dim transposed") { try $0[0].transpose(0, 1).amin(dims: [1]) }
        // The gradient of the gradient is zero, and differentiable.
        try gradgradcheck([x], "max dim twice") { try $0[0].max(dim: 1).values.mul($0[0].max(dim: 1).values) }
    }

    func testVarianceGradchecksIncludingSecondOrder() throws {
        let x = try leaf([3, 4])
        try gradgradcheck([x], "var") { try $0[0].variance() }
        try gradgradcheck([x], "var dim correction 0") { try $0[0].variance(dims: [1], correction: 0) }
        try gradgradcheck([x], "var dims keepdim") { try $0[0].variance(dims: [0, -1], keepdim: true) }
        try gradgradcheck([x], "std") { try $0[0].std() }
        try gradgradcheck([x], "std dim transposed") { try $0[0].transpose(0, 1).std(dims: [0], correction: 2) }
    }

    func testLogsumexpGradcheckIncludingSecondOrder() throws {
        let x = try leaf([3, 4])
        try gradgradcheck([x], "logsumexp dim") { try $0[0].logsumexp(dims: [1]) }
        try gradgradcheck([x], "logsumexp all keepdim") { try $0[0].logsumexp(dims: [0, 1], keepdim: true) }
        try gradgradcheck([x], "logsumexp scaled") { try $0[0].mul(50).logsumexp(dims: [0]) }
    }

    func testNormGradchecksIncludingSecondOrder() throws {
        let x = try values([0.3, -1.2, 2.5, 0.9, 1.7, -0.4, 0.1, 3.1, -2.2, 0.6, 1.1, -0.8], [3, 4])
        for p in [1.0, 2, 3, 1.5, 0.5, -1] {
            try gradgradcheck([x], "norm p=\(p)") { try $0[0].norm(p: p) }
            try gradgradcheck([x], "norm p=\(p) dim") { try $0[0].norm(p: p, dims: [1], keepdim: true) }
        }
        try gradcheck([x], "norm inf") { try $0[0].norm(p: .infinity, dims: [0]) }
        try gradcheck([x], "norm -inf") { try $0[0].norm(p: -.infinity) }
    }

    func testScanGradchecksIncludingZerosAndSecondOrder() throws {
        let x = try leaf([3, 4])
        try gradcheck([x], "cumsum") { try $0[0].cumsum(dim: 1) }
        try gradcheck([x], "cumsum dim 0 transposed") { try $0[0].transpose(0, 1).cumsum(dim: 0) }
        try gradgradcheck([x], "cumprod") { try $0[0].cumprod(dim: 1) }
        try gradgradcheck([x], "cumprod dim 0") { try $0[0].cumprod(dim: 0) }
        let z = try values([2, 0, 3, 1.5, 0, 1.5, 0, 2, 1, 2, -1, 0.5], [3, 4])
        try gradgradcheck([z], "cumprod with zeros") { try $0[0].cumprod(dim: 1) }
        try gradgradcheck([z], "cumprod with zeros dim 0") { try $0[0].cumprod(dim: 0) }
        let line = try values([2, 0, 3, 0, 5], [5])
        try gradgradcheck([line], "cumprod with two zeros") { try $0[0].cumprod(dim: 0) }
    }

    func testSoftmaxFamilyGradchecks() throws {
        let x = try leaf([3, 4])
        try gradgradcheck([x], "softmax") { try $0[0].softmax(dim: 1) }
        try gradgradcheck([x], "log_softmax transposed") { try $0[0].transpose(0, 1).logSoftmax(dim: -1) }
    }

    func testCumprodBackwardWithoutGraphMatchesDifferentiablePath() throws {
        // The O(n) kernel (plain backward) and the composed gradient (create_graph) agree.
        let z = try values([2, 0, 3, 1.5, 0, 1.5, 0, 2, 1, 2, -1, 0.5, 0, 0, 4, 2], [4, 4])
        let upstream = try Tensor.randn([4, 4], dtype: .float64)
        for dim in [0, 1] {
            let plain = try Autograd.grad(outputs: [z.cumprod(dim: dim)], inputs: [z], gradOutputs: [upstream])[0]!
            let composed = try Autograd.grad(outputs: [z.cumprod(dim: dim)], inputs: [z], gradOutputs: [upstream], createGraph: true)[0]!
            assertClose(plain.toDoubles(), composed.toDoubles(), rtol: 1e-12, atol: 1e-12, "dim \(dim)")
        }
    }

    func testSavedIndicesModifiedInPlaceAreReported() throws {
        let x = try values([1, 5, 2, 7, 3, 0], [2, 3])
        let (values, indices) = try x.max(dim: 1)
        try indices.copyValues(from: try NDArray.zeros([2], dtype: .int64))
        assertThrows(.state, ["MaxBackward0", "modified by an in-place operation"]) { try values.sum().backward() }
    }

    // MARK: - Bad input

    func testReductionsRejectBadInput() throws {
        let x = try Tensor.randn([2, 3])
        let empty = try Tensor.zeros([2, 0])
        assertThrows(.invalidArgument, ["max()", "empty tensor", "[0]"]) { try Tensor.zeros([0]).max() }
        assertThrows(.invalidArgument, ["min()", "[2, 0]"]) { try empty.min() }
        assertThrows(.invalidArgument, ["max()", "dim 1", "non-zero size", "[2, 0]"]) { try empty.max(dim: 1) }
        assertThrows(.invalidArgument, ["amin()", "dim 1", "[2, 0]"]) { try empty.amin(dims: [1]) }
        assertThrows(.invalidArgument, ["argmax()", "dim 1", "[2, 0]"]) { try empty.argmax(dim: -1) }
        assertThrows(.invalidArgument, ["argmin()", "empty tensor"]) { try empty.argmin() }
        assertThrows(.dtype, ["argmin()", "bool"]) { try Tensor(try NDArray.zeros([2], dtype: .bool)).argmin() }
        assertThrows(.invalidArgument, ["dim 2", "out of range", "2 dimensions"]) { try x.prod(dim: 2) }
        assertThrows(.invalidArgument, ["dim -3", "out of range"]) { try x.max(dim: -3) }
        assertThrows(.invalidArgument, ["appears more than once"]) { try x.variance(dims: [0, -2]) }
        assertThrows(.invalidArgument, ["out of range"]) { try x.amax(dims: [0, 5]) }
        assertThrows(.invalidArgument, ["out of range"]) { try x.cumsum(dim: 2) }
        assertThrows(.invalidArgument, ["out of range"]) { try x.all(dims: [-3]) }
        let ints = try Tensor.from([1, 2, 3], dtype: .int64)
        assertThrows(.dtype, ["var", "floating", "int64"]) { try ints.variance() }
        assertThrows(.dtype, ["std", "floating", "int64"]) { try ints.std(dims: [0]) }
        assertThrows(.dtype, ["norm", "floating", "int64"]) { try ints.norm() }
        assertThrows(.dtype, ["mean", "floating", "int64"]) { try ints.mean() }
        assertThrows(.invalidArgument, ["norm", "p must be a number"]) { try x.norm(p: .nan) }
        assertThrows(.invalidArgument, ["inf norm", "dim 1", "[2, 0]"]) { try empty.norm(p: .infinity, dims: [1]) }
        assertThrows(.invalidArgument, ["-inf norm"]) { try empty.norm(p: -.infinity) }
        assertThrows(.invalidArgument, ["correction must be finite"]) { try x.variance(correction: .infinity) }
    }

    func testEmptyReductionsFollowTorch() throws {
        let empty = try Tensor.zeros([2, 0], dtype: .float64)
        XCTAssertEqual(try empty.sum(dims: [1]).toDoubles(), [0, 0])
        XCTAssertEqual(try empty.prod(dim: 1).toDoubles(), [1, 1])
        XCTAssertEqual(try empty.logsumexp(dims: [1]).toDoubles(), [-.infinity, -.infinity])
        XCTAssertTrue(try empty.mean().item().isNaN)
        XCTAssertEqual(try empty.norm().item(), 0)
        XCTAssertEqual(try empty.amax(dims: [0]).shape, [0])             // reducing the non-empty dim is fine
        XCTAssertEqual(try empty.all().item(), 1)
        XCTAssertEqual(try empty.any().item(), 0)
        XCTAssertEqual(try empty.cumprod(dim: 1).shape, [2, 0])
    }
}
