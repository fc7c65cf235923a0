import EmberNN
import EmberTensor

/// LR schedulers made by torch class name from torch's keyword syntax:
/// `Schedulers.make("OneCycleLR", optimizer: opt, arguments: "max_lr=0.1,
/// total_steps=100, anneal_strategy='linear'")`. Schedulers built from
/// callbacks or other schedulers (LambdaLR, MultiplicativeLR, SequentialLR,
/// ChainedScheduler) have their own initialisers.
public enum Schedulers {
    typealias P = Arguments.Parameter

    static let signatures: [(String, [P])] = [
        ("StepLR", [P("step_size"), P("gamma", .double(0.1))]),
        ("MultiStepLR", [P("milestones"), P("gamma", .double(0.1))]),
        ("ConstantLR", [P("factor", .double(1.0 / 3)), P("total_iters", .int(5))]),
        ("LinearLR", [P("start_factor", .double(1.0 / 3)), P("end_factor", .double(1.0)), P("total_iters", .int(5))]),
        ("ExponentialLR", [P("gamma")]),
        ("PolynomialLR", [P("total_iters", .int(5)), P("power", .double(1.0))]),
        ("CosineAnnealingLR", [P("T_max"), P("eta_min", .double(0))]),
        ("CosineAnnealingWarmRestarts", [P("T_0"), P("T_mult", .int(1)), P("eta_min", .double(0))]),
        ("OneCycleLR", [P("max_lr"), P("total_steps", ArgumentValue.none), P("epochs", ArgumentValue.none),
                        P("steps_per_epoch", ArgumentValue.none), P("pct_start", .double(0.3)), P("anneal_strategy", .string("cos")),
                        P("cycle_momentum", .bool(true)), P("base_momentum", .double(0.85)), P("max_momentum", .double(0.95)),
                        P("div_factor", .double(25)), P("final_div_factor", .double(1e4)), P("three_phase", .bool(false))]),
        ("ReduceLROnPlateau", [P("mode", .string("min")), P("factor", .double(0.1)), P("patience", .int(10)),
                               P("threshold", .double(1e-4)), P("threshold_mode", .string("rel")), P("cooldown", .int(0)),
                               P("min_lr", .double(0)), P("eps", .double(1e-8))]),
    ]

    /// The torch class names this constructor makes.
    public static var types: [String] { signatures.map(\.0) }

    /// A scheduler of torch class `type` for `optimizer` (which it keeps alive).
    public static func make(_ type: String, optimizer: Optimizer, arguments text: String) throws -> LRScheduler {
        guard let signature = signatures.first(where: { $0.0 == type })?.1 else {
            let others = ["LambdaLR", "MultiplicativeLR", "SequentialLR", "ChainedScheduler"]
            throw EmberError.invalidArgument("unknown scheduler type \"\(type)\"; the types are: \(types.joined(separator: ", ")) (and \(others.joined(separator: ", ")), which have their own constructors)")
        }
        let a = try Arguments(ArgumentList(parsing: text), type: type, signature: signature)
        func numbers(_ name: String) throws -> [Double] {
            let v = a.bound.first { $0.0 == name }!.1
            switch v {
            case .int(let i): return [Double(i)]
            case .double(let d): return [d]
            case .tuple(let items):
                return try items.map { item in
                    switch item {
                    case .int(let i): return Double(i)
                    case .double(let d): return d
                    default: throw EmberError.invalidArgument("\(type): argument '\(name)' must be a number or a list of numbers, got \(v)")
                    }
                }
            default: throw EmberError.invalidArgument("\(type): argument '\(name)' must be a number or a list of numbers, got \(v)")
            }
        }
        switch type {
        case "StepLR": return try StepLR(optimizer: optimizer, stepSize: a.int("step_size"), gamma: a.double("gamma"))
        case "MultiStepLR": return try MultiStepLR(optimizer: optimizer, milestones: a.intList("milestones"), gamma: a.double("gamma"))
        case "ConstantLR": return try ConstantLR(optimizer: optimizer, factor: a.double("factor"), totalIters: a.int("total_iters"))
        case "LinearLR":
            return try LinearLR(optimizer: optimizer, startFactor: a.double("start_factor"), endFactor: a.double("end_factor"),
                                totalIters: a.int("total_iters"))
        case "ExponentialLR": return try ExponentialLR(optimizer: optimizer, gamma: a.double("gamma"))
        case "PolynomialLR": return try PolynomialLR(optimizer: optimizer, totalIters: a.int("total_iters"), power: a.double("power"))
        case "CosineAnnealingLR": return try CosineAnnealingLR(optimizer: optimizer, tMax: a.int("T_max"), etaMin: a.double("eta_min"))
        case "CosineAnnealingWarmRestarts":
            return try CosineAnnealingWarmRestarts(optimizer: optimizer, t0: a.int("T_0"), tMult: a.int("T_mult"), etaMin: a.double("eta_min"))
        case "OneCycleLR":
            var c = OneCycleLR.Configuration(maxLR: try numbers("max_lr"))
            c.totalSteps = try a.optionalInt("total_steps")
            c.epochs = try a.optionalInt("epochs")
            c.stepsPerEpoch = try a.optionalInt("steps_per_epoch")
            c.pctStart = try a.double("pct_start")
            c.annealStrategy = OneCycleLR.Anneal(rawValue: try a.string("anneal_strategy", oneOf: ["cos", "linear"]))!
            c.cycleMomentum = try a.bool("cycle_momentum")
            c.baseMomentum = try numbers("base_momentum")
            c.maxMomentum = try numbers("max_momentum")
            c.divFactor = try a.double("div_factor")
            c.finalDivFactor = try a.double("final_div_factor")
            c.threePhase = try a.bool("three_phase")
            return try OneCycleLR(optimizer: optimizer, c)
        default:
            return try ReduceLROnPlateau(
                optimizer: optimizer, mode: .init(rawValue: try a.string("mode", oneOf: ["min", "max"]))!,
                factor: a.double("factor"), patience: a.int("patience"), threshold: a.double("threshold"),
                thresholdMode: .init(rawValue: try a.string("threshold_mode", oneOf: ["rel", "abs"]))!,
                cooldown: a.int("cooldown"), minLR: numbers("min_lr"), eps: a.double("eps"))
        }
    }
}
