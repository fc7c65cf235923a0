/// Comparisons and logical ops: bool results, with broadcasting. Comparisons
/// promote both sides to a common dtype first, as torch (so an int64 tensor
/// compared with 2.5 is compared in float32); logical ops read any dtype as
/// truth (nonzero, NaN included).

/// eq, ne, lt, le, gt, ge.
public enum CompareOp: Sendable {
    case eq, ne, lt, le, gt, ge

    /// torch's name, for messages.
    public var name: String {
        switch self {
        case .eq: "eq"
        case .ne: "ne"
        case .lt: "lt"
        case .le: "le"
        case .gt: "gt"
        case .ge: "ge"
        }
    }
}

/// logical_and, logical_or, logical_xor.
public enum LogicalOp: Sendable {
    case and, or, xor
}

extension Kernels {
    // MARK: - Comparisons

    /// `op(a, b)` as a bool array of the broadcast shape (torch.eq, torch.lt, ...).
    public static func compare(_ op: CompareOp, _ a: NDArray, _ b: NDArray) throws -> NDArray {
        let dtype = promoteTypes([(a.dtype, rank(a)), (b.dtype, rank(b))])
        let out = try NDArray(empty: try Shapes.broadcast(a.shape, b.shape), dtype: .bool)
        compare(op, try a.cast(to: dtype), try b.cast(to: dtype), into: out)
        return out
    }

    /// `op(a, scalar)` as a bool array of a's shape; the scalar takes part in
    /// type promotion as a Python number.
    public static func compare(_ op: CompareOp, _ a: NDArray, scalar: Double) throws -> NDArray {
        let dtype = promoteTypes([(a.dtype, .dimensioned), (scalarType(scalar), .scalar)])
        let out = try NDArray(empty: a.shape, dtype: .bool)
        compare(op, try a.cast(to: dtype), try NDArray.scalar(scalar, dtype: dtype), into: out)
        return out
    }

    /// a and b share a dtype; out is bool with the broadcast shape.
    static func compare(_ op: CompareOp, _ a: NDArray, _ b: NDArray, into out: NDArray) {
        switch a.dtype {
        case .float32: compareTyped(op, a, b, out, Float.self)
        case .float64: compareTyped(op, a, b, out, Double.self)
        case .int64: compareTyped(op, a, b, out, Int64.self)
        case .bool:
            // false < true, as torch orders bools.
            switch op {
            case .eq: map2(a, b, out) { (x: Bool, y: Bool) in x == y }
            case .ne: map2(a, b, out) { (x: Bool, y: Bool) in x != y }
            case .lt: map2(a, b, out) { (x: Bool, y: Bool) in !x && y }
            case .le: map2(a, b, out) { (x: Bool, y: Bool) in !x || y }
            case .gt: map2(a, b, out) { (x: Bool, y: Bool) in x && !y }
            case .ge: map2(a, b, out) { (x: Bool, y: Bool) in x || !y }
            }
        }
    }

    @inline(__always)
    static func compareTyped<T: NumericElement>(_ op: CompareOp, _ a: NDArray, _ b: NDArray, _ out: NDArray, _: T.Type) {
        switch op {
        case .eq: map2(a, b, out) { (x: T, y: T) in x == y }
        case .ne: map2(a, b, out) { (x: T, y: T) in x != y }
        case .lt: map2(a, b, out) { (x: T, y: T) in x < y }
        case .le: map2(a, b, out) { (x: T, y: T) in x <= y }
        case .gt: map2(a, b, out) { (x: T, y: T) in x > y }
        case .ge: map2(a, b, out) { (x: T, y: T) in x >= y }
        }
    }

    // MARK: - Logical

    /// `op(a, b)` on the truth of each element, as a bool array of the broadcast shape.
    public static func logical(_ op: LogicalOp, _ a: NDArray, _ b: NDArray) throws -> NDArray {
        let out = try NDArray(empty: try Shapes.broadcast(a.shape, b.shape), dtype: .bool)
        let x = try a.cast(to: .bool), y = try b.cast(to: .bool)
        switch op {
        case .and: map2(x, y, out) { (p: Bool, q: Bool) in p && q }
        case .or: map2(x, y, out) { (p: Bool, q: Bool) in p || q }
        case .xor: map2(x, y, out) { (p: Bool, q: Bool) in p != q }
        }
        return out
    }

    /// torch.logical_not: true where x is zero.
    public static func logicalNot(_ x: NDArray) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: .bool)
        switch x.dtype {
        case .float32: map1(x, out) { (v: Float) in v == 0 }
        case .float64: map1(x, out) { (v: Double) in v == 0 }
        case .int64: map1(x, out) { (v: Int64) in v == 0 }
        case .bool: map1(x, out) { (v: Bool) in !v }
        }
        return out
    }
}
