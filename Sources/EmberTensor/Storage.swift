import Glibc

/// A reference-counted block of memory that tensors view (64-byte aligned above 4 KiB).
///
/// Allocation goes through malloc and posix_memalign, which return nil instead of
/// trapping, so running out of memory is an error the C layer can report.
public final class Storage {
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int
    /// Memory this storage does not own (a caller's buffer) is never freed by it.
    public let ownsMemory: Bool
    /// What keeps borrowed memory valid (a mapped file, a DLPack producer),
    /// released with the storage: when the last array using the memory is gone.
    public let owner: AnyObject?
    /// Bumped by every in-place write, so autograd can notice saved values
    /// that were changed behind its back.
    public var version: Int = 0

    /// Uninitialised memory for `byteCount` bytes.
    public init(byteCount: Int) throws {
        guard byteCount >= 0 else { throw EmberError.outOfMemory("cannot allocate \(byteCount) bytes") }
        var raw: UnsafeMutableRawPointer? = nil
        // Small buffers come from malloc (16-byte aligned, and much cheaper);
        // large ones are cache-line aligned for the vector loops and BLAS.
        if byteCount <= 4096 {
            raw = malloc(max(byteCount, 16))
        } else if posix_memalign(&raw, 64, byteCount) != 0 {
            raw = nil
        }
        guard let pointer = raw else {
            throw EmberError.outOfMemory("cannot allocate \(byteCount) bytes (\(Storage.humanSize(byteCount)))")
        }
        self.base = pointer
        self.byteCount = byteCount
        self.ownsMemory = true
        self.owner = nil
    }

    /// A view of memory owned by someone else: the caller keeps it alive while
    /// this storage is used, or hands over an `owner` that does, which this
    /// storage keeps until it is itself released.
    ///
    /// ```swift
    /// let file = try MappedFile(path: path)
    /// let s = Storage(borrowing: file.base! + offset, byteCount: n, owner: file)   // unmapped after the last view
    /// ```
    public init(borrowing pointer: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject? = nil) {
        self.base = pointer
        self.byteCount = byteCount
        self.ownsMemory = false
        self.owner = owner
    }

    deinit { if ownsMemory { free(base) } }

    static func humanSize(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : "\(Double(Int(value * 10)) / 10) \(units[unit])"
    }
}
