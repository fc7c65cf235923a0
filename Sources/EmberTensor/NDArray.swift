import Glibc

/// An n-dimensional view on a `Storage`: dtype, shape, strides and offset, all
/// in elements. Value semantics for the metadata; the storage is shared, so
/// views (reshape, transpose, permute, expand) cost no copy. No autograd here.
public struct NDArray {
    public var storage: Storage
    public let dtype: DType
    public let shape: Dims
    public let strides: Dims
    public let offset: Int
    /// The number of elements (product of `shape`).
    public let count: Int
    /// Whether the elements are laid out row-major without gaps (size-1 dims
    /// ignored, and an empty array always contiguous, as torch has it);
    /// computed once, as every kernel asks.
    public let isContiguous: Bool

    /// A view; the caller guarantees that it stays inside the storage.
    @inlinable
    public init(storage: Storage, dtype: DType, shape: Dims, strides: Dims, offset: Int = 0) {
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
        let count = shape.product
        self.count = count
        self.isContiguous = NDArray.layoutIsContiguous(shape, strides, count)
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
        self.storage = try Storage.allocate(byteCount: n * dtype.itemSize)
        self.dtype = dtype
        self.shape = shape
        self.strides = Shapes.contiguousStrides(shape)
        self.offset = 0
        self.count = n
        self.isContiguous = true  // row-major strides by construction
    }

    @inlinable public var ndim: Int { shape.count }

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
