import Glibc

/// The safetensors format (https://github.com/huggingface/safetensors), read
/// and written exactly as the `safetensors` Python package does:
///
///     8 bytes      N, the header length, little-endian unsigned
///     N bytes      a JSON object: "__metadata__" (optional, a string-to-string
///                  map) and, per tensor, {"dtype": "F32", "shape": [2, 3],
///                  "data_offsets": [begin, end]} with offsets relative to the
///                  data section; padded with spaces to a multiple of 8
///     the rest     the data section: each tensor's row-major little-endian
///                  bytes, back to back, covering it exactly
///
/// Ember reads F32, F64, I64 and BOOL (torch's float32, float64, int64, bool).
public enum Safetensors {
    /// The largest header the package accepts (its MAX_HEADER_SIZE).
    public static let maxHeaderSize = 100_000_000

    /// Bits per element of every dtype the format defines (unknown names are rejected).
    static let dtypeBits: [String: Int] = [
        "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
        "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
        "C64": 64, "F64": 64, "I64": 64, "U64": 64,
    ]

    /// The format's name for an Ember dtype.
    public static func name(of dtype: DType) -> String {
        switch dtype {
        case .float32: "F32"
        case .float64: "F64"
        case .int64: "I64"
        case .bool: "BOOL"
        }
    }

    /// The Ember dtype of a format name, or nil if Ember has no such dtype.
    public static func dtype(named name: String) -> DType? {
        switch name {
        case "F32": .float32
        case "F64": .float64
        case "I64": .int64
        case "BOOL": .bool
        default: nil
        }
    }
}

/// A validated safetensors header: every tensor's dtype, shape and place in
/// the data section, and the metadata. Parsing checks everything before
/// anything is allocated for the data; a malformed file is an `.io` error.
public struct SafetensorsHeader {
    /// One tensor as the header describes it.
    public struct Entry {
        public let name: String
        /// The format's dtype name ("F32", "BF16", ...).
        public let dtypeName: String
        /// The Ember dtype, nil when Ember has none for `dtypeName`.
        public let dtype: DType?
        public let shape: Dims
        /// Byte range in the data section.
        public let begin: Int
        public let end: Int
    }

    /// The tensors, in header order.
    public private(set) var entries: [Entry] = []
    /// The "__metadata__" map in header order, nil when absent.
    public private(set) var metadata: [(String, String)]? = nil
    /// Where the data section starts: 8 + the header length.
    public let dataStart: Int
    /// The data section's length.
    public let dataCount: Int

    /// Parses and validates the header at the start of `bytes`, a whole file.
    /// `source` names it in messages ("'model.safetensors'", "the buffer").
    public init(parsing bytes: UnsafeRawBufferPointer, source: String) throws {
        func fail(_ what: String) -> EmberError { EmberError.io("\(source) is not a valid safetensors file: \(what)") }
        guard bytes.count >= 8 else {
            throw fail("it is truncated (\(bytes.count) bytes; the format starts with an 8-byte header length)")
        }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard n <= UInt64(Safetensors.maxHeaderSize) else {
            throw fail("the header length \(n) exceeds the limit of \(Safetensors.maxHeaderSize) bytes")
        }
        guard n <= UInt64(bytes.count - 8) else {
            throw fail("the header length \(n) runs past the end (\(bytes.count) bytes in all, so at most \(bytes.count - 8))")
        }
        dataStart = 8 + Int(n)
        dataCount = bytes.count - dataStart
        let json: JSONValue
        do {
            json = try JSON.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]))
        } catch let e as EmberError {
            throw fail("the header is \(e.message.hasPrefix("invalid JSON") ? e.message : "invalid JSON: " + e.message)")
        }
        guard let members = json.objectValue else { throw fail("the header is not a JSON object") }

        var names = Set<String>()
        for (name, value) in members {
            if name == "__metadata__" {
                guard metadata == nil else { throw fail("\"__metadata__\" appears twice") }
                metadata = try SafetensorsHeader.metadata(value, fail)
                continue
            }
            guard names.insert(name).inserted else { throw fail("the tensor name '\(name)' appears twice") }
            entries.append(try SafetensorsHeader.entry(name, value, dataCount: dataCount, fail))
        }
        try SafetensorsHeader.checkCoverage(entries, dataCount: dataCount, fail)
    }

    static func metadata(_ value: JSONValue, _ fail: (String) -> EmberError) throws -> [(String, String)]? {
        if case .null = value { return nil }
        guard let map = value.objectValue else { throw fail("\"__metadata__\" is not an object of strings") }
        var seen = Set<String>()
        return try map.map { key, v in
            guard seen.insert(key).inserted else { throw fail("the metadata key '\(key)' appears twice") }
            guard let s = v.stringValue else { throw fail("the metadata value of '\(key)' is not a string") }
            return (key, s)
        }
    }

    static func entry(_ name: String, _ value: JSONValue, dataCount: Int, _ fail: (String) -> EmberError) throws -> Entry {
        guard let fields = value.objectValue else { throw fail("the entry of tensor '\(name)' is not an object") }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (key, v) in fields {
            // Other fields are ignored, as the package ignores them; repeated ones are not.
            switch key {
            case "dtype":
                guard dtypeValue == nil else { throw fail("tensor '\(name)' has two \"dtype\" fields") }
                dtypeValue = v
            case "shape":
                guard shapeValue == nil else { throw fail("tensor '\(name)' has two \"shape\" fields") }
                shapeValue = v
            case "data_offsets":
                guard offsetsValue == nil else { throw fail("tensor '\(name)' has two \"data_offsets\" fields") }
                offsetsValue = v
            default: continue
            }
        }
        guard let dtypeName = dtypeValue?.stringValue else { throw fail("tensor '\(name)' has no \"dtype\" string") }
        guard let bits = Safetensors.dtypeBits[dtypeName] else {
            let known = Safetensors.dtypeBits.keys.sorted().joined(separator: ", ")
            throw fail("tensor '\(name)' has the unknown dtype '\(dtypeName)' (the format's dtypes are \(known))")
        }
        guard let dims = shapeValue?.arrayValue else { throw fail("tensor '\(name)' has no \"shape\" list") }
        guard dims.count <= Dims.capacity else {
            throw fail("tensor '\(name)' has \(dims.count) dimensions; Ember tensors have at most \(Dims.capacity)")
        }
        var shape = Dims()
        // The element count, and the product with empty dimensions counted as 1,
        // so that strides can never overflow either.
        var count = 1, span = 1
        for d in dims {
            guard let v = d.uint64Value, let size = Int(exactly: v) else {
                throw fail("tensor '\(name)' has an invalid size \(d.serialized) in its shape (sizes are non-negative integers)")
            }
            shape.append(size)
            let (c, o1) = count.multipliedReportingOverflow(by: size)
            let (s, o2) = span.multipliedReportingOverflow(by: Swift.max(size, 1))
            guard !o1, !o2 else { throw fail("tensor '\(name)' has a shape \(d.serialized) too large to address") }
            count = c
            span = s
        }
        let (totalBits, o) = count.multipliedReportingOverflow(by: bits)
        guard !o, totalBits % 8 == 0 else {
            throw fail("tensor '\(name)' of \(count) \(dtypeName) elements does not fill whole bytes or is too large")
        }
        let byteCount = totalBits / 8
        guard let offsets = offsetsValue?.arrayValue, offsets.count == 2 else {
            throw fail("tensor '\(name)' has no \"data_offsets\" pair [begin, end]")
        }
        guard let b = offsets[0].uint64Value, let e = offsets[1].uint64Value else {
            throw fail("tensor '\(name)' has invalid data_offsets \(offsetsValue!.serialized) (offsets are non-negative integers)")
        }
        guard b <= e else { throw fail("tensor '\(name)' has data_offsets [\(b), \(e)] that end before they begin") }
        guard e <= UInt64(dataCount) else {
            throw fail("tensor '\(name)' has data_offsets [\(b), \(e)] past the end of the data section (\(dataCount) bytes)")
        }
        let begin = Int(b), end = Int(e)
        guard end - begin == byteCount else {
            throw fail("tensor '\(name)' of dtype \(dtypeName) and shape \(describe(shape)) needs \(byteCount) bytes but its data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return Entry(name: name, dtypeName: dtypeName, dtype: Safetensors.dtype(named: dtypeName), shape: shape, begin: begin, end: end)
    }

    /// The tensors must cover the data section exactly: no gaps, no overlaps, nothing after.
    static func checkCoverage(_ entries: [Entry], dataCount: Int, _ fail: (String) -> EmberError) throws {
        let sorted = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        var previous: Entry? = nil
        for e in sorted {
            if e.begin < cursor, let p = previous {
                throw fail("tensors '\(p.name)' (data_offsets [\(p.begin), \(p.end)]) and '\(e.name)' ([\(e.begin), \(e.end)]) overlap")
            }
            if e.begin > cursor {
                throw fail("\(e.begin - cursor) bytes before tensor '\(e.name)' (data_offsets [\(e.begin), \(e.end)]) belong to no tensor")
            }
            cursor = e.end
            previous = e
        }
        guard cursor == dataCount else {
            throw fail("the data section has \(dataCount) bytes but the tensors cover \(cursor)")
        }
    }
}

// MARK: - Arrays from a file's bytes

extension SafetensorsHeader {
    /// The tensors as arrays, in header order. With an `owner` that keeps
    /// `bytes` valid (a mapped file), aligned tensors view the bytes without a
    /// copy; otherwise each is copied. Bool bytes other than 0 and 1 are read
    /// as true (copied, as torch reads them). Errors: `.io` for a dtype Ember
    /// has no equivalent of; `.outOfMemory`.
    public func arrays(in bytes: UnsafeRawBufferPointer, owner: AnyObject?, source: String) throws -> [(String, NDArray)] {
        let unsupported = entries.filter { $0.dtype == nil }
        if !unsupported.isEmpty {
            let list = unsupported.prefix(8).map { "'\($0.name)' (\($0.dtypeName))" }.joined(separator: ", ")
            throw EmberError.io("\(source) holds tensors of dtypes Ember does not have: \(list)\(unsupported.count > 8 ? ", ..." : ""); Ember reads F32, F64, I64 and BOOL")
        }
        return try entries.map { ($0.name, try array($0, bytes, owner: owner)) }
    }

    func array(_ e: Entry, _ bytes: UnsafeRawBufferPointer, owner: AnyObject?) throws -> NDArray {
        let dtype = e.dtype!
        let strides = Shapes.contiguousStrides(e.shape)
        let byteCount = e.end - e.begin
        guard byteCount > 0, let base = bytes.baseAddress else { return try NDArray(empty: e.shape, dtype: dtype) }
        let source = base + dataStart + e.begin
        var clean = true
        if dtype == .bool {
            let p = source.assumingMemoryBound(to: UInt8.self)
            for k in 0..<byteCount where p[k] > 1 { clean = false; break }
        }
        if let owner, clean, Int(bitPattern: source) % dtype.itemSize == 0 {
            let storage = Storage.borrowing(UnsafeMutableRawPointer(mutating: source), byteCount: byteCount, owner: owner)
            return NDArray(storage: storage, dtype: dtype, shape: e.shape, strides: strides)
        }
        let out = try NDArray(empty: e.shape, dtype: dtype)
        if clean {
            memcpy(out.rawPointer, source, byteCount)
        } else {
            let s = source.assumingMemoryBound(to: UInt8.self), d = out.rawPointer.assumingMemoryBound(to: UInt8.self)
            for k in 0..<byteCount { d[k] = s[k] != 0 ? 1 : 0 }
        }
        return out
    }
}
