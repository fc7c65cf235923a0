import Glibc
import Synchronization

/// The 32-bit Mersenne Twister, seeded as torch seeds its CPU generator.
public struct MT19937: Sendable {
    private var state: [UInt32]
    private var index: Int

    public init(seed: UInt64) {
        var s = [UInt32](repeating: 0, count: 624)
        s[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<624 {
            s[j] = 1_812_433_253 &* (s[j - 1] ^ (s[j - 1] >> 30)) &+ UInt32(j)
        }
        state = s
        index = 624
    }

    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        state.withUnsafeMutableBufferPointer { s in
            for k in 0..<624 {
                let y = (s[k] & 0x8000_0000) | (s[(k + 1) % 624] & 0x7FFF_FFFF)
                s[k] = s[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0)
            }
        }
        index = 0
    }
}

/// A random generator with torch's CPU algorithms on top of MT19937: the same
/// seed gives the same uniform and normal samples and permutations as torch.
public struct RandomState: Sendable {
    public private(set) var seed: UInt64
    var engine: MT19937
    /// torch caches the second Box-Muller sample of its scalar normal path.
    var nextNormal: Double?

    public init(seed: UInt64) {
        self.seed = seed
        engine = MT19937(seed: seed)
        nextNormal = nil
    }

    public mutating func random() -> UInt32 { engine.next() }

    /// Two 32-bit draws, high word first (torch's random64).
    public mutating func random64() -> UInt64 {
        let hi = UInt64(engine.next()), lo = UInt64(engine.next())
        return (hi << 32) | lo
    }

    /// U[0, 1) with 24 random bits (float) or 53 (double), as torch draws it.
    @inline(__always) mutating func unitFloat() -> Double { Double(random() & 0xFF_FFFF) * 0x1p-24 }
    @inline(__always) mutating func unitDouble() -> Double { Double(random64() & 0x1F_FFFF_FFFF_FFFF) * 0x1p-53 }

    /// torch's `random_()` on an int64 tensor: [0, 2^63).
    public mutating func randomInt63() -> Int64 { Int64(random64() % (UInt64(1) << 63)) }

    /// Fills `count` elements with U[from, to), as torch's uniform_.
    public mutating func uniform<T: FloatElement>(_ p: UnsafeMutablePointer<T>, count: Int, from: Double, to: Double) {
        // torch rounds the bounds to the element type, then computes in double with a fused multiply-add.
        let lo = T(from).doubleValue, hi = T(to).doubleValue
        let range = hi - lo
        for i in 0..<count {
            let x = T.self == Float.self ? unitFloat() : unitDouble()
            p[i] = T(lo.addingProduct(x, range))
        }
    }

    /// Fills `count` contiguous elements with N(mean, std), as torch's normal_.
    public mutating func normal<T: FloatElement>(_ p: UnsafeMutablePointer<T>, count: Int, mean: Double, std: Double) {
        if count >= 16 {
            // torch's normal_fill: uniforms first, then Box-Muller in blocks of 16;
            // a ragged end redoes the last 16 with fresh uniforms.
            for i in 0..<count { p[i] = T(T.self == Float.self ? unitFloat() : unitDouble()) }
            var i = 0
            while i + 16 <= count {
                RandomState.boxMuller16(p + i, mean: T(mean), std: T(std))
                i += 16
            }
            if count % 16 != 0 {
                let tail = p + (count - 16)
                for j in 0..<16 { tail[j] = T(T.self == Float.self ? unitFloat() : unitDouble()) }
                RandomState.boxMuller16(tail, mean: T(mean), std: T(std))
            }
        } else {
            for i in 0..<count { p[i] = T(normalSample() * std + mean) }
        }
    }

    @inline(__always)
    static func boxMuller16<T: FloatElement>(_ d: UnsafeMutablePointer<T>, mean: T, std: T) {
        for j in 0..<8 {
            let u1 = 1 - d[j], u2 = d[j + 8]
            let radius = T.sqrt(-2 * T.log(u1))
            let theta = 2 * T(Double.pi) * u2
            d[j] = radius * T.cos(theta) * std + mean
            d[j + 8] = radius * T.sin(theta) * std + mean
        }
    }

    /// torch's scalar normal_distribution<double>, which caches its second sample.
    mutating func normalSample() -> Double {
        if let cached = nextNormal {
            nextNormal = nil
            return cached
        }
        let u1 = unitDouble(), u2 = unitDouble()
        let r = (-2 * Glibc.log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        nextNormal = r * Glibc.sin(theta)
        return r * Glibc.cos(theta)
    }

    /// A random permutation of 0..<n (torch.randperm on the CPU).
    public mutating func permutation(_ n: Int) -> [Int] {
        var r = Array(0..<n)
        if n < 2 { return r }
        let small = n < Int(UInt32.max / 20)
        for i in 0..<(n - 1) {
            let bound = UInt64(n - i)
            let z = Int((small ? UInt64(random()) : random64()) % bound)
            r.swapAt(i, i + z)
        }
        return r
    }
}

/// The process-wide generator behind torch.manual_seed, locked for use from
/// several threads.
public enum GlobalGenerator {
    static let state = Mutex(RandomState(seed: 67_280_421_310_721))

    /// torch.manual_seed.
    public static func manualSeed(_ seed: UInt64) {
        state.withLock { $0 = RandomState(seed: seed) }
    }

    /// Runs `body` with exclusive access to the generator.
    public static func withState<R>(_ body: (inout RandomState) throws -> R) rethrows -> R {
        try state.withLock { try body(&$0) }
    }
}
