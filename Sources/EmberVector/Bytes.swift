/// Short copies without memcpy: for the few dozen bytes of an image row or
/// the last elements of a matrix row, a call to memcpy (what a loop of element
/// copies becomes) costs several times the copy itself.
public enum Bytes {
    /// Copies `count` bytes: whole 32-byte vectors, the last one overlapping
    /// the one before when `count` is not a multiple of 32; below 32 bytes,
    /// two moves of 16, 8 or 4 bytes that may overlap; below 4, byte by byte.
    @inlinable @inline(__always)
    public static func copy(_ d: UnsafeMutableRawPointer, _ s: UnsafeRawPointer, _ count: Int) {
        if count >= 32 {
            var o = 0
            while o &+ 32 <= count {
                d.storeBytes(of: s.loadUnaligned(fromByteOffset: o, as: SIMD32<UInt8>.self), toByteOffset: o, as: SIMD32<UInt8>.self)
                o &+= 32
            }
            if o < count {
                d.storeBytes(of: s.loadUnaligned(fromByteOffset: count &- 32, as: SIMD32<UInt8>.self), toByteOffset: count &- 32,
                             as: SIMD32<UInt8>.self)
            }
        } else if count >= 16 {
            pair(d, s, count, SIMD16<UInt8>.self)
        } else if count >= 8 {
            pair(d, s, count, UInt64.self)
        } else if count >= 4 {
            pair(d, s, count, UInt32.self)
        } else {
            for o in 0..<count { d.storeBytes(of: s.load(fromByteOffset: o, as: UInt8.self), toByteOffset: o, as: UInt8.self) }
        }
    }

    /// The first and the last `MemoryLayout<T>.size` bytes of `count` (at
    /// least that many, at most twice), both loaded before either is stored.
    @inlinable @inline(__always)
    static func pair<T>(_ d: UnsafeMutableRawPointer, _ s: UnsafeRawPointer, _ count: Int, _: T.Type) {
        let tail = count &- MemoryLayout<T>.size
        let head = s.loadUnaligned(as: T.self), last = s.loadUnaligned(fromByteOffset: tail, as: T.self)
        d.storeBytes(of: head, as: T.self)
        d.storeBytes(of: last, toByteOffset: tail, as: T.self)
    }
}
