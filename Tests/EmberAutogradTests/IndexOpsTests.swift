import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// index_select, gather, take_along_dim, scatter, scatter_add, index_add and
/// masked_select: forward and gradient against torch for every dtype,
/// gradchecks (first and second order) and bad input, which must be rejected
/// before anything is written.
final class IndexOpsTests: XCTestCase {
    override func setUp() { GlobalGenerator.manualSeed(47) }

    func leaf(_ shape: Dims) throws -> Tensor { try Tensor.randn(shape, dtype: .float64, requiresGrad: true) }
    func index(_ values: [Double], _ shape: Dims? = nil) throws -> Tensor { try Tensor.from(values, shape: shape, dtype: .int64) }
    func mask(_ values: [Double], _ shape: Dims? = nil) throws -> Tensor { try Tensor.from(values, shape: shape, dtype: .bool) }

    static let ops: [String: ShapeFixture.Op] = [
        "index_select_dim0": { try $0[0].indexSelect(dim: 0, index: $0[1]) },
        "index_select_dim1": { try $0[0].indexSelect(dim: 1, index: $0[1]) },
        "index_select_transposed": { try $0[0].transpose(0, 1).indexSelect(dim: -1, index: $0[1]) },
        "index_select_0dim_index": { try $0[0].indexSelect(dim: 1, index: $0[1]) },
        "index_select_empty_index": { try $0[0].indexSelect(dim: 0, index: $0[1]) },
        "index_select_0dim_input": { try $0[0].indexSelect(dim: 0, index: $0[1]) },
        "gather_dim0": { try $0[0].gather(dim: 0, index: $0[1]) },
        "gather_dim1_smaller": { try $0[0].gather(dim: 1, index: $0[1]) },
        "gather_negative_dim_3d": { try $0[0].gather(dim: -1, index: $0[1]) },
        "gather_transposed": { try $0[0].transpose(0, 1).gather(dim: 0, index: $0[1]) },
        "gather_0dim": { try $0[0].gather(dim: 0, index: $0[1]) },
        "gather_empty_index": { try $0[0].gather(dim: 1, index: $0[1]) },
        "take_along_dim": { try $0[0].takeAlongDim($0[1], dim: 1) },
        "take_along_dim_broadcast": { try $0[0].takeAlongDim($0[1], dim: 2) },
        "take_along_dim_flat": { try $0[0].takeAlongDim($0[1]) },
        "scatter": { try $0[0].scatter(dim: 1, index: $0[1], src: $0[2]) },
        "scatter_dim0_transposed_src": { try $0[0].scatter(dim: 0, index: $0[1], src: $0[2].transpose(0, 1)) },
        "scatter_add": { try $0[0].scatterAdd(dim: 1, index: $0[1], src: $0[2]) },
        "scatter_add_dim0": { try $0[0].scatterAdd(dim: 0, index: $0[1], src: $0[2]) },
        "index_add": { try $0[0].indexAdd(dim: 0, index: $0[1], source: $0[2]) },
        "index_add_dim1": { try $0[0].indexAdd(dim: 1, index: $0[1], source: $0[2]) },
        "masked_select": { try $0[0].maskedSelect($0[1].to(.bool)) },
        "masked_select_input_broadcast": { try $0[0].maskedSelect($0[1].to(.bool)) },
        "masked_select_transposed": { try $0[0].transpose(0, 1).maskedSelect($0[1].to(.bool)) },
    ]

    // MARK: - Against torch

    func testMatchTorchForEveryDType() throws {
        for (name, op) in Self.ops { try ShapeFixture.checkEveryDType(name, op) }
    }

    func testFloatOnlyAndSpecialCasesMatchTorch() throws {
        try ShapeFixture.checkFloat("scatter_value") { try $0[0].scatter(dim: 1, index: $0[1], value: 2.5) }
        try ShapeFixture.checkFloat("index_add_alpha") { try $0[0].indexAdd(dim: 0, index: $0[1], source: $0[2], alpha: -2.5) }
        try ShapeFixture.checkFloat("index_add_0dim") { try $0[0].indexAdd(dim: 0, index: $0[1], source: $0[2], alpha: 3) }
        try ShapeFixture.checkFloat("masked_select_0dim") { try $0[0].maskedSelect($0[1].to(.bool)) }
        // Adding bools is a logical or; an int64 tensor truncates alpha and a fractional value.
        try checkAgainstTorch("shape", "scatter_add_bool_or", rtol: 0, atol: 0) {
            try $0[0].to(.bool).scatterAdd(dim: 1, index: $0[1], src: $0[2].to(.bool)).to(.int64)
        }
        try checkAgainstTorch("shape", "index_add_bool_or", rtol: 0, atol: 0) {
            try $0[0].to(.bool).indexAdd(dim: 0, index: $0[1], source: $0[2].to(.bool)).to(.int64)
        }
        try checkAgainstTorch("shape", "index_add_int64_alpha", rtol: 0, atol: 0) {
            try $0[0].indexAdd(dim: 1, index: $0[1], source: $0[2], alpha: 2.5)
        }
        try checkAgainstTorch("shape", "scatter_value_int64_fraction", rtol: 0, atol: 0) { try $0[0].scatter(dim: 0, index: $0[1], value: -2.75) }
    }

    // MARK: - Gradchecks

    func testGradcheckReading() throws {
        let x = try leaf([3, 4, 2])
        let i1 = try index([2, 0, 2, 1, 1]), gi = try index([1, 0, 3, 3, 2, 0, 0, 1, 2, 3, 1, 1], [3, 2, 2])
        let flat = try index([23, 0, 5, 5], [2, 2]), m1 = try mask([1, 0], [2]), m2 = try mask([1, 0, 1, 1, 0, 0, 1, 1], [2, 1, 4])
        let cases: [(String, (Tensor) throws -> Tensor)] = [
            ("index_select", { try $0.indexSelect(dim: 0, index: i1) }),
            ("index_select dim -1 of transpose", { try $0.transpose(0, 2).indexSelect(dim: -1, index: i1) }),
            ("gather", { try $0.gather(dim: 1, index: gi) }),
            ("gather broadcast index", { try $0.gather(dim: 1, index: gi.narrow(dim: 0, start: 0, length: 1).expand([3, 2, 2])) }),
            ("take_along_dim", { try $0.takeAlongDim(gi.narrow(dim: 2, start: 0, length: 1), dim: 1) }),
            ("take_along_dim flat", { try $0.takeAlongDim(flat) }),
            ("masked_select", { try $0.maskedSelect(m1) }),
            ("masked_select broadcast input", { try $0.select(dim: 2, index: 0).maskedSelect(m2) }),
        ]
        for (name, f) in cases {
            try gradcheck([x], name) { try f($0[0]) }
            try ShapeFixture.checkSecondOrder(x, name, f)
        }
    }

    func testGradcheckWriting() throws {
        let x = try leaf([3, 4]), s = try leaf([2, 4]), big = try leaf([3, 5])
        let si = try index([0, 2, 1, 0, 1, 1, 2, 2], [2, 4])          // repeats down columns
        let unique = try index([2, 0, 1, 1, 0, 2, 0, 0], [2, 4])      // distinct per column: scatter is deterministic
        try gradcheck([x, s], "scatter") { try $0[0].scatter(dim: 0, index: unique, src: $0[1]) }
        try gradcheck([x, big], "scatter with a larger src") { try $0[0].scatter(dim: 0, index: unique, src: $0[1]) }
        try gradcheck([x], "scatter value") { try $0[0].scatter(dim: 1, index: unique.narrow(dim: 1, start: 0, length: 3).transpose(0, 1), value: -1) }
        try gradcheck([x, s], "scatter_add") { try $0[0].scatterAdd(dim: 0, index: si, src: $0[1]) }
        try gradcheck([x, big], "scatter_add with a larger src") { try $0[0].scatterAdd(dim: 0, index: si, src: $0[1]) }
        let src = try leaf([3, 3])
        try gradcheck([x, src], "index_add") { try $0[0].indexAdd(dim: 1, index: index([3, 0, 3]), source: $0[1], alpha: 0.5) }
        // Second order: the gradient of each is built from the others.
        try ShapeFixture.checkSecondOrder(x, "scatter") { try $0.scatter(dim: 0, index: unique, src: $0.narrow(dim: 0, start: 1, length: 2)) }
        try ShapeFixture.checkSecondOrder(x, "scatter_add") { try $0.mul($0).scatterAdd(dim: 0, index: si, src: $0.narrow(dim: 0, start: 0, length: 2)) }
        try ShapeFixture.checkSecondOrder(x, "index_add") { try $0.indexAdd(dim: 0, index: index([2, 2, 0]), source: $0.flip([0]), alpha: -2) }
        try ShapeFixture.checkSecondOrder(src, "scatter_add into zeros") {
            try Tensor.zeros([4, 3], dtype: .float64).scatterAdd(dim: 0, index: index([3, 3, 0], [1, 3]), src: $0.narrow(dim: 0, start: 0, length: 1))
        }
    }

    func testEmptyIndexGivesZeroGradient() throws {
        let x = try leaf([2, 3]), s = try leaf([2, 3])
        let y = try x.scatter(dim: 1, index: index([], [0]), src: s)
        XCTAssertEqual(y.toDoubles(), x.toDoubles())
        try y.sum().backward()
        XCTAssertEqual(x.grad?.toDoubles(), [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(s.grad?.toDoubles(), [0, 0, 0, 0, 0, 0])
    }

    func testResultsAreCopies() throws {
        let x = try Tensor.arange(0, 6, dtype: .float64).reshape([2, 3]), i = try index([0, 1])
        let results = [try x.indexSelect(dim: 1, index: i), try x.gather(dim: 1, index: i.unsqueeze(0)),
                       try x.scatter(dim: 1, index: i.unsqueeze(0), value: 7), try x.maskedSelect(mask([1, 1, 1])),
                       try x.takeAlongDim(i.unsqueeze(0), dim: 1), try x.indexAdd(dim: 0, index: index([0]), source: x.narrow(dim: 0, start: 0, length: 1))]
        for r in results { XCTAssertFalse(r.array.sharesStorage(with: x.array)) }
        XCTAssertEqual(x.toDoubles(), [0, 1, 2, 3, 4, 5])   // inputs untouched
    }

    // MARK: - Bad input

    func testIndexDTypeErrors() throws {
        let x = try Tensor.zeros([2, 3]), f = try Tensor.from([0, 1], dtype: .float32)
        assertThrows(.dtype, ["index_select", "int64", "float32"]) { try x.indexSelect(dim: 1, index: f) }
        assertThrows(.dtype, ["gather", "int64", "float32"]) { try x.gather(dim: 1, index: f.unsqueeze(0)) }
        assertThrows(.dtype, ["scatter", "int64"]) { try x.scatter(dim: 1, index: f.unsqueeze(0), value: 1) }
        assertThrows(.dtype, ["scatter_add", "int64"]) { try x.scatterAdd(dim: 1, index: f.unsqueeze(0), src: x) }
        assertThrows(.dtype, ["index_add", "int64", "bool"]) { try x.indexAdd(dim: 1, index: f.to(.bool), source: x) }
        assertThrows(.dtype, ["take_along_dim", "int64 for indices"]) { try x.takeAlongDim(f.unsqueeze(0), dim: 1) }
        assertThrows(.dtype, ["masked_select", "bool mask", "int64"]) { try x.maskedSelect(Tensor.from([1, 0, 1], dtype: .int64)) }
        assertThrows(.dtype, ["scatter", "float32 and float64"]) { try x.scatter(dim: 1, index: index([0], [1, 1]), src: Tensor.zeros([1, 1], dtype: .float64)) }
        assertThrows(.dtype, ["index_add", "float32", "int64"]) { try x.indexAdd(dim: 1, index: index([0]), source: Tensor.zeros([2, 1], dtype: .int64)) }
    }

    func testIndexValuesAreCheckedBeforeWriting() throws {
        let x = try Tensor.from([1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 4], dtype: .float64)
        assertThrows(.invalidArgument, ["gather: index 7 is out of bounds for dimension 1 with size 4", "position [0, 1]"]) {
            try x.gather(dim: 1, index: index([0, 7, 1, 1], [2, 2]))
        }
        assertThrows(.invalidArgument, ["gather: index -1 is out of bounds", "position [1, 0]"]) { try x.gather(dim: 1, index: index([0, 1, -1, 1], [2, 2])) }
        assertThrows(.invalidArgument, ["index_select: index 2 is out of bounds for dimension 0 with size 2", "position [2]"]) {
            try x.indexSelect(dim: 0, index: index([1, 0, 2]))
        }
        assertThrows(.invalidArgument, ["index_select: index -1", "position []"]) { try x.indexSelect(dim: 1, index: Tensor.scalar(-1, dtype: .int64)) }
        // A bad index in the last position: nothing is written (the input and its version are untouched).
        let before = x.array.storage.version
        assertThrows(.invalidArgument, ["scatter_add: index 4", "position [1, 1]"]) {
            try x.scatterAdd(dim: 1, index: index([0, 1, 2, 4], [2, 2]), src: x)
        }
        assertThrows(.invalidArgument, ["scatter: index 9"]) { try x.scatter(dim: 1, index: index([9], [1, 1]), value: 0) }
        assertThrows(.invalidArgument, ["index_add: index 2 is out of bounds for dimension 0 with size 2"]) {
            try x.indexAdd(dim: 0, index: index([0, 2]), source: x)
        }
        assertThrows(.invalidArgument, ["gather: index 4", "dimension 1 with size 4"]) { try x.takeAlongDim(index([4], [1, 1]), dim: 1) }
        assertThrows(.invalidArgument, ["gather: index -3"]) { try x.takeAlongDim(index([-3])) }
        XCTAssertEqual(x.array.storage.version, before)
        XCTAssertEqual(x.toDoubles(), [1, 2, 3, 4, 5, 6, 7, 8])
        // Every dtype is checked the same way.
        assertThrows(.invalidArgument, ["index 5"]) { try x.to(.bool).gather(dim: 1, index: index([5], [1, 1])) }
        assertThrows(.invalidArgument, ["index 8"]) { try x.to(.int64).indexSelect(dim: 1, index: index([8])) }
    }

    func testShapeErrors() throws {
        let x = try Tensor.zeros([2, 3])
        assertThrows(.shape, ["index is supposed to be a vector", "[1, 2]"]) { try x.indexSelect(dim: 1, index: index([0, 1], [1, 2])) }
        assertThrows(.shape, ["only 1 value, got 2"]) { try Tensor.scalar(1).indexSelect(dim: 0, index: index([0, 0])) }
        assertThrows(.invalidArgument, ["dim 2 is out of range"]) { try x.indexSelect(dim: 2, index: index([0])) }
        assertThrows(.shape, ["same number of dimensions", "[2]", "[2, 3]"]) { try x.gather(dim: 1, index: index([0, 1])) }
        assertThrows(.shape, ["gather: size does not match at dimension 1", "[1, 4]", "[2, 3]", "apart from dimension 0"]) {
            try x.gather(dim: 0, index: index([0, 1, 1, 1], [1, 4]))
        }
        assertThrows(.shape, ["expected index [1, 2] to be no larger than self [2, 3] apart from dimension 1", "src [1, 1]"]) {
            try x.scatter(dim: 1, index: index([0, 1], [1, 2]), src: Tensor.zeros([1, 1]))
        }
        assertThrows(.shape, ["scatter_add", "same number of dimensions"]) { try x.scatterAdd(dim: 1, index: index([0], [1, 1]), src: Tensor.zeros([1])) }
        assertThrows(.shape, ["number of indices (2) should be equal to source.size(dim) (3)"]) {
            try x.indexAdd(dim: 1, index: index([0, 1]), source: Tensor.zeros([2, 3]))
        }
        assertThrows(.shape, ["must match self tensor shape", "[2, 3]", "[1, 2]"]) { try x.indexAdd(dim: 0, index: index([0]), source: Tensor.zeros([1, 2])) }
        assertThrows(.shape, ["index is supposed to be a vector"]) { try x.indexAdd(dim: 0, index: index([0], [1, 1]), source: Tensor.zeros([1, 3])) }
        assertThrows(.invalidArgument, ["alpha", "int64"]) {
            try x.to(.int64).indexAdd(dim: 0, index: index([0]), source: Tensor.zeros([1, 3], dtype: .int64), alpha: .infinity)
        }
        assertThrows(.shape, ["cannot be broadcast", "[2, 3]", "[2]"]) { try x.maskedSelect(mask([1, 0])) }
        assertThrows(.shape, ["take_along_dim", "same number of dimensions", "[2, 3]", "[3]"]) { try x.takeAlongDim(index([0, 1, 2]), dim: 0) }
        assertThrows(.shape, ["take_along_dim", "do not broadcast"]) { try x.takeAlongDim(index([0, 0, 0, 0, 0, 0], [3, 2]), dim: 1) }
        assertThrows(.invalidArgument, ["no dimensions"]) { try Tensor.scalar(1).takeAlongDim(Tensor.scalar(0, dtype: .int64), dim: 0) }
    }
}
