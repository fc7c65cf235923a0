/// A shape or a list of strides, stored inline (no heap, no reference count):
/// copying one is a memcpy. Every NDArray carries two, so this is what keeps
/// per-op overhead low. At most `Dims.capacity` entries.
///
/// ```swift
/// let shape: Dims = [2, 3]
/// shape.count      // 2
/// shape[1]         // 3
/// describe(shape)  // "[2, 3]"
/// ```
@frozen
public struct Dims: Sendable {
    /// The most dimensions a tensor may have.
    public static let capacity = 12

    @usableFromInline var storage: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)
    @usableFromInline var length: Int

    /// No dimensions (a scalar's shape).
    @inlinable public init() {
        storage = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        length = 0
    }

    /// `count` copies of `value`.
    @inlinable public init(repeating value: Int, count: Int) {
        self.init()
        precondition(count >= 0 && count <= Dims.capacity, "Dims holds at most \(Dims.capacity) entries")
        length = count
        for i in 0..<count { self[i] = value }
    }

    /// The shape of a matrix, rows x cols. (A `[rows, cols]` literal builds
    /// an array first, which the optimiser does not always keep off the heap.)
    @inlinable public init(_ rows: Int, _ cols: Int) {
        self.init()
        length = 2
        storage.0 = rows
        storage.1 = cols
    }

    /// The entries of `values`, which callers have checked to fit (see `init(checking:)`).
    @inlinable public init<C: Collection>(_ values: C) where C.Element == Int {
        self.init()
        precondition(values.count <= Dims.capacity, "Dims holds at most \(Dims.capacity) entries")
        for v in values { append(v) }
    }

    /// The entries of `values`, or an error if there are more than `capacity`.
    public init<C: Collection>(checking values: C) throws where C.Element == Int {
        guard values.count <= Dims.capacity else {
            throw EmberError.invalidArgument("a tensor may have at most \(Dims.capacity) dimensions, got \(values.count)")
        }
        self.init(values)
    }

    @inlinable public var isEmpty: Bool { length == 0 }

    @inlinable public mutating func append(_ value: Int) {
        precondition(length < Dims.capacity, "Dims holds at most \(Dims.capacity) entries")
        length += 1
        self[length - 1] = value
    }

    @inlinable public mutating func insert(_ value: Int, at index: Int) {
        precondition(length < Dims.capacity && index >= 0 && index <= length)
        length += 1
        var i = length - 1
        while i > index {
            self[i] = self[i - 1]
            i -= 1
        }
        self[index] = value
    }

    @discardableResult
    @inlinable public mutating func remove(at index: Int) -> Int {
        let value = self[index]
        for i in index..<(length - 1) { self[i] = self[i + 1] }
        length -= 1
        return value
    }

    @discardableResult
    @inlinable public mutating func removeLast() -> Int {
        let value = self[length - 1]
        length -= 1
        return value
    }

    /// The product of the entries (wrapping; shapes are validated before this matters).
    @inlinable public var product: Int {
        var n = 1
        for i in 0..<length { n &*= self[i] }
        return n
    }

    /// The entries as an array.
    @inlinable public var array: [Int] { Array(self) }

    /// These entries followed by `other`'s.
    @inlinable public static func + (lhs: Dims, rhs: Dims) -> Dims {
        var out = lhs
        for v in rhs { out.append(v) }
        return out
    }

    /// The first `count - n` entries.
    @inlinable public func droppingLast(_ n: Int = 1) -> Dims {
        var out = self
        out.length = Swift.max(0, length - n)
        return out
    }
}

extension Dims: RandomAccessCollection, MutableCollection {
    public typealias Index = Int
    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { length }
    @inlinable public var count: Int { length }

    @inlinable public subscript(i: Int) -> Int {
        get {
            precondition(UInt(bitPattern: i) < UInt(Dims.capacity), "Dims index out of range")
            return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i &* 8, as: Int.self) }
        }
        set {
            precondition(UInt(bitPattern: i) < UInt(Dims.capacity), "Dims index out of range")
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: i &* 8, as: Int.self) }
        }
    }
}

extension Dims: Equatable {
    @inlinable public static func == (lhs: Dims, rhs: Dims) -> Bool {
        guard lhs.length == rhs.length else { return false }
        // Entry by entry on the tuple fields: the subscript would copy both tuples.
        let n = lhs.length
        if n > 0 && lhs.storage.0 != rhs.storage.0 { return false }
        if n > 1 && lhs.storage.1 != rhs.storage.1 { return false }
        if n > 2 && lhs.storage.2 != rhs.storage.2 { return false }
        if n > 3 && lhs.storage.3 != rhs.storage.3 { return false }
        if n > 4 && lhs.storage.4 != rhs.storage.4 { return false }
        if n > 5 && lhs.storage.5 != rhs.storage.5 { return false }
        if n > 6 && lhs.storage.6 != rhs.storage.6 { return false }
        if n > 7 && lhs.storage.7 != rhs.storage.7 { return false }
        if n > 8 && lhs.storage.8 != rhs.storage.8 { return false }
        if n > 9 && lhs.storage.9 != rhs.storage.9 { return false }
        if n > 10 && lhs.storage.10 != rhs.storage.10 { return false }
        if n > 11 && lhs.storage.11 != rhs.storage.11 { return false }
        return true
    }
}

extension Dims: Hashable {
    @inlinable public func hash(into hasher: inout Hasher) {
        hasher.combine(length)
        for v in self { hasher.combine(v) }
    }
}

extension Dims: ExpressibleByArrayLiteral {
    /// Inlined whole, so that the literal's array can stay off the heap
    /// (`[n, m]` as a new array's shape was an allocation per op). The
    /// optimiser does not always manage it: hot paths use `init(_:_:)`.
    @inlinable @inline(__always) public init(arrayLiteral elements: Int...) {
        self.init()
        precondition(elements.count <= Dims.capacity, "Dims holds at most \(Dims.capacity) entries")
        length = elements.count
        withUnsafeMutableBytes(of: &storage) { p in
            for i in 0..<elements.count { p.storeBytes(of: elements[i], toByteOffset: i &* 8, as: Int.self) }
        }
    }
}

extension Dims: CustomStringConvertible {
    public var description: String { describe(self) }
}

/// `[2, 3]` -- shapes in messages look like the contents of torch's `torch.Size([2, 3])`.
public func describe(_ shape: Dims) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
