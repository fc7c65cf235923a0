@testable import EmberTensor
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
        inputs += [.nan, .infinity, -.infinity, 0, -0.0, 88.72283, 88.7229, -103.97, -104, -87.33, 1e-40]
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
}
