import CEmber
@testable import Ember
import EmberTestSupport
import XCTest

/// ember/shape.h through the C API, exactly as a C program calls it: every
/// function's values, views that share storage, the variable-count results of
/// split and chunk, gradients, and bad input (a status, a message, NULL outs,
/// no handle leaked).
final class ShapeAPITests: XCTestCase {
    var liveBefore = 0
    override func setUp() { liveBefore = Handles.tensors.liveCount }
    override func tearDown() { XCTAssertEqual(Handles.tensors.liveCount, liveBefore, "tensor handles leaked") }

    /// 0 ..< n as float64, shaped.
    func range(_ n: Int, _ shape: [Int64]) -> OpaquePointer { C.tensor((0..<n).map(Double.init), shape) }

    func mask(_ values: [Bool], _ shape: [Int64]) -> OpaquePointer {
        var out: OpaquePointer?
        C.ok(ember_tensor_from_data(values, EMBER_BOOL, shape, Int64(shape.count), &out))
        return out!
    }

    /// Runs a one-result op, checks shape and values, frees the result.
    func check(_ what: String, _ shape: [Int64], _ values: [Double], file: StaticString = #filePath, line: UInt = #line,
               _ op: (UnsafeMutablePointer<OpaquePointer?>) -> ember_status) {
        var out: OpaquePointer?
        C.ok(op(&out), what, file: file, line: line)
        XCTAssertEqual(C.shape(out), shape, what, file: file, line: line)
        XCTAssertEqual(C.values(out), values, what, file: file, line: line)
        ember_tensor_free(out)
    }

    func testViews() {
        let x = range(12, [2, 3, 2])
        check("view", [3, 4], (0..<12).map(Double.init)) { ember_view(x, [3, -1], 2, $0) }
        check("flatten", [2, 6], (0..<12).map(Double.init)) { ember_flatten(x, 1, -1, $0) }
        check("unflatten", [2, 3, 2, 1], (0..<12).map(Double.init)) { ember_unflatten(x, -1, [-1, 1], 2, $0) }
        check("unsqueeze", [2, 1, 3, 2], (0..<12).map(Double.init)) { ember_unsqueeze(x, 1, $0) }
        check("movedim", [3, 2, 2], [0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11]) { ember_movedim(x, [0], 1, [1], 1, $0) }
        check("narrow", [2, 1, 2], [4, 5, 10, 11]) { ember_narrow(x, 1, -1, 1, $0) }
        check("slice to the end", [2, 2, 2], [2, 3, 4, 5, 8, 9, 10, 11]) { ember_slice(x, 1, 1, Int64.max, 1, $0) }   // EMBER_END (INT64_MAX) is not imported into Swift
        check("slice with step", [2, 2, 2], [0, 1, 4, 5, 6, 7, 10, 11]) { ember_slice(x, 1, -3, 100, 2, $0) }
        check("select", [2, 3], [1, 3, 5, 7, 9, 11]) { ember_select(x, -1, 1, $0) }
        let column = range(3, [3, 1])
        check("broadcast_to", [2, 3, 2], [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]) { ember_broadcast_to(column, [2, 3, 2], 3, $0) }
        check("expand_as", [2, 3, 2], [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]) { ember_expand_as(column, x, $0) }
        let ones = range(2, [1, 2, 1])
        check("squeeze", [2], [0, 1]) { ember_squeeze(ones, $0) }
        check("squeeze_dim", [2, 1], [0, 1]) { ember_squeeze_dim(ones, 0, $0) }
        check("squeeze_dim of a size-2 dim", [1, 2, 1], [0, 1]) { ember_squeeze_dim(ones, 1, $0) }
        check("squeeze_dims", [1, 2], [0, 1]) { ember_squeeze_dims(ones, [2, 1], 2, $0) }
        for t in [x, column, ones] { ember_tensor_free(t) }
    }

    func testViewsShareStorageThroughTheCAPI() {
        let x = range(6, [2, 3])
        var column: OpaquePointer?, transposed: OpaquePointer?, flat: OpaquePointer?
        C.ok(ember_select(x, 1, 2, &column))
        C.ok(ember_tensor_copy_from(column, [Double(-1), -2], 16))          // writes x[:, 2]
        XCTAssertEqual(C.values(x), [0, 1, -1, 3, 4, -2])
        C.ok(ember_transpose(x, 0, 1, &transposed))
        XCTAssertFalse(ember_tensor_is_contiguous(transposed))
        C.fails(ember_view(transposed, [6], 1, &flat), EMBER_ERR_SHAPE, ["ember_view", "view size is not compatible", "reshape"])
        XCTAssertNil(flat)
        C.ok(ember_flatten(transposed, 0, -1, &flat))                         // flatten copies here, as torch
        C.ok(ember_tensor_copy_from(flat, [Double](repeating: 9, count: 6), 48))
        XCTAssertEqual(C.values(x), [0, 1, -1, 3, 4, -2])
        for t in [x, column, transposed, flat] { ember_tensor_free(t) }
    }

    func testIndexing() {
        let x = range(6, [2, 3])
        let rows = C.tensor([Int64(1), 1, 0], [3]), cols = C.tensor([Int64(2), 0, 1, 1], [2, 2])
        check("index_select", [3, 3], [3, 4, 5, 3, 4, 5, 0, 1, 2]) { ember_index_select(x, 0, rows, $0) }
        check("gather", [2, 2], [2, 0, 4, 4]) { ember_gather(x, 1, cols, $0) }
        check("take_along_dim", [2, 2], [2, 0, 4, 4]) { ember_take_along_dim(x, cols, -1, $0) }
        check("take_along_dim_flat", [4], [2, 0, 1, 1]) { ember_take_along_dim_flat(x, cols, $0) }
        let src = C.tensor([10.0, 20, 30, 40], [2, 2])
        check("scatter", [2, 3], [20, 1, 10, 3, 40, 5]) { ember_scatter(x, 1, cols, src, $0) }
        check("scatter_value", [2, 3], [-1, 1, -1, 3, -1, 5]) { ember_scatter_value(x, 1, cols, -1, $0) }
        check("scatter_add", [2, 3], [20, 1, 12, 3, 74, 5]) { ember_scatter_add(x, 1, cols, src, $0) }
        let source = C.tensor([1.0, 1, 1, 2, 2, 2, 3, 3, 3], [3, 3])
        check("index_add", [2, 3], [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]) { ember_index_add(x, 0, rows, source, 0.5, $0) }
        let m = mask([true, false, true], [3])
        check("masked_select", [4], [0, 2, 3, 5]) { ember_masked_select(x, m, $0) }
        for t in [x, rows, cols, src, source, m] { ember_tensor_free(t) }
    }

    func testJoiningReorderingTilingPadding() {
        let a = range(4, [2, 2]), b = C.tensor([Float(7), 8], [2, 1])
        check("cat (promoted)", [2, 3], [0, 1, 7, 2, 3, 8]) { ember_cat([a, b], 2, 1, $0) }
        var out: OpaquePointer?
        C.ok(ember_cat([a, b], 2, -1, &out))
        XCTAssertEqual(ember_tensor_dtype(out), EMBER_FLOAT64)
        ember_tensor_free(out)
        check("stack", [2, 2, 2], [0, 0, 1, 1, 2, 2, 3, 3]) { ember_stack([a, a], 2, -1, $0) }
        check("flip", [2, 2], [3, 2, 1, 0]) { ember_flip(a, [0, 1], 2, $0) }
        check("roll", [2, 2], [2, 3, 0, 1]) { ember_roll(a, [1], 1, [0], 1, $0) }
        check("roll flattened", [2, 2], [3, 0, 1, 2]) { ember_roll(a, [-3], 1, nil, 0, $0) }
        check("repeat", [1, 2, 4], [0, 1, 0, 1, 2, 3, 2, 3]) { ember_repeat(a, [1, 1, 2], 3, $0) }
        check("tile", [2, 4], [0, 1, 0, 1, 2, 3, 2, 3]) { ember_tile(a, [2], 1, $0) }
        check("pad constant", [2, 4], [5, 0, 1, 5, 5, 2, 3, 5]) { ember_pad(a, [1, 1], 2, "constant", 5, $0) }
        check("pad reflect", [2, 4], [1, 0, 1, 0, 3, 2, 3, 2]) { ember_pad(a, [1, 1], 2, "reflect", 0, $0) }
        check("pad replicate", [2, 5], [0, 0, 1, 1, 1, 2, 2, 3, 3, 3]) { ember_pad(a, [1, 2], 2, "replicate", 0, $0) }
        check("pad circular", [2, 3], [1, 0, 1, 3, 2, 3]) { ember_pad(a, [1, 0], 2, "circular", 0, $0) }
        for t in [a, b] { ember_tensor_free(t) }
    }

    func testSplitAndChunkFillTheCallersArray() {
        let x = range(10, [5, 2])
        var count: Int64 = -1
        C.ok(ember_split(x, 2, 0, nil, 0, &count))                  // NULL outs: just the number
        XCTAssertEqual(count, 3)
        var outs = [OpaquePointer?](repeating: nil, count: 4)
        C.ok(ember_split(x, 2, 0, &outs, 4, &count))
        XCTAssertEqual(count, 3)
        XCTAssertEqual(outs[0...2].map { C.shape($0) }, [[2, 2], [2, 2], [1, 2]])
        XCTAssertEqual(C.values(outs[2]), [8, 9])
        XCTAssertNil(outs[3])
        C.ok(ember_tensor_copy_from(outs[2], [Double(-8), -9], 16))    // the pieces are views
        XCTAssertEqual(Array(C.values(x).suffix(2)), [-8, -9])
        outs.forEach { ember_tensor_free($0) }

        outs = [OpaquePointer?](repeating: nil, count: 4)
        C.ok(ember_split_sizes(x, [1, 0, 1], 3, 1, &outs, 4, &count))
        XCTAssertEqual(count, 3)
        XCTAssertEqual(outs[0...2].map { C.shape($0) }, [[5, 1], [5, 0], [5, 1]])
        outs.forEach { ember_tensor_free($0) }

        outs = [OpaquePointer?](repeating: nil, count: 4)
        C.ok(ember_chunk(x, 2, -2, &outs, 4, &count))
        XCTAssertEqual(count, 2)
        XCTAssertEqual(outs[0...1].map { C.shape($0) }, [[3, 2], [2, 2]])
        outs.forEach { ember_tensor_free($0) }

        // Too small an array: an error, nothing written, count 0.
        outs = [OpaquePointer?](repeating: nil, count: 2)
        C.fails(ember_chunk(x, 5, 0, &outs, 2, &count), EMBER_ERR_INVALID_ARGUMENT, ["ember_chunk", "capacity 2", "5 results"])
        XCTAssertEqual(count, 0)
        XCTAssertEqual(outs, [nil, nil])
        C.fails(ember_split(x, 0, 0, &outs, 2, &count), EMBER_ERR_INVALID_ARGUMENT, ["split_size can only be 0"])
        C.fails(ember_split_sizes(x, [2, 2], 2, 0, &outs, 2, &count), EMBER_ERR_INVALID_ARGUMENT, ["sum exactly to 5", "[2, 2]"])
        C.fails(ember_split_sizes(x, nil, 2, 0, &outs, 2, &count), EMBER_ERR_INVALID_ARGUMENT, ["'split_sizes' is NULL"])
        C.fails(ember_chunk(x, 2, 0, &outs, 2, nil), EMBER_ERR_INVALID_ARGUMENT, ["'count' is NULL"])
        XCTAssertEqual(outs, [nil, nil])
        ember_tensor_free(x)
    }

    func testGradientsFlowThroughTheCAPI() {
        let x = range(6, [2, 3])
        C.ok(ember_tensor_set_requires_grad(x, true))
        let index = C.tensor([Int64(2), 2], [1, 2])
        var gathered, padded, total: OpaquePointer?
        C.ok(ember_gather(x, 1, index, &gathered))                  // x[0, 2] twice
        C.ok(ember_pad(gathered, [0, 1], 2, "constant", 0, &padded))
        C.ok(ember_sum(padded, &total))
        C.ok(ember_tensor_backward(total, nil))
        var grad: OpaquePointer?
        C.ok(ember_tensor_grad(x, &grad))
        XCTAssertEqual(C.values(grad), [0, 0, 2, 0, 0, 0])
        for t in [x, index, gathered, padded, total, grad] { ember_tensor_free(t) }
    }

    func testBadInput() {
        let x = range(6, [2, 3])
        let bad = C.tensor([Int64(0), 7], [1, 2]), floats = C.tensor([0.0, 1.0], [1, 2])
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_gather(x, 1, bad, &out), EMBER_ERR_INVALID_ARGUMENT,
                ["ember_gather", "index 7 is out of bounds for dimension 1 with size 3", "position [0, 1]"])
        XCTAssertNil(out)
        C.fails(ember_gather(x, 1, floats, &out), EMBER_ERR_DTYPE, ["ember_gather", "int64", "float64"])
        C.fails(ember_index_select(x, 0, bad, &out), EMBER_ERR_SHAPE, ["vector", "[1, 2]"])
        C.fails(ember_scatter_add(x, 1, bad, x, &out), EMBER_ERR_INVALID_ARGUMENT, ["index 7"])
        C.fails(ember_index_add(x, 1, nil, x, 1, &out), EMBER_ERR_INVALID_HANDLE, ["argument 'index' is NULL"])
        C.fails(ember_masked_select(x, bad, &out), EMBER_ERR_DTYPE, ["bool mask"])
        let other = range(20, [4, 5])
        C.fails(ember_cat([x, other], 2, 1, &out), EMBER_ERR_SHAPE,
                ["ember_cat", "same shape except in dimension 1", "[2, 3] at position 0", "[4, 5] at position 1"])
        C.fails(ember_cat(nil, 2, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["'tensors' is NULL"])
        C.fails(ember_cat([x, nil], 2, 0, &out), EMBER_ERR_INVALID_HANDLE, ["element 1 of 'tensors'"])
        C.fails(ember_stack([x], -1, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["count must be >= 0"])
        C.fails(ember_stack(nil, 0, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["non-empty"])
        C.fails(ember_slice(x, 0, 0, 1, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_slice", "step must be greater than zero"])
        C.fails(ember_select(x, 0, 2, &out), EMBER_ERR_INVALID_ARGUMENT, ["index 2 is out of range for dimension 0 with size 2"])
        C.fails(ember_narrow(x, 5, 0, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["dim 5 is out of range"])
        C.fails(ember_unsqueeze(x, 3, &out), EMBER_ERR_INVALID_ARGUMENT, ["dim 3 is out of range"])
        C.fails(ember_movedim(x, [0, 1], 2, [1], 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["same number of dims"])
        C.fails(ember_flip(x, [0, 0], 2, &out), EMBER_ERR_INVALID_ARGUMENT, ["more than once"])
        C.fails(ember_roll(x, [1, 2], 2, [0], 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["must align"])
        C.fails(ember_roll(x, nil, 1, nil, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["'shifts' is NULL"])
        C.fails(ember_repeat(x, [2], 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["cannot be smaller"])
        C.fails(ember_repeat(x, [Int64](repeating: 1, count: 13), 13, &out), EMBER_ERR_INVALID_ARGUMENT, ["12 dimensions"])
        C.fails(ember_pad(x, [1, 1], 2, nil, 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["'mode' is NULL"])
        C.fails(ember_pad(x, [1, 1], 2, "wrap", 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["unrecognised padding mode 'wrap'"])
        C.fails(ember_pad(x, [1], 1, "constant", 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["divisible by 2"])
        C.fails(ember_pad(x, [-1, 1], -2, "constant", 0, &out), EMBER_ERR_INVALID_ARGUMENT, ["count must be >= 0"])
        C.fails(ember_pad(x, [5, 0], 2, "reflect", 0, &out), EMBER_ERR_SHAPE, ["less than the corresponding input dimension"])
        C.fails(ember_unflatten(x, 1, [2, 2], 2, &out), EMBER_ERR_SHAPE, ["don't multiply up to the size of dim 1 (3)"])
        C.fails(ember_view(x, nil, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["'shape' is NULL"])
        C.fails(ember_take_along_dim(x, nil, 0, &out), EMBER_ERR_INVALID_HANDLE, ["'indices'"])
        C.fails(ember_expand_as(x, other, &out), EMBER_ERR_SHAPE, ["expand"])
        C.fails(ember_flatten(x, 0, -1, nil), EMBER_ERR_INVALID_ARGUMENT, ["'out' is NULL"])
        XCTAssertNil(out)
        XCTAssertEqual(C.values(x), [0, 1, 2, 3, 4, 5])               // nothing changed by any failure
        for t in [x, bad, floats, other] { ember_tensor_free(t) }
    }
}
