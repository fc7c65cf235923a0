import EmberAutograd
import EmberTensor
import Glibc

/// Gradient clipping (torch.nn.utils.clip_grad_norm_ and clip_grad_value_),
/// in place on the gradients of the parameters that have one.
///
/// ```swift
/// let total = try ClipGrad.clipGradNorm(model.parameters(), maxNorm: 1.0)
/// ```
public enum ClipGrad {
    /// Scales the gradients so that their joint `normType`-norm (any p,
    /// including .infinity and -.infinity; 0 counts non-zero elements) is at
    /// most `maxNorm`, as torch does: every gradient is multiplied by
    /// min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping
    /// (in float32 precision when every gradient is float32, as torch's tensor
    /// would be). With `errorIfNonfinite`, a NaN or infinite total is an error
    /// and nothing changes. Parameters without gradients are skipped; with none
    /// at all the total is 0.
    @discardableResult
    public static func clipGradNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2,
                                    errorIfNonfinite: Bool = false) throws -> Double {
        guard !normType.isNaN else { throw EmberError.invalidArgument("clip_grad_norm_: norm_type must be a number, got nan") }
        guard !maxNorm.isNaN else { throw EmberError.invalidArgument("clip_grad_norm_: max_norm must be a number, got nan") }
        let grads = try gradients(parameters)
        guard !grads.isEmpty else { return 0 }
        // Each gradient's norm in its own dtype, then the norm of those norms.
        let single = grads.allSatisfy { $0.dtype == .float32 }
        let norms = try grads.map { g -> Double in
            let n = try norm(g.array, normType)
            return g.dtype == .float32 ? Double(Float(n)) : n
        }
        var total = reduce(norms, normType)
        if single { total = Double(Float(total)) }
        if errorIfNonfinite && !total.isFinite {
            throw EmberError.invalidArgument("clip_grad_norm_: The total norm of order \(normType) for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
        }
        // torch: clamp(max_norm / (total + 1e-6), max=1), the scalar-over-tensor
        // division being reciprocal() * max_norm, in the total's dtype.
        var coef: Double
        if single {
            let c = (1 / (Float(total) + Float(1e-6))) * Float(maxNorm)
            coef = Double(c > 1 ? 1 : c)
        } else {
            let c = (1 / (total + 1e-6)) * maxNorm
            coef = c > 1 ? 1 : c
        }
        for g in grads {
            try inPlace(g) { a in
                switch a.dtype {
                case .float32:
                    let p = a.pointer(Float.self), c = Float(coef)
                    Parallel.forEach(a.count, grain: updateGrain) { r in for i in r { p[i] = p[i] * c } }
                default:
                    let p = a.pointer(Double.self), c = coef
                    Parallel.forEach(a.count, grain: updateGrain) { r in for i in r { p[i] = p[i] * c } }
                }
            }
        }
        return total
    }

    /// Clamps every gradient element into [-clipValue, clipValue] (torch's
    /// clip_grad_value_: clamp_min then clamp_max, so a negative clip value
    /// sets everything to it; NaN stays NaN).
    public static func clipGradValue(_ parameters: [Tensor], clipValue: Double) throws {
        guard !clipValue.isNaN else { throw EmberError.invalidArgument("clip_grad_value_: clip_value must be a number, got nan") }
        for g in try gradients(parameters) {
            try inPlace(g) { a in
                switch a.dtype {
                case .float32:
                    let p = a.pointer(Float.self), hi = Float(clipValue), lo = -hi
                    for i in 0..<a.count where !p[i].isNaN { p[i] = Swift.min(Swift.max(p[i], lo), hi) }
                default:
                    let p = a.pointer(Double.self), hi = clipValue, lo = -hi
                    for i in 0..<a.count where !p[i].isNaN { p[i] = Swift.min(Swift.max(p[i], lo), hi) }
                }
            }
        }
    }

    static func gradients(_ parameters: [Tensor]) throws -> [Tensor] {
        let grads = parameters.compactMap(\.grad)
        for g in grads where !g.dtype.isFloatingPoint { throw EmberError.dtype("clip_grad: gradients must be floating point, got \(g.dtype)") }
        return grads
    }

    /// torch.linalg.vector_norm of all elements, accumulated in float64.
    static func norm(_ a: NDArray, _ p: Double) throws -> Double {
        let c = try a.contiguous()
        switch c.dtype {
        case .float32: return norm(UnsafeBufferPointer(start: c.pointer(Float.self), count: c.count), p)
        default: return norm(UnsafeBufferPointer(start: c.pointer(Double.self), count: c.count), p)
        }
    }

    static func norm<T: FloatElement>(_ v: UnsafeBufferPointer<T>, _ p: Double) -> Double {
        var acc: Double
        switch p {
        case .infinity, -.infinity:
            if v.isEmpty { return p > 0 ? 0 : .infinity }
            acc = p > 0 ? 0 : .infinity
            for x in v {
                let a = abs(Double(x))
                if a.isNaN { return .nan }
                acc = p > 0 ? Swift.max(acc, a) : Swift.min(acc, a)
            }
            return acc
        case 0:
            return Double(v.reduce(0) { $0 + ($1 != 0 ? 1 : 0) })
        case 1:
            return v.reduce(0.0) { $0 + abs(Double($1)) }
        case 2:
            return v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        default:
            return pow(v.reduce(0.0) { $0 + pow(abs(Double($1)), p) }, 1 / p)
        }
    }

    /// The p-norm of the per-gradient norms (torch stacks them and takes vector_norm).
    static func reduce(_ v: [Double], _ p: Double) -> Double {
        v.withUnsafeBufferPointer { norm($0, p) }
    }
}
