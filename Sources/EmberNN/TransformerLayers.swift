import EmberAutograd
import EmberTensor

/// The feed-forward activation of a transformer layer (torch's activation="relu" | "gelu").
public enum TransformerActivation: String, Sendable {
    case relu, gelu
}

/// One transformer encoder block (torch.nn.TransformerEncoderLayer): self
/// attention and a feed-forward network (linear1, activation, dropout,
/// linear2), each with a residual connection, dropout (dropout1, dropout2) and
/// layer normalisation (norm1, norm2) -- after each block (post-norm) or, with
/// `normFirst`, before it (pre-norm). Children and parameter names are torch's.
///
/// Input (S, N, E), (N, S, E) with `batchFirst`, or unbatched (S, E). Several
/// inputs (forward([Tensor]), ember_module_forward_multi): [src], [src,
/// src_mask] or [src, src_mask, src_key_padding_mask], where a tensor with no
/// elements stands for "none"; one output. src_mask is (S, S) or
/// (N * nhead, S, S), src_key_padding_mask (N, S); bool masks are true where
/// attention is not allowed, float masks are added. `isCausal` is torch's
/// forward hint that src_mask is the causal mask (it still must be given).
///
/// ```swift
/// let layer = try TransformerEncoderLayer(128, 4, dimFeedforward: 512, dropout: 0, activation: .gelu,
///                                         batchFirst: true, normFirst: true)
/// let y = try layer.forward(x, srcMask: try Transformer.squareSubsequentMask(64), isCausal: true)
/// ```
public final class TransformerEncoderLayer: Module {
    /// torch's constructor arguments d_model, nhead, dim_feedforward, dropout, activation,
    /// layer_norm_eps, batch_first, norm_first and bias.
    public let dModel: Int
    public let nhead: Int
    public let dimFeedforward: Int
    public let dropoutP: Double
    public let activation: TransformerActivation
    public let layerNormEps: Double
    public let batchFirst: Bool
    public let normFirst: Bool
    public let hasBias: Bool
    /// torch's forward argument is_causal, for forward([Tensor]).
    public var isCausal = false

    /// torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
    /// layer_norm_eps, batch_first, norm_first, bias).
    public init(_ dModel: Int, _ nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                layerNormEps: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true,
                dtype: DType = .float32) throws {
        self.dModel = dModel
        self.nhead = nhead
        self.dimFeedforward = dimFeedforward
        self.dropoutP = dropout
        self.activation = activation
        self.layerNormEps = layerNormEps
        self.batchFirst = batchFirst
        self.normFirst = normFirst
        self.hasBias = bias
        super.init()
        // torch's construction order, which is also its order of random draws.
        try registerModule("self_attn", try MultiheadAttention(dModel, nhead, dropout: dropout, bias: bias, batchFirst: batchFirst, dtype: dtype))
        try registerModule("linear1", try Linear(dModel, dimFeedforward, bias: bias, dtype: dtype))
        try registerModule("dropout", try Dropout(dropout))
        try registerModule("linear2", try Linear(dimFeedforward, dModel, bias: bias, dtype: dtype))
        try registerModule("norm1", try LayerNorm([dModel], eps: layerNormEps, bias: bias, dtype: dtype))
        try registerModule("norm2", try LayerNorm([dModel], eps: layerNormEps, bias: bias, dtype: dtype))
        try registerModule("dropout1", try Dropout(dropout))
        try registerModule("dropout2", try Dropout(dropout))
    }

    override public var typeName: String { "TransformerEncoderLayer" }
    override public var extraRepr: String { "" }

    /// The child called `name`, as type `M`.
    func part<M: Module>(_ name: String, _: M.Type = M.self) throws -> M {
        guard let m = namedChildren.first(where: { $0.0 == name })?.1 as? M else {
            throw EmberError.state("\(typeName): the submodule \(name) is missing or not a \(M.self)")
        }
        return m
    }

    /// [src] (+ src_mask, + src_key_padding_mask; an empty tensor is "none") -> [output].
    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard (1...3).contains(inputs.count) else {
            throw EmberError.invalidArgument("TransformerEncoderLayer takes [src], [src, src_mask] or [src, src_mask, src_key_padding_mask], got \(inputs.count) inputs")
        }
        let mask = inputs.count > 1 && inputs[1].count > 0 ? inputs[1] : nil
        let kpm = inputs.count > 2 && inputs[2].count > 0 ? inputs[2] : nil
        return [try forward(inputs[0], srcMask: mask, srcKeyPaddingMask: kpm, isCausal: isCausal)]
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try forward(input, srcMask: nil, srcKeyPaddingMask: nil, isCausal: isCausal)
    }

    /// torch's TransformerEncoderLayer.forward(src, src_mask, src_key_padding_mask, is_causal).
    public func forward(_ src: Tensor, srcMask: Tensor?, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool = false) throws -> Tensor {
        try reportingAsLayer {
            var x = src
            if normFirst {
                x = try x.add(selfAttention(part("norm1", Module.self).forward(x), srcMask, srcKeyPaddingMask, isCausal))
                x = try x.add(feedForward(part("norm2", Module.self).forward(x)))
            } else {
                x = try part("norm1", Module.self).forward(x.add(selfAttention(x, srcMask, srcKeyPaddingMask, isCausal)))
                x = try part("norm2", Module.self).forward(x.add(feedForward(x)))
            }
            return x
        }
    }

    /// torch's _sa_block: self attention without weights, then dropout1.
    func selfAttention(_ x: Tensor, _ mask: Tensor?, _ kpm: Tensor?, _ isCausal: Bool) throws -> Tensor {
        let attention: MultiheadAttention = try part("self_attn")
        let (out, _) = try attention.forward(query: x, key: x, value: x, keyPaddingMask: kpm, needWeights: false, attnMask: mask,
                                             isCausal: isCausal)
        return try part("dropout1", Module.self).forward(out)
    }

    /// torch's _ff_block: linear2(dropout(activation(linear1(x)))), then dropout2.
    func feedForward(_ x: Tensor) throws -> Tensor {
        var h = try part("linear1", Module.self).forward(x)
        h = try activation == .relu ? h.relu() : h.gelu()
        h = try part("dropout", Module.self).forward(h)
        h = try part("linear2", Module.self).forward(h)
        return try part("dropout2", Module.self).forward(h)
    }

    /// A deep copy (torch's copy.deepcopy, as TransformerEncoder clones its
    /// layer): the same configuration and options, parameters copied (dtype
    /// and requires_grad kept), training mode kept, and no draws from the global generator.
    public func clone() throws -> TransformerEncoderLayer {
        let state = GlobalGenerator.withState { $0 }
        let copy: TransformerEncoderLayer
        do {
            defer { GlobalGenerator.withState { $0 = state } }
            copy = try TransformerEncoderLayer(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropoutP, activation: activation,
                                               layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: hasBias)
        }
        for (name, p) in allNamedParameters() {
            let path = name.split(separator: ".").map(String.init)
            let owner = path.count == 1 ? copy : try copy.child(named: path.dropLast().joined(separator: "."))
            let t = Tensor(try p.array.contiguous(force: true))
            try owner.registerParameter(path[path.count - 1], t)
            try t.setRequiresGrad(p.requiresGrad)
        }
        for case let (name, dropout as Dropout) in namedChildren {
            (try? copy.part(name, Dropout.self))?.pText = dropout.pText
        }
        copy.isCausal = isCausal
        copy.train(training)
        return copy
    }
}

/// A list of modules registered under "0", "1", ... (torch.nn.ModuleList);
/// it has no forward of its own.
public final class ModuleList: Module {
    /// A list of `modules`, named by position.
    public init(_ modules: [Module] = []) throws {
        super.init()
        for m in modules { try append(m) }
    }

    override public var typeName: String { "ModuleList" }
    override public var extraRepr: String { "" }

    /// Adds `module` under the next index.
    public func append(_ module: Module) throws { try registerModule(String(namedChildren.count), module) }

    /// The modules in order.
    public var modules: [Module] { namedChildren.map(\.1) }

    /// torch's ModuleList repr: a run of identical children prints once, as
    /// "(0-1): 2 x TransformerEncoderLayer(...)".
    override public var childReprLines: [String] {
        var blocks: [(start: Int, end: Int, text: String)] = []
        for (i, (_, child)) in namedChildren.enumerated() {
            let text = child.description
            if let last = blocks.last, last.text == text {
                blocks[blocks.count - 1].end = i
            } else {
                blocks.append((i, i, text))
            }
        }
        return blocks.map { b in
            let label = b.start == b.end ? "(\(b.start)): " : "(\(b.start)-\(b.end)): \(b.end - b.start + 1) x "
            return (label + b.text).replacingNewlines(with: "\n  ")
        }
    }
}

/// A stack of `numLayers` copies of an encoder layer (torch.nn.TransformerEncoder):
/// children "layers" (a ModuleList "0", "1", ... of deep copies, so every
/// layer starts from the same weights, as in torch) and an optional final
/// "norm". Inputs and outputs as TransformerEncoderLayer: [src], [src, mask]
/// or [src, mask, src_key_padding_mask] -> [output]. With `isCausal` nil (the
/// default, as torch's), a mask equal to the causal mask is detected and used
/// as the causal hint.
///
/// ```swift
/// let layer = try TransformerEncoderLayer(128, 4, dimFeedforward: 512, dropout: 0, activation: .gelu, batchFirst: true, normFirst: true)
/// let encoder = try TransformerEncoder(layer, numLayers: 2)
/// ```
public final class TransformerEncoder: Module {
    /// How many copies of the layer are stacked.
    public let numLayers: Int
    /// torch's enable_nested_tensor and mask_check: accepted and kept; they change nothing here
    /// (torch uses them for a nested-tensor inference fast path).
    public let enableNestedTensor: Bool
    public let maskCheck: Bool
    /// torch's forward argument is_causal for forward([Tensor]): nil detects a causal mask.
    public var isCausal: Bool?

    /// torch.nn.TransformerEncoder(encoder_layer, num_layers, norm, enable_nested_tensor, mask_check):
    /// `numLayers` deep copies of `encoderLayer`, then `norm` if given.
    public init(_ encoderLayer: TransformerEncoderLayer, numLayers: Int, norm: Module? = nil, enableNestedTensor: Bool = true,
                maskCheck: Bool = true) throws {
        guard numLayers >= 1 && numLayers <= 100_000 else {
            throw EmberError.invalidArgument("TransformerEncoder: num_layers must be at least 1, got \(numLayers)")
        }
        self.numLayers = numLayers
        self.enableNestedTensor = enableNestedTensor
        self.maskCheck = maskCheck
        super.init()
        try registerModule("layers", try ModuleList((0..<numLayers).map { _ in try encoderLayer.clone() }))
        if let norm { try registerModule("norm", norm) }
    }

    override public var typeName: String { "TransformerEncoder" }
    override public var extraRepr: String { "" }

    /// The layers, in order.
    public var layers: [TransformerEncoderLayer] {
        get throws {
            guard let list = namedChildren.first(where: { $0.0 == "layers" })?.1 else {
                throw EmberError.state("TransformerEncoder: the submodule layers is missing")
            }
            return try list.namedChildren.map { name, m in
                guard let layer = m as? TransformerEncoderLayer else {
                    throw EmberError.state("TransformerEncoder: layers.\(name) is a \(m.typeName), not a TransformerEncoderLayer")
                }
                return layer
            }
        }
    }

    /// [src] (+ mask, + src_key_padding_mask; an empty tensor is "none") -> [output].
    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard (1...3).contains(inputs.count) else {
            throw EmberError.invalidArgument("TransformerEncoder takes [src], [src, mask] or [src, mask, src_key_padding_mask], got \(inputs.count) inputs")
        }
        let mask = inputs.count > 1 && inputs[1].count > 0 ? inputs[1] : nil
        let kpm = inputs.count > 2 && inputs[2].count > 0 ? inputs[2] : nil
        return [try forward(inputs[0], mask: mask, srcKeyPaddingMask: kpm, isCausal: isCausal)]
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try forward(input, mask: nil, srcKeyPaddingMask: nil, isCausal: isCausal)
    }

    /// torch's TransformerEncoder.forward(src, mask, src_key_padding_mask, is_causal).
    public func forward(_ src: Tensor, mask: Tensor?, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool? = nil) throws -> Tensor {
        try reportingAsLayer {
            let stack = try layers
            guard let first = stack.first else { return src }
            var canonical = mask
            if let m = mask, m.dtype == .bool { canonical = try Tensor.zeros(m.shape, dtype: src.dtype).maskedFill(m, -.infinity) }
            let seqLen = src.ndim == 2 ? src.shape[0] : (src.ndim == 3 ? src.shape[first.batchFirst ? 1 : 0] : -1)
            let causal = try isCausal ?? Transformer.isCausalMask(canonical, size: seqLen)
            var output = src
            for layer in stack {
                output = try layer.forward(output, srcMask: canonical, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: causal)
            }
            if let norm = namedChildren.first(where: { $0.0 == "norm" })?.1 { output = try norm.forward(output) }
            return output
        }
    }
}

/// Helpers of torch.nn.Transformer used with the encoder.
public enum Transformer {
    /// torch.nn.Transformer.generate_square_subsequent_mask(size): (size, size)
    /// with -inf above the diagonal and 0 elsewhere (float32 or float64), or
    /// true above the diagonal for bool (what torch's bool version gives).
    public static func squareSubsequentMask(_ size: Int, dtype: DType = .float32) throws -> Tensor {
        guard size >= 0 else { throw EmberError.invalidArgument("generate_square_subsequent_mask: size must be non-negative, got \(size)") }
        guard dtype != .int64 else {
            throw EmberError.dtype("generate_square_subsequent_mask: expected a floating or bool dtype, got int64 (torch cannot fill it with -inf)")
        }
        let full = try NDArray.full([size, size], value: dtype == .bool ? 1 : -.infinity, dtype: dtype)
        return Tensor(try Kernels.triangle(full, diagonal: 1, upper: true))
    }

    /// torch's _detect_is_causal_mask for a float mask: whether it equals the causal mask of `size`.
    static func isCausalMask(_ mask: Tensor?, size: Int) throws -> Bool {
        guard let mask, size >= 0, mask.shape == [size, size] else { return false }
        let values = mask.toDoubles()
        for i in 0..<size {
            for j in 0..<size where values[i * size + j] != (j > i ? -.infinity : 0) { return false }
        }
        return true
    }
}

extension ModuleRegistry {
    /// TransformerEncoderLayer and TransformerEncoder. From C the encoder is
    /// made from its layer's arguments followed by torch's TransformerEncoder
    /// arguments: "128, 4, dim_feedforward=512, num_layers=2, norm=True".
    static let transformerModules: [String: Entry] = [
        "TransformerEncoderLayer": Entry(encoderLayerSignature + [.init("is_causal", .bool(false))]) { a in
            let layer = try encoderLayer(a)
            layer.isCausal = try a.bool("is_causal")
            return layer
        },
        "TransformerEncoder": Entry(encoderLayerSignature + [.init("num_layers"), .init("norm", ArgumentValue.none),
                                                             .init("enable_nested_tensor", .bool(true)), .init("mask_check", .bool(true)),
                                                             .init("is_causal", ArgumentValue.none)]) { a in
            let layer = try encoderLayer(a)
            let withNorm: Bool
            if case .none = try a.value("norm") { withNorm = false } else { withNorm = try a.bool("norm") }
            // norm=True is the final LayerNorm nn.Transformer gives its encoder.
            let norm = withNorm ? try LayerNorm([layer.dModel], eps: layer.layerNormEps, bias: layer.hasBias) : nil
            let encoder = try TransformerEncoder(layer, numLayers: a.int("num_layers"), norm: norm,
                                                 enableNestedTensor: a.bool("enable_nested_tensor"), maskCheck: a.bool("mask_check"))
            if case .none = try a.value("is_causal") { encoder.isCausal = nil } else { encoder.isCausal = try a.bool("is_causal") }
            return encoder
        },
    ]

    static let encoderLayerSignature: [Arguments.Parameter] = [
        .init("d_model"), .init("nhead"), .init("dim_feedforward", .int(2048)), .init("dropout", .double(0.1)),
        .init("activation", .string("relu")), .init("layer_norm_eps", .double(1e-5)), .init("batch_first", .bool(false)),
        .init("norm_first", .bool(false)), .init("bias", .bool(true)),
    ]

    static func encoderLayer(_ a: Arguments) throws -> TransformerEncoderLayer {
        let activation = try a.string("activation", oneOf: ["relu", "gelu"])
        let layer = try TransformerEncoderLayer(a.int("d_model"), a.int("nhead"), dimFeedforward: a.int("dim_feedforward"),
                                                dropout: a.double("dropout"), activation: TransformerActivation(rawValue: activation) ?? .relu,
                                                layerNormEps: a.double("layer_norm_eps"), batchFirst: a.bool("batch_first"),
                                                normFirst: a.bool("norm_first"), bias: a.bool("bias"))
        // torch's Dropout children print p as it was given (dropout=0 prints p=0).
        let pText = try a.value("dropout").description
        for case let (_, dropout as Dropout) in layer.namedChildren { dropout.pText = pText }
        return layer
    }
}
