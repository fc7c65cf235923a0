@testable import EmberAutograd
import EmberTensor
import EmberTestSupport
import Foundation
import XCTest

/// The backward engine: accumulation, freeing, errors, grad mode, depth.
final class EngineTests: XCTestCase {
    func vector(_ values: [Double], requiresGrad: Bool = true) throws -> Tensor {
        try Tensor.from(values, dtype: .float64, requiresGrad: requiresGrad)
    }

    func testGradientsAccumulateUntilCleared() throws {
        let x = try vector([1, 2, 3])
        // d/dx sum(x * x) = 2x
        try x.mul(x).sum().backward()
        XCTAssertEqual(x.grad?.toDoubles(), [2, 4, 6])
        try x.mul(x).sum().backward()
        XCTAssertEqual(x.grad?.toDoubles(), [4, 8, 12])
        try x.setGrad(nil)
        XCTAssertNil(x.grad)
        try x.mul(3).sum().backward()
        XCTAssertEqual(x.grad?.toDoubles(), [3, 3, 3])
    }

    func testAGradHandleSeesLaterAccumulation() throws {
        let x = try vector([1, 2])
        try x.sum().backward()
        let g = x.grad!
        try x.sum().backward()
        XCTAssertTrue(g === x.grad)                        // accumulated in place, as torch does
        XCTAssertEqual(g.toDoubles(), [2, 2])
    }

    /// The first gradient of a leaf is adopted when nothing else holds its
    /// memory, and copied when something does: a later accumulation into
    /// .grad must never write into another tensor's values.
    func testFirstGradientIsAdoptedWhenFreshAndCopiedWhenShared() throws {
        let w = try vector([1, 2, 3])
        var fresh: ObjectIdentifier? = nil, freshTensor: ObjectIdentifier? = nil
        try w.registerHook { g in
            let r = try g.mul(2)
            fresh = ObjectIdentifier(r.array.storage)
            freshTensor = ObjectIdentifier(r)
            return r
        }
        try w.sum().backward()
        XCTAssertEqual(w.grad?.toDoubles(), [2, 2, 2])
        XCTAssertEqual(ObjectIdentifier(w.grad!.array.storage), fresh, "a fresh gradient is adopted, not copied")
        XCTAssertEqual(ObjectIdentifier(w.grad!), freshTensor, "a plain fresh gradient tensor is adopted whole")

        // The in-place question accumulate asks of a gradient's storage.
        let t = try vector([1, 2], requiresGrad: false)
        XCTAssertTrue(t.isSoleHolderOfStorage())
        var view: Tensor? = try t.reshape([2, 1])
        XCTAssertFalse(t.isSoleHolderOfStorage(), "a view shares the storage")
        XCTAssertNotNil(view)
        view = nil
        XCTAssertTrue(t.isSoleHolderOfStorage())

        // A hook's result that is a view of a tensor the hook keeps is not adopted.
        let u = try vector([1, 2])
        var base: Tensor? = nil
        try u.registerHook { g in
            base = try g.mul(1).reshape([2, 1])
            return try base!.reshape([2])
        }
        try u.sum().backward()
        XCTAssertFalse(u.grad!.array.storage === base!.array.storage, "memory someone else holds is copied")
        try u.sum().backward()
        XCTAssertEqual(base!.toDoubles(), [1, 1], "the kept tensor is not written by the accumulation")

        let v = try vector([1, 2])
        var kept: Tensor? = nil
        try v.registerHook { g in
            kept = try g.mul(3)
            return kept
        }
        try v.sum().backward()
        let first = kept!
        XCTAssertFalse(v.grad!.array.storage === first.array.storage, "a gradient someone else holds is copied")
        try v.sum().backward()                           // accumulates into .grad in place
        XCTAssertEqual(v.grad?.toDoubles(), [6, 6])
        XCTAssertEqual(first.toDoubles(), [3, 3], "the hook's tensor is not written by the accumulation")
    }

    /// A node keeps its first three edges and first two saved tensors in
    /// itself and the rest in arrays: an op of five inputs saving four of
    /// them sends every gradient to the right input, reads every saved
    /// tensor back, and notices an in-place change to one kept in the array.
    func testNodesWithMoreInputsAndSavedTensorsThanTheyHoldInline() throws {
        let xs = try (1...5).map { try vector([Double($0)]) }
        func fiveInputOp() throws -> Tensor {
            let value = try NDArray.scalar(0, dtype: .float64)
            // d/dx_i = (i + 1) * saved_(i mod 4) for input i; input 2 gets none.
            return Tensor.record(value, "FiveBackward", inputs: xs, saving: [xs[3], xs[2], xs[1], xs[0]]) { g, ctx in
                XCTAssertEqual(ctx.inputCount, 5)
                let saved = try (0..<4).map { try ctx.saved($0) }
                return Gradients(try (0..<5).map { i in
                    i == 2 ? nil : try g.mul(saved[i % 4]).mul(Double(i + 1))
                })
            }
        }
        let y = try fiveInputOp()
        XCTAssertEqual(y.gradFn?.nextFunctions.count, 5)
        XCTAssertEqual(y.gradFn?.nextFunctions.map { $0?.name }, Array(repeating: "AccumulateGrad", count: 5))
        try y.backward()
        // saved order is x4, x3, x2, x1: input i reads saved[i % 4].
        let expected: [Double?] = [4 * 1, 3 * 2, nil, 1 * 4, 4 * 5]
        XCTAssertEqual(xs.map { $0.grad?.toDoubles().first }, expected)

        let z = try fiveInputOp()
        try GradMode.with(false) { _ = try xs[0].add_(1) }   // the fourth saved tensor, kept in the array
        XCTAssertThrowsError(try z.backward()) { error in
            XCTAssertTrue("\(error)".contains("modified by an in-place operation"), "\(error)")
        }
    }

    /// A backward started inside another (here from a hook) runs on its own
    /// work lists; both finish with the right gradients, and the next
    /// backward on the thread (reusing the kept lists) too.
    func testBackwardInsideABackwardHook() throws {
        let x = try vector([1, 2])
        let z = try vector([3, 4])
        try x.registerHook { g in
            // (A backward runs with grad mode off, as torch's does.)
            try GradMode.with(true) { try z.mul(z).sum().backward() }   // d/dz = 2z
            return nil
        }
        try x.mul(x).mul(x).sum().backward()             // d/dx = 3x^2
        XCTAssertEqual(x.grad?.toDoubles(), [3, 12])
        XCTAssertEqual(z.grad?.toDoubles(), [6, 8])
        try z.mul(5).sum().backward()
        XCTAssertEqual(z.grad?.toDoubles(), [11, 13])
    }

    func testRetainedGraphRunsTwiceAndFreedGraphRefuses() throws {
        let x = try vector([1, 2])
        let y = try x.exp().sum()
        try y.backward(retainGraph: true)
        try y.backward()
        assertClose(x.grad!.toDoubles(), [2 * exp(1.0), 2 * exp(2.0)], rtol: 1e-15)
        let before = x.grad!.toDoubles()
        assertThrows(.state, ["second time", "retain_graph"]) { try y.backward() }
        XCTAssertEqual(x.grad!.toDoubles(), before)        // nothing changed by the failed call
    }

    func testNonScalarNeedsAGradient() throws {
        let x = try vector([1, 2, 3])
        let y = try x.mul(2)
        assertThrows(.shape, ["one element", "[3]"]) { try y.backward() }
        try y.backward(try vector([1, 0, -1], requiresGrad: false))
        XCTAssertEqual(x.grad?.toDoubles(), [2, 0, -2])
        let z = try x.mul(2)
        assertThrows(.shape, ["[2]", "[3]"]) { try z.backward(try vector([1, 2], requiresGrad: false)) }
        assertThrows(.dtype, ["float32", "float64"]) { try z.backward(try Tensor.ones([3])) }
    }

    func testBackwardOfSomethingThatNeedsNoGradient() throws {
        let x = try vector([1, 2], requiresGrad: false)
        assertThrows(.state, ["does not require grad"]) { try x.sum().backward() }
    }

    func testTheUsersGradientIsNotAliasedIntoLeafGrads() throws {
        let x = try vector([1, 2])
        let gradient = try vector([5, 7], requiresGrad: false)
        try x.add(0).backward(gradient)      // AddBackward passes the gradient straight through
        try GradMode.with(false) { try Tensor(gradient.array).copyValues(from: try NDArray.zeros([2], dtype: .float64)) }
        XCTAssertEqual(x.grad?.toDoubles(), [5, 7])
    }

    func testSharedInputsAccumulateWithinOneBackward() throws {
        let x = try vector([3])
        // y = x*x + x: dy/dx = 2x + 1 = 7; the same leaf reached along three edges.
        try x.mul(x).add(x).sum().backward()
        XCTAssertEqual(x.grad?.toDoubles(), [7])
    }

    func testGradModeOffRecordsNothingAndIsPerThread() throws {
        let x = try vector([1, 2])
        let y = try GradMode.with(false) { try x.mul(2) }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.gradFn)
        XCTAssertTrue(GradMode.isEnabled)
        let previous = GradMode.set(false)
        XCTAssertTrue(previous)
        final class Box: @unchecked Sendable { var enabled = false }
        let box = Box()
        // A semaphore, not polling isFinished: it orders the thread's write
        // before the read below (ThreadSanitizer checks this test).
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { box.enabled = GradMode.isEnabled; done.signal() }
        thread.start()
        done.wait()
        XCTAssertTrue(box.enabled)                         // a new thread starts enabled
        XCTAssertFalse(GradMode.isEnabled)
        GradMode.set(true)
    }

    func testDetachAndRequiresGradRules() throws {
        let x = try vector([1, 2])
        let y = try x.mul(2)
        XCTAssertFalse(y.isLeaf)
        XCTAssertEqual(y.gradFn?.name, "MulBackward1")
        let d = y.detach()
        XCTAssertTrue(d.isLeaf)
        XCTAssertFalse(d.requiresGrad)
        XCTAssertTrue(d.array.sharesStorage(with: y.array))
        assertThrows(.state, ["leaf"]) { try y.setRequiresGrad(false) }
        assertThrows(.dtype, ["floating"]) { try Tensor.zeros([2], dtype: .int64).setRequiresGrad(true) }
    }

    func testModifyingASavedTensorInPlaceFailsBackward() throws {
        let x = try vector([1, 2])
        let w = try vector([3, 4], requiresGrad: false)
        let y = try x.mul(w).sum()
        try w.copyValues(from: try NDArray.zeros([2], dtype: .float64))
        assertThrows(.state, ["MulBackward0", "modified by an in-place operation", "version is 1, expected 0"]) { try y.backward() }
        XCTAssertNil(x.grad)
    }

    func testSecondOrderGradient() throws {
        // y = x^3: dy/dx = 3x^2, d2y/dx2 = 6x.
        let x = try vector([2])
        let y = try x.mul(x).mul(x)
        try y.backward(createGraph: true)
        let dx = x.grad!
        XCTAssertEqual(dx.toDoubles(), [12])
        XCTAssertTrue(dx.requiresGrad)
        try x.setGrad(nil)
        try dx.backward()
        XCTAssertEqual(x.grad?.toDoubles(), [12])
    }

    func testSecondOrderThroughSoftmaxAndCrossEntropyStyleGraph() throws {
        // d/dx of sum((d/dx sum(log_softmax(x) * w))^2), checked by finite differences.
        let w = try Tensor.from([0.3, -1.2, 0.7], dtype: .float64)
        let x = try vector([0.5, -0.25, 1.5])
        func firstGradient(_ x: Tensor) throws -> Tensor {
            let leafX = x
            let y = try leafX.logSoftmax(dim: 0).mul(w).sum()
            try leafX.setGrad(nil)
            try y.backward(createGraph: true)
            return leafX.grad!
        }
        let g = try firstGradient(x)
        let h = try g.mul(g).sum()
        try x.setGrad(nil)
        try h.backward()
        let analytic = x.grad!.toDoubles()
        var numeric: [Double] = []
        for i in 0..<3 {
            var values = [0.5, -0.25, 1.5]
            values[i] += 1e-6
            let plus = try { let t = try vector(values); let gg = try firstGradient(t); return try gg.mul(gg).sum().item() }()
            values[i] -= 2e-6
            let minus = try { let t = try vector(values); let gg = try firstGradient(t); return try gg.mul(gg).sum().item() }()
            numeric.append((plus - minus) / 2e-6)
        }
        assertClose(analytic, numeric, rtol: 1e-5, atol: 1e-7, "second order")
    }

    func testDeepChainBackpropagatesAndFreesWithoutStackOverflow() throws {
        // 100,000 ops: both the backward walk and the teardown must be iterative.
        let x = try vector([1])
        var y = x
        for _ in 0..<100_000 { y = try y.mul(1.0) }
        try y.sum().backward()
        XCTAssertEqual(x.grad?.toDoubles(), [1])

        // The same chain, dropped without a backward: freeing it must not recurse.
        var z = x
        for _ in 0..<100_000 { z = try z.add(0) }
        z = x
        XCTAssertTrue(z === x)

        // And a retained chain that holds saved tensors (mul saves its inputs).
        var w = x
        for _ in 0..<100_000 { w = try w.mul(x) }
        try w.sum().backward(retainGraph: true)
        w = x
    }

    /// A leaf freed while a graph that used it lives: its accumulator forgets
    /// it (it holds no reference), backward runs through and accumulates
    /// nothing into the dead leaf, and nothing dangles.
    func testLeafFreedBeforeBackward() throws {
        weak var weakLeaf: Tensor?
        let other = try Tensor.from([1, 2], requiresGrad: true)
        var loss: Tensor
        do {
            let w = try Tensor.from([3, 4], requiresGrad: true)
            weakLeaf = w
            loss = try w.mul(other).sum()
        }
        // The graph saved an alias of w, not w: w itself is gone.
        XCTAssertNil(weakLeaf)
        try loss.backward()
        XCTAssertEqual(other.grad?.toDoubles(), [3, 4])
        loss = try other.sum()
    }
}
