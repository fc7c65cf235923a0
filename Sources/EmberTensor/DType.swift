import CEmberMath
import Glibc

/// Element types, with torch's names and `ember_dtype`'s raw values.
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case float32 = 0
    case float64 = 1
    case int64 = 2
    /// torch.bool: one byte per element, 0 or 1 (masks, comparisons, all/any).
    case bool = 3

    /// Bytes per element.
    @inlinable public var itemSize: Int {
        switch self {
        case .float32: 4
        case .float64, .int64: 8
        case .bool: 1
        }
    }

    @inlinable public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// torch's name: "float32", "float64", "int64", "bool".
    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int64: "int64"
        case .bool: "bool"
        }
    }

    /// torch's promotion categories: bool < integral < floating.
    @inlinable public var category: Int {
        switch self {
        case .bool: 0
        case .int64: 1
        case .float32, .float64: 2
        }
    }

    /// torch's default floating dtype, which integer inputs of float ops become.
    public static let defaultFloat = DType.float32

    /// The dtype a float op gives for this input: itself if floating, else float32.
    @inlinable public var floatingCounterpart: DType { isFloatingPoint ? self : .float32 }
}

// MARK: - Type promotion

/// How much a participant counts in torch's type promotion: a dimensioned
/// tensor beats a zero-dimensional one, which beats a Python scalar, unless the
/// weaker one belongs to a higher category (integer < floating).
public enum PromotionRank: Int, Sendable {
    case scalar = 0, zeroDim = 1, dimensioned = 2
}

/// torch.result_type. Pass a Python-style scalar as `.scalar` with dtype bool,
/// int64 (an integral value) or float32 (torch counts a float scalar as the default
/// dtype), so that `int64 tensor * 2.5` is float32 and `float32 tensor * 2.5`
/// stays float32.
public func promoteTypes(_ participants: [(DType, PromotionRank)]) -> DType {
    // The highest dtype within each rank; then a stronger rank wins unless a
    // weaker one is of a higher category (bool < integral < floating), which
    // lifts it to that category.
    var best: [DType?] = [nil, nil, nil]
    for (dtype, rank) in participants {
        let r = rank.rawValue
        best[r] = best[r].map { promote($0, dtype) } ?? dtype
    }
    var result: DType? = nil
    for r in stride(from: 2, through: 0, by: -1) {
        guard let candidate = best[r] else { continue }
        guard let higher = result else { result = candidate; continue }
        if candidate.category > higher.category { result = promote(higher, candidate) }
    }
    return result ?? .float32
}

/// The smallest dtype both promote to.
@inlinable
public func promote(_ a: DType, _ b: DType) -> DType {
    if a == b { return a }
    if a == .float64 || b == .float64 { return .float64 }
    if a == .float32 || b == .float32 { return .float32 }
    return .int64  // int64 with bool
}

// MARK: - Element types

/// A Swift type that stores one element of a dtype. Conversions never trap:
/// float to int64 truncates toward zero and maps NaN and out-of-range values
/// to Int64.min (what x86's conversion instruction, and so torch, produces).
public protocol Element: Sendable {
    static var dtype: DType { get }
    static var zero: Self { get }
    static var one: Self { get }
    init(castFrom value: Float)
    init(castFrom value: Double)
    init(castFrom value: Int64)
    func cast<D: Element>(to: D.Type) -> D
    var doubleValue: Double { get }
}

/// Float and Double: the dtypes autograd differentiates.
public protocol FloatElement: Element, BinaryFloatingPoint {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func sqrt(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
}

extension Float: FloatElement {
    public static var dtype: DType { .float32 }
    public static var one: Float { 1 }
    @inlinable public init(castFrom value: Float) { self = value }
    @inlinable public init(castFrom value: Double) { self = Float(value) }
    @inlinable public init(castFrom value: Int64) { self = Float(value) }
    @inlinable public func cast<D: Element>(to: D.Type) -> D { D(castFrom: self) }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { log1pf(x) }
    @inlinable public static func sqrt(_ x: Float) -> Float { ember_sqrtf(x) }
    @inlinable public static func cos(_ x: Float) -> Float { cosf(x) }
    @inlinable public static func sin(_ x: Float) -> Float { sinf(x) }
}

extension Double: FloatElement {
    public static var dtype: DType { .float64 }
    public static var one: Double { 1 }
    @inlinable public init(castFrom value: Float) { self = Double(value) }
    @inlinable public init(castFrom value: Double) { self = value }
    @inlinable public init(castFrom value: Int64) { self = Double(value) }
    @inlinable public func cast<D: Element>(to: D.Type) -> D { D(castFrom: self) }
    @inlinable public var doubleValue: Double { self }
    @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inlinable public static func sqrt(_ x: Double) -> Double { ember_sqrt(x) }
    @inlinable public static func cos(_ x: Double) -> Double { Glibc.cos(x) }
    @inlinable public static func sin(_ x: Double) -> Double { Glibc.sin(x) }
}

extension Int64: Element {
    public static var dtype: DType { .int64 }
    public static var one: Int64 { 1 }
    @inlinable public init(castFrom value: Float) { self.init(castFrom: Double(value)) }
    @inlinable public init(castFrom value: Double) {
        self = value >= -9_223_372_036_854_775_808.0 && value < 9_223_372_036_854_775_808.0 ? Int64(value) : .min
    }
    @inlinable public init(castFrom value: Int64) { self = value }
    @inlinable public func cast<D: Element>(to: D.Type) -> D { D(castFrom: self) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Bool: Element {
    public static var dtype: DType { .bool }
    public static var zero: Bool { false }
    public static var one: Bool { true }
    @inlinable public init(castFrom value: Float) { self = value != 0 }
    @inlinable public init(castFrom value: Double) { self = value != 0 }
    @inlinable public init(castFrom value: Int64) { self = value != 0 }
    @inlinable public func cast<D: Element>(to: D.Type) -> D { D(castFrom: Int64(self ? 1 : 0)) }
    @inlinable public var doubleValue: Double { self ? 1 : 0 }
}

/// Calls `body` with the Swift element type of `dtype` (Float, Double, Int64 or Bool).
@inlinable
public func withElementType<R>(_ dtype: DType, _ body: (any Element.Type) throws -> R) rethrows -> R {
    switch dtype {
    case .float32: try body(Float.self)
    case .float64: try body(Double.self)
    case .int64: try body(Int64.self)
    case .bool: try body(Bool.self)
    }
}
