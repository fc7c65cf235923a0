import EmberAutograd
import EmberTensor

/// A lookup table of `numEmbeddings` vectors of size `embeddingDim`
/// (torch.nn.Embedding): int64 indices of any shape in, their rows out
/// (shape + [embeddingDim]). The weight is drawn from N(0, 1) as torch draws
/// it, with the `paddingIdx` row zeroed; that row never receives a gradient.
///
/// ```swift
/// let emb = try Embedding(96, 128, paddingIdx: 0)
/// let h = try emb(tokens)   // tokens: (B, T) int64 -> (B, T, 128)
/// ```
public final class Embedding: Module {
    /// The table's size: rows and the length of each vector.
    public let numEmbeddings: Int
    public let embeddingDim: Int
    /// The row that gets no gradient (normalised: negative values count from the end).
    public let paddingIdx: Int?
    /// Rows looked up whose norm exceeds this are renormalised in place first (torch's max_norm).
    public var maxNorm: Double?
    /// The p of the max_norm renormalisation's p-norm.
    public var normType: Double
    /// Whether each row's gradient is divided by how often its index occurs in the batch.
    public var scaleGradByFreq: Bool
    /// How torch would print max_norm and norm_type (an integer stays one).
    var maxNormText: String?, normTypeText: String

    /// torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
    /// scale_grad_by_freq, sparse, _freeze); sparse gradients are not supported.
    public init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, maxNorm: Double? = nil, normType: Double = 2,
                scaleGradByFreq: Bool = false, sparse: Bool = false, freeze: Bool = false, dtype: DType = .float32) throws {
        guard numEmbeddings >= 0, embeddingDim >= 0 else {
            throw EmberError.invalidArgument("Embedding: num_embeddings and embedding_dim must be non-negative, got \(numEmbeddings) and \(embeddingDim)")
        }
        guard !sparse else {
            throw EmberError.invalidArgument("Embedding: sparse gradients are not supported; use sparse=False (dense gradients)")
        }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("Embedding: the weight must be floating, got \(dtype)") }
        if let p = paddingIdx, p >= numEmbeddings || p < -numEmbeddings {
            throw EmberError.invalidArgument("Embedding: padding_idx must be within num_embeddings (padding_idx=\(p), num_embeddings=\(numEmbeddings))")
        }
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = paddingIdx.map { $0 < 0 ? numEmbeddings + $0 : $0 }
        self.maxNorm = maxNorm
        self.normType = normType
        self.scaleGradByFreq = scaleGradByFreq
        self.maxNormText = maxNorm.map { ArgumentValue.double($0).description }
        self.normTypeText = ArgumentValue.double(normType).description
        super.init()
        let weight = Tensor(try NDArray(empty: [numEmbeddings, embeddingDim], dtype: dtype))
        try registerParameter("weight", weight)
        try resetParameters()
        if freeze { try weight.setRequiresGrad(false) }
    }

    override public var typeName: String { "Embedding" }

    /// The (num_embeddings, embedding_dim) table.
    public var weight: Tensor { ownParameter("weight")! }

    /// torch's reset_parameters: normal_(0, 1), then the padding row set to zero.
    public func resetParameters() throws {
        try Init.normal(weight)
        if let p = paddingIdx, embeddingDim > 0 {
            Kernels.fill(try weight.array.selected(dim: 0, index: p), with: 0)
        }
    }

    override public var extraRepr: String {
        var s = "\(numEmbeddings), \(embeddingDim)"
        if let paddingIdx { s += ", padding_idx=\(paddingIdx)" }
        if let maxNormText { s += ", max_norm=\(maxNormText)" }
        if normType != 2 { s += ", norm_type=\(normTypeText)" }
        if scaleGradByFreq { s += ", scale_grad_by_freq=True" }
        return s
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try reportingAsLayer {
            try Tensor.embedding(input, weight: weight, paddingIdx: paddingIdx, maxNorm: maxNorm, normType: normType,
                                 scaleGradByFreq: scaleGradByFreq)
        }
    }
}

/// Zeroes each element with probability `p` and scales the others by
/// 1 / (1 - p) in training mode; the identity in evaluation mode
/// (torch.nn.Dropout). The mask comes from the global generator exactly as
/// torch draws it, so the same seed drops the same elements.
public final class Dropout: Module {
    /// The probability of zeroing an element.
    public let p: Double
    /// Whether the input itself is multiplied by the mask (torch's inplace=True).
    public let inplace: Bool
    /// How torch would print p (an integer stays one).
    var pText: String

    /// torch.nn.Dropout(p, inplace); p must be in [0, 1].
    public init(_ p: Double = 0.5, inplace: Bool = false) throws {
        guard p >= 0 && p <= 1 else {
            throw EmberError.invalidArgument("Dropout: dropout probability has to be between 0 and 1, but got \(p)")
        }
        self.p = p
        self.inplace = inplace
        self.pText = ArgumentValue.double(p).description
        super.init()
    }

    override public var typeName: String { "Dropout" }
    override public var extraRepr: String { "p=\(pText), inplace=\(inplace ? "True" : "False")" }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try reportingAsLayer {
            inplace ? try input.dropout_(p: p, training: training) : try input.dropout(p: p, training: training)
        }
    }
}

/// Normalises over the trailing `normalizedShape` dims (torch.nn.LayerNorm),
/// with a learned elementwise weight (ones) and bias (zeros) when
/// `elementwiseAffine`; a fused kernel forward and backward.
///
/// ```swift
/// let norm = try LayerNorm([128])
/// let y = try norm(x)   // x: (B, T, 128)
/// ```
public final class LayerNorm: Module {
    /// The trailing dims normalised over.
    public let normalizedShape: Dims
    /// Added to the variance before the square root.
    public let eps: Double
    /// Whether there is a learned weight (and, unless bias=False, bias).
    public let elementwiseAffine: Bool

    /// torch.nn.LayerNorm(normalized_shape, eps, elementwise_affine, bias).
    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                dtype: DType = .float32) throws {
        let shape = try Dims(checking: normalizedShape)
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw EmberError.invalidArgument("LayerNorm: normalized_shape must hold non-negative sizes, got \(describe(normalizedShape))")
        }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("LayerNorm: parameters must be floating, got \(dtype)") }
        self.normalizedShape = shape
        self.eps = eps
        self.elementwiseAffine = elementwiseAffine
        super.init()
        if elementwiseAffine {
            try registerParameter("weight", Tensor(try NDArray.ones(shape, dtype: dtype)))
            if bias { try registerParameter("bias", Tensor(try NDArray.zeros(shape, dtype: dtype))) }
        }
    }

    override public var typeName: String { "LayerNorm" }

    /// The elementwise weight and bias (nil without elementwise_affine or bias).
    public var weight: Tensor? { ownParameter("weight") }
    public var bias: Tensor? { ownParameter("bias") }

    override public var extraRepr: String {
        let shape = "(" + normalizedShape.map(String.init).joined(separator: ", ") + (normalizedShape.count == 1 ? ",)" : ")")
        let affine = elementwiseAffine ? "True" : "False"
        return "\(shape), eps=\(ArgumentValue.double(eps)), elementwise_affine=\(affine), bias=\(bias == nil ? "False" : "True")"
    }

    override public func forward(_ input: Tensor) throws -> Tensor {
        try reportingAsLayer { try input.layerNorm(normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps) }
    }
}

extension Module {
    /// Runs `body`, prefixing the message of an EmberError it throws with this
    /// layer's type name, so that a failure deep in a model names the layer.
    func reportingAsLayer<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as EmberError where !error.message.hasPrefix(typeName + ":") {
            throw EmberError(error.kind, "\(typeName): \(error.message)")
        }
    }
}

extension ModuleRegistry {
    /// Embedding, Dropout, LayerNorm.
    static let embeddingModules: [String: Entry] = [
        "Embedding": Entry([.init("num_embeddings"), .init("embedding_dim"), .init("padding_idx", ArgumentValue.none),
                            .init("max_norm", ArgumentValue.none), .init("norm_type", .double(2)),
                            .init("scale_grad_by_freq", .bool(false)), .init("sparse", .bool(false)), .init("_weight", ArgumentValue.none),
                            .init("_freeze", .bool(false))]) { a in
            guard case .none = try a.value("_weight") else {
                throw EmberError.invalidArgument("Embedding: _weight cannot be given in an argument string; set the weight after construction (ember_module_parameter and ember_tensor_copy_from)")
            }
            let m = try Embedding(a.int("num_embeddings"), a.int("embedding_dim"), paddingIdx: a.optionalInt("padding_idx"),
                                  maxNorm: a.optionalDouble("max_norm"), normType: a.double("norm_type"),
                                  scaleGradByFreq: a.bool("scale_grad_by_freq"), sparse: a.bool("sparse"), freeze: a.bool("_freeze"))
            if m.maxNorm != nil { m.maxNormText = try a.value("max_norm").description }
            m.normTypeText = try a.value("norm_type").description
            return m
        },
        "Dropout": Entry([.init("p", .double(0.5)), .init("inplace", .bool(false))]) { a in
            let m = try Dropout(a.double("p"), inplace: a.bool("inplace"))
            m.pText = try a.value("p").description
            return m
        },
        "LayerNorm": Entry([.init("normalized_shape"), .init("eps", .double(1e-5)), .init("elementwise_affine", .bool(true)),
                            .init("bias", .bool(true))]) { a in
            try LayerNorm(a.intList("normalized_shape"), eps: a.double("eps"), elementwiseAffine: a.bool("elementwise_affine"),
                          bias: a.bool("bias"))
        },
    ]
}
