import EmberAutograd
import EmberNN
import EmberTensor

/// Stochastic gradient descent with torch's momentum, dampening, Nesterov,
/// weight decay and maximize semantics (torch.optim.SGD):
///
///     g = ±grad + weight_decay * p
///     buf = g (first step) or momentum * buf + (1 - dampening) * g
///     g = nesterov ? g + momentum * buf : buf      (when momentum != 0)
///     p -= lr * g
///
/// ```swift
/// let opt = try SGD(parameters: model.parameters(), lr: 0.1)
/// try opt.set("momentum", 0.9)
/// ```
public final class SGD: Optimizer {
    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": 0, "maximize": 0,
        ])
    }

    override public var typeName: String { "SGD" }

    override public var stateKeys: [String] { ["momentum_buffer"] }

    override public func requiredStateKeys(parameterIndex index: Int) -> [String] { [] }

    override public func validate(_ name: String, _ value: Double) throws {
        switch name {
        case "momentum": try checkNonNegative(value, "momentum value")
        default: try validateCommon(name, value)
        }
    }

    override public func validateGroup(_ o: [String: Double]) throws {
        if o["nesterov"] == 1 && (o["momentum"]! <= 0 || o["dampening"]! != 0) {
            throw EmberError.invalidArgument("SGD: Nesterov momentum requires a momentum and zero dampening (momentum \(o["momentum"]!), dampening \(o["dampening"]!))")
        }
    }

    override public func update(_ group: ParamGroup) throws {
        let h = hyper(group)
        try forEachGradient(group) { p, values, g in
            var buffer: NDArray? = nil
            var first = false
            if h.momentum != 0 {
                let key = ObjectIdentifier(p)
                buffer = state[key]?["momentum_buffer"]
                if buffer == nil {
                    first = true
                    buffer = try NDArray(empty: p.shape, dtype: p.dtype)
                    state[key, default: [:]]["momentum_buffer"] = buffer
                }
            }
            switch p.dtype {
            case .float32: SGD.kernel(values.pointer(Float.self), g.pointer(Float.self), buffer?.pointer(Float.self), values.count, h, first)
            default: SGD.kernel(values.pointer(Double.self), g.pointer(Double.self), buffer?.pointer(Double.self), values.count, h, first)
            }
        }
    }

    struct Hyper {
        let lr, momentum, dampening, weightDecay: Double
        let nesterov, maximize: Bool
    }

    /// Each group's options as `update` reads them, and the generation they
    /// were read at: read by name again only when they change (six string
    /// lookups per step were ~2% of a small step). A list searched by
    /// identity, as optimizers have few groups; it holds the groups, so an
    /// identity is never reused for another.
    private var parsed: [(group: ParamGroup, generation: Int, hyper: Hyper)] = []

    func hyper(_ group: ParamGroup) -> Hyper {
        let i = parsed.firstIndex { $0.group === group }
        if let i, parsed[i].generation == group.generation { return parsed[i].hyper }
        let o = group.options
        let h = Hyper(lr: o["lr"]!, momentum: o["momentum"]!, dampening: o["dampening"]!, weightDecay: o["weight_decay"]!,
                      nesterov: o["nesterov"] == 1, maximize: o["maximize"] == 1)
        if let i { parsed[i] = (group, group.generation, h) } else { parsed.append((group, group.generation, h)) }
        return h
    }

    /// The whole update in one pass over the parameter, in the element type's arithmetic.
    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ buf: UnsafeMutablePointer<T>?,
                                        _ n: Int, _ h: Hyper, _ first: Bool) {
        let lr = T(h.lr), wd = T(h.weightDecay), m = T(h.momentum), keep = T(1 - h.dampening)
        Parallel.forEach(n, grain: updateGrain) { range in
            // The usual cases as straight loops that vectorise (the general
            // loop's per-element branches keep it scalar); same arithmetic.
            if !h.maximize && h.weightDecay == 0 && !h.nesterov {
                if h.momentum == 0 {
                    for i in range { p[i] = p[i] - lr * g[i] }
                    return
                }
                if let buf {
                    if first {
                        for i in range {
                            buf[i] = g[i]
                            p[i] = p[i] - lr * g[i]
                        }
                    } else {
                        for i in range {
                            let b = buf[i] * m + keep * g[i]
                            buf[i] = b
                            p[i] = p[i] - lr * b
                        }
                    }
                    return
                }
            }
            for i in range {
                var d = h.maximize ? -g[i] : g[i]
                if h.weightDecay != 0 { d = d + wd * p[i] }
                if h.momentum != 0, let buf {
                    let b = first ? d : buf[i] * m + keep * d
                    buf[i] = b
                    d = h.nesterov ? d + m * b : b
                }
                p[i] = p[i] - lr * d
            }
        }
    }
}
