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
public final class SGD: Optimizer {
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": 0, "maximize": 0,
        ])
    }

    override public var typeName: String { "SGD" }

    override public func validate(_ name: String, _ value: Double) throws {
        switch name {
        case "lr": guard value >= 0, value.isFinite else { throw EmberError.invalidArgument("SGD: invalid learning rate: \(value)") }
        case "momentum": guard value >= 0, value.isFinite else { throw EmberError.invalidArgument("SGD: invalid momentum value: \(value)") }
        case "weight_decay": guard value >= 0, value.isFinite else { throw EmberError.invalidArgument("SGD: invalid weight_decay value: \(value)") }
        case "dampening": guard value.isFinite else { throw EmberError.invalidArgument("SGD: invalid dampening value: \(value)") }
        case "nesterov", "maximize": try checkBool(name, value)
        default: break
        }
    }

    override public func validateGroup(_ o: [String: Double]) throws {
        if o["nesterov"] == 1 && (o["momentum"]! <= 0 || o["dampening"]! != 0) {
            throw EmberError.invalidArgument("SGD: Nesterov momentum requires a momentum and zero dampening (momentum \(o["momentum"]!), dampening \(o["dampening"]!))")
        }
    }

    override public func update(_ group: ParamGroup) throws {
        let o = group.options
        let h = Hyper(lr: o["lr"]!, momentum: o["momentum"]!, dampening: o["dampening"]!, weightDecay: o["weight_decay"]!,
                      nesterov: o["nesterov"] == 1, maximize: o["maximize"] == 1)
        for p in group.params {
            guard let grad = p.grad else { continue }
            let key = ObjectIdentifier(p)
            var buffer = state[key]?["momentum_buffer"]
            let first = buffer == nil
            if h.momentum != 0 && first {
                buffer = try NDArray(empty: p.shape, dtype: p.dtype)
                state[key, default: [:]]["momentum_buffer"] = buffer
            }
            try inPlace(p) { param in
                let g = try grad.array.contiguous()
                switch p.dtype {
                case .float32: SGD.kernel(param.pointer(Float.self), g.pointer(Float.self), buffer?.pointer(Float.self), param.count, h, first)
                case .float64: SGD.kernel(param.pointer(Double.self), g.pointer(Double.self), buffer?.pointer(Double.self), param.count, h, first)
                case .int64, .bool: throw EmberError.dtype("SGD: cannot update a \(p.dtype) parameter")
                }
            }
        }
    }

    struct Hyper {
        let lr, momentum, dampening, weightDecay: Double
        let nesterov, maximize: Bool
    }

    /// The whole update in one pass over the parameter, in the element type's arithmetic.
    static func kernel<T: FloatElement>(_ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ buf: UnsafeMutablePointer<T>?,
                                        _ n: Int, _ h: Hyper, _ first: Bool) {
        let lr = T(h.lr), wd = T(h.weightDecay), m = T(h.momentum), keep = T(1 - h.dampening)
        for i in 0..<n {
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

/// Runs an in-place update on a parameter's values through a contiguous
/// array, writing back if the parameter is a strided view.
func inPlace(_ p: Tensor, _ body: (NDArray) throws -> Void) throws {
    if p.array.isContiguous {
        try body(p.array)
        p.array.storage.version &+= 1
    } else {
        let copy = try p.array.contiguous(force: true)
        try body(copy)
        try p.copyValues(from: copy)
    }
}
