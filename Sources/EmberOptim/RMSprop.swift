import EmberAutograd
import EmberNN
import EmberTensor

/// RMSprop (torch.optim.RMSprop), with torch's options and defaults: "lr"
/// (1e-2), "alpha" (0.99), "eps" (1e-8), "weight_decay" (0), "momentum" (0),
/// "centered" (0), "maximize" (0).
///
///     g = ±grad + weight_decay * p
///     s = alpha * s + (1 - alpha) * g * g
///     avg = sqrt(s - a * a) + eps, a = lerp(a, g, 1 - alpha)   (centered)
///     avg = sqrt(s) + eps                                      (otherwise)
///     buf = momentum * buf + g / avg; p -= lr * buf            (momentum > 0)
///     p -= lr * g / avg                                        (otherwise)
///
/// State per parameter: "step", "square_avg", "momentum_buffer" (momentum > 0),
/// "grad_avg" (centered).
public final class RMSprop: Optimizer {
    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0, "centered": 0, "maximize": 0,
        ])
    }

    override public var typeName: String { "RMSprop" }

    override public var stateKeys: [String] { ["step", "square_avg", "momentum_buffer", "grad_avg"] }

    override public func requiredStateKeys(parameterIndex index: Int) -> [String] { ["step", "square_avg"] }

    override public func validate(_ name: String, _ value: Double) throws {
        switch name {
        case "momentum": try checkNonNegative(value, "momentum value")
        case "alpha": try checkNonNegative(value, "alpha value")
        default: try validateCommon(name, value)
        }
    }

    override public func update(_ group: ParamGroup) throws {
        let o = group.options
        let h = Hyper(lr: o["lr"]!, alpha: o["alpha"]!, eps: o["eps"]!, weightDecay: o["weight_decay"]!,
                      momentum: o["momentum"]!, centered: o["centered"] == 1, maximize: o["maximize"] == 1)
        try forEachGradient(group) { p, values, g in
            _ = try advanceStep(p)
            let s = try buffer(p, "square_avg")
            let buf = h.momentum > 0 ? try buffer(p, "momentum_buffer") : nil
            let avg = h.centered ? try buffer(p, "grad_avg") : nil
            switch p.dtype {
            case .float32: RMSprop.kernel(values.pointer(Float.self), g.pointer(Float.self), s.pointer(Float.self),
                                          buf?.pointer(Float.self), avg?.pointer(Float.self), values.count, h)
            default: RMSprop.kernel(values.pointer(Double.self), g.pointer(Double.self), s.pointer(Double.self),
                                    buf?.pointer(Double.self), avg?.pointer(Double.self), values.count, h)
            }
        }
    }

    struct Hyper {
        let lr, alpha, eps, weightDecay, momentum: Double
        let centered, maximize: Bool
    }

    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ s: UnsafeMutablePointer<T>,
                                        _ buf: UnsafeMutablePointer<T>?, _ ga: UnsafeMutablePointer<T>?, _ n: Int, _ h: Hyper) {
        let wd = T(h.weightDecay), alpha = T(h.alpha), w = T(1 - h.alpha), eps = T(h.eps), m = T(h.momentum), negLR = T(-h.lr)
        Parallel.forEach(n, grain: updateGrain) { range in
            for i in range {
                var d = h.maximize ? -g[i] : g[i]
                if h.weightDecay != 0 { d = d + wd * p[i] }
                let si = s[i] * alpha + w * d * d
                s[i] = si
                var avg: T
                if let ga {
                    let a = lerp(ga[i], d, w)
                    ga[i] = a
                    avg = T.sqrt(si + -1 * a * a)
                } else {
                    avg = T.sqrt(si)
                }
                avg = avg + eps
                if let buf {
                    let b = buf[i] * m + 1 * d / avg
                    buf[i] = b
                    p[i] = p[i] + negLR * b
                } else {
                    p[i] = p[i] + negLR * d / avg
                }
            }
        }
    }
}
