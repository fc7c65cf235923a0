import Glibc

extension Safetensors {
    /// The format's dtype order (its Rust `Dtype` enum), by which the package
    /// sorts tensors, largest first, so that every tensor stays aligned.
    static func rank(_ dtype: DType) -> Int {
        switch dtype {
        case .bool: 0
        case .float32: 17
        case .float64: 19
        case .int64: 20
        }
    }

    /// The header bytes (length prefix and padded JSON) for `entries` in the
    /// order the package writes them, and that order. Errors: `.invalidArgument`
    /// for a repeated or reserved name or a metadata key given twice.
    public static func header(for entries: [(String, NDArray)], metadata: [(String, String)]?) throws -> (bytes: [UInt8], order: [Int]) {
        var names = Set<String>()
        for (name, _) in entries {
            guard name != "__metadata__" else { throw EmberError.invalidArgument("a tensor cannot be named \"__metadata__\" (the format reserves it)") }
            guard names.insert(name).inserted else { throw EmberError.invalidArgument("the tensor name '\(name)' is given twice") }
        }
        // safetensors sorts by dtype (descending), then by name (bytewise).
        let order = entries.indices.sorted { a, b in
            let ra = rank(entries[a].1.dtype), rb = rank(entries[b].1.dtype)
            return ra != rb ? ra > rb : Array(entries[a].0.utf8).lexicographicallyPrecedes(Array(entries[b].0.utf8))
        }
        var members: [(String, JSONValue)] = []
        if let metadata, !metadata.isEmpty {
            var keys = Set<String>()
            for (k, _) in metadata where !keys.insert(k).inserted {
                throw EmberError.invalidArgument("the metadata key '\(k)' is given twice")
            }
            members.append(("__metadata__", .object(metadata.map { ($0.0, .string($0.1)) })))
        }
        var offset = 0
        for i in order {
            let (tensorName, array) = entries[i]
            let bytes = array.count * array.dtype.itemSize
            members.append((tensorName, .object([
                ("dtype", .string(Safetensors.name(of: array.dtype))),
                ("shape", .array(array.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + bytes)])),
            ])))
            offset += bytes
        }
        var json = Array(JSONValue.object(members).serialized.utf8)
        // Spaces up to a multiple of 8, so the data section starts aligned.
        json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8)
        var out = [UInt8](repeating: 0, count: 8)
        for k in 0..<8 { out[k] = UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64(k))) }
        return (out + json, order)
    }

    /// Writes `entries` and `metadata` in the format into `sink`, byte for
    /// byte what `safetensors.torch.save` gives for the same tensors (with at
    /// most one metadata key; the package orders several by hash).
    public static func serialize<S: ByteSink>(_ entries: [(String, NDArray)], metadata: [(String, String)]?, into sink: inout S) throws {
        let (header, order) = try header(for: entries, metadata: metadata)
        try header.withUnsafeBytes { try sink.write($0) }
        for i in order {
            let array = entries[i].1
            guard array.count > 0 else { continue }
            let dense = try array.contiguous()
            try sink.write(UnsafeRawBufferPointer(start: dense.rawPointer, count: dense.count * dense.dtype.itemSize))
        }
    }

    /// The file as bytes in memory.
    public static func serialize(_ entries: [(String, NDArray)], metadata: [(String, String)]?) throws -> [UInt8] {
        let total = entries.reduce(0) { $0 + $1.1.count * $1.1.dtype.itemSize }
        var sink = ByteArraySink(capacity: total + 256)
        try serialize(entries, metadata: metadata, into: &sink)
        return sink.bytes
    }

    /// Writes the file at `path`, replacing it atomically (see `AtomicFile`).
    public static func write(_ entries: [(String, NDArray)], metadata: [(String, String)]?, to path: String) throws {
        // Checked before the file is created, so a bad name leaves nothing behind.
        _ = try header(for: entries, metadata: metadata)
        try AtomicFile.write(to: path) { file in try serialize(entries, metadata: metadata, into: &file) }
    }

    /// Reads a file: its tensors (aligned ones viewing the mapped file, which
    /// stays mapped while they are used) and its metadata. Errors: `.io`.
    public static func read(path: String) throws -> (tensors: [(String, NDArray)], metadata: [(String, String)]?) {
        let file = try MappedFile(path: path)
        let source = "'\(path)'"
        let header = try SafetensorsHeader(parsing: file.bytes, source: source)
        return (try header.arrays(in: file.bytes, owner: file, source: source), header.metadata)
    }

    /// Reads the format from memory; every tensor is a copy, so `bytes` need
    /// not outlive the call. Errors: `.io`.
    public static func read(bytes: UnsafeRawBufferPointer) throws -> (tensors: [(String, NDArray)], metadata: [(String, String)]?) {
        let header = try SafetensorsHeader(parsing: bytes, source: "the buffer")
        return (try header.arrays(in: bytes, owner: nil, source: "the buffer"), header.metadata)
    }
}
