@testable import EmberTensor
import EmberTestSupport
import Foundation
import XCTest

/// The JSON reader and writer, and safetensors files: byte compatibility with
/// the `safetensors` package (a committed file it wrote; live round trips when
/// torch and safetensors are importable), and every kind of malformed file.
final class SafetensorsTests: XCTestCase {
    static let ioDirectory = Fixtures.directory.appendingPathComponent("io")

    // MARK: - JSON

    func testJSONParsesAndSerializesCompactly() throws {
        let v = try JSON.parse(Array(#" { "a" : [1, -2.5e3, true, false, null], "b": {"c": "x\ny\u00e9\ud83d\ude00"} } "#.utf8))
        XCTAssertEqual(v["a"]?[0]?.intValue, 1)
        XCTAssertEqual(v["a"]?[1]?.doubleValue, -2500)
        XCTAssertEqual(v["a"]?[1]?.isInteger, false)
        XCTAssertEqual(v["a"]?[2]?.boolValue, true)
        XCTAssertEqual(v["a"]?[4], .null)
        XCTAssertEqual(v["b"]?["c"]?.stringValue, "x\nyé😀")
        XCTAssertEqual(v.serialized, #"{"a":[1,-2.5e3,true,false,null],"b":{"c":"x\nyé😀"}}"#)
        // serde_json's escapes: short forms, \u00XX in lowercase hex for other controls, '/' and DEL kept.
        XCTAssertEqual(JSONValue.string("q\"b\\/\u{1}\u{1f}\u{7f}\t\r\u{8}\u{c}").serialized, #""q\"b\\/\u0001\u001f"# + "\u{7f}" + #"\t\r\b\f""#)
        XCTAssertEqual(try JSON.parse(Array(#""\/\u0041""#.utf8)).stringValue, "/A")
    }

    func testJSONNumbersAreExact() throws {
        let v = try JSON.parse(Array("[18446744073709551615, 18446744073709551616, 0, -0, 1.0, 1e-05]".utf8))
        XCTAssertEqual(v[0]?.uint64Value, UInt64.max)
        XCTAssertNil(v[1]?.uint64Value, "past UInt64")
        XCTAssertEqual(v[2]?.uint64Value, 0)
        XCTAssertNil(v[3]?.uint64Value, "negative zero is not a size")
        XCTAssertNil(v[4]?.uint64Value, "1.0 is not an integer")
        XCTAssertEqual(v[5]?.doubleValue, 1e-05)
        XCTAssertEqual(JSONValue.double(1).serialized, "1.0")
        XCTAssertEqual(JSONValue.double(1e-05).serialized, "1e-05")
        XCTAssertEqual(JSONValue.double(-.infinity).serialized, "-Infinity")
        let python = try JSON.parse(Array("[NaN, Infinity, -Infinity]".utf8), allowNonFinite: true)
        XCTAssert(python[0]!.doubleValue!.isNaN)
        XCTAssertEqual(python[2]?.doubleValue, -.infinity)
    }

    func testJSONRejectsMalformedText() {
        let bad: [(String, String)] = [
            ("[1,]", "unexpected character"), ("{\"a\":1,}", "expected a string key"), ("01", "leading zero"), ("1.", "after '.'"),
            ("\"a\u{1}\"", "control character"), ("\"\\ud800\"", "lone leading surrogate"), ("\"\\udc00\"", "lone trailing surrogate"),
            ("\"abc", "unterminated"), ("[1] x", "after the value"), ("NaN", "unexpected character"), ("{\"a\" 1}", "expected ':'"),
            ("tru", "unexpected end"), ("\"\\x\"", "invalid escape"), ("-", "expected a digit"), ("", "unexpected end"),
            (String(repeating: "[", count: 200) + String(repeating: "]", count: 200), "nesting deeper than 128"),
        ]
        for (text, fragment) in bad {
            assertThrows(.io, ["invalid JSON", fragment]) { try JSON.parse(Array(text.utf8)) }
        }
        assertThrows(.io, ["not valid UTF-8"]) { try JSON.parse([0x22, 0xC3, 0x28, 0x22]) }
        assertThrows(.io, ["not valid UTF-8"]) { try JSON.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }  // an encoded surrogate
        assertThrows(.io, ["not valid UTF-8"]) { try JSON.parse([0x22, 0xC0, 0xAF, 0x22]) }  // overlong '/'
        XCTAssertNoThrow(try JSON.parse(Array((String(repeating: "[", count: 128) + String(repeating: "]", count: 128)).utf8)))
    }

    // MARK: - Files the safetensors package wrote

    func testReadsTheFileTheSafetensorsPackageWrote() throws {
        let expected = try XCTUnwrap(try Fixtures.load("io")["tensors"] as? [String: Any])
        let (tensors, metadata) = try Safetensors.read(path: Self.ioDirectory.appendingPathComponent("tensors.safetensors").path)
        XCTAssertEqual(metadata?.map(\.0), ["format"])
        XCTAssertEqual(metadata?.first?.1, "pt")
        XCTAssertEqual(Set(tensors.map(\.0)), Set(expected.keys))
        for (name, array) in tensors {
            let e = try FixtureTensor(expected[name])
            XCTAssertEqual(array.shape, e.shape, name)
            XCTAssertEqual(array.toDoubles(), e.values, name)
        }
        let byName = Dictionary(uniqueKeysWithValues: tensors)
        XCTAssertEqual(byName["mask"]?.dtype, .bool)
        XCTAssertEqual(byName["steps"]?.dtype, .int64)
        XCTAssertEqual(byName["steps"]?.pointer(Int64.self)[2], 1 << 40)
        XCTAssertEqual(byName["scale"]?.shape, [])
        XCTAssertEqual(byName["empty"]?.shape, [0, 3])
    }

    func testWritesTheSameBytesAsTheSafetensorsPackage() throws {
        let url = Self.ioDirectory.appendingPathComponent("tensors.safetensors")
        let original = try [UInt8](Data(contentsOf: url))
        let (tensors, metadata) = try original.withUnsafeBytes { try Safetensors.read(bytes: $0) }
        XCTAssertEqual(try Safetensors.serialize(tensors, metadata: metadata), original)
        // Reversed input order and non-contiguous tensors change nothing.
        var reordered: [(String, NDArray)] = []
        for (name, a) in tensors.reversed() {
            reordered.append((name, a.ndim == 2 ? try a.transposed(0, 1).contiguous().transposed(0, 1) : a))
        }
        XCTAssertFalse(reordered.first { $0.0 == "weight" }!.1.isContiguous)
        XCTAssertEqual(try Safetensors.serialize(reordered, metadata: metadata), original)
    }

    func testHeaderLayoutMatchesThePackage() throws {
        let empty = try Safetensors.serialize([], metadata: nil)
        XCTAssertEqual(empty, [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let bytes = try Safetensors.serialize([("b", try NDArray.full([3], value: 1, dtype: .bool)), ("a", try NDArray.zeros([1], dtype: .float32)),
                                               ("z", try NDArray.zeros([2], dtype: .int64)), ("c", try NDArray.zeros([1], dtype: .float64))],
                                              metadata: nil)
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        let json = #"{"z":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"c":{"dtype":"F64","shape":[1],"data_offsets":[16,24]},"a":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[28,31]}}"#
        XCTAssertEqual(header, json + String(repeating: " ", count: n - json.utf8.count))
        XCTAssertLessThan(n - json.utf8.count, 8)
        XCTAssertEqual(bytes.count, 8 + n + 31)
        assertThrows(.invalidArgument, ["given twice"]) { try Safetensors.serialize([("a", try NDArray.zeros([1], dtype: .float32)), ("a", try NDArray.zeros([1], dtype: .float32))], metadata: nil) }
        assertThrows(.invalidArgument, ["reserves"]) { try Safetensors.serialize([("__metadata__", try NDArray.zeros([1], dtype: .float32))], metadata: nil) }
    }

    // MARK: - Memory mapping

    func testLoadedTensorsViewTheMappingUntilTheyAreGone() throws {
        let path = NSTemporaryDirectory() + "ember-mmap-\(getpid()).safetensors"
        defer { unlink(path) }
        let values = try NDArray.arange(start: 0, end: 4096, step: 1, dtype: .float32)
        try Safetensors.write([("w", values), ("flag", try NDArray.full([3], value: 1, dtype: .bool))], metadata: [("k", "v")], to: path)
        weak var mapping: MappedFile?
        do {
            var (tensors, _) = try Safetensors.read(path: path)
            var w: NDArray? = try XCTUnwrap(tensors.first { $0.0 == "w" }?.1)
            XCTAssertFalse(w!.storage.ownsMemory, "aligned tensors view the mapped file")
            mapping = w!.storage.owner as? MappedFile
            XCTAssertNotNil(mapping)
            XCTAssert(tensors.allSatisfy { $0.1.storage.owner === mapping }, "one mapping for the file")
            XCTAssertEqual(w!.toDoubles(), values.toDoubles())
            // Writes stay in memory (a private mapping): the file keeps its values.
            w!.pointer(Float.self)[0] = 42
            do {
                let again = try Safetensors.read(path: path).tensors.first { $0.0 == "w" }!.1
                XCTAssertEqual(again.pointer(Float.self)[0], 0)
            }
            tensors = []
            let view = try w!.reshaped([64, 64])
            w = nil
            XCTAssertNotNil(mapping, "a live view keeps the mapping")
            XCTAssertEqual(view.pointer(Float.self)[0], 42)
        }
        XCTAssertNil(mapping, "unmapped when the last view is gone")
    }

    func testMisalignedAndNonBinaryBoolDataAreCopied() throws {
        // A header of 52 bytes puts the data at offset 60: the F32 tensor is misaligned.
        var header = Array(#"{"f":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},"b":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}"#.utf8)
        header += Array(repeating: 0x20, count: 1)
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        file.append(2)  // a bool byte that is neither 0 nor 1: true, as torch reads it
        withUnsafeBytes(of: Float(1.5)) { file += $0 }
        withUnsafeBytes(of: Float(-3)) { file += $0 }
        let path = NSTemporaryDirectory() + "ember-misaligned-\(getpid()).safetensors"
        defer { unlink(path) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(file)))
        let tensors = Dictionary(uniqueKeysWithValues: try Safetensors.read(path: path).tensors)
        XCTAssertEqual(tensors["f"]?.toDoubles(), [1.5, -3])
        XCTAssertTrue(tensors["f"]!.storage.ownsMemory, "misaligned data is copied")
        XCTAssertEqual(tensors["b"]?.rawPointer.load(as: UInt8.self), 1)
        XCTAssertTrue(tensors["b"]!.storage.ownsMemory)
    }

    // MARK: - Malformed files

    /// A file from a header text and a data section.
    func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        return withUnsafeBytes(of: (length ?? UInt64(h.count)).littleEndian) { Array($0) } + h + data
    }

    func assertMalformed(_ bytes: [UInt8], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        assertThrows(.io, ["not a valid safetensors file"] + fragments, file: file, line: line) {
            try bytes.withUnsafeBytes { try Safetensors.read(bytes: $0) }
        }
    }

    func testMalformedFilesAreIOErrors() {
        let f32 = #""dtype":"F32","shape":[1]"#
        assertMalformed([], ["truncated (0 bytes"])
        assertMalformed([1, 0, 0], ["truncated (3 bytes"])
        assertMalformed(file("{}", length: 3), ["header length 3 runs past the end"])
        assertMalformed(file("{}", length: UInt64.max), ["exceeds the limit of 100000000"])
        assertMalformed(file("{\"a\":"), ["invalid JSON", "unexpected end"])
        assertMalformed(file("[]"), ["not a JSON object"])
        assertMalformed(file("{}x"), ["after the value"])
        assertMalformed(file(#"{"__metadata__":{"a":1}}"#), ["metadata value of 'a' is not a string"])
        assertMalformed(file(#"{"__metadata__":{"a":"1","a":"2"}}"#), ["metadata key 'a' appears twice"])
        assertMalformed(file(#"{"__metadata__":{},"__metadata__":{}}"#), ["\"__metadata__\" appears twice"])
        assertMalformed(file(#"{"a":{\#(f32),"data_offsets":[0,4]},"a":{\#(f32),"data_offsets":[4,8]}}"#, data: .init(repeating: 0, count: 8)),
                        ["tensor name 'a' appears twice"])
        assertMalformed(file(#"{"a":{"dtype":"X32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), ["unknown dtype 'X32'", "BF16"])
        assertMalformed(file(#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), ["no \"dtype\""])
        assertMalformed(file(#"{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), ["two \"dtype\""])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), ["invalid size -1"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), ["invalid size 1.0"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":"x","data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), ["no \"shape\" list"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                        ["13 dimensions"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                        ["too large to address"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[0,9223372036854775807,4],"data_offsets":[0,0]}}"#), ["too large to address"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), ["needs 8 bytes", "hold 4"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]), ["end before they begin"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0]), ["past the end of the data section (2 bytes)"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551616]}}"#),
                        ["invalid data_offsets"])
        assertMalformed(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: [0, 0, 0, 0]), ["no \"data_offsets\" pair"])
        assertMalformed(file(#"{"a":{\#(f32),"data_offsets":[0,4]},"b":{\#(f32),"data_offsets":[2,6]}}"#, data: .init(repeating: 0, count: 8)),
                        ["'a'", "'b'", "overlap"])
        assertMalformed(file(#"{"a":{\#(f32),"data_offsets":[4,8]}}"#, data: .init(repeating: 0, count: 8)), ["4 bytes before tensor 'a'", "belong to no tensor"])
        assertMalformed(file(#"{"a":{\#(f32),"data_offsets":[0,4]}}"#, data: .init(repeating: 0, count: 8)), ["has 8 bytes but the tensors cover 4"])
        assertMalformed(file(#"{"a":[1]}"#), ["entry of tensor 'a' is not an object"])
        assertMalformed([2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE], ["not valid UTF-8"])
    }

    func testUnsupportedDtypesAreNamed() {
        let bytes = file(#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"u":{"dtype":"U8","shape":[1],"data_offsets":[4,5]}}"#,
                         data: [0, 0, 0, 0, 0])
        assertThrows(.io, ["'h' (F16)", "'u' (U8)", "Ember reads F32, F64, I64 and BOOL"]) {
            try bytes.withUnsafeBytes { try Safetensors.read(bytes: $0) }
        }
    }

    func testUnknownFieldsAndNullMetadataAreAcceptedAsThePackageDoes() throws {
        let bytes = file(#" {"__metadata__":null,"a":{"dtype":"I64","shape":[],"data_offsets":[0,8],"extra":{"x":[1]}}}"#,
                         data: [7, 0, 0, 0, 0, 0, 0, 0])
        let (tensors, metadata) = try bytes.withUnsafeBytes { try Safetensors.read(bytes: $0) }
        XCTAssertNil(metadata)
        XCTAssertEqual(tensors.first?.1.toDoubles(), [7])
    }

    func testFilesThatCannotBeOpenedAreIOErrors() {
        assertThrows(.io, ["cannot open '/nonexistent/x.safetensors'", "No such file"]) { try Safetensors.read(path: "/nonexistent/x.safetensors") }
        assertThrows(.io, ["is not a regular file"]) { try Safetensors.read(path: NSTemporaryDirectory()) }
        assertThrows(.io, ["cannot create"]) { try Safetensors.write([], metadata: nil, to: "/nonexistent/dir/x.safetensors") }
        let empty = NSTemporaryDirectory() + "ember-empty-\(getpid()).safetensors"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        defer { unlink(empty) }
        assertThrows(.io, ["truncated (0 bytes"]) { try Safetensors.read(path: empty) }
    }

    func testEveryTruncationOfAValidFileIsAnError() throws {
        let bytes = try [UInt8](Data(contentsOf: Self.ioDirectory.appendingPathComponent("tensors.safetensors")))
        for n in 0..<bytes.count {
            let prefix = Array(bytes[0..<n])
            assertThrows(.io) { try prefix.withUnsafeBytes { try Safetensors.read(bytes: $0) } }
        }
    }

    // MARK: - The real package, when it is installed

    func testRoundTripsWithThePythonPackage() throws {
        let python = try PythonRunner.require(modules: ["torch", "safetensors"])
        let dir = NSTemporaryDirectory() + "ember-st-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Ember -> Python.
        let a = try NDArray.arange(start: -3, end: 9, step: 1, dtype: .float64).reshaped([3, 4])
        let b = try NDArray.full([2, 2], value: 1, dtype: .bool)
        try Safetensors.write([("a", a), ("b", b), ("c", try NDArray.arange(start: 5, end: 8, step: 1, dtype: .int64)),
                               ("d", try NDArray.arange(start: 0.5, end: 3, step: 0.5, dtype: .float32))], metadata: [("note", "é\n")],
                              to: dir + "/ember.safetensors")
        let out = try python.run("""
            import torch, safetensors.torch as st
            from safetensors import safe_open
            d = st.load_file(r'\(dir)/ember.safetensors')
            assert d['a'].dtype == torch.float64 and d['a'].tolist() == torch.arange(-3., 9.).reshape(3, 4).tolist()
            assert d['b'].dtype == torch.bool and d['b'].all()
            assert d['c'].tolist() == [5, 6, 7] and d['d'].tolist() == [0.5, 1.0, 1.5, 2.0, 2.5]
            with safe_open(r'\(dir)/ember.safetensors', 'pt') as f: assert f.metadata() == {'note': 'é\\n'}
            assert open(r'\(dir)/ember.safetensors', 'rb').read() == st.save(d, metadata={'note': 'é\\n'})
            st.save_file({'x': torch.arange(6, dtype=torch.float32).reshape(2, 3).t().contiguous(), 'y': torch.tensor(True)},
                         r'\(dir)/torch.safetensors', metadata={'m': '1'})
            print('ok')
            """)
        XCTAssertEqual(out, "ok")
        // Python -> Ember.
        let (tensors, metadata) = try Safetensors.read(path: dir + "/torch.safetensors")
        let byName = Dictionary(uniqueKeysWithValues: tensors)
        XCTAssertEqual(byName["x"]?.shape, [3, 2])
        XCTAssertEqual(byName["x"]?.toDoubles(), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(byName["y"]?.toDoubles(), [1])
        XCTAssertEqual(metadata?.first?.1, "1")
    }
}
