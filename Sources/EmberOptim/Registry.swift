import EmberAutograd
import EmberNN
import EmberTensor

/// Optimizers made by torch class name from torch's keyword syntax, as a
/// training script writes them: `Optimizers.make("Adam", parameters: ps,
/// arguments: "lr=0.01, betas=(0.8, 0.99), amsgrad=True")`. A tuple option
/// becomes numbered options (betas -> beta1, beta2), booleans 0 or 1, and
/// LBFGS's line_search_fn 'strong_wolfe' the option value 1.
public enum Optimizers {
    typealias P = Arguments.Parameter

    static let signatures: [(String, [P])] = [
        ("SGD", [P("lr", .double(1e-3)), P("momentum", .double(0)), P("dampening", .double(0)), P("weight_decay", .double(0)),
                 P("nesterov", .bool(false)), P("maximize", .bool(false))]),
        ("Adam", [P("lr", .double(1e-3)), P("betas", .tuple([.double(0.9), .double(0.999)])), P("eps", .double(1e-8)),
                  P("weight_decay", .double(0)), P("amsgrad", .bool(false)), P("maximize", .bool(false)),
                  P("decoupled_weight_decay", .bool(false))]),
        ("AdamW", [P("lr", .double(1e-3)), P("betas", .tuple([.double(0.9), .double(0.999)])), P("eps", .double(1e-8)),
                   P("weight_decay", .double(1e-2)), P("amsgrad", .bool(false)), P("maximize", .bool(false))]),
        ("RMSprop", [P("lr", .double(1e-2)), P("alpha", .double(0.99)), P("eps", .double(1e-8)), P("weight_decay", .double(0)),
                     P("momentum", .double(0)), P("centered", .bool(false)), P("maximize", .bool(false))]),
        ("Adagrad", [P("lr", .double(1e-2)), P("lr_decay", .double(0)), P("weight_decay", .double(0)),
                     P("initial_accumulator_value", .double(0)), P("eps", .double(1e-10)), P("maximize", .bool(false))]),
        ("Adadelta", [P("lr", .double(1.0)), P("rho", .double(0.9)), P("eps", .double(1e-6)), P("weight_decay", .double(0)),
                      P("maximize", .bool(false))]),
        ("Adamax", [P("lr", .double(2e-3)), P("betas", .tuple([.double(0.9), .double(0.999)])), P("eps", .double(1e-8)),
                    P("weight_decay", .double(0)), P("maximize", .bool(false))]),
        ("NAdam", [P("lr", .double(2e-3)), P("betas", .tuple([.double(0.9), .double(0.999)])), P("eps", .double(1e-8)),
                   P("weight_decay", .double(0)), P("momentum_decay", .double(4e-3)), P("decoupled_weight_decay", .bool(false)),
                   P("maximize", .bool(false))]),
        ("RAdam", [P("lr", .double(1e-3)), P("betas", .tuple([.double(0.9), .double(0.999)])), P("eps", .double(1e-8)),
                   P("weight_decay", .double(0)), P("decoupled_weight_decay", .bool(false)), P("maximize", .bool(false))]),
        ("LBFGS", [P("lr", .double(1)), P("max_iter", .int(20)), P("max_eval", ArgumentValue.none), P("tolerance_grad", .double(1e-7)),
                   P("tolerance_change", .double(1e-9)), P("history_size", .int(100)), P("line_search_fn", ArgumentValue.none),
                   P("maximize", .bool(false))]),
    ]

    /// The torch class names there are.
    public static var types: [String] { signatures.map(\.0) }

    static func signature(_ type: String) throws -> [P] {
        guard let s = signatures.first(where: { $0.0 == type })?.1 else {
            throw EmberError.invalidArgument("unknown optimizer type \"\(type)\"; the types are: \(types.joined(separator: ", "))")
        }
        return s
    }

    /// An optimizer of torch class `type` over `parameters`, its options given
    /// in torch's keyword syntax (positional values fill torch's parameters in order).
    public static func make(_ type: String, parameters: [Tensor], arguments text: String) throws -> Optimizer {
        let args = try Arguments(ArgumentList(parsing: text), type: type, signature: signature(type))
        let lr = try args.double("lr")
        let opt: Optimizer = switch type {
        case "SGD": try SGD(parameters: parameters, lr: lr)
        case "Adam": try Adam(parameters: parameters, lr: lr)
        case "AdamW": try AdamW(parameters: parameters, lr: lr)
        case "RMSprop": try RMSprop(parameters: parameters, lr: lr)
        case "Adagrad": try Adagrad(parameters: parameters, lr: lr)
        case "Adadelta": try Adadelta(parameters: parameters, lr: lr)
        case "Adamax": try Adamax(parameters: parameters, lr: lr)
        case "NAdam": try NAdam(parameters: parameters, lr: lr)
        case "RAdam": try RAdam(parameters: parameters, lr: lr)
        default: try LBFGS(parameters: parameters, lr: lr)
        }
        for (name, value) in args.bound where name != "lr" {
            for (option, v) in try options(type, name, value) { try opt.set(option, v) }
        }
        return opt
    }

    /// The options of a parameter group in torch's keyword syntax
    /// ("lr=0.01, weight_decay=0"), as option names and values for addParamGroup.
    public static func groupOptions(_ optimizer: Optimizer, arguments text: String) throws -> [String: Double] {
        let list = try ArgumentList(parsing: text)
        guard list.positional.isEmpty else {
            throw EmberError.invalidArgument("\(optimizer.typeName): parameter group options are given by name (\"weight_decay=0\"), got a positional value")
        }
        let names = try signature(optimizer.typeName).map(\.name)
        var out: [String: Double] = [:]
        for (name, value) in list.named {
            guard names.contains(name) else {
                throw EmberError.invalidArgument("\(optimizer.typeName) got an unexpected argument '\(name)'; its arguments are: \(names.joined(separator: ", "))")
            }
            for (option, v) in try options(optimizer.typeName, name, value) { out[option] = v }
        }
        return out
    }

    /// One torch argument as Ember options.
    static func options(_ type: String, _ name: String, _ value: ArgumentValue) throws -> [(String, Double)] {
        func number(_ v: ArgumentValue) throws -> Double {
            switch v {
            case .int(let i): return Double(i)
            case .double(let d): return d
            case .bool(let b): return b ? 1 : 0
            default: throw EmberError.invalidArgument("\(type): argument '\(name)' must be a number, got \(v)")
            }
        }
        switch (name, value) {
        case ("betas", .tuple(let items)):
            guard items.count == 2 else { throw EmberError.invalidArgument("\(type): argument 'betas' must be a tuple of two numbers, got \(value)") }
            return [("beta1", try number(items[0])), ("beta2", try number(items[1]))]
        case ("betas", _): throw EmberError.invalidArgument("\(type): argument 'betas' must be a tuple of two numbers, got \(value)")
        case ("line_search_fn", .none): return [("line_search_fn", 0)]
        case ("line_search_fn", .string("strong_wolfe")): return [("line_search_fn", 1)]
        case ("line_search_fn", _): throw EmberError.invalidArgument("\(type): only 'strong_wolfe' is supported as line_search_fn, got \(value)")
        case ("max_eval", .none): return []
        default: return [(name, try number(value))]
        }
    }
}
