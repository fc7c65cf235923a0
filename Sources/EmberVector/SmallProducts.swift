/// The inner kernel of matrix products too small for BLAS (the seed
/// network's), for EmberTensor's `smallGemm`. Inlinable, so that
/// EmberVectorAVX2 compiles the float32 one for AVX2 too (AVX2Loops), where
/// eight float lanes are one register instead of two.

/// The vector operations of `SmallProducts.rows`, implemented on concrete
/// SIMD types: generic SIMD arithmetic over a scalar type parameter runs lane
/// by lane even after specialisation.
public protocol GemmLanes {
    associatedtype Scalar: BinaryFloatingPoint
    static func zero() -> Self
    static func load(_ p: UnsafeRawPointer) -> Self
    /// acc + splat(a) * b.
    static func multiplyAdd(_ acc: Self, _ a: Scalar, _ b: Self) -> Self
    func store(_ p: UnsafeMutableRawPointer)
}

extension SIMD8: GemmLanes where Scalar == Float {
    @inlinable @inline(__always) public static func zero() -> SIMD8<Float> { SIMD8<Float>() }
    @inlinable @inline(__always) public static func load(_ p: UnsafeRawPointer) -> SIMD8<Float> { p.loadUnaligned(as: SIMD8<Float>.self) }
    @inlinable @inline(__always) public static func multiplyAdd(_ acc: SIMD8<Float>, _ a: Float, _ b: SIMD8<Float>) -> SIMD8<Float> {
        acc + SIMD8<Float>(repeating: a) * b
    }
    @inlinable @inline(__always) public func store(_ p: UnsafeMutableRawPointer) { p.storeBytes(of: self, as: SIMD8<Float>.self) }
}

/// Eight doubles as two concrete four-lane vectors (SIMD8 can conform only once).
@frozen
public struct DoubleLanes: GemmLanes {
    public var low: SIMD4<Double>, high: SIMD4<Double>
    @inlinable @inline(__always) public init(low: SIMD4<Double>, high: SIMD4<Double>) {
        self.low = low
        self.high = high
    }
    @inlinable @inline(__always) public static func zero() -> DoubleLanes { DoubleLanes(low: SIMD4(), high: SIMD4()) }
    @inlinable @inline(__always) public static func load(_ p: UnsafeRawPointer) -> DoubleLanes {
        DoubleLanes(low: p.loadUnaligned(as: SIMD4<Double>.self), high: p.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self))
    }
    @inlinable @inline(__always) public static func multiplyAdd(_ acc: DoubleLanes, _ a: Double, _ b: DoubleLanes) -> DoubleLanes {
        let s = SIMD4<Double>(repeating: a)
        return DoubleLanes(low: acc.low + s * b.low, high: acc.high + s * b.high)
    }
    @inlinable @inline(__always) public func store(_ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: low, as: SIMD4<Double>.self)
        p.storeBytes(of: high, toByteOffset: 32, as: SIMD4<Double>.self)
    }
}

public enum SmallProducts {
    /// c (m x n, leading dimension ldc) = op(a) b + beta c, row-major, with b
    /// k rows of whole vectors (ldb a multiple of 8, at least n; only the
    /// stores stop at column n) and op(a) a transposed when `ta`. Eight
    /// columns of the result at a time, four rows sharing each vector of b
    /// (one load, four multiply-adds); the rows left over two at a time, then
    /// a last one two column blocks at a time.
    /// Each element is a sum over k in order, without fused multiply-adds,
    /// then added to beta c (c is not read when beta is 0).
    @inlinable @inline(__always)
    public static func rows<L: GemmLanes>(_: L.Type, _ ta: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<L.Scalar>, _ lda: Int,
                                          _ b: UnsafePointer<L.Scalar>, _ ldb: Int, _ beta: L.Scalar,
                                          _ c: UnsafeMutablePointer<L.Scalar>, _ ldc: Int) {
        let (ar, ap) = ta ? (1, lda) : (lda, 1)
        let raw = UnsafeRawPointer(b), stride = MemoryLayout<L.Scalar>.stride, bStep = ldb &* stride
        var i = 0
        while i &+ 4 <= m {
            let a0 = a + i &* ar, a1 = a0 + ar, a2 = a1 + ar, a3 = a2 + ar
            let c0 = c + i &* ldc
            var j = 0
            while j < n {
                var s0 = L.zero(), s1 = s0, s2 = s0, s3 = s0
                var bj = raw + j &* stride, q = 0
                for _ in 0..<k {
                    let v = L.load(bj)
                    s0 = L.multiplyAdd(s0, a0[q], v)
                    s1 = L.multiplyAdd(s1, a1[q], v)
                    s2 = L.multiplyAdd(s2, a2[q], v)
                    s3 = L.multiplyAdd(s3, a3[q], v)
                    bj += bStep
                    q &+= ap
                }
                let lanes = Swift.min(8, n &- j), cj = c0 + j
                store(s0, cj, lanes, beta)
                store(s1, cj + ldc, lanes, beta)
                store(s2, cj + 2 &* ldc, lanes, beta)
                store(s3, cj + 3 &* ldc, lanes, beta)
                j &+= 8
            }
            i &+= 4
        }
        // The rows left over: two rows, or one row's two column blocks, at a
        // time, so that two sums advance together (one alone waits on its
        // own previous add at every step of a long k: the weight gradients).
        if i &+ 2 <= m {
            let a0 = a + i &* ar, a1 = a0 + ar, c0 = c + i &* ldc
            var j = 0
            while j < n {
                var s0 = L.zero(), s1 = s0
                var bj = raw + j &* stride, q = 0
                for _ in 0..<k {
                    let v = L.load(bj)
                    s0 = L.multiplyAdd(s0, a0[q], v)
                    s1 = L.multiplyAdd(s1, a1[q], v)
                    bj += bStep
                    q &+= ap
                }
                let lanes = Swift.min(8, n &- j)
                store(s0, c0 + j, lanes, beta)
                store(s1, c0 + ldc + j, lanes, beta)
                j &+= 8
            }
            i &+= 2
        }
        if i < m {
            let ai = a + i &* ar, ci = c + i &* ldc
            var j = 0
            while j &+ 8 < n {
                var s0 = L.zero(), s1 = s0
                var bj = raw + j &* stride, q = 0
                for _ in 0..<k {
                    let x = ai[q]
                    s0 = L.multiplyAdd(s0, x, L.load(bj))
                    s1 = L.multiplyAdd(s1, x, L.load(bj + 8 &* stride))
                    bj += bStep
                    q &+= ap
                }
                store(s0, ci + j, 8, beta)
                store(s1, ci + j + 8, Swift.min(8, n &- j &- 8), beta)
                j &+= 16
            }
            if j < n {
                var s = L.zero()
                var bj = raw + j &* stride, q = 0
                for _ in 0..<k {
                    s = L.multiplyAdd(s, ai[q], L.load(bj))
                    bj += bStep
                    q &+= ap
                }
                store(s, ci + j, Swift.min(8, n &- j), beta)
            }
        }
    }

    /// The first `lanes` of `s` into `c` (plus beta c unless beta is 0).
    @inlinable @inline(__always)
    static func store<L: GemmLanes>(_ s: L, _ c: UnsafeMutablePointer<L.Scalar>, _ lanes: Int, _ beta: L.Scalar) {
        let raw = UnsafeMutableRawPointer(c)
        if lanes == 8 {
            // s + beta c lane by lane in one vector (the same operations as
            // element by element: a product, then a sum, nothing fused).
            (beta == 0 ? s : L.multiplyAdd(s, beta, L.load(raw))).store(raw)
            return
        }
        // A partial vector goes to a scratch line once, then out with
        // Bytes.copy, or element by element with beta c added. (Not c's lanes
        // copied into the line and added as one vector: a wide load of
        // several narrow stores just made cannot be forwarded from them, and
        // waited for them at every store.)
        withUnsafeTemporaryAllocation(of: L.Scalar.self, capacity: 8) { line in
            let t = line.baseAddress!
            s.store(UnsafeMutableRawPointer(t))
            if beta == 0 {
                Bytes.copy(raw, UnsafeRawPointer(t), lanes &* MemoryLayout<L.Scalar>.stride)
            } else {
                for l in 0..<lanes { c[l] = t[l] + beta * c[l] }
            }
        }
    }

    /// Row `src` of `n` elements into `dst`, a row of `width` elements (a
    /// multiple of 8, at least 8 and at least n) zero beyond n, without
    /// memcpy and memset calls (Bytes.copy).
    @inlinable @inline(__always)
    public static func packRow<S>(_ src: UnsafePointer<S>, _ dst: UnsafeMutablePointer<S>, _ n: Int, _ width: Int) {
        let stride = MemoryLayout<S>.stride
        let to = UnsafeMutableRawPointer(dst)
        // The last vector zeroed first; the copy then overwrites what lies below n.
        var z = (width &- 8) &* stride
        while z < width &* stride {
            to.storeBytes(of: SIMD16<UInt8>(), toByteOffset: z, as: SIMD16<UInt8>.self)
            z &+= 16
        }
        Bytes.copy(to, UnsafeRawPointer(src), n &* stride)
    }
}
