import EmberAutograd
import EmberTensor

/// What a state entry must look like to be loaded.
public enum StateShape: Equatable, Sendable {
    /// The parameter's shape and dtype (moments, buffers).
    case likeParameter
    /// A 0-dim tensor of this dtype (step counts, scalars).
    case scalar(DType)
    /// A 1-D tensor of this dtype and length (LBFGS's flat vectors).
    case vector(DType, Int)
}

/// torch's state_dict as a flat list of named tensors, so that it can be
/// written to a checkpoint (safetensors) and read back:
///
///     state.<i>.<key>            per-parameter state of parameter i (numbered
///                                across groups in order), e.g. "state.0.exp_avg",
///                                "state.3.step" (0-dim float32, as torch keeps it)
///     param_groups.<g>.<option>  every option of group g, 0-dim float64
///                                ("param_groups.0.lr", "param_groups.1.beta1"),
///                                and what schedulers added ("initial_lr", ...)
///     param_groups.<g>.params    the indices of group g's parameters, int64
///
/// Loading is strict: every name must be one this optimizer knows, with the
/// right shape and dtype, every option of every group must be present, and
/// each parameter with state must have all of its required entries.
extension Optimizer {
    /// The per-parameter entries in export order: (parameter index, key, live array).
    func parameterStateEntries() -> [(Int, String, NDArray)] {
        var out: [(Int, String, NDArray)] = []
        for (i, p) in allParameters.enumerated() {
            guard let s = state[ObjectIdentifier(p)] else { continue }
            let order = stateKeys
            let keys = s.keys.sorted { a, b in
                let ra = order.firstIndex(of: a) ?? order.count, rb = order.firstIndex(of: b) ?? order.count
                return ra != rb ? ra < rb : a < b
            }
            for k in keys { out.append((i, k, s[k]!)) }
        }
        return out
    }

    /// Every exported entry, in order; per-parameter state refers to the live
    /// arrays, options are fresh 0-dim tensors. Copy before handing them out.
    public func stateEntries() throws -> [(String, NDArray)] {
        var out: [(String, NDArray)] = try exportedParameterState().map { ("state.\($0.0).\($0.1)", $0.2) }
        var first = 0
        for (g, group) in paramGroups.enumerated() {
            for name in optionNames { out.append(("param_groups.\(g).\(name)", try NDArray.full([], value: group.options[name] ?? 0, dtype: .float64))) }
            for name in ParamGroup.extraNames {
                if let v = group.extras[name] { out.append(("param_groups.\(g).\(name)", try NDArray.full([], value: v, dtype: .float64))) }
            }
            let indices = (first..<first + group.params.count).map(Double.init)
            out.append(("param_groups.\(g).params", try NDArray.copying(indices, dtype: .float64, shape: [indices.count]).cast(to: .int64)))
            first += group.params.count
        }
        return out
    }

    /// The names stateEntries() gives, without making any tensor.
    public func stateNames() throws -> [String] {
        var out = try exportedParameterState().map { "state.\($0.0).\($0.1)" }
        for (g, group) in paramGroups.enumerated() {
            out += optionNames.map { "param_groups.\(g).\($0)" }
            out += ParamGroup.extraNames.filter { group.extras[$0] != nil }.map { "param_groups.\(g).\($0)" }
            out.append("param_groups.\(g).params")
        }
        return out
    }

    /// The full state as named tensors (copies, so later steps do not change them).
    public func stateDict() throws -> [(String, NDArray)] {
        try stateEntries().map { ($0.0, try $0.1.contiguous(force: true)) }
    }

    /// Replaces the whole state (per-parameter state, every group's options)
    /// with `entries`, as torch's load_state_dict; checks everything first and
    /// changes nothing on failure, reporting every mismatch in one message.
    public func loadStateDict(_ entries: [(String, NDArray)]) throws {
        let params = allParameters
        var problems: [String] = []
        var seen = Set<String>()
        var loaded: [Int: [String: NDArray]] = [:]
        var options = [[String: Double]](repeating: [:], count: paramGroups.count)
        var extras = [[String: Double]](repeating: [:], count: paramGroups.count)
        var membership = [Bool](repeating: false, count: paramGroups.count)
        var first = 0
        let firstIndex = paramGroups.map { g -> Int in defer { first += g.params.count }; return first }

        for (name, array) in entries {
            guard seen.insert(name).inserted else { problems.append("'\(name)' is given twice"); continue }
            let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, let index = Int(parts[1]), index >= 0, String(index) == parts[1] else {
                problems.append("unexpected name '\(name)'")
                continue
            }
            let key = parts[2]
            switch parts[0] {
            case "state":
                guard index < params.count else {
                    problems.append("'\(name)' refers to parameter \(index) but the optimizer has \(params.count) parameters")
                    continue
                }
                guard let shape = stateShape(forKey: key, parameterIndex: index) else {
                    problems.append("unexpected name '\(name)' (\(typeName) keeps \(stateKeys.joined(separator: ", ")) per parameter)")
                    continue
                }
                let p = params[index]
                let (dims, dtype): (Dims, DType) = switch shape {
                case .likeParameter: (p.shape, p.dtype)
                case .scalar(let d): ([], d)
                case .vector(let d, let n): ([n], d)
                }
                if let problem = mismatch(name, array, dims, dtype) { problems.append(problem); continue }
                loaded[index, default: [:]][key] = array
            case "param_groups":
                guard index < paramGroups.count else {
                    problems.append("'\(name)' refers to group \(index) but the optimizer has \(paramGroups.count) parameter groups")
                    continue
                }
                if key == "params" {
                    let expected = (firstIndex[index]..<firstIndex[index] + paramGroups[index].params.count).map(Double.init)
                    if let problem = mismatch(name, array, [expected.count], .int64) { problems.append(problem); continue }
                    if array.toDoubles() != expected {
                        let given = array.toDoubles().map { $0.magnitude < 9e15 ? String(Int($0)) : String($0) }
                        problems.append("'\(name)' lists parameters [\(given.joined(separator: ", "))] but group \(index) holds \(expected.map { Int($0) })")
                    }
                    membership[index] = true
                } else if optionNames.contains(key) || ParamGroup.extraNames.contains(key) {
                    if let problem = mismatch(name, array, [], .float64) { problems.append(problem); continue }
                    let value = array.value(at: [])
                    if optionNames.contains(key) {
                        // Like torch, rates and factors load as they are (a scheduler may
                        // have set an lr the constructor would refuse); flags and counts
                        // must still be flags and counts.
                        if Optimizer.structuralOptions.contains(key) {
                            do { try checkValue(key, value) } catch let e as EmberError { problems.append("'\(name)': \(e.message)") }
                        }
                        options[index][key] = value
                    } else {
                        extras[index][key] = value
                    }
                } else {
                    problems.append("unexpected name '\(name)' (\(typeName)'s options are \(optionNames.joined(separator: ", ")))")
                }
            default:
                problems.append("unexpected name '\(name)'")
            }
        }
        for g in paramGroups.indices {
            for name in optionNames where options[g][name] == nil { problems.append("'param_groups.\(g).\(name)' is missing") }
            if !membership[g] { problems.append("'param_groups.\(g).params' is missing") }
        }
        for (index, entries) in loaded.sorted(by: { $0.key < $1.key }) {
            for key in requiredStateKeys(parameterIndex: index) where entries[key] == nil {
                problems.append("'state.\(index).\(key)' is missing (parameter \(index) has other state)")
            }
        }
        problems += stateConsistencyProblems(loaded, parameterCount: params.reduce(0) { $0 + $1.count })
        guard problems.isEmpty else {
            let shown = problems.prefix(20).joined(separator: "; ")
            throw EmberError.invalidArgument("\(typeName): cannot load the state (\(problems.count) problem\(problems.count == 1 ? "" : "s")): \(shown)\(problems.count > 20 ? "; ..." : "")")
        }

        // Commit copies, so the caller's tensors stay the caller's.
        var copies: [ObjectIdentifier: [String: NDArray]] = [:]
        for (index, entries) in loaded {
            copies[ObjectIdentifier(params[index])] = try entries.mapValues { try $0.contiguous(force: true) }
        }
        state = copies
        for (g, group) in paramGroups.enumerated() {
            group.options = options[g]
            group.extras = extras[g]
        }
        didLoadState()
    }

    /// The options whose loaded values are checked: booleans and counts.
    static let structuralOptions: Set<String> = [
        "maximize", "amsgrad", "decoupled_weight_decay", "nesterov", "centered", "line_search_fn", "max_iter", "max_eval", "history_size",
    ]

    func mismatch(_ name: String, _ array: NDArray, _ dims: Dims, _ dtype: DType) -> String? {
        if array.shape != dims { return "'\(name)' has shape \(describe(array.shape)) but \(describe(dims)) is expected" }
        if array.dtype != dtype { return "'\(name)' has dtype \(array.dtype) but \(dtype) is expected" }
        return nil
    }
}
