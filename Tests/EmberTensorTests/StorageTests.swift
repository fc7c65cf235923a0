@testable import EmberTensor
import EmberTestSupport
import XCTest

/// Storage: small blocks inside the object, large ones apart and cache-line
/// aligned, borrowed memory never freed, and the uniqueness test the engine
/// uses to adopt a gradient's memory.
final class StorageTests: XCTestCase {
    func testSmallBlocksAreInsideTheObjectAndAligned() throws {
        for bytes in [0, 1, 16, 100, 4096] {
            let s = try Storage.allocate(byteCount: bytes)
            XCTAssertEqual(s.byteCount, bytes)
            XCTAssertTrue(s.ownsMemory)
            XCTAssertEqual(Int(bitPattern: s.base) % 16, 0, "\(bytes) bytes")
            let object = Int(bitPattern: Unmanaged.passUnretained(s).toOpaque())
            XCTAssertTrue(Int(bitPattern: s.base) > object && Int(bitPattern: s.base) < object + 128 + bytes,
                          "\(bytes) bytes should follow the object's header")
            // Every byte is writable.
            memset(s.base, 0xAB, bytes)
        }
    }

    func testLargeBlocksAreCacheLineAligned() throws {
        for bytes in [4097, 1 << 20] {
            let s = try Storage.allocate(byteCount: bytes)
            XCTAssertEqual(Int(bitPattern: s.base) % 64, 0)
            XCTAssertTrue(s.ownsMemory)
            memset(s.base, 0xCD, bytes)
        }
    }

    func testNegativeAndAbsurdSizesAreErrors() {
        XCTAssertThrowsError(try Storage.allocate(byteCount: -1))
        XCTAssertThrowsError(try Storage.allocate(byteCount: 1 << 60)) { error in
            XCTAssertEqual((error as? EmberError)?.kind, .outOfMemory)
        }
    }

    func testBorrowedMemoryIsNotOwnedAndTheOwnerLivesWithTheStorage() {
        final class Owner {}
        weak var weakOwner: Owner?
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { buffer.deallocate() }
        do {
            let owner = Owner()
            weakOwner = owner
            let s = Storage.borrowing(buffer, byteCount: 64, owner: owner)
            XCTAssertFalse(s.ownsMemory)
            XCTAssertEqual(s.base, buffer)
            XCTAssertTrue(s.owner === owner)
        }
        XCTAssertNil(weakOwner, "the owner is released with the storage")
    }

    func testVersionAndUniqueness() throws {
        var a = try NDArray.zeros([4], dtype: .float32)
        XCTAssertEqual(a.storage.version, 0)
        a.storage.version &+= 1
        XCTAssertEqual(a.storage.version, 1)
        // How the engine asks whether a gradient's memory is its own.
        XCTAssertTrue(isKnownUniquelyReferenced(&a.storage))
        let view = try a.reshaped([2, 2])
        XCTAssertFalse(isKnownUniquelyReferenced(&a.storage), "a view shares the storage")
        withExtendedLifetime(view) {}
    }

    func testLargeBlocksAreKeptPerSizeAndReused() {
        let cache = BlockCache(limit: 1 << 20)
        XCTAssertEqual(BlockCache.rounded(4097), 8192)
        XCTAssertEqual(BlockCache.rounded(8192), 8192)
        XCTAssertNil(BlockCache.rounded(Int.max))
        let a = malloc(8192)!, b = malloc(8192)!
        cache.give(a, 8192)
        cache.give(b, 8192)
        XCTAssertEqual(cache.keptBytes, 16384)
        XCTAssertNil(cache.take(12288), "only a block of the same size is reused")
        let first = cache.take(8192), second = cache.take(8192)
        XCTAssertEqual(Set([first, second].compactMap { $0 }), Set([a, b]))
        XCTAssertNil(cache.take(8192))
        XCTAssertEqual(cache.keptBytes, 0)
        // More than a quarter of the limit is never kept; beyond the limit, blocks are freed.
        cache.give(malloc(300_000)!, 300_032)
        XCTAssertEqual(cache.keptBytes, 0)
        for _ in 0..<5 { cache.give(malloc(200_704)!, 200_704) }
        XCTAssertEqual(cache.keptBytes, 5 * 200_704)
        cache.give(malloc(200_704)!, 200_704)
        XCTAssertEqual(cache.keptBytes, 5 * 200_704, "the sixth would pass the limit: freed")
        XCTAssertEqual(cache.clear(), 5 * 200_704)
        XCTAssertEqual(cache.keptBytes, 0)
        // A limit of 0 keeps nothing.
        let off = BlockCache(limit: 0)
        off.give(malloc(8192)!, 8192)
        XCTAssertEqual(off.keptBytes, 0)
        XCTAssertNil(off.take(8192))
    }

    func testStoragesReuseTheMemoryOfFreedOnes() throws {
        guard BlockCache.shared.limit > 0 else { throw XCTSkip("EMBER_CACHE_MB=0 turned the cache off") }
        Storage.emptyCache()
        let base: UnsafeMutableRawPointer
        do {
            let s = try Storage.allocate(byteCount: 100_000)
            base = s.base
        }
        XCTAssertGreaterThanOrEqual(BlockCache.shared.keptBytes, 102_400)
        do {
            let again = try Storage.allocate(byteCount: 99_000)   // the same 4 KiB-rounded size
            XCTAssertEqual(again.base, base)
            XCTAssertEqual(again.byteCount, 99_000)
        }
        XCTAssertGreaterThan(Storage.emptyCache(), 0)
        XCTAssertEqual(BlockCache.shared.keptBytes, 0)
    }

    /// When the system refuses a block, the kept blocks go back before the
    /// error is reported (they might have made room).
    func testAFailedAllocationReleasesTheKeptBlocksFirst() throws {
        guard BlockCache.shared.limit > 0 else { throw XCTSkip("EMBER_CACHE_MB=0 turned the cache off") }
        Storage.emptyCache()
        do { _ = try Storage.allocate(byteCount: 100_000) }
        XCTAssertGreaterThan(BlockCache.shared.keptBytes, 0)
        XCTAssertThrowsError(try Storage.allocate(byteCount: 1 << 60)) { error in
            XCTAssertEqual((error as? EmberError)?.kind, .outOfMemory)
        }
        XCTAssertEqual(BlockCache.shared.keptBytes, 0)
    }
}
