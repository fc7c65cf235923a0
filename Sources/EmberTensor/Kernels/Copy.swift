import Glibc

extension NDArray {
    /// A contiguous copy (or self, if already contiguous and `force` is false).
    public func contiguous(force: Bool = false) throws -> NDArray {
        if !force && isContiguous { return self }
        let out = try NDArray(empty: shape, dtype: dtype)
        Kernels.copy(from: self, into: out)
        return out
    }

    /// Runs `body` on the first element of the values laid out contiguously:
    /// this array's own when it is contiguous, else a contiguous copy's.
    /// Unlike `contiguous()`, which returns self as a new value, the usual
    /// case copies no array (a retain of its storage, and of its wide layout's reference).
    @inlinable
    public func withContiguousElements<T: Element, R>(_: T.Type, _ body: (UnsafeMutablePointer<T>) throws -> R) throws -> R {
        if isContiguous { return try body(pointer(T.self)) }
        let copy = try contiguous()
        return try withExtendedLifetime(copy) { try body(copy.pointer(T.self)) }
    }

    /// A contiguous copy converted to `dtype` (self if nothing changes).
    public func cast(to dtype: DType) throws -> NDArray {
        if dtype == self.dtype { return self }
        let out = try NDArray(empty: shape, dtype: dtype)
        Kernels.copy(from: self, into: out)
        return out
    }
}

public enum Kernels {}

extension Kernels {
    /// Copies `src` into `dst` element by element (same shape; the dtypes may
    /// differ, converting as torch's `.to(dtype)` does). `dst` must not overlap `src`.
    public static func copy(from src: NDArray, into dst: NDArray) {
        if src.dtype == dst.dtype && src.isContiguous && dst.isContiguous {
            memcpy(dst.rawPointer, src.rawPointer, src.count * src.dtype.itemSize)
            return
        }
        switch src.dtype {
        case .float32: copyFrom(src, dst, Float.self)
        case .float64: copyFrom(src, dst, Double.self)
        case .int64: copyFrom(src, dst, Int64.self)
        case .bool: copyFrom(src, dst, Bool.self)
        }
    }

    @inline(__always)
    static func copyFrom<S: Element>(_ src: NDArray, _ dst: NDArray, _: S.Type) {
        switch dst.dtype {
        case .float32: copyLoop(src, dst, S.self, Float.self)
        case .float64: copyLoop(src, dst, S.self, Double.self)
        case .int64: copyLoop(src, dst, S.self, Int64.self)
        case .bool: copyLoop(src, dst, S.self, Bool.self)
        }
    }

    @inline(__always)
    static func copyLoop<S: Element, D: Element>(_ src: NDArray, _ dst: NDArray, _: S.Type, _: D.Type) {
        let s = src.pointer(S.self), d = dst.pointer(D.self)
        if src.isContiguous && dst.isContiguous {
            for i in 0..<dst.count { d[i] = s[i].cast(to: D.self) }
            return
        }
        let layout = StridedLayout(shape: dst.shape, dst.strides, src.strides)
        let (so, si, _) = layout.inner
        // Rows split across threads (a copy is about as cheap per element as an add).
        Parallel.forEach(layout.rowCount, grain: Swift.max(1, 32_768 / Swift.max(1, layout.rowLength))) { rows in
            layout.forEachRow(in: rows) { n, od, os, _ in
                let dp = d + od, sp = s + os
                if so == 1 && si == 1 {
                    for i in 0..<n { dp[i] = sp[i].cast(to: D.self) }
                } else {
                    for i in 0..<n { dp[i * so] = sp[i * si].cast(to: D.self) }
                }
            }
        }
    }

    /// Fills `dst` (any layout) with `value` converted to its dtype.
    public static func fill(_ dst: NDArray, with value: Double) {
        switch dst.dtype {
        case .float32: fillLoop(dst, Float(castFrom: value))
        case .float64: fillLoop(dst, value)
        case .int64: fillLoop(dst, Int64(castFrom: value))
        case .bool: fillLoop(dst, value != 0)
        }
    }

    @inline(__always)
    static func fillLoop<T: Element>(_ dst: NDArray, _ value: T) {
        let d = dst.pointer(T.self)
        if dst.isContiguous {
            d.update(repeating: value, count: dst.count)
            return
        }
        let layout = StridedLayout(shape: dst.shape, dst.strides)
        let so = layout.inner.0
        layout.forEachRow { n, od, _, _ in
            let dp = d + od
            if so == 1 { dp.update(repeating: value, count: n) } else { for i in 0..<n { dp[i * so] = value } }
        }
    }
}
