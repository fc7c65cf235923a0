import EmberAutograd
import EmberTensor

extension ModelFile {
    /// The file's tensors and metadata for `module`. The architecture is
    /// rebuilt once (the generator left as it was) and its parameters and
    /// buffers compared with the module's, so a module the file could not
    /// reproduce -- a custom module, parameters or children added to a
    /// built-in layer after construction -- is refused here rather than at
    /// load time. Errors: `.invalidArgument`, naming the module or the names.
    public static func contents(of module: Module) throws -> (tensors: [(String, NDArray)], metadata: [(String, String)]) {
        let text = try architecture(of: module).serialized
        let rebuilt: Module
        do {
            rebuilt = try build(try JSON.parse(Array(text.utf8), allowNonFinite: true))
        } catch let e as EmberError {
            throw EmberError.invalidArgument("the module cannot be saved: its architecture does not rebuild (\(e.message))")
        }
        let mine = module.stateDictEntries(), theirs = rebuilt.stateDictEntries()
        let problems = differences(mine.map { ($0.0, $0.1.array) }, expected: theirs.map { ($0.0, $0.1.array) })
        guard problems.isEmpty else {
            throw EmberError.invalidArgument("the module cannot be saved: rebuilt from its architecture (types and constructor arguments) it would differ -- \(problems.prefix(10).joined(separator: "; ")) -- were parameters, buffers or children added to a built-in layer after it was made?")
        }
        return (mine.map { ($0.0, $0.1.array) }, [("format", "pt"), (architectureKey, text)])
    }

    /// Writes `module` to a model file at `path` (atomically replacing it).
    public static func save(_ module: Module, to path: String) throws {
        let (tensors, metadata) = try contents(of: module)
        try Safetensors.write(tensors, metadata: metadata, to: path)
    }

    /// The model file's bytes, in memory.
    public static func serialize(_ module: Module) throws -> [UInt8] {
        let (tensors, metadata) = try contents(of: module)
        return try Safetensors.serialize(tensors, metadata: metadata)
    }

    /// Rebuilds the module a model file holds, with its weights (views of the
    /// mapped file where aligned, so loading costs no copy). Errors: `.io` for
    /// an unreadable or malformed file, a file without an architecture, or
    /// weights that do not match it.
    public static func load(path: String) throws -> Module {
        let (tensors, metadata) = try Safetensors.read(path: path)
        return try module(tensors, metadata: metadata, source: "'\(path)'")
    }

    /// As `load(path:)`, from the file's bytes in memory (copied).
    public static func load(bytes: UnsafeRawBufferPointer) throws -> Module {
        let (tensors, metadata) = try Safetensors.read(bytes: bytes)
        return try module(tensors, metadata: metadata, source: "the buffer")
    }

    static func module(_ tensors: [(String, NDArray)], metadata: [(String, String)]?, source: String) throws -> Module {
        guard let text = metadata?.first(where: { $0.0 == architectureKey })?.1 else {
            throw EmberError.io("\(source) holds no architecture (metadata key \"\(architectureKey)\"): it is a plain state dict; build the module and load it with ember_module_load_state_dict")
        }
        let module: Module
        do {
            var budget: Budget? = Budget(tensors)
            module = try build(try JSON.parse(Array(text.utf8), allowNonFinite: true), budget: &budget)
        } catch let e as EmberError {
            throw EmberError(e.kind == .outOfMemory ? .outOfMemory : .io, "\(source) has an invalid architecture: \(e.message)")
        }
        let expected = module.stateDictEntries()
        let problems = differences(tensors, expected: expected.map { ($0.0, $0.1.array) })
        guard problems.isEmpty else {
            throw EmberError.io("the weights in \(source) do not match its architecture: \(problems.prefix(20).joined(separator: "; "))\(problems.count > 20 ? "; ..." : "")")
        }
        // The file's tensors become the parameters and buffers (keeping their dtype).
        for (name, array) in tensors {
            let ownerPath = Module.ownerPath(of: name)
            let owner = ownerPath.isEmpty ? module : try module.child(named: ownerPath)
            let leaf = ownerPath.isEmpty ? name : String(name.dropFirst(ownerPath.count + 1))
            if owner.ownParameter(leaf) != nil {
                try owner.registerParameter(leaf, Tensor(array))
            } else {
                try owner.registerBuffer(leaf, Tensor(array))
            }
        }
        return module
    }

    /// What keeps `given` from standing in for `expected`: missing and
    /// unexpected names, other shapes, dtypes that differ other than float32
    /// against float64.
    static func differences(_ given: [(String, NDArray)], expected: [(String, NDArray)]) -> [String] {
        let byName = Dictionary(given.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        let expectedNames = Set(expected.map(\.0))
        var problems: [String] = []
        let missing = expected.map(\.0).filter { byName[$0] == nil }
        if !missing.isEmpty { problems.append("missing \(missing.map { "'\($0)'" }.joined(separator: ", "))") }
        let unexpected = given.map(\.0).filter { !expectedNames.contains($0) }
        if !unexpected.isEmpty { problems.append("unexpected \(unexpected.map { "'\($0)'" }.joined(separator: ", "))") }
        for (name, e) in expected {
            guard let g = byName[name] else { continue }
            if g.shape != e.shape {
                problems.append("'\(name)' has shape \(describe(g.shape)) but the architecture gives \(describe(e.shape))")
            } else if g.dtype != e.dtype && !(g.dtype.isFloatingPoint && e.dtype.isFloatingPoint) {
                problems.append("'\(name)' has dtype \(g.dtype) but the architecture gives \(e.dtype)")
            }
        }
        return problems
    }
}
