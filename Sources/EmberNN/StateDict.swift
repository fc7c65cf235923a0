import EmberAutograd
import EmberTensor

/// An ordered map from names to tensors with a string metadata map: torch's
/// `state_dict()` (an OrderedDict), and the contents of a safetensors file.
/// Tensors are held by reference, as in a Python dict: saving writes their
/// values at that time, and a tensor from `Module.stateDict()` shares its
/// storage with the module's parameter.
///
/// ```swift
/// let sd = try StateDict.load(path: "model.safetensors")   // tensors view the mapped file
/// try model.loadStateDict(sd, strict: true)
/// try model.stateDict().save(path: "copy.safetensors")
/// ```
public final class StateDict {
    public private(set) var entries: [(name: String, tensor: Tensor)] = []
    private var positions: [String: Int] = [:]
    /// The "__metadata__" map, in order.
    public private(set) var metadata: [(key: String, value: String)] = []

    /// A state dict holding `entries` (the names must be distinct) and `metadata`.
    public init(_ entries: [(String, Tensor)] = [], metadata: [(String, String)] = []) throws {
        for (name, tensor) in entries {
            guard positions[name] == nil else { throw EmberError.invalidArgument("the name '\(name)' is given twice") }
            positions[name] = self.entries.count
            self.entries.append((name, tensor))
        }
        for (k, v) in metadata { try setMetadata(k, v) }
    }

    /// A state dict of arrays (each wrapped in a tensor that does not require grad).
    public convenience init(arrays: [(String, NDArray)], metadata: [(String, String)]?) throws {
        try self.init(arrays.map { ($0.0, Tensor($0.1)) }, metadata: metadata ?? [])
    }

    public var count: Int { entries.count }
    public var names: [String] { entries.map(\.name) }

    /// The tensor named `name`, or nil.
    public subscript(name: String) -> Tensor? { positions[name].map { entries[$0].tensor } }

    /// The tensor named `name`, or an `.invalidArgument` error listing the names.
    public func tensor(named name: String) throws -> Tensor {
        guard let t = self[name] else {
            let shown = names.prefix(20).map { "'\($0)'" }.joined(separator: ", ")
            throw EmberError.invalidArgument("the state dict has no tensor '\(name)'; its \(count) names are: \(count == 0 ? "(none)" : shown)\(count > 20 ? ", ..." : "")")
        }
        return t
    }

    /// Sets `name` to `tensor`: replaces it in place if present, else appends it.
    public func set(_ name: String, _ tensor: Tensor) throws {
        guard name != "__metadata__" else { throw EmberError.invalidArgument("a tensor cannot be named \"__metadata__\" (safetensors reserves it)") }
        if let i = positions[name] { entries[i].tensor = tensor; return }
        positions[name] = entries.count
        entries.append((name, tensor))
    }

    /// Removes `name`; an `.invalidArgument` error if there is no such tensor.
    public func remove(_ name: String) throws {
        guard let i = positions[name] else { _ = try tensor(named: name); return }
        entries.remove(at: i)
        positions = [:]
        for (k, e) in entries.enumerated() { positions[e.name] = k }
    }

    /// The metadata value of `key`, or nil.
    public func metadataValue(_ key: String) -> String? { metadata.first { $0.key == key }?.value }

    /// Sets (or, with nil, removes) a metadata entry.
    public func setMetadata(_ key: String, _ value: String?) throws {
        let i = metadata.firstIndex { $0.key == key }
        switch (i, value) {
        case let (i?, v?): metadata[i].value = v
        case let (nil, v?): metadata.append((key, v))
        case let (i?, nil): metadata.remove(at: i)
        case (nil, nil): break
        }
    }

    /// The entries as arrays (the tensors' current values).
    public var arrays: [(String, NDArray)] { entries.map { ($0.name, $0.tensor.array) } }

    // MARK: - safetensors

    /// Reads a safetensors file. Aligned tensors view the file's mapping (no
    /// copy; it stays mapped while they are used, and writes to them stay in
    /// memory). Errors: `.io` for an unreadable or malformed file.
    public static func load(path: String) throws -> StateDict {
        let (tensors, metadata) = try Safetensors.read(path: path)
        return try StateDict(arrays: tensors, metadata: metadata)
    }

    /// Reads the safetensors format from memory (copies; `bytes` may go after the call).
    public static func load(bytes: UnsafeRawBufferPointer) throws -> StateDict {
        let (tensors, metadata) = try Safetensors.read(bytes: bytes)
        return try StateDict(arrays: tensors, metadata: metadata)
    }

    /// Writes a safetensors file, as `safetensors.torch.save_file` does.
    public func save(path: String) throws {
        try Safetensors.write(arrays, metadata: metadata.map { ($0.key, $0.value) }, to: path)
    }

    /// The safetensors bytes, as `safetensors.torch.save` returns them.
    public func serialized() throws -> [UInt8] {
        try Safetensors.serialize(arrays, metadata: metadata.map { ($0.key, $0.value) })
    }
}
