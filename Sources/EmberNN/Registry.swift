import EmberAutograd
import EmberTensor

/// Module constructors by torch class name, so a module can be made from a
/// type name and torch's keyword arguments -- from C (`ember_module_new`),
/// and when a saved architecture is rebuilt:
///
/// ```swift
/// let conv = try ModuleRegistry.make("Linear", "10, 5, bias=False")
/// ```
public enum ModuleRegistry {
    /// A constructor: its parameters (in torch's order, with defaults) and a
    /// factory from bound arguments.
    public struct Entry {
        public let signature: [Arguments.Parameter]
        public let make: (Arguments) throws -> Module
        public init(_ signature: [Arguments.Parameter], _ make: @escaping (Arguments) throws -> Module) {
            self.signature = signature
            self.make = make
        }
    }

    /// Every constructor, by torch class name. Each family of layers adds its own.
    static let entries: [String: Entry] = {
        var all: [String: Entry] = [:]
        for family in [coreModules, convModules, poolModules, shapeModules, normModules, activationModules, lossModules, embeddingModules, recurrentModules, attentionModules, transformerModules] {
            for (name, entry) in family { all[name] = entry }
        }
        return all
    }()

    /// The known type names, sorted.
    public static var typeNames: [String] { entries.keys.sorted() }

    /// Makes a module of torch type `type` from `arguments` in torch's keyword syntax.
    public static func make(_ type: String, _ arguments: String) throws -> Module {
        guard let entry = entries[type] else {
            throw EmberError.invalidArgument("unknown module type \"\(type)\"; the types are: \(typeNames.joined(separator: ", "))")
        }
        let bound = try Arguments(try ArgumentList(parsing: arguments), type: type, signature: entry.signature)
        let module = try entry.make(bound)
        module.arguments = bound.bound
        return module
    }

    /// Linear, ReLU, Sequential.
    static let coreModules: [String: Entry] = [
        "Linear": Entry([.init("in_features"), .init("out_features"), .init("bias", .bool(true))]) { a in
            try Linear(a.int("in_features"), a.int("out_features"), bias: a.bool("bias"))
        },
        "ReLU": Entry([.init("inplace", .bool(false))]) { _ in ReLU() },
        "Sequential": Entry([]) { _ in try Sequential() },
    ]
}
