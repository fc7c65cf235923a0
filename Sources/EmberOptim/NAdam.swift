import EmberAutograd
import EmberNN
import EmberTensor
import Glibc

/// NAdam (torch.optim.NAdam), Adam with Nesterov momentum, with torch's
/// options and defaults: "lr" (2e-3), "beta1" (0.9), "beta2" (0.999), "eps"
/// (1e-8), "weight_decay" (0), "momentum_decay" (4e-3),
/// "decoupled_weight_decay" (0), "maximize" (0).
///
///     mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),  prod *= mu_t
///     m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
///     denom = sqrt(v / (1 - beta2^t)) + eps
///     p -= lr (1 - mu_t) / (1 - prod) * g / denom + lr mu_{t+1} / (1 - prod mu_{t+1}) * m / denom
///
/// State per parameter: "step", "mu_product" (0-dim float32, multiplied in
/// float32 as torch does), "exp_avg", "exp_avg_sq".
public final class NAdam: Optimizer {
    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0, "momentum_decay": 4e-3,
            "decoupled_weight_decay": 0, "maximize": 0,
        ])
    }

    override public var typeName: String { "NAdam" }

    override public var stateKeys: [String] { ["step", "mu_product", "exp_avg", "exp_avg_sq"] }

    override public func validate(_ name: String, _ value: Double) throws {
        switch name {
        case "momentum_decay": try checkNonNegative(value, "momentum_decay value")
        default: try validateCommon(name, value)
        }
    }

    override public func update(_ group: ParamGroup) throws {
        let o = group.options
        let lr = o["lr"]!, beta1 = o["beta1"]!, beta2 = o["beta2"]!, momentumDecay = o["momentum_decay"]!
        try forEachGradient(group) { p, values, g in
            let step = try advanceStep(p)
            let product = try scalar(p, "mu_product", initial: 1).pointer(Float.self)
            let m = try buffer(p, "exp_avg"), v = try buffer(p, "exp_avg_sq")
            let mu = beta1 * (1.0 - 0.5 * pow(0.96, step * momentumDecay))
            let muNext = beta1 * (1.0 - 0.5 * pow(0.96, (step + 1) * momentumDecay))
            product[0] = product[0] * Float(mu)
            let muProduct = Double(product[0])
            let h = Hyper(lr: lr, beta1: beta1, beta2: beta2, eps: o["eps"]!, weightDecay: o["weight_decay"]!,
                          decoupled: o["decoupled_weight_decay"] == 1, maximize: o["maximize"] == 1,
                          bc2: 1 - pow(beta2, step),
                          gradScale: -lr * (1.0 - mu) / (1.0 - muProduct),
                          avgScale: (-lr * muNext) / (1.0 - muProduct * muNext))
            switch p.dtype {
            case .float32: NAdam.kernel(values.pointer(Float.self), g.pointer(Float.self), m.pointer(Float.self), v.pointer(Float.self),
                                        values.count, h)
            default: NAdam.kernel(values.pointer(Double.self), g.pointer(Double.self), m.pointer(Double.self), v.pointer(Double.self),
                                  values.count, h)
            }
        }
    }

    struct Hyper {
        let lr, beta1, beta2, eps, weightDecay: Double
        let decoupled, maximize: Bool
        let bc2, gradScale, avgScale: Double
    }

    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
                                        _ v: UnsafeMutablePointer<T>, _ n: Int, _ h: Hyper) {
        let wd = T(h.weightDecay), decay = T(1 - h.lr * h.weightDecay), w1 = T(1 - h.beta1), b2 = T(h.beta2), w2 = T(1 - h.beta2)
        let bc2 = T(h.bc2), eps = T(h.eps), gradScale = T(h.gradScale), avgScale = T(h.avgScale)
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
                let denom = T.sqrt(vi / bc2) + eps
                p[i] = p[i] + gradScale * d / denom
                p[i] = p[i] + avgScale * mi / denom
            }
        }
    }
}
