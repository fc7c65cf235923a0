import EmberAutograd
import EmberNN
import EmberTensor
import Glibc

/// Adam (torch.optim.Adam), with torch's options and defaults: "lr" (1e-3),
/// "beta1" (0.9), "beta2" (0.999), "eps" (1e-8), "weight_decay" (0),
/// "amsgrad" (0), "maximize" (0), "decoupled_weight_decay" (0; 1 is AdamW).
///
///     g = ±grad (+ weight_decay * p, or p *= 1 - lr * weight_decay when decoupled)
///     m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
///     vmax = max(vmax, v)                                   (amsgrad)
///     p -= lr / (1 - beta1^t) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
///
/// State per parameter: "step" (0-dim float32), "exp_avg", "exp_avg_sq",
/// "max_exp_avg_sq" (amsgrad).
///
/// ```swift
/// let opt = try Adam(parameters: model.parameters(), lr: 1e-3)
/// try opt.set("amsgrad", 1)
/// ```
public class Adam: Optimizer {
    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0, "amsgrad": 0, "maximize": 0,
            "decoupled_weight_decay": 0,
        ])
    }

    /// For AdamW: its own defaults, decoupled weight decay always on.
    override init(parameters: [Tensor], defaults: KeyValuePairs<String, Double>) throws {
        try super.init(parameters: parameters, defaults: defaults)
    }

    override public var typeName: String { "Adam" }

    override public var stateKeys: [String] { ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"] }

    override public func requiredStateKeys(parameterIndex index: Int) -> [String] { ["step", "exp_avg", "exp_avg_sq"] }

    /// Whether weight decay multiplies the parameter instead of adding to the gradient.
    func decoupled(_ o: [String: Double]) -> Bool { o["decoupled_weight_decay"] == 1 }

    override public func validate(_ name: String, _ value: Double) throws { try validateCommon(name, value) }

    override public func update(_ group: ParamGroup) throws {
        let o = group.options
        let lr = o["lr"]!, beta1 = o["beta1"]!, beta2 = o["beta2"]!, amsgrad = o["amsgrad"] == 1
        try forEachGradient(group) { p, values, g in
            let step = try advanceStep(p)
            let m = try buffer(p, "exp_avg"), v = try buffer(p, "exp_avg_sq")
            let vmax = amsgrad ? try buffer(p, "max_exp_avg_sq") : nil
            let bc1 = 1 - pow(beta1, step), bc2 = 1 - pow(beta2, step)
            let h = Hyper(lr: lr, beta1: beta1, beta2: beta2, eps: o["eps"]!, weightDecay: o["weight_decay"]!,
                          decoupled: decoupled(o), maximize: o["maximize"] == 1,
                          stepSize: lr / bc1, bc2Sqrt: pow(bc2, 0.5))
            switch p.dtype {
            case .float32: Adam.kernel(values.pointer(Float.self), g.pointer(Float.self), m.pointer(Float.self), v.pointer(Float.self),
                                       vmax?.pointer(Float.self), values.count, h)
            default: Adam.kernel(values.pointer(Double.self), g.pointer(Double.self), m.pointer(Double.self), v.pointer(Double.self),
                                 vmax?.pointer(Double.self), values.count, h)
            }
        }
    }

    struct Hyper {
        let lr, beta1, beta2, eps, weightDecay: Double
        let decoupled, maximize: Bool
        let stepSize, bc2Sqrt: Double
    }

    /// One pass over the parameter, in the order torch's single-tensor Adam runs
    /// its ops. Every store is unconditional (amsgrad has its own loop), so the
    /// compiler can vectorize the loop.
    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
                                        _ v: UnsafeMutablePointer<T>, _ vmax: UnsafeMutablePointer<T>?, _ n: Int, _ h: Hyper) {
        let wd = T(h.weightDecay), decay = T(1 - h.lr * h.weightDecay), w1 = T(1 - h.beta1)
        let b2 = T(h.beta2), w2 = T(1 - h.beta2), bc2Sqrt = T(h.bc2Sqrt), eps = T(h.eps), negStep = T(-h.stepSize)
        let decayGrad = h.weightDecay != 0 && !h.decoupled, decayParam = h.weightDecay != 0 && h.decoupled, maximize = h.maximize
        /// The decayed parameter and gradient, and the new moments, of element i.
        @inline(__always) func moments(_ i: Int) -> (p: T, m: T, v: T) {
            var pi = p[i], d = maximize ? -g[i] : g[i]
            if decayParam { pi = pi * decay }
            if decayGrad { d = d + wd * pi }
            let mi = lerp(m[i], d, w1)
            m[i] = mi
            let vi = v[i] * b2 + w2 * d * d
            v[i] = vi
            return (pi, mi, vi)
        }
        Parallel.forEach(n, grain: updateGrain) { range in
            if let vmax {
                for i in range {
                    let (pi, mi, vi) = moments(i)
                    let second = nanMaximum(vmax[i], vi)
                    vmax[i] = second
                    p[i] = pi + negStep * mi / (T.sqrt(second) / bc2Sqrt + eps)
                }
            } else {
                for i in range {
                    let (pi, mi, vi) = moments(i)
                    p[i] = pi + negStep * mi / (T.sqrt(vi) / bc2Sqrt + eps)
                }
            }
        }
    }
}

/// AdamW (torch.optim.AdamW): Adam with decoupled weight decay, whose
/// default is 0.01. Options as Adam's; "decoupled_weight_decay" is always 1
/// (torch keeps it in AdamW's groups too, so its state dicts load).
public final class AdamW: Adam {
    override public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": 0, "maximize": 0,
            "decoupled_weight_decay": 1,
        ])
    }

    override public var typeName: String { "AdamW" }

    override public func validate(_ name: String, _ value: Double) throws {
        if name == "decoupled_weight_decay" && value != 1 {
            throw EmberError.invalidArgument("AdamW: decoupled_weight_decay is always 1 (Adam has the coupled form), got \(value)")
        }
        try super.validate(name, value)
    }

    override func decoupled(_ o: [String: Double]) -> Bool { true }
}
