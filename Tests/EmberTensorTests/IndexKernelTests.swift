import EmberTensor
import EmberTestSupport
import XCTest

/// The indexing and copying kernels on their own: large (multi-threaded)
/// cases against naive loops, every dtype, strided inputs, and the helpers
/// the gradients use.
final class IndexKernelTests: XCTestCase {
    override func setUp() { GlobalGenerator.manualSeed(5) }

    func array(_ values: [Double], _ shape: Dims, _ dtype: DType = .float64) throws -> NDArray {
        try NDArray.copying(values, dtype: .float64, shape: [values.count]).cast(to: dtype).reshaped(shape)
    }

    func randomIndex(_ shape: Dims, below n: Int) throws -> NDArray {
        let count = shape.product
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let values = (0..<count).map { _ -> Double in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double((state >> 33) % UInt64(n))
        }
        return try array(values, shape, .int64)
    }

    /// Row-major multi-indices of a shape.
    func positions(_ shape: Dims) -> [Dims] {
        var out: [Dims] = []
        var p = Dims(repeating: 0, count: shape.count)
        for _ in 0..<shape.product {
            out.append(p)
            var d = shape.count - 1
            while d >= 0 {
                p[d] += 1
                if p[d] < shape[d] { break }
                p[d] = 0
                d -= 1
            }
        }
        return out
    }

    func testLargeGatherAndIndexSelectMatchNaiveLoops() throws {
        // Large enough to be split across threads; x is a transposed view.
        let x = try NDArray.randn([257, 300], dtype: .float64).transposed(0, 1)      // [300, 257]
        let index = try randomIndex([300, 260], below: 257)
        let g = try Kernels.gather(x, dim: 1, index: index)
        let gv = g.toDoubles()
        for (k, p) in positions(g.shape).enumerated() where k % 7 == 0 {
            XCTAssertEqual(gv[k], x.value(at: [p[0], Int(index.value(at: p))]))
        }
        let rows = try randomIndex([400], below: 300)
        let s = try Kernels.indexSelect(x, dim: 0, index: rows)
        XCTAssertEqual(s.shape, [400, 257])
        let sv = s.toDoubles()
        for (k, p) in positions(s.shape).enumerated() where k % 5 == 0 {
            XCTAssertEqual(sv[k], x.value(at: [Int(rows.value(at: [p[0]])), p[1]]))
        }
        let cols = try randomIndex([3], below: 257)
        let c = try Kernels.indexSelect(x, dim: 1, index: cols)
        XCTAssertEqual(c.shape, [300, 3])
        XCTAssertEqual(c.value(at: [299, 2]), x.value(at: [299, Int(cols.value(at: [2]))]))
    }

    func testGatherScatterAndMasksForEveryDType() throws {
        let index = try array([2, 0, 1, 1], [2, 2], .int64)
        for dtype in DType.allCases {
            let x = try array([1, 0, 1, 1, 0, 1], [2, 3], dtype)
            XCTAssertEqual(try Kernels.gather(x, dim: 1, index: index).toDoubles(), [1, 1, 0, 0], "\(dtype)")
            XCTAssertEqual(try Kernels.gather(x, dim: 1, index: index).dtype, dtype)
            let scattered = try Kernels.scatter(x, dim: 1, index: index, value: 0)
            XCTAssertEqual(scattered.toDoubles(), [0, 0, 0, 1, 0, 1], "\(dtype)")
            let selected = try Kernels.maskedSelect(x, mask: array([1, 0, 1], [3], .bool))
            XCTAssertEqual(selected.toDoubles(), [1, 1, 1, 1], "\(dtype)")
            XCTAssertEqual(try Kernels.indexSelect(x, dim: 0, index: array([1], [1], .int64)).toDoubles(), [1, 0, 1])
            let flipped = try Kernels.flip(x, dims: [1])
            XCTAssertEqual(flipped.toDoubles(), [1, 0, 1, 1, 0, 1], "\(dtype)")
            XCTAssertEqual(try Kernels.roll(x, shifts: [1], dims: [1]).toDoubles(), [1, 1, 0, 1, 1, 0], "\(dtype)")
            XCTAssertEqual(try Kernels.repeated(x, reps: [1, 1, 2]).toDoubles(), [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1])
            XCTAssertEqual(try Kernels.padConstant(x, pads: [0, 1], value: 1).toDoubles(), [1, 0, 1, 1, 1, 0, 1, 1])
            XCTAssertEqual(try Kernels.cat([x, x], dim: 0).dtype, dtype)
        }
        // scatter_add accumulates per dtype: sums for numbers, or for bool.
        let ones = try array([1, 1, 1, 1], [2, 2], .int64)
        let sums = try Kernels.scatter(try NDArray.zeros([2, 3], dtype: .int64), dim: 1, index: array([0, 0, 2, 2], [2, 2], .int64),
                                       src: ones, accumulate: true)
        XCTAssertEqual(sums.toDoubles(), [2, 0, 0, 0, 0, 2])
        let added = try Kernels.indexAdd(try NDArray.zeros([3], dtype: .float32), dim: 0, index: array([2, 2, 0], [3], .int64),
                                         source: array([1, 2, 3], [3], .float32), alpha: 0.5)
        XCTAssertEqual(added.toDoubles(), [1.5, 0, 1.5])
    }

    func testLargeCopiesMatchNaiveLoops() throws {
        // Above copyParallel's threshold, and strided.
        let x = try NDArray.randn([64, 70, 80], dtype: .float32).transposed(0, 2)    // [80, 70, 64]
        let xv = x.toDoubles()
        let flipped = try Kernels.flip(x, dims: [0, 2])
        XCTAssertTrue(flipped.isContiguous)
        XCTAssertTrue(flipped.strides.allSatisfy { $0 > 0 })
        let fv = flipped.toDoubles()
        let rolled = try Kernels.roll(x, shifts: [3, -5], dims: [0, 1])
        let rv = rolled.toDoubles()
        for (k, p) in positions(x.shape).enumerated() where k % 11 == 0 {
            XCTAssertEqual(fv[k], x.value(at: [79 - p[0], p[1], 63 - p[2]]))
            XCTAssertEqual(rv[k], x.value(at: [(p[0] + 77) % 80, (p[1] + 5) % 70, p[2]]))
        }
        let joined = try Kernels.cat([x, x.narrowed(dim: 1, start: 3, length: 2)], dim: 1)
        XCTAssertEqual(joined.shape, [80, 72, 64])
        XCTAssertEqual(joined.value(at: [5, 71, 9]), x.value(at: [5, 4, 9]))
        XCTAssertEqual(Array(joined.toDoubles().prefix(64)), Array(xv.prefix(64)))
        let tiled = try Kernels.repeated(try x.narrowed(dim: 0, start: 0, length: 2), reps: [2, 3, 1, 2])
        XCTAssertEqual(tiled.shape, [2, 6, 70, 128])
        XCTAssertEqual(tiled.value(at: [1, 5, 69, 127]), x.value(at: [1, 69, 63]))
        XCTAssertEqual(tiled.value(at: [0, 2, 3, 64]), x.value(at: [0, 3, 0]))
        let padded = try Kernels.padConstant(x, pads: [1, 1, -2, 0], value: 9)
        XCTAssertEqual(padded.shape, [80, 68, 66])
        XCTAssertEqual(padded.value(at: [7, 0, 0]), 9)
        XCTAssertEqual(padded.value(at: [7, 0, 1]), x.value(at: [7, 2, 0]))
    }

    func testPadSourceIndicesFollowTorch() throws {
        // torch: F.pad(arange(4), ...) along the last dim.
        func map(_ before: Int, _ after: Int, _ mode: Kernels.PadMode) throws -> [Double] {
            try Kernels.padSourceIndices(size: 4, before: before, after: after, mode: mode).toDoubles()
        }
        XCTAssertEqual(try map(3, 2, .reflect), [3, 2, 1, 0, 1, 2, 3, 2, 1])
        XCTAssertEqual(try map(-1, 2, .reflect), [1, 2, 3, 2, 1])
        XCTAssertEqual(try map(2, 3, .replicate), [0, 0, 0, 1, 2, 3, 3, 3, 3])
        XCTAssertEqual(try map(-2, 1, .replicate), [2, 3, 3])
        XCTAssertEqual(try map(2, 4, .circular), [2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
        XCTAssertEqual(try map(-1, 1, .circular), [1, 2, 3, 1])   // wraps within what is left after cropping
    }

    func testIndexPositionsAreLogicalForStridedIndices() throws {
        let index = try array([0, 1, 2, 9, 1, 0], [2, 3], .int64).transposed(0, 1)   // [[0, 9], [1, 1], [2, 0]]
        assertThrows(.invalidArgument, ["index 9", "position [0, 1]", "size 4"]) {
            try Kernels.checkIndexValues(index, size: 4, dim: 1, "test")
        }
        try Kernels.checkIndexValues(index, size: 10, dim: 1, "test")
    }

    func testGradientHelpers() throws {
        let g = try array([1, 2, 3, 4], [2, 2])
        let embedded = try Kernels.sliceScatterZeros(g, shape: [2, 5], dim: 1, start: 1, step: 3)
        XCTAssertEqual(embedded.toDoubles(), [0, 1, 0, 0, 2, 0, 3, 0, 0, 4])
        assertThrows(.internal, ["does not fit"]) { try Kernels.sliceScatterZeros(g, shape: [2, 4], dim: 1, start: 1, step: 3) }
        assertThrows(.internal, ["does not fit"]) { try Kernels.sliceScatterZeros(g, shape: [3, 5], dim: 1, start: 0, step: 1) }
        let mask = try array([1, 0, 1], [3], .bool)
        let back = try Kernels.maskedScatterZeros(shape: [2, 3], mask: mask, values: array([5, 6, 7, 8], [4]))
        XCTAssertEqual(back.toDoubles(), [5, 0, 6, 7, 0, 8])
        XCTAssertEqual(try Kernels.maskedSelect(back, mask: mask).toDoubles(), [5, 6, 7, 8])
        assertThrows(.shape, ["at least 4 values", "got 3"]) {
            try Kernels.maskedScatterZeros(shape: [2, 3], mask: mask, values: array([5, 6, 7], [3]))
        }
        assertThrows(.shape, ["does not broadcast"]) { try Kernels.maskedScatterZeros(shape: [3], mask: array([1, 0, 1, 1], [2, 2], .bool), values: g) }
    }
}
