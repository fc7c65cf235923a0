import EmberTensor

/// In-place ops (torch's `add_`, `mul_`, `zero_`, ...): they write into the
/// tensor's own storage and bump its version, so a graph that saved the old
/// values refuses to backward instead of computing a wrong gradient.
///
/// With grad mode on, an in-place op on a tensor that requires grad is
/// recorded: the tensor keeps its identity but its `gradFn` becomes the
/// in-place op, whose gradient flows to the previous history (torch rebases
/// the same way). Two cases torch supports through view tracking are refused
/// instead, with a STATE error: writing in place into a leaf that requires
/// grad (use `GradMode.with(false)`, as optimizers and initialisers do), and
/// writing in place into a view of a tensor that requires grad.
extension Tensor {
    // MARK: - Arithmetic

    /// self += alpha * other (torch's add_), other broadcasting to self's shape.
    @discardableResult
    public func add_(_ other: Tensor, alpha: Double = 1) throws -> Tensor {
        let other = try unaliased(other)
        let scaled = alpha == 1 ? other : try GradMode.with(false) { try Tensor(Kernels.binary(.mul, other.array, scalar: alpha)) }
        return try updateInPlace("add_", with: [other]) {
            try Kernels.binary(.add, array, scaled.array)
        } backward: { g, ctx, shape, dtype in
            [g, ctx.needsGrad(1) ? try (alpha == 1 ? g : g.mul(alpha)).reduceGrad(to: shape[1], dtype[1]) : nil]
        }
    }

    /// self += s (torch's add_ with a number).
    @discardableResult
    public func add_(_ s: Double) throws -> Tensor {
        try updateInPlace("add_", with: []) { try Kernels.binary(.add, array, scalar: s) } backward: { g, _, _, _ in [g] }
    }

    /// self -= alpha * other (torch's sub_).
    @discardableResult
    public func sub_(_ other: Tensor, alpha: Double = 1) throws -> Tensor {
        try add_(other, alpha: -alpha)
    }

    /// self *= other (torch's mul_). d/dself = other, d/dother = the old self.
    @discardableResult
    public func mul_(_ other: Tensor) throws -> Tensor {
        let other = try unaliased(other)
        // The old values are needed for other's gradient only; keep a copy then.
        let old = Tensor.recording(other) ? Tensor(try array.contiguous(force: true)) : nil
        return try updateInPlace("mul_", with: [other], saving: [other] + (old.map { [$0] } ?? [])) {
            try Kernels.binary(.mul, array, other.array)
        } backward: { g, ctx, shape, dtype in
            let o = try ctx.saved(0)
            return [try g.mul(o).reduceGrad(to: shape[0], dtype[0]),
                    ctx.needsGrad(1) ? try g.mul(ctx.saved(1)).reduceGrad(to: shape[1], dtype[1]) : nil]
        }
    }

    /// self *= s (torch's mul_ with a number).
    @discardableResult
    public func mul_(_ s: Double) throws -> Tensor {
        try updateInPlace("mul_", with: []) { try Kernels.binary(.mul, array, scalar: s) } backward: { g, _, _, _ in [try g.mul(s)] }
    }

    /// self /= other (torch's div_, true division).
    @discardableResult
    public func div_(_ other: Tensor) throws -> Tensor {
        let other = try unaliased(other)
        let old = Tensor.recording(other) ? Tensor(try array.contiguous(force: true)) : nil
        return try updateInPlace("div_", with: [other], saving: [other] + (old.map { [$0] } ?? [])) {
            try Kernels.binary(.div, array, other.array)
        } backward: { g, ctx, shape, dtype in
            let o = try ctx.saved(0)
            return [try g.div(o).reduceGrad(to: shape[0], dtype[0]),
                    ctx.needsGrad(1) ? try g.mul(ctx.saved(1)).div(o.mul(o)).neg().reduceGrad(to: shape[1], dtype[1]) : nil]
        }
    }

    /// self /= s (torch's div_ with a number).
    @discardableResult
    public func div_(_ s: Double) throws -> Tensor {
        try updateInPlace("div_", with: []) { try Kernels.binary(.div, array, scalar: s) } backward: { g, _, _, _ in [try g.div(s)] }
    }

    /// Clamps every element into [min, max] in place (torch's clamp_); either
    /// bound may be nil, not both. The gradient passes where the old value was
    /// strictly inside the bounds (and not NaN), as torch's clamp backward does.
    @discardableResult
    public func clamp_(min low: Double?, max high: Double?) throws -> Tensor {
        guard low != nil || high != nil else {
            throw EmberError.invalidArgument("clamp_: at least one of min and max must be given")
        }
        let old = requiresGrad && GradMode.isEnabled ? Tensor(try array.contiguous(force: true)) : nil
        return try updateInPlace("clamp_", with: [], saving: old.map { [$0] } ?? []) {
            try Kernels.unary(.clamp(min: low, max: high), array)
        } backward: { g, ctx, _, _ in
            let x = try ctx.saved(0).array
            var inside = try Kernels.compare(.eq, x, x)
            if let low { inside = try Kernels.logical(.and, inside, Kernels.compare(.gt, x, scalar: low)) }
            if let high { inside = try Kernels.logical(.and, inside, Kernels.compare(.lt, x, scalar: high)) }
            return [try g.maskedFill(Tensor(Kernels.logicalNot(inside)), 0)]
        }
    }

    // MARK: - Fills (never recorded: the new values do not depend on the old ones)

    /// Sets every element to 0 (torch's zero_).
    @discardableResult
    public func zero_() throws -> Tensor { try fill_(0) }

    /// Sets every element to `value` (torch's fill_). Int64 and bool tensors
    /// take the value truncated (non-finite or out-of-range values are an error for int64).
    @discardableResult
    public func fill_(_ value: Double) throws -> Tensor {
        if dtype == .int64 {
            guard value.isFinite, value >= -9.223372036854775808e18, value < 9.223372036854775808e18 else {
                throw EmberError.invalidArgument("fill_: value \(value) cannot be converted to int64")
            }
        }
        return try overwrite("fill_") { Kernels.fill(array, with: value) }
    }

    /// Copies `source` (broadcast to self's shape, converted to self's dtype)
    /// into self (torch's copy_). The gradient flows to source, not to the old values.
    @discardableResult
    public func copy_(_ source: Tensor) throws -> Tensor {
        let source = try unaliased(source)
        let target = try Shapes.broadcast(source.shape, shape)
        guard target == shape else {
            throw EmberError.shape("copy_: the source of shape \(describe(source.shape)) does not broadcast to the destination's shape \(describe(shape))")
        }
        let value = try source.array.expanded(shape)
        // Copy through a temporary when source and self share memory.
        let staged = value.sharesStorage(with: array) ? try value.contiguous(force: true) : value
        let (sourceShape, sourceType) = (source.shape, source.dtype)
        return try overwrite("copy_", from: [source]) {
            Kernels.copy(from: staged, into: array)
        } backward: { g, ctx in
            [ctx.needsGrad(1) ? try g.reduceGrad(to: sourceShape, sourceType) : nil]
        }
    }

    /// Fills with samples from U[from, to) drawn from the global generator (torch's uniform_).
    @discardableResult
    public func uniform_(from: Double = 0, to: Double = 1) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("uniform_: expected a floating tensor, got \(dtype)") }
        // Samples land in memory order, as torch's do for a strided tensor.
        return try overwrite("uniform_") { try array.fillUniform(from: from, to: to) }
    }

    /// Fills with samples from N(mean, std) drawn from the global generator (torch's normal_).
    @discardableResult
    public func normal_(mean: Double = 0, std: Double = 1) throws -> Tensor {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("normal_: expected a floating tensor, got \(dtype)") }
        return try overwrite("normal_") { try array.fillNormal(mean: mean, std: std) }
    }

    // MARK: - Machinery

    /// Whether writing into this tensor in place is allowed now, as torch decides.
    func checkWritable(_ op: String) throws {
        if array.hasInternalOverlap {
            throw EmberError.state("\(op): some elements of the tensor (shape \(describe(shape))) share one memory location (an expanded view); clone() it before writing in place")
        }
        guard requiresGrad && GradMode.isEnabled else { return }
        if isLeaf {
            throw EmberError.state("\(op): a leaf tensor that requires grad is being used in an in-place operation; do it with grad mode off (ember_set_grad_enabled(false)), as optimizers do")
        }
        if isView {
            throw EmberError.state("\(op): in-place operation on a view of a tensor that requires grad is not supported; clone() the view first")
        }
    }

    /// `other` itself, or, when it is self and the op will be recorded, a copy
    /// of self's current values with self's current history. Without it,
    /// `y.mul_(y)` would make the node an input of itself (a retain cycle that
    /// leaks the graph) and save values the op then overwrites.
    func unaliased(_ other: Tensor) throws -> Tensor {
        guard other === self, GradMode.isEnabled, requiresGrad else { return other }
        let snapshot = Tensor(try array.contiguous(force: true))
        snapshot.requiresGrad = true
        snapshot.gradFn = gradFn
        return snapshot
    }

    /// The shared path of the arithmetic in-place ops: compute the new value
    /// out of place (so that operands aliasing self are read before it
    /// changes), check it keeps self's shape and dtype category, write it back,
    /// bump the version, and record the op if it takes part in a graph.
    /// `backward` gets shapes and dtypes of [self, inputs...].
    func updateInPlace(_ op: String, with others: [Tensor], saving: [Tensor]? = nil, _ compute: () throws -> NDArray,
                       backward: @escaping (Tensor, BackwardContext, [Dims], [DType]) throws -> Gradients) throws -> Tensor {
        try checkWritable(op)
        let value = try compute()
        guard value.shape == shape else {
            throw EmberError.shape("\(op): the result's broadcast shape \(describe(value.shape)) does not match the tensor's shape \(describe(shape))")
        }
        guard value.dtype.category <= dtype.category else {
            throw EmberError.dtype("\(op): the result type \(value.dtype) can't be cast to the tensor's dtype \(dtype)")
        }
        let previous = try history(op, others)
        Kernels.copy(from: value, into: array)
        array.storage.version &+= 1
        if let previous {
            let shapes = [shape] + others.map(\.shape), dtypes = [dtype] + others.map(\.dtype)
            rebase(op, previous, others, saving ?? []) { g, ctx in try backward(g, ctx, shapes, dtypes) }
        }
        return self
    }

    /// The shared path of ops whose new values do not depend on the old ones
    /// (fills, copy_): the old history gets no gradient. `backward` returns
    /// the sources' gradients (input 0 is the old history, sources start at 1).
    func overwrite(_ op: String, from sources: [Tensor] = [], _ write: () throws -> Void,
                   backward: BackwardFunction? = nil) throws -> Tensor {
        try checkWritable(op)
        let previous = try history(op, sources)
        try write()
        array.storage.version &+= 1
        if let previous {
            rebase(op, previous, sources, []) { g, ctx in
                // Input 0 is the old history; the sources follow it.
                Gradients([nil] + (try backward?(g, ctx).list ?? sources.map { _ in nil }))
            }
        }
        return self
    }

    /// Self's current history as a separate tensor (the first input of the
    /// in-place op's node), or nil when the op will not be recorded.
    func history(_ op: String, _ others: [Tensor]) throws -> Tensor? {
        guard GradMode.isEnabled && (requiresGrad || others.contains { $0.requiresGrad }) else { return nil }
        guard dtype.isFloatingPoint else {
            throw EmberError.dtype("\(op): cannot write a result that requires grad into a \(dtype) tensor")
        }
        let previous = Tensor(array)
        previous.requiresGrad = requiresGrad
        previous.gradFn = gradFn
        return previous
    }

    /// Makes the in-place op self's history: a node whose inputs are the old
    /// history and `others`.
    func rebase(_ op: String, _ previous: Tensor, _ others: [Tensor], _ saving: [Tensor], _ backward: @escaping BackwardFunction) {
        let recorded = Tensor.record(array, op.capitalizedBackward, inputs: [previous] + others, saving: saving, backward)
        gradFn = recorded.gradFn
        requiresGrad = true
    }
}

extension String {
    /// "add_" -> "AddBackward0", the node name torch gives the in-place op.
    var capitalizedBackward: String {
        let base = hasSuffix("_") ? String(dropLast()) : self
        return base.prefix(1).uppercased() + base.dropFirst() + "Backward0"
    }
}
