import EmberAutograd
import EmberNN
import EmberTensor
import Glibc

/// RAdam (torch.optim.RAdam), Adam with a rectified adaptive learning rate,
/// with torch's options and defaults: "lr" (1e-3), "beta1" (0.9), "beta2"
/// (0.999), "eps" (1e-8), "weight_decay" (0), "decoupled_weight_decay" (0),
/// "maximize" (0).
///
///     m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
///     rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
///     p -= lr * m / (1 - beta1^t) * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)   (rho_t > 5)
///     p -= lr * m / (1 - beta1^t)                                              (otherwise)
///
/// State per parameter: "step", "exp_avg", "exp_avg_sq".
public final class RAdam: Optimizer {
    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0, "decoupled_weight_decay": 0, "maximize": 0,
        ])
    }

    override public var typeName: String { "RAdam" }

    override public var stateKeys: [String] { ["step", "exp_avg", "exp_avg_sq"] }

    override public func validate(_ name: String, _ value: Double) throws { try validateCommon(name, value) }

    override public func update(_ group: ParamGroup) throws {
        let o = group.options
        let lr = o["lr"]!, beta1 = o["beta1"]!, beta2 = o["beta2"]!
        try forEachGradient(group) { p, values, g in
            let step = try advanceStep(p)
            let m = try buffer(p, "exp_avg"), v = try buffer(p, "exp_avg_sq")
            let bc1 = 1 - pow(beta1, step), bc2 = 1 - pow(beta2, step)
            let rhoInf = 2 / (1 - beta2) - 1
            let rhoT = rhoInf - 2 * step * pow(beta2, step) / bc2
            let rect = rhoT > 5 ? pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5) : nil
            let h = Hyper(lr: lr, beta1: beta1, beta2: beta2, eps: o["eps"]!, weightDecay: o["weight_decay"]!,
                          decoupled: o["decoupled_weight_decay"] == 1, maximize: o["maximize"] == 1,
                          bc1: bc1, bc2Sqrt: pow(bc2, 0.5), rect: rect)
            switch p.dtype {
            case .float32: RAdam.kernel(values.pointer(Float.self), g.pointer(Float.self), m.pointer(Float.self), v.pointer(Float.self),
                                        values.count, h)
            default: RAdam.kernel(values.pointer(Double.self), g.pointer(Double.self), m.pointer(Double.self), v.pointer(Double.self),
                                  values.count, h)
            }
        }
    }

    struct Hyper {
        let lr, beta1, beta2, eps, weightDecay: Double
        let decoupled, maximize: Bool
        let bc1, bc2Sqrt: Double
        /// The variance rectification term, nil while rho_t <= 5 (plain momentum steps).
        let rect: Double?
    }

    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
                                        _ v: UnsafeMutablePointer<T>, _ n: Int, _ h: Hyper) {
        let wd = T(h.weightDecay), decay = T(1 - h.lr * h.weightDecay), w1 = T(1 - h.beta1), b2 = T(h.beta2), w2 = T(1 - h.beta2)
        let bc1 = T(h.bc1), bc2Sqrt = T(h.bc2Sqrt), eps = T(h.eps), lr = T(h.lr), rect = T(h.rect ?? 0), rectified = h.rect != nil
        let decayGrad = h.weightDecay != 0 && !h.decoupled, decayParam = h.weightDecay != 0 && h.decoupled
        Parallel.forEach(n, grain: updateGrain) { range in
            for i in range {
                var d = h.maximize ? -g[i] : g[i]
                if decayParam { p[i] = p[i] * decay }
                if decayGrad { d = d + wd * p[i] }
                let mi = lerp(m[i], d, w1)
                m[i] = mi
                let vi = v[i] * b2 + w2 * d * d
                v[i] = vi
                let corrected = mi / bc1
                if rectified {
                    // torch: bias_corrected * lr * (sqrt(bc2) / (sqrt(v) + eps)) * rect, the
                    // scalar-over-tensor division being reciprocal() * scalar.
                    let adaptive = (1 / (T.sqrt(vi) + eps)) * bc2Sqrt
                    p[i] = p[i] + -1 * (corrected * lr * adaptive * rect)
                } else {
                    p[i] = p[i] + -1 * (corrected * lr)
                }
            }
        }
    }
}
