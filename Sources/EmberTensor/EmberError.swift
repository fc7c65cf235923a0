/// The one error type every Ember layer throws. The C layer maps `kind` to an
/// `ember_status` and prefixes `message` with the name of the C function.
public struct EmberError: Error, CustomStringConvertible, Sendable {
    /// Mirrors `ember_status` (same raw values).
    public enum Kind: Int32, Sendable {
        case invalidArgument = 1, invalidHandle, shape, dtype, outOfMemory, state, io, `internal`
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public static func invalidArgument(_ message: String) -> EmberError { EmberError(.invalidArgument, message) }
    public static func shape(_ message: String) -> EmberError { EmberError(.shape, message) }
    public static func dtype(_ message: String) -> EmberError { EmberError(.dtype, message) }
    public static func outOfMemory(_ message: String) -> EmberError { EmberError(.outOfMemory, message) }
    public static func state(_ message: String) -> EmberError { EmberError(.state, message) }
    public static func `internal`(_ message: String) -> EmberError { EmberError(.internal, message) }
}

/// `[0, 2]` -- lists of dims in messages, as Python prints them.
public func describe(_ values: [Int]) -> String {
    "[" + values.map(String.init).joined(separator: ", ") + "]"
}
