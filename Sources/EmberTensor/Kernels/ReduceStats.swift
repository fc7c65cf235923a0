import Glibc

/// Reductions that fold every element: prod, var/std, logsumexp, norm,
/// all/any. Floating ones accumulate in double and round once.
extension Kernels {
    // MARK: - prod

    /// torch.prod over `dims` (all if empty); int64 and bool give int64
    /// (wrapping on overflow, as torch), the product of nothing is 1.
    public static func prod(_ x: NDArray, dims: Dims, keepdim: Bool) throws -> NDArray {
        let source = x.dtype == .bool ? try x.cast(to: .int64) : x
        return try reduce(source, dims: dims, keepdim: keepdim, into: source.dtype) { plan, out in
            switch source.dtype {
            case .float32: try reduceLines(plan, ProdReducer<Float>(out: out.pointer(Float.self)))
            case .float64: try reduceLines(plan, ProdReducer<Double>(out: out.pointer(Double.self)))
            case .int64: try reduceLines(plan, IntProdReducer(out: out.pointer(Int64.self)))
            case .bool: break
            }
        }
    }

    // MARK: - var and std

    /// torch.var (or torch.std when `std`) over `dims` (all if empty): the sum
    /// of squared deviations from the mean divided by max(0, N - correction).
    /// Floating dtypes only. Two passes (mean, then deviations), in double.
    public static func variance(_ x: NDArray, dims: Dims, correction: Double, keepdim: Bool, std: Bool) throws -> NDArray {
        guard x.dtype.isFloatingPoint else {
            throw EmberError.dtype("\(std ? "std" : "var"): std and var only support floating point dtypes, got \(x.dtype)")
        }
        guard correction.isFinite else { throw EmberError.invalidArgument("\(std ? "std" : "var"): correction must be finite, got \(correction)") }
        return try reduce(x, dims: dims, keepdim: keepdim, into: x.dtype) { plan, out in
            let means = try NDArray(empty: [plan.rows], dtype: .float64)
            let m = means.pointer(Double.self)
            defer { withExtendedLifetime(means) {} }
            switch x.dtype {
            case .float32:
                try reduceLines(plan, MeanReducer<Float>(out: m))
                try reduceLines(plan, DeviationReducer<Float>(out: out.pointer(Float.self), means: m, correction: correction, std: std))
            case .float64:
                try reduceLines(plan, MeanReducer<Double>(out: m))
                try reduceLines(plan, DeviationReducer<Double>(out: out.pointer(Double.self), means: m, correction: correction, std: std))
            case .int64, .bool: break
            }
        }
    }

    // MARK: - logsumexp

    /// torch.logsumexp over `dims` (all if empty): log(sum(exp(x))), computed
    /// as m + log(sum(exp(x - m))) with m the line's maximum (0 if infinite,
    /// as torch does). Integer and bool inputs give float32. Empty lines give -inf.
    public static func logsumexp(_ x: NDArray, dims: Dims, keepdim: Bool) throws -> NDArray {
        let source = try x.cast(to: x.dtype.floatingCounterpart)
        return try reduce(source, dims: dims, keepdim: keepdim, into: source.dtype) { plan, out in
            let maxima = try NDArray(empty: [plan.rows], dtype: source.dtype)
            defer { withExtendedLifetime(maxima) {} }
            switch source.dtype {
            case .float32:
                try reduceLines(plan, ExtremumReducer<Float>(values: maxima.pointer(Float.self), indices: nil, largest: true))
                try reduceLines(plan, LogSumExpReducer<Float>(out: out.pointer(Float.self), maxima: maxima.pointer(Float.self)))
            case .float64:
                try reduceLines(plan, ExtremumReducer<Double>(values: maxima.pointer(Double.self), indices: nil, largest: true))
                try reduceLines(plan, LogSumExpReducer<Double>(out: out.pointer(Double.self), maxima: maxima.pointer(Double.self)))
            case .int64, .bool: break
            }
        }
    }

    // MARK: - norm

    /// torch.norm / torch.linalg.vector_norm over `dims` (all if empty):
    /// (sum |x|^p)^(1/p); p = inf is max |x|, -inf min |x|, 0 the count of
    /// nonzeros. torch's p = 'fro' is p = 2. Floating dtypes only.
    public static func norm(_ x: NDArray, p: Double, dims: Dims, keepdim: Bool) throws -> NDArray {
        guard x.dtype.isFloatingPoint else {
            throw EmberError.dtype("norm: expected a floating point tensor as input, got \(x.dtype)")
        }
        guard !p.isNaN else { throw EmberError.invalidArgument("norm: p must be a number, got nan") }
        let normalized = try reductionDims(dims, x.ndim)
        if p.isInfinite {
            for d in normalized where d < x.ndim && x.shape[d] == 0 {
                throw EmberError.invalidArgument("norm: cannot compute the \(p > 0 ? "" : "-")inf norm over dim \(d) of size 0 (shape \(describe(x.shape))): the operation has no identity")
            }
        }
        let kind = NormKind(p)
        return try reduce(x, dims: normalized, keepdim: keepdim, into: x.dtype) { plan, out in
            switch x.dtype {
            case .float32: try reduceLines(plan, NormReducer<Float>(out: out.pointer(Float.self), kind: kind, p: p))
            case .float64: try reduceLines(plan, NormReducer<Double>(out: out.pointer(Double.self), kind: kind, p: p))
            case .int64, .bool: break
            }
        }
    }

    /// |x|^q elementwise in x's floating dtype (the pieces of a p-norm's gradient).
    public static func absPower(_ x: NDArray, _ q: Double) throws -> NDArray {
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32: map1(x, out, grain: 4096) { (a: Float) -> Float in Float(Glibc.pow(Double(Swift.abs(a)), q)) }
        case .float64: map1(x, out, grain: 4096) { (a: Double) -> Double in Glibc.pow(Swift.abs(a), q) }
        case .int64, .bool: throw EmberError.dtype("abs power of a \(x.dtype) tensor (norms need floating tensors)")
        }
        return out
    }

    // MARK: - all and any

    /// torch.all (or torch.any when `any`) over `dims`: whether every (some)
    /// element is nonzero, as bool. Unlike the other reductions, an empty
    /// `dims` reduces nothing (torch.all(x, dim=())); `everything` reduces all dims.
    public static func allAny(_ x: NDArray, dims: Dims, everything: Bool, keepdim: Bool, any: Bool) throws -> NDArray {
        if !everything && dims.isEmpty {
            let out = try NDArray(empty: x.shape, dtype: .bool)
            copy(from: x, into: out)
            return out
        }
        let normalized = everything ? Dims(0..<x.ndim) : try reductionDims(dims, x.ndim)
        return try reduce(x, dims: normalized, keepdim: keepdim, into: .bool) { plan, out in
            let o = out.pointer(Bool.self)
            switch x.dtype {
            case .float32: try reduceLines(plan, TruthReducer<Float>(out: o, any: any))
            case .float64: try reduceLines(plan, TruthReducer<Double>(out: o, any: any))
            case .int64: try reduceLines(plan, TruthReducer<Int64>(out: o, any: any))
            case .bool: try reduceLines(plan, TruthReducer<Bool>(out: o, any: any))
            }
        }
    }

    /// Whether any element of `x` is exactly zero.
    public static func containsZero(_ x: NDArray) throws -> Bool {
        let notAll = try allAny(x, dims: [], everything: true, keepdim: false, any: false)
        return !notAll.pointer(Bool.self)[0]
    }
}

// MARK: - Reducers

struct ProdReducer<T: FloatElement>: LineReducer {
    let out: UnsafeMutablePointer<T>
    @inline(__always) func start(_ row: Int) -> Double { 1 }
    @inline(__always) func combine(_ state: inout Double, _ value: T, _ index: Int) { state *= Double(value) }
    @inline(__always) func merge(_ state: inout Double, _ later: Double) { state *= later }
    @inline(__always) func store(_ state: Double, _ count: Int, _ row: Int) { out[row] = T(state) }
    @inline(__always) func combineLine(_ state: inout Double, _ values: UnsafeMutablePointer<T>, _ count: Int, _ first: Int) {
        var p0 = 1.0, p1 = 1.0
        var i = 0
        while i + 2 <= count {
            p0 *= Double(values[i])
            p1 *= Double(values[i + 1])
            i += 2
        }
        if i < count { p0 *= Double(values[i]) }
        state *= p0 * p1
    }
}

struct IntProdReducer: LineReducer {
    let out: UnsafeMutablePointer<Int64>
    @inline(__always) func start(_ row: Int) -> Int64 { 1 }
    @inline(__always) func combine(_ state: inout Int64, _ value: Int64, _ index: Int) { state = state &* value }
    @inline(__always) func merge(_ state: inout Int64, _ later: Int64) { state = state &* later }
    @inline(__always) func store(_ state: Int64, _ count: Int, _ row: Int) { out[row] = state }
}

/// Line means into a double buffer (the first pass of var).
struct MeanReducer<T: FloatElement>: LineReducer {
    let out: UnsafeMutablePointer<Double>
    @inline(__always) func start(_ row: Int) -> Double { 0 }
    @inline(__always) func combine(_ state: inout Double, _ value: T, _ index: Int) { state += Double(value) }
    @inline(__always) func merge(_ state: inout Double, _ later: Double) { state += later }
    @inline(__always) func store(_ state: Double, _ count: Int, _ row: Int) { out[row] = state / Double(count) }
    @inline(__always) func combineLine(_ state: inout Double, _ values: UnsafeMutablePointer<T>, _ count: Int, _ first: Int) {
        state += sumInDouble(values, count) { $0 }
    }
}

/// Sums of squared deviations from each line's mean, divided by max(0, N - correction).
struct DeviationReducer<T: FloatElement>: LineReducer {
    let out: UnsafeMutablePointer<T>
    let means: UnsafeMutablePointer<Double>
    let correction: Double
    let std: Bool
    @inline(__always) func start(_ row: Int) -> (Double, Double) { (means[row], 0) }
    @inline(__always) func combine(_ state: inout (Double, Double), _ value: T, _ index: Int) {
        let d = Double(value) - state.0
        state.1 += d * d
    }
    @inline(__always) func merge(_ state: inout (Double, Double), _ later: (Double, Double)) { state.1 += later.1 }
    @inline(__always) func combineLine(_ state: inout (Double, Double), _ values: UnsafeMutablePointer<T>, _ count: Int, _ first: Int) {
        let mean = state.0
        state.1 += sumInDouble(values, count) { ($0 - mean) * ($0 - mean) }
    }
    @inline(__always) func store(_ state: (Double, Double), _ count: Int, _ row: Int) {
        let v = state.1 / Swift.max(0, Double(count) - correction)
        out[row] = T(std ? v.squareRoot() : v)
    }
}

/// log(sum(exp(x - m))) + m for each line, with m its maximum from a first pass.
struct LogSumExpReducer<T: FloatElement>: LineReducer {
    let out: UnsafeMutablePointer<T>
    let maxima: UnsafeMutablePointer<T>
    @inline(__always) func start(_ row: Int) -> (Double, Double) {
        let m = Double(maxima[row])
        return (m.isInfinite ? 0 : m, 0)
    }
    /// exp in the element type, as softmax (the sum is in double).
    @inline(__always) func combine(_ state: inout (Double, Double), _ value: T, _ index: Int) {
        state.1 += Double(T.exp(value - T(state.0)))
    }
    @inline(__always) func merge(_ state: inout (Double, Double), _ later: (Double, Double)) { state.1 += later.1 }
    @inline(__always) func store(_ state: (Double, Double), _ count: Int, _ row: Int) { out[row] = T(Glibc.log(state.1) + state.0) }
}

/// Which vector norm: the common orders get their own loops.
enum NormKind {
    case zero, one, two, infinity, negativeInfinity, general

    init(_ p: Double) {
        switch p {
        case 0: self = .zero
        case 1: self = .one
        case 2: self = .two
        case .infinity: self = .infinity
        case -.infinity: self = .negativeInfinity
        default: self = .general
        }
    }
}

struct NormReducer<T: FloatElement>: LineReducer {
    let out: UnsafeMutablePointer<T>
    let kind: NormKind
    let p: Double

    @inline(__always) func start(_ row: Int) -> Double { kind == .negativeInfinity ? .infinity : 0 }

    @inline(__always) func combine(_ state: inout Double, _ value: T, _ index: Int) {
        let a = Swift.abs(Double(value))
        switch kind {
        case .zero: state += a != 0 ? 1 : 0
        case .one: state += a
        case .two: state += a * a
        // NaN propagates through max and min, as torch's amax/amin.
        case .infinity: if a > state || a.isNaN { state = state.isNaN ? state : a }
        case .negativeInfinity: if a < state || a.isNaN { state = state.isNaN ? state : a }
        case .general: state += Glibc.pow(a, p)
        }
    }

    @inline(__always) func combineLine(_ state: inout Double, _ values: UnsafeMutablePointer<T>, _ count: Int, _ first: Int) {
        switch kind {
        case .one: state += sumInDouble(values, count) { Swift.abs($0) }
        case .two: state += sumInDouble(values, count) { $0 * $0 }
        default: for i in 0..<count { combine(&state, values[i], first + i) }
        }
    }

    @inline(__always) func merge(_ state: inout Double, _ later: Double) {
        switch kind {
        case .infinity, .negativeInfinity: combine(&state, T(later), 0)
        default: state += later
        }
    }

    @inline(__always) func store(_ state: Double, _ count: Int, _ row: Int) {
        switch kind {
        case .two: out[row] = T(state.squareRoot())
        case .general: out[row] = T(Glibc.pow(state, 1 / p))
        default: out[row] = T(state)
        }
    }
}

/// all (every element nonzero) or any (some element nonzero) of each line.
struct TruthReducer<T: Element & Equatable>: LineReducer {
    let out: UnsafeMutablePointer<Bool>
    let any: Bool
    @inline(__always) func start(_ row: Int) -> Bool { !any }
    @inline(__always) func combine(_ state: inout Bool, _ value: T, _ index: Int) {
        let nonzero = value != T.zero
        state = any ? (state || nonzero) : (state && nonzero)
    }
    @inline(__always) func merge(_ state: inout Bool, _ later: Bool) { state = any ? (state || later) : (state && later) }
    @inline(__always) func store(_ state: Bool, _ count: Int, _ row: Int) { out[row] = state }
}
