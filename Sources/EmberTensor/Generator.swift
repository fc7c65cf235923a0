import Glibc
import Synchronization

/// The 32-bit Mersenne Twister, seeded as torch seeds its CPU generator.
public struct MT19937: Sendable {
    private var state: [UInt32]
    private var index: Int
    /// Seeded and not yet twisted: torch then reports its read position as 0.
    private var fresh = true

    /// The state torch's CPUGeneratorImpl starts from for `seed` (init_genrand of its low 32 bits).
    public init(seed: UInt64) {
        var s = [UInt32](repeating: 0, count: 624)
        s[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<624 {
            s[j] = 1_812_433_253 &* (s[j - 1] ^ (s[j - 1] >> 30)) &+ UInt32(j)
        }
        state = s
        index = 624
    }

    /// The next 32-bit output.
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
        fresh = false
    }

    /// The 624 state words (torch's state_).
    public var words: [UInt32] { state }

    /// torch's (left_, next_) for this position: the draws left before the
    /// next twist, counting the one that triggers it, and the next word read.
    public var torchPosition: (left: Int, next: Int) { (625 - index, fresh ? 0 : index) }

    /// The engine at torch's position (left_, next_) over `words`; nil for a
    /// position torch's engine cannot be in (left_ in 1...624, next_ == 625 - left_,
    /// or left_ == 1 and next_ == 0 right after seeding).
    public init?(words: [UInt32], left: Int, next: Int) {
        guard words.count == 624, (1...624).contains(left) else { return nil }
        if left == 1 && next == 0 {
            fresh = true
        } else {
            guard next == 625 - left else { return nil }
            fresh = false
        }
        state = words
        index = 625 - left
    }
}

/// A random generator with torch's CPU algorithms on top of MT19937: the same
/// seed gives the same uniform and normal samples and permutations as torch.
public struct RandomState: Sendable {
    /// The seed this state started from.
    public private(set) var seed: UInt64
    var engine: MT19937
    /// torch caches the second Box-Muller sample of its scalar normal path.
    var nextNormal: Double?

    /// The engine (for state export).
    public var mersenneTwister: MT19937 { engine }
    /// The cached second normal sample, if any (torch's next_double_normal_sample).
    public var cachedNormal: Double? { nextNormal }

    /// A generator at a given engine position and normal cache (state import).
    public init(seed: UInt64, engine: MT19937, cachedNormal: Double?) {
        self.seed = seed
        self.engine = engine
        self.nextNormal = cachedNormal
    }

    /// A generator seeded as torch.manual_seed(seed) seeds torch's.
    public init(seed: UInt64) {
        self.seed = seed
        engine = MT19937(seed: seed)
        nextNormal = nil
    }

    /// One 32-bit draw (torch's random()).
    public mutating func random() -> UInt32 { engine.next() }

    /// Two 32-bit draws, high word first (torch's random64).
    public mutating func random64() -> UInt64 {
        let hi = UInt64(engine.next()), lo = UInt64(engine.next())
        return (hi << 32) | lo
    }

    /// U[0, 1) with 24 random bits (float) or 53 (double), as torch draws it.
    @inline(__always) mutating func unitFloat() -> Double { Double(random() & 0xFF_FFFF) * 0x1p-24 }
    @inline(__always) mutating func unitDouble() -> Double { Double(random64() & 0x1F_FFFF_FFFF_FFFF) * 0x1p-53 }
    /// One U[0, 1) draw at the precision torch uses for `T`.
    @inline(__always) mutating func unit<T: FloatElement>(_: T.Type) -> T {
        T(T.self == Float.self ? unitFloat() : unitDouble())
    }

    /// torch's `random_()` on an int64 tensor: [0, 2^63).
    public mutating func randomInt63() -> Int64 { Int64(random64() % (UInt64(1) << 63)) }

    /// An integer in [base, base + range) (torch's uniform_int_from_to_distribution):
    /// `draw % range` of one 32-bit draw, or of two once the range reaches
    /// 2^28 (where one draw's modulo bias would pass about 5%, as torch decides).
    @inline(__always)
    public mutating func randomFromTo(range: UInt64, base: Int64) -> Int64 {
        let v = range >= (UInt64(1) << 28) ? random64() : UInt64(random())
        return Int64(bitPattern: (v % range) &+ UInt64(bitPattern: base))
    }

    /// An Exp(1) sample (torch's exponential_distribution<double>: -log1p(-u)).
    @inline(__always)
    mutating func exponentialSample() -> Double { -1.0 * Glibc.log1p(-unitDouble()) }

    /// A uniform sample in [lo, lo + range) for bounds already rounded to `T`:
    /// torch computes `x * (to - from) + from` in the element type, fused.
    @inline(__always)
    mutating func uniformSample<T: FloatElement>(lo: T, range: T) -> T {
        lo.addingProduct(unit(T.self), range)
    }

    /// Fills `count` elements with U[from, to), as torch's uniform_.
    public mutating func uniform<T: FloatElement>(_ p: UnsafeMutablePointer<T>, count: Int, from: Double, to: Double) {
        let lo = T(from), range = T(to) - T(from)
        for i in 0..<count { p[i] = uniformSample(lo: lo, range: range) }
    }

    /// Fills `count` contiguous elements with N(mean, std), as torch's normal_.
    public mutating func normal<T: FloatElement>(_ p: UnsafeMutablePointer<T>, count: Int, mean: Double, std: Double) {
        if count >= 16 {
            // torch's normal_fill: uniforms first, then Box-Muller in blocks of 16;
            // a ragged end redoes the last 16 with fresh uniforms.
            for i in 0..<count { p[i] = unit(T.self) }
            var i = 0
            while i + 16 <= count {
                RandomState.boxMuller16(p + i, mean: T(mean), std: T(std))
                i += 16
            }
            if count % 16 != 0 {
                let tail = p + (count - 16)
                for j in 0..<16 { tail[j] = unit(T.self) }
                RandomState.boxMuller16(tail, mean: T(mean), std: T(std))
            }
        } else {
            for i in 0..<count { p[i] = normalSample(mean: mean, std: std) }
        }
    }

    /// Box-Muller on 16 uniforms: the first 8 give the radii, the last 8 the angles.
    @inline(__always)
    static func boxMuller16<T: FloatElement>(_ d: UnsafeMutablePointer<T>, mean: T, std: T) {
        if T.self == Float.self {
            let f = UnsafeMutableRawPointer(d).assumingMemoryBound(to: Float.self)
            TorchAVXMath.boxMuller16(f, mean: Float(mean.doubleValue), std: Float(std.doubleValue))
            return
        }
        for j in 0..<8 {
            let u1 = 1 - d[j], u2 = d[j + 8]
            let radius = T.sqrt(-2 * T.log(u1))
            let theta = 2 * T(Double.pi) * u2
            // GCC fuses `radius * cos(theta) * std + mean` into one multiply-add.
            d[j] = mean.addingProduct(radius * T.cos(theta), std)
            d[j + 8] = mean.addingProduct(radius * T.sin(theta), std)
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

    /// One N(mean, std) sample of the scalar path, rounded to `T` (torch fuses `x * std + mean`).
    @inline(__always)
    mutating func normalSample<T: FloatElement>(mean: Double, std: Double) -> T {
        T(mean.addingProduct(normalSample(), std))
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

// MARK: - Fills on the generator

extension RandomState {
    /// U[from, to) into every element of `a`, in memory order.
    mutating func fillUniform<T: FloatElement>(_ a: NDArray, from: Double, to: Double, _: T.Type) {
        let p = a.pointer(T.self)
        if a.isContiguous {
            uniform(p, count: a.count, from: from, to: to)
            return
        }
        let lo = T(from), range = T(to) - T(from)
        MemoryOrder(a, nil).forEach { o, _ in p[o] = uniformSample(lo: lo, range: range) }
    }

    /// N(mean, std) into every element of `a`: the 16-wide path for contiguous
    /// arrays of 16 or more elements, else the scalar path in memory order.
    mutating func fillNormal<T: FloatElement>(_ a: NDArray, mean: Double, std: Double, _: T.Type) {
        let p = a.pointer(T.self)
        if a.isContiguous {
            normal(p, count: a.count, mean: mean, std: std)
            return
        }
        MemoryOrder(a, nil).forEach { o, _ in p[o] = normalSample(mean: mean, std: std) }
    }
}

// MARK: - Memory order

/// The elements of an output array (and the matching elements of an input of
/// the same shape) in the order torch's TensorIterator visits them: by the
/// output's addresses, which for a dense output is storage order. Size-1
/// dimensions are dropped; the rest go outermost (largest stride) first.
struct MemoryOrder {
    var shape = Dims()
    var outStrides = Dims()
    var inStrides = Dims()
    let isEmpty: Bool

    init(_ out: NDArray, _ input: NDArray?) {
        isEmpty = out.count == 0
        var dims = (0..<out.ndim).filter { out.shape[$0] != 1 }
        // Stable, so that equal strides keep torch's row-major tie order.
        dims = dims.enumerated().sorted { a, b in
            let (sa, sb) = (out.strides[a.element], out.strides[b.element])
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)
        for d in dims {
            shape.append(out.shape[d])
            outStrides.append(out.strides[d])
            inStrides.append(input?.strides[d] ?? 0)
        }
    }

    /// Calls `body(outOffset, inOffset)` for every element, offsets in elements
    /// from each array's first element.
    func forEach(_ body: (Int, Int) -> Void) {
        if isEmpty { return }
        let n = shape.count
        if n == 0 {
            body(0, 0)
            return
        }
        let inner = n - 1
        let size = shape[inner], so = outStrides[inner], si = inStrides[inner]
        var index = Dims(repeating: 0, count: n)
        var o = 0, i = 0
        while true {
            for k in 0..<size { body(o + k * so, i + k * si) }
            // The odometer over the outer dimensions.
            var d = inner - 1
            while d >= 0 {
                index[d] += 1
                o += outStrides[d]
                i += inStrides[d]
                if index[d] < shape[d] { break }
                o -= outStrides[d] * shape[d]
                i -= inStrides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}

// MARK: - torch's float Box-Muller

/// The float32 Box-Muller of torch's AVX2 normal_fill, element by element:
/// the Cephes log and sincos polynomials of avx_mathfun.h, with exactly the
/// multiply-adds GCC fuses when it compiles them, so that the samples match
/// torch's bit for bit (libm's logf/sinf/cosf differ in the last bit for
/// about one sample in eight).
enum TorchAVXMath {
    // The C code's constants are double literals stored in float arrays, so each
    // is rounded from double, as here.
    @inline(__always) static func f(_ v: Double) -> Float { Float(v) }

    /// Natural log (NaN for x <= 0).
    @inline(__always)
    static func log(_ input: Float) -> Float {
        let invalid = input <= 0
        var x = input > Float.leastNormalMagnitude ? input : Float.leastNormalMagnitude
        var exponent = Float(Int32(bitPattern: x.bitPattern >> 23) - 0x7F) + 1
        x = Float(bitPattern: (x.bitPattern & ~0x7F80_0000) | Float(0.5).bitPattern)
        let below = x < f(0.707106781186547524)
        let tmp: Float = below ? x : 0
        x = x - 1
        exponent = exponent - (below ? 1 : 0)
        x = x + tmp
        let z = x * x
        var y = f(7.0376836292E-2)
        y = f(-1.1514610310E-1).addingProduct(y, x)
        y = f(1.1676998740E-1).addingProduct(y, x)
        y = f(-1.2420140846E-1).addingProduct(y, x)
        y = f(1.4249322787E-1).addingProduct(y, x)
        y = f(-1.6668057665E-1).addingProduct(y, x)
        y = f(2.0000714765E-1).addingProduct(y, x)
        y = f(-2.4999993993E-1).addingProduct(y, x)
        y = f(3.3333331174E-1).addingProduct(y, x)
        y = y * x
        y = (exponent * f(-2.12194440e-4)).addingProduct(y, z)
        y = y.addingProduct(-z, 0.5)
        x = (x + y).addingProduct(exponent, f(0.693359375))
        return invalid ? Float(bitPattern: 0xFFFF_FFFF) : x
    }

    /// (sin, cos) of x.
    @inline(__always)
    static func sincos(_ input: Float) -> (sin: Float, cos: Float) {
        var signSin = input.bitPattern & 0x8000_0000
        var x = Float(bitPattern: input.bitPattern & 0x7FFF_FFFF)
        var y = x * f(1.27323954473516)
        // cvttps2dq gives INT_MIN for what does not fit.
        var j: Int32 = y.isFinite && abs(y) < 2_147_483_648 ? Int32(y) : .min
        j = (j &+ 1) & ~1
        y = Float(j)
        signSin ^= UInt32(bitPattern: j & 4) << 29
        let signCos = UInt32(bitPattern: ~(j &- 2) & 4) << 29
        let useFirst = (j & 2) == 0
        x = x.addingProduct(y, f(-0.78515625))
        x = x.addingProduct(y, f(-2.4187564849853515625e-4))
        x = x.addingProduct(y, f(-3.77489497744594108e-8))
        let z = x * x
        var c = f(-1.388731625493765E-003).addingProduct(f(2.443315711809948E-005), z)
        c = f(4.166664568298827E-002).addingProduct(c, z)
        c = c * z
        c = (-(z * 0.5)).addingProduct(c, z)
        c = c + 1
        var s = f(8.3321608736E-3).addingProduct(f(-1.9515295891E-4), z)
        s = f(-1.6666654611E-1).addingProduct(s, z)
        s = s * z
        s = x.addingProduct(s, x)
        // Both polynomials are evaluated; masks pick one for each result.
        let sinFromS: Float = useFirst ? s : 0, sinFromC: Float = useFirst ? 0 : c
        let restS = s - sinFromS, restC = c - sinFromC
        let sine = sinFromC + sinFromS, cosine = restC + restS
        return (Float(bitPattern: sine.bitPattern ^ signSin), Float(bitPattern: cosine.bitPattern ^ signCos))
    }

    /// normal_fill_16_AVX2: 8 radii from d[0..<8], 8 angles from d[8..<16].
    @inline(__always)
    static func boxMuller16(_ d: UnsafeMutablePointer<Float>, mean: Float, std: Float) {
        for j in 0..<8 {
            let u1 = 1 - d[j], u2 = d[j + 8]
            let radius = (-2 * log(u1)).squareRoot()
            let (s, c) = sincos(f(2.0 * Double.pi) * u2)
            d[j] = mean.addingProduct(radius * c, std)
            d[j + 8] = mean.addingProduct(radius * s, std)
        }
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
