import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// Runs the cases of Tests/Fixtures/shape.json (tools/fixtures/shape.py).
/// Data-movement cases exist for every dtype: NAME (float64, with
/// gradients), NAME_f32, NAME_int64 and NAME_bool, where bool tensors are
/// stored as int64 0/1 and converted back here.
enum ShapeFixture {
    typealias Op = ([Tensor]) throws -> Tensor

    /// `op` on every dtype variant of `name`; inputs that are floating in the
    /// float64 case become bool for the bool variant, whose result must be bool.
    static func checkEveryDType(_ name: String, keepsBool: Bool = true, file: StaticString = #filePath, line: UInt = #line,
                                _ op: @escaping Op) throws {
        try checkAgainstTorch("shape", name, rtol: 1e-12, atol: 1e-12, file: file, line: line, op)
        try checkAgainstTorch("shape", name + "_f32", rtol: 1e-6, atol: 1e-6, file: file, line: line, op)
        try checkAgainstTorch("shape", name + "_int64", rtol: 0, atol: 0, file: file, line: line, op)
        guard (try Fixtures.load("shape"))[name + "_bool"] != nil else { return }
        let data = try TorchCase("shape", name).inputs.map { $0.dtype.isFloatingPoint }
        try checkAgainstTorch("shape", name + "_bool", rtol: 0, atol: 0, file: file, line: line) { inputs in
            var xs = inputs
            for i in xs.indices where data[i] { xs[i] = try xs[i].to(.bool) }
            let y = try op(xs)
            if keepsBool { XCTAssertEqual(y.dtype, .bool, "\(name)_bool dtype", file: file, line: line) }
            return try y.to(.int64)
        }
    }

    /// `op` on the float64 and float32 variants of `name`.
    static func checkFloat(_ name: String, file: StaticString = #filePath, line: UInt = #line, _ op: Op) throws {
        try checkAgainstTorch("shape", name, rtol: 1e-12, atol: 1e-12, file: file, line: line, op)
        try checkAgainstTorch("shape", name + "_f32", rtol: 1e-6, atol: 1e-6, file: file, line: line, op)
    }

    /// Second order through `f`: the Hessian-vector product of sum(w * f(x)^2)
    /// from a create_graph backward (which differentiates f's backward
    /// formulas) against central differences of the first-order gradient.
    static func checkSecondOrder(_ x: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                                 _ f: (Tensor) throws -> Tensor) throws {
        let v = try Tensor.randn(x.shape, dtype: .float64)
        let w = try Tensor.randn(try f(x).shape, dtype: .float64)
        func gradient(createGraph: Bool) throws -> Tensor {
            try x.setGrad(nil)
            let y = try f(x)
            try y.mul(y).mul(w).sum().backward(createGraph: createGraph)
            return try XCTUnwrap(x.grad, "\(what): no gradient", file: file, line: line)
        }
        let g = try gradient(createGraph: true)
        try x.setGrad(nil)
        try g.mul(v).sum().backward()
        let analytic = try XCTUnwrap(x.grad, "\(what): no second-order gradient", file: file, line: line).toDoubles()
        let p = x.array.pointer(Double.self), dv = v.toDoubles(), eps = 1e-6
        let saved = x.toDoubles()
        for i in 0..<x.count { p[i] = saved[i] + eps * dv[i] }
        let plus = try gradient(createGraph: false).toDoubles()
        for i in 0..<x.count { p[i] = saved[i] - eps * dv[i] }
        let minus = try gradient(createGraph: false).toDoubles()
        for i in 0..<x.count { p[i] = saved[i] }
        let numeric = zip(plus, minus).map { ($0 - $1) / (2 * eps) }
        assertClose(analytic, numeric, rtol: 1e-5, atol: 1e-6, "second order \(what)", file: file, line: line)
    }

    /// Every piece scaled by its position and joined again (as the fixture does for split and chunk).
    static func weightedCat(_ parts: [Tensor], dim: Int) throws -> Tensor {
        try Tensor.cat(parts.enumerated().map { i, p in try p.mul(Double(i + 1)) }, dim: dim)
    }
}

/// Views, joining, splitting, flip/roll, repeat/tile and pad: forward and
/// gradient against torch for every dtype, gradchecks (first and second
/// order), storage sharing, and bad input.
final class ShapeOpsTests: XCTestCase {
    override func setUp() { GlobalGenerator.manualSeed(31) }

    func leaf(_ shape: Dims) throws -> Tensor { try Tensor.randn(shape, dtype: .float64, requiresGrad: true) }

    static let views: [String: ShapeFixture.Op] = [
        "view": { try $0[0].view([4, -1]) },
        "view_transposed_split": { try $0[0].transpose(0, 1).view([3, 2, 2]) },
        "flatten_all": { try $0[0].flatten() },
        "flatten_middle": { try $0[0].flatten(startDim: 1, endDim: 2) },
        "flatten_negative_dims": { try $0[0].flatten(startDim: -3, endDim: -2) },
        "flatten_transposed_copy": { try $0[0].transpose(0, 2).flatten(startDim: 1) },
        "flatten_0dim": { try $0[0].flatten() },
        "unflatten": { try $0[0].unflatten(dim: 1, sizes: [3, -1, 2]) },
        "unflatten_negative_dim": { try $0[0].unflatten(dim: -1, sizes: [2, 2]) },
        "squeeze_all": { try $0[0].squeeze() },
        "squeeze_dim": { try $0[0].squeeze(-2) },
        "squeeze_dim_not_one": { try $0[0].squeeze(1) },
        "squeeze_dims": { try $0[0].squeeze(dims: [0, 1, 2]) },
        "unsqueeze_last": { try $0[0].unsqueeze(-1) },
        "unsqueeze_0dim": { try $0[0].unsqueeze(0) },
        "movedim": { try $0[0].movedim([0], [-1]) },
        "movedim_lists": { try $0[0].movedim([0, 1], [2, 0]) },
        "broadcast_to": { try $0[0].broadcastTo([2, 3, 4]) },
        "narrow": { try $0[0].narrow(dim: 1, start: 1, length: 2) },
        "narrow_negative_start": { try $0[0].narrow(dim: -1, start: -3, length: 2) },
        "narrow_transposed": { try $0[0].transpose(0, 1).narrow(dim: 0, start: 1, length: 3) },
        "slice_step": { try $0[0].slice(dim: 1, start: 1, stop: 5, step: 2) },
        "slice_negative": { try $0[0].slice(dim: 1, start: -3, stop: -1) },
        "slice_clamped": { try $0[0].slice(dim: 0, start: -10, stop: 10, step: 3) },
        "slice_empty": { try $0[0].slice(dim: 1, start: 3, stop: 1) },
        "slice_transposed_step": { try $0[0].transpose(0, 1).slice(dim: 0, step: 2) },
        "select": { try $0[0].select(dim: 1, index: -1) },
        "select_first_dim": { try $0[0].select(dim: 0, index: 1) },
        "select_to_0dim": { try $0[0].select(dim: 0, index: 2) },
    ]

    static let copies: [String: ShapeFixture.Op] = [
        "cat_dim0": { try Tensor.cat([$0[0], $0[1]], dim: 0) },
        "cat_dim1_three": { try Tensor.cat($0, dim: 1) },
        "cat_negative_dim_transposed": { try Tensor.cat([$0[0].transpose(0, 1), $0[1]], dim: -1) },
        "cat_skips_legacy_empty": { try Tensor.cat($0, dim: 1) },
        "cat_empty_part": { try Tensor.cat($0, dim: 0) },
        "stack": { try Tensor.stack($0, dim: 0) },
        "stack_last": { try Tensor.stack($0, dim: -1) },
        "stack_0dim": { try Tensor.stack($0, dim: 0) },
        "flip": { try $0[0].flip([0, 2]) },
        "flip_transposed": { try $0[0].transpose(0, 1).flip([-1]) },
        "flip_0dim": { try $0[0].flip([0]) },
        "roll": { try $0[0].roll([1, -4], dims: [0, 1]) },
        "roll_flattened": { try $0[0].roll([4], dims: []) },
        "roll_repeated_dim_transposed": { try $0[0].transpose(0, 1).roll([1, 3], dims: [1, 1]) },
        "roll_large_shift": { try $0[0].roll([-1_000_003], dims: [2]) },
        "repeat": { try $0[0].repeat([2, 1, 3]) },
        "repeat_0dim": { try $0[0].repeat([3]) },
        "repeat_zero": { try $0[0].repeat([0, 2]) },
        "repeat_transposed": { try $0[0].transpose(0, 1).repeat([2, 2]) },
        "tile": { try $0[0].tile([2]) },
        "tile_more_dims": { try $0[0].tile([2, 1, 2]) },
        "pad_constant": { try $0[0].pad([1, 2], value: 3.5) },
        "pad_constant_two_dims": { try $0[0].pad([1, 2, 0, 1]) },
        "pad_constant_crop": { try $0[0].pad([-1, 1, 1, -1], value: -2) },
        "pad_constant_transposed": { try $0[0].transpose(0, 1).pad([0, 1, 2, 0], value: 1) },
        "pad_replicate": { try $0[0].pad([1, 3], mode: "replicate") },
        "pad_replicate_crop": { try $0[0].pad([-1, 2, 2, 0], mode: "replicate") },
        "pad_circular": { try $0[0].pad([2, 1], mode: "circular") },
    ]

    // MARK: - Against torch

    func testViewsMatchTorchForEveryDType() throws {
        for (name, op) in Self.views { try ShapeFixture.checkEveryDType(name, op) }
    }

    func testCopiesMatchTorchForEveryDType() throws {
        for (name, op) in Self.copies { try ShapeFixture.checkEveryDType(name, op) }
    }

    func testSplitAndChunkMatchTorchForEveryDType() throws {
        // Scaling a bool piece gives int64 (as in torch), so the joined result is not bool.
        try ShapeFixture.checkEveryDType("split", keepsBool: false) { try ShapeFixture.weightedCat($0[0].split(2, dim: 1), dim: 1) }
        try ShapeFixture.checkEveryDType("split_sizes", keepsBool: false) {
            try ShapeFixture.weightedCat($0[0].split(sizes: [1, 0, 3], dim: 0), dim: 0)
        }
        try ShapeFixture.checkEveryDType("chunk", keepsBool: false) { try ShapeFixture.weightedCat($0[0].chunk(4, dim: -1), dim: -1) }
    }

    /// The counts split and chunk report without making the pieces agree with
    /// the pieces, and are arithmetic for a 2^62-long dim of an empty tensor.
    func testSplitAndChunkCountWithoutMakingThePieces() throws {
        let t = try Tensor.zeros([3, 7], dtype: .float32)
        for size in 1...8 { XCTAssertEqual(try t.splitCount(size, dim: 1), try t.split(size, dim: 1).count) }
        for chunks in 1...9 { XCTAssertEqual(try t.chunkCount(chunks, dim: -1), try t.chunk(chunks, dim: -1).count) }
        let empty = try Tensor.zeros([0, 1 << 62], dtype: .float32)
        XCTAssertEqual(try empty.splitCount(1, dim: 1), 1 << 62)
        XCTAssertEqual(try empty.splitCount(0, dim: 0), 1)
        XCTAssertEqual(try empty.chunkCount(Int.max, dim: 0), Int.max)
        XCTAssertEqual(try empty.chunkCount(3, dim: 1), 3)
        assertThrows(.invalidArgument, ["split_size must be non-negative"]) { try empty.splitCount(-1, dim: 1) }
        assertThrows(.invalidArgument, ["greater than 0"]) { try empty.chunkCount(0, dim: 1) }
    }

    func testFloatOnlyCasesMatchTorch() throws {
        try ShapeFixture.checkFloat("pad_reflect") { try $0[0].pad([2, 1], mode: "reflect") }
        try ShapeFixture.checkFloat("pad_reflect_2d") { try $0[0].pad([1, 2, 2, 1], mode: "reflect") }
        try ShapeFixture.checkFloat("pad_reflect_3d_batch") { try $0[0].pad([1, 1, 0, 2, 1, 0], mode: "reflect") }
        try ShapeFixture.checkFloat("pad_reflect_crop") { try $0[0].pad([-1, 2], mode: "reflect") }
        try ShapeFixture.checkFloat("expand_as") { try $0[0].expandAs($0[1]) }
        try ShapeFixture.checkFloat("cat_promotes") { try Tensor.cat([$0[0], $0[1].to(.float32)], dim: 0) }
        try ShapeFixture.checkFloat("cat_with_int64") { try Tensor.cat([$0[1], $0[0]], dim: 1) }
        try ShapeFixture.checkFloat("chain_of_views_and_copies") {
            try $0[0].transpose(0, 1).reshape([-1]).indexSelect(dim: 0, index: $0[1]).view([2, 2]).flip([0])
        }
        try checkAgainstTorch("shape", "pad_constant_int64_fraction", rtol: 0, atol: 0) { try $0[0].pad([1, 1], value: 2.75) }
        try checkAgainstTorch("shape", "pad_reflect_int64", rtol: 0, atol: 0) { try $0[0].pad([2, 1], mode: "reflect") }
    }

    // MARK: - Gradchecks

    func testGradcheckViews() throws {
        let a = try leaf([2, 3, 4])
        let cases: [(String, (Tensor) throws -> Tensor)] = [
            ("view", { try $0.view([6, 4]) }),
            ("flatten", { try $0.flatten(startDim: 1) }),
            ("flatten of transpose", { try $0.transpose(0, 2).flatten() }),
            ("unflatten", { try $0.unflatten(dim: 2, sizes: [2, -1]) }),
            ("squeeze", { try $0.unsqueeze(0).unsqueeze(3).squeeze() }),
            ("squeeze dims", { try $0.unsqueeze(1).squeeze(dims: [1, 2]) }),
            ("movedim", { try $0.movedim([2, 0], [0, 1]) }),
            ("broadcast_to", { try $0.select(dim: 1, index: 0).unsqueeze(1).broadcastTo([3, 2, 5, 4]) }),
            ("expand_as", { try $0.narrow(dim: 0, start: 1, length: 1).expandAs(Tensor.zeros([2, 2, 3, 4])) }),
            ("narrow", { try $0.narrow(dim: 2, start: -3, length: 2) }),
            ("slice", { try $0.slice(dim: -1, start: 1, stop: 3) }),
            ("empty slice", { try $0.slice(dim: 0, start: 2, stop: 1) }),
            ("slice with step", { try $0.slice(dim: 1, start: -5, stop: 9, step: 2) }),
            ("select", { try $0.select(dim: -1, index: 2) }),
        ]
        for (name, f) in cases {
            try gradcheck([a], name) { try f($0[0]) }
            try ShapeFixture.checkSecondOrder(a, name, f)
        }
    }

    func testGradcheckJoiningAndSplitting() throws {
        let a = try leaf([2, 3]), b = try leaf([2, 1]), c = try leaf([2, 3])
        try gradcheck([a, b], "cat") { try Tensor.cat([$0[0], $0[1]], dim: 1) }
        try gradcheck([a, c], "stack") { try Tensor.stack([$0[0], $0[1].transpose(0, 1).transpose(0, 1)], dim: 1) }
        try gradcheck([a], "split") { try ShapeFixture.weightedCat($0[0].split(2, dim: 1), dim: 1) }
        try gradcheck([a], "split sizes") { try ShapeFixture.weightedCat($0[0].split(sizes: [2, 0, 1], dim: -1), dim: 1) }
        try gradcheck([a], "chunk") { try ShapeFixture.weightedCat($0[0].chunk(2, dim: 1), dim: 1) }
        try ShapeFixture.checkSecondOrder(a, "cat with itself") { try Tensor.cat([$0, $0.mul(2), $0.narrow(dim: 1, start: 1, length: 2)], dim: 1) }
        try ShapeFixture.checkSecondOrder(a, "stack") { try Tensor.stack([$0, $0.flip([0])], dim: 0) }
    }

    func testGradcheckReorderTileAndPad() throws {
        let a = try leaf([2, 3, 4]), m = try leaf([3, 4])
        let cases: [(String, Tensor, (Tensor) throws -> Tensor)] = [
            ("flip", a, { try $0.flip([0, -1]) }),
            ("roll", a, { try $0.roll([1, -2, 5], dims: [0, 2, 2]) }),
            ("roll flattened", a, { try $0.roll([-7], dims: []) }),
            ("repeat", m, { try $0.repeat([2, 1, 3]) }),
            ("repeat of transpose", m, { try $0.transpose(0, 1).repeat([3, 2]) }),
            ("tile", m, { try $0.tile([2]) }),
            ("pad constant", m, { try $0.pad([2, 1, -1, 1], value: 0.5) }),
            ("pad reflect", a, { try $0.pad([3, 2, 1, 2], mode: "reflect") }),
            ("pad replicate", a, { try $0.pad([2, 3, 0, 1], mode: "replicate") }),
            ("pad circular", m, { try $0.pad([2, 4], mode: "circular") }),
        ]
        for (name, x, f) in cases {
            try gradcheck([x], name) { try f($0[0]) }
            try ShapeFixture.checkSecondOrder(x, name, f)
        }
    }

    // MARK: - Views share storage, copies do not

    func testViewsShareStorageAndCopiesDoNot() throws {
        let x = try Tensor.arange(0, 24, dtype: .float64).reshape([2, 3, 4])
        let views: [(String, Tensor)] = [
            ("view", try x.view([6, 4])), ("flatten", try x.flatten()), ("unflatten", try x.unflatten(dim: 2, sizes: [2, 2])),
            ("squeeze", try x.unsqueeze(0).squeeze()), ("squeeze dims", try x.unsqueeze(1).squeeze(dims: [1])),
            ("movedim", try x.movedim([0], [2])), ("expand_as", try x.select(dim: 0, index: 0).expandAs(x)),
            ("broadcast_to", try x.broadcastTo([5, 2, 3, 4])), ("narrow", try x.narrow(dim: 1, start: 1, length: 2)),
            ("slice", try x.slice(dim: 2, start: 1, stop: .max, step: 2)), ("select", try x.select(dim: 2, index: -1)),
            ("split", try x.split(2, dim: 2)[1]), ("chunk", try x.chunk(3, dim: 1)[2]),
            ("split sizes", try x.split(sizes: [1, 3], dim: 2)[1]),
        ]
        for (name, v) in views { XCTAssertTrue(v.array.sharesStorage(with: x.array), "\(name) should be a view") }
        let t = try x.transpose(0, 2)
        let copies: [(String, Tensor)] = [
            ("flatten of transpose", try t.flatten()), ("cat", try Tensor.cat([x], dim: 0)), ("stack", try Tensor.stack([x], dim: 0)),
            ("flip", try x.flip([0])), ("roll", try x.roll([1], dims: [0])), ("repeat", try x.repeat([1, 1, 1])),
            ("tile", try x.tile([1])), ("pad", try x.pad([0, 0])), ("pad reflect", try x.pad([0, 0], mode: "reflect")),
            ("index_select", try x.indexSelect(dim: 0, index: Tensor.from([0, 1], dtype: .int64))),
        ]
        for (name, c) in copies { XCTAssertFalse(c.array.sharesStorage(with: x.array), "\(name) should copy") }

        // A write through a view shows in the base, with the view's strides.
        let s = try x.slice(dim: 2, start: 1, stop: .max, step: 2)   // columns 1 and 3
        try s.copyValues(from: try NDArray.full(s.shape, value: -1, dtype: .float64))
        XCTAssertEqual(Array(x.toDoubles().prefix(8)), [0, -1, 2, -1, 4, -1, 6, -1])
        let row = try x.select(dim: 0, index: 1).narrow(dim: 0, start: -1, length: 1)
        XCTAssertEqual(row.array.offset, 20)
        XCTAssertEqual(row.toDoubles(), [20, -1, 22, -1])
    }

    func testSplitAndChunkCounts() throws {
        let x = try Tensor.zeros([5, 6])
        XCTAssertEqual(try x.split(2, dim: 0).map(\.shape), [[2, 6], [2, 6], [1, 6]])
        XCTAssertEqual(try x.chunk(4, dim: 1).map(\.shape), [[5, 2], [5, 2], [5, 2]])     // ceil(6/4) = 2: only 3 chunks, as torch
        XCTAssertEqual(try x.chunk(10, dim: 0).count, 5)
        XCTAssertEqual(try Tensor.zeros([0, 2]).chunk(3, dim: 0).map(\.shape), [[0, 2], [0, 2], [0, 2]])
        XCTAssertEqual(try Tensor.zeros([2, 0]).split(0, dim: 1).map(\.shape), [[2, 0]])
        XCTAssertEqual(try x.split(sizes: [0, 6, 0], dim: 1).map(\.shape), [[5, 0], [5, 6], [5, 0]])
    }

    // MARK: - Bad input

    func testViewErrors() throws {
        let x = try Tensor.zeros([2, 3, 4])
        assertThrows(.shape, ["view size is not compatible", "[4, 3, 2]", "reshape"]) { try x.transpose(0, 2).view([-1]) }
        assertThrows(.shape, ["invalid for input of size 24"]) { try x.view([5, -1]) }
        assertThrows(.invalidArgument, ["start_dim 2 cannot come after end_dim 1"]) { try x.flatten(startDim: 2, endDim: 1) }
        assertThrows(.invalidArgument, ["end_dim 3 is out of range"]) { try x.flatten(startDim: 0, endDim: 3) }
        assertThrows(.shape, ["unflatten", "[2, -1]", "dim 1 (3)"]) { try x.unflatten(dim: 1, sizes: [2, -1]) }
        assertThrows(.invalidArgument, ["only one dimension can be inferred"]) { try x.unflatten(dim: 2, sizes: [-1, -1]) }
        assertThrows(.invalidArgument, ["sizes must be non-empty"]) { try x.unflatten(dim: 0, sizes: []) }
        assertThrows(.invalidArgument, ["0-dim"]) { try Tensor.scalar(1).unflatten(dim: 0, sizes: [1]) }
        assertThrows(.invalidArgument, ["12"]) { try Tensor.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4]).unflatten(dim: 11, sizes: [2, 2]) }
        assertThrows(.invalidArgument, ["dim 3 is out of range"]) { try x.squeeze(dims: [0, 3]) }
        assertThrows(.invalidArgument, ["appears more than once"]) { try x.squeeze(dims: [1, -2]) }
        assertThrows(.invalidArgument, ["same number of dims", "[0, 1]", "[1]"]) { try x.movedim([0, 1], [1]) }
        assertThrows(.invalidArgument, ["appears more than once"]) { try x.movedim([0, 0], [1, 2]) }
        assertThrows(.shape, ["expanded size 5", "existing size 4"]) { try x.broadcastTo([2, 3, 5]) }
        assertThrows(.shape, ["expand", "[2, 3, 4] to [3, 4]"]) { try x.expandAs(Tensor.zeros([3, 4])) }
        assertThrows(.invalidArgument, ["start (2) + length (2) exceeds dimension size (3)"]) { try x.narrow(dim: 1, start: 2, length: 2) }
        assertThrows(.invalidArgument, ["start -4 is out of range", "size 3"]) { try x.narrow(dim: 1, start: -4, length: 0) }
        assertThrows(.invalidArgument, ["length must be non-negative"]) { try x.narrow(dim: 1, start: 0, length: -1) }
        assertThrows(.invalidArgument, ["narrow() cannot be applied to a 0-dim tensor"]) { try Tensor.scalar(1).narrow(dim: 0, start: 0, length: 1) }
        assertThrows(.invalidArgument, ["step must be greater than zero, got 0"]) { try x.slice(dim: 0, start: 0, stop: 2, step: 0) }
        assertThrows(.invalidArgument, ["step must be greater than zero, got -1"]) { try x.slice(dim: 0, start: 0, stop: 2, step: -1) }
        assertThrows(.invalidArgument, ["slice() cannot be applied to a 0-dim tensor"]) { try Tensor.scalar(1).slice(dim: 0) }
        assertThrows(.invalidArgument, ["dim 3 is out of range"]) { try x.slice(dim: 3) }
        assertThrows(.invalidArgument, ["index 3 is out of range for dimension 1 with size 3"]) { try x.select(dim: 1, index: 3) }
        assertThrows(.invalidArgument, ["index -4 is out of range"]) { try x.select(dim: 1, index: -4) }
        assertThrows(.invalidArgument, ["select() cannot be applied to a 0-dim tensor"]) { try Tensor.scalar(1).select(dim: 0, index: 0) }
        // Python clamping makes extreme bounds harmless.
        XCTAssertEqual(try x.slice(dim: 1, start: .min, stop: .max, step: .max).shape, [2, 1, 4])
        XCTAssertEqual(try x.slice(dim: 1, start: .max, stop: .min).shape, [2, 0, 4])
    }

    func testJoinSplitErrors() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
        assertThrows(.shape, ["cat: tensors must have the same shape except in dimension 1", "[2, 3] at position 0", "[4, 5] at position 1"]) {
            try Tensor.cat([a, b], dim: 1)
        }
        assertThrows(.invalidArgument, ["non-empty list"]) { try Tensor.cat([], dim: 0) }
        assertThrows(.shape, ["zero-dimensional tensor (at position 1)"]) { try Tensor.cat([a, Tensor.scalar(1)], dim: 0) }
        assertThrows(.shape, ["same number of dimensions", "got 2 at position 0 and 1 at position 1"]) { try Tensor.cat([a, Tensor.zeros([3])], dim: 0) }
        assertThrows(.invalidArgument, ["dim 2 is out of range"]) { try Tensor.cat([a, a], dim: 2) }
        assertThrows(.shape, ["stack: expects each tensor to be equal size", "[2, 3] at entry 0", "[3, 2] at entry 1"]) {
            try Tensor.stack([a, Tensor.zeros([3, 2])], dim: 0)
        }
        assertThrows(.invalidArgument, ["non-empty"]) { try Tensor.stack([], dim: 0) }
        assertThrows(.invalidArgument, ["dim 3 is out of range"]) { try Tensor.stack([a, a], dim: 3) }
        assertThrows(.invalidArgument, ["at most 12"]) { try Tensor.stack([Tensor.zeros(Dims(repeating: 1, count: 12))], dim: 0) }
        assertThrows(.invalidArgument, ["split_size can only be 0 if dimension size is 0", "3"]) { try a.split(0, dim: 1) }
        assertThrows(.invalidArgument, ["non-negative, got -1"]) { try a.split(-1, dim: 1) }
        assertThrows(.invalidArgument, ["at least a 1-dimensional tensor"]) { try Tensor.scalar(1).split(1) }
        assertThrows(.invalidArgument, ["sum exactly to 3", "[1, 1]"]) { try a.split(sizes: [1, 1], dim: 1) }
        assertThrows(.invalidArgument, ["non-negative", "[4, -1]"]) { try a.split(sizes: [4, -1], dim: 1) }
        assertThrows(.invalidArgument, ["sum exactly"]) { try a.split(sizes: [.max, .max, 5], dim: 1) }
        assertThrows(.invalidArgument, ["greater than 0, got 0"]) { try a.chunk(0, dim: 1) }
        assertThrows(.invalidArgument, ["at least a 1-dimensional tensor"]) { try Tensor.scalar(1).chunk(1) }
    }

    func testReorderTileAndPadErrors() throws {
        let a = try Tensor.zeros([2, 3])
        assertThrows(.invalidArgument, ["appears more than once"]) { try a.flip([0, -2]) }
        assertThrows(.invalidArgument, ["dim 2 is out of range"]) { try a.flip([2]) }
        assertThrows(.invalidArgument, ["shifts and dimensions must align", "1 shifts and 2 dims"]) { try a.roll([1], dims: [0, 1]) }
        assertThrows(.invalidArgument, ["2 shifts and no dims"]) { try a.roll([1, 2], dims: []) }
        assertThrows(.invalidArgument, ["no dimensions"]) { try Tensor.scalar(1).roll([1], dims: [0]) }
        XCTAssertEqual(try a.roll([.min, .max], dims: [0, 1]).shape, [2, 3])     // shifts reduce modulo the size
        assertThrows(.invalidArgument, ["number of repeat dims (1) cannot be smaller", "(2"]) { try a.repeat([2]) }
        assertThrows(.invalidArgument, ["non-negative", "[-1, 2]"]) { try a.repeat([-1, 2]) }
        assertThrows(.outOfMemory, []) { try a.repeat([.max, 2]) }
        assertThrows(.invalidArgument, ["divisible by 2, got 3"]) { try a.pad([1, 2, 3]) }
        assertThrows(.invalidArgument, ["padding length 6 and input of dimension 2"]) { try a.pad([1, 1, 1, 1, 1, 1]) }
        assertThrows(.shape, ["negative output size -1 at dimension 1"]) { try a.pad([-4, 0]) }
        assertThrows(.invalidArgument, ["out of range"]) { try a.pad([.min, 0]) }
        assertThrows(.invalidArgument, ["unrecognised padding mode 'mirror'"]) { try a.pad([1, 1], mode: "mirror") }
        assertThrows(.invalidArgument, ["doesn't take in a value"]) { try a.pad([1, 1], mode: "reflect", value: 3) }
        assertThrows(.shape, ["padding size 2 is not supported for a 1-D input"]) { try Tensor.zeros([3]).pad([1, 1], mode: "reflect") }
        assertThrows(.shape, ["padding size 4 is not supported for a 2-D input"]) { try a.pad([1, 1, 1, 1], mode: "replicate") }
        assertThrows(.shape, ["less than the corresponding input dimension", "(3, 0)", "[2, 3]"]) { try a.pad([3, 0], mode: "reflect") }
        assertThrows(.shape, ["too small", "output size would be 0"]) { try a.pad([-2, -1], mode: "reflect") }
        assertThrows(.shape, ["too small"]) { try a.pad([-3, 0], mode: "replicate") }
        assertThrows(.shape, ["wrap around more than once"]) { try a.pad([4, 1], mode: "circular") }
        assertThrows(.shape, ["non-zero dimensions", "[2, 0]"]) { try Tensor.zeros([2, 0]).pad([1, 1], mode: "replicate") }
        assertThrows(.dtype, ["reflect padding is not implemented for bool"]) { try a.to(.bool).pad([1, 1], mode: "reflect") }
        assertThrows(.dtype, ["replicate"]) { try a.to(.bool).pad([1, 1], mode: "replicate") }
        // A batch of zero is fine; torch allows it.
        XCTAssertEqual(try Tensor.zeros([0, 2, 3]).pad([1, 1], mode: "reflect").shape, [0, 2, 5])
    }
}
