import Glibc
import Synchronization

/// Large blocks (above Storage.inlineLimit) freed by storages, kept for the
/// next allocation of the same size instead of going back to malloc.
///
/// A training step allocates the same activation and gradient sizes every
/// time. glibc serves blocks of a few hundred KiB by mmap, or from the top of
/// its heap, which it trims when they are freed, so every step faulted its
/// memory in afresh: about 900 page faults per step of the MNIST MLP, a
/// fifth of its time. Blocks are kept per size (rounded up to 4 KiB) up to a
/// total of `limit` bytes, and a block larger than a quarter of the limit is
/// never kept. EMBER_CACHE_MB sets the limit (default 256; 0 turns the cache
/// off, as the sanitizer and fuzzing builds do, so that ASan sees every free).
final class BlockCache: @unchecked Sendable {
    static let shared = BlockCache(limit: BlockCache.limitFromEnvironment())

    static let granule = 4096

    let limit: Int
    private struct State {
        var blocks: [Int: [UnsafeMutableRawPointer]] = [:]
        var bytes = 0
    }
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    static func limitFromEnvironment() -> Int {
        guard let text = getenv("EMBER_CACHE_MB").map({ String(cString: $0) }), let mb = Int(text), mb >= 0 else {
            return 256 << 20
        }
        return mb > Int.max >> 21 ? Int.max >> 1 : mb << 20
    }

    /// The size a block of `byteCount` bytes is allocated with (nil if absurd).
    @inline(__always)
    static func rounded(_ byteCount: Int) -> Int? {
        byteCount > Int.max - granule ? nil : (byteCount + granule - 1) & ~(granule - 1)
    }

    /// A kept block of exactly `size` bytes (a rounded size), if there is one.
    func take(_ size: Int) -> UnsafeMutableRawPointer? {
        guard limit > 0 else { return nil }
        return state.withLock { s in
            guard let block = s.blocks[size]?.popLast() else { return nil }
            s.bytes -= size
            return block
        }
    }

    /// Keeps `block` (of rounded `size` bytes) or frees it when the cache is full.
    func give(_ block: UnsafeMutableRawPointer, _ size: Int) {
        if limit > 0 && size <= limit / 4 {
            let kept = state.withLock { s -> Bool in
                guard s.bytes + size <= limit else { return false }
                s.blocks[size, default: []].append(block)
                s.bytes += size
                return true
            }
            if kept { return }
        }
        free(block)
    }

    /// Frees every kept block (ember_empty_cache); the bytes freed.
    func clear() -> Int {
        let (all, bytes) = state.withLock { s -> ([UnsafeMutableRawPointer], Int) in
            let taken = (s.blocks.values.flatMap { $0 }, s.bytes)
            s.blocks = [:]
            s.bytes = 0
            return taken
        }
        for block in all { free(block) }
        return bytes
    }

    /// Bytes currently kept.
    var keptBytes: Int { state.withLock { $0.bytes } }
}
