/// A JSON value, as the safetensors header and Ember's model files use it.
/// Objects keep their members in file order (duplicates included, so that
/// readers can reject them); numbers keep their literal text, so that sizes
/// and offsets are read exactly and 1 and 1.0 stay distinct.
///
/// ```swift
/// let v = try JSON.parse(Array(#"{"a":[1,2.5,true]}"#.utf8))
/// v["a"]?[1]?.doubleValue  // 2.5
/// v.serialized             // {"a":[1,2.5,true]}
/// ```
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The literal text of a number ("12", "-0.5", "1e-05"; also "NaN",
    /// "Infinity" and "-Infinity" where the Python extension is allowed).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.number(x), .number(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// A number from an integer.
    public static func int(_ v: Int) -> JSONValue { .number(String(v)) }

    /// A number from a double, written so that it reads back as a double
    /// (always with a '.' or an exponent; NaN and infinities as Python's json writes them).
    public static func double(_ v: Double) -> JSONValue {
        if v.isNaN { return .number("NaN") }
        if v.isInfinite { return .number(v < 0 ? "-Infinity" : "Infinity") }
        let text = "\(v)"
        return .number(text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) ? text : text + ".0")
    }

    /// The member `key` of an object (the first, if repeated), or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The element `index` of an array, or nil.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, index >= 0, index < items.count else { return nil }
        return items[index]
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: [(String, JSONValue)]? { if case .object(let o) = self { o } else { nil } }

    /// Whether this is a number written as an integer (no fraction, no exponent).
    public var isInteger: Bool {
        guard case .number(let text) = self else { return false }
        return !text.isEmpty && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    /// A non-negative integer that fits in a UInt64, exactly; nil otherwise
    /// (negative, fractional, exponent, or too large).
    public var uint64Value: UInt64? {
        guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(text)
    }

    /// An integer that fits in an Int, exactly; nil otherwise.
    public var intValue: Int? {
        guard case .number(let text) = self, isInteger else { return nil }
        return Int(text)
    }

    /// The number as a Double (rounded correctly), or nil.
    public var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(text)
        }
    }
}

/// A strict JSON reader (RFC 8259) and a compact writer with serde_json's
/// escaping, the library the safetensors package writes its headers with.
/// The reader validates UTF-8, rejects control characters in strings, lone
/// surrogates, leading zeros, trailing commas and anything after the value
/// but whitespace, and limits nesting to `maxDepth` -- every malformed input
/// is an error, never a trap.
public enum JSON {
    /// The deepest nesting the reader accepts (arrays and objects).
    public static let maxDepth = 128

    /// Parses `bytes` as one JSON value. With `allowNonFinite`, the tokens
    /// NaN, Infinity and -Infinity (which Python's json module writes) are
    /// numbers. Throws an `.io` error naming the offset on malformed input.
    public static func parse(_ bytes: UnsafeRawBufferPointer, allowNonFinite: Bool = false) throws -> JSONValue {
        var reader = JSONReader(bytes, allowNonFinite: allowNonFinite)
        return try reader.document()
    }

    /// As `parse(_:allowNonFinite:)`, for a byte array.
    public static func parse(_ bytes: [UInt8], allowNonFinite: Bool = false) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0, allowNonFinite: allowNonFinite) }
    }

    /// Whether `bytes` is well-formed UTF-8 (no overlong forms, surrogates or
    /// code points past U+10FFFF).
    public static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int, minimum: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(b & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(b & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(b & 0x07)
            default: return false
            }
            guard n - i >= length else { return false }
            for k in 1..<length {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { return false }
                scalar = (scalar << 6) | UInt32(c & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) { return false }
            i += length
        }
        return true
    }
}

extension JSONValue {
    /// Compact JSON text, as serde_json writes it: no spaces, members in
    /// order, strings escaped only where JSON requires (quote, backslash and
    /// control characters; \b \t \n \f \r, else \u00XX in lowercase hex).
    public var serialized: String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let text): out += Array(text.utf8)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [92, 34]
            case UInt8(ascii: "\\"): out += [92, 92]
            case 0x08: out += [92, UInt8(ascii: "b")]
            case 0x09: out += [92, UInt8(ascii: "t")]
            case 0x0A: out += [92, UInt8(ascii: "n")]
            case 0x0C: out += [92, UInt8(ascii: "f")]
            case 0x0D: out += [92, UInt8(ascii: "r")]
            case 0..<0x20: out += [92, UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// The recursive-descent reader behind JSON.parse; every index is checked.
struct JSONReader {
    let bytes: UnsafeRawBufferPointer
    let allowNonFinite: Bool
    var i = 0
    var depth = 0

    init(_ bytes: UnsafeRawBufferPointer, allowNonFinite: Bool) {
        self.bytes = bytes
        self.allowNonFinite = allowNonFinite
    }

    func error(_ what: String) -> EmberError {
        EmberError(.io, "invalid JSON: \(what) at offset \(i)")
    }

    var atEnd: Bool { i >= bytes.count }
    var peek: UInt8 { i < bytes.count ? bytes[i] : 0 }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func document() throws -> JSONValue {
        guard JSON.isValidUTF8(bytes) else { throw EmberError(.io, "invalid JSON: the text is not valid UTF-8") }
        skipSpace()
        let v = try value()
        skipSpace()
        guard atEnd else { throw error("unexpected '\(printable(peek))' after the value") }
        return v
    }

    mutating func value() throws -> JSONValue {
        guard !atEnd else { throw error("unexpected end of input") }
        switch peek {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N") where allowNonFinite: try literal("NaN"); return .number("NaN")
        case UInt8(ascii: "I") where allowNonFinite: try literal("Infinity"); return .number("Infinity")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character '\(printable(peek))'")
        }
    }

    func printable(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? String(Character(Unicode.Scalar(b))) : "\\x" + String(b, radix: 16)
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard bytes.count - i >= n else { throw error("unexpected end of input") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw error("invalid literal") }
        i += n
    }

    mutating func enter() throws {
        depth += 1
        guard depth <= JSON.maxDepth else { throw error("nesting deeper than \(JSON.maxDepth) levels") }
    }

    mutating func object() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if peek == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "\"") else { throw error(atEnd ? "unexpected end of input" : "expected a string key") }
            let key = try string()
            skipSpace()
            guard peek == UInt8(ascii: ":") else { throw error(atEnd ? "unexpected end of input" : "expected ':'") }
            i += 1
            skipSpace()
            members.append((key, try value()))
            skipSpace()
            guard !atEnd else { throw error("unexpected end of input") }
            let c = peek
            i += 1
            if c == UInt8(ascii: "}") { return .object(members) }
            guard c == UInt8(ascii: ",") else { i -= 1; throw error("expected ',' or '}'") }
        }
    }

    mutating func array() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if peek == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            guard !atEnd else { throw error("unexpected end of input") }
            let c = peek
            i += 1
            if c == UInt8(ascii: "]") { return .array(items) }
            guard c == UInt8(ascii: ",") else { i -= 1; throw error("expected ',' or ']'") }
        }
    }

    mutating func number() throws -> String {
        let start = i
        if peek == UInt8(ascii: "-") {
            i += 1
            if allowNonFinite && peek == UInt8(ascii: "I") {
                try literal("Infinity")
                return "-Infinity"
            }
        }
        guard !atEnd, isDigit(peek) else { throw error("expected a digit") }
        if peek == UInt8(ascii: "0") {
            i += 1
            if !atEnd && isDigit(peek) { throw error("leading zero in a number") }
        } else {
            while !atEnd && isDigit(peek) { i += 1 }
        }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard !atEnd, isDigit(peek) else { throw error("expected a digit after '.'") }
            while !atEnd && isDigit(peek) { i += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard !atEnd, isDigit(peek) else { throw error("expected a digit in the exponent") }
            while !atEnd && isDigit(peek) { i += 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    mutating func hex4() throws -> UInt32 {
        guard bytes.count - i >= 4 else { throw error("unexpected end of input in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw error("invalid hex digit in a \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        var runStart = i
        while true {
            guard !atEnd else { throw error("unterminated string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                out += UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c < 0x20 { throw error("control character in a string") }
            if c != UInt8(ascii: "\\") { i += 1; continue }
            out += UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])
            i += 1
            guard !atEnd else { throw error("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(34)
            case UInt8(ascii: "\\"): out.append(92)
            case UInt8(ascii: "/"): out.append(47)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    guard bytes.count - i >= 2, bytes[i] == 92, bytes[i + 1] == UInt8(ascii: "u") else {
                        throw error("lone leading surrogate in a \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low <= 0xDFFF else { throw error("invalid trailing surrogate in a \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw error("lone trailing surrogate in a \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out += Array(String(Character(u)).utf8)
            default:
                i -= 1
                throw error("invalid escape '\\\(printable(e))'")
            }
            runStart = i
        }
    }
}
