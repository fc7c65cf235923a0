import Glibc

/// An n-dimensional view on a `Storage`: dtype, shape, strides and offset, all
/// in elements. Value semantics for the metadata; the storage is shared, so
/// views (reshape, transpose, permute, expand) cost no copy. No autograd here.
public struct NDArray {
    // Layout: at most 128 bytes (115 today), so that LLVM copies an NDArray
    // with a few vector moves instead of a call to memcpy -- every read of a
    // tensor's array for a kernel call copies it. Shape and strides of up to
    // `inlineRank` dimensions live in the value itself; more go to a shared
    // immutable `WideLayout` (nil for the common case). `storage` must stay
    // the first field: `Tensor.isSoleHolderOfStorage` reads it there.
    public var storage: Storage
    @usableFromInline let wide: WideLayout?
    @usableFromInline let shape5: (Int, Int, Int, Int, Int)
    @usableFromInline let strides5: (Int, Int, Int, Int, Int)
    public let offset: Int
    /// The number of elements (product of `shape`).
    public let count: Int
    public let dtype: DType
    @usableFromInline let rank: UInt8
    /// Whether the elements are laid out row-major without gaps (size-1 dims
    /// ignored, and an empty array always contiguous, as torch has it);
    /// computed once, as every kernel asks.
    public let isContiguous: Bool

    /// The most dimensions kept inside the value (see the layout note above).
    public static let inlineRank = 5

    /// A view; the caller guarantees that it stays inside the storage.
    @inlinable
    public init(storage: Storage, dtype: DType, shape: Dims, strides: Dims, offset: Int = 0) {
        let count = shape.product
        self.init(storage: storage, dtype: dtype, shape: shape, strides: strides, offset: offset, count: count,
                  isContiguous: NDArray.layoutIsContiguous(shape, strides, count))
    }

    @inlinable
    init(storage: Storage, dtype: DType, shape: Dims, strides: Dims, offset: Int, count: Int, isContiguous: Bool) {
        self.storage = storage
        self.dtype = dtype
        self.offset = offset
        self.count = count
        self.isContiguous = isContiguous
        self.rank = UInt8(truncatingIfNeeded: shape.length)
        if shape.length <= NDArray.inlineRank {
            wide = nil
            shape5 = (shape.storage.0, shape.storage.1, shape.storage.2, shape.storage.3, shape.storage.4)
            strides5 = (strides.storage.0, strides.storage.1, strides.storage.2, strides.storage.3, strides.storage.4)
        } else {
            wide = WideLayout(shape: shape, strides: strides)
            shape5 = (0, 0, 0, 0, 0)
            strides5 = (0, 0, 0, 0, 0)
        }
    }

    /// The size of each dimension. (Inlined, so that `a.shape[1]` is one load.)
    @inlinable @inline(__always) public var shape: Dims {
        if let wide { return wide.shape }
        return NDArray.dims(shape5, rank)
    }

    /// The step, in elements, between neighbours along each dimension.
    @inlinable @inline(__always) public var strides: Dims {
        if let wide { return wide.strides }
        return NDArray.dims(strides5, rank)
    }

    /// The first `rank` entries of an inline layout tuple.
    @inlinable @inline(__always)
    static func dims(_ entries: (Int, Int, Int, Int, Int), _ rank: UInt8) -> Dims {
        var d = Dims()
        d.length = Int(rank)
        d.storage.0 = entries.0; d.storage.1 = entries.1; d.storage.2 = entries.2
        d.storage.3 = entries.3; d.storage.4 = entries.4
        return d
    }

    @inlinable
    static func layoutIsContiguous(_ shape: Dims, _ strides: Dims, _ count: Int) -> Bool {
        if count == 0 { return true }
        var expected = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected &*= shape[d]
        }
        return true
    }

    /// Uninitialised contiguous memory for `shape`.
    public init(empty shape: Dims, dtype: DType) throws {
        let n = try Shapes.validate(shape, itemSize: dtype.itemSize)
        // Row-major strides by construction.
        self.init(storage: try Storage.allocate(byteCount: n * dtype.itemSize), dtype: dtype, shape: shape,
                  strides: Shapes.contiguousStrides(shape), offset: 0, count: n, isContiguous: true)
    }

    @inlinable public var ndim: Int { Int(rank) }

    /// The first element's address.
    @inlinable public var rawPointer: UnsafeMutableRawPointer {
        // Wrapping: a view without elements may carry an offset that no
        // element is ever read at (its dims and strides may be 2^62 large).
        storage.base + offset &* dtype.itemSize
    }

    /// The first element's address, typed. `T` must match `dtype`.
    @inlinable public func pointer<T: Element>(_: T.Type) -> UnsafeMutablePointer<T> {
        rawPointer.assumingMemoryBound(to: T.self)
    }

    /// Whether two arrays may share memory (the same storage).
    @inlinable public func sharesStorage(with other: NDArray) -> Bool { storage === other.storage }
}

/// The shape and strides of an array of more than `NDArray.inlineRank`
/// dimensions, shared by its copies.
public final class WideLayout: Sendable {
    public let shape: Dims
    public let strides: Dims
    @usableFromInline init(shape: Dims, strides: Dims) {
        self.shape = shape
        self.strides = strides
    }
}

// MARK: - Element access (tests and scalar paths; kernels use pointers)

extension NDArray {
    /// The element at `index` (one entry per dimension), as a Double.
    public func value(at index: Dims) -> Double {
        var off = offset
        for d in 0..<index.count { off += index[d] * strides[d] }
        let p = storage.base
        switch dtype {
        case .float32: return Double(p.assumingMemoryBound(to: Float.self)[off])
        case .float64: return p.assumingMemoryBound(to: Double.self)[off]
        case .int64: return Double(p.assumingMemoryBound(to: Int64.self)[off])
        case .bool: return p.assumingMemoryBound(to: Bool.self)[off] ? 1 : 0
        }
    }

    /// All elements in row-major order, as Doubles.
    public func toDoubles() -> [Double] {
        var out = [Double](repeating: 0, count: count)
        guard count > 0 else { return out }
        let c = (try? contiguous()) ?? self
        switch dtype {
        case .float32: let p = c.pointer(Float.self); for i in 0..<count { out[i] = Double(p[i]) }
        case .float64: let p = c.pointer(Double.self); for i in 0..<count { out[i] = p[i] }
        case .int64: let p = c.pointer(Int64.self); for i in 0..<count { out[i] = Double(p[i]) }
        case .bool: let p = c.pointer(Bool.self); for i in 0..<count { out[i] = p[i] ? 1 : 0 }
        }
        return out
    }

    /// The single element of a one-element array.
    public func item() throws -> Double {
        guard count == 1 else {
            throw EmberError.shape("a tensor with \(count) elements cannot be converted to a scalar (shape \(describe(shape)))")
        }
        return value(at: Dims(repeating: 0, count: ndim))
    }
}
