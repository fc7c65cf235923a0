import EmberAutograd
import EmberTensor

/// Mini-batches over the rows of an inputs tensor and a targets tensor
/// (torch.utils.data.DataLoader over a TensorDataset). Shuffling draws from
/// the global generator exactly as torch's DataLoader does -- one seed for the
/// iterator, one for the sampler's randperm, per epoch -- so that the same
/// seed visits the rows in the same order as torch.
public final class DataLoader {
    public let inputs: Tensor
    public let targets: Tensor
    public let batchSize: Int
    public let shuffle: Bool
    /// Skip a last batch smaller than batchSize (applies from the next epoch).
    public var dropLast = false

    private var order: [Int]? = nil
    private var position = 0
    private var epochDropLast = false
    /// How many epochs have started (the first call of next() starts epoch 1).
    public private(set) var epoch = 0

    public init(inputs: Tensor, targets: Tensor, batchSize: Int, shuffle: Bool) throws {
        guard batchSize >= 1 else {
            throw EmberError.invalidArgument("batch_size should be a positive integer, got \(batchSize)")
        }
        guard inputs.ndim >= 1, targets.ndim >= 1 else {
            throw EmberError.shape("inputs and targets need a first (sample) dimension, got shapes \(describe(inputs.shape)) and \(describe(targets.shape))")
        }
        guard inputs.shape[0] == targets.shape[0] else {
            throw EmberError.shape("size mismatch between tensors: inputs have \(inputs.shape[0]) rows (shape \(describe(inputs.shape))) but targets have \(targets.shape[0]) (shape \(describe(targets.shape)))")
        }
        // Detached: batches never carry the dataset's graph.
        self.inputs = inputs.detach()
        self.targets = targets.detach()
        self.batchSize = batchSize
        self.shuffle = shuffle
    }

    /// The number of rows.
    public var sampleCount: Int { inputs.shape[0] }

    /// Batches per epoch (len(loader) in torch).
    public var batchCount: Int {
        // Rounded up without forming sampleCount + batchSize - 1, which
        // overflows for a batch_size near Int.max.
        dropLast || sampleCount == 0 ? sampleCount / batchSize : (sampleCount - 1) / batchSize + 1
    }

    /// The next batch, or nil at the end of an epoch; the call after a nil starts a new epoch.
    public func next() throws -> (Tensor, Tensor)? {
        if order == nil { try startEpoch() }
        let n = sampleCount
        let remaining = n - position
        if remaining <= 0 || (epochDropLast && remaining < batchSize) {
            order = nil
            return nil
        }
        let end = position + min(batchSize, remaining)
        let indices = order![position..<end]
        let x = try inputs.array.rows(indices), y = try targets.array.rows(indices)
        position = end
        return (Tensor(x), Tensor(y))
    }

    private func startEpoch() throws {
        let n = sampleCount
        // The order is an array of n indices: refuse what cannot be allocated
        // (a dataset without elements may have 2^62 rows) before making it.
        guard n <= Int(Int32.max) else {
            throw EmberError.outOfMemory("DataLoader: cannot allocate the sample order of \(n) samples")
        }
        order = GlobalGenerator.withState { g -> [Int] in
            _ = g.randomInt63()  // torch's _BaseDataLoaderIter base seed
            guard shuffle else { return Array(0..<n) }
            var sampler = RandomState(seed: UInt64(g.randomInt63()))
            return sampler.permutation(n)
        }
        position = 0
        epochDropLast = dropLast
        epoch += 1
    }
}

// MARK: - State

extension DataLoader {
    /// The names of the exported state, in order.
    public static let stateNames = ["epoch", "position", "permutation", "epoch_drop_last", "num_samples"]

    /// Where the loader is, as named tensors (for checkpoints): "epoch" (epochs
    /// started), "position" (rows served in the current epoch), "permutation"
    /// (the current epoch's row order, int64 of num_samples entries; empty
    /// between epochs), "epoch_drop_last" (the current epoch's drop_last, 0 or 1)
    /// and "num_samples" (the dataset's rows, checked on load); 0-dim int64 but
    /// the permutation. With the global generator restored too, the batches
    /// that follow are the same as without the interruption.
    public func stateEntries() throws -> [(String, NDArray)] {
        func scalar(_ v: Int) throws -> NDArray { try NDArray.full([], value: Double(v), dtype: .int64) }
        let perm = order ?? []
        let permutation = try NDArray(empty: [perm.count], dtype: .int64)
        let p = permutation.pointer(Int64.self)
        for (i, v) in perm.enumerated() { p[i] = Int64(v) }
        return [("epoch", try scalar(epoch)), ("position", try scalar(order == nil ? 0 : position)), ("permutation", permutation),
                ("epoch_drop_last", try scalar(epochDropLast ? 1 : 0)), ("num_samples", try scalar(sampleCount))]
    }

    /// Restores a position exported by `stateEntries()`. Strict: exactly its
    /// names, 0-dim int64 values (the permutation 1-D int64), the same number
    /// of samples, a permutation of 0..<num_samples (or empty, between epochs)
    /// and a position within it. Errors: `.invalidArgument` listing every
    /// problem; nothing changes then.
    public func loadStateDict(_ entries: [(String, NDArray)]) throws {
        var problems: [String] = []
        var values: [String: NDArray] = [:]
        for (name, array) in entries {
            guard DataLoader.stateNames.contains(name) else { problems.append("unexpected name '\(name)'"); continue }
            guard values[name] == nil else { problems.append("'\(name)' is given twice"); continue }
            let shapeOK = name == "permutation" ? array.ndim == 1 : array.ndim == 0
            guard array.dtype == .int64, shapeOK else {
                problems.append("'\(name)' has dtype \(array.dtype) and shape \(describe(array.shape)) but \(name == "permutation" ? "a 1-D" : "a 0-dim") int64 tensor is expected")
                continue
            }
            values[name] = array
        }
        for name in DataLoader.stateNames where values[name] == nil && !problems.contains(where: { $0.hasPrefix("'\(name)'") }) {
            problems.append("'\(name)' is missing")
        }
        func int(_ name: String) -> Int64 { values[name].map { $0.pointer(Int64.self).pointee } ?? -1 }
        var perm: [Int] = []
        if problems.isEmpty {
            let n = sampleCount
            if int("num_samples") != Int64(n) { problems.append("the state is of a loader over \(int("num_samples")) samples but this one has \(n)") }
            if int("epoch") < 0 { problems.append("'epoch' is negative (\(int("epoch")))") }
            if int("epoch_drop_last") != 0 && int("epoch_drop_last") != 1 { problems.append("'epoch_drop_last' must be 0 or 1") }
            let p = try values["permutation"]!.contiguous()
            let count = p.count
            if count != 0 && count != n {
                problems.append("'permutation' has \(count) entries but the loader has \(n) samples")
            } else {
                var seen = [Bool](repeating: false, count: count)
                let q = p.pointer(Int64.self)
                for i in 0..<count {
                    let v = q[i]
                    guard v >= 0 && v < Int64(count) && !seen[Int(v)] else {
                        problems.append("'permutation' is not a permutation of 0..<\(count) (entry \(i) is \(v))")
                        break
                    }
                    seen[Int(v)] = true
                    perm.append(Int(v))
                }
            }
            let pos = int("position")
            if pos < 0 || pos > Int64(count) { problems.append("'position' \(pos) is outside 0...\(count)") }
        }
        guard problems.isEmpty else {
            throw EmberError.invalidArgument("DataLoader: cannot load the state (\(problems.count) problem\(problems.count == 1 ? "" : "s")): \(problems.joined(separator: "; "))")
        }
        order = perm.isEmpty ? nil : perm
        position = Int(int("position"))
        epochDropLast = int("epoch_drop_last") == 1
        epoch = Int(int("epoch"))
    }
}
