import EmberTensor

/// Creation beyond zeros/ones/full/rand/randn/arange (Tensor.swift): ranges,
/// eye, the *_like family, the seeded integer, Bernoulli and multinomial
/// samplers, and one_hot. Results are new leaves; random ones come from the
/// global generator and equal torch's after the same manual seed.
///
/// ```swift
/// GlobalGenerator.manualSeed(0)
/// let x = try Tensor.linspace(0, 1, steps: 5)            // [0, 0.25, 0.5, 0.75, 1]
/// let noise = try Tensor.randnLike(x)                    // torch.randn_like(x)
/// let labels = try Tensor.randint(0, 10, [8])            // int64 in [0, 10)
/// let targets = try Tensor.oneHot(labels, numClasses: 10) // (8, 10) int64
/// ```
extension Tensor {
    // MARK: - Ranges and matrices

    /// torch.linspace(start, end, steps): `steps` evenly spaced values from
    /// `start` to `end` inclusive (float32 by default; not bool).
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32,
                                requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.linspace(start: start, end: end, steps: steps, dtype: dtype), requiresGrad: requiresGrad)
    }

    /// torch.eye(n, m): an n x m matrix (m = n by default) with ones on the diagonal.
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.eye(n, m ?? n, dtype: dtype), requiresGrad: requiresGrad)
    }

    // MARK: - Like another tensor

    /// torch.zeros_like: zeros with `x`'s shape, dtype and layout.
    public static func zerosLike(_ x: Tensor, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.zerosLike(x.array), requiresGrad: requiresGrad)
    }

    /// torch.ones_like.
    public static func onesLike(_ x: Tensor, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.onesLike(x.array), requiresGrad: requiresGrad)
    }

    /// torch.full_like: `value` (truncated for int64, nonzero is true for bool) everywhere.
    public static func fullLike(_ x: Tensor, _ value: Double, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.fullLike(x.array, value: value), requiresGrad: requiresGrad)
    }

    /// torch.rand_like: U[0, 1) samples shaped and laid out like `x` (floating `x` only).
    public static func randLike(_ x: Tensor, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.randLike(x.array), requiresGrad: requiresGrad)
    }

    /// torch.randn_like: N(0, 1) samples shaped and laid out like `x` (floating `x` only).
    public static func randnLike(_ x: Tensor, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.randnLike(x.array), requiresGrad: requiresGrad)
    }

    // MARK: - Random integers and samplers

    /// torch.randint(low, high, shape): int64 samples uniform in [low, high).
    public static func randint(_ low: Int64, _ high: Int64, _ shape: Dims) throws -> Tensor {
        Tensor(try NDArray.randint(low: low, high: high, shape))
    }

    /// torch.bernoulli(self): 1 with probability self[i], else 0, in self's
    /// floating dtype. Recorded as torch records it (BernoulliBackward0): the
    /// gradient with respect to the probabilities is zero.
    public func bernoulli() throws -> Tensor {
        let value = try NDArray.bernoulli(array)
        return Tensor.record(value, "BernoulliBackward0", inputs: [self]) { g, _ in
            [Tensor(try NDArray.zerosLike(g.array))]
        }
    }

    /// torch.bernoulli(self, p): a tensor like self (its values are ignored)
    /// of 1 with probability `p`, else 0. torch has no derivative for this
    /// form: backward through it fails, as in torch.
    public func bernoulli(p: Double) throws -> Tensor {
        let value = try NDArray.bernoulli(like: array, p: p)
        return Tensor.record(value, "NotImplemented", inputs: [self]) { _, _ in
            throw EmberError.state("the derivative for 'bernoulli' with a scalar p is not implemented (as in torch)")
        }
    }

    /// torch.multinomial(self, numSamples, replacement): int64 indices of
    /// categories sampled from each row of a 1-D or 2-D tensor of weights.
    public func multinomial(_ numSamples: Int, replacement: Bool = false) throws -> Tensor {
        Tensor(try NDArray.multinomial(array, numSamples: numSamples, replacement: replacement))
    }

    // MARK: - One-hot

    /// torch.nn.functional.one_hot(indices, numClasses): int64 with a new last
    /// dimension of `numClasses` (-1 infers one more than the largest index).
    public static func oneHot(_ indices: Tensor, numClasses: Int = -1) throws -> Tensor {
        Tensor(try NDArray.oneHot(indices.array, numClasses: numClasses))
    }
}
