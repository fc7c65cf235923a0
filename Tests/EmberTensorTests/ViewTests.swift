import EmberTensor
import EmberTestSupport
import XCTest

final class ViewTests: XCTestCase {
    func arange(_ n: Int, _ shape: Dims) throws -> NDArray {
        try NDArray.arange(start: 0, end: Double(n), step: 1, dtype: .float32).reshaped(shape)
    }

    func testReshapeOfContiguousIsAView() throws {
        let a = try arange(12, [3, 4])
        let b = try a.reshaped([2, -1])
        XCTAssertTrue(b.sharesStorage(with: a))
        XCTAssertEqual(b.shape, [2, 6])
        XCTAssertEqual(b.toDoubles(), (0..<12).map(Double.init))
    }

    func testTransposePermuteExpandShareStorage() throws {
        let a = try arange(24, [2, 3, 4])
        let t = try a.transposed(0, 2)
        XCTAssertTrue(t.sharesStorage(with: a))
        XCTAssertEqual(t.shape, [4, 3, 2])
        XCTAssertEqual(t.strides, [1, 4, 12])
        XCTAssertFalse(t.isContiguous)
        XCTAssertEqual(t.value(at: [3, 1, 1]), 12 + 4 + 3)

        let p = try a.permuted([1, 2, 0])
        XCTAssertEqual(p.shape, [3, 4, 2])
        XCTAssertEqual(p.strides, [4, 1, 12])

        let column = try arange(3, [3, 1])
        let e = try column.expanded([2, 3, 5])
        XCTAssertTrue(e.sharesStorage(with: column))
        XCTAssertEqual(e.strides, [0, 1, 0])
        XCTAssertEqual(e.toDoubles(), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
        XCTAssertTrue(e.hasInternalOverlap)
    }

    /// Shape and strides of up to `NDArray.inlineRank` dimensions are kept in
    /// the value, more in a shared `WideLayout`: every rank reads back what
    /// it was given, and views crossing the boundary (rank 5 <-> 6) keep
    /// their elements. The value stays small enough to be copied inline.
    func testLayoutsOfEveryRankAcrossTheInlineBoundary() throws {
        XCTAssertLessThanOrEqual(MemoryLayout<NDArray>.size, 128)
        for rank in 0...Dims.capacity {
            let shape = Dims((0..<rank).map { $0 % 3 + 1 })  // 1, 2, 3, 1, 2, 3, ...
            let a = try NDArray(empty: shape, dtype: .float64)
            XCTAssertEqual(a.ndim, rank)
            XCTAssertEqual(a.shape, shape, "rank \(rank)")
            XCTAssertEqual(a.strides, Shapes.contiguousStrides(shape), "rank \(rank)")
            XCTAssertEqual(a.count, shape.product)
            XCTAssertTrue(a.isContiguous)
            let copy = a
            XCTAssertEqual(copy.shape, shape)
        }
        // 720 elements as rank 6 (wide), permuted, then down to rank 5 (inline) and back up.
        let a = try arange(720, [2, 3, 4, 5, 3, 2])
        let p = try a.permuted([5, 4, 3, 2, 1, 0])
        XCTAssertEqual(p.shape, [2, 3, 5, 4, 3, 2])
        XCTAssertEqual(p.strides, [1, 2, 6, 30, 120, 360])
        XCTAssertFalse(p.isContiguous)
        let expected: Double = 1 + 4 + 24 + 90 + 240 + 360  // index . strides
        XCTAssertEqual(p.value(at: [1, 2, 4, 3, 2, 1]), expected)
        let five = try p.contiguous().reshaped([6, 5, 4, 3, 2])
        XCTAssertEqual(five.shape, [6, 5, 4, 3, 2])
        XCTAssertEqual(five.strides, [120, 24, 6, 2, 1])
        let six = try five.transposed(0, 4).reshaped([2, 3, 4, 5, 6, 1])
        XCTAssertEqual(six.shape, [2, 3, 4, 5, 6, 1])
        XCTAssertEqual(six.toDoubles(), try five.transposed(0, 4).contiguous().toDoubles())
        XCTAssertEqual(five.toDoubles(), p.toDoubles())
        // Element (i, 0, 0, 0, j) of the transpose is element (j, 0, 0, 0, i) of `five`.
        let t = try five.transposed(0, 4)
        XCTAssertEqual(t.value(at: [1, 0, 0, 0, 5]), five.value(at: [5, 0, 0, 0, 1]))
    }

    func testReshapeOfTransposedCopiesWhenItMust() throws {
        let a = try arange(6, [2, 3])
        let t = try a.transposed(0, 1)          // [[0, 3], [1, 4], [2, 5]]
        XCTAssertNil(t.viewIfPossible([6]))     // torch: view() fails here, reshape() copies
        let flat = try t.reshaped([6])
        XCTAssertFalse(flat.sharesStorage(with: a))
        XCTAssertEqual(flat.toDoubles(), [0, 3, 1, 4, 2, 5])
        // Splitting a dimension of a transposed tensor is still a view.
        let wide = try arange(24, [4, 6]).transposed(0, 1)   // [6, 4]
        XCTAssertNotNil(wide.viewIfPossible([2, 3, 4]))
    }

    func testViewErrors() throws {
        let a = try arange(6, [2, 3])
        assertThrows(.shape, ["[4, 2]", "6"]) { try a.reshaped([4, 2]) }
        assertThrows(.invalidArgument, ["only one dimension"]) { try a.reshaped([-1, -1]) }
        assertThrows(.shape, ["expanded size 4", "existing size 3"]) { try a.expanded([2, 4]) }
        assertThrows(.invalidArgument, ["dim1 5"]) { try a.transposed(0, 5) }
        assertThrows(.invalidArgument, ["number of dims"]) { try a.permuted([0]) }
    }

    func testUnsqueezeSqueeze() throws {
        let a = try arange(6, [2, 3])
        let u = try a.unsqueezed(1)
        XCTAssertEqual(u.shape, [2, 1, 3])
        XCTAssertEqual(try u.squeezed(1).shape, [2, 3])
        XCTAssertEqual(try a.squeezed(0).shape, [2, 3])   // size 2: unchanged
        XCTAssertEqual(try a.unsqueezed(-1).shape, [2, 3, 1])
    }

    func testContiguousCopyAndCast() throws {
        let t = try arange(6, [2, 3]).transposed(0, 1)
        let c = try t.contiguous()
        XCTAssertTrue(c.isContiguous)
        XCTAssertEqual(c.toDoubles(), [0, 3, 1, 4, 2, 5])
        let i = try NDArray.full([3], value: -2.75, dtype: .float64).cast(to: .int64)
        XCTAssertEqual(i.toDoubles(), [-2, -2, -2])
    }

    /// A permuted copy big enough to be split across threads (the heads of
    /// attention: (B, T, H, D) -> (B, H, T, D)) against the index formula, and
    /// the row walk over any sub-range of rows against the whole walk.
    func testLargePermutedCopyAndRowRanges() throws {
        let (b, t, h, d) = (4, 128, 4, 33)   // 2,048 rows of 33: two threads
        let x = try arange(b * t * h * d, [b, t, h, d])
        let p = try x.permuted([0, 2, 1, 3])
        let c = try p.contiguous().toDoubles()
        var expected: [Double] = []
        for i in 0..<b { for j in 0..<h { for k in 0..<t { for l in 0..<d { expected.append(Double(((i * t + k) * h + j) * d + l)) } } } }
        XCTAssertEqual(c, expected)
        let layout = StridedLayout(shape: p.shape, p.strides)
        var whole: [Int] = []
        layout.forEachRow { _, o, _, _ in whole.append(o) }
        XCTAssertEqual(whole.count, layout.rowCount)
        for (lo, hi) in [(0, 1), (5, 77), (63, 64), (100, layout.rowCount), (17, 17)] {
            var part: [Int] = []
            layout.forEachRow(in: lo..<hi) { _, o, _, _ in part.append(o) }
            XCTAssertEqual(part, Array(whole[lo..<hi]), "rows \(lo)..<\(hi)")
        }
    }
}
