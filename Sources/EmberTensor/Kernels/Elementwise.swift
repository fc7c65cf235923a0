/// Elementwise kernels: binary ops with broadcasting and type promotion, ops
/// with a scalar, and the loops every elementwise kernel runs on (map1, map2,
/// map3). The loops work on typed pointers over the collapsed layout of
/// StridedLayout, with a contiguous fast path the compiler vectorises; big
/// loops are split across threads (flat ranges, or slices of the leading
/// dimension for strided operands). Unary ops are in ElementwiseUnary.swift,
/// comparisons and selection in ElementwiseLogical.swift and
/// ElementwiseTernary.swift.

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

/// Binary elementwise operations, with torch's semantics.
public enum BinaryOp: Sendable {
    case add, sub, mul, div
    /// torch.floor_divide, torch.div(rounding_mode="floor"): the quotient rounded down.
    case floorDivide
    /// torch.div(rounding_mode="trunc"): the quotient rounded toward zero.
    case truncDivide
    /// torch.remainder: the sign follows the divisor, as Python's %.
    case remainder
    /// torch.maximum / torch.minimum: NaN propagates.
    case maximum, minimum
    /// torch.atan2(a, b) (float result) and torch.pow(a, b) (int64 stays int64).
    case atan2, pow

    /// True division and atan2: integer inputs give a float.
    var alwaysFloat: Bool { self == .div || self == .atan2 }

    /// Integer forms that fail on a zero divisor, as torch's ZeroDivisionError.
    var dividesIntegers: Bool { self == .floorDivide || self == .truncDivide || self == .remainder }

    /// torch's name, for messages.
    public var name: String {
        switch self {
        case .add: "add"
        case .sub: "sub"
        case .mul: "mul"
        case .div: "div"
        case .floorDivide: "floor_divide"
        case .truncDivide: "div(rounding_mode='trunc')"
        case .remainder: "remainder"
        case .maximum: "maximum"
        case .minimum: "minimum"
        case .atan2: "atan2"
        case .pow: "pow"
        }
    }
}

/// torch.div's `rounding_mode`: trunc or floor (nil means true division).
public enum RoundingMode: String, Sendable {
    case trunc, floor

    /// The binary op that divides with this rounding.
    public var op: BinaryOp { self == .trunc ? .truncDivide : .floorDivide }
}

extension Kernels {
    /// How `x` counts in type promotion: a 0-dim tensor is weaker than a dimensioned one.
    @inlinable
    public static func rank(_ x: NDArray) -> PromotionRank { x.ndim == 0 ? .zeroDim : .dimensioned }

    /// The dtype torch gives a Python scalar: int64 for an integral value, else float32 (the default float).
    public static func scalarType(_ value: Double) -> DType {
        value.rounded(.towardZero) == value && Swift.abs(value) < 9.2e18 ? .int64 : .float32
    }

    // MARK: - Binary

    /// `op(a, b)` with broadcasting and torch's type promotion.
    public static func binary(_ op: BinaryOp, _ a: NDArray, _ b: NDArray) throws -> NDArray {
        // The common case first: two contiguous float arrays of one shape and
        // dtype need no promotion, broadcasting or casting.
        if a.dtype == b.dtype && a.dtype.isFloatingPoint && a.isContiguous && b.isContiguous && a.shape == b.shape {
            let out = try NDArray(empty: a.shape, dtype: a.dtype)
            if a.dtype == .float32 {
                binaryFloat(op, a, b, out, Float.self)
            } else {
                binaryFloat(op, a, b, out, Double.self)
            }
            return out
        }
        var dtype = promoteTypes([(a.dtype, rank(a)), (b.dtype, rank(b))])
        if op.alwaysFloat { dtype = dtype.floatingCounterpart }
        try checkBool(op, dtype)
        let shape = try Shapes.broadcast(a.shape, b.shape)
        let out = try NDArray(empty: shape, dtype: dtype)
        try binary(op, a.cast(to: dtype), b.cast(to: dtype), into: out)
        return out
    }

    /// The ops torch does not implement for bool operands.
    static func checkBool(_ op: BinaryOp, _ dtype: DType) throws {
        guard dtype == .bool else { return }
        switch op {
        case .sub:
            throw EmberError.dtype("subtraction of two bool tensors is not supported (as in torch); use logical_xor or convert with to(dtype)")
        case .floorDivide, .truncDivide, .remainder, .pow:
            throw EmberError.dtype("\(op.name) is not implemented for bool tensors (as in torch); convert with to(dtype) first")
        case .add, .mul, .div, .maximum, .minimum, .atan2:
            return
        }
    }

    /// `op(a, b)` written into `out`, whose shape is the broadcast shape and
    /// whose dtype is a's and b's. `out` may alias a or b exactly (in place).
    public static func binary(_ op: BinaryOp, _ a: NDArray, _ b: NDArray, into out: NDArray) throws {
        if out.dtype == .int64 && op.dividesIntegers && out.count > 0 && hasZeroDivisor(b) {
            throw EmberError.invalidArgument("\(op.name): integer division by zero (torch raises ZeroDivisionError)")
        }
        switch out.dtype {
        case .float32: binaryFloat(op, a, b, out, Float.self)
        case .float64: binaryFloat(op, a, b, out, Double.self)
        case .int64:
            switch op {
            case .add: map2(a, b, out, Int64.plus)
            case .sub: map2(a, b, out, Int64.minus)
            case .mul: map2(a, b, out, Int64.times)
            case .floorDivide: map2(a, b, out, IntMath.floorDivide)
            case .truncDivide: map2(a, b, out, IntMath.truncDivide)
            case .remainder: map2(a, b, out, IntMath.remainder)
            case .maximum: map2(a, b, out) { (x: Int64, y: Int64) in x < y ? y : x }
            case .minimum: map2(a, b, out) { (x: Int64, y: Int64) in y < x ? y : x }
            case .pow: map2(a, b, out, IntMath.pow)
            case .div, .atan2: throw EmberError.internal("\(op.name) reached the int64 kernel")
            }
        case .bool:
            // torch: bool + bool and maximum are or, bool * bool and minimum are and.
            switch op {
            case .add, .maximum: map2(a, b, out) { (x: Bool, y: Bool) in x || y }
            case .mul, .minimum: map2(a, b, out) { (x: Bool, y: Bool) in x && y }
            default: throw EmberError.internal("bool \(op.name) reached the bool kernel")
            }
        }
    }

    @inline(__always)
    static func binaryFloat<T: FloatMath>(_ op: BinaryOp, _ a: NDArray, _ b: NDArray, _ out: NDArray, _: T.Type) {
        switch op {
        case .add: map2(AddFunction<T>.self, a, b, out)
        case .sub: map2(SubFunction<T>.self, a, b, out)
        case .mul: map2(MulFunction<T>.self, a, b, out)
        case .div: map2(DivFunction<T>.self, a, b, out)
        case .floorDivide: map2(a, b, out, grain: 8192, T.floorDivide)
        case .truncDivide: map2(a, b, out) { (x: T, y: T) in (x / y).rounded(.towardZero) }
        case .remainder: map2(a, b, out, grain: 8192, T.remainder)
        case .maximum: map2(a, b, out, T.propagatingMaximum)
        case .minimum: map2(a, b, out, T.propagatingMinimum)
        case .atan2: map2(a, b, out, grain: 4096) { (y: T, x: T) in T.atan2(y, x) }
        case .pow: map2(a, b, out, grain: 4096) { (x: T, y: T) in T.pow(x, y) }
        }
    }

    /// Whether an int64 array has a zero element (the divisor check before an
    /// integer division; false for other dtypes, whose division by zero is IEEE's).
    static func hasZeroDivisor(_ x: NDArray) -> Bool {
        guard x.dtype == .int64 && x.count > 0 else { return false }
        var found = false
        let layout = StridedLayout(shape: x.shape, x.strides)
        let s = layout.inner.0
        let p = x.pointer(Int64.self)
        layout.forEachRow { n, o, _, _ in
            for i in 0..<n where p[o + i * s] == 0 { found = true }
        }
        return found
    }

    // MARK: - With a scalar

    /// The dtype of `a op scalar`: a floating tensor keeps its dtype; an int64
    /// tensor stays int64 for an integral scalar and becomes float32 otherwise
    /// (and always for true division).
    public static func scalarResultType(_ op: BinaryOp, _ a: DType, _ scalar: Double) -> DType {
        let dtype = promoteTypes([(a, .dimensioned), (scalarType(scalar), .scalar)])
        return op.alwaysFloat ? dtype.floatingCounterpart : dtype
    }

    /// `op(a, scalar)`, or `op(scalar, a)` if `reversed`.
    public static func binary(_ op: BinaryOp, _ a: NDArray, scalar: Double, reversed: Bool = false) throws -> NDArray {
        let dtype = scalarResultType(op, a.dtype, scalar)
        try checkBool(op, dtype)
        if op == .pow && !reversed {
            if dtype == .int64 && scalar < 0 {
                throw EmberError.invalidArgument("pow: integers to negative integer powers are not allowed (exponent \(scalar), as in torch)")
            }
            if dtype.isFloatingPoint { return try powScalar(a.cast(to: dtype), exponent: scalar) }
        }
        let out = try NDArray(empty: a.shape, dtype: dtype)
        let s = try NDArray.scalar(scalar, dtype: dtype)
        try binary(op, reversed ? s : a.cast(to: dtype), reversed ? a.cast(to: dtype) : s, into: out)
        return out
    }

    /// x ** exponent for a floating x, with torch's special cases (squares,
    /// cubes, square roots and reciprocals are computed directly, not by pow).
    static func powScalar(_ x: NDArray, exponent: Double) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32: powScalarLoop(x, out, Float(exponent))
        case .float64: powScalarLoop(x, out, exponent)
        case .int64, .bool: throw EmberError.internal("powScalar on \(x.dtype)")
        }
        return out
    }

    @inline(__always)
    static func powScalarLoop<T: FloatMath>(_ x: NDArray, _ out: NDArray, _ e: T) {
        switch e {
        case 0: map1(x, out) { (_: T) in T.one }
        case 1: map1(x, out) { (v: T) in v }
        case 2: map1(x, out) { (v: T) in v * v }
        case 3: map1(x, out) { (v: T) in v * v * v }
        case 0.5: map1(x, out) { (v: T) in v.squareRoot() }
        case -0.5: map1(x, out) { (v: T) in 1 / v.squareRoot() }
        case -1: map1(x, out) { (v: T) in 1 / v }
        case -2: map1(x, out) { (v: T) in 1 / (v * v) }
        default: map1(x, out, grain: 4096) { (v: T) in T.pow(v, e) }
        }
    }

    // MARK: - Loops

    /// Calls `body(start, shape)` for slices of `shape` along its leading
    /// dimension (`start` is the first index of the slice), in parallel when
    /// there are at least `grain` elements per thread; one call otherwise.
    @inline(__always)
    static func forEachSlice(_ shape: Dims, count: Int, grain: Int, _ body: (Int, Dims) -> Void) {
        guard shape.count > 0, shape[0] > 1, count >= 2 * grain else {
            body(0, shape)
            return
        }
        let perRow = Swift.max(count / shape[0], 1)
        Parallel.forEach(shape[0], grain: Swift.max(grain / perRow, 1)) { rows in
            var slice = shape
            slice[0] = rows.count
            body(rows.lowerBound, slice)
        }
    }

    /// The first stride of `strides`, or 0 for a 0-dim array.
    @inline(__always)
    static func leading(_ strides: Dims) -> Int { strides.isEmpty ? 0 : strides[0] }

    /// The loop behind every binary op: flat when every operand is contiguous
    /// with out's shape (or a single element), otherwise over the collapsed
    /// strided layout with contiguous, scalar-broadcast and general rows.
    @inline(__always)
    public static func map2<A: Element, B: Element, U: Element>(_ a: NDArray, _ b: NDArray, _ out: NDArray, grain: Int = 32_768,
                                                                 _ f: (A, B) -> U) {
        let o = out.pointer(U.self), pa = a.pointer(A.self), pb = b.pointer(B.self)
        let n = out.count
        if out.isContiguous && a.isContiguous && (a.shape == out.shape || (a.count == n && a.ndim <= out.ndim)) {
            if b.count == 1 {
                let y = pb[0]
                Parallel.forEach(n, grain: grain) { r in for i in r { o[i] = f(pa[i], y) } }
                return
            }
            if b.isContiguous && (b.shape == out.shape || (b.count == n && b.ndim <= out.ndim)) {
                Parallel.forEach(n, grain: grain) { r in for i in r { o[i] = f(pa[i], pb[i]) } }
                return
            }
        }
        forEachStridedRow2(a, b, out, grain: grain) { po, xa, xb, n, io, ia, ib in applyRow(po, xa, xb, n, io, ia, ib, f) }
    }

    /// The strided part of `map2`: `row(po, xa, xb, n, io, ia, ib)` for every
    /// inner row of the collapsed layout of a and b broadcast to out's shape
    /// (n elements, `io`, `ia`, `ib` apart), slices split across threads.
    @inline(__always)
    static func forEachStridedRow2<A: Element, B: Element, U: Element>(
        _ a: NDArray, _ b: NDArray, _ out: NDArray, grain: Int,
        _ row: (UnsafeMutablePointer<U>, UnsafeMutablePointer<A>, UnsafeMutablePointer<B>, Int, Int, Int, Int) -> Void) {
        let o = out.pointer(U.self), pa = a.pointer(A.self), pb = b.pointer(B.self)
        let so = out.strides
        let sa = Shapes.broadcastStrides(a.shape, a.strides, to: out.shape)
        let sb = Shapes.broadcastStrides(b.shape, b.strides, to: out.shape)
        forEachSlice(out.shape, count: out.count, grain: grain) { start, shape in
            let layout = StridedLayout(shape: shape, so, sa, sb)
            let o0 = o + start * leading(so), a0 = pa + start * leading(sa), b0 = pb + start * leading(sb)
            let (io, ia, ib) = layout.inner
            layout.forEachRow { n, oo, oa, ob in row(o0 + oo, a0 + oa, b0 + ob, n, io, ia, ib) }
        }
    }

    /// One strided row of a binary op: contiguous, either operand a
    /// broadcast scalar, or general strides.
    @inline(__always)
    static func applyRow<A: Element, B: Element, U: Element>(_ po: UnsafeMutablePointer<U>, _ xa: UnsafeMutablePointer<A>,
                                                             _ xb: UnsafeMutablePointer<B>, _ n: Int, _ io: Int, _ ia: Int, _ ib: Int,
                                                             _ f: (A, B) -> U) {
        if io == 1 && ia == 1 && ib == 1 {
            for i in 0..<n { po[i] = f(xa[i], xb[i]) }
        } else if io == 1 && ia == 1 && ib == 0 {
            let y = xb[0]
            for i in 0..<n { po[i] = f(xa[i], y) }
        } else if io == 1 && ia == 0 && ib == 1 {
            let x = xa[0]
            for i in 0..<n { po[i] = f(x, xb[i]) }
        } else {
            for i in 0..<n { po[i * io] = f(xa[i * ia], xb[i * ib]) }
        }
    }

    /// The loop behind ternary ops (where, lerp, addcmul): a, b and c broadcast
    /// to out's shape; `out` must be contiguous (a fresh result).
    @inline(__always)
    public static func map3<A: Element, B: Element, C: Element, U: Element>(_ a: NDArray, _ b: NDArray, _ c: NDArray, _ out: NDArray,
                                                                            grain: Int = 32_768, _ f: (A, B, C) -> U) {
        let o = out.pointer(U.self), pa = a.pointer(A.self), pb = b.pointer(B.self), pc = c.pointer(C.self)
        let n = out.count
        func flat(_ x: NDArray) -> Bool { x.isContiguous && (x.shape == out.shape || (x.count == n && x.ndim <= out.ndim)) }
        if flat(a) && flat(b) && flat(c) {
            Parallel.forEach(n, grain: grain) { r in for i in r { o[i] = f(pa[i], pb[i], pc[i]) } }
            return
        }
        let sa = Shapes.broadcastStrides(a.shape, a.strides, to: out.shape)
        let sb = Shapes.broadcastStrides(b.shape, b.strides, to: out.shape)
        let sc = Shapes.broadcastStrides(c.shape, c.strides, to: out.shape)
        let rowSize = out.ndim == 0 ? 1 : n / Swift.max(out.shape[0], 1)
        forEachSlice(out.shape, count: n, grain: grain) { start, shape in
            // The layout walks the slice in row-major order, so the contiguous
            // output is written at a running position.
            let layout = StridedLayout(shape: shape, sa, sb, sc)
            let a0 = pa + start * leading(sa), b0 = pb + start * leading(sb), c0 = pc + start * leading(sc)
            var po = o + start * rowSize
            let (ia, ib, ic) = layout.inner
            layout.forEachRow { n, oa, ob, oc in
                let xa = a0 + oa, xb = b0 + ob, xc = c0 + oc
                if ia == 1 && ib == 1 && ic == 1 {
                    for i in 0..<n { po[i] = f(xa[i], xb[i], xc[i]) }
                } else {
                    for i in 0..<n { po[i] = f(xa[i * ia], xb[i * ib], xc[i * ic]) }
                }
                po += n
            }
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
        forEachStridedRow1(x, out, grain: grain) { po, xx, n, io, ix in applyRow1(po, xx, n, io, ix, f) }
    }

    /// The strided part of `map1`: `row(po, xx, n, io, ix)` for every inner
    /// row of the collapsed layout of x and out (n elements, `io` and `ix`
    /// apart), slices split across threads.
    @inline(__always)
    static func forEachStridedRow1<T: Element, U: Element>(_ x: NDArray, _ out: NDArray, grain: Int,
                                                           _ row: (UnsafeMutablePointer<U>, UnsafeMutablePointer<T>, Int, Int, Int) -> Void) {
        let o = out.pointer(U.self), px = x.pointer(T.self)
        let so = out.strides, sx = x.strides
        forEachSlice(out.shape, count: out.count, grain: grain) { start, shape in
            let layout = StridedLayout(shape: shape, so, sx)
            let o0 = o + start * leading(so), x0 = px + start * leading(sx)
            let (io, ix, _) = layout.inner
            layout.forEachRow { n, oo, ox, _ in row(o0 + oo, x0 + ox, n, io, ix) }
        }
    }

    /// One strided row of a unary op.
    @inline(__always)
    static func applyRow1<T: Element, U: Element>(_ po: UnsafeMutablePointer<U>, _ xx: UnsafeMutablePointer<T>, _ n: Int,
                                                  _ io: Int, _ ix: Int, _ f: (T) -> U) {
        if io == 1 && ix == 1 {
            for i in 0..<n { po[i] = f(xx[i]) }
        } else {
            for i in 0..<n { po[i * io] = f(xx[i * ix]) }
        }
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
