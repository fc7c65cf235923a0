import CEmber
import EmberTestSupport
import Glibc
import XCTest

/// ember/elementwise.h through the C API, as a C program calls it: every
/// function's values (against formulas evaluated here with libm), bool
/// results, gradients through ember_tensor_backward, and bad input (a status,
/// a message naming the function and the values, out set to NULL).
final class ElementwiseAPITests: XCTestCase {
    typealias UnaryFunction = (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> ember_status
    typealias BinaryFunction = (OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> ember_status
    typealias ScalarFunction = (OpaquePointer?, Double, UnsafeMutablePointer<OpaquePointer?>?) -> ember_status

    var handles: [OpaquePointer?] = []

    override func tearDown() {
        for h in handles { ember_tensor_free(h) }
        handles = []
    }

    /// Frees `h` at the end of the test.
    @discardableResult
    func keep(_ h: OpaquePointer?) -> OpaquePointer? {
        handles.append(h)
        return h
    }

    func doubles(_ values: [Double], _ shape: [Int64]? = nil) -> OpaquePointer? {
        keep(C.tensor(values, shape ?? [Int64(values.count)]))
    }

    func bools(_ values: [Bool], _ shape: [Int64]? = nil) -> OpaquePointer? {
        var out: OpaquePointer?
        let s = shape ?? [Int64(values.count)]
        C.ok(ember_tensor_from_data(values, EMBER_BOOL, s, Int64(s.count), &out))
        return keep(out)
    }

    /// The values of a bool tensor, read with ember_tensor_copy_to.
    func boolValues(_ t: OpaquePointer?, file: StaticString = #filePath, line: UInt = #line) -> [Bool] {
        XCTAssertEqual(ember_tensor_dtype(t), EMBER_BOOL, "dtype", file: file, line: line)
        var v = [Bool](repeating: false, count: Int(ember_tensor_numel(t)))
        C.ok(ember_tensor_copy_to(t, &v, v.count), "copy_to", file: file, line: line)
        return v
    }

    /// Calls `body` with an out-parameter and keeps the result.
    func result(_ what: String, file: StaticString = #filePath, line: UInt = #line,
                _ body: (UnsafeMutablePointer<OpaquePointer?>) -> ember_status) -> OpaquePointer? {
        var out: OpaquePointer?
        C.ok(body(&out), what, file: file, line: line)
        return keep(out)
    }

    // MARK: - Values

    func testUnaryFunctions() {
        let xs: [Double] = [-1.7, -0.4, 0.25, 0.9, 2.2]
        let unit: [Double] = [0.05, 0.3, 0.5, 0.8, 0.95]
        func sigmoid(_ v: Double) -> Double { 1 / (1 + Glibc.exp(-v)) }
        func softplus(_ v: Double) -> Double { Glibc.log1p(Glibc.exp(v)) }
        let table: [(String, UnaryFunction, [Double], (Double) -> Double)] = [
            ("neg", ember_neg, xs, { -$0 }), ("abs", ember_abs, xs, { Swift.abs($0) }),
            ("sign", ember_sign, xs, { $0 > 0 ? 1 : -1 }), ("square", ember_square, xs, { $0 * $0 }),
            ("exp", ember_exp, xs, { Glibc.exp($0) }), ("expm1", ember_expm1, xs, { Glibc.expm1($0) }),
            ("log", ember_log, unit, { Glibc.log($0) }), ("log1p", ember_log1p, xs, { Glibc.log1p($0) }),
            ("log2", ember_log2, unit, { Glibc.log2($0) }), ("sqrt", ember_sqrt, unit, { $0.squareRoot() }),
            ("rsqrt", ember_rsqrt, unit, { 1 / $0.squareRoot() }), ("reciprocal", ember_reciprocal, xs, { 1 / $0 }),
            ("sin", ember_sin, xs, { Glibc.sin($0) }), ("cos", ember_cos, xs, { Glibc.cos($0) }),
            ("tan", ember_tan, xs, { Glibc.tan($0) }), ("tanh", ember_tanh, xs, { Glibc.tanh($0) }),
            ("sigmoid", ember_sigmoid, xs, sigmoid), ("erf", ember_erf, xs, { Glibc.erf($0) }),
            ("logit", ember_logit, unit, { Glibc.log($0 / (1 - $0)) }),
            ("floor", ember_floor, xs, { Glibc.floor($0) }), ("ceil", ember_ceil, xs, { Glibc.ceil($0) }),
            ("round", ember_round, [-2.5, -0.5, 0.5, 1.5, 2.6], { Glibc.nearbyint($0) }),
            ("relu", ember_relu, xs, { Swift.max($0, 0) }), ("relu6", ember_relu6, [-1, 3, 7], { Swift.min(Swift.max($0, 0), 6) }),
            ("selu", ember_selu, xs, { 1.0507009873554804934 * ($0 > 0 ? $0 : 1.6732632423543772848 * Glibc.expm1($0)) }),
            ("gelu", ember_gelu, xs, { $0 * 0.5 * (1 + Glibc.erf($0 / 2.0.squareRoot())) }),
            ("gelu_tanh", ember_gelu_tanh, xs, { 0.5 * $0 * (1 + Glibc.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
            ("silu", ember_silu, xs, { $0 * sigmoid($0) }), ("mish", ember_mish, xs, { $0 * Glibc.tanh(softplus($0)) }),
        ]
        for (name, f, input, expected) in table {
            let y = result(name) { f(doubles(input), $0) }
            XCTAssertEqual(ember_tensor_dtype(y), EMBER_FLOAT64, name)
            assertClose(C.values(y), input.map(expected), rtol: 1e-12, atol: 1e-14, name)
        }
    }

    func testFunctionsWithScalarParameters() {
        let xs: [Double] = [-2, -0.5, 0.5, 3]
        let x = doubles(xs)
        let table: [(String, ScalarFunction, Double, (Double) -> Double)] = [
            ("leaky_relu", ember_leaky_relu, 0.1, { $0 > 0 ? $0 : 0.1 * $0 }),
            ("elu", ember_elu, 0.5, { $0 > 0 ? $0 : 0.5 * Glibc.expm1($0) }),
            ("clamp_min", ember_clamp_min, -0.7, { Swift.max($0, -0.7) }),
            ("clamp_max", ember_clamp_max, 0.7, { Swift.min($0, 0.7) }),
            ("pow_scalar", ember_pow_scalar, 3, { $0 * $0 * $0 }),
            ("remainder_scalar", ember_remainder_scalar, 1.5, { $0 - Glibc.floor($0 / 1.5) * 1.5 }),
            ("floor_divide_scalar", ember_floor_divide_scalar, -1.5, { Glibc.floor($0 / -1.5) }),
            ("add_scalar", ember_add_scalar, 2, { $0 + 2 }), ("mul_scalar", ember_mul_scalar, -3, { $0 * -3 }),
            ("sub_scalar", ember_sub_scalar, 0.5, { $0 - 0.5 }), ("div_scalar", ember_div_scalar, 4, { $0 / 4 }),
        ]
        for (name, f, s, expected) in table {
            assertClose(C.values(result(name) { f(x, s, $0) }), xs.map(expected), rtol: 1e-14, atol: 0, name)
        }
        assertClose(C.values(result("clamp") { ember_clamp(x, -1, 1, $0) }), [-1, -0.5, 0.5, 1], rtol: 0, atol: 0, "clamp")
        assertClose(C.values(result("hardtanh") { ember_hardtanh(x, -1, 2, $0) }), [-1, -0.5, 0.5, 2], rtol: 0, atol: 0, "hardtanh")
        assertClose(C.values(result("softplus") { ember_softplus(x, 2, 1.5, $0) }),
                    [Glibc.log1p(Glibc.exp(-4)) / 2, Glibc.log1p(Glibc.exp(-1)) / 2, Glibc.log1p(Glibc.exp(1)) / 2, 3],
                    rtol: 1e-14, atol: 0, "softplus")   // 3 * 2 > 1.5: linear
        let p = doubles([0.1, 0.5, 0.95])
        assertClose(C.values(result("logit_eps") { ember_logit_eps(p, 0.2, $0) }),
                    [Glibc.log(0.2 / 0.8), 0, Glibc.log(0.8 / 0.2)], rtol: 1e-14, atol: 1e-15, "logit_eps")
        assertClose(C.values(result("pow_scalar_base") { ember_pow_scalar_base(2, x, $0) }), xs.map { Glibc.pow(2, $0) },
                    rtol: 1e-14, atol: 0, "pow_scalar_base")
        assertClose(C.values(result("div_scalar_mode") { ember_div_scalar_mode(x, 0.75, "trunc", $0) }), [-2, 0, 0, 4],
                    rtol: 0, atol: 0, "div trunc")
        assertClose(C.values(result("div_scalar_mode NULL") { ember_div_scalar_mode(x, 4, nil, $0) }), xs.map { $0 / 4 },
                    rtol: 0, atol: 0, "div NULL mode")
    }

    func testBinaryAndTernaryFunctions() {
        let a = doubles([7, -7, 7, -7, 0.5, 3], [2, 3]), b = doubles([2, -2, 4])
        let av: [Double] = [7, -7, 7, -7, 0.5, 3], bv: [Double] = [2, -2, 4, 2, -2, 4]
        let table: [(String, BinaryFunction, (Double, Double) -> Double)] = [
            ("add", ember_add, { $0 + $1 }), ("sub", ember_sub, { $0 - $1 }), ("mul", ember_mul, { $0 * $1 }), ("div", ember_div, { $0 / $1 }),
            ("floor_divide", ember_floor_divide, { Glibc.floor($0 / $1) }),
            ("remainder", ember_remainder, { $0 - Glibc.floor($0 / $1) * $1 }),
            ("maximum", ember_maximum, { Swift.max($0, $1) }), ("minimum", ember_minimum, { Swift.min($0, $1) }),
            ("atan2", ember_atan2, { Glibc.atan2($0, $1) }), ("pow", ember_pow, { Glibc.pow($0, $1) }),
        ]
        for (name, f, expected) in table {
            let y = result(name) { f(a, b, $0) }
            XCTAssertEqual(C.shape(y), [2, 3], name)
            assertClose(C.values(y), zip(av, bv).map(expected), rtol: 1e-14, atol: 0, name)
        }
        assertClose(C.values(result("div_mode floor") { ember_div_mode(a, b, "floor", $0) }), [3, 3, 1, -4, -1, 0], rtol: 0, atol: 0, "floor")
        assertClose(C.values(result("div_mode trunc") { ember_div_mode(a, b, "trunc", $0) }), [3, 3, 1, -3, 0, 0], rtol: 0, atol: 0, "trunc")
        let w = doubles([0, 0.5, 1])
        assertClose(C.values(result("lerp") { ember_lerp(a, b, 0.25, $0) }), zip(av, bv).map { $0 + 0.25 * ($1 - $0) },
                    rtol: 1e-15, atol: 0, "lerp")
        assertClose(C.values(result("lerp_tensor") { ember_lerp_tensor(a, b, w, $0) }), [7, -4.5, 4, -7, -0.75, 4],
                    rtol: 1e-15, atol: 0, "lerp_tensor")
        assertClose(C.values(result("addcmul") { ember_addcmul(a, b, w, 2, $0) }), [7, -9, 15, -7, -1.5, 11],
                    rtol: 1e-15, atol: 0, "addcmul")
        assertClose(C.values(result("addcdiv") { ember_addcdiv(a, w, b, -2, $0) }), [7, -6.5, 6.5, -7, 1, 2.5],
                    rtol: 1e-15, atol: 0, "addcdiv")
    }

    func testComparisonsLogicalOpsAndSelection() {
        let a = doubles([1, 2, 3, .nan]), b = doubles([2, 2, 2, .nan])
        let compare: [(String, BinaryFunction, [Bool])] = [
            ("eq", ember_eq, [false, true, false, false]), ("ne", ember_ne, [true, false, true, true]),
            ("lt", ember_lt, [true, false, false, false]), ("le", ember_le, [true, true, false, false]),
            ("gt", ember_gt, [false, false, true, false]), ("ge", ember_ge, [false, true, true, false]),
        ]
        for (name, f, expected) in compare { XCTAssertEqual(boolValues(result(name) { f(a, b, $0) }), expected, name) }
        let scalar: [(String, ScalarFunction, [Bool])] = [
            ("eq_scalar", ember_eq_scalar, [false, true, false, false]), ("ne_scalar", ember_ne_scalar, [true, false, true, true]),
            ("lt_scalar", ember_lt_scalar, [true, false, false, false]), ("le_scalar", ember_le_scalar, [true, true, false, false]),
            ("gt_scalar", ember_gt_scalar, [false, false, true, false]), ("ge_scalar", ember_ge_scalar, [false, true, true, false]),
        ]
        for (name, f, expected) in scalar { XCTAssertEqual(boolValues(result(name) { f(a, 2, $0) }), expected, name) }

        let p = bools([true, true, false, false]), q = doubles([1, 0, 0.5, 0])
        XCTAssertEqual(boolValues(result("and") { ember_logical_and(p, q, $0) }), [true, false, false, false])
        XCTAssertEqual(boolValues(result("or") { ember_logical_or(p, q, $0) }), [true, true, true, false])
        XCTAssertEqual(boolValues(result("xor") { ember_logical_xor(p, q, $0) }), [false, true, true, false])
        XCTAssertEqual(boolValues(result("not") { ember_logical_not(q, $0) }), [false, true, false, true])
        XCTAssertEqual(boolValues(result("sign of bool") { ember_sign(p, $0) }), [true, true, false, false])

        let y = result("where") { ember_where(p, a, doubles([-1]), $0) }
        XCTAssertEqual(C.values(y), [1, 2, -1, -1])
        let filled = result("masked_fill") { ember_masked_fill(a, p, 9, $0) }
        XCTAssertTrue(C.values(filled).elementsEqual([9, 9, 3, .nan]) { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }

    func testIntegerResults() {
        let ints = keep(C.tensor([Int64(-7), 7, 9], [3])), divisors = keep(C.tensor([Int64(2), -2, 4], [3]))
        let q = result("floor_divide int") { ember_floor_divide(ints, divisors, $0) }
        XCTAssertEqual(ember_tensor_dtype(q), EMBER_INT64)
        XCTAssertEqual(C.values(q), [-4, -4, 2])
        XCTAssertEqual(C.values(result("remainder int") { ember_remainder(ints, divisors, $0) }), [1, -1, 1])
        XCTAssertEqual(C.values(result("pow int") { ember_pow_scalar(ints, 2, $0) }), [49, 49, 81])
        let r = result("sqrt int") { ember_sqrt(ints, $0) }
        XCTAssertEqual(ember_tensor_dtype(r), EMBER_FLOAT32)
        let c = result("clamp int fractional") { ember_clamp_min(ints, 0.5, $0) }
        XCTAssertEqual(ember_tensor_dtype(c), EMBER_FLOAT32)
        XCTAssertEqual(C.values(c), [0.5, 7, 9])
    }

    // MARK: - Gradients

    func testGradientsThroughTheCAPI() {
        let x = doubles([-1, 0.5, 2])
        C.ok(ember_tensor_set_requires_grad(x, true))
        let g = result("gelu") { ember_gelu(x, $0) }
        let w = result("where") { ember_where(bools([true, false, true]), g, x, $0) }
        let s = result("sum") { ember_sum(w, $0) }
        C.ok(ember_tensor_backward(s, nil))
        let grad = result("grad") { ember_tensor_grad(x, $0) }
        // d/dx gelu = Phi(x) + x phi(x) where selected, 1 where x itself is.
        func dgelu(_ v: Double) -> Double { 0.5 * (1 + Glibc.erf(v / 2.0.squareRoot())) + v * Glibc.exp(-v * v / 2) / (2 * Double.pi).squareRoot() }
        assertClose(C.values(grad), [dgelu(-1), 1, dgelu(2)], rtol: 1e-14, atol: 0, "grad")

        // floor_divide has no derivative, as in torch: the backward says so.
        let q = result("floor_divide") { ember_floor_divide_scalar(x, 2, $0) }
        let qs = result("sum") { ember_sum(q, $0) }
        C.fails(ember_tensor_backward(qs, nil), EMBER_ERR_STATE, ["floor_divide", "not implemented"])
    }

    // MARK: - Errors

    func testBadInput() {
        let x = doubles([1, 2, 3]), m = doubles([1, 2, 3, 4], [4])
        let ints = keep(C.tensor([Int64(1), 2, 3], [3])), zeros = keep(C.tensor([Int64(1), 0, 3], [3]))
        let mask = bools([true, false, true])
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        func fails(_ status: ember_status, _ expected: ember_status, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
            C.fails(status, expected, fragments, file: file, line: line)
            XCTAssertNil(out, "out is cleared on failure", file: file, line: line)
            out = OpaquePointer(bitPattern: 0xdead)
        }
        fails(ember_sigmoid(nil, &out), EMBER_ERR_INVALID_HANDLE, ["ember_sigmoid", "argument 'x' is NULL"])
        fails(ember_where(mask, x, nil, &out), EMBER_ERR_INVALID_HANDLE, ["ember_where", "argument 'other' is NULL"])
        fails(ember_addcdiv(x, nil, x, 1, &out), EMBER_ERR_INVALID_HANDLE, ["ember_addcdiv", "argument 'tensor1'"])
        fails(ember_lerp_tensor(x, x, nil, &out), EMBER_ERR_INVALID_HANDLE, ["ember_lerp_tensor", "argument 'weight'"])
        C.fails(ember_gelu(x, nil), EMBER_ERR_INVALID_ARGUMENT, ["ember_gelu", "argument 'out' is NULL"])
        fails(ember_maximum(x, m, &out), EMBER_ERR_SHAPE, ["ember_maximum", "[3]", "[4]"])
        fails(ember_eq(x, m, &out), EMBER_ERR_SHAPE, ["ember_eq", "[3]", "[4]"])
        fails(ember_where(mask, x, m, &out), EMBER_ERR_SHAPE, ["ember_where", "[3]", "[4]"])
        fails(ember_where(x, x, x, &out), EMBER_ERR_DTYPE, ["ember_where", "condition", "float64"])
        fails(ember_masked_fill(x, x, 0, &out), EMBER_ERR_DTYPE, ["ember_masked_fill", "boolean", "float64"])
        fails(ember_masked_fill(ints, mask, .nan, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_masked_fill", "int64"])
        fails(ember_div_mode(x, x, "round", &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_div_mode", "rounding_mode", "round"])
        fails(ember_div_scalar_mode(x, 2, "", &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_div_scalar_mode", "rounding_mode"])
        fails(ember_floor_divide(ints, zeros, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_floor_divide", "division by zero"])
        fails(ember_remainder_scalar(ints, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_remainder_scalar", "division by zero"])
        fails(ember_div_mode(ints, zeros, "trunc", &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_div_mode", "division by zero"])
        fails(ember_pow_scalar(ints, -2, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_pow_scalar", "negative integer powers"])
        fails(ember_leaky_relu(ints, 0.1, &out), EMBER_ERR_DTYPE, ["ember_leaky_relu", "int64"])
        fails(ember_neg(mask, &out), EMBER_ERR_DTYPE, ["ember_neg", "bool"])
        fails(ember_remainder(mask, mask, &out), EMBER_ERR_DTYPE, ["ember_remainder", "bool"])
        fails(ember_addcdiv(x, ints, ints, 1, &out), EMBER_ERR_DTYPE, ["ember_addcdiv", "integer division"])
        fails(ember_lerp(x, keep(C.tensor([Float(1), 2, 3], [3])), 0.5, &out), EMBER_ERR_DTYPE, ["ember_lerp", "float64", "float32"])
        fails(ember_hardtanh(x, 1, -1, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_hardtanh", "min_val"])
    }
}
