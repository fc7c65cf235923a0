import Glibc

/// Creation: from host memory, constant fills, ranges, eye, the *_like
/// family and one_hot. Random creation is in NDArray+Random.swift.
extension NDArray {
    /// A contiguous copy of `count` row-major elements at `bytes`.
    public static func copying(_ bytes: UnsafeRawPointer?, dtype: DType, shape: Dims) throws -> NDArray {
        let out = try NDArray(empty: shape, dtype: dtype)
        if out.count > 0 {
            guard let bytes else { throw EmberError.invalidArgument("data is NULL but the shape \(describe(shape)) has \(out.count) elements") }
            memcpy(out.rawPointer, bytes, out.count * dtype.itemSize)
        }
        return out
    }

    /// torch.full (zeros and ones are fills of 0 and 1).
    public static func full(_ shape: Dims, value: Double, dtype: DType) throws -> NDArray {
        try checkFillValue(value, dtype)
        let out = try NDArray(empty: shape, dtype: dtype)
        out.fillDense(value)
        return out
    }

    /// A fill value must fit an int64 result (torch's checked Scalar conversion).
    static func checkFillValue(_ value: Double, _ dtype: DType) throws {
        if dtype == .int64 {
            guard value.isFinite, value >= -9.223372036854775808e18, value < 9.223372036854775808e18 else {
                throw EmberError.invalidArgument("fill value \(value) cannot be converted to int64")
            }
        }
    }

    /// Sets every element of a freshly made dense array (any strides) to `value`.
    func fillDense(_ value: Double) {
        if value == 0 && offset == 0 {
            // Dense arrays made here cover their storage exactly.
            memset(rawPointer, 0, count * dtype.itemSize)
        } else {
            Kernels.fill(self, with: value)
        }
    }

    /// torch.zeros.
    public static func zeros(_ shape: Dims, dtype: DType) throws -> NDArray { try full(shape, value: 0, dtype: dtype) }
    /// torch.ones.
    public static func ones(_ shape: Dims, dtype: DType) throws -> NDArray { try full(shape, value: 1, dtype: dtype) }

    /// torch.arange(start, end, step): ceil((end - start) / step) values
    /// (int64: from the truncated start and step). Floating values follow
    /// torch's AVX2 kernel: blocks of 2 x 8 (float32) or 2 x 4 (float64)
    /// elements each start from a base `start + step * i` and add `k * step`
    /// to it, and the ragged end is computed element by element -- all in
    /// double with fused multiply-adds -- so the last bits agree with torch's
    /// (run on one thread: with several, torch cuts arrays above 32768
    /// elements into per-thread ranges whose blocks start elsewhere).
    public static func arange(start: Double, end: Double, step: Double, dtype: DType) throws -> NDArray {
        guard start.isFinite, end.isFinite, step.isFinite else {
            throw EmberError.invalidArgument("arange: unsupported range \(start) -> \(end) with step \(step): bounds must be finite")
        }
        guard step != 0 else { throw EmberError.invalidArgument("arange: step must be nonzero") }
        guard dtype != .bool else { throw EmberError.dtype("arange is not implemented for bool (as in torch)") }
        guard (step > 0 && end >= start) || (step < 0 && end <= start) else {
            throw EmberError.invalidArgument("arange: upper bound \(end) and lower bound \(start) are inconsistent with the sign of step \(step)")
        }
        let size = ((end - start) / step).rounded(.up)
        guard size < 9.0e15 else { throw EmberError.outOfMemory("arange: \(size) elements are too many") }
        let n = Int(size)
        let out = try NDArray(empty: [n], dtype: dtype)
        switch dtype {
        case .float32:
            let p = out.pointer(Float.self)
            // A vector's base is rounded to float before the lanes add to it.
            arangeBlocks(n, lanes: 8, start: start, step: step) { i, base, k in
                p[i] = Float(Double(Float(base)).addingProduct(Double(k), step))
            } scalar: { i, value in p[i] = Float(value) }
        case .float64:
            let p = out.pointer(Double.self)
            arangeBlocks(n, lanes: 4, start: start, step: step) { i, base, k in
                p[i] = base.addingProduct(Double(k), step)
            } scalar: { i, value in p[i] = value }
        case .int64:
            let s = Int64(castFrom: start), st = Int64(castFrom: step)
            let p = out.pointer(Int64.self)
            for i in 0..<n { p[i] = s &+ Int64(i) &* st }
        case .bool: break
        }
        return out
    }

    /// The element order of torch's vectorised serial loop: full blocks of two
    /// vectors of `lanes` elements, then the rest one by one.
    @inline(__always)
    static func arangeBlocks(_ n: Int, lanes: Int, start: Double, step: Double,
                             vector: (_ index: Int, _ base: Double, _ lane: Int) -> Void,
                             scalar: (_ index: Int, _ value: Double) -> Void) {
        var i = 0
        while i + 2 * lanes <= n {
            for first in stride(from: i, to: i + 2 * lanes, by: lanes) {
                let base = start.addingProduct(step, Double(first))
                for k in 0..<lanes { vector(first + k, base, k) }
            }
            i += 2 * lanes
        }
        while i < n {
            scalar(i, start.addingProduct(step, Double(i)))
            i += 1
        }
    }

    /// torch.linspace: `steps` values from `start` to `end` inclusive. As torch's
    /// CPU kernel, the first half counts up from `start` and the second half
    /// down from `end`, each value one fused multiply-add (in double for int64,
    /// truncated afterwards), so the ends are exact.
    public static func linspace(start: Double, end: Double, steps: Int, dtype: DType) throws -> NDArray {
        guard steps >= 0 else { throw EmberError.invalidArgument("linspace: number of steps must be non-negative, got \(steps)") }
        switch dtype {
        case .bool:
            throw EmberError.dtype("linspace is not implemented for bool (as in torch)")
        case .float32:
            for (label, v) in [("start", start), ("end", end)] where v.isFinite && abs(v) > Double(Float.greatestFiniteMagnitude) {
                throw EmberError.invalidArgument("linspace: \(label) \(v) cannot be converted to float32 without overflow")
            }
        case .int64:
            for (label, v) in [("start", start), ("end", end)] where !(v >= -9.223372036854775808e18 && v < 9.223372036854775808e18) {
                throw EmberError.invalidArgument("linspace: \(label) \(v) cannot be converted to int64 without overflow")
            }
        case .float64:
            break
        }
        let out = try NDArray(empty: [steps], dtype: dtype)
        guard steps > 1 else {
            // One step is `start` (torch fills rather than divide by steps - 1 = 0).
            if steps == 1 { Kernels.fill(out, with: dtype == .int64 ? Double(Int64(start)) : start) }
            return out
        }
        let halfway = steps / 2
        switch dtype {
        case .float32:
            let s = Float(start), e = Float(end), p = out.pointer(Float.self)
            let step = (e - s) / Float(steps - 1)
            for i in 0..<steps {
                p[i] = i < halfway ? s.addingProduct(step, Float(i)) : e.addingProduct(-step, Float(steps - i - 1))
            }
        case .float64:
            let p = out.pointer(Double.self)
            let step = (end - start) / Double(steps - 1)
            for i in 0..<steps {
                p[i] = i < halfway ? start.addingProduct(step, Double(i)) : end.addingProduct(-step, Double(steps - i - 1))
            }
        case .int64:
            // The bounds are truncated to int64 first; the step is a double.
            let s = Double(Int64(start)), e = Double(Int64(end)), p = out.pointer(Int64.self)
            let step = (e - s) / Double(steps - 1)
            for i in 0..<steps {
                let v = i < halfway ? s.addingProduct(step, Double(i)) : e.addingProduct(-step, Double(steps - i - 1))
                p[i] = Int64(castFrom: v)
            }
        case .bool:
            break
        }
        return out
    }

    /// torch.eye(n, m): an n x m matrix with ones on the main diagonal.
    public static func eye(_ n: Int, _ m: Int, dtype: DType) throws -> NDArray {
        guard n >= 0 else { throw EmberError.invalidArgument("eye: n must be greater or equal to 0, got \(n)") }
        guard m >= 0 else { throw EmberError.invalidArgument("eye: m must be greater or equal to 0, got \(m)") }
        let out = try zeros([n, m], dtype: dtype)
        let diagonal = Swift.min(n, m)
        switch dtype {
        case .float32: for i in 0..<diagonal { out.pointer(Float.self)[i * m + i] = 1 }
        case .float64: for i in 0..<diagonal { out.pointer(Double.self)[i * m + i] = 1 }
        case .int64: for i in 0..<diagonal { out.pointer(Int64.self)[i * m + i] = 1 }
        case .bool: for i in 0..<diagonal { out.pointer(Bool.self)[i * m + i] = true }
        }
        return out
    }

    // MARK: - Like another array

    /// Uninitialised memory with `template`'s shape and the given dtype (its own
    /// by default), laid out as torch.empty_like's preserve_format: with the
    /// template's strides when it is dense and non-overlapping (a transpose or
    /// permutation of a contiguous array), row-major otherwise (expanded or
    /// sliced views). Random fills then draw in the same memory order as torch.
    public static func emptyLike(_ template: NDArray, dtype: DType? = nil) throws -> NDArray {
        let dtype = dtype ?? template.dtype
        guard template.isNonOverlappingAndDense && !template.isContiguous else {
            return try NDArray(empty: template.shape, dtype: dtype)
        }
        let n = try Shapes.validate(template.shape, itemSize: dtype.itemSize)
        let storage = try Storage.allocate(byteCount: n * dtype.itemSize)
        return NDArray(storage: storage, dtype: dtype, shape: template.shape, strides: template.strides)
    }

    /// Whether the elements tile a block of memory exactly, in some order of
    /// the dimensions (torch's is_non_overlapping_and_dense).
    public var isNonOverlappingAndDense: Bool {
        // Dimensions of size 0 or 1 do not matter; the others, by increasing
        // stride, must each step over exactly the ones before.
        var dims = (0..<ndim).filter { shape[$0] >= 2 }
        dims.sort { strides[$0] < strides[$1] }
        var required = 1
        for d in dims {
            guard strides[d] == required else { return false }
            required &*= shape[d]
        }
        return true
    }

    /// torch.zeros_like: zeros with the template's shape, dtype and layout.
    public static func zerosLike(_ template: NDArray) throws -> NDArray { try fullLike(template, value: 0) }

    /// torch.ones_like.
    public static func onesLike(_ template: NDArray) throws -> NDArray { try fullLike(template, value: 1) }

    /// torch.full_like: `value` (converted as torch.full converts it) everywhere.
    public static func fullLike(_ template: NDArray, value: Double) throws -> NDArray {
        try checkFillValue(value, template.dtype)
        let out = try emptyLike(template)
        out.fillDense(value)
        return out
    }

    // MARK: - One-hot

    /// torch.nn.functional.one_hot: int64 class indices of any shape to an
    /// int64 array with one more dimension of `numClasses` (-1: one more than
    /// the largest index), holding 1 at each index and 0 elsewhere.
    public static func oneHot(_ indices: NDArray, numClasses: Int) throws -> NDArray {
        guard indices.dtype == .int64 else {
            throw EmberError.dtype("one_hot is only applicable to index tensor of type LongTensor (int64), got \(indices.dtype)")
        }
        guard indices.ndim < Dims.capacity else {
            throw EmberError.shape("one_hot: the indices already have \(indices.ndim) dimensions, the most an Ember tensor can have")
        }
        var shape = indices.shape
        if indices.count == 0 {
            guard numClasses > 0 else {
                throw EmberError.invalidArgument("one_hot: Can not infer total number of classes from empty tensor (num_classes = \(numClasses))")
            }
            shape.append(numClasses)
            return try NDArray(empty: shape, dtype: .int64)
        }
        let source = try indices.contiguous()
        let values = source.pointer(Int64.self)
        var low = values[0], high = values[0]
        for i in 1..<source.count {
            low = Swift.min(low, values[i])
            high = Swift.max(high, values[i])
        }
        guard low >= 0 else { throw EmberError.invalidArgument("one_hot: Class values must be non-negative (found \(low))") }
        let classes: Int
        if numClasses == -1 {
            guard let inferred = Int(exactly: high), inferred < Int.max else {
                throw EmberError.outOfMemory("one_hot: \(high) + 1 classes are too many")
            }
            classes = inferred + 1
        } else {
            guard Int64(numClasses) > high else {
                throw EmberError.invalidArgument("one_hot: Class values must be smaller than num_classes (found \(high), num_classes = \(numClasses))")
            }
            classes = numClasses
        }
        shape.append(classes)
        let out = try zeros(shape, dtype: .int64)
        let p = out.pointer(Int64.self)
        for i in 0..<source.count { p[i * classes + Int(values[i])] = 1 }
        return out
    }

    /// The rows (dimension 0) at `indices`, gathered into a new contiguous array.
    public func rows(_ indices: ArraySlice<Int>) throws -> NDArray {
        guard ndim >= 1 else { throw EmberError.shape("cannot select rows of a 0-dim tensor") }
        var shape = self.shape
        shape[0] = indices.count
        let out = try NDArray(empty: shape, dtype: dtype)
        let source = try contiguous()
        let rowBytes = (count / max(self.shape[0], 1)) * dtype.itemSize
        let src = source.rawPointer, dst = out.rawPointer
        for (j, i) in indices.enumerated() {
            guard i >= 0 && i < self.shape[0] else {
                throw EmberError.invalidArgument("index \(i) is out of bounds for dimension 0 with size \(self.shape[0])")
            }
            memcpy(dst + j * rowBytes, src + i * rowBytes, rowBytes)
        }
        return out
    }
}
