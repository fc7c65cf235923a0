import EmberTensor

/// What a model file may make Ember build, checked before anything is built:
/// a file that describes a Linear(100000, 100000) but holds a kilobyte of
/// weights is refused before 40 GB are allocated and initialised.
extension ModelFile {
    /// The most modules a model file may describe (large language models have
    /// about a thousand; registering a child searches its siblings, so a limit
    /// also keeps a wide container from taking quadratic time).
    public static let maxModules = 10_000
    /// The deepest nesting of modules (the JSON reader allows 128 levels, two per module).
    public static let maxDepth = 60

    /// Limits for one build from a file: the bytes of the file's tensors under
    /// each module path, which bound what each module may allocate.
    struct Budget {
        var bytesUnder: [String: Int] = [:]
        var modules = 0

        init(_ tensors: [(String, NDArray)]) {
            for (name, array) in tensors {
                let bytes = array.count * array.dtype.itemSize
                var path = Substring(name)
                while true {
                    guard let dot = path.lastIndex(of: ".") else {
                        bytesUnder["", default: 0] &+= bytes
                        break
                    }
                    path = path[..<dot]
                    bytesUnder[String(path), default: 0] &+= bytes
                }
            }
        }

        /// The parameter elements a module at `path` may allocate: twice what the
        /// file holds for it (TransformerEncoder builds a layer before its copies)
        /// plus a little, as float32.
        func allowance(_ path: String) -> Int { (bytesUnder[path] ?? 0) / 2 + 262_144 }
    }

    /// Checks the module count and, for the layers with parameters, that the
    /// constructor would allocate no more than the file's weights allow.
    static func check(_ type: String, _ arguments: Arguments, path: String, budget: inout Budget) throws {
        budget.modules += 1
        guard budget.modules <= maxModules else {
            throw EmberError.io("the architecture describes more than \(maxModules) modules")
        }
        guard let elements = parameterElements(type, arguments) else { return }
        let allowed = budget.allowance(path)
        guard elements <= allowed else {
            throw EmberError.io("\(label(path)) (\(type)) would allocate \(elements == Int.max ? "more than 2^63" : String(elements)) parameter elements but the file holds \(budget.bytesUnder[path] ?? 0) bytes of weights for it")
        }
    }

    /// An upper bound of the parameter and buffer elements the constructor of
    /// `type` allocates, for the layers that allocate any; nil for the others
    /// (and for arguments of the wrong kind, which the constructor reports).
    static func parameterElements(_ type: String, _ a: Arguments) -> Int? {
        func p(_ values: Int...) -> Int {
            var r = 1
            for v in values {
                let (m, o) = r.multipliedReportingOverflow(by: Swift.max(v, 0))
                if o { return Int.max }
                r = m
            }
            return r
        }
        func s(_ values: Int...) -> Int {
            var r = 0
            for v in values {
                let (m, o) = r.addingReportingOverflow(Swift.max(v, 0))
                if o { return Int.max }
                r = m
            }
            return r
        }
        do {
            switch type {
            case "Linear":
                let i = try a.int("in_features"), o = try a.int("out_features")
                return s(p(i, o), o)
            case "Conv1d", "Conv2d", "ConvTranspose2d":
                let k = try a.ints("kernel_size", count: type == "Conv1d" ? 1 : 2).reduce(1) { p($0, $1) }
                let i = try a.int("in_channels"), o = try a.int("out_channels")
                return s(p(i, o, k), o)
            case "Embedding":
                return p(try a.int("num_embeddings"), try a.int("embedding_dim"))
            case "LayerNorm":
                return p(2, try a.intList("normalized_shape").reduce(1) { p($0, $1) })
            case "BatchNorm1d", "BatchNorm2d":
                return s(p(4, try a.int("num_features")), 1)
            case "GroupNorm":
                return p(2, try a.int("num_channels"))
            case "RNN", "GRU", "LSTM":
                let gates = type == "RNN" ? 1 : type == "GRU" ? 3 : 4
                let input = try a.int("input_size"), h = try a.int("hidden_size"), layers = try a.int("num_layers")
                let dirs = try a.bool("bidirectional") ? 2 : 1
                guard layers >= 0 && layers <= 1 << 20 else { return Int.max }
                var total = 0
                for l in 0..<layers {
                    let inputs = l == 0 ? input : p(h, dirs)
                    total = s(total, p(dirs, gates, h, s(inputs, h, 2)))
                }
                return total
            case "MultiheadAttention":
                let e = try a.int("embed_dim")
                let k = try a.optionalInt("kdim") ?? e, v = try a.optionalInt("vdim") ?? e
                return s(p(4, e, Swift.max(e, k, v)), p(6, e))
            case "TransformerEncoderLayer", "TransformerEncoder":
                let d = try a.int("d_model"), ff = try a.int("dim_feedforward")
                let layer = s(p(4, d, d), p(2, d, ff), ff, p(10, d))
                return type == "TransformerEncoder" ? s(p(s(try a.int("num_layers"), 1), layer), p(2, d)) : layer
            default:
                return nil
            }
        } catch {
            return nil
        }
    }
}
