import EmberTensor
import Synchronization

/// The backward pass: a dependency count over the graph reachable from the
/// roots, then nodes run once all their consumers have delivered, with
/// gradients summed per node. Iterative throughout, so graph depth is bounded
/// by memory, not by the stack.
public enum Autograd {
    /// Distinguishes one backward's visits from another's.
    static let nextMark = Atomic<UInt64>(0)

    /// torch.autograd.backward: accumulates d(roots)/d(leaf) into every leaf's grad.
    public static func backward(_ root: Tensor, gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws {
        guard root.requiresGrad else {
            throw EmberError.state("backward: the tensor does not require grad and has no grad_fn (shape \(describe(root.shape))); call set_requires_grad on a leaf it was computed from")
        }
        let seed = try seedGradient(for: root, gradient)
        let start = root.gradientEdge()

        // Phase 1: every node reachable from the root, with how many consumers
        // will deliver into it. Nothing changes if the graph was already freed.
        let mark = Autograd.nextMark.add(1, ordering: .relaxed).newValue
        var order: [Node] = []
        order.reserveCapacity(16)
        var stack: [Node] = [start]
        stack.reserveCapacity(16)
        start.dependencies = 0
        start.visitMark = mark
        while let node = stack.popLast() {
            if node.isReleased {
                for n in order { n.dependencies = 0 }
                start.dependencies = 0
                throw EmberError.state(
                    "backward: trying to backward through the graph a second time (node \(node.name)); its saved values were freed by the first backward. Pass retain_graph to the first backward if you need to backward twice")
            }
            do { try node.checkSavedVersions() } catch {
                for n in order { n.dependencies = 0 }
                throw error
            }
            order.append(node)
            for case let next? in node.edges {
                if next.visitMark != mark {
                    next.visitMark = mark
                    next.dependencies = 0
                    stack.append(next)
                }
                next.dependencies += 1
            }
        }

        // Phase 2: run nodes whose gradients are complete.
        let previousMode = GradMode.set(createGraph)
        defer {
            GradMode.set(previousMode)
            for node in order { node.pending = nil; node.dependencies = 0 }
        }
        start.pending = seed
        var ready: [Node] = [start]
        ready.reserveCapacity(16)
        while let node = ready.popLast() {
            var inputGrads: [Tensor?] = []
            if var grad = node.pending.take() {
                if node.isAccumulator {
                    if let leaf = node.variable { try accumulate(&grad, into: leaf, createGraph: createGraph) }
                } else if let backward = node.backward {
                    inputGrads = try backward(grad, BackwardContext(node: node))
                    guard inputGrads.count == node.edges.count else {
                        throw EmberError.internal("\(node.name) returned \(inputGrads.count) gradients for \(node.edges.count) inputs")
                    }
                }
            }
            for (i, edge) in node.edges.enumerated() {
                guard let next = edge else { continue }
                if i < inputGrads.count, let g = inputGrads[i] {
                    guard g.shape == next.outputShape, g.dtype == next.outputDType else {
                        throw EmberError.internal("\(node.name) produced a gradient of shape \(describe(g.shape)) (\(g.dtype)) for an input of shape \(describe(next.outputShape)) (\(next.outputDType))")
                    }
                    next.pending = try next.pending.map { try $0.add(g) } ?? g
                }
                next.dependencies -= 1
                if next.dependencies == 0 { ready.append(next) }
            }
            if !retainGraph && !node.isAccumulator { node.release() }
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
    static func accumulate(_ g: inout Tensor, into leaf: Tensor, createGraph: Bool) throws {
        if createGraph {
            leaf.grad = try leaf.grad.map { try $0.add(g) } ?? g
            return
        }
        if let existing = leaf.grad, !existing.requiresGrad, existing.array.isContiguous {
            try Kernels.binary(.add, existing.array, g.array, into: existing.array)
            existing.array.storage.version &+= 1
        } else if let existing = leaf.grad {
            leaf.grad = try Tensor(try existing.array.contiguous(force: true)).withAdded(g)
        } else if isKnownUniquelyReferenced(&g) && isKnownUniquelyReferenced(&g.array.storage) && g.array.isContiguous && g.gradFn == nil {
            leaf.grad = g
        } else {
            leaf.grad = Tensor(try g.array.contiguous(force: true))
        }
    }
}

extension Tensor {
    /// torch.Tensor.backward: accumulates the gradient of this tensor into the
    /// leaves it was computed from. `gradient` may be nil for one element.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws {
        try Autograd.backward(self, gradient: gradient, retainGraph: retainGraph || createGraph, createGraph: createGraph)
    }

    fileprivate func withAdded(_ g: Tensor) throws -> Tensor {
        try Kernels.binary(.add, array, g.array, into: array)
        return self
    }
}
