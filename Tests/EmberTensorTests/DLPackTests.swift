@testable import EmberTensor
import EmberTestSupport
import XCTest

/// DLPack layouts: what an Ember array exports, which foreign layouts import
/// as views (sharing memory, the owner kept alive exactly as long as needed)
/// and which are copied, and the errors for what Ember cannot take.
final class DLPackTests: XCTestCase {
    /// An owner that counts its releases.
    final class Owner {
        static var released = 0
        deinit { Owner.released += 1 }
    }

    func layout(_ p: UnsafeMutableRawPointer?, _ shape: [Int64], _ strides: [Int64]?, code: UInt8 = 2, bits: UInt8 = 32,
                offset: UInt64 = 0, readOnly: Bool = false, device: Int32 = 1) -> DLPackLayout {
        DLPackLayout(data: p, byteOffset: offset, deviceType: device, deviceID: 0, shape: shape, strides: strides, code: code, bits: bits,
                     lanes: 1, readOnly: readOnly)
    }

    func testExportDescribesTheViewWithoutCopying() throws {
        let base = try NDArray.arange(start: 0, end: 24, step: 1, dtype: .float64).reshaped([2, 3, 4])
        let view = try base.permuted([2, 0, 1]).narrowed(dim: 0, start: 1, length: 2)
        let l = DLPackLayout(exporting: view)
        XCTAssertEqual(l.shape, [2, 2, 3])
        XCTAssertEqual(l.strides, [1, 12, 4])
        XCTAssertEqual(l.data, base.rawPointer + 8, "the first element of the view, byte_offset 0")
        XCTAssertEqual(l.byteOffset, 0)
        XCTAssertEqual(l.deviceType, 1)
        XCTAssertEqual([l.code, l.bits], [2, 64])
        XCTAssertEqual(DLPackLayout.typeCode(.int64).0, DLPackLayout.codeInt)
        XCTAssertEqual(DLPackLayout.typeCode(.bool).0, DLPackLayout.codeBool)
    }

    func testAlignedWritableTensorsAreViewedAndTheOwnerLivesAsLongAsTheStorage() throws {
        var values: [Float] = (0..<12).map(Float.init)
        try values.withUnsafeMutableBytes { raw in
            Owner.released = 0
            var made = 0
            // A transposed (3, 4) -> (4, 3) view given by strides, starting at element 0.
            var (array, views) = try layout(raw.baseAddress, [4, 3], [1, 4]).importArray { made += 1; return Owner() }
            XCTAssertTrue(views)
            XCTAssertEqual(made, 1)
            XCTAssertEqual(array.toDoubles(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
            array.pointer(Float.self)[4] = 100  // element (0, 1) of the view: offset 0 * 1 + 1 * 4
            XCTAssertEqual(raw.load(fromByteOffset: 16, as: Float.self), 100, "the import shares memory")
            let copy = try array.contiguous()  // not contiguous: a copy, which does not hold the owner
            XCTAssertTrue(copy.storage.ownsMemory)
            XCTAssertEqual(Owner.released, 0, "the array still uses the memory")
            let sharing = try array.transposed(0, 1)
            array = try NDArray.zeros([1], dtype: .float32)
            XCTAssertEqual(Owner.released, 0, "a view of the import keeps it")
            XCTAssertEqual(sharing.value(at: [1, 0]), 100)
        }
        XCTAssertEqual(Owner.released, 1, "released exactly once when nothing uses it")
    }

    func testReadOnlyNegativeStridesMisalignmentAndOddBoolsAreCopied() throws {
        var values: [Double] = [1, 2, 3, 4, 5, 6]
        try values.withUnsafeMutableBytes { raw in
            var ownerMade = false
            let ro = try layout(raw.baseAddress, [6], nil, bits: 64, readOnly: true).importArray { ownerMade = true; return Owner() }
            XCTAssertFalse(ro.views)
            XCTAssertFalse(ownerMade)
            ro.array.pointer(Double.self)[0] = -1
            XCTAssertEqual(raw.load(as: Double.self), 1, "a read-only tensor is never written")
            // Reversed, starting at the last element.
            let rev = try layout(raw.baseAddress, [3], [-2], bits: 64, offset: 40).importArray { Owner() }
            XCTAssertFalse(rev.views)
            XCTAssertEqual(rev.array.toDoubles(), [6, 4, 2])
        }
        var bytes: [UInt8] = [0, 1, 0, 0, 128, 63, 0, 0, 0, 64]  // float 1 and 2 at byte offset 2
        try bytes.withUnsafeMutableBytes { raw in
            let mis = try layout(raw.baseAddress, [2], nil, offset: 2).importArray { Owner() }
            XCTAssertFalse(mis.views)
            XCTAssertEqual(mis.array.toDoubles(), [1, 2])
        }
        var flags: [UInt8] = [0, 2, 1]
        try flags.withUnsafeMutableBytes { raw in
            let b = try layout(raw.baseAddress, [3], nil, code: 6, bits: 8).importArray { Owner() }
            XCTAssertFalse(b.views)
            XCTAssertEqual(b.array.toDoubles(), [0, 1, 1])
        }
        let empty = try layout(nil, [0, 5], nil).importArray { Owner() }
        XCTAssertFalse(empty.views)
        XCTAssertEqual(empty.array.shape, [0, 5])
    }

    func testWhatEmberCannotTakeIsAnError() {
        var x: Float = 1
        withUnsafeMutablePointer(to: &x) { p in
            let raw = UnsafeMutableRawPointer(p)
            assertThrows(.invalidArgument, ["kDLCUDA", "CPU tensors"]) { try layout(raw, [1], nil, device: 2).importArray { Owner() } }
            assertThrows(.dtype, ["float16", "code 2, bits 16"]) { try layout(raw, [1], nil, bits: 16).importArray { Owner() } }
            assertThrows(.dtype, ["bfloat16"]) { try layout(raw, [1], nil, code: 4, bits: 16).importArray { Owner() } }
            assertThrows(.dtype, ["uint8"]) { try layout(raw, [1], nil, code: 1, bits: 8).importArray { Owner() } }
            assertThrows(.invalidArgument, ["negative size -1"]) { try layout(raw, [-1], nil).importArray { Owner() } }
            assertThrows(.invalidArgument, ["13 dimensions"]) { try layout(raw, [Int64](repeating: 1, count: 13), nil).importArray { Owner() } }
            assertThrows(.invalidArgument, ["NULL data"]) { try layout(nil, [1], nil).importArray { Owner() } }
            assertThrows(.invalidArgument, ["2 sizes but 1 strides"]) { try layout(raw, [1, 1], [1]).importArray { Owner() } }
            assertThrows(.invalidArgument, ["address space"]) { try layout(raw, [3], [Int64.max / 2]).importArray { Owner() } }
            assertThrows(.outOfMemory) { try layout(raw, [Int64.max, 4], nil).importArray { Owner() } }
        }
    }
}
