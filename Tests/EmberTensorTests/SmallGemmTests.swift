@testable import EmberTensor
import EmberVector
import EmberTestSupport
import XCTest

/// The direct kernel for products too small for BLAS (the seed network's):
/// every transpose combination, widths around the 8-lane vectors, strided
/// (leading dimension larger than the row) operands, beta 0 and not, against
/// a plain triple loop in Double. Each element is summed over k in order
/// without fused multiply-adds, so float32 results equal the loop's exactly.
/// Also Linear's other small kernel, the bias gradient's column sums.
final class SmallGemmTests: XCTestCase {
    func reference(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ lda: Int, _ b: [Float], _ ldb: Int,
                   _ beta: Float, _ c: [Float], _ ldc: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = 0
                for p in 0..<k {
                    let x = ta ? a[p * lda + i] : a[i * lda + p]
                    let y = tb ? b[j * ldb + p] : b[p * ldb + j]
                    s += x * y
                }
                out[i * ldc + j] = beta == 0 ? s : s + beta * c[i * ldc + j]
            }
        }
        return out
    }

    func testAllLayoutsAndWidths() {
        var rng = SystemRandomNumberGenerator()
        for ta in [false, true] {
            for tb in [false, true] {
                for (m, k) in [(1, 1), (3, 5), (32, 10), (5, 32), (2, 7)] {
                    for n in [1, 2, 5, 7, 8, 9, 10, 16, 17] {
                        for beta: Float in [0, 0.5] {
                            let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1
                            let a = (0..<((ta ? k : m) * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
                            let b = (0..<((tb ? n : k) * ldb)).map { _ in Float.random(in: -1...1, using: &rng) }
                            var c = (0..<(m * ldc)).map { _ in Float.random(in: -1...1, using: &rng) }
                            let expected = reference(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc)
                            c.withUnsafeMutableBufferPointer { cp in
                                Kernels.smallGemm(ta, tb, m, n, k, a, lda, b, ldb, beta, cp.baseAddress!, ldc)
                            }
                            XCTAssertEqual(c, expected, "ta \(ta) tb \(tb) m \(m) n \(n) k \(k) beta \(beta)")
                        }
                    }
                }
            }
        }
    }

    /// The copies that replace memcpy for short rows (Bytes.copy): every
    /// byte count to 80, nothing written beyond it; and rows packed
    /// into padded ones, zero beyond n, for both element sizes.
    func testShortCopiesAndPackedRows() {
        let source = (0..<96).map { UInt8($0 + 1) }
        for count in 0...80 {
            var target = [UInt8](repeating: 0xEE, count: 96)
            source.withUnsafeBytes { src in
                target.withUnsafeMutableBytes { dst in Bytes.copy(dst.baseAddress!, src.baseAddress!, count) }
            }
            XCTAssertEqual(Array(target[..<count]), Array(source[..<count]), "count \(count)")
            XCTAssertEqual(Array(target[count...]), [UInt8](repeating: 0xEE, count: 96 - count), "count \(count)")
        }
        func check<S: BinaryFloatingPoint>(_: S.Type) {
            for n in 1...20 {
                let width = (n + 7) & ~7
                let row = (0..<n).map { S($0 + 1) }
                var packed = [S](repeating: S.nan, count: width + 3)
                row.withUnsafeBufferPointer { src in
                    packed.withUnsafeMutableBufferPointer { dst in SmallProducts.packRow(src.baseAddress!, dst.baseAddress!, n, width) }
                }
                XCTAssertEqual(Array(packed[..<width]), row + [S](repeating: 0, count: width - n), "\(S.self) n \(n)")
                XCTAssertTrue(packed[width...].allSatisfy(\.isNaN), "\(S.self) n \(n): written beyond the row")
            }
        }
        check(Float.self)
        check(Double.self)
    }

    func testDoubleAndBetaZeroIgnoresNaNInC() {
        let m = 3, n = 9, k = 4
        let a = (0..<(m * k)).map { Double($0) * 0.25 - 1 }, b = (0..<(k * n)).map { Double($0) * 0.5 - 3 }
        var c = [Double](repeating: .nan, count: m * n)
        c.withUnsafeMutableBufferPointer { cp in Kernels.smallGemm(false, false, m, n, k, a, k, b, n, 0, cp.baseAddress!, n) }
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
                XCTAssertEqual(c[i * n + j], s)
            }
        }
    }

    /// Linear's bias gradient (the column sums of g) adds each column's rows
    /// in row order, four rows per pass or one: equal to the plain loop to the
    /// bit for row counts around the blocks, on one thread and split into
    /// column bands.
    func testColumnSumsAddRowsInOrder() throws {
        for (rows, cols) in [(1, 3), (5, 7), (7, 33), (9, 16), (300, 250)] {
            let values: [Float] = (0..<(rows * cols)).map { i -> Float in Float((i * 7919) % 1001) * 0.013 - 6.1 }
            let g = try NDArray.copying(values, dtype: .float32, shape: [rows, cols])
            let sums = try Kernels.sumLeadingDim(g)
            let got = sums.pointer(Float.self)
            for c in 0..<cols {
                var expected: Float = 0
                for r in 0..<rows { expected += values[r * cols + c] }
                XCTAssertEqual(got[c].bitPattern, expected.bitPattern, "rows \(rows) cols \(cols) column \(c)")
            }
        }
    }
}
