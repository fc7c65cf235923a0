import EmberTensor
import Synchronization

/// What a node's backward receives besides the incoming gradient.
public struct BackwardContext {
    @usableFromInline unowned(unsafe) let node: Node

    /// The i-th tensor the op saved (in `record(saving:)` order). Fails with a
    /// STATE error if it was modified in place after it was saved (torch's
    /// version counter check): its gradient would silently be wrong.
    @inlinable public func saved(_ i: Int) throws -> Tensor {
        let tensor = node.savedTensor(i)
        let version = tensor.array.storage.version, expected = node.savedVersion(i)
        if version != expected { throw node.modifiedError(version: version, expected: expected) }
        return tensor
    }

    /// Whether input `i` wants a gradient; a backward may skip the others.
    @inlinable public func needsGrad(_ i: Int) -> Bool { node.hasEdge(i) }

    /// How many inputs the op was recorded with.
    @inlinable public var inputCount: Int { node.edges.count }

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

    /// The saved output's values without re-attaching it (for no-graph
    /// kernels): no tensor is made for them.
    public func outputValue() throws -> NDArray {
        // (Optional chaining reads the version in place; `if let` would copy the array.)
        if let version = node.savedOutput?.storage.version, version != node.savedOutputVersion {
            throw node.modifiedError(version: version, expected: node.savedOutputVersion)
        }
        return node.savedOutput!
    }

}

/// A backward function: given d(loss)/d(output), one gradient per input (nil
/// where an input needs none). Written in differentiable Tensor ops, so that
/// with create_graph the backward pass is itself recorded. It must capture
/// only values (shapes, scalars), never tensors: tensors go through `saving:`
/// so that graph teardown stays iterative.
public typealias BackwardFunction = (_ grad: Tensor, _ ctx: BackwardContext) throws -> Gradients

/// What a backward function returns: one gradient per input, nil where an
/// input needs none. Up to three are held inline, so `Gradients(gx, gw, gb)`
/// makes no array; an array literal (`[gx, nil]`) or `Gradients(list)` works
/// for any number.
public struct Gradients: ExpressibleByArrayLiteral {
    @usableFromInline var slots: InlineThree<Tensor>

    /// How many gradients (one per input of the op).
    public var count: Int { slots.count }

    /// None (an op without inputs; the engine's start value).
    @inlinable public init() { slots = InlineThree() }
    @inlinable public init(_ a: Tensor?) { slots = InlineThree(a, nil, nil, count: 1) }
    @inlinable public init(_ a: Tensor?, _ b: Tensor?) { slots = InlineThree(a, b, nil, count: 2) }
    @inlinable public init(_ a: Tensor?, _ b: Tensor?, _ c: Tensor?) { slots = InlineThree(a, b, c, count: 3) }

    /// Any number of gradients.
    public init(_ list: [Tensor?]) { slots = InlineThree(list) }

    @inlinable public init(arrayLiteral elements: Tensor?...) { self.init(elements) }

    /// The gradient for input `i` (nil for none).
    public subscript(i: Int) -> Tensor? { slots[i] }

    /// The gradients as an array.
    public var list: [Tensor?] { (0..<count).map { slots[$0] } }

    /// Moves gradient `i` out (the engine hands each on once).
    mutating func take(_ i: Int) -> Tensor? { slots.take(i) }
}

/// Up to three optional references in the value itself, any more in an
/// array: a node's edges and a backward function's gradients, so that an op
/// of up to three inputs allocates no list for either.
@usableFromInline
struct InlineThree<Element: AnyObject> {
    // e0, e1 and e2 come first and in this order: `Node.forEachEdge` reads
    // them as pointers at offsets 0, 8 and 16.
    @usableFromInline var e0: Element?, e1: Element?, e2: Element?
    @usableFromInline var more: ContiguousArray<Element?>?
    @usableFromInline var count = 0

    @inlinable init() {}

    /// The first `count` of a, b and c (the others nil).
    @inlinable init(_ a: Element?, _ b: Element?, _ c: Element?, count: Int) {
        (e0, e1, e2, self.count) = (a, b, c, count)
    }

    init(_ list: [Element?]) {
        for x in list { append(x) }
    }

    mutating func append(_ x: consuming Element?) {
        switch count {
        case 0: e0 = x
        case 1: e1 = x
        case 2: e2 = x
        default:
            if more == nil { more = [] }
            more!.append(x)
        }
        count += 1
    }

    @usableFromInline subscript(i: Int) -> Element? {
        switch i {
        case 0: e0
        case 1: e1
        case 2: e2
        default: more![i - 3]
        }
    }

    /// Moves entry `i` out, leaving nil.
    mutating func take(_ i: Int) -> Element? {
        switch i {
        case 0: e0.take()
        case 1: e1.take()
        case 2: e2.take()
        default: more![i - 3].take()
        }
    }

    mutating func removeAll() {
        (e0, e1, e2, more, count) = (nil, nil, nil, nil, 0)
    }
}

/// A node's edges, one per input (nil for an input that needs no gradient).
@usableFromInline typealias Edges = InlineThree<Node>

/// The tensors a node saved: the first two in the node itself (tensor and
/// version apart, so reading one is a load and a retain), more in an array.
@usableFromInline
struct SavedTensors {
    @usableFromInline var t0: Tensor?, t1: Tensor?
    @usableFromInline var v0 = 0, v1 = 0
    var more: ContiguousArray<SavedTensor>?
    @usableFromInline private(set) var count = 0

    init() {}

    mutating func append(_ entry: consuming SavedTensor) {
        switch count {
        case 0: (t0, v0) = (entry.tensor, entry.version)
        case 1: (t1, v1) = (entry.tensor, entry.version)
        default:
            if more == nil { more = [] }
            more!.append(entry)
        }
        count += 1
    }

    /// Removes and returns the last tensor saved.
    mutating func popLast() -> Tensor? {
        guard count > 0 else { return nil }
        count -= 1
        switch count {
        case 0: return t0.take()
        case 1: return t1.take()
        default:
            let entry = more!.removeLast()
            if more!.isEmpty { more = nil }
            return entry.tensor
        }
    }
}

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
    @usableFromInline var edges: Edges
    /// The tensors saved for backward, each with its version when saved.
    @usableFromInline var saved: SavedTensors
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

    /// The node of an op whose result is `output` (kept when `saveOutput`).
    init(name: String, edges: consuming Edges, saved: consuming SavedTensors, output: borrowing NDArray, saveOutput: Bool,
         backward: @escaping BackwardFunction) {
        self.name = name
        self.edges = consume edges
        self.saved = consume saved
        if saveOutput {
            self.savedOutput = copy output
            self.savedOutputVersion = output.storage.version
        } else {
            self.savedOutput = nil
        }
        self.backward = backward
        self.leaf = nil
        self.isAccumulator = false
        self.outputShape = output.shape
        self.outputDType = output.dtype
    }

    init(accumulating leaf: Tensor) {
        self.name = "AccumulateGrad"
        self.edges = Edges()
        self.saved = SavedTensors()
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
    /// is a nullable object pointer, read as such from where it is stored
    /// (the node's inline slots, then the array of the rest).
    @inline(__always)
    func forEachEdge(_ body: (Int, Unmanaged<Node>) throws -> Void) rethrows {
        let count = edges.count
        if count == 0 { return }
        assert(MemoryLayout<Node?>.size == MemoryLayout<UnsafeRawPointer?>.size
               && MemoryLayout<Edges>.offset(of: \Edges.e1) == 8 && MemoryLayout<Edges>.offset(of: \Edges.e2) == 16)
        try withUnsafeMutablePointer(to: &edges) { slots in
            let raw = UnsafeRawPointer(slots)
            for i in 0..<Swift.min(count, 3) {
                guard let pointer = raw.load(fromByteOffset: i &* 8, as: UnsafeRawPointer?.self) else { continue }
                try body(i, Unmanaged<Node>.fromOpaque(pointer))
            }
        }
        guard count > 3, let more = edges.more else { return }
        try more.withUnsafeBufferPointer { buffer in
            let raw = UnsafeRawPointer(buffer.baseAddress!)
            for i in 0..<buffer.count {
                guard let pointer = raw.load(fromByteOffset: i &* MemoryLayout<Node?>.stride, as: UnsafeRawPointer?.self) else { continue }
                try body(i + 3, Unmanaged<Node>.fromOpaque(pointer))
            }
        }
    }

    /// Whether input i has an edge (wants a gradient), read in place.
    @usableFromInline func hasEdge(_ i: Int) -> Bool {
        switch i {
        case 0: edges.e0 != nil
        case 1: edges.e1 != nil
        case 2: edges.e2 != nil
        default: edges.more![i - 3] != nil
        }
    }

    /// Saved tensor i, and its storage version when it was saved. (Methods
    /// of the node, reading the fields in place: a method of the
    /// `SavedTensors` value would first copy all of it out of the node.)
    @usableFromInline func savedTensor(_ i: Int) -> Tensor {
        switch i {
        case 0: saved.t0.unsafelyUnwrapped
        case 1: saved.t1.unsafelyUnwrapped
        default: saved.more![i - 2].tensor
        }
    }

    @usableFromInline func savedVersion(_ i: Int) -> Int {
        switch i {
        case 0: saved.v0
        case 1: saved.v1
        default: saved.more![i - 2].version
        }
    }

    /// The nodes this one sends gradients to (for inspection and tests).
    public var nextFunctions: [Node?] { (0..<edges.count).map { edges[$0] } }

    @usableFromInline
    func modifiedError(version: Int, expected: Int) -> EmberError {
        EmberError.state("backward: a tensor saved by \(name) for the gradient has been modified by an in-place operation (its version is \(version), expected \(expected)); clone it before modifying it, or modify it after backward")
    }

    /// The error for a saved tensor modified in place since it was saved, if any
    /// (checked for the whole graph before a backward changes anything).
    func checkSavedVersions() throws {
        if let failure { throw failure }
        for i in 0..<saved.count {
            let version = savedTensor(i).array.storage.version
            if version != savedVersion(i) { throw modifiedError(version: version, expected: savedVersion(i)) }
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
        if edges.count == 0 && saved.count == 0 { return }
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
    static func drain(_ edges: inout Edges, into stack: inout DyingNodes) {
        for i in 0..<edges.count {
            guard var node = edges.take(i) else { continue }
            if isKnownUniquelyReferenced(&node) { stack.append(node) }
        }
        edges.removeAll()
    }

    static func drain(_ tensors: inout SavedTensors, into stack: inout DyingNodes) {
        while var tensor = tensors.popLast() {
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
    public static func record(_ value: consuming NDArray, _ name: String, inputs: [Tensor], saving: [Tensor] = [],
                              saveOutput: Bool = false, _ backward: @escaping BackwardFunction) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return Tensor(value) }
        var edges = Edges(), isView = false, stale: String? = nil
        for input in inputs { connect(input, value, &edges, &isView, &stale) }
        var saved = SavedTensors()
        for t in saving { saved.append(SavedTensor(t.savedForm)) }
        return attach(value, name, consume edges, consume saved, saveOutput, isView, stale, backward)
    }

    /// `record` for an op of one to three inputs (`b` and `c` nil when it
    /// has fewer; `c` only with `b`) saving up to two tensors (`s1` only
    /// with `s0`), without the arrays: what the ops on every training
    /// step's path use.
    public static func record(_ value: consuming NDArray, _ name: String, inputs a: Tensor, _ b: Tensor? = nil, _ c: Tensor? = nil,
                              saving s0: Tensor? = nil, _ s1: Tensor? = nil, saveOutput: Bool = false,
                              _ backward: @escaping BackwardFunction) -> Tensor {
        assert((c == nil || b != nil) && (s1 == nil || s0 != nil), "record: inputs and saved tensors are filled in order")
        guard GradMode.isEnabled, a.requiresGrad || b?.requiresGrad == true || c?.requiresGrad == true else { return Tensor(value) }
        var edges = Edges(), isView = false, stale: String? = nil
        connect(a, value, &edges, &isView, &stale)
        if let b { connect(b, value, &edges, &isView, &stale) }
        if let c { connect(c, value, &edges, &isView, &stale) }
        var saved = SavedTensors()
        if let s0 { saved.append(SavedTensor(s0.savedForm)) }
        if let s1 { saved.append(SavedTensor(s1.savedForm)) }
        return attach(value, name, consume edges, consume saved, saveOutput, isView, stale, backward)
    }

    /// Adds `input`'s edge, and notes whether the result shares its storage
    /// (a view) and whether it is a stale view.
    @inline(__always)
    static func connect(_ input: Tensor, _ value: NDArray, _ edges: inout Edges, _ isView: inout Bool, _ stale: inout String?) {
        edges.append(input.requiresGrad ? input.gradientEdge() : nil)
        if input.array.storage === value.storage { isView = true }
        if input.isView && input.requiresGrad && input.array.storage.version != input.viewVersion {
            stale = input.gradFn?.name ?? "a view"
        }
    }

    /// The result tensor of a recorded op, with its node.
    static func attach(_ value: consuming NDArray, _ name: String, _ edges: consuming Edges, _ saved: consuming SavedTensors,
                       _ saveOutput: Bool, _ isView: Bool, _ stale: String?, _ backward: @escaping BackwardFunction) -> Tensor {
        let node = Node(name: name, edges: consume edges, saved: consume saved, output: value, saveOutput: saveOutput, backward: backward)
        if let stale {
            node.failure = EmberError.state("backward: \(name) used a view (made by \(stale)) whose base was modified in place after the view was made; make the view again after the in-place operation")
        }
        let version = value.storage.version
        let out = Tensor(value, gradFn: node)
        if isView {
            out.isView = true
            out.viewVersion = version
        }
        return out
    }
}
