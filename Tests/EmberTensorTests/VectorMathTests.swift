@testable import EmberTensor
import EmberVector
import EmberVectorAVX2
import Glibc
import XCTest

/// The vectorised float32 functions against libm, in units in the last place.
final class VectorMathTests: XCTestCase {
    func ulps(_ a: Float, _ b: Float) -> Int {
        if a == b { return 0 }
        return abs(Int(a.bitPattern) - Int(b.bitPattern))
    }

    func testExpIsWithinTwoUlpsOfLibm() {
        // 300,001 points across [-90, 90], crossing the polynomial's range, the
        // overflow and the denormal boundaries, plus the special values.
        var inputs = (0...300_000).map { Float(-90 + 180 * Double($0) / 300_000) }
        inputs += [.nan, .infinity, -.infinity, 0, -0.0, 88.72283, 88.7229, -103.97, -104, -87.33, Float(1e-40 as Double)]
        var out = [Float](repeating: 0, count: inputs.count)
        VectorMath.exp(inputs, &out, inputs.count)
        var worst = 0
        for (x, y) in zip(inputs, out) {
            let reference = expf(x)
            if reference.isNaN { XCTAssertTrue(y.isNaN); continue }
            worst = max(worst, ulps(y, reference))
        }
        XCTAssertLessThanOrEqual(worst, 2, "worst error \(worst) ulps")
    }

    /// Inputs for comparing two builds of the same loops: a sweep across the
    /// ranges the polynomials switch at, values far out, the special values,
    /// and a length that leaves a tail shorter than a vector.
    func comparisonInputs() -> [Float] {
        var inputs = (0...20_000).map { Float(-30 + 60 * Double($0) / 20_000) }
        inputs += [.nan, .infinity, -.infinity, 0, -0.0, 88.72283, 88.7229, -103.97, -104, -87.33, Float(1e-40 as Double),
                   1e30, -1e30, 13.5, -13.5, 14.2, -14.2, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        return inputs
    }

    func assertSameBits(_ a: [Float], _ b: [Float], _ what: String) {
        for (i, (x, y)) in zip(a, b).enumerated() where !(x.isNaN && y.isNaN) && x.bitPattern != y.bitPattern {
            XCTFail("\(what): element \(i) is \(x) with AVX2 but \(y) in the baseline build")
            return
        }
    }

    /// The AVX2 build of every vector loop gives the baseline's values to the
    /// bit (the same operations in the same order; nothing is fused).
    func testAVX2LoopsGiveTheBaselineValuesToTheBit() throws {
        guard BLASSetup.cpuFlags().contains("avx2") else { throw XCTSkip("this CPU has no AVX2") }
        let x = comparisonInputs(), n = x.count
        let other = x.reversed().map { $0 * 0.5 }   // the gradient operand of the two-input functions
        for kernel in VectorKernel1.allCases {
            var fast = [Float](repeating: 0, count: n), base = [Float](repeating: 0, count: n)
            AVX2Loops.map(kernel, x, &fast, n)
            switch kernel {
            case .exp: VectorMath.map(x, &base, n, ExpVector.apply)
            case .sigmoid: VectorMath.map(x, &base, n, SigmoidVector.apply)
            case .erf: VectorMath.map(x, &base, n, ErfVector.apply)
            case .gelu: VectorMath.map(x, &base, n, GeluVector.apply)
            case .silu: VectorMath.map(x, &base, n, SiluVector.apply)
            case .relu: VectorMath.map(x, &base, n, ReluVector.apply)
            }
            assertSameBits(fast, base, "\(kernel)")
        }
        for kernel in VectorKernel2.allCases {
            var fast = [Float](repeating: 0, count: n), base = [Float](repeating: 0, count: n)
            AVX2Loops.map(kernel, other, x, &fast, n)
            switch kernel {
            case .erfGradient: VectorMath.map(other, x, &base, n, ErfGradVector.apply)
            case .geluGradient: VectorMath.map(other, x, &base, n, GeluGradVector.apply)
            case .siluGradient: VectorMath.map(other, x, &base, n, SiluGradVector.apply)
            case .reluGradient: VectorMath.map(other, x, &base, n, ReluGradVector.apply)
            }
            assertSameBits(fast, base, "\(kernel)")
        }
        let finite = x.filter { $0.isFinite && abs($0) < 80 }
        var fast = [Float](repeating: 0, count: finite.count), base = fast
        let sumFast = AVX2Loops.expShifted(finite, &fast, finite.count, shift: 3)
        let sumBase = VectorMath.expShifted(finite, &base, finite.count, shift: 3)
        XCTAssertEqual(sumFast, sumBase)
        assertSameBits(fast, base, "expShifted")
        XCTAssertEqual(AVX2Loops.maximum(finite, finite.count), VectorMath.maximum(finite, finite.count))
        XCTAssertTrue(AVX2Loops.maximum(x, n).isNaN)
        XCTAssertEqual(VectorLoops.level, "avx2")
    }

    /// The image-row kernels give the same results in both builds: copies and
    /// adds of rows of every length up to 70 floats, and MaxPool2d(2) (values
    /// and indices) on planes with NaNs, infinities and ties.
    func testAVX2ImageRowsMatchTheBaseline() throws {
        guard BLASSetup.cpuFlags().contains("avx2") else { throw XCTSkip("this CPU has no AVX2") }
        let source = (0..<(3 * 80)).map { Float($0 % 17) * 0.25 - 1 }
        for count in 0...70 {
            var fast = [Float](repeating: 7, count: 3 * 80), base = fast
            AVX2Loops.copyRows(&fast, 80 * 4, source, 80 * 4, rowBytes: count * 4, rows: 3)
            ImageRows.copyRows(&base, 80 * 4, source, 80 * 4, rowBytes: count * 4, rows: 3)
            XCTAssertEqual(fast, base, "copy of \(count)")
            XCTAssertEqual(Array(fast[80..<(80 + count)]), Array(source[80..<(80 + count)]), "copy of \(count)")
            XCTAssertEqual(fast[80 + count], 7, "copy of \(count) stops at the row's end")
            AVX2Loops.addRows(&fast, 80, source, 80, count: count, rows: 3)
            ImageRows.addRows(&base, 80, source, 80, count: count, rows: 3)
            XCTAssertEqual(fast, base, "add of \(count)")
        }
        for (h, w) in [(28, 28), (10, 10), (6, 11), (2, 2)] {
            var plane = (0..<(h * w)).map { Float(($0 * 7919) % 5) }
            for i in stride(from: 3, to: plane.count, by: 13) { plane[i] = .nan }
            for i in stride(from: 7, to: plane.count, by: 13) { plane[i] = -.infinity }
            let (oh, ow) = (h / 2, w / 2)
            var fast = [Float](repeating: 0, count: oh * ow), base = fast
            var fastAt = [Int64](repeating: -1, count: oh * ow), baseAt = fastAt
            AVX2Loops.maxPool2x2(plane, &fast, &fastAt, w, oh, ow)
            ImageRows.maxPool2x2(plane, &base, &baseAt, w, oh, ow)
            assertSameBits(fast, base, "max pool \(h)x\(w)")
            XCTAssertEqual(fastAt, baseAt, "max pool indices \(h)x\(w)")
        }
    }

    /// The small-product kernel gives the same float32 values in both builds,
    /// for every row count around the four-row blocks, partial vectors, a
    /// transposed a, and beta 0 and not.
    func testAVX2SmallProductsMatchTheBaseline() throws {
        guard BLASSetup.cpuFlags().contains("avx2") else { throw XCTSkip("this CPU has no AVX2") }
        let k = 7, ldb = 16, lda = 9
        let a: [Float] = (0..<(9 * 9)).map { i -> Float in Float((i * 37) % 23) * 0.37 - 4 }
        let b: [Float] = (0..<(k * ldb)).map { i -> Float in Float((i * 53) % 29) * 0.11 - 1.5 }
        for ta in [false, true] {
            for m in 1...9 {
                for n in [1, 3, 8, 13, 16] {
                    for beta: Float in [0, 0.75] {
                        let ldc = n + 2
                        var fast: [Float] = (0..<(m * ldc)).map { i -> Float in Float(i) * 0.01 }
                        var base = fast
                        AVX2Loops.smallProductRows(ta, m, n, k, a, lda, b, ldb, beta, &fast, ldc)
                        SmallProducts.rows(SIMD8<Float>.self, ta, m, n, k, a, lda, b, ldb, beta, &base, ldc)
                        assertSameBits(fast, base, "small product ta \(ta) m \(m) n \(n) beta \(beta)")
                    }
                }
            }
        }
    }
}
