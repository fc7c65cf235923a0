import EmberAutograd
import EmberTensor

/// Normalisation layers: BatchNorm1d, BatchNorm2d (torch's _BatchNorm) and
/// GroupNorm, with torch's parameters (weight = 1, bias = 0), buffers
/// (running_mean = 0, running_var = 1, num_batches_tracked = 0) and reprs.

/// What BatchNorm1d and BatchNorm2d share (torch's _BatchNorm): per-channel
/// normalisation by the batch statistics in training mode -- updating the
/// running statistics with `momentum`, or with a cumulative average when
/// momentum is nil -- and by the running statistics in eval mode.
public class BatchNorm: Module {
    /// C, the number of channels (dim 1 of the input).
    public let numFeatures: Int
    /// Added to the variance before the square root.
    public let eps: Double
    /// nil: running statistics are the cumulative average (torch's momentum=None).
    public let momentum: Double?
    /// Whether the layer has a weight (and, unless bias=False, a bias).
    public let affine: Bool
    /// Whether the layer keeps running statistics for eval mode.
    public let trackRunningStats: Bool
    /// The input ranks the layer accepts, and how torch words them ("2D or 3D").
    let ranks: [Int], rankText: String

    init(_ type: String, ranks: [Int], rankText: String, numFeatures: Int, eps: Double, momentum: Double?, affine: Bool,
         trackRunningStats: Bool, bias: Bool, dtype: DType) throws {
        guard numFeatures >= 0 else { throw EmberError.invalidArgument("\(type): num_features must be non-negative, got \(numFeatures)") }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("\(type): parameters must be floating, got \(dtype)") }
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        self.ranks = ranks
        self.rankText = rankText
        super.init()
        if affine {
            try registerParameter("weight", Tensor.ones([numFeatures], dtype: dtype))
            if bias { try registerParameter("bias", Tensor.zeros([numFeatures], dtype: dtype)) }
        }
        if trackRunningStats {
            try registerBuffer("running_mean", Tensor.zeros([numFeatures], dtype: dtype))
            try registerBuffer("running_var", Tensor.ones([numFeatures], dtype: dtype))
            try registerBuffer("num_batches_tracked", Tensor.zeros([], dtype: .int64))
        }
    }

    /// The per-channel scale (torch's weight), nil without affine.
    public var weight: Tensor? { ownParameter("weight") }
    /// The per-channel shift (torch's bias), nil without affine or with bias=False.
    public var bias: Tensor? { ownParameter("bias") }
    /// The running mean (buffer running_mean), nil without track_running_stats.
    public var runningMean: Tensor? { ownBuffer("running_mean") }
    /// The running (unbiased) variance (buffer running_var).
    public var runningVar: Tensor? { ownBuffer("running_var") }
    /// The number of training batches seen (int64 buffer num_batches_tracked).
    public var numBatchesTracked: Tensor? { ownBuffer("num_batches_tracked") }

    /// torch's reset_running_stats: mean 0, variance 1, no batches tracked.
    public func resetRunningStats() throws {
        try GradMode.with(false) {
            try runningMean?.zero_()
            try runningVar?.fill_(1)
            try numBatchesTracked?.zero_()
        }
    }

    /// torch's reset_parameters: the running statistics, then weight 1 and bias 0.
    public func resetParameters() throws {
        try resetRunningStats()
        if let weight { try Init.ones(weight) }
        if let bias { try Init.zeros(bias) }
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        guard ranks.contains(input.ndim) else {
            throw EmberError.shape("\(typeName): expected \(rankText) input (got \(input.ndim)D input of shape \(describe(input.shape)))")
        }
        guard input.shape[1] == numFeatures else {
            throw EmberError.shape("\(typeName): expected \(numFeatures) channels (num_features) in dim 1, got input of shape \(describe(input.shape))")
        }
        var factor = momentum ?? 0
        if training && trackRunningStats, let tracked = numBatchesTracked {
            try GradMode.with(false) { _ = try tracked.add_(1) }
            factor = try momentum ?? 1 / tracked.item()
        }
        // Batch statistics in training mode, and in eval mode without running statistics.
        let useBatch = training || (runningMean == nil && runningVar == nil)
        let passRunning = !training || trackRunningStats
        do {
            return try input.batchNorm(runningMean: passRunning ? runningMean : nil, runningVar: passRunning ? runningVar : nil,
                                       weight: weight, bias: bias, training: useBatch, momentum: factor, eps: eps)
        } catch let error as EmberError {
            throw EmberError(error.kind, "\(typeName): \(error.message)")
        }
    }

    override public var extraRepr: String {
        "\(numFeatures), eps=\(reprNumber("eps", eps)), momentum=\(momentum.map { reprNumber("momentum", $0) } ?? "None"), affine=\(reprFlag(affine)), bias=\(reprFlag(bias != nil)), track_running_stats=\(reprFlag(trackRunningStats))"
    }
}

/// Batch normalisation over (N, C) or (N, C, L) input (torch.nn.BatchNorm1d).
///
/// ```swift
/// let bn = try BatchNorm1d(64)
/// let y = try bn(x)          // training: batch statistics, running stats updated
/// bn.eval()                  // eval: the running statistics
/// ```
public final class BatchNorm1d: BatchNorm {
    /// Makes the layer with torch's defaults: weight 1, bias 0, running mean 0 and variance 1.
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true,
                bias: Bool = true, dtype: DType = .float32) throws {
        try super.init("BatchNorm1d", ranks: [2, 3], rankText: "2D or 3D", numFeatures: numFeatures, eps: eps, momentum: momentum,
                       affine: affine, trackRunningStats: trackRunningStats, bias: bias, dtype: dtype)
    }
    override public var typeName: String { "BatchNorm1d" }
}

/// Batch normalisation over (N, C, H, W) input (torch.nn.BatchNorm2d).
public final class BatchNorm2d: BatchNorm {
    /// Makes the layer with torch's defaults: weight 1, bias 0, running mean 0 and variance 1.
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true,
                bias: Bool = true, dtype: DType = .float32) throws {
        try super.init("BatchNorm2d", ranks: [4], rankText: "4D", numFeatures: numFeatures, eps: eps, momentum: momentum,
                       affine: affine, trackRunningStats: trackRunningStats, bias: bias, dtype: dtype)
    }
    override public var typeName: String { "BatchNorm2d" }
}

/// Group normalisation (torch.nn.GroupNorm): the channels of each sample are
/// split into `numGroups` groups, each normalised by its own statistics, then
/// scaled and shifted per channel. The same in training and eval mode.
///
/// ```swift
/// let gn = try GroupNorm(4, 32)   // 4 groups of 8 channels
/// ```
public final class GroupNorm: Module {
    /// G and C: the channels are split into G groups of C / G.
    public let numGroups: Int, numChannels: Int
    /// Added to the variance before the square root.
    public let eps: Double
    /// Whether the layer has a weight (and, unless bias=False, a bias).
    public let affine: Bool

    /// Makes the layer with torch's defaults: weight 1, bias 0, running mean 0 and variance 1.
    public init(_ numGroups: Int, _ numChannels: Int, eps: Double = 1e-5, affine: Bool = true, bias: Bool = true,
                dtype: DType = .float32) throws {
        guard numGroups > 0, numChannels >= 0 else {
            throw EmberError.invalidArgument("GroupNorm: num_groups must be positive and num_channels non-negative, got \(numGroups) and \(numChannels)")
        }
        guard numChannels % numGroups == 0 else {
            throw EmberError.invalidArgument("GroupNorm: num_channels (\(numChannels)) must be divisible by num_groups (\(numGroups))")
        }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("GroupNorm: parameters must be floating, got \(dtype)") }
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        self.affine = affine
        super.init()
        if affine {
            try registerParameter("weight", Tensor.ones([numChannels], dtype: dtype))
            if bias { try registerParameter("bias", Tensor.zeros([numChannels], dtype: dtype)) }
        }
    }

    override public var typeName: String { "GroupNorm" }

    /// The per-channel scale (torch's weight), nil without affine.
    public var weight: Tensor? { ownParameter("weight") }
    /// The per-channel shift (torch's bias), nil without affine or with bias=False.
    public var bias: Tensor? { ownParameter("bias") }

    /// torch's reset_parameters: weight 1, bias 0.
    public func resetParameters() throws {
        if let weight { try Init.ones(weight) }
        if let bias { try Init.zeros(bias) }
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        guard input.ndim >= 2, input.shape[1] == numChannels else {
            throw EmberError.shape("GroupNorm: expected an input of shape (N, \(numChannels), *) (num_channels=\(numChannels)), got \(describe(input.shape))")
        }
        do {
            return try input.groupNorm(numGroups: numGroups, weight: weight, bias: bias, eps: eps)
        } catch let error as EmberError {
            throw EmberError(error.kind, "GroupNorm: \(error.message)")
        }
    }

    override public var extraRepr: String {
        "\(numGroups), \(numChannels), eps=\(reprNumber("eps", eps)), affine=\(reprFlag(affine)), bias=\(reprFlag(bias != nil))"
    }
}

// MARK: - Repr helpers

extension Module {
    /// A number as torch's repr shows it: as the constructor argument was
    /// written when the registry made the module (`2` or `2.0`), otherwise as
    /// Python prints a float (`1e-05`, `0.1`, `1.0`).
    func reprNumber(_ name: String, _ value: Double) -> String {
        if let given = arguments.first(where: { $0.0 == name })?.1 {
            switch given {
            case .int, .double: return given.description
            default: break
            }
        }
        return ArgumentValue.double(value).description
    }

    /// True or False, as Python prints a bool.
    func reprFlag(_ value: Bool) -> String { value ? "True" : "False" }
}


// MARK: - Registry

extension ModuleRegistry {
    /// BatchNorm1d, BatchNorm2d and GroupNorm with torch's signatures (without
    /// device and dtype; `bias` is keyword-only in torch).
    static let normModules: [String: Entry] = [
        "BatchNorm1d": Entry(batchNormSignature) { a in
            try BatchNorm1d(a.int("num_features"), eps: a.double("eps"), momentum: a.optionalDouble("momentum"), affine: a.bool("affine"),
                            trackRunningStats: a.bool("track_running_stats"), bias: a.bool("bias"))
        },
        "BatchNorm2d": Entry(batchNormSignature) { a in
            try BatchNorm2d(a.int("num_features"), eps: a.double("eps"), momentum: a.optionalDouble("momentum"), affine: a.bool("affine"),
                            trackRunningStats: a.bool("track_running_stats"), bias: a.bool("bias"))
        },
        "GroupNorm": Entry([.init("num_groups"), .init("num_channels"), .init("eps", .double(1e-5)), .init("affine", .bool(true)),
                            .init("bias", .bool(true))]) { a in
            try GroupNorm(a.int("num_groups"), a.int("num_channels"), eps: a.double("eps"), affine: a.bool("affine"), bias: a.bool("bias"))
        },
    ]

    static let batchNormSignature: [Arguments.Parameter] = [
        .init("num_features"), .init("eps", .double(1e-5)), .init("momentum", .double(0.1)), .init("affine", .bool(true)),
        .init("track_running_stats", .bool(true)), .init("bias", .bool(true)),
    ]
}
