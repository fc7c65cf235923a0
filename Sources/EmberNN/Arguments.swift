import EmberTensor

/// A constructor argument value, as torch's Python keyword arguments write it:
/// `10`, `0.5`, `True`, `None`, `'same'`, `(3, 3)`.
public enum ArgumentValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case none
    case tuple([ArgumentValue])

    /// The value as Python would print it in a module's repr.
    public var description: String {
        switch self {
        case .int(let v): String(v)
        case .double(let v):
            v == v.rounded() && abs(v) < 1e16 ? String(format1: v) : "\(v)"
        case .bool(let v): v ? "True" : "False"
        case .string(let v): "'\(v)'"
        case .none: "None"
        case .tuple(let values): "(" + values.map(\.description).joined(separator: ", ") + (values.count == 1 ? ",)" : ")")
        }
    }
}

extension String {
    /// 1.0 -> "1.0", as Python prints floats with integral values.
    init(format1 v: Double) { self = String(Int(v)) + ".0" }
}

/// Arguments parsed from torch's keyword syntax: positional values first, then
/// `name=value` pairs, comma separated -- "10, 5, bias=False",
/// "3, 16, kernel_size=(3, 3), padding='same'".
public struct ArgumentList: Sendable {
    public var positional: [ArgumentValue] = []
    public var named: [(String, ArgumentValue)] = []

    public init() {}

    public init(parsing text: String) throws {
        var parser = ArgumentParser(Array(text.utf8), text)
        self = try parser.parseList()
    }
}

/// Binds an ArgumentList to a constructor's signature, torch-style: positional
/// values fill parameters in order, names must be known (the message lists
/// them), required parameters must be given, and values are type-checked.
public struct Arguments {
    public let type: String
    var values: [String: ArgumentValue] = [:]
    /// Every parameter with its bound value, in signature order (for repr and saving).
    public private(set) var bound: [(String, ArgumentValue)] = []

    /// A parameter of a constructor: its name and default (nil when required).
    public struct Parameter: Sendable {
        public let name: String
        public let defaultValue: ArgumentValue?
        public init(_ name: String, _ defaultValue: ArgumentValue? = nil) {
            self.name = name
            self.defaultValue = defaultValue
        }
    }

    public init(_ list: ArgumentList, type: String, signature: [Parameter]) throws {
        self.type = type
        let names = signature.map(\.name)
        guard list.positional.count <= signature.count else {
            throw EmberError.invalidArgument("\(type) takes at most \(signature.count) positional arguments (\(names.joined(separator: ", "))) but \(list.positional.count) were given")
        }
        for (i, v) in list.positional.enumerated() { values[signature[i].name] = v }
        for (name, v) in list.named {
            guard names.contains(name) else {
                throw EmberError.invalidArgument("\(type) got an unexpected argument '\(name)'; its arguments are: \(names.joined(separator: ", "))")
            }
            guard values[name] == nil else { throw EmberError.invalidArgument("\(type) got multiple values for argument '\(name)'") }
            values[name] = v
        }
        for p in signature {
            if values[p.name] == nil {
                guard let d = p.defaultValue else {
                    throw EmberError.invalidArgument("\(type) is missing the required argument '\(p.name)'")
                }
                values[p.name] = d
            }
            bound.append((p.name, values[p.name]!))
        }
    }

    func value(_ name: String) throws -> ArgumentValue {
        guard let v = values[name] else { throw EmberError.internal("\(type): no parameter \(name) in the signature") }
        return v
    }

    func mismatch(_ name: String, _ expected: String, _ v: ArgumentValue) -> EmberError {
        EmberError.invalidArgument("\(type): argument '\(name)' must be \(expected), got \(v)")
    }

    public func int(_ name: String) throws -> Int {
        let v = try value(name)
        if case .int(let i) = v { return i }
        if case .bool(let b) = v { return b ? 1 : 0 }
        throw mismatch(name, "an integer", v)
    }

    public func optionalInt(_ name: String) throws -> Int? {
        if case .none = try value(name) { return nil }
        return try int(name)
    }

    public func double(_ name: String) throws -> Double {
        let v = try value(name)
        switch v {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw mismatch(name, "a number", v)
        }
    }

    public func optionalDouble(_ name: String) throws -> Double? {
        if case .none = try value(name) { return nil }
        return try double(name)
    }

    public func bool(_ name: String) throws -> Bool {
        let v = try value(name)
        switch v {
        case .bool(let b): return b
        case .int(let i) where i == 0 || i == 1: return i == 1
        default: throw mismatch(name, "True or False", v)
        }
    }

    public func string(_ name: String, oneOf choices: [String]? = nil) throws -> String {
        let v = try value(name)
        guard case .string(let s) = v else { throw mismatch(name, "a string", v) }
        if let choices, !choices.contains(s) {
            throw EmberError.invalidArgument("\(type): argument '\(name)' must be one of \(choices.map { "'\($0)'" }.joined(separator: ", ")), got '\(s)'")
        }
        return s
    }

    /// An int or a tuple of `count` ints (torch's _pair, _single, _triple).
    public func ints(_ name: String, count: Int) throws -> [Int] {
        let v = try value(name)
        switch v {
        case .int(let i): return [Int](repeating: i, count: count)
        case .tuple(let items) where items.count == count:
            return try items.map { item in
                guard case .int(let i) = item else { throw mismatch(name, "an integer or a tuple of \(count) integers", v) }
                return i
            }
        default: throw mismatch(name, "an integer or a tuple of \(count) integers", v)
        }
    }

    /// A tuple (or single int) of any length.
    public func intList(_ name: String) throws -> [Int] {
        let v = try value(name)
        switch v {
        case .int(let i): return [i]
        case .tuple(let items):
            return try items.map { item in
                guard case .int(let i) = item else { throw mismatch(name, "a tuple of integers", v) }
                return i
            }
        default: throw mismatch(name, "a tuple of integers", v)
        }
    }

    /// Checks `condition`, throwing torch's kind of message otherwise.
    public func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw EmberError.invalidArgument("\(type): \(message())") }
    }
}

/// The parser behind ArgumentList: Python-literal values, no expressions.
struct ArgumentParser {
    let bytes: [UInt8]
    let text: String
    var i = 0

    init(_ bytes: [UInt8], _ text: String) {
        self.bytes = bytes
        self.text = text
    }

    func error(_ what: String) -> EmberError {
        EmberError.invalidArgument("cannot parse arguments \"\(text)\": \(what) at offset \(i)")
    }

    mutating func skipSpace() { while i < bytes.count && (bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10) { i += 1 } }

    mutating func parseList() throws -> ArgumentList {
        var list = ArgumentList()
        skipSpace()
        while i < bytes.count {
            // name=value or a bare value.
            let start = i
            if let name = identifier(), peekEquals() {
                i += 1
                list.named.append((name, try parseValue()))
            } else {
                i = start
                guard list.named.isEmpty else { throw error("positional argument after keyword arguments") }
                list.positional.append(try parseValue())
            }
            skipSpace()
            if i < bytes.count {
                guard bytes[i] == UInt8(ascii: ",") else { throw error("expected ','") }
                i += 1
                skipSpace()
            }
        }
        return list
    }

    mutating func identifier() -> String? {
        skipSpace()
        let start = i
        while i < bytes.count, isIdentifierByte(bytes[i], first: i == start) { i += 1 }
        return i > start ? String(decoding: bytes[start..<i], as: UTF8.self) : nil
    }

    mutating func peekEquals() -> Bool {
        skipSpace()
        return i < bytes.count && bytes[i] == UInt8(ascii: "=")
    }

    func isIdentifierByte(_ b: UInt8, first: Bool) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 || (!first && b >= 48 && b <= 57)
    }

    /// How deep tuples may nest. No module argument nests more than twice;
    /// the parser recurses once per level, so the limit keeps the stack (of
    /// any thread, even a 256 KiB one) safe from "((((...1...))))".
    static let maxNesting = 32

    mutating func parseValue(depth: Int = 0) throws -> ArgumentValue {
        skipSpace()
        guard i < bytes.count else { throw error("missing value") }
        let c = bytes[i]
        if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") {
            guard depth < Self.maxNesting else { throw error("tuples nested more than \(Self.maxNesting) deep") }
            let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            i += 1
            var items: [ArgumentValue] = []
            skipSpace()
            while i < bytes.count && bytes[i] != close {
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: ",") { i += 1; skipSpace() }
            }
            guard i < bytes.count else { throw error("unclosed tuple") }
            i += 1
            return .tuple(items)
        }
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            i += 1
            let start = i
            while i < bytes.count && bytes[i] != c { i += 1 }
            guard i < bytes.count else { throw error("unclosed string") }
            defer { i += 1 }
            return .string(String(decoding: bytes[start..<i], as: UTF8.self))
        }
        let start = i
        while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: ")"), bytes[i] != UInt8(ascii: "]") { i += 1 }
        let word = String(decoding: bytes[start..<i], as: UTF8.self).trimmingSpaces
        switch word {
        case "True", "true": return .bool(true)
        case "False", "false": return .bool(false)
        case "None", "none": return .none
        case "inf", "float('inf')": return .double(.infinity)
        case "-inf", "float('-inf')": return .double(-.infinity)
        default:
            if let v = Int(word) { return .int(v) }
            if let v = Double(word), word.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .double(v) }
            if !word.isEmpty, word.utf8.allSatisfy({ isIdentifierByte($0, first: false) }) { return .string(word) }
            throw error("cannot read the value '\(word)'")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" || s.first == "\n" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
