import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// In-place ops: values, version counters, and torch's rules for in-place
/// writes into tensors that take part in a graph.
final class InPlaceTests: XCTestCase {
    func vector(_ values: [Double], requiresGrad: Bool = false) throws -> Tensor {
        try Tensor.from(values, dtype: .float64, requiresGrad: requiresGrad)
    }

    func testValuesAndBroadcasting() throws {
        let t = try Tensor.from([1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float32)
        try t.add_(try Tensor.from([10, 20, 30], dtype: .float32), alpha: 2)
        XCTAssertEqual(t.toDoubles(), [21, 42, 63, 24, 45, 66])
        try t.sub_(try Tensor.from([1], dtype: .float32))
        try t.mul_(0.5)
        XCTAssertEqual(t.toDoubles(), [10, 20.5, 31, 11.5, 22, 32.5])
        try t.div_(try Tensor.from([2, 1, 1], dtype: .float32))
        try t.add_(1)
        try t.div_(2)
        XCTAssertEqual(t.toDoubles(), [3, 10.75, 16, 3.375, 11.5, 16.75])
        try t.zero_()
        XCTAssertEqual(t.toDoubles(), [0, 0, 0, 0, 0, 0])
        try t.fill_(-1.5)
        XCTAssertEqual(t.toDoubles(), [-1.5, -1.5, -1.5, -1.5, -1.5, -1.5])
        try t.copy_(try Tensor.from([7, 8, 9], dtype: .int64))     // broadcast and converted
        XCTAssertEqual(t.toDoubles(), [7, 8, 9, 7, 8, 9])
        XCTAssertEqual(t.dtype, .float32)
    }

    func testWritesGoThroughViewsAndBumpVersions() throws {
        let base = try Tensor.from([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
        let view = try base.transpose(0, 1)
        let before = base.array.storage.version
        try view.mul_(10)
        XCTAssertEqual(base.toDoubles(), [10, 20, 30, 40])
        XCTAssertEqual(base.array.storage.version, before + 1)
        // Operands aliasing the target are read before the write (as torch).
        try base.add_(base.transpose(0, 1))
        XCTAssertEqual(base.toDoubles(), [20, 50, 50, 80])
    }

    func testDtypeAndShapeRules() throws {
        let ints = try Tensor.from([1, 2], dtype: .int64)
        assertThrows(.dtype, ["float32", "int64"]) { try ints.add_(try Tensor.from([0.5, 0.5], dtype: .float32)) }
        assertThrows(.dtype, ["can't be cast"]) { try ints.div_(2) }
        XCTAssertEqual(ints.toDoubles(), [1, 2])                       // unchanged by the failures
        try ints.add_(try Tensor.from([1, 1], dtype: .bool))
        XCTAssertEqual(ints.toDoubles(), [2, 3])
        let small = try Tensor.zeros([3])
        assertThrows(.shape, ["[2, 3]", "[3]"]) { try small.add_(try Tensor.zeros([2, 3])) }
        let expanded = try Tensor.zeros([1]).expand([3])
        assertThrows(.state, ["share one memory location"]) { try expanded.add_(1) }
        assertThrows(.invalidArgument, ["cannot be converted to int64"]) { try ints.fill_(.nan) }
    }

    func testLeafThatRequiresGradNeedsGradModeOff() throws {
        let w = try vector([1, 2], requiresGrad: true)
        assertThrows(.state, ["leaf tensor that requires grad", "in-place"]) { try w.add_(1) }
        XCTAssertEqual(w.toDoubles(), [1, 2])
        try GradMode.with(false) { try w.add_(1) }
        XCTAssertEqual(w.toDoubles(), [2, 3])
        XCTAssertTrue(w.isLeaf)
    }

    func testInPlaceOnANonLeafIsRecorded() throws {
        // y = 2x; y += 3z; y *= x  ->  loss = sum((2x + 3z) * x)
        // d/dx = 4x + 3z, d/dz = 3x.
        let x = try vector([1, 2], requiresGrad: true), z = try vector([5, -1], requiresGrad: true)
        let y = try x.mul(2)
        try y.add_(z, alpha: 3)
        try y.mul_(x)
        XCTAssertEqual(y.gradFn?.name, "MulBackward0")
        try y.sum().backward()
        XCTAssertEqual(x.grad?.toDoubles(), [19, 5])
        XCTAssertEqual(z.grad?.toDoubles(), [3, 6])
    }

    func testInPlaceGradcheck() throws {
        GlobalGenerator.manualSeed(8)
        let a = try Tensor.randn([2, 3], dtype: .float64, requiresGrad: true)
        let b = try Tensor.randn([3], dtype: .float64, requiresGrad: true)
        try gradcheck([a, b], "in-place chain") { inputs in
            let y = try inputs[0].mul(1.5)
            try y.add_(inputs[1], alpha: -2)
            try y.mul_(inputs[1])
            try y.div_(try inputs[1].mul(inputs[1]).add(1))
            return y
        }
        try gradcheck([a, b], "copy_ into a computed tensor") { inputs in
            let y = try inputs[0].mul(2)
            try y.copy_(inputs[1])
            return try y.mul(inputs[0])
        }
    }

    func testClampInPlace() throws {
        let t = try Tensor.from([-2, -0.5, 0, 0.5, 2, .nan], dtype: .float64)
        try t.clamp_(min: -1, max: 1)
        XCTAssertEqual(Array(t.toDoubles().prefix(5)), [-1, -0.5, 0, 0.5, 1])
        XCTAssertTrue(t.toDoubles()[5].isNaN)
        let ints = try Tensor.from([-3, 5], dtype: .int64)
        try ints.clamp_(min: 0, max: nil)
        XCTAssertEqual(ints.toDoubles(), [0, 5])
        assertThrows(.dtype, ["can't be cast"]) { try ints.clamp_(min: 0.5, max: nil) }
        assertThrows(.invalidArgument, ["at least one"]) { try t.clamp_(min: nil, max: nil) }
        // Recorded on a non-leaf: d/dx sum(clamp(2x, -1, 1)) = 2 inside, 0 outside (strict, as torch).
        let x = try vector([-1, 0.25, 0.5, 3], requiresGrad: true)
        let y = try x.mul(2)
        try y.clamp_(min: -1, max: 1)
        try y.sum().backward()
        XCTAssertEqual(x.grad?.toDoubles(), [0, 2, 0, 0])
    }

    func testModifyingSavedValuesFailsBackwardNamingTheOp() throws {
        let x = try vector([1, 2], requiresGrad: true)
        let e = try x.exp()                 // saves its output
        let loss = try e.sum()
        try e.mul_(2)
        assertThrows(.state, ["ExpBackward0", "in-place"]) { try loss.backward() }
        XCTAssertNil(x.grad)
    }

    func testFillOfANonLeafCutsTheGradient() throws {
        let x = try vector([1, 2], requiresGrad: true)
        let y = try x.mul(3)
        try y.fill_(7)
        XCTAssertTrue(y.requiresGrad)
        try y.mul(x).sum().backward()       // d/dx (7 * x) = 7, nothing through the filled values
        XCTAssertEqual(x.grad?.toDoubles(), [7, 7])
    }

    func testViewsOfTensorsThatRequireGrad() throws {
        let x = try vector([1, 2, 3, 4], requiresGrad: true)
        let y = try x.mul(1)
        let v = try y.reshape([2, 2])
        XCTAssertTrue(v.isView)
        assertThrows(.state, ["view"]) { try v.add_(1) }
        // A view made before its base changed in place is stale: using it would
        // route gradients through the old history.
        try y.mul_(2)
        let stale = try v.mul(3).sum()
        assertThrows(.state, ["view", "modified in place"]) { try stale.backward() }
        let fresh = try y.reshape([2, 2]).mul(3).sum()
        try fresh.backward()
        XCTAssertEqual(x.grad?.toDoubles(), [6, 6, 6, 6])
    }

    func testRandomFillsMatchTorch() throws {
        let t = try Tensor.zeros([100])
        GlobalGenerator.manualSeed(5)
        try t.uniform_(from: -0.3, to: 0.7)
        XCTAssertEqual(t.toDoubles(), try FixtureTensor(try Fixtures.load("rng")["uniform_f32_seed5"]).values)
        let m = try Tensor.zeros([40], dtype: .float64)
        GlobalGenerator.manualSeed(4)
        try m.normal_()
        XCTAssertEqual(m.toDoubles(), try FixtureTensor(try Fixtures.load("rng")["randn_f64_40_seed4"]).values)
        assertThrows(.dtype, ["floating"]) { try Tensor.zeros([2], dtype: .int64).normal_() }
        assertThrows(.invalidArgument, ["std"]) { try m.normal_(mean: 0, std: -1) }
        // Through a strided view the samples land in memory order, as torch's do.
        let square = try Tensor.zeros([2, 2], dtype: .float64)
        GlobalGenerator.manualSeed(0)
        try square.transpose(0, 1).uniform_()
        GlobalGenerator.manualSeed(0)
        let direct = try Tensor.rand([2, 2], dtype: .float64)
        XCTAssertEqual(square.toDoubles(), direct.toDoubles())
    }

    /// y.mul_(y), y.add_(y), y.div_(y), y.copy_(y) on a tensor in a graph: the
    /// gradients are those of y*y, 2y, 1 and y, and no node becomes its own
    /// input (the graph is freed with the tensors).
    func testInPlaceWithItself() throws {
        func run(_ op: (Tensor) throws -> Void) throws -> (grad: [Double], value: [Double]) {
            let t = try vector([3, -2], requiresGrad: true)
            let y = try t.mul(1)
            try op(y)
            try y.sum().backward()
            return (t.grad?.toDoubles() ?? [], y.toDoubles())
        }
        var r = try run { try $0.mul_($0) }                     // d/dt (t*t) = 2t
        XCTAssertEqual(r.value, [9, 4])
        XCTAssertEqual(r.grad, [6, -4])
        r = try run { try $0.add_($0) }                          // d/dt 2t = 2
        XCTAssertEqual(r.value, [6, -4])
        XCTAssertEqual(r.grad, [2, 2])
        r = try run { try $0.div_($0) }                          // t/t = 1: d/dt = 0
        XCTAssertEqual(r.value, [1, 1])
        XCTAssertEqual(r.grad, [0, 0])
        r = try run { try $0.copy_($0) }                         // d/dt t = 1
        XCTAssertEqual(r.grad, [1, 1])
        weak var node: Node?
        do {
            let t = try vector([3], requiresGrad: true)
            let y = try t.mul(1)
            try y.mul_(y)
            node = y.gradFn
        }
        XCTAssertNil(node, "the graph of y.mul_(y) outlived its tensors (a retain cycle)")
    }

    /// x.backward(x, create_graph: true) on a leaf stores a copy of x as its
    /// gradient, not x itself (which would hold itself: a leak).
    func testBackwardWithItselfAsGradientDoesNotHoldItself() throws {
        weak var weakLeaf: Tensor?
        do {
            let x = try vector([1, 2], requiresGrad: true)
            try x.backward(x, createGraph: true)
            XCTAssertEqual(x.grad?.toDoubles(), [1, 2])
            XCTAssertFalse(x.grad === x)
            weakLeaf = x
        }
        XCTAssertNil(weakLeaf, "x.grad = x kept x alive")
    }
}
