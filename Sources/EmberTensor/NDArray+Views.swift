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
        let s = d < ndim ? strides[d] * shape[d] : 1
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

    /// Whether two elements of this view alias the same memory (stride 0 over size > 1).
    public var hasInternalOverlap: Bool {
        for d in 0..<ndim where strides[d] == 0 && shape[d] > 1 { return true }
        return false
    }
}
