/// The inner loops of the convolution and pooling kernels that gain from
/// wider vectors: straight copies and adds of image rows, and MaxPool2d(2).
/// Inlinable, so that EmberVectorAVX2 compiles them for AVX2 too (AVX2Loops).
public enum ImageRows {
    /// Copies `rows` rows of `rowBytes` bytes; rows start `sourceStride` and
    /// `destinationStride` bytes apart. A row of a convolution is a few dozen
    /// bytes, where a call to memmove costs more than the copy: whole 32-byte
    /// vectors, the last one overlapping the one before when the size is not a
    /// multiple of 32 (16 bytes likewise for rows of 16 to 31 bytes).
    @inlinable @inline(__always)
    public static func copyRows(_ destination: UnsafeMutableRawPointer, _ destinationStride: Int, _ source: UnsafeRawPointer,
                                _ sourceStride: Int, rowBytes: Int, rows: Int) {
        var d = destination, s = source
        for _ in 0..<rows {
            Bytes.copy(d, s, rowBytes)
            d += destinationStride
            s += sourceStride
        }
    }

    /// Adds `rows` rows of `count` floats from `source` onto `destination`;
    /// rows start `sourceStride` and `destinationStride` elements apart.
    @inlinable @inline(__always)
    public static func addRows(_ destination: UnsafeMutablePointer<Float>, _ destinationStride: Int, _ source: UnsafePointer<Float>,
                               _ sourceStride: Int, count: Int, rows: Int) {
        var d = destination, s = source
        for _ in 0..<rows {
            var q = 0
            while q + 8 <= count {
                let sum = UnsafeRawPointer(d + q).loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(s + q).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(d + q).storeBytes(of: sum, as: SIMD8<Float>.self)
                q += 8
            }
            while q < count {
                d[q] += s[q]
                q += 1
            }
            d += destinationStride
            s += sourceStride
        }
    }

    /// MaxPool2d(2) on one float plane (the usual layer): four outputs at a
    /// time, each lane comparing its window's taps in torch's order with the
    /// same rule as the general loop (larger, or NaN; ties keep the first).
    @inlinable @inline(__always)
    public static func maxPool2x2(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                  _ idx: UnsafeMutablePointer<Int64>?, _ w: Int, _ oh: Int, _ ow: Int) {
        @inline(__always)
        func consider(_ best: inout SIMD4<Float>, _ at: inout SIMD4<Int32>, _ v: SIMD4<Float>, _ vAt: SIMD4<Int32>) {
            let take = (v .> best) .| (v .!= v)
            best.replace(with: v, where: take)
            at.replace(with: vAt, where: take)
        }
        let lanes = SIMD4<Int32>(0, 2, 4, 6), width = Int32(w)
        for r in 0..<oh {
            let top = src + 2 * r * w, bottom = top + w
            let out = dst + r * ow, outIdx = idx.map { $0 + r * ow }
            let rowStart = Int32(2 * r * w)
            // Eight floats from each of the window's two rows hold four windows
            // (the last read ends at 2 (g + 3) + 1 < 2 ow <= w). The last group
            // starts at ow - 4, overlapping the one before when ow is not a
            // multiple of 4 (those windows come out the same).
            var q = 0
            while ow >= 4 && q < ow {
                let g = Swift.min(q, ow - 4)
                let a = UnsafeRawPointer(top + 2 * g).loadUnaligned(as: SIMD8<Float>.self)
                let b = UnsafeRawPointer(bottom + 2 * g).loadUnaligned(as: SIMD8<Float>.self)
                let first = lanes &+ (rowStart &+ Int32(2 * g))
                var best = a.evenHalf, at = first
                consider(&best, &at, a.oddHalf, first &+ 1)
                consider(&best, &at, b.evenHalf, first &+ width)
                consider(&best, &at, b.oddHalf, first &+ width &+ 1)
                UnsafeMutableRawPointer(out + g).storeBytes(of: best, as: SIMD4<Float>.self)
                if let outIdx {
                    UnsafeMutableRawPointer(outIdx + g).storeBytes(of: SIMD4<Int64>(truncatingIfNeeded: at), as: SIMD4<Int64>.self)
                }
                q = g + 4
            }
            while q < ow {
                let first = 2 * r * w + 2 * q
                var bestIndex = first, best = src[first]
                for tap in 1..<4 {
                    let at = first + (tap >> 1) * w + (tap & 1), v = src[at]
                    if v > best || v != v {
                        best = v
                        bestIndex = at
                    }
                }
                out[q] = best
                outIdx?[q] = Int64(bestIndex)
                q += 1
            }
        }
    }
}
