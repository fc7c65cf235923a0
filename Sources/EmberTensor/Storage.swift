import Glibc

/// What a `Storage` knows about its memory.
public struct StorageHeader {
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int
    /// Memory this storage does not own (a caller's buffer) is never freed by it.
    public let ownsMemory: Bool
    /// Owned memory allocated apart from the object (large blocks), freed by its deinit.
    let separate: Bool
    /// What keeps borrowed memory valid (a mapped file, a DLPack producer),
    /// released with the storage: when the last array using the memory is gone.
    public let owner: AnyObject?
    /// Bumped by every in-place write, so autograd can notice saved values
    /// that were changed behind its back.
    public var version: Int
}

/// A reference-counted block of memory that tensors view (64-byte aligned above 4 KiB).
///
/// Up to 4 KiB the elements live in the storage object itself (16-byte
/// aligned): one allocation per tensor instead of two, which is most of what
/// a small op costs. Larger blocks come from BlockCache (a block of the same
/// size freed earlier) or posix_memalign, which returns nil instead of
/// trapping, so running out of memory is an error the C layer can report.
///
/// ```swift
/// let s = try Storage.allocate(byteCount: 256)
/// s.base.storeBytes(of: Float(1), as: Float.self)
/// ```
public final class Storage: ManagedBuffer<StorageHeader, UInt64> {
    /// Blocks up to this size are allocated inside the object.
    static let inlineLimit = 4096

    @inlinable public var base: UnsafeMutableRawPointer { header.base }
    @inlinable public var byteCount: Int { header.byteCount }
    @inlinable public var ownsMemory: Bool { header.ownsMemory }
    @inlinable public var owner: AnyObject? { header.owner }
    @inlinable public var version: Int {
        get { header.version }
        set { header.version = newValue }
    }

    /// Uninitialised memory for `byteCount` bytes.
    public static func allocate(byteCount: Int) throws -> Storage {
        guard byteCount >= 0 else { throw EmberError.outOfMemory("cannot allocate \(byteCount) bytes") }
        if byteCount <= inlineLimit {
            // 8-byte elements keep the object on plain malloc (a 16-byte
            // element type would make the runtime use posix_memalign); one
            // spare element lets the data start at the next 16-byte boundary.
            let units = (Swift.max(byteCount, 16) + 7) / 8 + 1
            let buffer = Storage.create(minimumCapacity: units) { buffer in
                let elements = buffer.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
                let aligned = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: elements) + 15) & ~15)!
                return StorageHeader(base: aligned, byteCount: byteCount, ownsMemory: true, separate: false, owner: nil, version: 0)
            }
            return unsafeDowncast(buffer, to: Storage.self)
        }
        // A kept block of the size, else a new one; when the system has none
        // left, the blocks kept for other sizes go back first.
        let cache = BlockCache.shared
        guard let size = BlockCache.rounded(byteCount),
              let pointer = cache.take(size) ?? alignedBlock(size) ?? (cache.clear() > 0 ? alignedBlock(size) : nil) else {
            throw EmberError.outOfMemory("cannot allocate \(byteCount) bytes (\(Storage.humanSize(byteCount)))")
        }
        return make(StorageHeader(base: pointer, byteCount: byteCount, ownsMemory: true, separate: true, owner: nil, version: 0))
    }

    /// `size` bytes aligned to a cache line, or nil.
    private static func alignedBlock(_ size: Int) -> UnsafeMutableRawPointer? {
        var raw: UnsafeMutableRawPointer? = nil
        return posix_memalign(&raw, 64, size) == 0 ? raw : nil
    }

    /// Frees the large blocks kept for reuse (see BlockCache); the bytes freed.
    @discardableResult
    public static func emptyCache() -> Int { BlockCache.shared.clear() }

    /// A view of memory owned by someone else: the caller keeps it alive while
    /// this storage is used, or hands over an `owner` that does, which this
    /// storage keeps until it is itself released.
    ///
    /// ```swift
    /// let file = try MappedFile(path: path)
    /// let s = Storage.borrowing(file.base! + offset, byteCount: n, owner: file)   // unmapped after the last view
    /// ```
    public static func borrowing(_ pointer: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject? = nil) -> Storage {
        make(StorageHeader(base: pointer, byteCount: byteCount, ownsMemory: false, separate: false, owner: owner, version: 0))
    }

    /// A storage object without elements of its own.
    private static func make(_ header: StorageHeader) -> Storage {
        unsafeDowncast(Storage.create(minimumCapacity: 0) { _ in header }, to: Storage.self)
    }

    deinit {
        // Large owned blocks go back to the cache (or to free when it is full).
        if header.separate, let size = BlockCache.rounded(header.byteCount) { BlockCache.shared.give(header.base, size) }
    }

    static func humanSize(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : "\(Double(Int(value * 10)) / 10) \(units[unit])"
    }
}
