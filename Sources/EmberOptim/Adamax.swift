import EmberAutograd
import EmberNN
import EmberTensor
import Glibc

/// Adamax (torch.optim.Adamax), Adam with the infinity norm, with torch's
/// options and defaults: "lr" (2e-3), "beta1" (0.9), "beta2" (0.999), "eps"
/// (1e-8), "weight_decay" (0), "maximize" (0).
///
///     g = ±grad + weight_decay * p
///     m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
///     p -= lr / (1 - beta1^t) * m / u
///
/// State per parameter: "step", "exp_avg", "exp_inf".
public final class Adamax: Optimizer {
    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0, "maximize": 0,
        ])
    }

    override public var typeName: String { "Adamax" }

    override public var stateKeys: [String] { ["step", "exp_avg", "exp_inf"] }

    override public func validate(_ name: String, _ value: Double) throws { try validateCommon(name, value) }

    override public func update(_ group: ParamGroup) throws {
        let o = group.options
        let lr = o["lr"]!, beta1 = o["beta1"]!
        try forEachGradient(group) { p, values, g in
            let step = try advanceStep(p)
            let m = try buffer(p, "exp_avg"), u = try buffer(p, "exp_inf")
            let h = Hyper(beta1: beta1, beta2: o["beta2"]!, eps: o["eps"]!, weightDecay: o["weight_decay"]!,
                          maximize: o["maximize"] == 1, clr: lr / (1 - pow(beta1, step)))
            switch p.dtype {
            case .float32: Adamax.kernel(values.pointer(Float.self), g.pointer(Float.self), m.pointer(Float.self), u.pointer(Float.self),
                                         values.count, h)
            default: Adamax.kernel(values.pointer(Double.self), g.pointer(Double.self), m.pointer(Double.self), u.pointer(Double.self),
                                   values.count, h)
            }
        }
    }

    struct Hyper {
        let beta1, beta2, eps, weightDecay: Double
        let maximize: Bool
        let clr: Double
    }

    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
                                        _ u: UnsafeMutablePointer<T>, _ n: Int, _ h: Hyper) {
        let wd = T(h.weightDecay), w1 = T(1 - h.beta1), b2 = T(h.beta2), eps = T(h.eps), negCLR = T(-h.clr)
        Parallel.forEach(n, grain: updateGrain) { range in
            for i in range {
                var d = h.maximize ? -g[i] : g[i]
                if h.weightDecay != 0 { d = d + wd * p[i] }
                let mi = lerp(m[i], d, w1)
                m[i] = mi
                let ui = nanMaximum(u[i] * b2, abs(d) + eps)
                u[i] = ui
                p[i] = p[i] + negCLR * mi / ui
            }
        }
    }
}
