/// Reductions that select an element: max/min (values and indices), amax/amin,
/// argmax/argmin. As in torch, NaN propagates (it counts as larger than
/// everything for max and smaller for min) and ties go to the first index.

/// An element type with an order for max/min: Float, Double, Int64 and Bool.
public protocol OrderedElement: Element, Equatable {
    /// a > b (false when either is NaN).
    static func isGreater(_ a: Self, _ b: Self) -> Bool
    /// Whether the value is NaN (never, for integers and bools).
    var isNaNValue: Bool { get }
    /// A value no element is below (the start of a max) and one no element is above.
    static var lowest: Self { get }
    static var highest: Self { get }
    /// The largest (smallest) of `count` > 0 contiguous values, and whether
    /// there may be a NaN among them (then the value is meaningless).
    static func extreme(_ p: UnsafeMutablePointer<Self>, _ count: Int, largest: Bool) -> (Self, mayHaveNaN: Bool)
}

/// `extreme` for Float and Double in 8-wide vectors: NaN-unaware vector
/// max/min, plus a NaN probe (v - v summed is NaN once a NaN or an infinity
/// went by; the caller then looks for a NaN itself).
@inlinable
func vectorExtreme<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafeMutablePointer<T>, _ count: Int, largest: Bool) -> (T, mayHaveNaN: Bool) {
    let raw = UnsafeRawPointer(p)
    var acc = SIMD8<T>(repeating: p[0]), probe = SIMD8<T>()
    var i = 0
    if largest {
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.stride, as: SIMD8<T>.self)
            acc = pointwiseMax(acc, v)
            probe += v - v
            i += 8
        }
    } else {
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.stride, as: SIMD8<T>.self)
            acc = pointwiseMin(acc, v)
            probe += v - v
            i += 8
        }
    }
    var best = largest ? acc.max() : acc.min()
    var tail = probe.sum()
    while i < count {
        let v = p[i]
        best = largest ? (v > best ? v : best) : (v < best ? v : best)
        tail += v - v
        i += 1
    }
    return (best, tail.isNaN)
}

extension Float: OrderedElement {
    @inlinable public static func isGreater(_ a: Float, _ b: Float) -> Bool { a > b }
    @inlinable public var isNaNValue: Bool { isNaN }
    public static var lowest: Float { -.infinity }
    public static var highest: Float { .infinity }
    @inlinable public static func extreme(_ p: UnsafeMutablePointer<Float>, _ count: Int, largest: Bool) -> (Float, mayHaveNaN: Bool) {
        vectorExtreme(p, count, largest: largest)
    }
}

extension Double: OrderedElement {
    @inlinable public static func isGreater(_ a: Double, _ b: Double) -> Bool { a > b }
    @inlinable public var isNaNValue: Bool { isNaN }
    public static var lowest: Double { -.infinity }
    public static var highest: Double { .infinity }
    @inlinable public static func extreme(_ p: UnsafeMutablePointer<Double>, _ count: Int, largest: Bool) -> (Double, mayHaveNaN: Bool) {
        vectorExtreme(p, count, largest: largest)
    }
}

extension Int64: OrderedElement {
    @inlinable public static func isGreater(_ a: Int64, _ b: Int64) -> Bool { a > b }
    @inlinable public var isNaNValue: Bool { false }
    public static var lowest: Int64 { .min }
    public static var highest: Int64 { .max }
    @inlinable public static func extreme(_ p: UnsafeMutablePointer<Int64>, _ count: Int, largest: Bool) -> (Int64, mayHaveNaN: Bool) {
        var best = p[0]
        if largest { for i in 0..<count { best = Swift.max(best, p[i]) } } else { for i in 0..<count { best = Swift.min(best, p[i]) } }
        return (best, false)
    }
}

extension Bool: OrderedElement {
    @inlinable public static func isGreater(_ a: Bool, _ b: Bool) -> Bool { a && !b }
    @inlinable public var isNaNValue: Bool { false }
    public static var lowest: Bool { false }
    public static var highest: Bool { true }
    @inlinable public static func extreme(_ p: UnsafeMutablePointer<Bool>, _ count: Int, largest: Bool) -> (Bool, mayHaveNaN: Bool) {
        var any = false, all = true
        for i in 0..<count { any = any || p[i]; all = all && p[i] }
        return (largest ? any : all, false)
    }
}

/// The largest (or smallest) element of each line and its first index. The
/// state starts at the lowest (highest) value with index 0, which is the
/// right answer for a line made only of that value.
struct ExtremumReducer<T: OrderedElement>: LineReducer {
    let values: UnsafeMutablePointer<T>?
    let indices: UnsafeMutablePointer<Int64>?
    let largest: Bool

    @inline(__always) func start(_ row: Int) -> (T, Int) { (largest ? T.lowest : T.highest, 0) }

    @inline(__always) func combine(_ state: inout (T, Int), _ value: T, _ index: Int) {
        if state.0.isNaNValue { return }
        if value.isNaNValue || (largest ? T.isGreater(value, state.0) : T.isGreater(state.0, value)) { state = (value, index) }
    }

    @inline(__always) func merge(_ state: inout (T, Int), _ later: (T, Int)) { combine(&state, later.0, later.1) }

    /// A contiguous run in passes the compiler can vectorise: the extreme
    /// value and whether there is a NaN, then (only if indices are wanted and
    /// the run improves on the state) the first index holding it.
    @inline(__always) func combineLine(_ state: inout (T, Int), _ values: UnsafeMutablePointer<T>, _ count: Int, _ first: Int) {
        if state.0.isNaNValue || count == 0 { return }
        let (best, mayHaveNaN) = T.extreme(values, count, largest: largest)
        if mayHaveNaN, let i = (0..<count).first(where: { values[$0].isNaNValue }) {
            state = (values[i], first + i)
            return
        }
        guard largest ? T.isGreater(best, state.0) : T.isGreater(state.0, best) else {
            // Only ties with the state (or worse): the earlier index stays. A
            // state still at its start value (index 0 of an all-lowest line) is right too.
            return
        }
        var i = 0
        if indices != nil { while !(values[i] == best) { i += 1 } }
        state = (best, first + i)
    }

    @inline(__always) func store(_ state: (T, Int), _ count: Int, _ row: Int) {
        values?[row] = state.0
        indices?[row] = Int64(state.1)
    }
}

extension Kernels {
    /// torch.max(x, dim) / torch.min(x, dim): the values and int64 indices of
    /// the largest (smallest) element along `dim`.
    public static func extremum(_ x: NDArray, dim: Int, keepdim: Bool, largest: Bool) throws -> (values: NDArray, indices: NDArray) {
        let name = largest ? "max" : "min"
        let d = try Shapes.normalize(dim, x.ndim)
        try checkNonEmpty(x, dims: [d], name)
        let plan = try reductionPlan(x, dims: [d])
        let values = try NDArray(empty: plan.keptShape, dtype: x.dtype)
        let indices = try NDArray(empty: plan.keptShape, dtype: .int64)
        try runExtremum(plan, x.dtype, values: values, indices: indices, largest: largest)
        if keepdim { return (values, indices) }
        let shape = reducedShape(x.shape, dims: plan.dims, keepdim: false)
        return (try values.reshaped(shape), try indices.reshaped(shape))
    }

    /// torch.amax / torch.amin over `dims` (all if empty).
    public static func amax(_ x: NDArray, dims: Dims, keepdim: Bool, largest: Bool) throws -> NDArray {
        let normalized = try reductionDims(dims, x.ndim)
        try checkNonEmpty(x, dims: normalized, largest ? "amax" : "amin")
        return try reduce(x, dims: normalized, keepdim: keepdim, into: x.dtype) { plan, out in
            try runExtremum(plan, x.dtype, values: out, indices: nil, largest: largest)
        }
    }

    /// torch.max(x) / torch.min(x): the largest (smallest) element, a 0-dim array.
    public static func extremum(_ x: NDArray, largest: Bool) throws -> NDArray {
        guard x.count > 0 else {
            throw EmberError.invalidArgument("\(largest ? "max" : "min")(): expected reduction dim to be specified for an empty tensor (shape \(describe(x.shape))); specify the reduction dim with the 'dim' argument")
        }
        return try amax(x, dims: [], keepdim: false, largest: largest)
    }

    /// torch.argmax / torch.argmin along `dim`, or over the flattened tensor if
    /// `dim` is nil. Bool tensors are rejected, as in torch.
    public static func argExtremum(_ x: NDArray, dim: Int?, keepdim: Bool, largest: Bool) throws -> NDArray {
        let name = largest ? "argmax" : "argmin"
        guard x.dtype != .bool else { throw EmberError.dtype("\(name)(): does not support bool input (as in torch)") }
        guard let dim else {
            guard x.count > 0 else {
                throw EmberError.invalidArgument("\(name)(): expected reduction dim to be specified for an empty tensor (shape \(describe(x.shape)))")
            }
            let flat = try x.reshaped([-1])
            let indices = try NDArray(empty: [1], dtype: .int64)
            try runExtremum(try reductionPlan(flat, dims: [0]), x.dtype, values: nil, indices: indices, largest: largest)
            return try indices.reshaped(keepdim ? Dims(repeating: 1, count: x.ndim) : [])
        }
        let d = try Shapes.normalize(dim, x.ndim)
        try checkNonEmpty(x, dims: [d], name)
        let plan = try reductionPlan(x, dims: [d])
        let indices = try NDArray(empty: plan.keptShape, dtype: .int64)
        try runExtremum(plan, x.dtype, values: nil, indices: indices, largest: largest)
        return keepdim ? indices : try indices.reshaped(reducedShape(x.shape, dims: plan.dims, keepdim: false))
    }

    /// torch.argmax(x, dim, keepdim).
    public static func argmax(_ x: NDArray, dim: Int, keepdim: Bool) throws -> NDArray {
        try argExtremum(x, dim: dim, keepdim: keepdim, largest: true)
    }

    /// Rejects a reduction with no identity over a dim of size 0.
    static func checkNonEmpty(_ x: NDArray, dims: Dims, _ name: String) throws {
        for d in dims where d < x.ndim && x.shape[d] == 0 {
            throw EmberError.invalidArgument("\(name)(): expected reduction dim \(d) to have a non-zero size (shape \(describe(x.shape)))")
        }
    }

    static func runExtremum(_ plan: ReductionPlan, _ dtype: DType, values: NDArray?, indices: NDArray?, largest: Bool) throws {
        let ip = indices?.pointer(Int64.self)
        switch dtype {
        case .float32: try reduceLines(plan, ExtremumReducer<Float>(values: values?.pointer(Float.self), indices: ip, largest: largest))
        case .float64: try reduceLines(plan, ExtremumReducer<Double>(values: values?.pointer(Double.self), indices: ip, largest: largest))
        case .int64: try reduceLines(plan, ExtremumReducer<Int64>(values: values?.pointer(Int64.self), indices: ip, largest: largest))
        case .bool: try reduceLines(plan, ExtremumReducer<Bool>(values: values?.pointer(Bool.self), indices: ip, largest: largest))
        }
    }

    // MARK: - Masks for gradients

    /// 1 where `x` equals `value` (broadcast to x's shape), else 0, in x's
    /// floating dtype: the elements an amax/amin selected. With `nanMatches`,
    /// NaN equals NaN (torch.max(x) spreads its gradient over the NaNs).
    public static func selectionMask(_ x: NDArray, _ value: NDArray, nanMatches: Bool) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        let v = try value.expanded(x.shape)
        switch x.dtype {
        case .float32: map2(x, v, out) { (a: Float, b: Float) -> Float in a == b || (nanMatches && a.isNaN && b.isNaN) ? 1 : 0 }
        case .float64: map2(x, v, out) { (a: Double, b: Double) -> Double in a == b || (nanMatches && a.isNaN && b.isNaN) ? 1 : 0 }
        case .int64, .bool: throw EmberError.dtype("selection mask of a \(x.dtype) tensor (gradients need floating tensors)")
        }
        return out
    }

    /// 1 where |x| equals `norm` (broadcast) or x is NaN, else 0: the elements
    /// an inf-norm selected (torch's norm_backward for p = +-inf).
    public static func absSelectionMask(_ x: NDArray, _ norm: NDArray) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        let v = try norm.expanded(x.shape)
        switch x.dtype {
        case .float32: map2(x, v, out) { (a: Float, n: Float) -> Float in Swift.abs(a) == n || a.isNaN ? 1 : 0 }
        case .float64: map2(x, v, out) { (a: Double, n: Double) -> Double in Swift.abs(a) == n || a.isNaN ? 1 : 0 }
        case .int64, .bool: throw EmberError.dtype("selection mask of a \(x.dtype) tensor (gradients need floating tensors)")
        }
        return out
    }

    /// torch.sgn for a floating array: -1, 0 or 1 (NaN stays NaN).
    public static func signValues(_ x: NDArray) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32: map1(x, out) { (a: Float) -> Float in a > 0 ? 1 : (a < 0 ? -1 : (a.isNaN ? a : 0)) }
        case .float64: map1(x, out) { (a: Double) -> Double in a > 0 ? 1 : (a < 0 ? -1 : (a.isNaN ? a : 0)) }
        case .int64: map1(x, out) { (a: Int64) -> Int64 in a > 0 ? 1 : (a < 0 ? -1 : 0) }
        case .bool: copy(from: x, into: out)
        }
        return out
    }

    /// 1 where x is nonzero, 0 where it is zero, in x's dtype (to mask out a
    /// division by a zero norm or standard deviation).
    public static func nonzeroMask(_ x: NDArray) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32: map1(x, out) { (a: Float) -> Float in a != 0 ? 1 : 0 }
        case .float64: map1(x, out) { (a: Double) -> Double in a != 0 ? 1 : 0 }
        case .int64: map1(x, out) { (a: Int64) -> Int64 in a != 0 ? 1 : 0 }
        case .bool: copy(from: x, into: out)
        }
        return out
    }
}

// MARK: - Values at selected positions (the gradient of max/min along a dim)

extension Kernels {
    /// out[..., 0, ...] = x[..., index[..., 0, ...], ...] along `dim`, where
    /// `indices` (int64) has x's shape except size 1 at `dim`.
    public static func takeSelected(_ x: NDArray, dim: Int, indices: NDArray) throws -> NDArray {
        let d = try Shapes.normalize(dim, x.ndim)
        let (xs, idx) = try (x.contiguous(), indices.contiguous())
        defer { withExtendedLifetime((xs, idx)) {} }
        try checkSelection(x.shape, d, idx)
        let out = try NDArray(empty: idx.shape, dtype: x.dtype)
        let (outer, n, inner) = lineGeometry(x.shape, d)
        let size = x.dtype.itemSize
        let src = xs.rawPointer, dst = out.rawPointer, ip = idx.pointer(Int64.self)
        for o in 0..<outer {
            for j in 0..<inner {
                let k = o * inner + j
                memcpyElement(dst + k * size, src + ((o * n + Int(ip[k])) * inner + j) * size, size)
            }
        }
        return out
    }

    /// The inverse placement: zeros of x's shape (`shape`) with
    /// out[..., index, ...] = values[..., 0, ...] along `dim`.
    public static func placeSelected(_ values: NDArray, dim: Int, indices: NDArray, shape: Dims) throws -> NDArray {
        let d = try Shapes.normalize(dim, shape.count)
        let (vs, idx) = try (values.contiguous(), indices.contiguous())
        defer { withExtendedLifetime((vs, idx)) {} }
        try checkSelection(shape, d, idx)
        guard values.shape == idx.shape else {
            throw EmberError.internal("placeSelected: values \(describe(values.shape)) and indices \(describe(idx.shape)) differ")
        }
        let out = try NDArray.zeros(shape, dtype: values.dtype)
        let (outer, n, inner) = lineGeometry(shape, d)
        let size = values.dtype.itemSize
        let src = vs.rawPointer, dst = out.rawPointer, ip = idx.pointer(Int64.self)
        for o in 0..<outer {
            for j in 0..<inner {
                let k = o * inner + j
                memcpyElement(dst + ((o * n + Int(ip[k])) * inner + j) * size, src + k * size, size)
            }
        }
        return out
    }

    static func checkSelection(_ shape: Dims, _ d: Int, _ idx: NDArray) throws {
        var expected = shape
        if !expected.isEmpty { expected[d] = 1 }
        guard idx.dtype == .int64, idx.shape == expected else {
            throw EmberError.internal("selection indices \(describe(idx.shape)) (\(idx.dtype)) do not fit shape \(describe(shape)) at dim \(d)")
        }
        let n = shape.isEmpty ? 1 : shape[d]
        let ip = idx.pointer(Int64.self)
        for k in 0..<idx.count where ip[k] < 0 || ip[k] >= Int64(n) {
            throw EmberError.invalidArgument("selection index \(ip[k]) is out of range for dim \(d) of size \(n)")
        }
    }

    @inline(__always)
    static func memcpyElement(_ dst: UnsafeMutableRawPointer, _ src: UnsafeMutableRawPointer, _ size: Int) {
        dst.copyMemory(from: src, byteCount: size)
    }
}
