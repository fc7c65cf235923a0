/// Views: new shapes and strides over the same storage, as torch makes them.
extension NDArray {
    /// torch.Tensor.view semantics where possible: a view if the strides allow
    /// it, nil otherwise. `newShape` must already be resolved (no -1).
    public func viewIfPossible(_ newShape: Dims) -> NDArray? {
        if isContiguous {
            return NDArray(storage: storage, dtype: dtype, shape: newShape,
                           strides: Shapes.contiguousStrides(newShape), offset: offset)
        }
        guard let strides = NDArray.computeViewStrides(shape, strides, newShape) else { return nil }
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: strides, offset: offset)
    }

    /// Resolves one -1 and checks the element count against this array's.
    public func resolveShape(_ requested: Dims) throws -> Dims {
        var inferred: Int? = nil
        var known = 1
        for (i, s) in requested.enumerated() {
            if s == -1 {
                guard inferred == nil else { throw EmberError.invalidArgument("only one dimension can be inferred (-1) in \(describe(requested))") }
                inferred = i
            } else {
                guard s >= 0 else { throw EmberError.invalidArgument("invalid shape dimension \(s) in \(describe(requested))") }
                let (p, o) = known.multipliedReportingOverflow(by: s)
                guard !o else { throw EmberError.shape("shape \(describe(requested)) is invalid for input of size \(count)") }
                known = p
            }
        }
        var out = requested
        if let i = inferred {
            guard known != 0, count % known == 0 else {
                throw EmberError.shape("shape \(describe(requested)) is invalid for input of size \(count)")
            }
            out[i] = count / known
        } else if known != count {
            throw EmberError.shape("shape \(describe(requested)) is invalid for input of size \(count)")
        }
        return out
    }

    /// torch.reshape: a view when possible, otherwise a contiguous copy.
    public func reshaped(_ requested: Dims) throws -> NDArray {
        let target = try resolveShape(requested)
        if let view = viewIfPossible(target) { return view }
        return try contiguous().viewIfPossible(target)!
    }

    /// Strides for viewing (shape, strides) as newShape without a copy, or nil
    /// (torch's computeStride: split into chunks of dims that are contiguous among themselves).
    static func computeViewStrides(_ oldShape: Dims, _ oldStrides: Dims, _ newShape: Dims) -> Dims? {
        let numel = oldShape.product
        if numel == 0 { return Shapes.contiguousStrides(newShape) }
        var newStrides = Dims(repeating: 0, count: newShape.count)
        var viewD = newShape.count - 1
        var chunkBaseStride = oldStrides.last ?? 1
        var tensorNumel = 1, viewNumel = 1
        for tensorD in stride(from: oldShape.count - 1, through: 0, by: -1) {
            tensorNumel *= oldShape[tensorD]
            if tensorD == 0 || (oldShape[tensorD - 1] != 1 && oldStrides[tensorD - 1] != tensorNumel * chunkBaseStride) {
                while viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1) {
                    newStrides[viewD] = viewNumel * chunkBaseStride
                    viewNumel *= newShape[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if tensorD > 0 {
                    chunkBaseStride = oldStrides[tensorD - 1]
                    tensorNumel = 1
                    viewNumel = 1
                }
            }
        }
        if viewD != -1 { return nil }
        return newStrides
    }

    /// torch.transpose(dim0, dim1).
    public func transposed(_ dim0: Int, _ dim1: Int) throws -> NDArray {
        let a = try Shapes.normalize(dim0, ndim, name: "dim0"), b = try Shapes.normalize(dim1, ndim, name: "dim1")
        if ndim < 2 { return self }
        var shape = self.shape, strides = self.strides
        shape.swapAt(a, b)
        strides.swapAt(a, b)
        return NDArray(storage: storage, dtype: dtype, shape: shape, strides: strides, offset: offset)
    }

    /// torch.permute(dims).
    public func permuted(_ dims: Dims) throws -> NDArray {
        guard dims.count == ndim else {
            throw EmberError.invalidArgument("permute: number of dims \(dims.count) does not match the tensor's \(ndim) (shape \(describe(shape)))")
        }
        let order = try Shapes.normalize(dims: dims, ndim)
        var newShape = Dims(), newStrides = Dims()
        for d in order {
            newShape.append(shape[d])
            newStrides.append(strides[d])
        }
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: offset)
    }

    /// torch.expand(shape): size-1 dims stretch with stride 0; -1 keeps a size.
    public func expanded(_ requested: Dims) throws -> NDArray {
        guard requested.count >= ndim else {
            throw EmberError.shape("expand: the number of sizes \(requested.count) must be at least the tensor's \(ndim) dimensions (shape \(describe(shape)) to \(describe(requested)))")
        }
        let lead = requested.count - ndim
        var newShape = requested, newStrides = Dims(repeating: 0, count: requested.count)
        for i in 0..<requested.count {
            if i < lead {
                guard requested[i] >= 0 else {
                    throw EmberError.shape("expand: size -1 is not allowed in a leading, non-existing dimension (\(describe(shape)) to \(describe(requested)))")
                }
                continue
            }
            let d = i - lead
            let want = requested[i]
            if want == -1 || want == shape[d] {
                newShape[i] = shape[d]
                newStrides[i] = strides[d]
            } else if shape[d] == 1 && want >= 0 {
                newStrides[i] = 0
            } else {
                throw EmberError.shape("expand: the expanded size \(want) must match the existing size \(shape[d]) at non-singleton dimension \(i) (shape \(describe(shape)) to \(describe(requested)))")
            }
        }
        _ = try Shapes.count(newShape)
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: offset)
    }

    /// torch.unsqueeze(dim).
    public func unsqueezed(_ dim: Int) throws -> NDArray {
        guard ndim < Dims.capacity else {
            throw EmberError.invalidArgument("unsqueeze: a tensor may have at most \(Dims.capacity) dimensions")
        }
        let d = try Shapes.normalize(dim, ndim + 1)
        var shape = self.shape, strides = self.strides
        // The stride of a size-1 dim is never used to step; wrapping (possible
        // only without elements, with a 2^62-long dim) is harmless.
        let s = d < ndim ? strides[d] &* shape[d] : 1
        shape.insert(1, at: d)
        strides.insert(s, at: d)
        return NDArray(storage: storage, dtype: dtype, shape: shape, strides: strides, offset: offset)
    }

    /// torch.squeeze(dim): removes `dim` if its size is 1.
    public func squeezed(_ dim: Int) throws -> NDArray {
        let d = try Shapes.normalize(dim, ndim)
        guard ndim > 0, shape[d] == 1 else { return self }
        var shape = self.shape, strides = self.strides
        shape.remove(at: d)
        strides.remove(at: d)
        return NDArray(storage: storage, dtype: dtype, shape: shape, strides: strides, offset: offset)
    }

    /// torch.Tensor.view: the same elements with a new shape, sharing storage;
    /// unlike `reshaped`, an error when the strides do not allow a view.
    public func viewed(_ requested: Dims) throws -> NDArray {
        let target = try resolveShape(requested)
        guard let view = viewIfPossible(target) else {
            throw EmberError.shape("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces): cannot view \(describe(shape)) with strides \(describe(strides)) as \(describe(target)); use reshape instead")
        }
        return view
    }

    /// The shape torch.flatten(start_dim, end_dim) gives (a 0-dim array becomes [1]).
    public func flattenedShape(startDim: Int, endDim: Int) throws -> Dims {
        let start = try Shapes.normalize(startDim, ndim, name: "start_dim")
        let end = try Shapes.normalize(endDim, ndim, name: "end_dim")
        guard start <= end else {
            throw EmberError.invalidArgument("flatten: start_dim \(startDim) cannot come after end_dim \(endDim) (shape \(describe(shape)))")
        }
        if ndim == 0 { return [1] }
        var out = Dims()
        for d in 0..<start { out.append(shape[d]) }
        var merged = 1
        for d in start...end { merged &*= shape[d] }   // a sub-product of a valid shape cannot overflow
        out.append(merged)
        for d in (end + 1)..<ndim { out.append(shape[d]) }
        return out
    }

    /// The shape torch.unflatten(dim, sizes) gives: `dim` split into `sizes`,
    /// one of which may be -1.
    public func unflattenedShape(dim: Int, sizes: Dims) throws -> Dims {
        guard ndim > 0 else { throw EmberError.invalidArgument("unflatten: cannot unflatten a 0-dim tensor") }
        let d = try Shapes.normalize(dim, ndim)
        guard !sizes.isEmpty else { throw EmberError.invalidArgument("unflatten: sizes must be non-empty") }
        guard ndim - 1 + sizes.count <= Dims.capacity else {
            throw EmberError.invalidArgument("unflatten: the result would have \(ndim - 1 + sizes.count) dimensions; at most \(Dims.capacity) are supported")
        }
        var inferred: Int? = nil
        var known = 1
        for (i, s) in sizes.enumerated() {
            if s == -1 {
                guard inferred == nil else {
                    throw EmberError.invalidArgument("unflatten: only one dimension can be inferred (-1) in \(describe(sizes))")
                }
                inferred = i
                continue
            }
            guard s >= 0 else { throw EmberError.invalidArgument("unflatten: invalid size \(s) in \(describe(sizes))") }
            let (p, o) = known.multipliedReportingOverflow(by: s)
            known = o ? Int.max : p
        }
        var resolved = sizes
        let size = shape[d]
        if let i = inferred, known != 0, size % known == 0 {
            resolved[i] = size / known
        } else if inferred != nil || known != size {
            throw EmberError.shape("unflatten: provided sizes \(describe(sizes)) don't multiply up to the size of dim \(d) (\(size)) in the input tensor of shape \(describe(shape))")
        }
        var out = Dims()
        for i in 0..<d { out.append(shape[i]) }
        for s in resolved { out.append(s) }
        for i in (d + 1)..<ndim { out.append(shape[i]) }
        _ = try Shapes.count(out)
        return out
    }

    /// torch.squeeze(): every size-1 dimension removed.
    public func squeezedAll() -> NDArray {
        var newShape = Dims(), newStrides = Dims()
        for d in 0..<ndim where shape[d] != 1 {
            newShape.append(shape[d])
            newStrides.append(strides[d])
        }
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: offset)
    }

    /// torch.squeeze(dims): the listed dimensions removed where their size is 1.
    public func squeezed(dims: Dims) throws -> NDArray {
        let chosen = try Shapes.normalize(dims: dims, ndim)
        var newShape = Dims(), newStrides = Dims()
        for d in 0..<ndim where !(shape[d] == 1 && chosen.contains(d)) {
            newShape.append(shape[d])
            newStrides.append(strides[d])
        }
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: offset)
    }

    /// The permutation torch.movedim(source, destination) applies: dim
    /// `source[i]` lands at `destination[i]`, the others keep their order.
    public func movedimOrder(source: Dims, destination: Dims) throws -> Dims {
        guard source.count == destination.count else {
            throw EmberError.invalidArgument("movedim: invalid source or destination dims: source (\(describe(source)), \(source.count) dims) should contain the same number of dims as destination (\(describe(destination)), \(destination.count) dims)")
        }
        let src = try Shapes.normalize(dims: source, ndim), dst = try Shapes.normalize(dims: destination, ndim)
        if ndim == 0 { return [] }
        var order = Dims(repeating: -1, count: ndim)
        var used = Dims(repeating: 0, count: ndim)
        for i in 0..<src.count {
            order[dst[i]] = src[i]
            used[src[i]] = 1
        }
        var next = 0
        for d in 0..<ndim where order[d] == -1 {
            while used[next] == 1 { next += 1 }
            order[d] = next
            next += 1
        }
        return order
    }

    /// offset + i * stride, the offset of a view. Only a tensor without
    /// elements can overflow it (a dim of one may be 2^62 long, and its
    /// strides wrap); its offset is never read, so it keeps its own then.
    @inline(__always)
    func shiftedOffset(_ i: Int, _ stride: Int) -> Int {
        let (step, o1) = i.multipliedReportingOverflow(by: stride)
        let (shifted, o2) = offset.addingReportingOverflow(step)
        return o1 || o2 ? offset : shifted
    }

    /// torch.narrow(dim, start, length): `length` entries from `start` (which
    /// may be negative, counting from the end), a view.
    public func narrowed(dim: Int, start: Int, length: Int) throws -> NDArray {
        guard ndim > 0 else { throw EmberError.invalidArgument("narrow() cannot be applied to a 0-dim tensor") }
        let d = try Shapes.normalize(dim, ndim)
        let size = shape[d]
        guard start >= -size && start <= size else {
            throw EmberError.invalidArgument("narrow: start \(start) is out of range for dimension \(d) of size \(size) (expected \(-size)...\(size))")
        }
        guard length >= 0 else { throw EmberError.invalidArgument("narrow: length must be non-negative, got \(length)") }
        let first = start < 0 ? start + size : start
        guard length <= size - first else {
            throw EmberError.invalidArgument("narrow: start (\(first)) + length (\(length)) exceeds dimension size (\(size)) of dimension \(d)")
        }
        var newShape = shape
        newShape[d] = length
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: strides, offset: shiftedOffset(first, strides[d]))
    }

    /// Python's slice clamping: the first index and the number of entries of
    /// x[start:stop:step] along a dimension of `size` (step > 0).
    public static func sliceBounds(size: Int, start: Int, stop: Int, step: Int) throws -> (first: Int, count: Int) {
        guard step > 0 else { throw EmberError.invalidArgument("slice: step must be greater than zero, got \(step)") }
        func clamp(_ i: Int) -> Int { i < 0 ? Swift.max(i + size, 0) : Swift.min(i, size) }
        let first = clamp(start), last = clamp(stop)
        guard last > first else { return (first, 0) }
        let span = last - first
        return (first, span / step + (span % step == 0 ? 0 : 1))
    }

    /// x[..., start:stop:step, ...] along `dim`, a view (Python clamping; step > 0).
    public func sliced(dim: Int, start: Int, stop: Int, step: Int) throws -> NDArray {
        guard ndim > 0 else { throw EmberError.invalidArgument("slice() cannot be applied to a 0-dim tensor") }
        let d = try Shapes.normalize(dim, ndim)
        let (first, count) = try NDArray.sliceBounds(size: shape[d], start: start, stop: stop, step: step)
        var newShape = shape, newStrides = strides
        newShape[d] = count
        // A single entry needs no stride; avoiding the product keeps huge steps from overflowing.
        newStrides[d] = count > 1 ? strides[d] &* step : strides[d]   // wraps only for a tensor without elements
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: shiftedOffset(first, strides[d]))
    }

    /// torch.select(dim, index): the slice at `index` (negative counts from
    /// the end) with `dim` removed, a view.
    public func selected(dim: Int, index: Int) throws -> NDArray {
        guard ndim > 0 else { throw EmberError.invalidArgument("select() cannot be applied to a 0-dim tensor") }
        let d = try Shapes.normalize(dim, ndim)
        let size = shape[d]
        guard index >= -size && index < size else {
            throw EmberError.invalidArgument("select: index \(index) is out of range for dimension \(d) with size \(size) (tensor of shape \(describe(shape)))")
        }
        let i = index < 0 ? index + size : index
        var newShape = shape, newStrides = strides
        newShape.remove(at: d)
        newStrides.remove(at: d)
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: shiftedOffset(i, strides[d]))
    }

    /// Whether two elements of this view alias the same memory (stride 0 over size > 1).
    public var hasInternalOverlap: Bool {
        for d in 0..<ndim where strides[d] == 0 && shape[d] > 1 { return true }
        return false
    }
}
