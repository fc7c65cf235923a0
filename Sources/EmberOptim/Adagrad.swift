import EmberAutograd
import EmberNN
import EmberTensor

/// Adagrad (torch.optim.Adagrad), with torch's options and defaults: "lr"
/// (1e-2), "lr_decay" (0), "weight_decay" (0), "initial_accumulator_value"
/// (0), "eps" (1e-10), "maximize" (0).
///
///     g = ±grad + weight_decay * p
///     clr = lr / (1 + (t - 1) * lr_decay)
///     sum += g * g;  p -= clr * g / (sqrt(sum) + eps)
///
/// State per parameter: "step", "sum". torch fills "sum" with
/// initial_accumulator_value when the optimizer is made; here the options are
/// set after construction, so it is filled on the parameter's first step with
/// the group's value at that time.
public final class Adagrad: Optimizer {
    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "lr_decay": 0, "weight_decay": 0, "initial_accumulator_value": 0, "eps": 1e-10, "maximize": 0,
        ])
    }

    override public var typeName: String { "Adagrad" }

    override public var stateKeys: [String] { ["step", "sum"] }

    override public func validate(_ name: String, _ value: Double) throws {
        switch name {
        case "lr_decay": try checkNonNegative(value, "lr_decay value")
        case "initial_accumulator_value": try checkNonNegative(value, "initial_accumulator_value value")
        default: try validateCommon(name, value)
        }
    }

    override public func update(_ group: ParamGroup) throws {
        let o = group.options
        let lr = o["lr"]!, lrDecay = o["lr_decay"]!
        try forEachGradient(group) { p, values, g in
            let step = try advanceStep(p)
            let sum = try buffer(p, "sum", fill: o["initial_accumulator_value"]!)
            let h = Hyper(clr: lr / (1 + (step - 1) * lrDecay), eps: o["eps"]!, weightDecay: o["weight_decay"]!, maximize: o["maximize"] == 1)
            switch p.dtype {
            case .float32: Adagrad.kernel(values.pointer(Float.self), g.pointer(Float.self), sum.pointer(Float.self), values.count, h)
            default: Adagrad.kernel(values.pointer(Double.self), g.pointer(Double.self), sum.pointer(Double.self), values.count, h)
            }
        }
    }

    struct Hyper {
        let clr, eps, weightDecay: Double
        let maximize: Bool
    }

    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ sum: UnsafeMutablePointer<T>,
                                        _ n: Int, _ h: Hyper) {
        let wd = T(h.weightDecay), eps = T(h.eps), negCLR = T(-h.clr)
        Parallel.forEach(n, grain: updateGrain) { range in
            for i in range {
                var d = h.maximize ? -g[i] : g[i]
                if h.weightDecay != 0 { d = d + wd * p[i] }
                let s = sum[i] + 1 * d * d
                sum[i] = s
                p[i] = p[i] + negCLR * d / (T.sqrt(s) + eps)
            }
        }
    }
}
