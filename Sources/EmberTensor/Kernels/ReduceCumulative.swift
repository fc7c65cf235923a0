/// Scans along a dim: cumsum and cumprod (forwards or from the end), the
/// exact O(n) cumprod gradient, and the one-step shift the zero-safe product
/// gradients are built from. An array is seen as (outer, length, inner) around
/// the dim; lines are scanned a block of neighbouring inner positions at a
/// time so that memory is read row by row. Floating scans accumulate in
/// double, as torch's CPU kernels do.

/// The two scans.
public enum ScanOp: Sendable {
    case sum, prod
}

extension Kernels {
    /// (outer, length, inner) around dim `d` of `shape` (a 0-dim array is one line of one).
    static func lineGeometry(_ shape: Dims, _ d: Int) -> (Int, Int, Int) {
        if shape.isEmpty { return (1, 1, 1) }
        var outer = 1, inner = 1
        for i in 0..<d { outer &*= shape[i] }
        for i in (d + 1)..<shape.count { inner &*= shape[i] }
        return (outer, shape[d], inner)
    }

    /// torch.cumsum / torch.cumprod along `dim`; with `reverse`, y_i folds
    /// x_i ... x_{n-1} instead of x_0 ... x_i. int64 and bool give int64.
    public static func scan(_ x: NDArray, dim: Int, op: ScanOp, reverse: Bool = false) throws -> NDArray {
        let d = try Shapes.normalize(dim, x.ndim)
        let source = try (x.dtype.isFloatingPoint ? x : x.cast(to: .int64)).contiguous()
        defer { withExtendedLifetime(source) {} }
        let out = try NDArray(empty: x.shape, dtype: source.dtype)
        if out.count == 0 { return out }
        let (outer, length, inner) = lineGeometry(x.shape, d)
        switch (source.dtype, op) {
        case (.float32, .sum): scanLines(source.pointer(Float.self), out.pointer(Float.self), outer, length, inner, reverse, 0.0) { $0 + Double($1) } _: { Float($0) }
        case (.float32, .prod): scanLines(source.pointer(Float.self), out.pointer(Float.self), outer, length, inner, reverse, 1.0) { $0 * Double($1) } _: { Float($0) }
        case (.float64, .sum): scanLines(source.pointer(Double.self), out.pointer(Double.self), outer, length, inner, reverse, 0.0) { $0 + $1 } _: { $0 }
        case (.float64, .prod): scanLines(source.pointer(Double.self), out.pointer(Double.self), outer, length, inner, reverse, 1.0) { $0 * $1 } _: { $0 }
        case (.int64, .sum): scanLines(source.pointer(Int64.self), out.pointer(Int64.self), outer, length, inner, reverse, Int64(0)) { $0 &+ $1 } _: { $0 }
        case (.int64, .prod): scanLines(source.pointer(Int64.self), out.pointer(Int64.self), outer, length, inner, reverse, Int64(1)) { $0 &* $1 } _: { $0 }
        case (.bool, _): throw EmberError.internal("a bool scan reached the kernel uncast")
        }
        return out
    }

    /// Neighbouring inner positions scanned together (a stack buffer of accumulators).
    static let scanBlock = 64

    @inline(__always)
    static func scanLines<T: Element, A>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, _ outer: Int, _ length: Int,
                                         _ inner: Int, _ reverse: Bool, _ identity: A,
                                         _ step: (A, T) -> A, _ finish: (A) -> T) {
        if inner == 1 {
            // Lines along the last dim: one scalar accumulator per line.
            Parallel.forEach(outer, grain: max(1, reductionGrain / length)) { range in
                for o in range {
                    let s = src + o * length, d = dst + o * length
                    var acc = identity
                    if reverse {
                        for i in stride(from: length - 1, through: 0, by: -1) { acc = step(acc, s[i]); d[i] = finish(acc) }
                    } else {
                        for i in 0..<length { acc = step(acc, s[i]); d[i] = finish(acc) }
                    }
                }
            }
            return
        }
        let blocks = (inner + scanBlock - 1) / scanBlock
        Parallel.forEach(outer * blocks, grain: max(1, reductionGrain / max(1, length * min(inner, scanBlock)))) { range in
            withUnsafeTemporaryAllocation(of: A.self, capacity: scanBlock) { acc in
                for b in range {
                    let o = b / blocks, n0 = (b % blocks) * scanBlock
                    let width = min(scanBlock, inner - n0)
                    for j in 0..<width { acc[j] = identity }
                    for s in 0..<length {
                        let i = reverse ? length - 1 - s : s
                        let at = (o * length + i) * inner + n0
                        for j in 0..<width {
                            acc[j] = step(acc[j], src[at + j])
                            dst[at + j] = finish(acc[j])
                        }
                    }
                }
            }
        }
    }

    /// The gradient of cumprod (reverse: of the reversed cumprod) for upstream
    /// `grad`, exact even where x has zeros: for y_i = x_0 ... x_i,
    /// dL/dx_k = (x_0 ... x_{k-1}) * S_k with S_k = g_k + x_{k+1} S_{k+1},
    /// so no division is needed. O(n) per line, no graph.
    public static func cumprodBackward(_ x: NDArray, grad: NDArray, dim: Int, reverse: Bool) throws -> NDArray {
        let d = try Shapes.normalize(dim, x.ndim)
        guard x.dtype.isFloatingPoint, grad.dtype == x.dtype, grad.shape == x.shape else {
            throw EmberError.internal("cumprod backward: x \(describe(x.shape)) \(x.dtype), grad \(describe(grad.shape)) \(grad.dtype)")
        }
        let xs = try x.contiguous(), gs = try grad.contiguous()
        defer { withExtendedLifetime((xs, gs)) {} }
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        if out.count == 0 { return out }
        let (outer, length, inner) = lineGeometry(x.shape, d)
        switch x.dtype {
        case .float32: cumprodBackwardLines(xs.pointer(Float.self), gs.pointer(Float.self), out.pointer(Float.self), outer, length, inner, reverse)
        case .float64: cumprodBackwardLines(xs.pointer(Double.self), gs.pointer(Double.self), out.pointer(Double.self), outer, length, inner, reverse)
        case .int64, .bool: break
        }
        return out
    }

    static func cumprodBackwardLines<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>,
                                                      _ outer: Int, _ length: Int, _ inner: Int, _ reverse: Bool) {
        Parallel.forEach(outer * inner, grain: max(1, reductionGrain / length)) { range in
            for line in range {
                let base = (line / inner) * length * inner + line % inner
                // Position k of the scan order, which runs backwards for a reversed cumprod.
                @inline(__always) func at(_ k: Int) -> Int { base + (reverse ? length - 1 - k : k) * inner }
                // S_k from the end, parked in out; then multiply by the running prefix product.
                var s = 0.0
                for k in stride(from: length - 1, through: 0, by: -1) {
                    s = k == length - 1 ? Double(g[at(k)]) : Double(g[at(k)]) + Double(x[at(k + 1)]) * s
                    out[at(k)] = T(s)
                }
                var prefix = 1.0
                for k in 0..<length {
                    out[at(k)] = T(prefix * Double(out[at(k)]))
                    prefix *= Double(x[at(k)])
                }
            }
        }
    }

    /// x moved one step along `dim`: y_i = x_{i-1} with y_0 = `fill` when
    /// `forward`, else y_i = x_{i+1} with y_{n-1} = `fill`.
    public static func shifted(_ x: NDArray, dim: Int, forward: Bool, fill: Double) throws -> NDArray {
        let d = try Shapes.normalize(dim, x.ndim)
        let out = try NDArray(empty: x.shape, dtype: x.dtype)
        if out.count == 0 { return out }
        if x.ndim == 0 {
            Kernels.fill(out, with: fill)
            return out
        }
        let n = x.shape[d]
        copy(from: narrowed(x, d, forward ? 0 : 1, n - 1), into: narrowed(out, d, forward ? 1 : 0, n - 1))
        Kernels.fill(narrowed(out, d, forward ? 0 : n - 1, 1), with: fill)
        return out
    }

    /// The view of `length` entries of dim `d` from `start` (in range).
    static func narrowed(_ x: NDArray, _ d: Int, _ start: Int, _ length: Int) -> NDArray {
        var shape = x.shape
        shape[d] = length
        return NDArray(storage: x.storage, dtype: x.dtype, shape: shape, strides: x.strides, offset: x.shiftedOffset(start, x.strides[d]))
    }
}
