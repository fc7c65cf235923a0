import EmberAutograd
import EmberNN
import EmberTensor

/// Adadelta (torch.optim.Adadelta), with torch's options and defaults: "lr"
/// (1.0), "rho" (0.9), "eps" (1e-6), "weight_decay" (0), "maximize" (0).
///
///     g = ±grad + weight_decay * p
///     s = rho * s + (1 - rho) * g * g
///     delta = sqrt(acc + eps) / sqrt(s + eps) * g
///     acc = rho * acc + (1 - rho) * delta * delta;  p -= lr * delta
///
/// State per parameter: "step", "square_avg", "acc_delta".
public final class Adadelta: Optimizer {
    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "rho": 0.9, "eps": 1e-6, "weight_decay": 0, "maximize": 0,
        ])
    }

    override public var typeName: String { "Adadelta" }

    override public var stateKeys: [String] { ["step", "square_avg", "acc_delta"] }

    override public func validate(_ name: String, _ value: Double) throws {
        switch name {
        case "rho": guard value >= 0 && value <= 1 else { throw EmberError.invalidArgument("Adadelta: invalid rho value: \(value) (rho must be in [0, 1])") }
        default: try validateCommon(name, value)
        }
    }

    override public func update(_ group: ParamGroup) throws {
        let o = group.options
        let h = Hyper(lr: o["lr"]!, rho: o["rho"]!, eps: o["eps"]!, weightDecay: o["weight_decay"]!, maximize: o["maximize"] == 1)
        try forEachGradient(group) { p, values, g in
            _ = try advanceStep(p)
            let s = try buffer(p, "square_avg"), acc = try buffer(p, "acc_delta")
            switch p.dtype {
            case .float32: Adadelta.kernel(values.pointer(Float.self), g.pointer(Float.self), s.pointer(Float.self), acc.pointer(Float.self),
                                           values.count, h)
            default: Adadelta.kernel(values.pointer(Double.self), g.pointer(Double.self), s.pointer(Double.self), acc.pointer(Double.self),
                                     values.count, h)
            }
        }
    }

    struct Hyper {
        let lr, rho, eps, weightDecay: Double
        let maximize: Bool
    }

    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ s: UnsafeMutablePointer<T>,
                                        _ acc: UnsafeMutablePointer<T>, _ n: Int, _ h: Hyper) {
        let wd = T(h.weightDecay), rho = T(h.rho), w = T(1 - h.rho), eps = T(h.eps), negLR = T(-h.lr)
        Parallel.forEach(n, grain: updateGrain) { range in
            for i in range {
                var d = h.maximize ? -g[i] : g[i]
                if h.weightDecay != 0 { d = d + wd * p[i] }
                let si = s[i] * rho + w * d * d
                s[i] = si
                let std = T.sqrt(si + eps)
                let delta = T.sqrt(acc[i] + eps) / std * d
                acc[i] = acc[i] * rho + w * delta * delta
                p[i] = p[i] + negLR * delta
            }
        }
    }
}
