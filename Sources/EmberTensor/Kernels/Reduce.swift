/// The machinery every reduction shares, and sum and mean. A reduction over
/// some dims is seen as `rows` output elements, each folding a line of
/// `length` input elements, laid out either row-major (each line contiguous)
/// or column-major (the lines interleaved, as when reducing the leading dims
/// of a contiguous array). Lines are split across threads; a few very long
/// lines are split into per-thread partial states that are merged in order.
/// Sums accumulate in double precision (int64 in int64) and round once, so
/// float32 results are at least as accurate as torch's pairwise summation.

/// One reduction: how to start, extend and merge the state of one line, and
/// where to write its result. Reducers hold their output pointers.
public protocol LineReducer {
    associatedtype Input: Element
    associatedtype State
    /// The state before the first element of output `row`.
    func start(_ row: Int) -> State
    /// Folds the element at position `index` of the line into `state`.
    func combine(_ state: inout State, _ value: Input, _ index: Int)
    /// Folds `later`, the state of a later part of the same line, into `state`.
    func merge(_ state: inout State, _ later: State)
    /// Writes the result of output `row` from its final state over `count` elements.
    func store(_ state: State, _ count: Int, _ row: Int)
    /// Folds `count` contiguous elements, at positions `first`, `first + 1`, ...
    /// of the line, into `state`: a hook for loops the compiler can vectorise
    /// (the default calls `combine` for each).
    func combineLine(_ state: inout State, _ values: UnsafeMutablePointer<Input>, _ count: Int, _ first: Int)
}

extension LineReducer {
    @inline(__always)
    public func combineLine(_ state: inout State, _ values: UnsafeMutablePointer<Input>, _ count: Int, _ first: Int) {
        for i in 0..<count { combine(&state, values[i], first + i) }
    }
}

/// The sum of `count` contiguous elements in double, in four independent
/// accumulators so that the additions pipeline (and vectorise).
@inline(__always)
func sumInDouble<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ count: Int, _ transform: (Double) -> Double) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i + 4 <= count {
        s0 += transform(Double(p[i]))
        s1 += transform(Double(p[i + 1]))
        s2 += transform(Double(p[i + 2]))
        s3 += transform(Double(p[i + 3]))
        i += 4
    }
    while i < count {
        s0 += transform(Double(p[i]))
        i += 1
    }
    return (s0 + s1) + (s2 + s3)
}

/// How a reduction walks its input (see `Kernels.reductionPlan`).
public struct ReductionPlan {
    /// Contiguous elements: line `r` element `i` is at `r * length + i`, or
    /// at `i * rows + r` when `columnMajor`.
    public let source: NDArray
    public let rows: Int
    public let length: Int
    public let columnMajor: Bool
    /// The dims reduced (normalised, increasing) and the output shape with them kept as 1.
    public let dims: Dims
    public let keptShape: Dims
}

extension Kernels {
    /// Input elements per thread above which a reduction is split across threads.
    public static let reductionGrain = 32_768

    /// The shape of a reduction over `dims` (normalised, distinct).
    public static func reducedShape(_ shape: Dims, dims: Dims, keepdim: Bool) -> Dims {
        var out = Dims()
        for d in 0..<shape.count {
            if dims.contains(d) { if keepdim { out.append(1) } } else { out.append(shape[d]) }
        }
        return out
    }

    /// Normalised dims of a reduction; an empty list means every dim, as torch's sum.
    public static func reductionDims(_ dims: Dims, _ ndim: Int) throws -> Dims {
        if dims.isEmpty { return Dims(0..<ndim) }
        return Dims(try Shapes.normalize(dims: dims, ndim).sorted())
    }

    /// Lays out a reduction of `x` over normalised `dims` without copying when
    /// the reduced dims are already innermost or outermost in memory (a
    /// contiguous array, or a transposed view of one); otherwise the kept dims
    /// are moved first and the result copied contiguous.
    public static func reductionPlan(_ x: NDArray, dims: Dims) throws -> ReductionPlan {
        var kept = Dims(), reduced = Dims()
        for d in 0..<x.ndim { if dims.contains(d) { reduced.append(d) } else { kept.append(d) } }
        var rows = 1, length = 1
        for d in kept { rows &*= x.shape[d] }
        for d in reduced { length &*= x.shape[d] }
        var keptShape = x.shape
        for d in reduced { keptShape[d] = 1 }
        let rowMajor = try x.permuted(kept + reduced)
        if rowMajor.isContiguous {
            return ReductionPlan(source: rowMajor, rows: rows, length: length, columnMajor: false, dims: reduced, keptShape: keptShape)
        }
        let columnMajor = try x.permuted(reduced + kept)
        if columnMajor.isContiguous {
            return ReductionPlan(source: columnMajor, rows: rows, length: length, columnMajor: true, dims: reduced, keptShape: keptShape)
        }
        return ReductionPlan(source: try rowMajor.contiguous(), rows: rows, length: length, columnMajor: false,
                             dims: reduced, keptShape: keptShape)
    }

    /// Runs `reducer` over every line of `plan`, in parallel above `reductionGrain` elements.
    public static func reduceLines<R: LineReducer>(_ plan: ReductionPlan, _ reducer: R) throws {
        let rows = plan.rows, length = plan.length
        if rows == 0 { return }
        if length == 0 {
            for r in 0..<rows { reducer.store(reducer.start(r), 0, r) }
            return
        }
        let base = plan.source.pointer(R.Input.self)
        let rowGrain = max(1, reductionGrain / length)
        if plan.columnMajor {
            // One state per output, updated a whole input row at a time, so the
            // inner loop runs over contiguous memory.
            let (bytes, overflow) = rows.multipliedReportingOverflow(by: MemoryLayout<R.State>.stride)
            guard !overflow else { throw EmberError.outOfMemory("reduction: \(rows) partial results are too many") }
            let scratch = try Storage.allocate(byteCount: bytes)
            withExtendedLifetime(scratch) {
                let states = scratch.base.bindMemory(to: R.State.self, capacity: rows)
                Parallel.forEach(rows, grain: rowGrain) { range in
                    for r in range { (states + r).initialize(to: reducer.start(r)) }
                    for i in 0..<length {
                        let line = base + i * rows
                        for r in range { reducer.combine(&states[r], line[r], i) }
                    }
                    for r in range { reducer.store(states[r], length, r) }
                }
            }
            return
        }
        let chunks = rows < Parallel.threads ? min(Parallel.threads, length / reductionGrain) : 1
        if chunks > 1 {
            // Few long lines (a full reduction): per-thread partial states,
            // merged in order so that "first index" ties stay first.
            let step = (length + chunks - 1) / chunks
            let partial = UnsafeMutablePointer<R.State>.allocate(capacity: chunks)
            defer { partial.deallocate() }
            for r in 0..<rows {
                let line = base + r * length
                Parallel.forEach(chunks, grain: 1) { range in
                    for c in range {
                        var state = reducer.start(r)
                        let lo = min(length, c * step), hi = min(length, lo + step)
                        if hi > lo { reducer.combineLine(&state, line + lo, hi - lo, lo) }
                        (partial + c).initialize(to: state)
                    }
                }
                var total = partial[0]
                for c in 1..<chunks { reducer.merge(&total, partial[c]) }
                reducer.store(total, length, r)
            }
            return
        }
        Parallel.forEach(rows, grain: rowGrain) { range in
            for r in range {
                var state = reducer.start(r)
                reducer.combineLine(&state, base + r * length, length, 0)
                reducer.store(state, length, r)
            }
        }
    }

    /// A reduction of `x` over `dims` (all if empty) into a new array of
    /// `dtype`: `run` receives the plan and the output (contiguous, reduced
    /// dims kept as 1) and fills it, typically with `reduceLines`. The result
    /// has the reduced dims removed unless `keepdim`.
    public static func reduce(_ x: NDArray, dims: Dims, keepdim: Bool, into dtype: DType,
                              _ run: (ReductionPlan, NDArray) throws -> Void) throws -> NDArray {
        let plan = try reductionPlan(x, dims: try reductionDims(dims, x.ndim))
        let out = try NDArray(empty: plan.keptShape, dtype: dtype)
        try run(plan, out)
        return keepdim ? out : try out.reshaped(reducedShape(x.shape, dims: plan.dims, keepdim: false))
    }

    // MARK: - Sum and mean

    /// The sum over `dims` (all dims if empty); int64 stays int64 and bool
    /// counts as int64, as in torch.
    public static func sum(_ x: NDArray, dims: Dims, keepdim: Bool) throws -> NDArray {
        try reduceSum(x.dtype == .bool ? x.cast(to: .int64) : x, dims: dims, keepdim: keepdim, mean: false)
    }

    /// The mean over `dims` (all dims if empty); floating dtypes only. The mean of nothing is NaN.
    public static func mean(_ x: NDArray, dims: Dims, keepdim: Bool) throws -> NDArray {
        guard x.dtype.isFloatingPoint else {
            throw EmberError.dtype("mean: could not infer the output dtype: the input dtype must be floating, got \(x.dtype)")
        }
        return try reduceSum(x, dims: dims, keepdim: keepdim, mean: true)
    }

    static func reduceSum(_ x: NDArray, dims: Dims, keepdim: Bool, mean: Bool) throws -> NDArray {
        try reduce(x, dims: dims, keepdim: keepdim, into: x.dtype) { plan, out in
            switch x.dtype {
            case .float32: try reduceLines(plan, SumReducer<Float>(out: out.pointer(Float.self), mean: mean))
            case .float64: try reduceLines(plan, SumReducer<Double>(out: out.pointer(Double.self), mean: mean))
            case .int64: try reduceLines(plan, IntSumReducer(out: out.pointer(Int64.self)))
            case .bool: throw EmberError.internal("a bool sum reached the kernel uncast")
            }
        }
    }
}

/// Sums (or means) of floating lines, accumulated in double.
struct SumReducer<T: FloatElement>: LineReducer {
    let out: UnsafeMutablePointer<T>
    let mean: Bool
    @inline(__always) func start(_ row: Int) -> Double { 0 }
    @inline(__always) func combine(_ state: inout Double, _ value: T, _ index: Int) { state += Double(value) }
    @inline(__always) func merge(_ state: inout Double, _ later: Double) { state += later }
    @inline(__always) func store(_ state: Double, _ count: Int, _ row: Int) {
        out[row] = T(mean ? state / Double(count) : state)
    }
    @inline(__always) func combineLine(_ state: inout Double, _ values: UnsafeMutablePointer<T>, _ count: Int, _ first: Int) {
        state += sumInDouble(values, count) { $0 }
    }
}

/// Sums of int64 lines, wrapping on overflow as torch's do.
struct IntSumReducer: LineReducer {
    let out: UnsafeMutablePointer<Int64>
    @inline(__always) func start(_ row: Int) -> Int64 { 0 }
    @inline(__always) func combine(_ state: inout Int64, _ value: Int64, _ index: Int) { state = state &+ value }
    @inline(__always) func merge(_ state: inout Int64, _ later: Int64) { state = state &+ later }
    @inline(__always) func store(_ state: Int64, _ count: Int, _ row: Int) { out[row] = state }
}
