import CEmber
import EmberTestSupport
import XCTest

/// The creation functions of ember/tensor.h and the dtype casts, through the
/// C API as a C caller uses them: torch's numbers after ember_manual_seed,
/// statuses and messages for bad input, out-parameters cleared on failure.
final class CreationAPITests: XCTestCase {
    var owned: [OpaquePointer?] = []

    override func tearDown() {
        for t in owned { ember_tensor_free(t) }
        owned = []
    }

    /// Keeps a handle until the test ends.
    func keep(_ t: OpaquePointer?) -> OpaquePointer? {
        owned.append(t)
        return t
    }

    func fixture(_ key: String, _ index: Int) throws -> [String: Any] {
        let list = try XCTUnwrap(try Fixtures.load("creation")[key] as? [Any])
        return try XCTUnwrap(list[index] as? [String: Any])
    }

    /// A bool tensor's values as 0/1 (C.values reads 8-byte elements).
    func boolValues(_ t: OpaquePointer?) -> [Double] {
        let n = Int(ember_tensor_numel(t))
        var v = [Bool](repeating: false, count: n)
        C.ok(ember_tensor_copy_to(t, &v, n))
        return v.map { $0 ? 1 : 0 }
    }

    func assertAfter(_ c: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws {
        var r: OpaquePointer?
        C.ok(ember_tensor_rand([2], 1, EMBER_FLOAT64, &r), file: file, line: line)
        XCTAssertEqual(C.values(keep(r)), try FixtureTensor(c["after"]).values, "draws after the op", file: file, line: line)
    }

    // MARK: - Deterministic creation

    func testLinspaceAndEye() throws {
        var y: OpaquePointer?
        C.ok(ember_tensor_linspace(-2.5, 4, 2, EMBER_FLOAT32, &y))
        XCTAssertEqual(C.values(keep(y)), [-2.5, 4])
        let c = try fixture("linspace", 9)  // 0 -> 1 in 100 float64 steps
        XCTAssertEqual(c["steps"] as? Double, 100)
        C.ok(ember_tensor_linspace(0, 1, 100, EMBER_FLOAT64, &y))
        XCTAssertEqual(C.values(keep(y)), try FixtureTensor(c["out"]).values)
        C.ok(ember_tensor_linspace(0, 1, 0, EMBER_FLOAT32, &y))
        XCTAssertEqual(ember_tensor_numel(keep(y)), 0)

        C.ok(ember_tensor_eye(2, 3, EMBER_FLOAT64, &y))
        XCTAssertEqual(C.shape(keep(y)), [2, 3])
        XCTAssertEqual(C.values(y), [1, 0, 0, 0, 1, 0])
        C.ok(ember_tensor_eye(3, 3, EMBER_BOOL, &y))
        XCTAssertEqual(ember_tensor_dtype(keep(y)), EMBER_BOOL)
        XCTAssertEqual(boolValues(y), [1, 0, 0, 0, 1, 0, 0, 0, 1])
    }

    func testLinspaceAndEyeReportBadArguments() {
        var y: OpaquePointer? = OpaquePointer(bitPattern: 0x10)
        C.fails(ember_tensor_linspace(0, 1, -1, EMBER_FLOAT32, &y), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_tensor_linspace", "number of steps must be non-negative"])
        XCTAssertNil(y)
        C.fails(ember_tensor_linspace(0, 1, 5, EMBER_BOOL, &y), EMBER_ERR_DTYPE, ["linspace", "bool"])
        C.fails(ember_tensor_linspace(0, 1, 5, ember_dtype(rawValue: 9), &y), EMBER_ERR_DTYPE, ["not a valid ember_dtype"])
        C.fails(ember_tensor_linspace(0, 1, 5, EMBER_FLOAT32, nil), EMBER_ERR_INVALID_ARGUMENT, ["'out' is NULL"])
        C.fails(ember_tensor_eye(-1, 2, EMBER_FLOAT32, &y), EMBER_ERR_INVALID_ARGUMENT, ["ember_tensor_eye", "n must be greater or equal to 0, got -1"])
        C.fails(ember_tensor_eye(2, -4, EMBER_FLOAT32, &y), EMBER_ERR_INVALID_ARGUMENT, ["m must be greater or equal to 0, got -4"])
        C.fails(ember_tensor_eye(1 << 40, 1 << 40, EMBER_FLOAT64, &y), EMBER_ERR_OUT_OF_MEMORY, ["ember_tensor_eye"])
        XCTAssertNil(y)
    }

    func testLikeFunctionsFollowTheTemplate() {
        // A transposed float64 template: shape, dtype and layout carry over.
        var base, x, y: OpaquePointer?
        C.ok(ember_tensor_zeros([3, 4], 2, EMBER_FLOAT64, &base))
        C.ok(ember_transpose(keep(base), 0, 1, &x))
        C.ok(ember_ones_like(keep(x), &y))
        XCTAssertEqual(C.shape(keep(y)), [4, 3])
        XCTAssertEqual(ember_tensor_dtype(y), EMBER_FLOAT64)
        XCTAssertFalse(ember_tensor_is_contiguous(y))
        XCTAssertEqual(C.values(y), [Double](repeating: 1, count: 12))
        C.ok(ember_zeros_like(x, &y))
        XCTAssertEqual(C.values(keep(y)), [Double](repeating: 0, count: 12))
        C.ok(ember_full_like(x, -1.5, &y))
        XCTAssertEqual(C.values(keep(y)), [Double](repeating: -1.5, count: 12))
        XCTAssertFalse(ember_tensor_requires_grad(y))

        // int64 and bool templates: the fill is converted as torch converts it.
        let ints = C.tensor([Int64(1), 2, 3], [3])
        C.ok(ember_full_like(keep(ints), 2.9, &y))
        XCTAssertEqual(ember_tensor_dtype(keep(y)), EMBER_INT64)
        XCTAssertEqual(C.values(y), [2, 2, 2])
        C.fails(ember_full_like(ints, .infinity, &y), EMBER_ERR_INVALID_ARGUMENT, ["ember_full_like", "int64"])
        XCTAssertNil(y)
        var mask: OpaquePointer?
        C.ok(ember_tensor_eye(2, 2, EMBER_BOOL, &mask))
        C.ok(ember_ones_like(keep(mask), &y))
        XCTAssertEqual(ember_tensor_dtype(keep(y)), EMBER_BOOL)
        XCTAssertEqual(boolValues(y), [1, 1, 1, 1])

        C.fails(ember_rand_like(ints, &y), EMBER_ERR_DTYPE, ["ember_rand_like", "rand_like", "int64"])
        C.fails(ember_randn_like(mask, &y), EMBER_ERR_DTYPE, ["ember_randn_like", "bool"])
        C.fails(ember_zeros_like(nil, &y), EMBER_ERR_INVALID_HANDLE, ["ember_zeros_like", "'x'"])
        var freed: OpaquePointer?
        C.ok(ember_tensor_zeros([2], 1, EMBER_FLOAT32, &freed))
        ember_tensor_free(freed)
        C.fails(ember_randn_like(freed, &y), EMBER_ERR_INVALID_HANDLE, ["ember_randn_like"])
        XCTAssertNil(y)
    }

    func testOneHot() {
        var y: OpaquePointer?
        let labels = C.tensor([Int64(1), 0, 3], [3])
        C.ok(ember_one_hot(keep(labels), -1, &y))
        XCTAssertEqual(C.shape(keep(y)), [3, 4])
        XCTAssertEqual(ember_tensor_dtype(y), EMBER_INT64)
        XCTAssertEqual(C.values(y), [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1])
        C.ok(ember_one_hot(labels, 5, &y))
        XCTAssertEqual(C.shape(keep(y)), [3, 5])
        C.fails(ember_one_hot(labels, 3, &y), EMBER_ERR_INVALID_ARGUMENT, ["ember_one_hot", "Class values must be smaller than num_classes"])
        let negative = C.tensor([Int64(-2)], [1])
        C.fails(ember_one_hot(keep(negative), -1, &y), EMBER_ERR_INVALID_ARGUMENT, ["Class values must be non-negative"])
        let floats = C.tensor([Float(1)], [1])
        C.fails(ember_one_hot(keep(floats), 2, &y), EMBER_ERR_DTYPE, ["LongTensor"])
        C.fails(ember_one_hot(nil, 2, &y), EMBER_ERR_INVALID_HANDLE, ["'indices'"])
        XCTAssertNil(y)
    }

    // MARK: - Seeded random creation

    func testRandomCreationMatchesTorchAfterManualSeed() throws {
        var y: OpaquePointer?
        // randint across 2^32: two draws per value.
        var c = try fixture("randint", 2)
        ember_manual_seed(2)
        C.ok(ember_tensor_randint(0, 1 << 33, [50], 1, &y))
        XCTAssertEqual(C.values(keep(y)), try FixtureTensor(c["out"]).values)
        try assertAfter(c)

        // randn_like of a transposed float32 template: the element-by-element path.
        c = try fixture("like", 3)
        var base, x: OpaquePointer?
        C.ok(ember_tensor_zeros([6, 4], 2, EMBER_FLOAT32, &base))
        C.ok(ember_transpose(keep(base), 0, 1, &x))
        ember_manual_seed(3)
        C.ok(ember_randn_like(keep(x), &y))
        let randn = try XCTUnwrap(c["randn"] as? [String: Any])
        XCTAssertEqual(C.values(keep(y)), try FixtureTensor(randn["tensor"]).values)
        XCTAssertFalse(ember_tensor_is_contiguous(y))
        ember_manual_seed(3)
        C.ok(ember_rand_like(x, &y))
        let rand = try XCTUnwrap(c["rand"] as? [String: Any])
        XCTAssertEqual(C.values(keep(y)), try FixtureTensor(rand["tensor"]).values)

        // randn_like of 1000 float32 elements: torch's 16-wide Box-Muller, bit for bit.
        c = try fixture("like", 13)
        C.ok(ember_tensor_zeros([1000], 1, EMBER_FLOAT32, &x))
        ember_manual_seed(13)
        C.ok(ember_randn_like(keep(x), &y))
        XCTAssertEqual(C.values(keep(y)), try FixtureTensor((c["randn"] as? [String: Any])?["tensor"]).values)

        // bernoulli of float32 probabilities.
        c = try fixture("bernoulli", 1)
        let p = try FixtureTensor(c["base"])
        let probs = C.tensor(p.floats, p.shape.map(Int64.init))
        ember_manual_seed(1)
        C.ok(ember_bernoulli(keep(probs), &y))
        XCTAssertEqual(C.values(keep(y)), try FixtureTensor((c["out"] as? [String: Any])?["tensor"]).values)
        XCTAssertEqual(ember_tensor_dtype(y), EMBER_FLOAT32)
        try assertAfter(c)

        // bernoulli with a scalar p into a bool tensor.
        c = try fixture("bernoulli_p", 3)
        C.ok(ember_tensor_zeros([17], 1, EMBER_BOOL, &x))
        ember_manual_seed(3)
        C.ok(ember_bernoulli_p(keep(x), 0.25, &y))
        XCTAssertEqual(ember_tensor_dtype(keep(y)), EMBER_BOOL)
        XCTAssertEqual(boolValues(y), try FixtureTensor((c["out"] as? [String: Any])?["tensor"]).values)
        try assertAfter(c)

        // multinomial without replacement, with ties among zero weights.
        c = try fixture("multinomial", 14)
        let w = try FixtureTensor(c["base"])
        XCTAssertEqual(w.dtype, .float32)
        let weights = C.tensor(w.floats, w.shape.map(Int64.init))
        ember_manual_seed(15)
        C.ok(ember_multinomial(keep(weights), 150, false, &y))
        XCTAssertEqual(C.shape(keep(y)), [2, 150])
        XCTAssertEqual(C.values(y), try FixtureTensor(c["out"]).values)
        try assertAfter(c)
    }

    func testRandomCreationReportsBadInput() {
        var y: OpaquePointer? = OpaquePointer(bitPattern: 0x10)
        C.fails(ember_tensor_randint(3, 3, [2], 1, &y), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_tensor_randint", "random_ expects 'from' to be less than 'to'", "from=3 >= to=3"])
        XCTAssertNil(y)
        C.fails(ember_tensor_randint(0, 3, nil, 2, &y), EMBER_ERR_INVALID_ARGUMENT, ["'shape' is NULL"])
        C.fails(ember_tensor_randint(0, 3, [-1], 1, &y), EMBER_ERR_INVALID_ARGUMENT, ["negative size"])

        let probs = C.tensor([0.2, 1.2], [2])
        C.fails(ember_bernoulli(keep(probs), &y), EMBER_ERR_INVALID_ARGUMENT, ["ember_bernoulli", "0 <= p_in <= 1", "1.2"])
        let ints = C.tensor([Int64(0), 1], [2])
        C.fails(ember_bernoulli(keep(ints), &y), EMBER_ERR_DTYPE, ["ember_bernoulli", "int64"])
        C.fails(ember_bernoulli_p(ints, 1.01, &y), EMBER_ERR_INVALID_ARGUMENT, ["ember_bernoulli_p", "bernoulli_ expects p to be in [0, 1], but got p=1.01"])
        C.fails(ember_bernoulli_p(ints, .nan, &y), EMBER_ERR_INVALID_ARGUMENT, ["p=nan"])
        C.fails(ember_bernoulli(nil, &y), EMBER_ERR_INVALID_HANDLE, ["'probs'"])

        let weights = C.tensor([0.5, 0.5, 0], [3])
        C.fails(ember_multinomial(keep(weights), 4, false, &y), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_multinomial", "cannot sample n_sample > prob_dist.size(-1) samples without replacement"])
        C.fails(ember_multinomial(weights, 0, true, &y), EMBER_ERR_INVALID_ARGUMENT, ["cannot sample n_sample <= 0 samples"])
        C.fails(ember_multinomial(ints, 1, true, &y), EMBER_ERR_DTYPE, ["multinomial only supports floating-point dtypes"])
        let zeros = C.tensor([0.0, 0.0], [2])
        C.fails(ember_multinomial(keep(zeros), 2, true, &y), EMBER_ERR_INVALID_ARGUMENT, ["sum of probabilities <= 0"])
        let negative = C.tensor([0.5, -0.5], [2])
        C.fails(ember_multinomial(keep(negative), 1, false, &y), EMBER_ERR_INVALID_ARGUMENT, ["`inf`, `nan` or element < 0"])
        var cube: OpaquePointer?
        C.ok(ember_tensor_ones([2, 2, 2], 3, EMBER_FLOAT32, &cube))
        C.fails(ember_multinomial(keep(cube), 1, true, &y), EMBER_ERR_SHAPE, ["prob_dist must be 1 or 2 dim"])
        XCTAssertNil(y)
    }

    func testBernoulliGradientsAreTorchs() {
        // torch.bernoulli(p) records BernoulliBackward0 with a zero gradient.
        var probs: OpaquePointer?
        C.ok(ember_tensor_full([3], 1, 0.5, EMBER_FLOAT64, &probs))
        C.ok(ember_tensor_set_requires_grad(keep(probs), true))
        var y, s, g: OpaquePointer?
        C.ok(ember_bernoulli(probs, &y))
        XCTAssertTrue(ember_tensor_requires_grad(keep(y)))
        C.ok(ember_sum(y, &s))
        C.ok(ember_tensor_backward(keep(s), nil))
        C.ok(ember_tensor_grad(probs, &g))
        XCTAssertEqual(C.values(keep(g)), [0, 0, 0])

        // torch.bernoulli(x, p) has no derivative: backward fails, naming it.
        C.ok(ember_bernoulli_p(probs, 0.3, &y))
        XCTAssertTrue(ember_tensor_requires_grad(keep(y)))
        C.ok(ember_sum(y, &s))
        C.fails(ember_tensor_backward(keep(s), nil), EMBER_ERR_STATE, ["bernoulli", "not implemented"])
    }

    // MARK: - Casts and clone

    func testEveryDtypeRoundTripsThroughToDtype() {
        let dtypes = [EMBER_FLOAT32, EMBER_FLOAT64, EMBER_INT64, EMBER_BOOL]
        var mask: OpaquePointer?
        C.ok(ember_tensor_from_data([true, false, false, true, true, false], EMBER_BOOL, [2, 3], 2, &mask))
        for dtype in dtypes {
            var there, back: OpaquePointer?
            C.ok(ember_to_dtype(keep(mask), dtype, &there), "bool -> \(dtype)")
            XCTAssertEqual(ember_tensor_dtype(keep(there)), dtype)
            XCTAssertEqual(C.shape(there), [2, 3])
            C.ok(ember_to_dtype(there, EMBER_BOOL, &back))
            XCTAssertEqual(ember_tensor_dtype(keep(back)), EMBER_BOOL)
            XCTAssertEqual(boolValues(back), [1, 0, 0, 1, 1, 0], "bool -> \(dtype) -> bool")
        }
        // Each dtype to each other and back, on values every dtype can hold.
        let values: [Double] = [0, 1, -3, 7, 1, 0]
        for from in dtypes where from != EMBER_BOOL {
            var x: OpaquePointer?
            C.ok(ember_to_dtype(keep(C.tensor(values, [6])), from, &x))
            for to in dtypes where to != EMBER_BOOL {
                var there, back: OpaquePointer?
                C.ok(ember_to_dtype(keep(x), to, &there))
                C.ok(ember_to_dtype(keep(there), from, &back))
                XCTAssertEqual(ember_tensor_dtype(keep(back)), from)
                XCTAssertEqual(C.values(back), values, "\(from) -> \(to) -> \(from)")
            }
            var asBool: OpaquePointer?
            C.ok(ember_to_dtype(x, EMBER_BOOL, &asBool))
            XCTAssertEqual(boolValues(keep(asBool)), [0, 1, 1, 1, 1, 0], "\(from) -> bool")
        }
        var y: OpaquePointer? = OpaquePointer(bitPattern: 0x10)
        C.fails(ember_to_dtype(mask, ember_dtype(rawValue: 7), &y), EMBER_ERR_DTYPE, ["ember_to_dtype", "not a valid ember_dtype"])
        XCTAssertNil(y)
    }

    func testCastsMatchTorchForAwkwardValues() throws {
        // NaN and infinities to int64 give INT64_MIN as on x86 torch; NaN to bool is true.
        let c = try fixture("casts", 2)
        XCTAssertEqual(c["from"] as? String, "float32")
        XCTAssertEqual(c["to"] as? String, "int64")
        let input = try FixtureTensor(c["input"])
        var y: OpaquePointer?
        C.ok(ember_to_dtype(keep(C.tensor(input.floats, [Int64(input.values.count)])), EMBER_INT64, &y))
        XCTAssertEqual(C.values(keep(y)), try FixtureTensor(c["out"]).values)
        let b = try fixture("casts", 3)
        XCTAssertEqual(b["to"] as? String, "bool")
        C.ok(ember_to_dtype(keep(C.tensor(input.floats, [Int64(input.values.count)])), EMBER_BOOL, &y))
        XCTAssertEqual(boolValues(keep(y)), try FixtureTensor(b["out"]).values)
    }

    func testCloneKeepsDtypeAndValues() {
        for dtype in [EMBER_FLOAT32, EMBER_FLOAT64, EMBER_INT64, EMBER_BOOL] {
            var eye, t, copy: OpaquePointer?
            C.ok(ember_tensor_eye(2, 3, dtype, &eye))
            C.ok(ember_transpose(keep(eye), 0, 1, &t))
            C.ok(ember_clone(keep(t), &copy))
            XCTAssertEqual(ember_tensor_dtype(keep(copy)), dtype)
            XCTAssertEqual(C.shape(copy), [3, 2])
            let values = dtype == EMBER_BOOL ? boolValues(copy) : C.values(copy)
            XCTAssertEqual(values, [1, 0, 0, 1, 0, 0], "clone of \(dtype)")
            // The copy has its own storage: zeroing the source leaves it alone.
            let bytes = 6 * (dtype == EMBER_BOOL ? 1 : dtype == EMBER_FLOAT32 ? 4 : 8)
            C.ok(ember_tensor_copy_from(eye, [UInt8](repeating: 0, count: bytes), bytes))
            XCTAssertEqual(dtype == EMBER_BOOL ? boolValues(copy) : C.values(copy), [1, 0, 0, 1, 0, 0])
        }
    }
}
