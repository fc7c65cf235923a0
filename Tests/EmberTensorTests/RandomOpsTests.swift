import EmberTensor
import EmberTestSupport
import XCTest

/// Every seeded random op against torch, bit for bit, after the same
/// manual_seed (Tests/Fixtures/creation.json, tools/fixtures/creation.py).
/// Each case also checks two float64 uniforms drawn afterwards, so a wrong
/// number of draws fails even when the values happen to agree.
final class RandomOpsTests: XCTestCase {
    func seed(_ c: [String: Any]) throws -> UInt64 { UInt64(try CreationFixture.double(c["seed"])) }

    /// The generator must be where torch left it.
    func assertAfter(_ c: [String: Any], _ what: String, key: String = "after", file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try FixtureTensor(c[key])
        assertSameValues(try NDArray.rand([2], dtype: .float64).toDoubles(), expected.values, "\(what): the draws after it",
                         file: file, line: line)
    }

    // MARK: - randint

    func testRandintMatchesTorch() throws {
        let cases = try CreationFixture.cases("randint")
        XCTAssertEqual(cases.count, 14)
        for c in cases {
            let low = Int64(try CreationFixture.double(c["low"])), high = try CreationFixture.double(c["high"])
            // 2^63 - 1 does not survive the trip through a double.
            let highValue = high >= 9.2e18 ? Int64.max : Int64(high)
            let shape = try CreationFixture.dims(c["shape"])
            GlobalGenerator.manualSeed(try seed(c))
            let y = try NDArray.randint(low: low, high: highValue, shape)
            let expected = try FixtureTensor(c["out"])
            let what = "randint(\(low), \(highValue), \(describe(shape)))"
            XCTAssertEqual(y.shape, expected.shape, what)
            XCTAssertEqual(y.dtype, .int64, what)
            XCTAssertEqual(y.toDoubles(), expected.values, what)
            try assertAfter(c, what)
        }
    }

    func testRandintTakesTwoDrawsFromARangeOf2To28() {
        var raw = RandomState(seed: 42)
        let draws = (0..<3).map { _ in UInt64(raw.random()) }
        // Below 2^28: one 32-bit draw, reduced modulo the range.
        var g = RandomState(seed: 42)
        XCTAssertEqual(g.randomFromTo(range: (1 << 28) - 1, base: -5), Int64(draws[0] % ((1 << 28) - 1)) - 5)
        XCTAssertEqual(UInt64(g.random()), draws[1])
        // From 2^28: two draws, high word first.
        g = RandomState(seed: 42)
        XCTAssertEqual(g.randomFromTo(range: 1 << 28, base: 3), Int64(((draws[0] << 32) | draws[1]) % (1 << 28)) + 3)
        XCTAssertEqual(UInt64(g.random()), draws[2])
        // The widest range wraps around as torch's unsigned arithmetic does.
        g = RandomState(seed: 42)
        XCTAssertEqual(g.randomFromTo(range: UInt64.max, base: .min),
                       Int64(bitPattern: ((draws[0] << 32) | draws[1]) % UInt64.max &+ UInt64(bitPattern: Int64.min)))
    }

    func testRandintRejectsEmptyRanges() {
        assertThrows(.invalidArgument, ["random_ expects 'from' to be less than 'to'", "from=5 >= to=5"]) {
            try NDArray.randint(low: 5, high: 5, [3])
        }
        assertThrows(.invalidArgument, ["from=5 >= to=2"]) { try NDArray.randint(low: 5, high: 2, [3]) }
        assertThrows(.invalidArgument, ["negative size -2"]) { try NDArray.randint(low: 0, high: 2, [3, -2]) }
    }

    // MARK: - rand_like, randn_like, uniform_, normal_

    func testRandLikeAndRandnLikeMatchTorch() throws {
        var checked = 0
        for c in try CreationFixture.cases("like") where c["rand"] != nil {
            let template = try CreationFixture.template(c)
            let what = "template \(describe(template.shape)) \(template.dtype) view \(String(describing: c["view"]))"
            GlobalGenerator.manualSeed(try seed(c))
            try CreationFixture.assertResult(try NDArray.randLike(template), c["rand"], what + " rand_like")
            try assertAfter(c, what + " rand_like", key: "rand_after")
            GlobalGenerator.manualSeed(try seed(c))
            try CreationFixture.assertResult(try NDArray.randnLike(template), c["randn"], what + " randn_like")
            try assertAfter(c, what + " randn_like", key: "randn_after")
            checked += 1
        }
        XCTAssertEqual(checked, 15)
    }

    func testLikeSamplersNeedFloatingTemplates() throws {
        assertThrows(.dtype, ["rand_like", "int64"]) { try NDArray.randLike(try NDArray.zeros([2], dtype: .int64)) }
        assertThrows(.dtype, ["randn_like", "bool"]) { try NDArray.randnLike(try NDArray.zeros([2], dtype: .bool)) }
    }

    func testNormalFillsMatchTorchBitForBit() throws {
        // Both sides of the 16-element threshold, float32's 16-wide path
        // included, mean and std, and views (element by element, memory order).
        for c in try CreationFixture.cases("randn") {
            let dtype = try CreationFixture.dtype(c["dtype"])
            let mean = try CreationFixture.double(c["mean"]), std = try CreationFixture.double(c["std"])
            GlobalGenerator.manualSeed(try seed(c))
            let x = try CreationFixture.view(try NDArray(empty: try CreationFixture.dims(c["shape"]), dtype: dtype), c["view"])
            try x.fillNormal(mean: mean, std: std)
            let what = "normal_(\(mean), \(std)) on \(describe(x.shape)) \(dtype) view \(String(describing: c["view"]))"
            assertSameValues(x.toDoubles(), try FixtureTensor(c["out"]).values, what)
            try assertAfter(c, what)
        }
    }

    func testRandnIsNormalFill() throws {
        let c = try CreationFixture.cases("randn")[4]
        GlobalGenerator.manualSeed(try seed(c))
        assertSameValues(try NDArray.randn([1003], dtype: .float32).toDoubles(), try FixtureTensor(c["out"]).values, "randn(1003)")
    }

    func testUniformFillsMatchTorchBitForBit() throws {
        for c in try CreationFixture.cases("uniform") {
            let dtype = try CreationFixture.dtype(c["dtype"])
            let from = try CreationFixture.double(c["from"]), to = try CreationFixture.double(c["to"])
            GlobalGenerator.manualSeed(try seed(c))
            let x = try CreationFixture.view(try NDArray(empty: try CreationFixture.dims(c["shape"]), dtype: dtype), c["view"])
            try x.fillUniform(from: from, to: to)
            let what = "uniform_(\(from), \(to)) on \(describe(x.shape)) \(dtype)"
            assertSameValues(x.toDoubles(), try FixtureTensor(c["out"]).values, what)
            try assertAfter(c, what)
        }
    }

    func testRandomFillsRejectBadTargets() throws {
        let expanded = try NDArray.zeros([3, 1], dtype: .float32).expanded([3, 4])
        assertThrows(.state, ["normal_", "share one memory location"]) { try expanded.fillNormal(mean: 0, std: 1) }
        assertThrows(.state, ["uniform_", "share one memory location"]) { try expanded.fillUniform(from: 0, to: 1) }
        assertThrows(.dtype, ["normal_", "int64"]) { try NDArray.zeros([2], dtype: .int64).fillNormal(mean: 0, std: 1) }
        assertThrows(.invalidArgument, ["std >= 0.0", "-1"]) { try NDArray.zeros([2], dtype: .float32).fillNormal(mean: 0, std: -1) }
        assertThrows(.invalidArgument, ["from <= to"]) { try NDArray.zeros([2], dtype: .float32).fillUniform(from: 1, to: 0) }
        let floats = try NDArray.zeros([2], dtype: .float32), doubles = try NDArray.zeros([2], dtype: .float64)
        assertThrows(.invalidArgument, ["to-from", "exceed the limit"]) { try floats.fillUniform(from: -3e38, to: 3e38) }
        assertThrows(.invalidArgument, ["from is out of bounds for float32"]) { try floats.fillUniform(from: -1e39, to: 0) }
        assertThrows(.invalidArgument, ["to is out of bounds for float32"]) { try floats.fillUniform(from: 0, to: .infinity) }
        assertThrows(.invalidArgument, ["from is out of bounds for float64"]) { try doubles.fillUniform(from: .nan, to: 1) }
        assertThrows(.invalidArgument, ["to-from", "exceed the limit"]) { try doubles.fillUniform(from: -1e308, to: 1e308) }
        try doubles.fillUniform(from: -3e38, to: 3e38)
        XCTAssertTrue(doubles.toDoubles().allSatisfy { $0 >= -3e38 && $0 < 3e38 })
    }

    // MARK: - bernoulli

    func testBernoulliMatchesTorch() throws {
        for c in try CreationFixture.cases("bernoulli") {
            let probs = try CreationFixture.viewed(c)
            let what = "bernoulli of \(describe(probs.shape)) \(probs.dtype) view \(String(describing: c["view"]))"
            GlobalGenerator.manualSeed(try seed(c))
            try CreationFixture.assertResult(try NDArray.bernoulli(probs), c["out"], what)
            try assertAfter(c, what)
        }
    }

    func testBernoulliWithScalarPMatchesTorch() throws {
        for c in try CreationFixture.cases("bernoulli_p") {
            let template = try CreationFixture.template(c)
            let p = try CreationFixture.double(c["p"])
            let what = "bernoulli(p: \(p)) like \(describe(template.shape)) \(template.dtype)"
            GlobalGenerator.manualSeed(try seed(c))
            try CreationFixture.assertResult(try NDArray.bernoulli(like: template, p: p), c["out"], what)
            try assertAfter(c, what)
        }
    }

    func testBernoulliRejectsBadProbabilitiesWithoutDrawing() throws {
        for p in [-0.1, 1.5, Double.nan] {
            assertThrows(.invalidArgument, ["bernoulli_ expects p to be in [0, 1]", "p=\(p)"]) {
                try NDArray.bernoulli(like: try NDArray.zeros([3], dtype: .float32), p: p)
            }
        }
        for values in [[0.5, 1.5], [-0.1, 0.2], [0.3, .nan]] {
            GlobalGenerator.manualSeed(9)
            let probs = try NDArray.copying(values, dtype: .float64, shape: [2])
            assertThrows(.invalidArgument, ["0 <= p_in <= 1", "element"]) { try NDArray.bernoulli(probs) }
            // Nothing was drawn: the stream starts where manual_seed(9) put it.
            let next = try NDArray.rand([2], dtype: .float64).toDoubles()
            GlobalGenerator.manualSeed(9)
            XCTAssertEqual(next, try NDArray.rand([2], dtype: .float64).toDoubles())
        }
        assertThrows(.dtype, ["bernoulli", "int64"]) { try NDArray.bernoulli(try NDArray.zeros([2], dtype: .int64)) }
        assertThrows(.dtype, ["bernoulli", "bool"]) { try NDArray.bernoulli(try NDArray.zeros([2], dtype: .bool)) }
    }

    // MARK: - multinomial

    func testMultinomialMatchesTorch() throws {
        // With replacement, one sample, argmax, nth_element and partial_sort
        // paths, transposed and expanded weights, ties among zero weights.
        let cases = try CreationFixture.cases("multinomial")
        XCTAssertEqual(cases.count, 37)
        for c in cases {
            let probs = try CreationFixture.viewed(c)
            let n = Int(try CreationFixture.double(c["num_samples"]))
            let replacement = try XCTUnwrap(c["replacement"] as? Bool)
            let what = "multinomial(\(describe(probs.shape)) \(probs.dtype), \(n), replacement: \(replacement)) view \(String(describing: c["view"]))"
            GlobalGenerator.manualSeed(try seed(c))
            let y = try NDArray.multinomial(probs, numSamples: n, replacement: replacement)
            let expected = try FixtureTensor(c["out"])
            XCTAssertEqual(y.shape, expected.shape, what)
            XCTAssertEqual(y.dtype, .int64, what)
            XCTAssertEqual(y.toDoubles(), expected.values, what)
            try assertAfter(c, what)
        }
    }

    func testMultinomialWithoutReplacementNeverRepeats() throws {
        GlobalGenerator.manualSeed(3)
        let probs = try NDArray.rand([4, 300], dtype: .float32)
        let y = try NDArray.multinomial(probs, numSamples: 300, replacement: false).toDoubles()
        for row in 0..<4 { XCTAssertEqual(Set(y[(row * 300)..<(row * 300 + 300)]).count, 300) }
    }

    func testMultinomialRejectsBadInput() throws {
        func probs(_ values: [Double], _ shape: Dims? = nil) throws -> NDArray {
            try NDArray.copying(values, dtype: .float64, shape: shape ?? [values.count])
        }
        assertThrows(.shape, ["prob_dist must be 1 or 2 dim", "[2, 2, 2]"]) {
            try NDArray.multinomial(try NDArray.ones([2, 2, 2], dtype: .float32), numSamples: 1, replacement: false)
        }
        assertThrows(.shape, ["prob_dist must be 1 or 2 dim"]) {
            try NDArray.multinomial(try NDArray.ones([], dtype: .float32), numSamples: 1, replacement: true)
        }
        assertThrows(.dtype, ["multinomial only supports floating-point dtypes for input, got: int64"]) {
            try NDArray.multinomial(try NDArray.ones([3], dtype: .int64), numSamples: 1, replacement: false)
        }
        assertThrows(.invalidArgument, ["cannot sample n_sample <= 0 samples"]) {
            try NDArray.multinomial(try probs([1, 2]), numSamples: 0, replacement: true)
        }
        assertThrows(.invalidArgument, ["cannot sample n_sample > prob_dist.size(-1) samples without replacement", "4 samples, 3 categories"]) {
            try NDArray.multinomial(try probs([1, 1, 1]), numSamples: 4, replacement: false)
        }
        assertThrows(.invalidArgument, ["number of categories cannot exceed 2^24"]) {
            try NDArray.multinomial(try NDArray.ones([1], dtype: .float32).expanded([(1 << 24) + 1]), numSamples: 1, replacement: true)
        }
        assertThrows(.invalidArgument, ["0 categories"]) {
            try NDArray.multinomial(try probs([]), numSamples: 2, replacement: true)
        }
        // torch's two kernels word their checks differently; both are kept.
        for bad in [-1.0, .infinity, .nan] {
            for (n, replacement) in [(1, true), (1, false), (2, false)] {
                assertThrows(.invalidArgument, ["probability tensor contains either `inf`, `nan` or element < 0"]) {
                    try NDArray.multinomial(try probs([1, bad]), numSamples: n, replacement: replacement)
                }
            }
        }
        assertThrows(.invalidArgument, ["invalid multinomial distribution (encountering probability entry < 0)"]) {
            try NDArray.multinomial(try probs([1, -1]), numSamples: 2, replacement: true)
        }
        assertThrows(.invalidArgument, ["encountering probability entry < 0"]) {
            try NDArray.multinomial(try probs([1, .nan]), numSamples: 2, replacement: true)
        }
        assertThrows(.invalidArgument, ["invalid multinomial distribution (encountering probability entry = infinity or NaN)"]) {
            try NDArray.multinomial(try probs([1, .infinity]), numSamples: 2, replacement: true)
        }
        for (n, replacement) in [(1, true), (2, true), (1, false), (2, false)] {
            assertThrows(.invalidArgument, ["invalid multinomial distribution (sum of probabilities <= 0)", "row 1"]) {
                try NDArray.multinomial(try probs([1, 2, 0, 0], [2, 2]), numSamples: n, replacement: replacement)
            }
        }
    }
}
