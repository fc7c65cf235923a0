import Glibc
import EmberTensor
import Synchronization

/// The backward pass. Phase 1 walks the graph reachable from the roots and
/// counts, for every node, how many consumers will deliver a gradient into it
/// (refusing graphs already freed or whose saved tensors changed, before
/// anything is touched). Phase 2 runs each node once all its consumers have
/// delivered, summing gradients per node. Iterative throughout, so graph depth
/// is bounded by memory, not by the stack.
public enum Autograd {
    /// Distinguishes one backward's visits from another's.
    static let nextMark = Atomic<UInt64>(0)
    static let anomalyFlag = Atomic<Bool>(false)

    /// torch.autograd.set_detect_anomaly: when on, the first NaN or infinity a
    /// backward function produces is an error naming that function.
    public static var detectAnomaly: Bool {
        get { anomalyFlag.load(ordering: .relaxed) }
        set { anomalyFlag.store(newValue, ordering: .relaxed) }
    }

    /// torch.autograd.backward: accumulates d(roots)/d(leaf), weighted by
    /// `gradients`, into every leaf's grad.
    public static func backward(_ roots: [Tensor], gradients: [Tensor?], retainGraph: Bool = false, createGraph: Bool = false) throws {
        _ = try run(roots, gradients, retainGraph: retainGraph, createGraph: createGraph, inputs: nil, allowUnused: false)
    }

    /// A single root (tensor.backward()), without arrays of roots and gradients.
    public static func backward(_ root: Tensor, gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws {
        _ = try run(starts: [try start(root, 0, gradient)], retainGraph: retainGraph, createGraph: createGraph,
                    inputs: nil, allowUnused: false)
    }

    /// torch.autograd.grad: d(outputs)/d(inputs), weighted by `gradOutputs`,
    /// returned rather than accumulated (no `.grad` changes). An input the
    /// outputs do not depend on gets nil if `allowUnused`, an error otherwise.
    public static func grad(outputs: [Tensor], inputs: [Tensor], gradOutputs: [Tensor?]? = nil, retainGraph: Bool? = nil,
                            createGraph: Bool = false, allowUnused: Bool = false) throws -> [Tensor?] {
        guard !inputs.isEmpty else { throw EmberError.invalidArgument("grad: no inputs to differentiate with respect to") }
        for (i, x) in inputs.enumerated() where !x.requiresGrad {
            throw EmberError.state("grad: input \(i) (shape \(describe(x.shape))) does not require grad")
        }
        let seeds = gradOutputs ?? outputs.map { _ in nil }
        return try run(outputs, seeds, retainGraph: retainGraph ?? createGraph, createGraph: createGraph,
                       inputs: inputs, allowUnused: allowUnused) ?? []
    }

    // MARK: - The engine

    static func run(_ roots: [Tensor], _ gradients: [Tensor?], retainGraph: Bool, createGraph: Bool,
                    inputs: [Tensor]?, allowUnused: Bool) throws -> [Tensor?]? {
        guard !roots.isEmpty else { throw EmberError.invalidArgument("backward: no tensors to differentiate") }
        guard gradients.count == roots.count else {
            throw EmberError.invalidArgument("backward: \(roots.count) tensors but \(gradients.count) gradients")
        }
        var starts: [(Node, Tensor)] = []
        starts.reserveCapacity(roots.count)
        for (i, root) in roots.enumerated() { starts.append(try start(root, i, gradients[i])) }
        return try run(starts: starts, retainGraph: retainGraph, createGraph: createGraph, inputs: inputs, allowUnused: allowUnused)
    }

    /// Where backward starts from root `i`: its node and its seed gradient.
    static func start(_ root: Tensor, _ i: Int, _ gradient: Tensor?) throws -> (Node, Tensor) {
        guard root.requiresGrad else {
            throw EmberError.state("backward: tensor \(i) does not require grad and has no grad_fn (shape \(describe(root.shape))); call set_requires_grad on a leaf it was computed from")
        }
        return (root.gradientEdge(), try seedGradient(for: root, gradient))
    }

    /// The backward from `starts` (each root's node and seed gradient).
    static func run(starts: [(Node, Tensor)], retainGraph: Bool, createGraph: Bool,
                    inputs: [Tensor]?, allowUnused: Bool) throws -> [Tensor?]? {
        // autograd.grad: the nodes whose incoming gradient is the answer.
        var targets: [ObjectIdentifier: [Int]] = [:]
        if let inputs {
            for (i, x) in inputs.enumerated() { targets[ObjectIdentifier(x.gradientEdge()), default: []].append(i) }
        }

        // Phase 1: reachable nodes and their consumer counts. The work lists
        // hold nodes unretained: every node reached is held by the edges of
        // the node that reached it (and the first by `starts`), and no edge
        // is dropped until the graph dies, so none can go away during the
        // run. (Retaining each node at every push and pop was a fifth of the
        // reference counting of a small training step.)
        let mark = nextMark.add(1, ordering: .relaxed).newValue
        let scratch = WorkLists.take()
        var order = scratch.order, stack = scratch.stack, ready = scratch.ready
        (scratch.order, scratch.stack, scratch.ready) = ([], [], [])
        defer {
            // (Declared first, so it runs after the reset below.)
            scratch.keep(&order, &stack, &ready)
            WorkLists.give(scratch)
        }
        for (node, _) in starts where node.visitMark != mark {
            node.visitMark = mark
            node.dependencies = 0
            stack.append(.passUnretained(node))
        }
        while let top = stack.popLast() {
            try top._withUnsafeGuaranteedRef { node in
                do {
                    if node.isReleased {
                        throw EmberError.state(
                            "backward: trying to backward through the graph a second time (node \(node.name)); its saved values were freed by the first backward. Pass retain_graph to the first backward if you need to backward twice")
                    }
                    try node.checkSavedVersions()
                } catch {
                    for n in order { n._withUnsafeGuaranteedRef { $0.dependencies = 0 } }
                    throw error
                }
                order.append(top)
                node.forEachEdge { _, edge in
                    edge._withUnsafeGuaranteedRef { next in
                        if next.visitMark != mark {
                            next.visitMark = mark
                            next.dependencies = 0
                            stack.append(edge)
                        }
                        next.dependencies += 1
                    }
                }
            }
        }
        if inputs != nil { markNeeded(order.map { $0.takeUnretainedValue() }, starts.map(\.0), targets) }

        // Phase 2: run nodes whose gradients are complete.
        let previousMode = GradMode.set(createGraph)
        defer {
            GradMode.set(previousMode)
            for entry in order {
                entry._withUnsafeGuaranteedRef { node in
                    node.pending = nil
                    node.dependencies = 0
                    node.needed = true
                }
            }
        }
        var results: [Tensor?] = inputs.map { $0.map { _ in nil } } ?? []
        ready.reserveCapacity(order.count)
        for (node, seed) in starts {
            node.pending = try node.pending.map { try $0.add(seed) } ?? seed
        }
        // Only roots have no consumers inside the graph.
        for entry in order where entry._withUnsafeGuaranteedRef({ $0.dependencies == 0 }) { ready.append(entry) }
        let anomaly = detectAnomaly
        while let entry = ready.popLast() {
            try entry._withUnsafeGuaranteedRef { node in
                var inputGrads = Gradients()
                if var grad = node.pending.take() {
                    if !node.hooks.isEmpty {
                        for (_, hook) in node.hooks {
                            if let replacement = try hook(grad) {
                                guard replacement.shape == grad.shape, replacement.dtype == grad.dtype else {
                                    throw EmberError.shape("backward: a hook on \(node.name) replaced a gradient of shape \(describe(grad.shape)) (\(grad.dtype)) with one of shape \(describe(replacement.shape)) (\(replacement.dtype))")
                                }
                                grad = replacement
                            }
                        }
                    }
                    if !targets.isEmpty, let indices = targets[ObjectIdentifier(node)] {
                        for i in indices { results[i] = grad }
                    }
                    if inputs == nil && node.isAccumulator {
                        if let leaf = node.variable { try accumulate(consume grad, into: leaf, createGraph: createGraph) }
                    } else if node.needed, let backward = node.backward {
                        inputGrads = try backward(grad, BackwardContext(node: node))
                        guard inputGrads.count == node.edges.count else {
                            throw EmberError.internal("\(node.name) returned \(inputGrads.count) gradients for \(node.edges.count) inputs")
                        }
                        if anomaly { try checkFinite(inputGrads, node) }
                    }
                }
                try node.forEachEdge { i, edge in
                    try edge._withUnsafeGuaranteedRef { next in
                        if i < inputGrads.count, let g = inputGrads.take(i) {
                            guard g.shape == next.outputShape, g.dtype == next.outputDType else {
                                throw EmberError.internal("\(node.name) produced a gradient of shape \(describe(g.shape)) (\(g.dtype)) for an input of shape \(describe(next.outputShape)) (\(next.outputDType))")
                            }
                            if let existing = next.pending { next.pending = try existing.add(g) } else { next.pending = consume g }
                        }
                        next.dependencies -= 1
                        if next.dependencies == 0 { ready.append(edge) }
                    }
                }
                if !retainGraph && !node.isAccumulator { node.release() }
            }
        }
        guard let inputs else { return nil }
        if !allowUnused, let unused = results.firstIndex(where: { $0 == nil }) {
            throw EmberError.state("grad: input \(unused) (shape \(describe(inputs[unused].shape))) was not used to compute the outputs; pass allow_unused to get NULL for it")
        }
        return results
    }

    /// For autograd.grad: a node's backward runs only if some target lies
    /// below it (torch prunes the same way). Kahn's order over the reachable
    /// subgraph, then a reverse sweep.
    static func markNeeded(_ nodes: [Node], _ roots: [Node], _ targets: [ObjectIdentifier: [Int]]) {
        var remaining: [ObjectIdentifier: Int] = [:]
        for node in nodes { remaining[ObjectIdentifier(node)] = node.dependencies }
        var topo: [Node] = []
        var ready = nodes.filter { $0.dependencies == 0 }
        while let node = ready.popLast() {
            topo.append(node)
            for case let next? in node.nextFunctions {
                let key = ObjectIdentifier(next)
                remaining[key]! -= 1
                if remaining[key] == 0 { ready.append(next) }
            }
        }
        var below: Set<ObjectIdentifier> = []
        for node in topo.reversed() {
            let childNeeded = node.nextFunctions.contains { $0.map { below.contains(ObjectIdentifier($0)) } ?? false }
            node.needed = childNeeded
            if childNeeded || targets[ObjectIdentifier(node)] != nil { below.insert(ObjectIdentifier(node)) }
        }
    }

    /// Anomaly mode: a NaN or infinity in a backward function's result.
    static func checkFinite(_ grads: Gradients, _ node: Node) throws {
        for (i, g) in grads.list.enumerated() {
            guard let g, g.dtype.isFloatingPoint else { continue }
            for v in g.toDoubles() where !v.isFinite {
                throw EmberError.state("anomaly: function \(node.name) returned \(v.isNaN ? "nan" : "inf") values in its \(i)th output (detect_anomaly is on)")
            }
        }
    }

    /// The gradient to start from: the given one (checked) or 1 for a one-element root.
    static func seedGradient(for root: Tensor, _ gradient: Tensor?) throws -> Tensor {
        guard let gradient else {
            guard root.count == 1 else {
                throw EmberError.shape("backward: a gradient can be created implicitly only for a tensor of one element, but the tensor has shape \(describe(root.shape)); pass a gradient of that shape")
            }
            return Tensor(try NDArray.full(root.shape, value: 1, dtype: root.dtype))
        }
        guard gradient.shape == root.shape else {
            throw EmberError.shape("backward: the gradient has shape \(describe(gradient.shape)) but the tensor has shape \(describe(root.shape))")
        }
        guard gradient.dtype == root.dtype else {
            throw EmberError.dtype("backward: the gradient has dtype \(gradient.dtype) but the tensor has dtype \(root.dtype)")
        }
        return gradient
    }

    /// AccumulateGrad: the first gradient is stored (stolen when nothing else
    /// holds it, copied otherwise); later ones are added in place, as torch
    /// does, so a handle to `.grad` sees the sum. With create_graph the sum is
    /// recorded instead.
    static func accumulate(_ g: consuming Tensor, into leaf: Tensor, createGraph: Bool) throws {
        if createGraph {
            // x.backward(x, create_graph: true): store a copy, not x itself,
            // or x would hold itself as its gradient (a cycle that leaks it).
            let first = g === leaf ? try g.clone() : g
            leaf.grad = try leaf.grad.map { try $0.add(g) } ?? first
            return
        }
        if let existing = leaf.grad, !existing.requiresGrad, existing.array.isContiguous {
            try Kernels.binary(.add, existing.array, g.array, into: existing.array)
            existing.array.storage.version &+= 1
        } else if let existing = leaf.grad {
            leaf.grad = try Tensor(try existing.array.contiguous(force: true)).withAdded(g)
        } else {
            // Adopted whole, tensor and memory, when nothing else holds either
            // and the tensor is a plain one (what a backward function returns).
            if isKnownUniquelyReferenced(&g) && g.gradFn == nil && !g.requiresGrad && !g.isView && g.accumulator == nil
                && g.savedAlias == nil && g.array.isContiguous && g.isSoleHolderOfStorage() {
                leaf.grad = consume g
                return
            }
            // Else the memory alone when nothing else holds it: the tensor is
            // let go first and its array asked in place.
            let adoptable = isKnownUniquelyReferenced(&g) && g.gradFn == nil && g.array.isContiguous
            var values = g.array
            _ = consume g
            if adoptable && isKnownUniquelyReferenced(&values.storage) {
                leaf.grad = Tensor(consume values)
            } else {
                leaf.grad = Tensor(try values.contiguous(force: true))
            }
        }
    }
}

extension Tensor {
    /// torch.Tensor.backward: accumulates the gradient of this tensor into the
    /// leaves it was computed from. `gradient` may be nil for one element.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws {
        try Autograd.backward(self, gradient: gradient, retainGraph: retainGraph || createGraph, createGraph: createGraph)
    }

    /// torch.Tensor.register_hook: `hook` sees this tensor's gradient during
    /// backward (before it is accumulated, for a leaf) and may return a
    /// replacement of the same shape and dtype. Returns an id for removeHook.
    @discardableResult
    public func registerHook(_ hook: @escaping (Tensor) throws -> Tensor?) throws -> Int {
        guard requiresGrad else {
            throw EmberError.state("cannot register a hook on a tensor that does not require grad")
        }
        let id = Node.nextHookID.add(1, ordering: .relaxed).newValue
        gradientEdge().hooks.append((id, hook))
        return id
    }

    /// Removes a hook registered on this tensor; false if there is no hook with that id.
    @discardableResult
    public func removeHook(_ id: Int) -> Bool {
        guard let node = gradFn ?? accumulator, let i = node.hooks.firstIndex(where: { $0.0 == id }) else { return false }
        node.hooks.remove(at: i)
        return true
    }

    fileprivate func withAdded(_ g: Tensor) throws -> Tensor {
        try Kernels.binary(.add, array, g.array, into: array)
        return self
    }
}

/// The engine's three work lists, kept per thread between backward passes
/// (with their capacity), so that a small backward allocates none of them. A
/// backward started inside another (from a hook) finds the slot empty and
/// makes its own.
final class WorkLists {
    var order: [Unmanaged<Node>] = []
    var stack: [Unmanaged<Node>] = []
    var ready: [Unmanaged<Node>] = []

    /// Lists longer than this are let go rather than kept.
    static let keptCapacity = 4096

    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<WorkLists>.fromOpaque(pointer).release() }
        }
        return key
    }()

    /// This thread's lists, or new ones.
    static func take() -> WorkLists {
        guard let pointer = pthread_getspecific(key) else { return WorkLists() }
        pthread_setspecific(key, nil)
        return Unmanaged<WorkLists>.fromOpaque(pointer).takeRetainedValue()
    }

    /// Keeps `lists` for the next backward on this thread (unless one is kept already).
    static func give(_ lists: WorkLists) {
        guard pthread_getspecific(key) == nil else { return }
        pthread_setspecific(key, Unmanaged.passRetained(lists).toOpaque())
    }

    /// Takes the lists back emptied, keeping their memory unless it is large.
    func keep(_ order: inout [Unmanaged<Node>], _ stack: inout [Unmanaged<Node>], _ ready: inout [Unmanaged<Node>]) {
        self.order = WorkLists.emptied(&order)
        self.stack = WorkLists.emptied(&stack)
        self.ready = WorkLists.emptied(&ready)
    }

    static func emptied(_ list: inout [Unmanaged<Node>]) -> [Unmanaged<Node>] {
        if list.capacity > keptCapacity { return [] }
        list.removeAll(keepingCapacity: true)
        return list
    }
}
