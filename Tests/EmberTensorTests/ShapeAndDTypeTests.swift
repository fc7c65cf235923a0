import EmberTensor
import EmberTestSupport
import XCTest

final class ShapeAndDTypeTests: XCTestCase {
    func testPromotionFollowsTorchResultType() {
        // torch.result_type on the same participants.
        XCTAssertEqual(promoteTypes([(.int64, .dimensioned), (.float32, .dimensioned)]), .float32)
        XCTAssertEqual(promoteTypes([(.float32, .dimensioned), (.float64, .dimensioned)]), .float64)
        // A zero-dim tensor does not raise a dimensioned one of the same kind...
        XCTAssertEqual(promoteTypes([(.float32, .dimensioned), (.float64, .zeroDim)]), .float32)
        // ...but does lift an integer one to its floating dtype.
        XCTAssertEqual(promoteTypes([(.int64, .dimensioned), (.float64, .zeroDim)]), .float64)
        XCTAssertEqual(promoteTypes([(.int64, .zeroDim), (.float64, .zeroDim)]), .float64)
        XCTAssertEqual(Kernels.scalarResultType(.mul, .int64, 2.5), .float32)
        XCTAssertEqual(Kernels.scalarResultType(.mul, .int64, 2), .int64)
        XCTAssertEqual(Kernels.scalarResultType(.mul, .float64, 2.5), .float64)
        XCTAssertEqual(Kernels.scalarResultType(.div, .int64, 2), .float32)
    }

    func testBroadcastShapes() throws {
        XCTAssertEqual(try Shapes.broadcast([3, 1, 4], [2, 4]), [3, 2, 4])
        XCTAssertEqual(try Shapes.broadcast([], [2, 3]), [2, 3])
        XCTAssertEqual(try Shapes.broadcast([5, 0], [1]), [5, 0])
        assertThrows(.shape, ["[2, 3]", "[4, 3]"]) { try Shapes.broadcast([2, 3], [4, 3]) }
    }

    func testCountRejectsNegativeAndOverflowingShapes() {
        assertThrows(.invalidArgument, ["-2"]) { try Shapes.count([3, -2]) }
        assertThrows(.outOfMemory) { try Shapes.count([1 << 40, 1 << 40]) }
        assertThrows(.outOfMemory) { try NDArray(empty: [1 << 31, 1 << 31], dtype: .float64) }
    }

    func testAbsurdAllocationIsAnErrorNotATrap() {
        // 1e15 floats: posix_memalign fails and the failure is a status.
        assertThrows(.outOfMemory, ["cannot allocate"]) { try NDArray(empty: [1_000_000_000_000_000], dtype: .float32) }
    }

    func testDimsAreInlineAndBounded() throws {
        var d: Dims = [2, 3]
        d.append(4)
        d.insert(1, at: 0)
        XCTAssertEqual(d, [1, 2, 3, 4])
        XCTAssertEqual(d.remove(at: 1), 2)
        XCTAssertEqual(d.product, 12)
        XCTAssertEqual(d.droppingLast(), [1, 3])
        XCTAssertEqual(describe(d), "[1, 3, 4]")
        XCTAssertNoThrow(try Dims(checking: Array(repeating: 1, count: Dims.capacity)))
        assertThrows(.invalidArgument, ["at most 12 dimensions", "13"]) { try Dims(checking: Array(repeating: 1, count: 13)) }
    }

    func testNormalizeDims() throws {
        XCTAssertEqual(try Shapes.normalize(-1, 3), 2)
        XCTAssertEqual(try Shapes.normalize(0, 0), 0)
        assertThrows(.invalidArgument, ["dim 3", "-3...2"]) { try Shapes.normalize(3, 3) }
        assertThrows(.invalidArgument, ["more than once"]) { try Shapes.normalize(dims: [1, -2], 3) }
    }

    func testContiguousStridesAndDescription() {
        XCTAssertEqual(Shapes.contiguousStrides([2, 3, 4]), [12, 4, 1])
        XCTAssertEqual(Shapes.contiguousStrides([]), [])
        XCTAssertEqual(describe([2, 3]), "[2, 3]")
    }

    func testIntegerConversionNeverTraps() {
        XCTAssertEqual(Int64(castFrom: Double.nan), .min)
        XCTAssertEqual(Int64(castFrom: 1e300), .min)
        XCTAssertEqual(Int64(castFrom: -2.7), -2)
        XCTAssertEqual(Int64(castFrom: Float(3.9)), 3)
    }
}
