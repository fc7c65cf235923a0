import EmberAutograd
import EmberTensor

/// Multi-head attention (torch.nn.MultiheadAttention): queries, keys and
/// values projected by in_proj_weight/in_proj_bias (or q_proj_weight,
/// k_proj_weight, v_proj_weight when kdim or vdim differ from embed_dim),
/// split into `numHeads` heads, attended with one batched product per head
/// and a fused masked softmax, and projected back by out_proj. Parameter names,
/// shapes, initialisation (from the global generator, in torch's order) and
/// numbers are torch's.
///
/// Shapes: query (L, N, E), key (S, N, kdim), value (S, N, vdim) -- batch
/// first with `batchFirst` -- or unbatched (L, E), (S, kdim), (S, vdim).
/// key_padding_mask (N, S) or (S); attn_mask (L, S) or (N * num_heads, L, S);
/// bool masks are true where attention is not allowed, float masks are added
/// to the scores. Output (L, N, E) and, with need_weights, the attention
/// weights (N, L, S) averaged over heads or (N, num_heads, L, S).
///
/// Several inputs/outputs (forward([Tensor]), ember_module_forward_multi):
/// [query, key, value], optionally followed by key_padding_mask and then
/// attn_mask, where a tensor with no elements stands for "none" (so an
/// attn_mask alone is [q, k, v, empty, attn_mask]). Outputs: [attn_output,
/// attn_weights] when `needWeights`, else [attn_output]. torch's forward
/// arguments need_weights, average_attn_weights and is_causal are the
/// properties `needWeights`, `averageAttnWeights` and `isCausal`.
///
/// ```swift
/// let mha = try MultiheadAttention(128, 4, batchFirst: true)
/// let (y, w) = try mha.forward(query: x, key: x, value: x, attnMask: causal)
/// ```
public final class MultiheadAttention: Module {
    /// torch's embed_dim, num_heads (head_dim = embed_dim / num_heads), kdim and vdim.
    public let embedDim: Int
    public let numHeads: Int
    public let headDim: Int
    public let kdim: Int
    public let vdim: Int
    /// Dropout on the attention weights, in training mode.
    public let dropout: Double
    /// Inputs and output are (N, L, E) rather than (L, N, E).
    public let batchFirst: Bool
    /// Whether a zero key and value are appended to every sequence (torch's add_zero_attn).
    public let addZeroAttn: Bool
    /// Whether query, key and value share one packed projection (kdim == vdim == embed_dim).
    public let qkvSameEmbedDim: Bool

    /// torch's forward argument need_weights, for forward([Tensor]) (default true, as torch).
    public var needWeights = true
    /// torch's forward argument average_attn_weights.
    public var averageAttnWeights = true
    /// torch's forward argument is_causal: a hint that attn_mask is the causal mask.
    public var isCausal = false

    /// torch.nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, add_bias_kv, add_zero_attn,
    /// kdim, vdim, batch_first); embed_dim must be divisible by num_heads.
    public init(_ embedDim: Int, _ numHeads: Int, dropout: Double = 0, bias: Bool = true, addBiasKV: Bool = false,
                addZeroAttn: Bool = false, kdim: Int? = nil, vdim: Int? = nil, batchFirst: Bool = false, dtype: DType = .float32) throws {
        guard embedDim > 0 && numHeads > 0 else {
            throw EmberError.invalidArgument("MultiheadAttention: embed_dim and num_heads must be greater than 0, got embed_dim=\(embedDim) and num_heads=\(numHeads) instead")
        }
        guard embedDim % numHeads == 0 else {
            throw EmberError.invalidArgument("MultiheadAttention: embed_dim must be divisible by num_heads (embed_dim=\(embedDim), num_heads=\(numHeads))")
        }
        guard dropout >= 0 && dropout <= 1 else {
            throw EmberError.invalidArgument("MultiheadAttention: dropout probability has to be between 0 and 1, but got \(dropout)")
        }
        let kdim = kdim ?? embedDim, vdim = vdim ?? embedDim
        guard kdim > 0, vdim > 0 else { throw EmberError.invalidArgument("MultiheadAttention: kdim and vdim must be positive, got \(kdim) and \(vdim)") }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("MultiheadAttention: parameters must be floating, got \(dtype)") }
        let (packed, overflow) = embedDim.multipliedReportingOverflow(by: 3)
        guard !overflow else { throw EmberError.outOfMemory("MultiheadAttention: embed_dim \(embedDim) is too large") }
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.headDim = embedDim / numHeads
        self.kdim = kdim
        self.vdim = vdim
        self.dropout = dropout
        self.batchFirst = batchFirst
        self.addZeroAttn = addZeroAttn
        self.qkvSameEmbedDim = kdim == embedDim && vdim == embedDim
        super.init()
        if qkvSameEmbedDim {
            try registerParameter("in_proj_weight", Tensor(try NDArray.zeros([packed, embedDim], dtype: dtype)))
        } else {
            try registerParameter("q_proj_weight", Tensor(try NDArray.zeros([embedDim, embedDim], dtype: dtype)))
            try registerParameter("k_proj_weight", Tensor(try NDArray.zeros([embedDim, kdim], dtype: dtype)))
            try registerParameter("v_proj_weight", Tensor(try NDArray.zeros([embedDim, vdim], dtype: dtype)))
        }
        if bias { try registerParameter("in_proj_bias", Tensor(try NDArray.zeros([packed], dtype: dtype))) }
        // torch builds out_proj (drawing its default initialisation) before _reset_parameters.
        try registerModule("out_proj", try NonDynamicallyQuantizableLinear(embedDim, embedDim, bias: bias, dtype: dtype))
        if addBiasKV {
            try registerParameter("bias_k", Tensor(try NDArray.zeros([1, 1, embedDim], dtype: dtype)))
            try registerParameter("bias_v", Tensor(try NDArray.zeros([1, 1, embedDim], dtype: dtype)))
        }
        try resetParameters()
    }

    override public var typeName: String { "MultiheadAttention" }
    override public var extraRepr: String { "" }

    var outProj: NonDynamicallyQuantizableLinear {
        get throws {
            guard let m = namedChildren.first(where: { $0.0 == "out_proj" })?.1 as? NonDynamicallyQuantizableLinear else {
                throw EmberError.state("MultiheadAttention: out_proj is missing or not a linear layer")
            }
            return m
        }
    }

    /// torch's _reset_parameters: xavier_uniform_ on the input projections,
    /// zeros for in_proj_bias and out_proj.bias, xavier_normal_ on bias_k and bias_v.
    public func resetParameters() throws {
        for name in qkvSameEmbedDim ? ["in_proj_weight"] : ["q_proj_weight", "k_proj_weight", "v_proj_weight"] {
            if let w = ownParameter(name) { try Init.xavierUniform(w) }
        }
        if let b = ownParameter("in_proj_bias") {
            try Init.zeros(b)
            if let ob = try outProj.bias { try Init.zeros(ob) }
        }
        for name in ["bias_k", "bias_v"] {
            if let b = ownParameter(name) { try Init.xavierNormal(b) }
        }
    }

    // MARK: - Forward

    /// [query, key, value] (+ key_padding_mask, + attn_mask; an empty tensor is "none")
    /// -> [attn_output, attn_weights] with `needWeights`, else [attn_output].
    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard (3...5).contains(inputs.count) else {
            throw EmberError.invalidArgument("MultiheadAttention takes [query, key, value], optionally followed by key_padding_mask and attn_mask (an empty tensor for none), got \(inputs.count) inputs")
        }
        let kpm = inputs.count > 3 && inputs[3].count > 0 ? inputs[3] : nil
        let mask = inputs.count > 4 && inputs[4].count > 0 ? inputs[4] : nil
        let (out, weights) = try forward(query: inputs[0], key: inputs[1], value: inputs[2], keyPaddingMask: kpm, needWeights: needWeights,
                                         attnMask: mask, averageAttnWeights: averageAttnWeights, isCausal: isCausal)
        return weights.map { [out, $0] } ?? [out]
    }

    /// torch's MultiheadAttention.forward: the attention output and, with
    /// `needWeights`, the attention weights (after dropout, as torch returns them).
    public func forward(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor? = nil, needWeights: Bool = true,
                        attnMask: Tensor? = nil, averageAttnWeights: Bool = true, isCausal: Bool = false) throws -> (Tensor, Tensor?) {
        try reportingAsLayer {
            try attend(query, key, value, keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal)
        }
    }

    func attend(_ query: Tensor, _ key: Tensor, _ value: Tensor, _ keyPaddingMask: Tensor?, _ needWeights: Bool, _ attnMask: Tensor?,
                _ averageAttnWeights: Bool, _ isCausal: Bool) throws -> (Tensor, Tensor?) {
        let batched = try checkShapes(query, key, value, keyPaddingMask, attnMask)
        let weightType = (ownParameter("in_proj_weight") ?? ownParameter("q_proj_weight"))?.dtype ?? .float32
        for (name, t) in [("query", query), ("key", key), ("value", value)] where t.dtype != weightType {
            throw EmberError.dtype("\(name) is \(t.dtype) but the parameters are \(weightType)")
        }
        if isCausal && attnMask == nil {
            throw EmberError.invalidArgument("Need attn_mask if specifying the is_causal hint. You may use generate_square_subsequent_mask to create this mask.")
        }
        // Batched batch-first inputs stay batch-major (N, L, E), so that the
        // projections read contiguous rows rather than copy a transposed view;
        // the others are time-major (L, N, E), as torch arranges them. Each
        // element is computed the same way in either arrangement. "is"
        // between query, key and value is kept.
        let batchMajor = batched && batchFirst
        let (seqDim, batchDim) = batchMajor ? (1, 0) : (0, 1)
        func arranged(_ t: Tensor) throws -> Tensor { batched ? t : try t.unsqueeze(1) }
        let q = try arranged(query)
        let k = key === query ? q : try arranged(key)
        let v = value === key ? k : try arranged(value)
        var kpm = try keyPaddingMask.map { try canonicalMask($0, "key_padding_mask", query.dtype) }
        if let m = kpm, !batched { kpm = try m.unsqueeze(0) }
        // torch ignores attn_mask for the causal hint when nothing else needs it.
        let causal = isCausal && kpm == nil && !needWeights
        var mask = causal ? nil : try attnMask.map { try canonicalMask($0, "attn_mask", query.dtype) }

        let (tgtLen, bsz, embed) = (q.shape[seqDim], q.shape[batchDim], q.shape[2])
        guard embed == embedDim else { throw EmberError.shape("was expecting embedding dimension of \(embedDim), but got \(embed) (query shape \(describe(query.shape)))") }
        guard k.shape[batchDim] == bsz, v.shape[batchDim] == bsz, k.shape[seqDim] == v.shape[seqDim] else {
            throw EmberError.shape("key's sequence and batch dims \(describe(key.shape)) do not match value's \(describe(value.shape)) or the query's batch size \(bsz)")
        }
        guard k.shape[2] == kdim, v.shape[2] == vdim else {
            throw EmberError.shape("expected key and value feature sizes kdim=\(kdim) and vdim=\(vdim), got key \(describe(key.shape)) and value \(describe(value.shape))")
        }
        if let m = kpm, m.shape != [bsz, k.shape[seqDim]] {
            throw EmberError.shape("expected key_padding_mask of shape (\(bsz), \(k.shape[seqDim])) (N, S), but got \(describe(keyPaddingMask?.shape ?? m.shape))")
        }
        let (qp, k0, v0) = try project(q, k, v)
        var (kp, vp) = (k0, v0)
        if let m = mask {
            let srcLen = k.shape[seqDim]
            if m.ndim == 2, m.shape != [tgtLen, srcLen] {
                throw EmberError.shape("the shape of the 2D attn_mask is \(describe(m.shape)), but should be (\(tgtLen), \(srcLen))")
            }
            if m.ndim == 3, m.shape != [bsz * numHeads, tgtLen, srcLen] {
                throw EmberError.shape("the shape of the 3D attn_mask is \(describe(m.shape)), but should be (\(bsz * numHeads), \(tgtLen), \(srcLen))")
            }
        }
        if let bk = ownParameter("bias_k"), let bv = ownParameter("bias_v") {
            let one: Dims = batchMajor ? [bsz, 1, embedDim] : [1, bsz, embedDim]
            kp = try Tensor.cat([kp, bk.expand(one)], dim: seqDim)
            vp = try Tensor.cat([vp, bv.expand(one)], dim: seqDim)
            mask = try mask?.pad([0, 1])
            kpm = try kpm?.pad([0, 1])
        }
        // Heads: (N, H, L, head_dim) views of the projections (no copies; the products read strides).
        func heads(_ t: Tensor) throws -> Tensor {
            batchMajor ? try t.reshape([bsz, t.shape[1], numHeads, headDim]).permute([0, 2, 1, 3])
                       : try t.reshape([t.shape[0], bsz, numHeads, headDim]).permute([1, 2, 0, 3])
        }
        let qh = try heads(qp)
        var kh = try heads(kp)
        var vh = try heads(vp)
        if addZeroAttn {
            let zeros = try Tensor.zeros([bsz, numHeads, 1, headDim], dtype: query.dtype)
            kh = try Tensor.cat([kh, zeros], dim: 2)
            vh = try Tensor.cat([vh, zeros], dim: 2)
            mask = try mask?.pad([0, 1])
            kpm = try kpm?.pad([0, 1])
        }
        let srcLen = kh.shape[2]
        var masks: [AttentionMask] = []
        if let m = mask { masks.append(.additive(m.ndim == 3 ? try m.reshape([bsz, numHeads, tgtLen, srcLen]) : m)) }
        if let m = kpm { masks.append(.additive(try m.reshape([bsz, 1, 1, srcLen]))) }
        let scores = try qh.matmul(kh.transpose(-2, -1))
        // torch's need_weights path uses softmax (NaN for a fully masked row), the other one attention's zeros.
        var weights = try scores.attentionSoftmax(scale: 1 / Double(headDim).squareRoot(), masks: masks, causal: causal, safe: !needWeights)
        if training && dropout > 0 { weights = try weights.dropout(p: dropout, training: true) }
        // (N, H, L, hd) -> (L, N, E) row-major before out_proj, in either
        // arrangement: batch-first output is then a transposed view, with
        // torch's strides (a dropout after the layer draws its mask in memory
        // order, so the layout decides which element gets which draw).
        let merged = try weights.matmul(vh).permute([2, 0, 1, 3]).contiguous().reshape([tgtLen * bsz, embedDim])
        let proj = try outProj
        var out = try merged.linear(weight: proj.weight, bias: proj.bias).reshape([tgtLen, bsz, embedDim])
        if batchMajor { out = try out.transpose(0, 1) }
        if !batched { out = try out.squeeze(1) }
        guard needWeights else { return (out, nil) }
        var w = averageAttnWeights ? try weights.mean(dims: [1]) : weights
        if !batched { w = try w.squeeze(0) }
        return (out, w)
    }

    /// torch's _mha_shape_check: whether the input is batched, or an error.
    func checkShapes(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ kpm: Tensor?, _ mask: Tensor?) throws -> Bool {
        switch q.ndim {
        case 3:
            guard k.ndim == 3, v.ndim == 3 else {
                throw EmberError.shape("for batched (3-D) query, expected key and value to be 3-D but found \(k.ndim)-D and \(v.ndim)-D tensors respectively (query \(describe(q.shape)), key \(describe(k.shape)), value \(describe(v.shape)))")
            }
            if let kpm, kpm.ndim != 2 {
                throw EmberError.shape("for batched (3-D) query, expected key_padding_mask to be None or 2-D but found \(kpm.ndim)-D tensor instead (shape \(describe(kpm.shape)))")
            }
            if let mask, mask.ndim != 2 && mask.ndim != 3 {
                throw EmberError.shape("for batched (3-D) query, expected attn_mask to be None, 2-D or 3-D but found \(mask.ndim)-D tensor instead (shape \(describe(mask.shape)))")
            }
            return true
        case 2:
            guard k.ndim == 2, v.ndim == 2 else {
                throw EmberError.shape("for unbatched (2-D) query, expected key and value to be 2-D but found \(k.ndim)-D and \(v.ndim)-D tensors respectively (query \(describe(q.shape)), key \(describe(k.shape)), value \(describe(v.shape)))")
            }
            if let kpm, kpm.ndim != 1 {
                throw EmberError.shape("for unbatched (2-D) query, expected key_padding_mask to be None or 1-D but found \(kpm.ndim)-D tensor instead (shape \(describe(kpm.shape)))")
            }
            if let mask {
                guard mask.ndim == 2 || mask.ndim == 3 else {
                    throw EmberError.shape("for unbatched (2-D) query, expected attn_mask to be None, 2-D or 3-D but found \(mask.ndim)-D tensor instead (shape \(describe(mask.shape)))")
                }
                let expected: Dims = [numHeads, q.shape[0], k.shape[0]]
                if mask.ndim == 3 && mask.shape != expected {
                    throw EmberError.shape("expected attn_mask shape to be \(describe(expected)) but got \(describe(mask.shape))")
                }
            }
            return false
        default:
            throw EmberError.shape("query should be unbatched 2D or batched 3D tensor but received \(q.ndim)-D query tensor (shape \(describe(q.shape)))")
        }
    }

    /// torch's _canonical_mask: bool masks become 0 / -inf in the query's dtype; float masks stay.
    func canonicalMask(_ m: Tensor, _ name: String, _ dtype: DType) throws -> Tensor {
        switch m.dtype {
        case .bool: return try Tensor.zeros(m.shape, dtype: dtype).maskedFill(m, -.infinity)
        case dtype: return m
        case .float32, .float64: throw EmberError.dtype("\(name) is \(m.dtype) but the query is \(dtype); use the query's dtype or a bool mask")
        case .int64: throw EmberError.dtype("only bool and floating types of \(name) are supported, got \(m.dtype)")
        }
    }

    /// The input projections (torch's _in_projection_packed / _in_projection).
    func project(_ q: Tensor, _ k: Tensor, _ v: Tensor) throws -> (Tensor, Tensor, Tensor) {
        let b = try ownParameter("in_proj_bias")?.chunk(3)
        if qkvSameEmbedDim, let w = ownParameter("in_proj_weight") {
            // One product per projection, with slices of the packed weight:
            // the gradients of the weight's slices are small to put back
            // together, where those of slices of one packed (batch, 3E)
            // product would each be a batch-sized array of zeros.
            let ws = try w.chunk(3)
            return (try q.linear(weight: ws[0], bias: b?[0]), try k.linear(weight: ws[1], bias: b?[1]), try v.linear(weight: ws[2], bias: b?[2]))
        }
        guard let wq = ownParameter("q_proj_weight"), let wk = ownParameter("k_proj_weight"), let wv = ownParameter("v_proj_weight") else {
            throw EmberError.state("MultiheadAttention: the projection weights are missing")
        }
        return (try q.linear(weight: wq, bias: b?[0]), try k.linear(weight: wk, bias: b?[1]), try v.linear(weight: wv, bias: b?[2]))
    }
}

/// out_proj of MultiheadAttention: a Linear under torch's class name for it
/// (torch.nn.modules.linear.NonDynamicallyQuantizableLinear), with Linear's
/// initialisation and repr.
public final class NonDynamicallyQuantizableLinear: Module {
    /// The input and output sizes.
    public let inFeatures: Int
    public let outFeatures: Int

    /// As Linear(in_features, out_features, bias), drawing the same initial values.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32) throws {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        super.init()
        try registerParameter("weight", Tensor(try NDArray.zeros([outFeatures, inFeatures], dtype: dtype)))
        if bias { try registerParameter("bias", Tensor(try NDArray.zeros([outFeatures], dtype: dtype))) }
        // Linear's reset_parameters: kaiming_uniform(a = sqrt(5)), then U(+-1/sqrt(fan_in)) for the bias.
        try Init.kaimingUniform(weight, a: 5.0.squareRoot())
        if let b = self.bias, inFeatures > 0 {
            let bound = 1 / Double(inFeatures).squareRoot()
            try Init.uniform(b, from: -bound, to: bound)
        }
    }

    override public var typeName: String { "NonDynamicallyQuantizableLinear" }
    override public var extraRepr: String { "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias == nil ? "False" : "True")" }

    /// The (out_features, in_features) weight and the optional bias.
    public var weight: Tensor { ownParameter("weight")! }
    public var bias: Tensor? { ownParameter("bias") }

    override public func forward(_ input: Tensor) throws -> Tensor { try input.linear(weight: weight, bias: bias) }
}

extension ModuleRegistry {
    /// MultiheadAttention, with torch's forward arguments need_weights,
    /// average_attn_weights and is_causal as extra keyword arguments (they set
    /// the module's forward options; torch passes them to forward).
    static let attentionModules: [String: Entry] = [
        "MultiheadAttention": Entry([.init("embed_dim"), .init("num_heads"), .init("dropout", .double(0)), .init("bias", .bool(true)),
                                     .init("add_bias_kv", .bool(false)), .init("add_zero_attn", .bool(false)),
                                     .init("kdim", ArgumentValue.none), .init("vdim", ArgumentValue.none), .init("batch_first", .bool(false)),
                                     .init("need_weights", .bool(true)), .init("average_attn_weights", .bool(true)),
                                     .init("is_causal", .bool(false))]) { a in
            let m = try MultiheadAttention(a.int("embed_dim"), a.int("num_heads"), dropout: a.double("dropout"), bias: a.bool("bias"),
                                           addBiasKV: a.bool("add_bias_kv"), addZeroAttn: a.bool("add_zero_attn"),
                                           kdim: a.optionalInt("kdim"), vdim: a.optionalInt("vdim"), batchFirst: a.bool("batch_first"))
            m.needWeights = try a.bool("need_weights")
            m.averageAttnWeights = try a.bool("average_attn_weights")
            m.isCausal = try a.bool("is_causal")
            return m
        },
    ]
}
