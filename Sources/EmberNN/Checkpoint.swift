import EmberAutograd
import EmberTensor

/// A stateful object of a training run saved in a checkpoint: an optimizer,
/// a scheduler, a data loader. Its state is a list of named tensors, which it
/// exports and loads strictly (nothing changes when loading fails).
public struct CheckpointPart {
    /// The prefix of its entries and its name in messages ("optimizer").
    public let name: String
    /// Its class ("Adam"), recorded so a checkpoint is not loaded into another kind.
    public let typeName: String
    public let export: () throws -> [(String, NDArray)]
    public let load: ([(String, NDArray)]) throws -> Void

    public init(name: String, typeName: String, export: @escaping () throws -> [(String, NDArray)],
                load: @escaping ([(String, NDArray)]) throws -> Void) {
        self.name = name
        self.typeName = typeName
        self.export = export
        self.load = load
    }
}

/// A training checkpoint: everything needed to continue a run bit for bit,
/// in one state dict (one safetensors file):
///
///     model.<name>          the module's parameters and buffers (state_dict names)
///     optimizer.<name>      the optimizer's state (ember/optim.h names)
///     scheduler.<name>      the scheduler's state (ember/sched.h names)
///     dataloader.<name>     the data loader's position: epoch, position,
///                           permutation, epoch_drop_last, num_samples
///     generator.state       the global generator, torch's 5056-byte state as
///                           632 int64 (torch.get_rng_state's bytes)
///
/// Metadata: "ember.checkpoint" = "1" (the format version), "ember.parts" =
/// the parts saved, comma separated ("model,optimizer,scheduler,dataloader,generator"),
/// and "ember.<part>.type" = its class ("Adam", "StepLR", "DataLoader").
/// Other entries and metadata (a step counter, a note) may be added and are
/// ignored when restoring.
public enum Checkpoint {
    public static let formatKey = "ember.checkpoint"
    public static let partsKey = "ember.parts"
    public static let generatorKey = "generator.state"

    /// The checkpoint of a run: `module` (may be nil), the `parts`, and the global generator.
    public static func stateDict(module: Module?, parts: [CheckpointPart]) throws -> StateDict {
        var entries: [(String, Tensor)] = []
        var partNames: [String] = []
        var metadata: [(String, String)] = [(formatKey, "1")]
        if let module {
            entries += module.stateDictEntries().map { ("model." + $0.0, $0.1) }
            partNames.append("model")
            metadata.append(("ember.model.type", module.typeName))
        }
        for part in parts {
            entries += try part.export().map { (part.name + "." + $0.0, Tensor($0.1)) }
            partNames.append(part.name)
            metadata.append(("ember.\(part.name).type", part.typeName))
        }
        entries.append((generatorKey, Tensor(try generatorArray(GlobalGenerator.withState { $0 }))))
        partNames.append("generator")
        metadata.insert((partsKey, partNames.joined(separator: ",")), at: 1)
        return try StateDict(entries, metadata: metadata)
    }

    /// torch's generator state bytes as a 1-D int64 array (632 elements, same bytes).
    public static func generatorArray(_ state: RandomState) throws -> NDArray {
        let bytes = state.torchState()
        let out = try NDArray(empty: [bytes.count / 8], dtype: .int64)
        bytes.withUnsafeBytes { out.rawPointer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return out
    }

    /// A generator state from `generatorArray`'s form, a 1-D int64 array of 632
    /// elements. Errors (`.invalidArgument`): another dtype or shape, or a
    /// state torch's generator cannot be in.
    public static func generatorState(_ array: NDArray) throws -> RandomState {
        guard array.dtype == .int64, array.shape == [RandomState.torchStateSize / 8] else {
            throw EmberError.invalidArgument("a generator state is a 1-D int64 tensor of \(RandomState.torchStateSize / 8) elements (torch's \(RandomState.torchStateSize)-byte state), got \(array.dtype) of shape \(describe(array.shape))")
        }
        let dense = try array.contiguous()
        let bytes = [UInt8](UnsafeRawBufferPointer(start: dense.rawPointer, count: RandomState.torchStateSize))
        return try RandomState(torchState: bytes)
    }

    /// Restores a run from a checkpoint into `module` (may be nil) and the
    /// `parts` (each must be in the checkpoint, of the same class), and sets
    /// the global generator. Everything is checked first: on failure nothing
    /// has changed (parts already loaded are put back). Errors: `.io` when
    /// `stateDict` is not a checkpoint; `.invalidArgument` for a missing part,
    /// another class, or state that does not fit (torch's messages for the module).
    public static func restore(_ stateDict: StateDict, module: Module?, parts: [CheckpointPart]) throws {
        guard stateDict.metadataValue(formatKey) == "1" else {
            throw EmberError.io("not an Ember checkpoint (its metadata has no \"\(formatKey)\": \"1\")")
        }
        let saved = Set((stateDict.metadataValue(partsKey) ?? "").split(separator: ",").map(String.init))
        func check(_ name: String, _ typeName: String) throws {
            guard saved.contains(name) else {
                throw EmberError.invalidArgument("the checkpoint holds no \(name) state (it holds: \(saved.sorted().joined(separator: ", ")))")
            }
            let recorded = stateDict.metadataValue("ember.\(name).type") ?? "?"
            guard recorded == typeName else {
                throw EmberError.invalidArgument("the checkpoint's \(name) is a \(recorded) but a \(typeName) was given")
            }
        }
        func entries(_ prefix: String) -> [(String, NDArray)] {
            stateDict.entries.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor.array) }
        }

        var plan: [(Tensor, NDArray)] = []
        if let module {
            try check("model", module.typeName)
            let (copies, report) = module.planLoad(entries("model."))
            guard report.isClean else { throw EmberError.invalidArgument(report.errorMessage(for: module.typeName)) }
            plan = copies
        }
        guard saved.contains("generator"), let g = stateDict[generatorKey] else {
            throw EmberError.invalidArgument("the checkpoint holds no generator state ('\(generatorKey)')")
        }
        let generator = try generatorState(g.array)
        for part in parts { try check(part.name, part.typeName) }

        var loaded: [(CheckpointPart, [(String, NDArray)])] = []
        do {
            for part in parts {
                let before = try part.export().map { ($0.0, try $0.1.contiguous(force: true)) }
                do { try part.load(entries(part.name + ".")) } catch let e as EmberError {
                    throw EmberError(e.kind, "the checkpoint's \(part.name) state does not fit: \(e.message)")
                }
                loaded.append((part, before))
            }
        } catch {
            for (part, before) in loaded.reversed() { try? part.load(before) }
            throw error
        }
        try Module.apply(plan)
        GlobalGenerator.withState { $0 = generator }
    }
}
