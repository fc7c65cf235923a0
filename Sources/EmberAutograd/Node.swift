import EmberTensor
import Synchronization

/// What a node's backward receives besides the incoming gradient.
public struct BackwardContext {
    @usableFromInline unowned(unsafe) let node: Node

    /// The i-th tensor the op saved (in `record(saving:)` order). Fails with a
    /// STATE error if it was modified in place after it was saved (torch's
    /// version counter check): its gradient would silently be wrong.
    @inlinable public func saved(_ i: Int) throws -> Tensor {
        let entry = node.saved[i]
        let version = entry.tensor.array.storage.version
        if version != entry.version { throw node.modifiedError(version: version, expected: entry.version) }
        return entry.tensor
    }

    /// Whether input `i` wants a gradient; a backward may skip the others.
    @inlinable public func needsGrad(_ i: Int) -> Bool { node.edges[i] != nil }

    /// The op's own output, when it saved it (`saveOutput: true`). Re-attached
    /// to the node, so a backward written in differentiable ops can itself be
    /// differentiated (create_graph).
    public func output() throws -> Tensor {
        let value = node.savedOutput!
        if value.storage.version != node.savedOutputVersion {
            throw node.modifiedError(version: value.storage.version, expected: node.savedOutputVersion)
        }
        return Tensor(value, gradFn: node)
    }

    /// The saved output's values without re-attaching it (for no-graph kernels).
    public func outputValue() throws -> NDArray { try output().array }
}

/// A backward function: given d(loss)/d(output), one gradient per input (nil
/// where an input needs none). Written in differentiable Tensor ops, so that
/// with create_graph the backward pass is itself recorded. It must capture
/// only values (shapes, scalars), never tensors: tensors go through `saving:`
/// so that graph teardown stays iterative.
public typealias BackwardFunction = (_ grad: Tensor, _ ctx: BackwardContext) throws -> [Tensor?]

/// A tensor a node saved for its backward, with its storage version then.
@usableFromInline
struct SavedTensor {
    @usableFromInline let tensor: Tensor
    @usableFromInline let version: Int
    @usableFromInline init(_ tensor: Tensor) {
        self.tensor = tensor
        self.version = tensor.array.storage.version
    }
}

/// A recorded operation in the graph (torch's grad_fn), or the gradient
/// accumulator of a leaf (torch's AccumulateGrad).
public final class Node {
    /// torch's class name for the node ("AddBackward0", "AccumulateGrad").
    public let name: String
    /// The nodes that receive this node's input gradients, one per input
    /// (nil for inputs that need no gradient).
    @usableFromInline var edges: ContiguousArray<Node?>
    /// The tensors saved for backward, each with its version when saved.
    @usableFromInline var saved: ContiguousArray<SavedTensor>
    var savedOutput: NDArray?
    var savedOutputVersion = 0
    var backward: BackwardFunction?
    /// The leaf, for an accumulator. The leaf owns its accumulator, so this
    /// reference is not a strong one; nor is it `weak`, which would give every
    /// parameter a side table and put each of its retains and releases on
    /// the runtime's slow path (a third of a small training step). The leaf
    /// clears it as it dies (Tensor.deinit), so it is never left dangling.
    private var leaf: Unmanaged<Tensor>?
    var variable: Tensor? { leaf?.takeUnretainedValue() }
    /// Called by the dying leaf.
    func leafDied(_ tensor: Tensor) {
        if let leaf, leaf.toOpaque() == Unmanaged.passUnretained(tensor).toOpaque() { self.leaf = nil }
    }
    let isAccumulator: Bool
    /// Which backward last visited this node (the engine's visited set).
    var visitMark: UInt64 = 0
    /// Shape and dtype of the output, to check the gradients flowing into it.
    let outputShape: Dims
    let outputDType: DType
    /// An error found when the node was recorded, reported by the first
    /// backward that reaches it (before anything changes).
    var failure: EmberError?
    /// Set once backward has freed the saved values (without retain_graph).
    public private(set) var isReleased = false

    /// Hooks on the gradient flowing into this node (the tensor's hooks: a
    /// leaf's live on its accumulator, a non-leaf's on its grad_fn), in order.
    var hooks: [(Int, (Tensor) throws -> Tensor?)] = []
    static let nextHookID = Atomic<Int>(0)

    // Engine scratch, valid only during one backward.
    var pending: Tensor?
    var dependencies = 0
    /// For autograd.grad: whether a target lies below, so backward must run.
    var needed = true

    init(name: String, edges: ContiguousArray<Node?>, saved: ContiguousArray<SavedTensor>, savedOutput: NDArray?,
         outputShape: Dims, outputDType: DType, backward: @escaping BackwardFunction) {
        self.name = name
        self.edges = edges
        self.saved = saved
        self.savedOutput = savedOutput
        self.savedOutputVersion = savedOutput?.storage.version ?? 0
        self.backward = backward
        self.leaf = nil
        self.isAccumulator = false
        self.outputShape = outputShape
        self.outputDType = outputDType
    }

    init(accumulating leaf: Tensor) {
        self.name = "AccumulateGrad"
        self.edges = []
        self.saved = []
        self.savedOutput = nil
        self.backward = nil
        self.leaf = Unmanaged.passUnretained(leaf)
        self.isAccumulator = true
        self.outputShape = leaf.shape
        self.outputDType = leaf.dtype
    }

    /// Calls `body(i, edge)` for each input `i` that has an edge, without
    /// retaining the nodes: the caller must keep this node's edges alive
    /// (the engine does: no edge is dropped while a backward runs). An edge
    /// is a nullable object pointer, read as such from the array's buffer.
    @inline(__always)
    func forEachEdge(_ body: (Int, Unmanaged<Node>) throws -> Void) rethrows {
        try edges.withUnsafeBufferPointer { buffer in
            assert(MemoryLayout<Node?>.size == MemoryLayout<UnsafeRawPointer?>.size)
            guard let base = buffer.baseAddress else { return }
            let raw = UnsafeRawPointer(base)
            for i in 0..<buffer.count {
                guard let pointer = raw.load(fromByteOffset: i &* MemoryLayout<Node?>.stride, as: UnsafeRawPointer?.self) else { continue }
                try body(i, Unmanaged<Node>.fromOpaque(pointer))
            }
        }
    }

    /// The nodes this one sends gradients to (for inspection and tests).
    public var nextFunctions: [Node?] { Array(edges) }

    @usableFromInline
    func modifiedError(version: Int, expected: Int) -> EmberError {
        EmberError.state("backward: a tensor saved by \(name) for the gradient has been modified by an in-place operation (its version is \(version), expected \(expected)); clone it before modifying it, or modify it after backward")
    }

    /// The error for a saved tensor modified in place since it was saved, if any
    /// (checked for the whole graph before a backward changes anything).
    func checkSavedVersions() throws {
        if let failure { throw failure }
        for entry in saved where entry.tensor.array.storage.version != entry.version {
            throw modifiedError(version: entry.tensor.array.storage.version, expected: entry.version)
        }
        // (Optional chaining reads the version in place; `if let` would copy the array.)
        if let version = savedOutput?.storage.version, version != savedOutputVersion {
            throw modifiedError(version: version, expected: savedOutputVersion)
        }
    }

    /// Frees what backward needed; a later backward through this node fails.
    func release() {
        backward = nil
        savedOutput = nil
        var stack = DyingNodes()
        Node.drain(&saved, into: &stack)
        isReleased = true
        Node.teardown(&stack)
    }

    deinit {
        if edges.isEmpty && saved.isEmpty { return }
        var stack = DyingNodes()
        Node.drain(&edges, into: &stack)
        Node.drain(&saved, into: &stack)
        Node.teardown(&stack)
    }

    /// Releases a chain of nodes iteratively: a node (or saved tensor) that is
    /// referenced only from here gives up its own references into the work
    /// list before it dies, so no deinit recurses into the next one. A graph
    /// of 100,000 ops is freed without deepening the stack.
    static func teardown(_ stack: inout DyingNodes) {
        while var node = stack.popLast() {
            if isKnownUniquelyReferenced(&node) {
                drain(&node.edges, into: &stack)
                drain(&node.saved, into: &stack)
            }
        }
    }

    /// Moves into `stack` the nodes only `edges` holds (those would die, and
    /// free their own inputs, recursively); the others are simply let go.
    /// Most edges of a small graph lead to shared nodes (accumulators), so
    /// usually nothing is pushed, and a chain pushes one at a time (DyingNodes).
    static func drain(_ edges: inout ContiguousArray<Node?>, into stack: inout DyingNodes) {
        for i in edges.indices {
            guard var node = edges[i].take() else { continue }
            if isKnownUniquelyReferenced(&node) { stack.append(node) }
        }
        edges = []
    }

    static func drain(_ tensors: inout ContiguousArray<SavedTensor>, into stack: inout DyingNodes) {
        while var tensor = tensors.popLast()?.tensor {
            if isKnownUniquelyReferenced(&tensor) {
                if var node = tensor.gradFn {
                    tensor.gradFn = nil
                    if isKnownUniquelyReferenced(&node) { stack.append(node) }
                }
                // (The dying tensor lets go of its grad first, or the grad
                // would never be found uniquely referenced.)
                if var grad = tensor.grad {
                    tensor.grad = nil
                    if isKnownUniquelyReferenced(&grad), var node = grad.gradFn {
                        grad.gradFn = nil
                        if isKnownUniquelyReferenced(&node) { stack.append(node) }
                    }
                }
            }
        }
    }
}

/// The work list of a teardown: the first node inline, more in an array. A
/// chain of ops (each node the only holder of the next) never has more than
/// one node waiting, so freeing it allocates nothing.
struct DyingNodes {
    private var first: Node?
    private var more: [Node] = []

    mutating func append(_ node: Node) {
        if first == nil { first = node } else { more.append(node) }
    }

    mutating func popLast() -> Node? {
        if let node = more.popLast() { return node }
        return first.take()
    }
}

// MARK: - Recording

extension Tensor {
    /// What a node keeps of a tensor it saves: never the tensor object itself
    /// when it takes part in a graph. A leaf that requires grad is
    /// kept as an alias (same values, same version counter) whose gradient
    /// goes to the leaf's accumulator, which does not hold the leaf: a
    /// gradient recorded with create_graph, stored in the leaf's .grad, would
    /// otherwise hold the leaf through its own graph, a cycle nothing frees.
    var savedForm: Tensor {
        // A non-leaf is kept with the history it has now (torch's
        // SavedVariable keeps the grad_fn at save time): an in-place op that
        // later rebases the tensor onto a node saving a result of this one
        // (m.mul_(logit(m))) would otherwise close a cycle.
        if let gradFn {
            let alias = Tensor(array, gradFn: gradFn)
            alias.isView = isView
            alias.viewVersion = viewVersion
            return alias
        }
        guard requiresGrad else { return self }
        // A leaf's alias is made once and kept by the leaf (it holds only
        // the accumulator, which the leaf holds anyway): a parameter saved by
        // every step's graph costs no new object.
        if let savedAlias, savedAlias.isView == isView, savedAlias.viewVersion == viewVersion { return savedAlias }
        let alias = Tensor(array, requiresGrad: true)
        alias.accumulator = gradientEdge()
        alias.isView = isView
        alias.viewVersion = viewVersion
        savedAlias = alias
        return alias
    }

    /// Whether an op on `a` and `b` records a node (the two-input case without
    /// a variadic array).
    @inlinable
    @inline(__always)
    public static func recording(_ a: Tensor, _ b: Tensor) -> Bool {
        (a.requiresGrad || b.requiresGrad) && GradMode.isEnabled
    }

    /// Whether an op on `inputs` records a node (grad mode on, an input requiring grad).
    @inlinable
    public static func recording(_ inputs: Tensor...) -> Bool {
        guard GradMode.isEnabled else { return false }
        for t in inputs where t.requiresGrad { return true }
        return false
    }

    /// Wraps an op's value; when grad mode is on and an input requires grad,
    /// attaches a node with `backward` (torch.autograd.Function's forward/backward).
    /// `saving` keeps tensors for backward; `saveOutput` keeps the result itself.
    public static func record(_ value: NDArray, _ name: String, inputs: [Tensor], saving: [Tensor] = [],
                              saveOutput: Bool = false, _ backward: @escaping BackwardFunction) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return Tensor(value) }
        var edges = ContiguousArray<Node?>()
        edges.reserveCapacity(inputs.count)
        var isView = false, stale: String? = nil
        for input in inputs {
            edges.append(input.requiresGrad ? input.gradientEdge() : nil)
            if input.array.storage === value.storage { isView = true }
            if input.isView && input.requiresGrad && input.array.storage.version != input.viewVersion {
                stale = input.gradFn?.name ?? "a view"
            }
        }
        var saved = ContiguousArray<SavedTensor>()
        if !saving.isEmpty {
            saved.reserveCapacity(saving.count)
            for t in saving { saved.append(SavedTensor(t.savedForm)) }
        }
        let node = Node(name: name, edges: edges, saved: saved, savedOutput: saveOutput ? value : nil,
                        outputShape: value.shape, outputDType: value.dtype, backward: backward)
        if let stale {
            node.failure = EmberError.state("backward: \(name) used a view (made by \(stale)) whose base was modified in place after the view was made; make the view again after the in-place operation")
        }
        let out = Tensor(value, gradFn: node)
        if isView {
            out.isView = true
            out.viewVersion = value.storage.version
        }
        return out
    }
}
