import EmberAutograd
import EmberTensor

/// What a load into a module could not apply (torch's _IncompatibleKeys, plus
/// the size and dtype mismatches torch reports as errors).
public struct StateDictLoadReport: Equatable, Sendable {
    /// The module's names the state dict lacks, in state_dict order.
    public var missingKeys: [String] = []
    /// The state dict's names the module has no place for, as torch finds them.
    public var unexpectedKeys: [String] = []
    /// One message per entry whose shape or dtype differs from the module's.
    public var mismatches: [String] = []
    /// How many entries were (or, for a strict failure, would have been) copied.
    public var loaded = 0

    public var isClean: Bool { missingKeys.isEmpty && unexpectedKeys.isEmpty && mismatches.isEmpty }

    /// torch's lines, one problem per line: "Missing key(s) in state_dict: "a", "b". ",
    /// "Unexpected key(s) in state_dict: ... ", "size mismatch for w: ..."; "" when clean.
    public var lines: [String] {
        var out: [String] = []
        if !missingKeys.isEmpty { out.append("Missing key(s) in state_dict: \(missingKeys.map { "\"\($0)\"" }.joined(separator: ", ")). ") }
        if !unexpectedKeys.isEmpty { out.append("Unexpected key(s) in state_dict: \(unexpectedKeys.map { "\"\($0)\"" }.joined(separator: ", ")). ") }
        return out + mismatches
    }

    /// torch's RuntimeError text: "Error(s) in loading state_dict for Linear:\n\t...".
    public func errorMessage(for typeName: String) -> String {
        "Error(s) in loading state_dict for \(typeName):\n\t" + lines.joined(separator: "\n\t")
    }
}

/// torch's way of printing a shape in these messages: torch.Size([3, 4]).
func torchSize(_ shape: Dims) -> String { "torch.Size(\(describe(shape)))" }

extension Module {
    /// torch's state_dict(): for each module in the tree (depth first), its
    /// parameters, then its buffers, under their dotted names; tensors are
    /// detached and share storage with the module's (torch's keep_vars=False).
    public func stateDictEntries() -> [(String, Tensor)] {
        var byOwner: [String: [(String, Tensor)]] = [:]
        for (name, t) in allNamedParameters() + namedBuffers() {
            byOwner[Module.ownerPath(of: name), default: []].append((name, t))
        }
        var out: [(String, Tensor)] = []
        var done = Set<String>()
        for (path, _) in namedModules() where done.insert(path).inserted {
            for (name, t) in byOwner[path] ?? [] { out.append((name, t.detach())) }
        }
        return out
    }

    /// The state dict as a StateDict (metadata empty).
    public func stateDict() throws -> StateDict { try StateDict(stateDictEntries()) }

    /// "a.b" for "a.b.weight", "" for "weight".
    static func ownerPath(of name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "" }
        return String(name[..<dot])
    }

    /// What loading `entries` would do: the copies that match in name, shape
    /// and dtype, and the report of everything else, found as torch finds it.
    func planLoad(_ entries: [(String, NDArray)]) -> (copies: [(Tensor, NDArray)], report: StateDictLoadReport) {
        var given: [String: NDArray] = [:]
        for (name, array) in entries where given[name] == nil { given[name] = array }
        var report = StateDictLoadReport()
        var copies: [(Tensor, NDArray)] = []
        for (name, target) in allNamedParameters() + namedBuffers() {
            guard let source = given[name] else {
                if !report.missingKeys.contains(name) { report.missingKeys.append(name) }
                continue
            }
            if source.shape != target.shape {
                report.mismatches.append("size mismatch for \(name): copying a param with shape \(torchSize(source.shape)) from checkpoint, the shape in current model is \(torchSize(target.shape)).")
            } else if source.dtype != target.dtype {
                // torch casts silently; Ember reports it, as every name, shape and dtype is checked.
                report.mismatches.append("dtype mismatch for \(name): copying a param with dtype torch.\(source.dtype) from checkpoint, the dtype in current model is torch.\(target.dtype).")
            } else if target.array.hasInternalOverlap {
                report.mismatches.append("cannot copy into \(name): its elements share memory (an expanded tensor)")
            } else {
                copies.append((target, source))
            }
        }
        // Missing keys in state_dict order (parameters and buffers interleaved per module).
        let order = Dictionary(stateDictEntries().enumerated().map { ($0.element.0, $0.offset) }, uniquingKeysWith: { a, _ in a })
        report.missingKeys.sort { (order[$0] ?? 0) < (order[$1] ?? 0) }
        report.unexpectedKeys = unexpectedKeys(entries.map(\.0))
        report.loaded = copies.count
        return (copies, report)
    }

    /// torch's search for unexpected keys: each module, depth first, claims
    /// the keys under its prefix that continue with a dot after something
    /// other than a child's name, or without one with something other than
    /// its own parameters' and buffers' names.
    func unexpectedKeys(_ keys: [String]) -> [String] {
        var out: [String] = []
        var reported = Set<String>()
        var local: [String: Set<String>] = [:]
        for (name, _) in allNamedParameters() + namedBuffers() {
            let owner = Module.ownerPath(of: name)
            local[owner, default: []].insert(owner.isEmpty ? name : String(name.dropFirst(owner.count + 1)))
        }
        for (path, m) in namedModules() {
            let prefix = path.isEmpty ? "" : path + "."
            let children = Set(m.namedChildren.map(\.0))
            let own = local[path] ?? []
            for key in keys where key.hasPrefix(prefix) && !reported.contains(key) {
                // torch: a dotted rest must start with a child's name, a plain one be a local name.
                let rest = String(key.dropFirst(prefix.count))
                let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count > 1 ? !children.contains(String(parts[0])) : !own.contains(rest) {
                    reported.insert(key)
                    out.append(key)
                }
            }
        }
        return out
    }

    /// torch's load_state_dict. Strict: any missing or unexpected key, size or
    /// dtype mismatch is an `.invalidArgument` error with torch's message
    /// (every problem, together) and nothing changes. Not strict: every entry
    /// that matches in name, shape and dtype is copied into the module and the
    /// report lists the rest (torch raises for size mismatches even then, after
    /// copying the others; Ember skips and reports them). Values are copied, so
    /// the state dict stays independent of the module.
    @discardableResult
    public func loadStateDict(_ entries: [(String, NDArray)], strict: Bool = true) throws -> StateDictLoadReport {
        let (copies, report) = planLoad(entries)
        if strict && !report.isClean { throw EmberError.invalidArgument(report.errorMessage(for: typeName)) }
        try Module.apply(copies)
        return report
    }

    /// As `loadStateDict(_:strict:)`, from a StateDict.
    @discardableResult
    public func loadStateDict(_ stateDict: StateDict, strict: Bool = true) throws -> StateDictLoadReport {
        try loadStateDict(stateDict.arrays, strict: strict)
    }

    /// Copies each source into its target (checked by planLoad).
    static func apply(_ copies: [(Tensor, NDArray)]) throws {
        for (target, source) in copies {
            if source.storage === target.array.storage {
                // Loading a module's own state dict into it: the same view is a no-op,
                // another view of the same memory goes through a temporary.
                if source.offset == target.array.offset && source.strides == target.array.strides { continue }
                try target.copyValues(from: source.contiguous(force: true))
            } else {
                try target.copyValues(from: source)
            }
        }
    }
}
