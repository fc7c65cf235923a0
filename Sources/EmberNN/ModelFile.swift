import EmberAutograd
import EmberTensor

/// A deployable model file: one safetensors file with the module tree's
/// architecture in its metadata and its parameters and buffers as the
/// tensors, under torch's state_dict names (so `safetensors.torch.load_file`
/// plus `load_state_dict` reads the weights into the equivalent torch model).
///
/// Metadata:
///
///     "format"               "pt" (as safetensors.torch.save_model writes it)
///     "ember.architecture"   the JSON text below
///
/// The architecture:
///
///     {"format": "ember.module", "version": 1, "module": MODULE}
///     MODULE = {"type": "Linear",                   torch class name, an ember_module_new type
///               "args": {"in_features": 10, ...},   constructor arguments by name (as
///                                                   ember_module_new takes them; optional)
///               "training": false,                  the module's mode (optional)
///               "children": {"0": MODULE, ...}}     in order (optional)
///
/// Argument values are JSON numbers (an integer has no '.' or exponent; a
/// float always has one; NaN, Infinity and -Infinity as Python's json writes
/// them), true/false, null (None), strings and arrays (tuples). A module is
/// rebuilt by making its type from its arguments, then each child: a child
/// the constructor made already (a TransformerEncoder's layers, an attention
/// module's out_proj) only gets its mode and own children applied (its
/// arguments are not needed), any other is built and registered. Weights are
/// then taken from the file by name: every name must be there with its shape;
/// floating tensors keep the file's dtype (float32 or float64).
///
/// ```swift
/// try ModelFile.save(model, to: "model.safetensors")
/// let deployed = try ModelFile.load(path: "model.safetensors")
/// ```
public enum ModelFile {
    public static let architectureKey = "ember.architecture"
    public static let formatName = "ember.module"
    public static let version = 1

    // MARK: - Architecture

    /// The architecture of `module` as JSON. Errors (`.invalidArgument`): a
    /// custom module (its forward is a callback, which a file cannot hold),
    /// named by its path.
    public static func architecture(of module: Module) throws -> JSONValue {
        .object([("format", .string(formatName)), ("version", .int(version)), ("module", try moduleDescription(module, path: "", depth: 0))])
    }

    static func moduleDescription(_ m: Module, path: String, depth: Int) throws -> JSONValue {
        let name = label(path)
        guard depth <= maxDepth else { throw EmberError.invalidArgument("\(name) is nested more than \(maxDepth) modules deep; a model file holds at most \(maxDepth) levels") }
        if m is CustomModule {
            throw EmberError.invalidArgument("\(name) (\(m.typeName)) is a custom module whose forward is a callback; a model file holds only built-in modules (the types ember_module_new makes)")
        }
        // Types outside the registry are fine where a parent's constructor makes
        // them (out_proj, layers); anywhere else the rebuild check reports them.
        var members: [(String, JSONValue)] = [("type", .string(m.typeName))]
        members.append(("args", .object(arguments(of: m).map { ($0.0, json($0.1)) })))
        members.append(("training", .bool(m.training)))
        let children = try m.namedChildren.map { childName, child in
            (childName, try moduleDescription(child, path: path.isEmpty ? childName : path + "." + childName, depth: depth + 1))
        }
        if !children.isEmpty { members.append(("children", .object(children))) }
        return .object(members)
    }

    /// The bound constructor arguments; for a Linear made by ember_linear_new
    /// (which binds none) they are read off the layer.
    static func arguments(of m: Module) -> [(String, ArgumentValue)] {
        if m.arguments.isEmpty, let linear = m as? Linear {
            return [("in_features", .int(linear.inFeatures)), ("out_features", .int(linear.outFeatures)), ("bias", .bool(linear.bias != nil))]
        }
        return m.arguments
    }

    static func json(_ v: ArgumentValue) -> JSONValue {
        switch v {
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .bool(let b): .bool(b)
        case .string(let s): .string(s)
        case .none: .null
        case .tuple(let items): .array(items.map(json))
        }
    }

    static func argument(_ v: JSONValue, _ context: () -> String) throws -> ArgumentValue {
        switch v {
        case .null: return .none
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .array(let items): return .tuple(try items.map { try argument($0, context) })
        case .number(let text):
            if v.isInteger {
                guard let i = Int(text) else { throw EmberError.io("\(context()): the integer \(text) is out of range") }
                return .int(i)
            }
            guard let d = v.doubleValue else { throw EmberError.io("\(context()): invalid number \(text)") }
            return .double(d)
        case .object: throw EmberError.io("\(context()): an argument value cannot be an object")
        }
    }

    // MARK: - Rebuilding

    /// Builds the module tree an architecture describes, with the layers'
    /// default initialisation; the global generator is left as it was.
    /// Errors: `.io` for a malformed description, with the module's path.
    public static func build(_ architecture: JSONValue) throws -> Module {
        var unlimited: Budget? = nil
        return try build(architecture, budget: &unlimited)
    }

    /// As `build(_:)`, checking each module against a file's budget when given.
    static func build(_ architecture: JSONValue, budget: inout Budget?) throws -> Module {
        guard let format = architecture["format"]?.stringValue, format == formatName else {
            throw EmberError.io("the architecture is not an Ember module description (\"format\": \"\(formatName)\" is missing)")
        }
        guard let v = architecture["version"]?.intValue, v == version else {
            throw EmberError.io("the architecture has version \(architecture["version"]?.serialized ?? "(none)"); this Ember reads version \(version)")
        }
        guard let root = architecture["module"] else { throw EmberError.io("the architecture has no \"module\"") }
        let saved = GlobalGenerator.withState { $0 }
        defer { GlobalGenerator.withState { $0 = saved } }
        var modes: [(Module, Bool)] = []
        let module = try make(root, path: "", depth: 0, modes: &modes, budget: &budget)
        // Modes top-down: train() sets a whole subtree, so children come after their parent.
        for (m, training) in modes { m.train(training) }
        return module
    }

    static func label(_ path: String) -> String { path.isEmpty ? "the root module" : "module '\(path)'" }

    static func make(_ spec: JSONValue, path: String, depth: Int, modes: inout [(Module, Bool)], budget: inout Budget?) throws -> Module {
        let type = try typeName(spec, path)
        guard depth <= maxDepth else { throw EmberError.io("\(label(path)) is nested more than \(maxDepth) modules deep") }
        guard let entry = ModuleRegistry.entries[type] else {
            throw EmberError.io("\(label(path)) has type '\(type)', which this Ember cannot make; the types are: \(ModuleRegistry.typeNames.joined(separator: ", "))")
        }
        var list = ArgumentList()
        if let args = spec["args"] {
            guard let members = args.objectValue else { throw EmberError.io("\(label(path)) (\(type)): \"args\" is not an object") }
            for (key, value) in members {
                list.named.append((key, try argument(value) { "\(label(path)) (\(type)), argument '\(key)'" }))
            }
        }
        let module: Module
        do {
            let bound = try Arguments(list, type: type, signature: entry.signature)
            if budget != nil { try check(type, bound, path: path, budget: &budget!) }
            module = try entry.make(bound)
            module.arguments = bound.bound
        } catch let e as EmberError {
            throw EmberError(e.kind == .outOfMemory ? .outOfMemory : .io, "\(label(path)) cannot be made: \(e.message)")
        }
        try attachChildren(spec, to: module, path: path, depth: depth, modes: &modes, budget: &budget)
        return module
    }

    static func typeName(_ spec: JSONValue, _ path: String) throws -> String {
        guard spec.objectValue != nil else { throw EmberError.io("\(label(path)) is not described by an object") }
        guard let type = spec["type"]?.stringValue else { throw EmberError.io("\(label(path)) has no \"type\" string") }
        return type
    }

    /// Applies a description to a module: its mode, then its children (kept
    /// when its constructor made them, else built and registered).
    static func attachChildren(_ spec: JSONValue, to module: Module, path: String, depth: Int, modes: inout [(Module, Bool)],
                               budget: inout Budget?) throws {
        if let training = spec["training"] {
            guard let flag = training.boolValue else { throw EmberError.io("\(label(path)): \"training\" is not true or false") }
            modes.append((module, flag))
        }
        guard let children = spec["children"] else { return }
        guard let members = children.objectValue else { throw EmberError.io("\(label(path)): \"children\" is not an object") }
        var seen = Set<String>()
        // The children its constructor made, looked up once (a container may have thousands).
        let made = Dictionary(module.namedChildren, uniquingKeysWith: { a, _ in a })
        for (name, childSpec) in members {
            let childPath = path.isEmpty ? name : path + "." + name
            guard seen.insert(name).inserted else { throw EmberError.io("\(label(path)) has two children named '\(name)'") }
            if let existing = made[name] {
                let type = try typeName(childSpec, childPath)
                guard existing.typeName == type else {
                    throw EmberError.io("\(label(childPath)) is described as a \(type) but its parent's constructor made a \(existing.typeName)")
                }
                guard depth < maxDepth else { throw EmberError.io("\(label(childPath)) is nested more than \(maxDepth) modules deep") }
                try attachChildren(childSpec, to: existing, path: childPath, depth: depth + 1, modes: &modes, budget: &budget)
            } else {
                let child = try make(childSpec, path: childPath, depth: depth + 1, modes: &modes, budget: &budget)
                do { try module.registerModule(name, child) } catch let e as EmberError {
                    throw EmberError.io("\(label(childPath)) cannot be added: \(e.message)")
                }
            }
        }
    }
}
