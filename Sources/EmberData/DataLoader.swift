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
        dropLast ? sampleCount / batchSize : (sampleCount + batchSize - 1) / batchSize
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
        order = GlobalGenerator.withState { g -> [Int] in
            _ = g.randomInt63()  // torch's _BaseDataLoaderIter base seed
            guard shuffle else { return Array(0..<n) }
            var sampler = RandomState(seed: UInt64(g.randomInt63()))
            return sampler.permutation(n)
        }
        position = 0
        epochDropLast = dropLast
    }
}
