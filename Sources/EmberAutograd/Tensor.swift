import EmberTensor

/// The differentiable tensor (torch.Tensor): an NDArray value plus what
/// autograd needs -- whether it requires grad, the node that made it, and
/// the gradient accumulated into it when it is a leaf.
///
/// ```swift
/// let w = try Tensor.randn([3, 2], requiresGrad: true)
/// let loss = try (x.matmul(w)).relu().sum()
/// try loss.backward()
/// print(w.grad!.array.toDoubles())
/// ```
public final class Tensor {
    /// The values, never replaced. (The first stored property: see
    /// `isSoleHolderOfStorage`.) A `let`: reading a `var` stored property
    /// of a class copies the whole array value (and retains its storage)
    /// where a `let` is often read in place (as a `var`, ember_add of 64
    /// floats ran a tenth more instructions).
    public let array: NDArray
    public internal(set) var requiresGrad: Bool
    /// The node that computed this tensor; nil for leaves.
    public internal(set) var gradFn: Node?
    /// The gradient accumulated by backward (leaves only), nil until the first one.
    public internal(set) var grad: Tensor?
    /// Made by a view op from a tensor that requires grad: shares its base's
    /// storage. In-place writes into such a view are refused (see add_).
    public internal(set) var isView = false
    /// The storage version when the view was made: a view whose base was
    /// modified in place since then is stale, and a graph that uses it refuses
    /// to backward.
    var viewVersion = 0
    /// The leaf's gradient accumulator, made once and shared by every graph
    /// that uses the leaf. It refers back to the leaf without holding it: a leaf nobody
    /// holds any more has no gradient anyone could read.
    var accumulator: Node?
    /// What nodes save of this leaf (see `savedForm`), made at the first save.
    var savedAlias: Tensor?

    /// A leaf's accumulator refers back to it without a strong reference:
    /// tell it the leaf is gone (aliases that share the accumulator are not
    /// its leaf and change nothing).
    deinit { accumulator?.leafDied(self) }

    /// A leaf over `array`.
    public init(_ array: NDArray, requiresGrad: Bool = false) {
        self.array = array
        self.requiresGrad = requiresGrad && array.dtype.isFloatingPoint
    }

    init(_ array: NDArray, gradFn: Node) {
        self.array = array
        self.requiresGrad = true
        self.gradFn = gradFn
    }

    @inlinable public var shape: Dims { array.shape }
    @inlinable public var dtype: DType { array.dtype }
    @inlinable public var ndim: Int { array.ndim }
    @inlinable public var count: Int { array.count }
    /// Made by the user rather than recorded by an op (torch's is_leaf).
    @inlinable public var isLeaf: Bool { gradFn == nil }

    /// torch.Tensor.requires_grad_.
    public func setRequiresGrad(_ flag: Bool) throws {
        if flag && !dtype.isFloatingPoint {
            throw EmberError.dtype("only tensors of floating point dtype can require gradients, got \(dtype)")
        }
        if !flag && !isLeaf {
            throw EmberError.state("requires_grad can only be turned off on leaf tensors; use detach() to get a tensor that does not require grad")
        }
        requiresGrad = flag
    }

    /// Sets or clears the gradient (torch's `.grad = g`); the shape and dtype must match.
    public func setGrad(_ g: Tensor?) throws {
        if let g {
            guard g.shape == shape else {
                throw EmberError.shape("assigned grad has shape \(describe(g.shape)) but the tensor has shape \(describe(shape))")
            }
            guard g.dtype == dtype else {
                throw EmberError.dtype("assigned grad has dtype \(g.dtype) but the tensor has dtype \(dtype)")
            }
        }
        grad = g
    }

    /// A tensor sharing this one's values, outside any graph (torch.Tensor.detach).
    public func detach() -> Tensor { Tensor(array) }

    /// The single value of a one-element tensor (torch.Tensor.item).
    public func item() throws -> Double { try array.item() }

    /// All values in row-major order, as Doubles.
    public func toDoubles() -> [Double] { array.toDoubles() }

    /// Whether nothing but this tensor holds its storage, asked of the
    /// reference where the tensor keeps it: asking `array.storage` would
    /// read the array out first, and the copy is a second holder. `array` is
    /// the class's first stored property and `storage` NDArray's first field,
    /// so the reference starts the object's stored properties (a test checks
    /// the answer both ways).
    func isSoleHolderOfStorage() -> Bool {
        let fields = _getUnsafePointerToStoredProperties(self)
        assert(fields.load(as: UnsafeRawPointer.self) == UnsafeRawPointer(Unmanaged.passUnretained(array.storage).toOpaque()),
               "Tensor.array.storage is not where isSoleHolderOfStorage reads it")
        return isKnownUniquelyReferenced(&fields.assumingMemoryBound(to: Storage.self).pointee)
    }

    /// The graph edge for this tensor as an input: its node, or its leaf accumulator.
    func gradientEdge() -> Node {
        if let gradFn { return gradFn }
        if let existing = accumulator { return existing }
        let node = Node(accumulating: self)
        accumulator = node
        return node
    }

    /// Overwrites the values in place from `source` (same shape), outside autograd.
    public func copyValues(from source: NDArray) throws {
        guard source.shape == shape else {
            throw EmberError.shape("cannot copy values of shape \(describe(source.shape)) into a tensor of shape \(describe(shape))")
        }
        guard !array.hasInternalOverlap else {
            throw EmberError.state("cannot write into an expanded tensor whose elements share memory (shape \(describe(shape))); clone it first")
        }
        Kernels.copy(from: source, into: array)
        array.storage.version &+= 1
    }
}

// MARK: - Creation

extension Tensor {
    public static func zeros(_ shape: Dims, dtype: DType = .float32, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.zeros(shape, dtype: dtype), requiresGrad: requiresGrad)
    }
    public static func ones(_ shape: Dims, dtype: DType = .float32, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.ones(shape, dtype: dtype), requiresGrad: requiresGrad)
    }
    public static func full(_ shape: Dims, _ value: Double, dtype: DType = .float32, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.full(shape, value: value, dtype: dtype), requiresGrad: requiresGrad)
    }
    public static func randn(_ shape: Dims, dtype: DType = .float32, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.randn(shape, dtype: dtype), requiresGrad: requiresGrad)
    }
    public static func rand(_ shape: Dims, dtype: DType = .float32, requiresGrad: Bool = false) throws -> Tensor {
        Tensor(try NDArray.rand(shape, dtype: dtype), requiresGrad: requiresGrad)
    }
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.arange(start: start, end: end, step: step, dtype: dtype))
    }
    /// A tensor holding `values` (row-major) in `dtype`, shaped `shape` (1-D if nil).
    public static func from(_ values: [Double], shape: Dims? = nil, dtype: DType = .float32, requiresGrad: Bool = false) throws -> Tensor {
        let shape = shape ?? [values.count]
        let staging = try NDArray.copying(values, dtype: .float64, shape: [values.count])
        let array = try staging.cast(to: dtype).reshaped(shape)
        return Tensor(array, requiresGrad: requiresGrad)
    }
    /// A 0-dim tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.scalar(value, dtype: dtype))
    }
}
