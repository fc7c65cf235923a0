import EmberTensor
import EmberTestSupport
import XCTest

/// The deterministic creation ops and casts against torch (Tests/Fixtures/creation.json,
/// tools/fixtures/creation.py): linspace, arange, eye, the *_like fills, one_hot, to(dtype).
final class CreationTests: XCTestCase {
    func testLinspaceMatchesTorchBitForBit() throws {
        let cases = try CreationFixture.cases("linspace")
        XCTAssertEqual(cases.count, 32)
        for c in cases {
            let start = try CreationFixture.double(c["start"]), end = try CreationFixture.double(c["end"])
            let steps = Int(try CreationFixture.double(c["steps"]))
            let dtype = try CreationFixture.dtype(c["dtype"])
            let expected = try FixtureTensor(c["out"])
            let y = try NDArray.linspace(start: start, end: end, steps: steps, dtype: dtype)
            let what = "linspace(\(start), \(end), \(steps), \(dtype))"
            XCTAssertEqual(y.shape, expected.shape, what)
            XCTAssertEqual(y.dtype, dtype, what)
            assertSameValues(y.toDoubles(), expected.values, what)
        }
    }

    func testLinspaceEdgeCases() throws {
        XCTAssertEqual(try NDArray.linspace(start: 3, end: 7, steps: 0, dtype: .float32).shape, [0])
        XCTAssertEqual(try NDArray.linspace(start: 3, end: 7, steps: 1, dtype: .float64).toDoubles(), [3])
        XCTAssertEqual(try NDArray.linspace(start: 3.9, end: 7, steps: 1, dtype: .int64).toDoubles(), [3])
        // The ends are exact whatever the rounding of the step.
        let y = try NDArray.linspace(start: 0.1, end: 0.7, steps: 33, dtype: .float32).toDoubles()
        XCTAssertEqual(y.first, Double(Float(0.1)))
        XCTAssertEqual(y.last, Double(Float(0.7)))
    }

    func testLinspaceRejectsBadArguments() {
        assertThrows(.invalidArgument, ["number of steps must be non-negative", "-1"]) {
            try NDArray.linspace(start: 0, end: 1, steps: -1, dtype: .float32)
        }
        assertThrows(.dtype, ["linspace", "bool"]) { try NDArray.linspace(start: 0, end: 1, steps: 5, dtype: .bool) }
        assertThrows(.invalidArgument, ["end", "1e+39", "float32 without overflow"]) {
            try NDArray.linspace(start: 0, end: 1e39, steps: 5, dtype: .float32)
        }
        assertThrows(.invalidArgument, ["start", "nan", "int64"]) {
            try NDArray.linspace(start: .nan, end: 1, steps: 3, dtype: .int64)
        }
        assertThrows(.invalidArgument, ["end", "1e+30", "int64"]) { try NDArray.linspace(start: 0, end: 1e30, steps: 3, dtype: .int64) }
    }

    func testArangeMatchesTorchBitForBit() throws {
        // float32 comes in blocks of 2 x 8, float64 in blocks of 2 x 4: both sides of each block are covered.
        for c in try CreationFixture.cases("arange") {
            let start = try CreationFixture.double(c["start"]), end = try CreationFixture.double(c["end"])
            let step = try CreationFixture.double(c["step"])
            let dtype = try CreationFixture.dtype(c["dtype"])
            let expected = try FixtureTensor(c["out"])
            let y = try NDArray.arange(start: start, end: end, step: step, dtype: dtype)
            let what = "arange(\(start), \(end), \(step), \(dtype))"
            XCTAssertEqual(y.shape, expected.shape, what)
            assertSameValues(y.toDoubles(), expected.values, what)
        }
    }

    func testEyeMatchesTorch() throws {
        for c in try CreationFixture.cases("eye") {
            let n = Int(try CreationFixture.double(c["n"])), m = Int(try CreationFixture.double(c["m"]))
            let dtype = try CreationFixture.dtype(c["dtype"])
            let y = try NDArray.eye(n, m, dtype: dtype)
            try CreationFixture.assertResult(y, c["out"], "eye(\(n), \(m), \(dtype))")
        }
    }

    func testEyeRejectsNegativeSizes() {
        assertThrows(.invalidArgument, ["n must be greater or equal to 0, got -1"]) { try NDArray.eye(-1, 3, dtype: .float32) }
        assertThrows(.invalidArgument, ["m must be greater or equal to 0, got -3"]) { try NDArray.eye(2, -3, dtype: .float32) }
    }

    func testLikeFillsKeepShapeDtypeAndLayout() throws {
        for c in try CreationFixture.cases("like") {
            let template = try CreationFixture.template(c)
            let what = "template \(describe(template.shape)) \(template.dtype) view \(String(describing: c["view"]))"
            try CreationFixture.assertLayout(try NDArray.zerosLike(template), c["zeros"], what + " zeros_like")
            try CreationFixture.assertLayout(try NDArray.onesLike(template), c["ones"], what + " ones_like")
            try CreationFixture.assertLayout(try NDArray.fullLike(template, value: 2.75), c["full"], what + " full_like")
        }
    }

    func testEmptyLikePreservesDenseLayoutsOnly() throws {
        let base = try NDArray.zeros([2, 3, 4], dtype: .float32)
        let permuted = try base.permuted([2, 0, 1])
        XCTAssertTrue(permuted.isNonOverlappingAndDense)
        XCTAssertEqual(try NDArray.emptyLike(permuted).strides, permuted.strides)
        let sliced = try base.sliced(dim: 2, start: 0, stop: Int.max, step: 2)
        XCTAssertFalse(sliced.isNonOverlappingAndDense)
        XCTAssertTrue(try NDArray.emptyLike(sliced).isContiguous)
        let expanded = try NDArray.zeros([3, 1], dtype: .float64).expanded([3, 5])
        XCTAssertFalse(expanded.isNonOverlappingAndDense)
        XCTAssertEqual(try NDArray.emptyLike(expanded, dtype: .int64).dtype, .int64)
    }

    func testFullLikeRejectsValuesInt64CannotHold() throws {
        let x = try NDArray.zeros([2], dtype: .int64)
        assertThrows(.invalidArgument, ["nan", "int64"]) { try NDArray.fullLike(x, value: .nan) }
        assertThrows(.invalidArgument, ["1e+19", "int64"]) { try NDArray.fullLike(x, value: 1e19) }
        XCTAssertEqual(try NDArray.fullLike(x, value: -2.7).toDoubles(), [-2, -2])
        XCTAssertEqual(try NDArray.fullLike(try NDArray.zeros([2], dtype: .bool), value: .nan).toDoubles(), [1, 1])
    }

    func testOneHotMatchesTorch() throws {
        for c in try CreationFixture.cases("one_hot") {
            let indices = try FixtureTensor(c["indices"])
            let x = try NDArray.copying(indices.int64s, dtype: .int64, shape: indices.shape)
            let classes = Int(try CreationFixture.double(c["num_classes"]))
            let expected = try FixtureTensor(c["out"])
            let y = try NDArray.oneHot(x, numClasses: classes)
            XCTAssertEqual(y.shape, expected.shape, "one_hot \(describe(indices.shape)) \(classes)")
            XCTAssertEqual(y.dtype, .int64)
            XCTAssertEqual(y.toDoubles(), expected.values, "one_hot \(describe(indices.shape)) \(classes)")
        }
        // A non-contiguous index tensor reads in logical order.
        let x = try NDArray.copying([Int64(0), 1, 2, 3, 0, 1], dtype: .int64, shape: [2, 3]).transposed(0, 1)
        XCTAssertEqual(try NDArray.oneHot(x, numClasses: 4).toDoubles(),
                       [1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0])
    }

    func testOneHotRejectsBadIndices() throws {
        let x = try NDArray.copying([Int64(-1), 0], dtype: .int64, shape: [2])
        assertThrows(.invalidArgument, ["Class values must be non-negative"]) { try NDArray.oneHot(x, numClasses: 3) }
        assertThrows(.invalidArgument, ["Class values must be non-negative"]) { try NDArray.oneHot(x, numClasses: -1) }
        let y = try NDArray.copying([Int64(3), 0], dtype: .int64, shape: [2])
        assertThrows(.invalidArgument, ["Class values must be smaller than num_classes", "3"]) { try NDArray.oneHot(y, numClasses: 3) }
        assertThrows(.invalidArgument, ["Class values must be smaller than num_classes"]) { try NDArray.oneHot(y, numClasses: -2) }
        let empty = try NDArray.zeros([0], dtype: .int64)
        assertThrows(.invalidArgument, ["Can not infer total number of classes from empty tensor"]) { try NDArray.oneHot(empty, numClasses: -1) }
        assertThrows(.invalidArgument, ["Can not infer total number of classes from empty tensor"]) { try NDArray.oneHot(empty, numClasses: 0) }
        assertThrows(.dtype, ["one_hot is only applicable to index tensor of type LongTensor", "float32"]) {
            try NDArray.oneHot(try NDArray.zeros([2], dtype: .float32), numClasses: 3)
        }
        assertThrows(.dtype, ["LongTensor", "bool"]) { try NDArray.oneHot(try NDArray.zeros([2], dtype: .bool), numClasses: 3) }
        let deep = try NDArray.zeros(Dims(repeating: 1, count: 12), dtype: .int64)
        assertThrows(.shape, ["12 dimensions"]) { try NDArray.oneHot(deep, numClasses: 2) }
        let huge = try NDArray.copying([Int64.max], dtype: .int64, shape: [1])
        assertThrows(.outOfMemory) { try NDArray.oneHot(huge, numClasses: -1) }
    }

    func testCastsBetweenAllDtypesMatchTorch() throws {
        // -0, fractions, NaN, infinities and values beyond int64 (which torch,
        // on x86, turns into INT64_MIN) in every direction, bool included.
        let cases = try CreationFixture.cases("casts")
        XCTAssertEqual(cases.count, 16)
        for c in cases {
            let from = try CreationFixture.dtype(c["from"]), to = try CreationFixture.dtype(c["to"])
            let input = try FixtureTensor(c["input"]), expected = try FixtureTensor(c["out"])
            let x = try NDArray.copying(input.values, dtype: .float64, shape: input.shape).cast(to: from)
            let y = try x.cast(to: to)
            XCTAssertEqual(y.dtype, to)
            XCTAssertEqual(y.shape, expected.shape)
            assertSameValues(y.toDoubles(), expected.values, "\(from) -> \(to)")
        }
    }

    func testBoolRoundTripsThroughEveryDtype() throws {
        let mask = try NDArray.copying([true, false, true, true], dtype: .bool, shape: [2, 2])
        for dtype in DType.allCases {
            let back = try mask.cast(to: dtype).cast(to: .bool)
            XCTAssertEqual(back.dtype, .bool)
            XCTAssertEqual(back.toDoubles(), [1, 0, 1, 1], "bool -> \(dtype) -> bool")
        }
        // Through a transposed view: the cast reads in logical order.
        XCTAssertEqual(try mask.transposed(0, 1).cast(to: .int64).toDoubles(), [1, 1, 0, 1])
    }
}

/// Reading creation.json, and exact comparisons.
enum CreationFixture {
    static func cases(_ key: String) throws -> [[String: Any]] {
        guard let list = try Fixtures.load("creation")[key] as? [Any] else { throw EmberError.internal("creation.json has no \(key)") }
        return list.compactMap { $0 as? [String: Any] }
    }

    static func double(_ any: Any?) throws -> Double {
        guard let v = any as? Double else { throw EmberError.internal("not a number: \(String(describing: any))") }
        return v
    }

    static func dtype(_ any: Any?) throws -> DType {
        switch any as? String {
        case "float32": .float32
        case "float64": .float64
        case "int64": .int64
        case "bool": .bool
        default: throw EmberError.internal("not a dtype: \(String(describing: any))")
        }
    }

    static func dims(_ any: Any?) throws -> Dims {
        guard let list = any as? [Any] else { throw EmberError.internal("not a list of dims: \(String(describing: any))") }
        return Dims(try list.map { Int(try double($0)) })
    }

    /// The fixture's view applied to `base` (tools/fixtures/creation.py's apply_view).
    static func view(_ base: NDArray, _ any: Any?) throws -> NDArray {
        guard let view = any as? [String: Any] else { throw EmberError.internal("not a view: \(String(describing: any))") }
        switch view["kind"] as? String {
        case "none": return base
        case "t": return try base.transposed(0, 1)
        case "permute": return try base.permuted(try dims(view["dims"]))
        case "expand": return try base.expanded(try dims(view["shape"]))
        case "slice": return try base.sliced(dim: base.ndim - 1, start: 0, stop: Int.max, step: 2)
        default: throw EmberError.internal("unknown view \(view)")
        }
    }

    /// A case's template: zeros of its shape and dtype, seen through its view.
    static func template(_ c: [String: Any]) throws -> NDArray {
        try view(try NDArray.zeros(try dims(c["shape"]), dtype: try dtype(c["dtype"])), c["view"])
    }

    /// A case's base values (contiguous) seen through its view.
    static func viewed(_ c: [String: Any]) throws -> NDArray {
        let base = try FixtureTensor(c["base"])
        return try view(try NDArray.copying(base.values, dtype: .float64, shape: base.shape).cast(to: base.dtype), c["view"])
    }

    /// Strides where they mean something: size-1 dimensions may have any.
    static func significantStrides(_ shape: Dims, _ strides: [Int]) -> [Int] {
        zip(shape, strides).filter { $0.0 != 1 }.map(\.1)
    }

    /// Checks the dtype, shape, layout and value of a constant fill against torch's.
    static func assertLayout(_ y: NDArray, _ any: Any?, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let e = any as? [String: Any] else { throw EmberError.internal("not a layout: \(String(describing: any))") }
        XCTAssertEqual(y.shape, try dims(e["shape"]), what, file: file, line: line)
        XCTAssertEqual(y.dtype, try dtype(e["dtype"]), what, file: file, line: line)
        XCTAssertEqual(y.isContiguous, e["contiguous"] as? Bool, "\(what) contiguity", file: file, line: line)
        XCTAssertEqual(significantStrides(y.shape, y.strides.array), significantStrides(y.shape, try dims(e["stride"]).array),
                       "\(what) strides", file: file, line: line)
        if let value = e["value"] as? Double {
            XCTAssertTrue(y.toDoubles().allSatisfy { $0 == value }, "\(what): every element should be \(value)", file: file, line: line)
        }
    }

    /// Checks dtype, shape, layout and every value of a result against torch's.
    static func assertResult(_ y: NDArray, _ any: Any?, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let e = any as? [String: Any] else { throw EmberError.internal("not a result: \(String(describing: any))") }
        let expected = try FixtureTensor(e["tensor"])
        XCTAssertEqual(y.shape, expected.shape, what, file: file, line: line)
        XCTAssertEqual(y.dtype, try dtype(e["dtype"]), what, file: file, line: line)
        // torch calls every empty tensor contiguous; Ember's isContiguous does not (yet), and
        // an empty tensor's strides say nothing.
        if y.count > 0 {
            XCTAssertEqual(y.isContiguous, e["contiguous"] as? Bool, "\(what) contiguity", file: file, line: line)
            XCTAssertEqual(significantStrides(y.shape, y.strides.array), significantStrides(y.shape, try dims(e["stride"]).array),
                           "\(what) strides", file: file, line: line)
        }
        assertSameValues(y.toDoubles(), expected.values, what, file: file, line: line)
    }
}

/// Bit-for-bit equality (NaN equals NaN; -0 differs from 0), naming the first difference.
func assertSameValues(_ actual: [Double], _ expected: [Double], _ what: @autoclosure () -> String = "",
                      file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(what()): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    for i in 0..<actual.count {
        let a = actual[i], e = expected[i]
        if a.bitPattern == e.bitPattern || (a.isNaN && e.isNaN) { continue }
        XCTFail("\(what()): element \(i) is \(a), torch gives \(e)", file: file, line: line)
        return
    }
}
