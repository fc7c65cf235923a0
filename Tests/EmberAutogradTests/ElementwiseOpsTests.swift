import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// The elementwise ops against PyTorch: every case of Tests/Fixtures/elementwise.json
/// (tools/fixtures/elementwise.py) -- forward values, result dtype, grad_fn
/// name and input gradients -- in float64 and float32. The gradchecks are in
/// ElementwiseGradcheckTests.swift, bad input in ElementwiseErrorTests.swift.
final class ElementwiseOpsTests: XCTestCase {
    typealias Op = ([Tensor]) throws -> Tensor
    typealias Unary = (Tensor) throws -> Tensor
    typealias Binary = (Tensor, Tensor) throws -> Tensor
    typealias Ternary = (Tensor, Tensor, Tensor) throws -> Tensor

    static let fixture = "elementwise"

    /// A bool tensor from a fixture input (the fixtures store bools as int64 0/1).
    static func bool(_ t: Tensor) throws -> Tensor { try t.to(.bool) }

    static let unary: [String: Unary] = [
        "abs": { try $0.abs() },
        "sign": { try $0.sign() },
        "square": { try $0.square() },
        "expm1": { try $0.expm1() },
        "log1p": { try $0.log1p() },
        "log2": { try $0.log2() },
        "sqrt": { try $0.sqrt() },
        "rsqrt": { try $0.rsqrt() },
        "reciprocal": { try $0.reciprocal() },
        "sin": { try $0.sin() },
        "cos": { try $0.cos() },
        "tan": { try $0.tan() },
        "tanh": { try $0.tanh() },
        "sigmoid": { try $0.sigmoid() },
        "erf": { try $0.erf() },
        "logit": { try $0.logit() },
        "logit_eps": { try $0.logit(eps: 0.2) },
        "floor": { try $0.floor() },
        "ceil": { try $0.ceil() },
        "round": { try $0.round() },
        "clamp": { try $0.clamp(min: -0.5, max: 0.8) },
        "clamp_min": { try $0.clamp(min: -0.3) },
        "clamp_max": { try $0.clamp(max: 0.4) },
        "relu6": { try $0.relu6() },
        "hardtanh": { try $0.hardtanh(minVal: -0.7, maxVal: 1.2) },
        "leaky_relu": { try $0.leakyRelu() },
        "leaky_relu_slope": { try $0.leakyRelu(negativeSlope: 0.2) },
        "elu": { try $0.elu() },
        "elu_alpha": { try $0.elu(alpha: 0.5) },
        "selu": { try $0.selu() },
        "gelu": { try $0.gelu() },
        "gelu_tanh": { try $0.gelu(approximate: .tanh) },
        "silu": { try $0.silu() },
        "mish": { try $0.mish() },
        "softplus": { try $0.softplus() },
        "softplus_beta": { try $0.softplus(beta: 2, threshold: 3) },
        "pow_scalar": { try $0.pow(2.5) },
        "pow_scalar_int": { try $0.pow(3) },
        "pow_scalar_neg": { try $0.pow(-1.5) },
        "pow_scalar_half": { try $0.pow(0.5) },
        "pow_scalar_base": { try Tensor.pow(2.5, $0) },
        "remainder_scalar": { try $0.remainder(1.5) },
        "remainder_scalar_neg": { try $0.remainder(-2.0) },
        "div_scalar_trunc": { try $0.div(0.75, roundingMode: .trunc) },
        "div_scalar_floor": { try $0.div(-0.75, roundingMode: .floor) },
        "masked_fill_scalar_mask": { try $0.maskedFill(bool(Tensor.scalar(1, dtype: .int64)), -2.5) },
    ]

    static let binary: [String: Binary] = [
        "remainder": { try $0.remainder($1) },
        "div_trunc": { try $0.div($1, roundingMode: .trunc) },
        "div_floor": { try $0.div($1, roundingMode: .floor) },
        "maximum": { try $0.maximum($1) },
        "minimum": { try $0.minimum($1) },
        "atan2": { try $0.atan2($1) },
        "pow": { try $0.pow($1) },
        "lerp": { try $0.lerp($1, weight: 0.3) },
        "lerp_far": { try $0.lerp($1, weight: 0.8) },
    ]

    static let ternary: [String: Ternary] = [
        "where": { try Tensor.where(bool($0), $1, $2) },
        "lerp_tensor": { try $0.lerp($1, weight: $2) },
        "addcmul": { try $0.addcmul($1, $2, value: 0.7) },
        "addcdiv": { try $0.addcdiv($1, $2, value: -1.3) },
    ]

    /// Bool-valued ops over the binary layouts.
    static let masks: [String: Binary] = [
        "eq": { try $0.eq($1) }, "ne": { try $0.ne($1) }, "lt": { try $0.lt($1) },
        "le": { try $0.le($1) }, "gt": { try $0.gt($1) }, "ge": { try $0.ge($1) },
        "logical_and": { try $0.logicalAnd($1) }, "logical_or": { try $0.logicalOr($1) }, "logical_xor": { try $0.logicalXor($1) },
    ]

    /// The layouts of tools/fixtures/elementwise.py: the suffix and what is done to the first input.
    static let layouts: [(String, Unary)] = [("", { $0 }), ("_0d", { $0 }), ("_empty", { $0 }), ("_t", { try $0.transpose(0, 1) })]
    static let binaryLayouts: [(String, Unary)] = layouts.prefix(1) + [("_bcast", { $0 })] + layouts.dropFirst()

    /// Cases named individually (not over the layouts).
    static let single: [String: Op] = [
        "eq_scalar": { try $0[0].eq(0.5) }, "ne_scalar": { try $0[0].ne(0.5) }, "lt_scalar": { try $0[0].lt(0.5) },
        "le_scalar": { try $0[0].le(0.5) }, "gt_scalar": { try $0[0].gt(0.5) }, "ge_scalar": { try $0[0].ge(0.5) },
        "logical_not": { try $0[0].logicalNot() },
        "logical_not_t": { try $0[0].transpose(0, 1).logicalNot() },
        "floor_divide": { try $0[0].floorDivide($0[1]) },
        "floor_divide_scalar": { try $0[0].floorDivide(-1.25) },
        "masked_fill": { try $0[0].maskedFill(bool($0[1]), 0.25) },
        "masked_fill_bcast": { try $0[0].maskedFill(bool($0[1]), -1.5) },
        "masked_fill_0d": { try $0[0].maskedFill(bool($0[1]), 7) },
        "masked_fill_empty": { try $0[0].maskedFill(bool($0[1]), 7) },
        "masked_fill_t": { try $0[0].transpose(0, 1).maskedFill(bool($0[1]), 3) },
    ]

    /// torch's values at kinks, ties, zeros, poles and non-finite inputs.
    static let edges: [String: Op] = [
        "edge_abs": { try $0[0].abs() },
        "edge_sign": { try $0[0].sign() },
        "edge_round": { try $0[0].round() },
        "edge_floor": { try $0[0].floor() },
        "edge_relu6": { try $0[0].relu6() },
        "edge_hardtanh": { try $0[0].hardtanh() },
        "edge_leaky_relu": { try $0[0].leakyRelu() },
        "edge_elu": { try $0[0].elu() },
        "edge_elu_negative_alpha": { try $0[0].elu(alpha: -1) },
        "edge_selu": { try $0[0].selu() },
        "edge_clamp": { try $0[0].clamp(min: -1, max: 1) },
        "edge_clamp_min": { try $0[0].clamp(min: 0) },
        "edge_clamp_max": { try $0[0].clamp(max: 0) },
        "edge_clamp_reversed": { try $0[0].clamp(min: 1, max: -1) },
        "edge_sqrt": { try $0[0].sqrt() },
        "edge_rsqrt": { try $0[0].rsqrt() },
        "edge_reciprocal": { try $0[0].reciprocal() },
        "edge_log2": { try $0[0].log2() },
        "edge_expm1": { try $0[0].expm1() },
        "edge_log1p": { try $0[0].log1p() },
        "edge_tanh": { try $0[0].tanh() },
        "edge_sigmoid": { try $0[0].sigmoid() },
        "edge_erf": { try $0[0].erf() },
        "edge_logit": { try $0[0].logit() },
        "edge_logit_eps": { try $0[0].logit(eps: 0.25) },
        "edge_logit_negative_eps": { try $0[0].logit(eps: -0.5) },
        "edge_softplus": { try $0[0].softplus(beta: 2, threshold: 3) },
        "edge_gelu": { try $0[0].gelu() },
        "edge_gelu_tanh": { try $0[0].gelu(approximate: .tanh) },
        "edge_silu": { try $0[0].silu() },
        "edge_mish": { try $0[0].mish() },
        "edge_pow_scalar_at_zero": { try $0[0].pow(0.5) },
        "edge_pow_scalar_zero_exponent": { try $0[0].pow(0) },
        "edge_pow_scalar_square": { try $0[0].pow(2) },
        "edge_pow_scalar_cube": { try $0[0].pow(3) },
        "edge_pow_scalar_negative": { try $0[0].pow(-1) },
        "edge_pow_scalar_negative_two": { try $0[0].pow(-2) },
        "edge_pow_scalar_rsqrt": { try $0[0].pow(-0.5) },
        "edge_pow_scalar_one": { try $0[0].pow(1) },
        "edge_pow_scalar_base_zero": { try Tensor.pow(0, $0[0]) },
        "edge_pow_scalar_base_negative": { try Tensor.pow(-2, $0[0]) },
        "edge_pow_tensor": { try $0[0].pow($0[1]) },
        "edge_maximum": { try $0[0].maximum($0[1]) },
        "edge_minimum": { try $0[0].minimum($0[1]) },
        "edge_atan2": { try $0[0].atan2($0[1]) },
        "edge_remainder": { try $0[0].remainder($0[1]) },
        "edge_div_floor": { try $0[0].div($0[1], roundingMode: .floor) },
        "edge_div_trunc": { try $0[0].div($0[1], roundingMode: .trunc) },
        "edge_lerp_weights": { try $0[0].lerp($0[1], weight: $0[2]) },
        "edge_where_nonfinite": { try Tensor.where(bool($0[0]), $0[1], $0[2]) },
        "edge_masked_fill_nonfinite": { try $0[0].maskedFill(bool($0[1]), .nan) },
        "edge_masked_fill_inf": { try $0[0].maskedFill(bool($0[1]), -.infinity) },
        "edge_eq_nan": { try $0[0].eq($0[1]) },
        "edge_ne_nan": { try $0[0].ne($0[1]) },
        "edge_lt_inf": { try $0[0].lt($0[1]) },
        "edge_logical_and_nan": { try $0[0].logicalAnd($0[1]) },
        "edge_logical_not_nan": { try $0[0].logicalNot() },
    ]

    /// Mixed float32/float64 operands (float64 only; each gradient in its input's dtype).
    static let mixed: [String: Op] = [
        "mixed_maximum": { try $0[0].maximum($0[1]) },
        "mixed_atan2": { try $0[0].atan2($0[1]) },
        "mixed_pow": { try $0[0].pow($0[1]) },
        "mixed_where": { try Tensor.where(bool($0[0]), $0[1], $0[2]) },
        "mixed_addcmul": { try $0[0].addcmul($0[1], $0[2], value: 2) },
        "mixed_addcdiv": { try $0[0].addcdiv($0[1], $0[2], value: 0.5) },
        "mixed_lerp_0d_weight": { try $0[0].lerp($0[1], weight: $0[2]) },
        "mixed_remainder": { try $0[0].remainder($0[1]) },
    ]

    /// torch's result dtypes and values for int64 and bool inputs.
    static let dtypes: [String: Op] = [
        "dtype_sqrt_int": { try $0[0].sqrt() },
        "dtype_exp_bool": { try bool($0[0]).exp() },
        "dtype_sigmoid_int": { try $0[0].sigmoid() },
        "dtype_logit_bool": { try bool($0[0]).logit() },
        "dtype_reciprocal_int": { try $0[0].reciprocal() },
        "dtype_abs_int": { try $0[0].abs() },
        "dtype_neg_int": { try $0[0].neg() },
        "dtype_sign_int": { try $0[0].sign() },
        "dtype_sign_bool": { try bool($0[0]).sign() },
        "dtype_square_int": { try $0[0].square() },
        "dtype_square_bool": { try bool($0[0]).square() },
        "dtype_floor_int": { try $0[0].floor() },
        "dtype_round_int": { try $0[0].round() },
        "dtype_relu6_int": { try $0[0].relu6() },
        "dtype_hardtanh_int": { try $0[0].hardtanh(minVal: -2.5, maxVal: 2.5) },
        "dtype_clamp_int": { try $0[0].clamp(min: -2, max: 4) },
        "dtype_clamp_int_fractional": { try $0[0].clamp(min: 0.5) },
        "dtype_clamp_bool": { try bool($0[0]).clamp(max: 0) },
        "dtype_pow_int_scalar": { try $0[0].pow(3) },
        "dtype_pow_int_fractional": { try $0[0].pow(0.5) },
        "dtype_pow_bool_scalar": { try bool($0[0]).pow(2) },
        "dtype_pow_int_tensor": { try $0[0].pow($0[1]) },
        "dtype_pow_scalar_base_int": { try Tensor.pow(2, $0[0]) },
        "dtype_pow_scalar_base_fractional": { try Tensor.pow(2.5, $0[0]) },
        "dtype_floor_divide_int": { try $0[0].floorDivide($0[1]) },
        "dtype_floor_divide_int_scalar": { try $0[0].floorDivide(-2) },
        "dtype_floor_divide_int_fractional": { try $0[0].floorDivide(2.5) },
        "dtype_div_trunc_int": { try $0[0].div($0[1], roundingMode: .trunc) },
        "dtype_div_floor_int": { try $0[0].div($0[1], roundingMode: .floor) },
        "dtype_remainder_int": { try $0[0].remainder($0[1]) },
        "dtype_remainder_int_scalar": { try $0[0].remainder(-4) },
        "dtype_int_min_by_minus_one": { try $0[0].floorDivide($0[1]) },
        "dtype_remainder_int_min": { try $0[0].remainder($0[1]) },
        "dtype_maximum_int": { try $0[0].maximum($0[1]) },
        "dtype_minimum_bool": { try bool($0[0]).minimum(bool($0[1])) },
        "dtype_maximum_int_float": { try $0[0].maximum($0[1]) },
        "dtype_atan2_int": { try $0[0].atan2($0[1]) },
        "dtype_eq_int_float_scalar": { try $0[0].eq(16_777_216.5) },   // compared in float32, as torch
        "dtype_eq_int_int_scalar": { try $0[0].eq(16_777_216) },
        "dtype_lt_bool_scalar": { try bool($0[0]).lt(0.5) },
        "dtype_ge_bool": { try bool($0[0]).ge(bool($0[1])) },
        "dtype_lt_int_float": { try $0[0].lt($0[1]) },
        "dtype_logical_or_mixed": { try $0[0].logicalOr($0[1]) },
        "dtype_logical_xor_bool": { try bool($0[0]).logicalXor(bool($0[1])) },
        "dtype_where_int_float0d": { try Tensor.where(bool($0[0]), $0[1], $0[2]) },
        "dtype_where_bool": { try Tensor.where(bool($0[0]), bool($0[1]), bool($0[2])) },
        "dtype_masked_fill_int": { try $0[0].maskedFill(bool($0[1]), 2.7) },
        "dtype_masked_fill_int_negative": { try $0[0].maskedFill(bool($0[1]), -2.7) },
        "dtype_masked_fill_bool": { try bool($0[0]).maskedFill(bool($0[1]), 0) },
        "dtype_addcmul_int": { try $0[0].addcmul($0[1], $0[2], value: 2.5) },
        "dtype_addcdiv_int_float": { try $0[0].addcdiv($0[1], $0[2], value: 2) },
        "dtype_add_int_bool": { try $0[0].add(bool($0[1])) },
    ]

    /// Every case name with its op, expanded over the layouts, without the _f32 suffix.
    static var allCases: [String: Op] {
        var cases: [String: Op] = [:]
        for (name, op) in unary {
            for (suffix, layout) in layouts { cases[name + suffix] = { try op(layout($0[0])) } }
        }
        for (name, op) in binary {
            for (suffix, layout) in binaryLayouts { cases[name + suffix] = { try op(layout($0[0]), $0[1]) } }
        }
        for (name, op) in masks {
            for (suffix, layout) in binaryLayouts { cases[name + suffix] = { try op(layout($0[0]), $0[1]) } }
        }
        for (name, op) in ternary {
            for (suffix, layout) in binaryLayouts { cases[name + suffix] = { try op(layout($0[0]), $0[1], $0[2]) } }
        }
        for table in [single, edges, mixed, dtypes] { cases.merge(table) { first, _ in first } }
        return cases
    }

    // MARK: - Tests

    func testFloat64MatchesTorch() throws {
        for (name, op) in Self.allCases.sorted(by: { $0.key < $1.key }) {
            try check(name, rtol: 1e-10, atol: 1e-12, op)
        }
    }

    func testFloat32MatchesTorch() throws {
        let fixture = try Fixtures.load(Self.fixture)
        var checked = 0
        for (name, op) in Self.allCases.sorted(by: { $0.key < $1.key }) where fixture[name + "_f32"] != nil {
            try check(name + "_f32", rtol: 1e-5, atol: 1e-6, op)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 350)
    }

    /// Every fixture case has an op here, so a case added to the generator is not silently skipped.
    func testEveryFixtureCaseIsChecked() throws {
        let known = Self.allCases
        for name in try Fixtures.load(Self.fixture).keys {
            let base = name.hasSuffix("_f32") ? String(name.dropLast(4)) : name
            XCTAssertNotNil(known[base], "fixture case \(name) has no op in ElementwiseOpsTests")
        }
    }

    /// The fused backward kernels (grad mode off in backward) and the
    /// differentiable formulas (create_graph) agree, conventions at kinks,
    /// zeros and non-finite inputs included.
    func testFusedAndComposedUnaryGradientsAgree() throws {
        let general: [Double] = [-30, -7, -2, -1, -0.5, -0.0, 0, 0.3, 1, 2, 6, 7, 25, .nan, .infinity, -.infinity]
        let unit: [Double] = [-0.5, 0, 0.1, 0.2, 0.25, 0.5, 0.75, 0.8, 1, 1.5, .nan, .infinity]
        for (name, op) in Self.unary.sorted(by: { $0.key < $1.key }) where !name.contains("div") && !name.contains("remainder") {
            for dtype in [DType.float64, .float32] {
                let values = name.hasPrefix("logit") ? unit : general
                let x = try Tensor.from(values, dtype: dtype, requiresGrad: true)
                let upstream = try Tensor.from((0..<values.count).map { 0.5 + Double($0) * 0.25 }, dtype: dtype)
                try op(x).backward(upstream)
                let fused = try XCTUnwrap(x.grad, name).toDoubles()
                try x.setGrad(nil)
                try op(x).backward(upstream, createGraph: true)
                let composed = try XCTUnwrap(x.grad, name).toDoubles()
                assertClose(composed, fused, rtol: dtype == .float64 ? 1e-12 : 1e-5, atol: 1e-12, "\(name) \(dtype)")
            }
        }
    }

    // MARK: - Checking one case

    /// Runs one fixture case: output shape, dtype (bool included), values, grad_fn
    /// name and input gradients against torch's.
    func check(_ name: String, rtol: Double, atol: Double, file: StaticString = #filePath, line: UInt = #line, _ op: Op) throws {
        guard let raw = try Fixtures.load(Self.fixture)[name] as? [String: Any] else {
            XCTFail("\(Self.fixture).json has no case \(name)", file: file, line: line)
            return
        }
        let c = try TorchCase(Self.fixture, name)
        let inputs = try c.inputs.map { try $0.tensor(requiresGrad: $0.dtype.isFloatingPoint) }
        let y = try op(inputs)
        XCTAssertEqual(y.gradFn?.name, raw["grad_fn"] as? String, "\(name) grad_fn", file: file, line: line)
        if raw["output_dtype"] as? String == "bool" {
            XCTAssertEqual(y.dtype, .bool, "\(name) dtype", file: file, line: line)
            XCTAssertEqual(y.shape, c.output.shape, "\(name) shape", file: file, line: line)
            XCTAssertEqual(y.toDoubles(), c.output.values, "\(name) values", file: file, line: line)
            return
        }
        // A float32 result (from int64 inputs or mixed operands) is held to float32's precision.
        let float32 = raw["output_dtype"] as? String == "float32"
        try checkAgainstTorch(Self.fixture, name, rtol: float32 ? Swift.max(rtol, 1e-5) : rtol, atol: float32 ? Swift.max(atol, 1e-6) : atol,
                              file: file, line: line, op)
    }
}
