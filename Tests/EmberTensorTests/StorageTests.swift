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
        let a = try NDArray.zeros([4], dtype: .float32)
        XCTAssertEqual(a.storage.version, 0)
        a.storage.version &+= 1
        XCTAssertEqual(a.storage.version, 1)
        // (Only the shared case is asserted: a debug build may hold a
        // temporary reference of its own, and true is then merely missed.)
        let view = try a.reshaped([2, 2])
        XCTAssertFalse(a.storage.isUniquelyReferenced, "a view shares the storage")
        withExtendedLifetime(view) {}
    }
}
