import EmberTensor
import EmberTestSupport
import Glibc
import XCTest

/// The elementwise kernels below autograd: the flat, strided, broadcast and
/// multi-threaded loops against an element-by-element reference, and torch's
/// integer and floating division semantics.
final class ElementwiseKernelTests: XCTestCase {
    override func setUp() { GlobalGenerator.manualSeed(31) }
    override func tearDown() { Parallel.setThreads(Parallel.defaultThreads) }

    /// Every element of `x`, read one by one through its strides (row-major order).
    func elements(_ x: NDArray) -> [Double] {
        var out: [Double] = []
        var index = Dims(repeating: 0, count: x.ndim)
        for _ in 0..<x.count {
            out.append(x.value(at: index))
            var d = x.ndim - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < x.shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// `x` read as if it had `shape` (broadcast), element by element.
    func broadcastElements(_ x: NDArray, to shape: Dims) throws -> [Double] {
        elements(try x.expanded(shape))
    }

    /// Just big enough (over 2 x 32768 elements) that the loops split across threads.
    let big: Dims = [262, 258]

    func testBinaryLoopsOnEveryLayoutMatchTheReference() throws {
        let m = try NDArray.randn(big, dtype: .float64)
        let t = try NDArray.randn([258, 262], dtype: .float64).transposed(0, 1)   // non-contiguous
        let row = try NDArray.randn([258], dtype: .float64), column = try NDArray.randn([262, 1], dtype: .float64)
        let scalar = try NDArray.scalar(0.75, dtype: .float64)
        for (name, a, b) in [("contiguous", m, m), ("transposed", t, m), ("both transposed", t, t), ("row", t, row),
                             ("column", column, t), ("scalar first", scalar, t), ("scalar", m, scalar)] {
            let x = try broadcastElements(a, to: big), y = try broadcastElements(b, to: big)
            let sums = zip(x, y).map { $0 + $1 }, angles = zip(x, y).map { Glibc.atan2($0, $1) }
            for threads in [1, 2, 3] {
                Parallel.setThreads(threads)
                XCTAssertEqual(try Kernels.binary(.add, a, b).toDoubles(), sums, "add \(name), \(threads) threads")
                XCTAssertEqual(try Kernels.binary(.atan2, a, b).toDoubles(), angles, "atan2 \(name), \(threads) threads")
            }
        }
    }

    func testUnaryAndTernaryLoopsOnEveryLayoutMatchTheReference() throws {
        let t = try NDArray.randn([258, 262], dtype: .float64).transposed(0, 1)
        let m = try NDArray.randn(big, dtype: .float64)
        let condition = try Kernels.compare(.gt, try NDArray.randn([258], dtype: .float64), scalar: 0)
        let c = try broadcastElements(condition, to: big), x = elements(t), y = elements(m)
        for threads in [1, 2, 3] {
            Parallel.setThreads(threads)
            XCTAssertEqual(try Kernels.unary(.sin, t).toDoubles(), x.map { Glibc.sin($0) }, "sin, \(threads) threads")
            XCTAssertEqual(try Kernels.unary(.sigmoid, m).toDoubles(), y.map { 1 / (1 + Glibc.exp(-$0)) })
            let chosen = try Kernels.where(condition, t, m)
            XCTAssertEqual(chosen.toDoubles(), (0..<x.count).map { c[$0] != 0 ? x[$0] : y[$0] }, "where, \(threads) threads")
            let fused = try Kernels.addcmul(m, t, try NDArray.scalar(2, dtype: .float64), value: 0.5)
            XCTAssertEqual(fused.toDoubles(), (0..<x.count).map { y[$0] + 0.5 * x[$0] * 2 }, "addcmul, \(threads) threads")
            let filled = try Kernels.maskedFill(t, mask: condition, value: -1)
            XCTAssertEqual(filled.toDoubles(), (0..<x.count).map { c[$0] != 0 ? -1 : x[$0] }, "masked_fill, \(threads) threads")
        }
    }

    /// The unary ops given as function types (neg, abs, ... sqrt) take their
    /// own strided loop: on a transposed input, split across threads, each
    /// equals the element-by-element reference exactly.
    func testUnaryFunctionTypesOnStridedInput() throws {
        let base = try NDArray.randn([258, 262], dtype: .float64)
        let t = try base.transposed(0, 1), positive = try Kernels.unary(.abs, base).transposed(0, 1)
        let x = elements(t), p = elements(positive)
        let cases: [(UnaryOp, NDArray, [Double])] = [
            (.neg, t, x.map { -$0 }), (.abs, t, x.map { $0.magnitude }), (.sign, t, x.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }),
            (.square, t, x.map { $0 * $0 }), (.reciprocal, t, x.map { 1 / $0 }), (.floor, t, x.map { $0.rounded(.down) }),
            (.ceil, t, x.map { $0.rounded(.up) }), (.round, t, x.map { $0.rounded(.toNearestOrEven) }),
            (.sqrt, positive, p.map { $0.squareRoot() }), (.rsqrt, positive, p.map { 1 / $0.squareRoot() }),
        ]
        for threads in [1, 2, 3] {
            Parallel.setThreads(threads)
            for (op, input, expected) in cases {
                XCTAssertEqual(try Kernels.unary(op, input).toDoubles(), expected, "\(op.name), \(threads) threads")
            }
        }
    }

    func testSmallAndDegenerateShapes() throws {
        let empty = try NDArray.zeros([0, 3], dtype: .float32)
        XCTAssertEqual(try Kernels.binary(.maximum, empty, try NDArray.ones([3], dtype: .float32)).shape, [0, 3])
        XCTAssertEqual(try Kernels.where(try NDArray.zeros([1, 3], dtype: .bool), empty, empty).shape, [0, 3])
        let scalar = try NDArray.scalar(-2, dtype: .float64)
        XCTAssertEqual(try Kernels.unary(.abs, scalar).toDoubles(), [2])
        XCTAssertEqual(try Kernels.lerp(scalar, scalar, weight: scalar).shape, [])
        let ones = try NDArray.ones([1, 1, 1], dtype: .float64)
        XCTAssertEqual(try Kernels.addcdiv(ones, ones, try NDArray.full([2, 1], value: 4, dtype: .float64), value: 2).toDoubles(), [1.5, 1.5])
    }

    func testIntegerDivisionFollowsPython() throws {
        for a in Int64(-9)...9 {
            for b: Int64 in [-4, -3, -1, 1, 2, 5] {
                let floored = Int64(Glibc.floor(Double(a) / Double(b)))
                XCTAssertEqual(IntMath.floorDivide(a, b), floored, "\(a) // \(b)")
                XCTAssertEqual(IntMath.remainder(a, b), a - floored * b, "\(a) % \(b)")
                XCTAssertEqual(IntMath.truncDivide(a, b), a / b, "trunc(\(a) / \(b))")
            }
        }
        // Where C++ overflows, torch's result wraps; Swift must not trap.
        XCTAssertEqual(IntMath.floorDivide(.min, -1), .min)
        XCTAssertEqual(IntMath.truncDivide(.min, -1), .min)
        XCTAssertEqual(IntMath.remainder(.min, -1), 0)
        let minimum = try NDArray.full([2], value: -9_223_372_036_854_775_808, dtype: .int64)
        XCTAssertEqual(try Kernels.unary(.abs, minimum).toDoubles(), [-9.223372036854775808e18, -9.223372036854775808e18])
        XCTAssertEqual(try Kernels.unary(.neg, minimum).toDoubles()[0], -9.223372036854775808e18)
    }

    func testIntegerPower() {
        XCTAssertEqual(IntMath.pow(3, 4), 81)
        XCTAssertEqual(IntMath.pow(-2, 5), -32)
        XCTAssertEqual(IntMath.pow(0, 0), 1)
        var wrapped: Int64 = 1
        for _ in 0..<40 { wrapped = wrapped &* 7 }
        XCTAssertEqual(IntMath.pow(7, 40), wrapped)                 // wraps as torch's int64 pow
        XCTAssertEqual(IntMath.pow(2, -1), 0)                       // negative exponents: torch's rules
        XCTAssertEqual(IntMath.pow(1, -5), 1)
        XCTAssertEqual(IntMath.pow(-1, -3), -1)
        XCTAssertEqual(IntMath.pow(-1, -4), 1)
        XCTAssertEqual(IntMath.pow(0, -1), 0)
    }

    func testFloatingFloorDivisionAndRemainder() {
        // floor(a / b) of the exact quotient: 1 / 0.1 is 9.99...95 exactly, so floor division gives 9, as Python and torch.
        XCTAssertEqual(Double.floorDivide(1, 0.1), 9)
        XCTAssertEqual(Double.remainder(1, 0.1), Glibc.fmod(1, 0.1))
        XCTAssertEqual(Double.floorDivide(5, .infinity), 0)
        XCTAssertEqual(Double.floorDivide(-5, .infinity), -1)
        XCTAssertEqual(Double.floorDivide(0, -3).sign, .minus)          // -0.0, as torch
        XCTAssertEqual(Double.floorDivide(1, 0), .infinity)
        XCTAssertTrue(Double.floorDivide(0, 0).isNaN)
        XCTAssertEqual(Double.remainder(-5, .infinity), .infinity)
        XCTAssertEqual(Double.remainder(5.5, -2), -0.5)
        XCTAssertTrue(Double.remainder(1, 0).isNaN)
        XCTAssertTrue(Float.propagatingMaximum(.nan, 1).isNaN)
        XCTAssertTrue(Float.propagatingMinimum(1, .nan).isNaN)
        XCTAssertEqual(Double.propagatingMaximum(0, -0.0).sign, .plus)    // the first on a tie
        XCTAssertEqual(Double.signum(.nan), 0)
    }

    func testDtypeRules() throws {
        let ints = try NDArray.full([2], value: 3, dtype: .int64), mask = try NDArray.ones([2], dtype: .bool)
        XCTAssertEqual(try Kernels.unary(.tanh, ints).dtype, .float32)
        XCTAssertEqual(try Kernels.unary(.floor, ints).dtype, .int64)
        XCTAssertEqual(try Kernels.unary(.square, mask).dtype, .int64)
        XCTAssertEqual(try Kernels.unary(.sign, mask).dtype, .bool)
        XCTAssertEqual(try Kernels.unary(.clamp(min: 0.5, max: nil), ints).dtype, .float32)
        XCTAssertEqual(try Kernels.unary(.hardtanh(min: -1.5, max: 1.5), ints).toDoubles(), [1, 1])
        XCTAssertEqual(try Kernels.binary(.maximum, mask, mask).dtype, .bool)
        XCTAssertEqual(try Kernels.binary(.pow, ints, scalar: 2).dtype, .int64)
        XCTAssertEqual(try Kernels.binary(.pow, ints, scalar: 2, reversed: true).toDoubles(), [8, 8])
        XCTAssertEqual(try Kernels.compare(.lt, ints, scalar: 3.5).dtype, .bool)
        XCTAssertEqual(try Kernels.logicalNot(ints).toDoubles(), [0, 0])
        assertThrows(.dtype, ["elu", "int64"]) { try Kernels.unary(.selu, ints) }
        assertThrows(.dtype, ["pow", "bool"]) { try Kernels.binary(.pow, mask, mask) }
        assertThrows(.invalidArgument, ["division by zero"]) {
            try Kernels.binary(.remainder, ints, try NDArray.zeros([3, 1], dtype: .int64).transposed(0, 1).expanded([2, 3]).transposed(0, 1))
        }
    }
}
