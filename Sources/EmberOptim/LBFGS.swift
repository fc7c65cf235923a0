import EmberAutograd
import EmberNN
import EmberTensor

/// L-BFGS (torch.optim.LBFGS) with torch's options and defaults: "lr" (1),
/// "max_iter" (20), "max_eval" (max_iter * 5 / 4 unless set), "tolerance_grad"
/// (1e-7), "tolerance_change" (1e-9), "history_size" (100), "line_search_fn"
/// (0 = none, 1 = "strong_wolfe"), "maximize" (0). One parameter group only.
///
/// A step needs a closure that re-evaluates the model and returns the loss
/// (with gradients computed); it may be called up to max_eval times.
///
/// ```swift
/// let opt = try LBFGS(parameters: model.parameters(), lr: 1)
/// try opt.step { opt.zeroGrad(); let loss = try f(); try loss.backward(); return try loss.item() }
/// ```
///
/// The algorithm works on the parameters flattened into one float64 vector
/// (torch keeps it in the parameters' dtype, so float32 models see slightly
/// different rounding). Its state lives under parameter 0, as in torch:
/// "func_evals", "n_iter" (int64), "d", "prev_flat_grad", "old_dirs.<k>",
/// "old_stps.<k>" (float64 vectors), "t", "ro.<k>", "H_diag", "prev_loss"
/// (0-dim float64).
public final class LBFGS: Optimizer {
    /// Whether max_eval was set explicitly; otherwise it follows max_iter.
    var maxEvalGiven = false

    /// The memory of the method between steps (torch's state[params[0]]).
    struct Memory {
        var funcEvals = 0
        var nIter = 0
        var d: [Double]? = nil
        var t: Double? = nil
        var oldDirs: [[Double]] = []
        var oldStps: [[Double]] = []
        var ro: [Double] = []
        var hDiag: Double? = nil
        var prevFlatGrad: [Double]? = nil
        var prevLoss: Double? = nil
    }

    var memory = Memory()
    /// Whether a step has run (or state was loaded), so that state export lists the memory.
    var hasMemory = false

    /// An optimizer over `parameters` (kept alive) with learning rate `lr` and torch's defaults for the other options.
    public init(parameters: [Tensor], lr: Double) throws {
        try super.init(parameters: parameters, defaults: [
            "lr": lr, "max_iter": 20, "max_eval": 25, "tolerance_grad": 1e-7, "tolerance_change": 1e-9,
            "history_size": 100, "line_search_fn": 0, "maximize": 0,
        ])
    }

    override public var typeName: String { "LBFGS" }

    override var supportsParamGroups: Bool { false }

    override public func validate(_ name: String, _ value: Double) throws {
        switch name {
        case "max_iter", "max_eval": try checkCount(name, value, minimum: 0)
        case "history_size": try checkCount(name, value, minimum: 1)
        case "line_search_fn":
            guard value == 0 || value == 1 else {
                throw EmberError.invalidArgument("LBFGS: line_search_fn must be 0 (None) or 1 ('strong_wolfe'), got \(value)")
            }
        default: try validateCommon(name, value)
        }
    }

    override public func didSet(_ name: String, _ value: Double, in group: ParamGroup) {
        // torch: max_eval = max_iter * 5 // 4 when it is not given.
        if name == "max_eval" { maxEvalGiven = true }
        if name == "max_iter" && !maxEvalGiven { group.options["max_eval"] = (value * 5 / 4).rounded(.down) }
    }

    override public func step() throws {
        throw EmberError.invalidArgument("LBFGS: step needs a closure that reevaluates the model and returns the loss")
    }

    // MARK: - State export and import (torch keeps it all under parameter 0)

    override public var stateKeys: [String] {
        ["func_evals", "n_iter", "d", "t", "old_dirs.<k>", "old_stps.<k>", "ro.<k>", "H_diag", "prev_flat_grad", "prev_loss"]
    }

    var totalCount: Int { params.reduce(0) { $0 + $1.count } }

    override public func stateShape(forKey key: String, parameterIndex index: Int) -> StateShape? {
        guard index == 0 else { return nil }
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let k = Int(parts[1]), k >= 0, String(k) == parts[1] else { return nil }
            switch parts[0] {
            case "old_dirs", "old_stps": return .vector(.float64, totalCount)
            case "ro": return .scalar(.float64)
            default: return nil
            }
        }
        switch key {
        case "func_evals", "n_iter": return .scalar(.int64)
        case "t", "H_diag", "prev_loss": return .scalar(.float64)
        case "d", "prev_flat_grad": return .vector(.float64, totalCount)
        default: return nil
        }
    }

    override public func requiredStateKeys(parameterIndex index: Int) -> [String] { index == 0 ? ["func_evals", "n_iter"] : [] }

    override public func stateConsistencyProblems(_ loaded: [Int: [String: NDArray]], parameterCount: Int) -> [String] {
        guard let s = loaded[0] else { return [] }
        var problems: [String] = []
        let counts = ["old_dirs", "old_stps", "ro"].map { list in s.keys.filter { $0.hasPrefix(list + ".") }.count }
        if Set(counts).count != 1 {
            problems.append("'state.0.old_dirs.<k>', 'state.0.old_stps.<k>' and 'state.0.ro.<k>' must come in equal numbers, got \(counts[0]), \(counts[1]) and \(counts[2])")
        } else {
            for list in ["old_dirs", "old_stps", "ro"] {
                for k in 0..<counts[0] where s["\(list).\(k)"] == nil { problems.append("'state.0.\(list).\(k)' is missing") }
            }
        }
        for key in ["func_evals", "n_iter"] {
            if let v = s[key], !(v.value(at: []) >= 0 && v.value(at: []) < 9e15) { problems.append("'state.0.\(key)' must be >= 0 and in range") }
        }
        if let n = s["n_iter"]?.value(at: []), n > 0 {
            for key in ["d", "t", "H_diag", "prev_flat_grad", "prev_loss"] where s[key] == nil {
                problems.append("'state.0.\(key)' is missing (n_iter is \(n.magnitude < 9e15 ? String(Int(n)) : String(n)))")
            }
        }
        return problems
    }

    override public func exportedParameterState() throws -> [(Int, String, NDArray)] {
        guard hasMemory else { return [] }
        let m = memory
        func vector(_ v: [Double]) throws -> NDArray { try NDArray.copying(v, dtype: .float64, shape: [v.count]) }
        func number(_ v: Double, _ dtype: DType = .float64) throws -> NDArray { try NDArray.full([], value: v, dtype: dtype) }
        var out: [(Int, String, NDArray)] = [(0, "func_evals", try number(Double(m.funcEvals), .int64)),
                                             (0, "n_iter", try number(Double(m.nIter), .int64))]
        if let d = m.d { out.append((0, "d", try vector(d))) }
        if let t = m.t { out.append((0, "t", try number(t))) }
        for (k, v) in m.oldDirs.enumerated() { out.append((0, "old_dirs.\(k)", try vector(v))) }
        for (k, v) in m.oldStps.enumerated() { out.append((0, "old_stps.\(k)", try vector(v))) }
        for (k, v) in m.ro.enumerated() { out.append((0, "ro.\(k)", try number(v))) }
        if let h = m.hDiag { out.append((0, "H_diag", try number(h))) }
        if let g = m.prevFlatGrad { out.append((0, "prev_flat_grad", try vector(g))) }
        if let l = m.prevLoss { out.append((0, "prev_loss", try number(l))) }
        return out
    }

    override public func didLoadState() {
        // The loaded entries arrive in `state`; the method keeps them as vectors.
        let s = params.first.flatMap { state[ObjectIdentifier($0)] } ?? [:]
        state = [:]
        maxEvalGiven = true
        hasMemory = !s.isEmpty
        var m = Memory()
        func scalar(_ key: String) -> Double? { s[key]?.value(at: []) }
        m.funcEvals = Int(scalar("func_evals") ?? 0)
        m.nIter = Int(scalar("n_iter") ?? 0)
        m.d = s["d"]?.toDoubles()
        m.t = scalar("t")
        let count = s.keys.filter { $0.hasPrefix("ro.") }.count
        m.oldDirs = (0..<count).map { s["old_dirs.\($0)"]!.toDoubles() }
        m.oldStps = (0..<count).map { s["old_stps.\($0)"]!.toDoubles() }
        m.ro = (0..<count).map { scalar("ro.\($0)")! }
        m.hDiag = scalar("H_diag")
        m.prevFlatGrad = s["prev_flat_grad"]?.toDoubles()
        m.prevLoss = scalar("prev_loss")
        memory = m
    }

    // MARK: - Flat views of the parameters

    var params: [Tensor] { paramGroups[0].params }

    /// The gradients as one vector (zeros where a parameter has none), negated when maximizing.
    func gatherFlatGrad(_ maximize: Bool) -> [Double] {
        var flat: [Double] = []
        flat.reserveCapacity(params.reduce(0) { $0 + $1.count })
        for p in params {
            if let g = p.grad { flat.append(contentsOf: g.toDoubles()) } else { flat.append(contentsOf: repeatElement(0, count: p.count)) }
        }
        if maximize { for i in flat.indices { flat[i] = -flat[i] } }
        return flat
    }

    /// p += t * d, parameter by parameter (torch's _add_grad).
    func addGrad(_ t: Double, _ d: [Double]) throws {
        var offset = 0
        for p in params {
            let n = p.count
            try inPlace(p) { values in
                switch p.dtype {
                case .float32:
                    let v = values.pointer(Float.self), s = Float(t)
                    for i in 0..<n { v[i] = v[i] + s * Float(d[offset + i]) }
                default:
                    let v = values.pointer(Double.self)
                    for i in 0..<n { v[i] = v[i] + t * d[offset + i] }
                }
            }
            offset += n
        }
    }

    // MARK: - The step

    @discardableResult
    override public func step(closure: () throws -> Double) throws -> Double {
        let o = paramGroups[0].options
        let lr = o["lr"]!, maxIter = Int(o["max_iter"]!), maxEval = Int(o["max_eval"]!)
        let toleranceGrad = o["tolerance_grad"]!, toleranceChange = o["tolerance_change"]!
        let historySize = Int(o["history_size"]!), strongWolfeSearch = o["line_search_fn"] == 1, maximize = o["maximize"] == 1
        func evaluate() throws -> Double {
            let loss = try GradMode.with(true) { try closure() }
            return maximize ? -loss : loss
        }

        // The memory is committed only when the step completes.
        var mem = memory
        let origLoss = try GradMode.with(true) { try closure() }
        var loss = maximize ? -origLoss : origLoss
        var currentEvals = 1
        mem.funcEvals += 1
        var flatGrad = gatherFlatGrad(maximize)
        var optimal = maxAbs(flatGrad) <= toleranceGrad
        if optimal {
            (memory, hasMemory) = (mem, true)
            return origLoss
        }
        // A loaded state must fit these parameters (load checks it; this keeps a step from trapping).
        let n = flatGrad.count
        if mem.nIter > 0 && (mem.d?.count != n || mem.prevFlatGrad?.count != n || mem.t == nil || mem.hDiag == nil
                             || mem.oldDirs.contains { $0.count != n } || mem.oldStps.contains { $0.count != n }
                             || mem.ro.count != mem.oldDirs.count || mem.oldStps.count != mem.oldDirs.count) {
            throw EmberError.state("LBFGS: the optimizer state does not fit its \(n) parameter values")
        }

        var d = mem.d ?? [], t = mem.t ?? lr, hDiag = mem.hDiag ?? 1
        var prevFlatGrad = mem.prevFlatGrad ?? [], prevLoss = mem.prevLoss ?? loss
        var nIter = 0
        while nIter < maxIter {
            nIter += 1
            mem.nIter += 1

            // The descent direction.
            if mem.nIter == 1 {
                d = flatGrad.map { -$0 }
                mem.oldDirs = []
                mem.oldStps = []
                mem.ro = []
                hDiag = 1
            } else {
                var y = flatGrad, s = d
                for i in y.indices { y[i] = y[i] - prevFlatGrad[i]; s[i] = s[i] * t }
                let ys = dot(y, s)
                if ys > 1e-10 {
                    if mem.oldDirs.count == historySize {
                        mem.oldDirs.removeFirst()
                        mem.oldStps.removeFirst()
                        mem.ro.removeFirst()
                    }
                    mem.oldDirs.append(y)
                    mem.oldStps.append(s)
                    mem.ro.append(1.0 / ys)
                    hDiag = ys / dot(y, y)
                }
                // The two-loop recursion: d = -H g with the limited-memory inverse Hessian.
                let count = mem.oldDirs.count
                var al = [Double](repeating: 0, count: count)
                var q = flatGrad.map { -$0 }
                for i in stride(from: count - 1, through: 0, by: -1) {
                    al[i] = dot(mem.oldStps[i], q) * mem.ro[i]
                    let a = -al[i], dir = mem.oldDirs[i]
                    for j in q.indices { q[j] = q[j] + a * dir[j] }
                }
                for j in q.indices { q[j] = q[j] * hDiag }
                for i in 0..<count {
                    let be = dot(mem.oldDirs[i], q) * mem.ro[i]
                    let a = al[i] - be, stp = mem.oldStps[i]
                    for j in q.indices { q[j] = q[j] + a * stp[j] }
                }
                d = q
            }
            prevFlatGrad = flatGrad
            prevLoss = loss

            // The step length: reset the initial guess.
            t = mem.nIter == 1 ? pyMin(1.0, 1.0 / flatGrad.reduce(0) { $0 + abs($1) }) * lr : lr
            let gtd = dot(flatGrad, d)
            if gtd > -toleranceChange { break }

            var lsEvaluations = 0
            if strongWolfeSearch {
                let start = try params.map { try $0.array.contiguous(force: true) }
                let direction = d
                let found = try strongWolfe({ step in
                    try addGrad(step, direction)
                    let f = try evaluate()
                    let g = gatherFlatGrad(maximize)
                    for (p, x) in zip(params, start) { try p.copyValues(from: x) }
                    return (f, g)
                }, t: t, d: d, f: loss, g: flatGrad, gtd: gtd, maxLS: maxEval - currentEvals)
                (loss, flatGrad, t, lsEvaluations) = (found.loss, found.grad, found.t, found.evaluations)
                try addGrad(t, d)
                optimal = maxAbs(flatGrad) <= toleranceGrad
            } else {
                try addGrad(t, d)
                if nIter != maxIter {
                    // Re-evaluate only if not in the last iteration: in a stochastic
                    // setting there is no use re-evaluating here.
                    loss = try evaluate()
                    flatGrad = gatherFlatGrad(maximize)
                    optimal = maxAbs(flatGrad) <= toleranceGrad
                    lsEvaluations = 1
                }
            }
            currentEvals += lsEvaluations
            mem.funcEvals += lsEvaluations

            // Stopping conditions.
            if nIter == maxIter || currentEvals >= maxEval || optimal { break }
            if maxAbs(d.map { $0 * t }) <= toleranceChange { break }
            if abs(loss - prevLoss) < toleranceChange { break }
        }
        (mem.d, mem.t, mem.hDiag, mem.prevFlatGrad, mem.prevLoss) = (d, t, hDiag, prevFlatGrad, prevLoss)
        (memory, hasMemory) = (mem, true)
        return origLoss
    }
}
