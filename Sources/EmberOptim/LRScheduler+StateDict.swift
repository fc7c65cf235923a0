import EmberTensor

/// A scheduler's state_dict as named tensors, torch's attribute names:
/// integers (last_epoch, _step_count, step_size, T_cur, ...) are 0-dim int64,
/// rates and factors 0-dim float64, per-group lists one entry per group
/// ("base_lrs.0", "_last_lr.1"), milestones a 1-D int64 tensor, and a
/// SequentialLR's or ChainedScheduler's parts under "_schedulers.<k>.".
/// Strings (mode, anneal_strategy) and callbacks are part of the
/// construction, not of the state. Loading is strict: exactly the names this
/// scheduler exports, each with its dtype and shape.
extension LRScheduler {
    /// The names stateEntries() gives.
    public func stateNames() -> [String] { stateValues().map(\.0) }

    /// The state as named tensors (fresh tensors, owned by the caller).
    public func stateEntries() throws -> [(String, NDArray)] {
        try stateValues().map { name, value in
            switch value {
            case .int(let i): (name, try NDArray.full([], value: Double(i), dtype: .int64))
            case .double(let d): (name, try NDArray.full([], value: d, dtype: .float64))
            case .ints(let list):
                (name, try NDArray.copying(list.map(Double.init), dtype: .float64, shape: [list.count]).cast(to: .int64))
            }
        }
    }

    /// Replaces the state with `entries` (torch's load_state_dict), checking
    /// names, dtypes and shapes first; nothing changes on failure and the
    /// message lists every mismatch.
    public func loadStateDict(_ entries: [(String, NDArray)]) throws {
        let template = stateValues()
        let expected = Dictionary(uniqueKeysWithValues: template)
        var problems: [String] = []
        var values: [String: SchedulerValue] = [:]
        for (name, array) in entries {
            guard values[name] == nil else { problems.append("'\(name)' is given twice"); continue }
            guard let like = expected[name] else { problems.append("unexpected name '\(name)'"); continue }
            let (dims, dtype): (Dims, DType) = switch like {
            case .int: ([], .int64)
            case .double: ([], .float64)
            case .ints(let l): ([l.count], .int64)
            }
            if array.shape != dims {
                problems.append("'\(name)' has shape \(describe(array.shape)) but \(describe(dims)) is expected")
                continue
            }
            if array.dtype != dtype {
                problems.append("'\(name)' has dtype \(array.dtype) but \(dtype) is expected")
                continue
            }
            switch like {
            case .int:
                let v = array.value(at: [])
                guard abs(v) < 9e15 else { problems.append("'\(name)' is out of range: \(v)"); continue }
                values[name] = .int(Int(v))
            case .double: values[name] = .double(array.value(at: []))
            case .ints:
                let list = array.toDoubles()
                guard list.allSatisfy({ abs($0) < 9e15 }) else { problems.append("'\(name)' holds a value out of range"); continue }
                values[name] = .ints(list.map { Int($0) })
            }
        }
        for (name, _) in template where values[name] == nil && !problems.contains(where: { $0.hasPrefix("'\(name)'") }) {
            problems.append("'\(name)' is missing")
        }
        if problems.isEmpty { problems = validateValues(values) }
        guard problems.isEmpty else {
            let shown = problems.prefix(20).joined(separator: "; ")
            throw EmberError.invalidArgument("\(typeName): cannot load the state (\(problems.count) problem\(problems.count == 1 ? "" : "s")): \(shown)\(problems.count > 20 ? "; ..." : "")")
        }
        restoreValues(values)
    }
}
