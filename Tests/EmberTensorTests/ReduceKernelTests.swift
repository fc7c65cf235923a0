import EmberTensor
import EmberTestSupport
import XCTest

/// The reduction and scan kernels on their own: the layouts a reduction can
/// take (rows, interleaved columns, a strided copy), the split of long lines
/// across threads (closed-form expectations, so no fixture is needed), and
/// the helper kernels gradients are built from.
final class ReduceKernelTests: XCTestCase {
    func array(_ values: [Double], _ shape: Dims, _ dtype: DType = .float64) throws -> NDArray {
        try NDArray.copying(values, dtype: .float64, shape: [values.count]).cast(to: dtype).reshaped(shape)
    }

    /// 0, 1, ..., n-1 as float64.
    func ramp(_ n: Int) throws -> NDArray { try NDArray.arange(start: 0, end: Double(n), step: 1, dtype: .float64) }

    func testPlansAvoidCopiesWhereTheLayoutAllows() throws {
        let x = try array((0..<24).map(Double.init), [2, 3, 4])
        let trailing = try Kernels.reductionPlan(x, dims: [1, 2])
        XCTAssertFalse(trailing.columnMajor)
        XCTAssertTrue(trailing.source.sharesStorage(with: x))
        XCTAssertEqual([trailing.rows, trailing.length], [2, 12])
        let leading = try Kernels.reductionPlan(x, dims: [0])
        XCTAssertTrue(leading.columnMajor)
        XCTAssertTrue(leading.source.sharesStorage(with: x))
        XCTAssertEqual([leading.rows, leading.length], [12, 2])
        let m = try array((0..<12).map(Double.init), [3, 4])
        let transposed = try Kernels.reductionPlan(try m.transposed(0, 1), dims: [0])   // reduces m's last dim
        XCTAssertFalse(transposed.columnMajor)
        XCTAssertTrue(transposed.source.sharesStorage(with: m))
        let middle = try Kernels.reductionPlan(x, dims: [1])
        XCTAssertFalse(middle.source.sharesStorage(with: x))                          // copied, kept dims first
        XCTAssertEqual(try Kernels.sum(x, dims: [1], keepdim: false).toDoubles(), [12, 15, 18, 21, 48, 51, 54, 57])
        XCTAssertEqual(try Kernels.sum(x, dims: [0], keepdim: true).shape, [1, 3, 4])
    }

    func testLongLinesSplitAcrossThreadsMatchClosedForms() throws {
        let n = 200_001
        let x = try ramp(n)
        let mean = Double(n - 1) / 2
        XCTAssertEqual(try Kernels.sum(x, dims: [], keepdim: false).toDoubles(), [Double(n) * Double(n - 1) / 2])
        // var of 0..<n with correction 1: n (n + 1) / 12.
        assertClose(try Kernels.variance(x, dims: [], correction: 1, keepdim: false, std: false).toDoubles(),
                    [Double(n) * Double(n + 1) / 12], rtol: 1e-12)
        assertClose(try Kernels.mean(x, dims: [], keepdim: false).toDoubles(), [mean], rtol: 1e-15)
        XCTAssertEqual(try Kernels.extremum(x, largest: true).toDoubles(), [Double(n - 1)])
        XCTAssertEqual(try Kernels.norm(x, p: .infinity, dims: [], keepdim: false).toDoubles(), [Double(n - 1)])
        XCTAssertEqual(try Kernels.norm(x, p: 1, dims: [], keepdim: false).toDoubles(), [Double(n) * Double(n - 1) / 2])
        let zeros = try NDArray.zeros([n], dtype: .float32)
        assertClose(try Kernels.logsumexp(zeros, dims: [], keepdim: false).toDoubles(), [log(Double(n))], rtol: 1e-6)
        XCTAssertEqual(try Kernels.allAny(zeros, dims: [], everything: true, keepdim: false, any: true).toDoubles(), [0])
        XCTAssertEqual(try Kernels.prod(try NDArray.ones([n], dtype: .int64), dims: [], keepdim: false).toDoubles(), [1])
    }

    func testFirstIndexWinsAcrossThreadChunks() throws {
        // Ties in different halves of a long line: the earlier index is chosen;
        // a NaN anywhere wins for both max and min.
        let n = 150_000
        var values = [Double](repeating: 0, count: n)
        values[10_000] = 7
        values[140_000] = 7
        values[20_000] = -3
        values[130_000] = -3
        let x = try array(values, [n])
        XCTAssertEqual(try Kernels.argExtremum(x, dim: 0, keepdim: false, largest: true).toDoubles(), [10_000])
        XCTAssertEqual(try Kernels.argExtremum(x, dim: nil, keepdim: false, largest: false).toDoubles(), [20_000])
        values[100_000] = .nan
        let withNaN = try array(values, [n])
        XCTAssertEqual(try Kernels.extremum(withNaN, dim: 0, keepdim: false, largest: true).indices.toDoubles(), [100_000])
        XCTAssertEqual(try Kernels.argExtremum(withNaN, dim: 0, keepdim: false, largest: false).toDoubles(), [100_000])
        XCTAssertTrue(try Kernels.extremum(withNaN, largest: false).toDoubles()[0].isNaN)
        // Infinities without NaN: the vector path's NaN probe fires, the scan finds none.
        values[100_000] = 0
        values[60_000] = .infinity
        values[70_000] = -.infinity
        values[149_999] = .infinity
        let infinite = try array(values, [n])
        XCTAssertEqual(try Kernels.argExtremum(infinite, dim: 0, keepdim: false, largest: true).toDoubles(), [60_000])
        XCTAssertEqual(try Kernels.extremum(infinite, dim: 0, keepdim: false, largest: false).values.toDoubles(), [-.infinity])
        // Integer and bool lines take the plain loops.
        let ints = try array((0..<n).map { Double(($0 * 7919) % 100_003) }, [n], .int64)
        XCTAssertEqual(try Kernels.extremum(ints, dim: 0, keepdim: false, largest: true).values.toDoubles(), [100_002])
        let flags = try array((0..<n).map { $0 == 99_999 ? 1 : 0 }, [n], .bool)
        XCTAssertEqual(try Kernels.extremum(flags, dim: 0, keepdim: false, largest: true).indices.toDoubles(), [99_999])
    }

    func testManyRowsAndInterleavedColumnsInParallel() throws {
        // (60000, 3): reducing dim 0 walks interleaved columns; dim 1 many short rows.
        let rows = 60_000
        let x = try ramp(rows * 3).reshaped([rows, 3])
        let columnSums = try Kernels.sum(x, dims: [0], keepdim: false).toDoubles()
        for c in 0..<3 { XCTAssertEqual(columnSums[c], Double(3 * rows * (rows - 1) / 2 + c * rows)) }
        let (values, indices) = try Kernels.extremum(x, dim: 0, keepdim: false, largest: false)
        XCTAssertEqual(values.toDoubles(), [0, 1, 2])
        XCTAssertEqual(indices.toDoubles(), [0, 0, 0])
        let rowMax = try Kernels.amax(x, dims: [1], keepdim: false, largest: true).toDoubles()
        XCTAssertEqual(rowMax.count, rows)
        XCTAssertEqual(rowMax[rows - 1], Double(3 * rows - 1))
        let rowVar = try Kernels.variance(x, dims: [-1], correction: 1, keepdim: true, std: false)
        XCTAssertEqual(rowVar.shape, [rows, 1])
        XCTAssertTrue(rowVar.toDoubles().allSatisfy { $0 == 1 })
    }

    func testScansInEveryLayout() throws {
        let x = try array([1, 2, 3, 4, 5, 6], [2, 3])
        XCTAssertEqual(try Kernels.scan(x, dim: 1, op: .sum).toDoubles(), [1, 3, 6, 4, 9, 15])
        XCTAssertEqual(try Kernels.scan(x, dim: 0, op: .sum).toDoubles(), [1, 2, 3, 5, 7, 9])
        XCTAssertEqual(try Kernels.scan(x, dim: 1, op: .sum, reverse: true).toDoubles(), [6, 5, 3, 15, 11, 6])
        XCTAssertEqual(try Kernels.scan(x, dim: 0, op: .prod, reverse: true).toDoubles(), [4, 10, 18, 4, 5, 6])
        XCTAssertEqual(try Kernels.scan(try x.transposed(0, 1), dim: 1, op: .prod).toDoubles(), [1, 4, 2, 10, 3, 18])
        let bools = try array([1, 0, 1, 1], [4], .bool)
        let counts = try Kernels.scan(bools, dim: 0, op: .sum)
        XCTAssertEqual(counts.dtype, .int64)
        XCTAssertEqual(counts.toDoubles(), [1, 1, 2, 3])
        // A wide inner block (more than one stack block of accumulators) and a long, parallel scan.
        let wide = try NDArray.ones([3, 200], dtype: .float32)
        XCTAssertEqual(try Kernels.scan(wide, dim: 0, op: .sum).toDoubles().suffix(200), ArraySlice(repeating: 3, count: 200))
        let long = try NDArray.ones([4, 50_000], dtype: .float32)
        let scanned = try Kernels.scan(long, dim: 1, op: .sum).toDoubles()
        XCTAssertEqual(scanned[49_999], 50_000)
        XCTAssertEqual(scanned[4 * 50_000 - 1], 50_000)
        // float32 accumulates in double, as torch: 1e6 * 0.1f is 100000 to float32 precision.
        let tenths = try NDArray.full([1_000_000], value: 0.1, dtype: .float32)
        assertClose([try Kernels.scan(tenths, dim: 0, op: .sum).toDoubles().last!], [100_000], rtol: 1e-7)
    }

    func testCumprodBackwardKernelIsExactWithZeros() throws {
        // dL/dx_k = sum over i >= k of g_i * prod(x_j, j <= i, j != k), by brute force.
        let xs: [Double] = [2, 0, 3, 0, 5, 1.5]
        let gs: [Double] = [0.5, -1, 2, 0.25, 1, -2]
        var expected = [Double](repeating: 0, count: 6)
        for k in 0..<6 {
            for i in k..<6 {
                var p = gs[i]
                for j in 0...i where j != k { p *= xs[j] }
                expected[k] += p
            }
        }
        let grad = try Kernels.cumprodBackward(try array(xs, [6]), grad: try array(gs, [6]), dim: 0, reverse: false)
        assertClose(grad.toDoubles(), expected, rtol: 1e-14, atol: 1e-14)
        // Reversed: y_i = prod(x_j, j >= i), so dL/dx_k sums over i <= k.
        var reversed = [Double](repeating: 0, count: 6)
        for k in 0..<6 {
            for i in 0...k {
                var p = gs[i]
                for j in i..<6 where j != k { p *= xs[j] }
                reversed[k] += p
            }
        }
        let rgrad = try Kernels.cumprodBackward(try array(xs, [6]), grad: try array(gs, [6]), dim: 0, reverse: true)
        assertClose(rgrad.toDoubles(), reversed, rtol: 1e-14, atol: 1e-14)
    }

    func testShiftsTrianglesDiagonalsAndSelections() throws {
        let x = try array([1, 2, 3, 4, 5, 6], [2, 3])
        XCTAssertEqual(try Kernels.shifted(x, dim: 1, forward: true, fill: 1).toDoubles(), [1, 1, 2, 1, 4, 5])
        XCTAssertEqual(try Kernels.shifted(x, dim: 0, forward: false, fill: 0).toDoubles(), [4, 5, 6, 0, 0, 0])
        XCTAssertEqual(try Kernels.triangle(x, diagonal: 0, upper: false).toDoubles(), [1, 0, 0, 4, 5, 0])
        XCTAssertEqual(try Kernels.triangle(x, diagonal: -1, upper: true).toDoubles(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try Kernels.triangle(try x.transposed(0, 1), diagonal: 0, upper: true).toDoubles(), [1, 4, 0, 5, 0, 0])
        XCTAssertEqual(try Kernels.triangle(x, diagonal: .max, upper: false).toDoubles(), x.toDoubles())
        let square = try array((0..<9).map(Double.init), [3, 3])
        let diagonal = try Kernels.diagonalView(square, 0, 1)
        XCTAssertEqual(diagonal.toDoubles(), [0, 4, 8])
        XCTAssertEqual(try Kernels.embedDiagonal(diagonal, shape: [3, 3], 0, 1).toDoubles(), [0, 0, 0, 0, 4, 0, 0, 0, 8])
        let indices = try array([2, 0], [2, 1], .int64)
        let taken = try Kernels.takeSelected(x, dim: 1, indices: indices)
        XCTAssertEqual(taken.toDoubles(), [3, 4])
        XCTAssertEqual(try Kernels.placeSelected(taken, dim: 1, indices: indices, shape: [2, 3]).toDoubles(), [0, 0, 3, 4, 0, 0])
        assertThrows(.invalidArgument, ["index 3", "size 3"]) {
            try Kernels.takeSelected(x, dim: 1, indices: try self.array([3, 0], [2, 1], .int64))
        }
    }

    func testMasksForGradients() throws {
        let x = try array([1, 3, .nan, 3, -3, 0], [6])
        let peak = try NDArray.scalar(3, dtype: .float64)
        XCTAssertEqual(try Kernels.selectionMask(x, peak, nanMatches: false).toDoubles(), [0, 1, 0, 1, 0, 0])
        let nan = try NDArray.scalar(.nan, dtype: .float64)
        XCTAssertEqual(try Kernels.selectionMask(x, nan, nanMatches: true).toDoubles(), [0, 0, 1, 0, 0, 0])
        XCTAssertEqual(try Kernels.absSelectionMask(x, peak).toDoubles(), [0, 1, 1, 1, 1, 0])
        let sign = try Kernels.signValues(x).toDoubles()
        XCTAssertEqual(sign[0], 1)
        XCTAssertTrue(sign[2].isNaN)
        XCTAssertEqual(Array(sign[3...]), [1, -1, 0])
        XCTAssertEqual(try Kernels.nonzeroMask(x).toDoubles().map { $0 == 1 }, [true, true, true, true, true, false])
        XCTAssertTrue(try Kernels.containsZero(x))
        XCTAssertFalse(try Kernels.containsZero(try array([1, -2], [2])))
        assertClose(try Kernels.absPower(try array([-2, 0, 3], [3]), 1.5).toDoubles(), [2.8284271247461903, 0, 5.196152422706632], rtol: 1e-15)
    }

    func testIntegerAndBoolReductionsKeepTorchsDtypes() throws {
        let ints = try array([3, -1, 4, 1, -5, 9], [2, 3], .int64)
        XCTAssertEqual(try Kernels.prod(ints, dims: [1], keepdim: false).toDoubles(), [-12, -45])
        XCTAssertEqual(try Kernels.amax(ints, dims: [], keepdim: false, largest: true).dtype, .int64)
        XCTAssertEqual(try Kernels.extremum(ints, dim: 0, keepdim: false, largest: false).values.toDoubles(), [1, -5, 4])
        let overflow = try array([4e18, 4e18, 4e18], [3], .int64)
        XCTAssertEqual(try Kernels.sum(overflow, dims: [], keepdim: false).dtype, .int64)    // wraps, as torch
        let bools = try array([1, 0, 1, 1], [2, 2], .bool)
        XCTAssertEqual(try Kernels.prod(bools, dims: [], keepdim: false).dtype, .int64)
        XCTAssertEqual(try Kernels.amax(bools, dims: [1], keepdim: false, largest: false).dtype, .bool)
        XCTAssertEqual(try Kernels.allAny(bools, dims: [0], everything: false, keepdim: false, any: false).toDoubles(), [1, 0])
        XCTAssertEqual(try Kernels.logsumexp(ints, dims: [1], keepdim: false).dtype, .float32)
        assertThrows(.dtype, ["argmax()", "bool"]) { try Kernels.argmax(bools, dim: 0, keepdim: false) }
    }
}
