import EmberTensor
import Foundation
import EmberTestSupport
import XCTest

final class KernelTests: XCTestCase {
    func array(_ values: [Double], _ shape: Dims, _ dtype: DType = .float64) throws -> NDArray {
        try NDArray.copying(values, dtype: .float64, shape: [values.count]).cast(to: dtype).reshaped(shape)
    }

    func testBinaryBroadcastingAndPromotion() throws {
        let a = try array([1, 2, 3], [3, 1])
        let b = try array([10, 20], [2], .float32)
        let sum = try Kernels.binary(.add, a, b)
        XCTAssertEqual(sum.shape, [3, 2])
        XCTAssertEqual(sum.dtype, .float64)
        XCTAssertEqual(sum.toDoubles(), [11, 21, 12, 22, 13, 23])

        let ints = try array([7, -7], [2], .int64)
        let q = try Kernels.binary(.div, ints, try array([2, 2], [2], .int64))
        XCTAssertEqual(q.dtype, .float32)                    // true division
        XCTAssertEqual(q.toDoubles(), [3.5, -3.5])
        let wrapped = try Kernels.binary(.add, try array([9.2e18], [1], .int64), try array([9.2e18], [1], .int64))
        XCTAssertLessThan(wrapped.toDoubles()[0], 0)          // int64 wraps as in torch
    }

    func testBinaryOnStridedViewsAndScalars() throws {
        let m = try array([1, 2, 3, 4, 5, 6], [2, 3])
        let t = try m.transposed(0, 1)
        let r = try Kernels.binary(.mul, t, t)
        XCTAssertEqual(r.toDoubles(), [1, 16, 4, 25, 9, 36])
        XCTAssertEqual(try Kernels.binary(.sub, m, scalar: 1, reversed: true).toDoubles(), [0, -1, -2, -3, -4, -5])
        XCTAssertEqual(try Kernels.binary(.div, m, scalar: 2).toDoubles(), [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual(try Kernels.binary(.mul, try array([3], [1], .int64), scalar: 2.5).dtype, .float32)
    }

    func testBoolTensors() throws {
        let mask = try array([1, 0, 1], [3], .bool)
        XCTAssertEqual(mask.dtype, .bool)
        XCTAssertEqual(mask.toDoubles(), [1, 0, 1])
        XCTAssertEqual(try NDArray.full([2], value: 0.5, dtype: .bool).toDoubles(), [1, 1])   // nonzero is true
        let s = try Kernels.sum(mask, dims: [], keepdim: false)
        XCTAssertEqual(s.dtype, .int64)                       // torch: sum of bool is int64
        XCTAssertEqual(s.toDoubles(), [2])
        let other = try array([0, 0, 1], [3], .bool)
        XCTAssertEqual(try Kernels.binary(.add, mask, other).toDoubles(), [1, 0, 1])   // or
        XCTAssertEqual(try Kernels.binary(.mul, mask, other).toDoubles(), [0, 0, 1])   // and
        XCTAssertEqual(try Kernels.binary(.add, mask, try array([2, 2, 2], [3], .float32)).dtype, .float32)
        XCTAssertEqual(try Kernels.binary(.add, mask, try array([2], [1], .int64)).toDoubles(), [3, 2, 3])
        assertThrows(.dtype, ["bool"]) { try Kernels.binary(.sub, mask, other) }
        assertThrows(.dtype, ["bool"]) { try Kernels.unary(.neg, mask) }
        XCTAssertEqual(try Kernels.unary(.exp, mask).dtype, .float32)
        XCTAssertEqual(promoteTypes([(.float32, .zeroDim), (.bool, .dimensioned)]), .float32)
    }

    func testUnary() throws {
        let x = try array([-1, 0, 2, .nan], [4])
        let relu = try Kernels.unary(.relu, x).toDoubles()
        XCTAssertEqual(Array(relu[0..<3]), [0, 0, 2])
        XCTAssertTrue(relu[3].isNaN)                          // NaN propagates, as torch.relu
        XCTAssertEqual(try Kernels.unary(.neg, try array([1, -2], [2], .int64)).toDoubles(), [-1, 2])
        let e = try Kernels.unary(.exp, try array([0, 1], [2], .int64))
        XCTAssertEqual(e.dtype, .float32)
        assertClose(e.toDoubles(), [1, 2.718281828459045], rtol: 1e-7)
    }

    func testSumAndMeanOverDims() throws {
        let x = try array((0..<24).map(Double.init), [2, 3, 4])
        XCTAssertEqual(try Kernels.sum(x, dims: [], keepdim: false).toDoubles(), [276])
        let s1 = try Kernels.sum(x, dims: [1], keepdim: false)
        XCTAssertEqual(s1.shape, [2, 4])
        XCTAssertEqual(s1.toDoubles(), [12, 15, 18, 21, 48, 51, 54, 57])
        let s02 = try Kernels.sum(x, dims: [0, -1], keepdim: true)
        XCTAssertEqual(s02.shape, [1, 3, 1])
        XCTAssertEqual(s02.toDoubles(), [60, 92, 124])
        let m = try Kernels.mean(try x.transposed(0, 2), dims: [0], keepdim: false)
        XCTAssertEqual(m.shape, [3, 2])
        XCTAssertEqual(m.toDoubles(), [1.5, 13.5, 5.5, 17.5, 9.5, 21.5])
        XCTAssertEqual(try Kernels.sum(try array([1, 2, 3], [3], .int64), dims: [], keepdim: false).dtype, .int64)
        assertThrows(.dtype, ["floating"]) { try Kernels.mean(try array([1], [1], .int64), dims: [], keepdim: false) }
        XCTAssertTrue(try Kernels.mean(try NDArray.zeros([0], dtype: .float32), dims: [], keepdim: false).toDoubles()[0].isNaN)
    }

    func testFloat32SumIsAccurate() throws {
        // 1e6 copies of 0.1f: naive float accumulation drifts by ~1%; the double accumulator does not.
        let x = try NDArray.full([1_000_000], value: 0.1, dtype: .float32)
        assertClose(try Kernels.sum(x, dims: [], keepdim: false).toDoubles(), [100000.00149011612], rtol: 1e-7)
    }

    func testArgmaxTiesAndNaN() throws {
        let x = try array([1, 3, 3, 0, 5, .nan, 3, 2], [2, 4])
        XCTAssertEqual(try Kernels.argmax(x, dim: 1, keepdim: false).toDoubles(), [1, 1])
        XCTAssertEqual(try Kernels.argmax(x, dim: 0, keepdim: true).toDoubles(), [1, 1, 0, 1])
        XCTAssertEqual(try Kernels.argmax(x, dim: 0, keepdim: true).shape, [1, 4])
        assertThrows(.invalidArgument, ["non-zero size"]) { try Kernels.argmax(try NDArray.zeros([2, 0], dtype: .float32), dim: 1, keepdim: false) }
    }

    func testMatmulLayouts() throws {
        let a = try array([1, 2, 3, 4, 5, 6], [2, 3])
        let b = try array([7, 8, 9, 10, 11, 12], [3, 2])
        let expected: [Double] = [58, 64, 139, 154]
        XCTAssertEqual(try Kernels.batchedMatmul(a, b).toDoubles(), expected)
        // Transposed operands go to BLAS with the transpose flag, not copied.
        let at = try array([1, 4, 2, 5, 3, 6], [3, 2]).transposed(0, 1)
        let bt = try array([7, 9, 11, 8, 10, 12], [2, 3]).transposed(0, 1)
        XCTAssertEqual(try Kernels.batchedMatmul(at, bt).toDoubles(), expected)
        // float32 and int64 give the same numbers.
        XCTAssertEqual(try Kernels.batchedMatmul(a.cast(to: .float32), b.cast(to: .float32)).toDoubles(), expected)
        XCTAssertEqual(try Kernels.batchedMatmul(a.cast(to: .int64), b.cast(to: .int64)).toDoubles(), expected)
        // A broadcast batch: (2, 1, 2, 3) @ (3, 3, 2) -> (2, 3, 2, 2).
        let batchA = try a.unsqueezed(0).expanded([2, 2, 3]).unsqueezed(1)
        let batchB = try b.unsqueezed(0).expanded([3, 3, 2])
        let c = try Kernels.batchedMatmul(batchA, batchB)
        XCTAssertEqual(c.shape, [2, 3, 2, 2])
        XCTAssertEqual(c.toDoubles(), Array([[Double]](repeating: expected, count: 6).joined()))
        // Inner size 0 gives zeros; mismatches name both shapes.
        XCTAssertEqual(try Kernels.batchedMatmul(try NDArray.zeros([2, 0], dtype: .float32), try NDArray.zeros([0, 3], dtype: .float32)).toDoubles(), [0, 0, 0, 0, 0, 0])
        assertThrows(.shape, ["[2, 3]", "[2, 3]"]) { try Kernels.batchedMatmul(a, a) }
        assertThrows(.dtype, ["float64", "float32"]) { try Kernels.batchedMatmul(a, b.cast(to: .float32)) }
    }

    func testSoftmaxIsStable() throws {
        let x = try array([1000, 1001, 1002, -1000, -1001, -1002], [2, 3])
        let s = try Kernels.softmax(x, dim: 1, log: false).toDoubles()
        assertClose(s, [0.09003057317038046, 0.24472847105479767, 0.6652409557748219,
                        0.6652409557748219, 0.24472847105479767, 0.09003057317038046], rtol: 1e-12)
        let l = try Kernels.softmax(x, dim: 1, log: true).toDoubles()
        assertClose(l, [-2.40760596444438, -1.40760596444438, -0.40760596444438,
                        -0.40760596444438, -1.40760596444438, -2.40760596444438], rtol: 1e-12)
    }

    func testCrossEntropyChecksTargets() throws {
        let logits = try array([0, 0, 0, 0], [2, 2])
        let good = try array([0, 1], [2], .int64)
        assertClose(try Kernels.crossEntropy(logits, good).toDoubles(), [0.6931471805599453], rtol: 1e-12)
        assertThrows(.invalidArgument, ["target 2 is out of bounds", "2 classes", "position 1"]) {
            try Kernels.crossEntropy(logits, try array([0, 2], [2], .int64))
        }
        assertThrows(.invalidArgument, ["target -1"]) { try Kernels.crossEntropy(logits, try array([-1, 0], [2], .int64)) }
        assertThrows(.dtype, ["int64"]) { try Kernels.crossEntropy(logits, try array([0, 1], [2])) }
        assertThrows(.shape, ["[2, 2]", "[3]"]) { try Kernels.crossEntropy(logits, try array([0, 1, 1], [3], .int64)) }
    }

    /// The mean cross-entropy of float32 logits with fewer than eight classes
    /// takes one logarithm per block of eight rows (of the product of the
    /// rows' sums): against a row-by-row reference in Double for batch sizes
    /// around the block, the same with one thread and two, and NaN and
    /// infinity still propagate as they do row by row.
    func testSmallClassCrossEntropyBlocks() throws {
        var rng = SystemRandomNumberGenerator()
        for c in 1...8 {
            for n in [1, 7, 8, 9, 33, 1000, 5000] {
                let values = (0..<(n * c)).map { _ in Double.random(in: -6...6, using: &rng) }
                let labels = (0..<n).map { _ in Double(Int.random(in: 0..<c, using: &rng)) }
                let logits = try array(values, [n, c], .float32), target = try array(labels, [n], .int64)
                let x = logits.toDoubles()
                var total = 0.0
                for r in 0..<n {
                    let row = x[(r * c)..<((r + 1) * c)], m = row.max()!
                    total += Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +)) - (x[r * c + Int(labels[r])] - m)
                }
                let got = try Kernels.crossEntropy(logits, target).toDoubles()[0]
                XCTAssertEqual(got, total / Double(n), accuracy: 2e-6 * Swift.max(1, abs(total / Double(n))), "c \(c) n \(n)")
                Parallel.setThreads(1)
                let one = try Kernels.crossEntropy(logits, target).toDoubles()[0]
                Parallel.setThreads(2)
                XCTAssertEqual(one, try Kernels.crossEntropy(logits, target).toDoubles()[0], "c \(c) n \(n): depends on the threads")
            }
        }
        let target = try array([0, 1, 0], [3], .int64)
        XCTAssertTrue(try Kernels.crossEntropy(try array([0, 1, .nan, 2, 3, 4], [3, 2], .float32), target).toDoubles()[0].isNaN)
        let infinite = try Kernels.crossEntropy(try array([0, 1, 2, 3, -.infinity, 4], [3, 2], .float32), target)
        XCTAssertEqual(infinite.toDoubles()[0], .infinity)   // row 3's target logit is -inf
    }

    /// Cross-entropy forward and backward read strided logits and targets
    /// through a contiguous copy and agree with the contiguous call exactly.
    func testCrossEntropyOfStridedOperands() throws {
        let values = (0..<30).map { Double($0 % 7) * 0.37 - 1 }
        for c in [2, 3, 10] {
            let n = 30 / c
            let strided = try array(values, [c, n], .float32).transposed(0, 1)   // (n, c), not contiguous
            let dense = try strided.contiguous()
            XCTAssertFalse(strided.isContiguous)
            let labels = (0..<(2 * n)).map { Double($0 % c) }
            let everyOther = try array(labels, [2 * n], .int64).sliced(dim: 0, start: 0, stop: 2 * n, step: 2)
            XCTAssertFalse(everyOther.isContiguous)
            let expected = try Kernels.crossEntropy(dense, try everyOther.contiguous()).toDoubles()
            XCTAssertEqual(try Kernels.crossEntropy(strided, everyOther).toDoubles(), expected, "c \(c)")
            XCTAssertEqual(try Kernels.crossEntropyBackward(strided, everyOther, scale: 0.5).toDoubles(),
                           try Kernels.crossEntropyBackward(dense, try everyOther.contiguous(), scale: 0.5).toDoubles(), "c \(c)")
        }
    }

    func testArange() throws {
        XCTAssertEqual(try NDArray.arange(start: 0, end: 1, step: 0.1, dtype: .float64).count, 10)   // torch: 10
        XCTAssertEqual(try NDArray.arange(start: 5, end: 0, step: -2, dtype: .int64).toDoubles(), [5, 3, 1])
        assertThrows(.invalidArgument, ["nonzero"]) { try NDArray.arange(start: 0, end: 1, step: 0, dtype: .float32) }
        assertThrows(.invalidArgument, ["inconsistent"]) { try NDArray.arange(start: 0, end: 1, step: -1, dtype: .float32) }
    }
}
