import EmberAutograd
import EmberTensor

/// Loss modules (torch.nn.CrossEntropyLoss, MSELoss, ...): a reduction and
/// the loss's options, applied to (input, target) -- forward([input, target])
/// or loss(input, target). Class weights are buffers named as torch names
/// them ("weight", "pos_weight"), so a C caller can also set them with
/// ember_module_register_buffer.

/// What every loss module shares (torch's _Loss): the reduction and a
/// forward on two inputs. torch prints no options in a loss's repr.
public class Loss: Module {
    /// 'none', 'mean' or 'sum' ('batchmean' too for KLDivLoss).
    public let reduction: Reduction

    init(_ type: String, reduction: Reduction, allowBatchMean: Bool = false) throws {
        if !allowBatchMean { try Functional.rejectBatchMean(reduction, type) }
        self.reduction = reduction
        super.init()
    }

    override public var extraRepr: String { "" }

    /// The loss of `input` against `target`; each loss overrides it.
    func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        throw EmberError.internal("\(typeName) does not compute a loss")
    }

    /// The loss of `input` against `target` (module(input, target) in torch).
    public func callAsFunction(_ input: Tensor, _ target: Tensor) throws -> Tensor { try forward([input, target])[0] }

    /// [loss] for [input, target].
    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 2 else {
            throw EmberError.invalidArgument("\(typeName) takes 2 inputs (input, target), got \(inputs.count)")
        }
        do {
            return [try loss(inputs[0], inputs[1])]
        } catch let error as EmberError {
            throw EmberError(error.kind, "\(typeName): \(error.message)")
        }
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        throw EmberError.invalidArgument("\(typeName) takes 2 inputs (input, target), got 1; use the forward that takes several inputs")
    }

    /// Registers an optional weight buffer.
    func register(_ name: String, _ tensor: Tensor?) throws {
        if let tensor { try registerBuffer(name, tensor) }
    }
}

/// torch.nn.CrossEntropyLoss: log_softmax and nll_loss, with class weights,
/// ignore_index and label smoothing, on class indices or probabilities.
///
/// ```swift
/// let criterion = try CrossEntropyLoss(labelSmoothing: 0.1)
/// let loss = try criterion(model(x), labels)
/// ```
public final class CrossEntropyLoss: Loss {
    /// The loss's options, as torch keeps them.
    public let ignoreIndex: Int, labelSmoothing: Double
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Double = 0) throws {
        self.ignoreIndex = ignoreIndex
        self.labelSmoothing = labelSmoothing
        try super.init("CrossEntropyLoss", reduction: reduction)
        try register("weight", weight)
    }
    override public var typeName: String { "CrossEntropyLoss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try Functional.crossEntropy(input, target, weight: ownBuffer("weight"), ignoreIndex: ignoreIndex, reduction: reduction,
                                    labelSmoothing: labelSmoothing)
    }
}

/// torch.nn.NLLLoss on log-probabilities, with class weights and ignore_index.
public final class NLLLoss: Loss {
    /// The loss's options, as torch keeps them.
    public let ignoreIndex: Int
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) throws {
        self.ignoreIndex = ignoreIndex
        try super.init("NLLLoss", reduction: reduction)
        try register("weight", weight)
    }
    override public var typeName: String { "NLLLoss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try Functional.nllLoss(input, target, weight: ownBuffer("weight"), ignoreIndex: ignoreIndex, reduction: reduction)
    }
}

/// torch.nn.MSELoss: squared errors.
public final class MSELoss: Loss {
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(reduction: Reduction = .mean) throws { try super.init("MSELoss", reduction: reduction) }
    override public var typeName: String { "MSELoss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor { try Functional.mseLoss(input, target, reduction: reduction) }
}

/// torch.nn.L1Loss: absolute errors.
public final class L1Loss: Loss {
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(reduction: Reduction = .mean) throws { try super.init("L1Loss", reduction: reduction) }
    override public var typeName: String { "L1Loss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor { try Functional.l1Loss(input, target, reduction: reduction) }
}

/// torch.nn.SmoothL1Loss: squared below beta, absolute above.
public final class SmoothL1Loss: Loss {
    /// The loss's options, as torch keeps them.
    public let beta: Double
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(reduction: Reduction = .mean, beta: Double = 1) throws {
        self.beta = beta
        try super.init("SmoothL1Loss", reduction: reduction)
    }
    override public var typeName: String { "SmoothL1Loss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try Functional.smoothL1Loss(input, target, reduction: reduction, beta: beta)
    }
}

/// torch.nn.HuberLoss: squared below delta, delta-scaled absolute above.
public final class HuberLoss: Loss {
    /// The loss's options, as torch keeps them.
    public let delta: Double
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(reduction: Reduction = .mean, delta: Double = 1) throws {
        self.delta = delta
        try super.init("HuberLoss", reduction: reduction)
    }
    override public var typeName: String { "HuberLoss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try Functional.huberLoss(input, target, reduction: reduction, delta: delta)
    }
}

/// torch.nn.BCELoss on probabilities, with an optional element weight.
public final class BCELoss: Loss {
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) throws {
        try super.init("BCELoss", reduction: reduction)
        try register("weight", weight)
    }
    override public var typeName: String { "BCELoss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try Functional.binaryCrossEntropy(input, target, weight: ownBuffer("weight"), reduction: reduction)
    }
}

/// torch.nn.BCEWithLogitsLoss on logits, with element weight and positive-class weight.
public final class BCEWithLogitsLoss: Loss {
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(weight: Tensor? = nil, reduction: Reduction = .mean, posWeight: Tensor? = nil) throws {
        try super.init("BCEWithLogitsLoss", reduction: reduction)
        try register("weight", weight)
        try register("pos_weight", posWeight)
    }
    override public var typeName: String { "BCEWithLogitsLoss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try Functional.binaryCrossEntropyWithLogits(input, target, weight: ownBuffer("weight"), posWeight: ownBuffer("pos_weight"),
                                                    reduction: reduction)
    }
}

/// torch.nn.KLDivLoss on log-probabilities (reduction may also be batchmean).
public final class KLDivLoss: Loss {
    /// The loss's options, as torch keeps them.
    public let logTarget: Bool
    /// Makes the loss with torch's defaults; a weight becomes a buffer.
    public init(reduction: Reduction = .mean, logTarget: Bool = false) throws {
        self.logTarget = logTarget
        try super.init("KLDivLoss", reduction: reduction, allowBatchMean: true)
    }
    override public var typeName: String { "KLDivLoss" }
    override func loss(_ input: Tensor, _ target: Tensor) throws -> Tensor {
        try Functional.klDiv(input, target, reduction: reduction, logTarget: logTarget)
    }
}

// MARK: - Registry

extension ModuleRegistry {
    /// The loss modules with torch's signatures. A weight can only be None
    /// here (arguments are literals); register a "weight" buffer to set one.
    /// The deprecated size_average and reduce, when given, decide the
    /// reduction as torch's _Reduction.legacy_get_string does.
    static let lossModules: [String: Entry] = [
        "CrossEntropyLoss": Entry([.init("weight", ArgumentValue.none), .init("size_average", ArgumentValue.none),
                                   .init("ignore_index", .int(-100)), .init("reduce", ArgumentValue.none),
                                   .init("reduction", .string("mean")), .init("label_smoothing", .double(0))]) { a in
            try CrossEntropyLoss(weight: noTensor(a, "weight"), ignoreIndex: a.int("ignore_index"), reduction: reduction(a),
                                 labelSmoothing: a.double("label_smoothing"))
        },
        "NLLLoss": Entry([.init("weight", ArgumentValue.none), .init("size_average", ArgumentValue.none), .init("ignore_index", .int(-100)),
                          .init("reduce", ArgumentValue.none), .init("reduction", .string("mean"))]) { a in
            try NLLLoss(weight: noTensor(a, "weight"), ignoreIndex: a.int("ignore_index"), reduction: reduction(a))
        },
        "MSELoss": Entry(legacyReductionSignature) { a in try MSELoss(reduction: reduction(a)) },
        "L1Loss": Entry(legacyReductionSignature) { a in try L1Loss(reduction: reduction(a)) },
        "SmoothL1Loss": Entry(legacyReductionSignature + [.init("beta", .double(1))]) { a in
            try SmoothL1Loss(reduction: reduction(a), beta: a.double("beta"))
        },
        "HuberLoss": Entry([.init("reduction", .string("mean")), .init("delta", .double(1))]) { a in
            try HuberLoss(reduction: reduction(a), delta: a.double("delta"))
        },
        "BCELoss": Entry([.init("weight", ArgumentValue.none)] + legacyReductionSignature) { a in
            try BCELoss(weight: noTensor(a, "weight"), reduction: reduction(a))
        },
        "BCEWithLogitsLoss": Entry([.init("weight", ArgumentValue.none)] + legacyReductionSignature + [.init("pos_weight", ArgumentValue.none)]) { a in
            _ = try noTensor(a, "pos_weight")
            return try BCEWithLogitsLoss(weight: noTensor(a, "weight"), reduction: reduction(a))
        },
        "KLDivLoss": Entry(legacyReductionSignature + [.init("log_target", .bool(false))]) { a in
            try KLDivLoss(reduction: reduction(a, allowBatchMean: true), logTarget: a.bool("log_target"))
        },
    ]

    static let legacyReductionSignature: [Arguments.Parameter] = [
        .init("size_average", ArgumentValue.none), .init("reduce", ArgumentValue.none), .init("reduction", .string("mean")),
    ]

    /// The reduction, or torch's legacy one from size_average and reduce when either is given.
    static func reduction(_ a: Arguments, allowBatchMean: Bool = false) throws -> Reduction {
        let signature = a.bound.map(\.0)
        let sizeAverage = signature.contains("size_average") ? try a.value("size_average") : .none
        let reduce = signature.contains("reduce") ? try a.value("reduce") : .none
        if sizeAverage != .none || reduce != .none {
            let average = sizeAverage == .none ? true : try a.bool("size_average")
            let reducing = reduce == .none ? true : try a.bool("reduce")
            return !reducing ? .none : (average ? .mean : .sum)
        }
        return try Reduction(a.string("reduction"), function: a.type, allowBatchMean: allowBatchMean)
    }

    /// Tensor arguments cannot be written as literals: only None is accepted.
    static func noTensor(_ a: Arguments, _ name: String) throws -> Tensor? {
        let v = try a.value(name)
        guard v == .none else {
            throw EmberError.invalidArgument("\(a.type): argument '\(name)' must be None here (a tensor cannot be written as an argument); register a buffer named \"\(name)\" on the module to set it")
        }
        return nil
    }
}
