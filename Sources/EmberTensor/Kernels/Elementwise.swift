/// Elementwise kernels: binary ops with broadcasting and type promotion, ops
/// with a scalar, and unary maps. The loops run on typed pointers over the
/// collapsed layout of StridedLayout, with a contiguous fast path the
/// compiler vectorises.

/// Arithmetic that wraps for int64 (torch's integer ops wrap; Swift's trap).
public protocol NumericElement: Element, Comparable {
    static func plus(_ a: Self, _ b: Self) -> Self
    static func minus(_ a: Self, _ b: Self) -> Self
    static func times(_ a: Self, _ b: Self) -> Self
}

extension Float: NumericElement {
    @inlinable public static func plus(_ a: Float, _ b: Float) -> Float { a + b }
    @inlinable public static func minus(_ a: Float, _ b: Float) -> Float { a - b }
    @inlinable public static func times(_ a: Float, _ b: Float) -> Float { a * b }
}

extension Double: NumericElement {
    @inlinable public static func plus(_ a: Double, _ b: Double) -> Double { a + b }
    @inlinable public static func minus(_ a: Double, _ b: Double) -> Double { a - b }
    @inlinable public static func times(_ a: Double, _ b: Double) -> Double { a * b }
}

extension Int64: NumericElement {
    @inlinable public static func plus(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    @inlinable public static func minus(_ a: Int64, _ b: Int64) -> Int64 { a &- b }
    @inlinable public static func times(_ a: Int64, _ b: Int64) -> Int64 { a &* b }
}

/// Binary elementwise operations.
public enum BinaryOp: Sendable {
    case add, sub, mul, div

    /// Division is true division: integer inputs give a float.
    var alwaysFloat: Bool { self == .div }
}

/// Unary elementwise operations.
public enum UnaryOp: Sendable {
    case neg, exp, log, relu

    /// Ops that turn integer inputs into the default float, as torch does.
    var floatResult: Bool {
        switch self {
        case .exp, .log: true
        case .neg, .relu: false
        }
    }
}

extension Kernels {
    // MARK: - Binary

    /// `op(a, b)` with broadcasting and torch's type promotion.
    public static func binary(_ op: BinaryOp, _ a: NDArray, _ b: NDArray) throws -> NDArray {
        var dtype = promoteTypes([(a.dtype, a.ndim == 0 ? .zeroDim : .dimensioned),
                                  (b.dtype, b.ndim == 0 ? .zeroDim : .dimensioned)])
        if op.alwaysFloat { dtype = dtype.floatingCounterpart }
        if dtype == .bool && op == .sub {
            throw EmberError.dtype("subtraction of two bool tensors is not supported (as in torch); use logical_xor or convert with to(dtype)")
        }
        let shape = try Shapes.broadcast(a.shape, b.shape)
        let out = try NDArray(empty: shape, dtype: dtype)
        try binary(op, a.cast(to: dtype), b.cast(to: dtype), into: out)
        return out
    }

    /// `op(a, b)` written into `out`, whose shape is the broadcast shape and
    /// whose dtype is a's and b's. `out` may alias a or b exactly (in place).
    public static func binary(_ op: BinaryOp, _ a: NDArray, _ b: NDArray, into out: NDArray) throws {
        switch out.dtype {
        case .float32: binaryFloat(op, a, b, out, Float.self)
        case .float64: binaryFloat(op, a, b, out, Double.self)
        case .int64:
            switch op {
            case .add: map2(a, b, out, Int64.plus)
            case .sub: map2(a, b, out, Int64.minus)
            case .mul: map2(a, b, out, Int64.times)
            case .div: throw EmberError.internal("integer true division reached the int64 kernel")
            }
        case .bool:
            // torch: bool + bool is or, bool * bool is and.
            switch op {
            case .add: map2(a, b, out) { (x: Bool, y: Bool) in x || y }
            case .mul: map2(a, b, out) { (x: Bool, y: Bool) in x && y }
            case .sub, .div: throw EmberError.internal("bool \(op) reached the bool kernel")
            }
        }
    }

    @inline(__always)
    static func binaryFloat<T: FloatElement & NumericElement>(_ op: BinaryOp, _ a: NDArray, _ b: NDArray, _ out: NDArray, _: T.Type) {
        switch op {
        case .add: map2(a, b, out) { (x: T, y: T) in x + y }
        case .sub: map2(a, b, out) { (x: T, y: T) in x - y }
        case .mul: map2(a, b, out) { (x: T, y: T) in x * y }
        case .div: map2(a, b, out) { (x: T, y: T) in x / y }
        }
    }

    /// The loop behind every binary op: flat when every operand is contiguous
    /// with out's shape (or a single element), otherwise over the collapsed
    /// strided layout with contiguous, scalar-broadcast and general rows.
    @inline(__always)
    public static func map2<T: Element>(_ a: NDArray, _ b: NDArray, _ out: NDArray, grain: Int = 32_768, _ f: (T, T) -> T) {
        let o = out.pointer(T.self), pa = a.pointer(T.self), pb = b.pointer(T.self)
        let n = out.count
        if out.isContiguous && a.isContiguous && (a.shape == out.shape || (a.count == n && a.ndim <= out.ndim)) {
            if b.count == 1 {
                let y = pb[0]
                Parallel.forEach(n, grain: grain) { r in for i in r { o[i] = f(pa[i], y) } }
                return
            }
            if b.isContiguous && b.shape == out.shape {
                Parallel.forEach(n, grain: grain) { r in for i in r { o[i] = f(pa[i], pb[i]) } }
                return
            }
        }
        let layout = StridedLayout(shape: out.shape, out.strides,
                                   Shapes.broadcastStrides(a.shape, a.strides, to: out.shape),
                                   Shapes.broadcastStrides(b.shape, b.strides, to: out.shape))
        let (so, sa, sb) = layout.inner
        layout.forEachRow { n, oo, oa, ob in
            let po = o + oo, xa = pa + oa, xb = pb + ob
            if so == 1 && sa == 1 && sb == 1 {
                for i in 0..<n { po[i] = f(xa[i], xb[i]) }
            } else if so == 1 && sa == 1 && sb == 0 {
                let y = xb[0]
                for i in 0..<n { po[i] = f(xa[i], y) }
            } else if so == 1 && sa == 0 && sb == 1 {
                let x = xa[0]
                for i in 0..<n { po[i] = f(x, xb[i]) }
            } else {
                for i in 0..<n { po[i * so] = f(xa[i * sa], xb[i * sb]) }
            }
        }
    }

    // MARK: - With a scalar

    /// The dtype of `a op scalar`: a floating tensor keeps its dtype; an int64
    /// tensor stays int64 for an integral scalar and becomes float32 otherwise
    /// (and always for true division).
    public static func scalarResultType(_ op: BinaryOp, _ a: DType, _ scalar: Double) -> DType {
        let scalarType: DType = scalar.rounded(.towardZero) == scalar && abs(scalar) < 9.2e18 ? .int64 : .float32
        let dtype = promoteTypes([(a, .dimensioned), (scalarType, .scalar)])
        return op.alwaysFloat ? dtype.floatingCounterpart : dtype
    }

    /// `op(a, scalar)`, or `op(scalar, a)` if `reversed`.
    public static func binary(_ op: BinaryOp, _ a: NDArray, scalar: Double, reversed: Bool = false) throws -> NDArray {
        let dtype = scalarResultType(op, a.dtype, scalar)
        let out = try NDArray(empty: a.shape, dtype: dtype)
        let s = try NDArray.scalar(scalar, dtype: dtype)
        try binary(op, reversed ? s : a.cast(to: dtype), reversed ? a.cast(to: dtype) : s, into: out)
        return out
    }

    // MARK: - Unary

    /// `op(x)`; exp and log give float32 for int64 and bool input, as torch does.
    public static func unary(_ op: UnaryOp, _ x: NDArray) throws -> NDArray {
        let dtype = op.floatResult ? x.dtype.floatingCounterpart : x.dtype
        if dtype == .bool {
            throw EmberError.dtype("\(op) is not supported for bool tensors (as in torch); convert with to(dtype) first")
        }
        let source = try x.cast(to: dtype)
        let out = try NDArray(empty: x.shape, dtype: dtype)
        switch dtype {
        case .float32: unaryFloat(op, source, out, Float.self)
        case .float64: unaryFloat(op, source, out, Double.self)
        case .int64:
            switch op {
            case .neg: map1(source, out) { (v: Int64) in 0 &- v }
            case .relu: map1(source, out) { (v: Int64) in v < 0 ? 0 : v }
            case .exp, .log: throw EmberError.internal("float op reached the int64 kernel")
            }
        case .bool: break
        }
        return out
    }

    @inline(__always)
    static func unaryFloat<T: FloatElement>(_ op: UnaryOp, _ x: NDArray, _ out: NDArray, _: T.Type) {
        switch op {
        case .neg: map1(x, out) { (v: T) in -v }
        case .exp: map1(x, out, grain: 4096) { (v: T) in T.exp(v) }
        case .log: map1(x, out, grain: 4096) { (v: T) in T.log(v) }
        // NaN passes through, as torch's clamp_min(0) does.
        case .relu: map1(x, out) { (v: T) in v < 0 ? 0 : v }
        }
    }

    /// The loop behind every unary op (x and out have the same shape).
    @inline(__always)
    public static func map1<T: Element, U: Element>(_ x: NDArray, _ out: NDArray, grain: Int = 32_768, _ f: (T) -> U) {
        let o = out.pointer(U.self), px = x.pointer(T.self)
        if x.isContiguous && out.isContiguous {
            Parallel.forEach(out.count, grain: grain) { r in for i in r { o[i] = f(px[i]) } }
            return
        }
        let layout = StridedLayout(shape: out.shape, out.strides, x.strides)
        let (so, sx, _) = layout.inner
        layout.forEachRow { n, oo, ox, _ in
            let po = o + oo, xx = px + ox
            if so == 1 && sx == 1 {
                for i in 0..<n { po[i] = f(xx[i]) }
            } else {
                for i in 0..<n { po[i * so] = f(xx[i * sx]) }
            }
        }
    }

    /// A mask (1 where `x > 0`, else 0) in x's dtype: relu's derivative.
    public static func positiveMask(_ x: NDArray) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32: map1(x, out) { (v: Float) -> Float in v > 0 ? 1 : 0 }
        case .float64: map1(x, out) { (v: Double) -> Double in v > 0 ? 1 : 0 }
        case .int64: map1(x, out) { (v: Int64) -> Int64 in v > 0 ? 1 : 0 }
        case .bool: map1(x, out) { (v: Bool) -> Bool in v }
        }
        return out
    }

    /// relu's backward in one pass: `grad` where `output > 0`, else 0
    /// (torch's threshold_backward). Same shapes and dtype.
    public static func reluBackward(_ grad: NDArray, output: NDArray) throws -> NDArray {
        let out = try NDArray(empty: grad.shape, dtype: grad.dtype)
        switch grad.dtype {
        case .float32: map2(grad, output, out) { (g: Float, y: Float) in y > 0 ? g : 0 }
        case .float64: map2(grad, output, out) { (g: Double, y: Double) in y > 0 ? g : 0 }
        case .int64: map2(grad, output, out) { (g: Int64, y: Int64) in y > 0 ? g : 0 }
        case .bool: throw EmberError.dtype("relu backward of a bool tensor")
        }
        return out
    }
}

extension NDArray {
    /// A 0-dim array holding `value` converted to `dtype`.
    public static func scalar(_ value: Double, dtype: DType) throws -> NDArray {
        let out = try NDArray(empty: [], dtype: dtype)
        Kernels.fill(out, with: value)
        return out
    }
}
