import Glibc

/// Creation: from host memory, constant fills, ranges and random samples.
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
        if dtype == .int64 {
            guard value.isFinite, value >= -9.223372036854775808e18, value < 9.223372036854775808e18 else {
                throw EmberError.invalidArgument("fill value \(value) cannot be converted to int64")
            }
        }
        let out = try NDArray(empty: shape, dtype: dtype)
        if value == 0 {
            memset(out.rawPointer, 0, out.count * dtype.itemSize)
        } else {
            Kernels.fill(out, with: value)
        }
        return out
    }

    public static func zeros(_ shape: Dims, dtype: DType) throws -> NDArray { try full(shape, value: 0, dtype: dtype) }
    public static func ones(_ shape: Dims, dtype: DType) throws -> NDArray { try full(shape, value: 1, dtype: dtype) }

    /// torch.arange(start, end, step): ceil((end - start) / step) values, each
    /// start + i * step computed in double (int64: in int64 from truncated bounds).
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
            for i in 0..<n { p[i] = Float(start + Double(i) * step) }
        case .float64:
            let p = out.pointer(Double.self)
            for i in 0..<n { p[i] = start + Double(i) * step }
        case .int64:
            let s = Int64(castFrom: start), st = Int64(castFrom: step)
            let p = out.pointer(Int64.self)
            for i in 0..<n { p[i] = s &+ Int64(i) &* st }
        case .bool: break
        }
        return out
    }

    /// torch.rand from the global generator.
    public static func rand(_ shape: Dims, dtype: DType) throws -> NDArray {
        try uniform(shape, from: 0, to: 1, dtype: dtype, function: "rand")
    }

    /// torch.empty(shape).uniform_(from, to) from the global generator.
    public static func uniform(_ shape: Dims, from: Double, to: Double, dtype: DType, function: String = "uniform") throws -> NDArray {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("\(function): expected a floating dtype, got \(dtype)") }
        let out = try NDArray(empty: shape, dtype: dtype)
        try out.fillUniform(from: from, to: to)
        return out
    }

    /// torch.randn from the global generator.
    public static func randn(_ shape: Dims, dtype: DType) throws -> NDArray {
        guard dtype.isFloatingPoint else { throw EmberError.dtype("randn: expected a floating dtype, got \(dtype)") }
        let out = try NDArray(empty: shape, dtype: dtype)
        try out.fillNormal(mean: 0, std: 1)
        return out
    }

    /// In-place uniform_(from, to) of a contiguous floating array.
    public func fillUniform(from: Double, to: Double) throws {
        guard from <= to else { throw EmberError.invalidArgument("uniform_ expects from <= to, but got from=\(from) to=\(to)") }
        guard isContiguous else { throw EmberError.internal("fillUniform needs a contiguous array") }
        GlobalGenerator.withState { g in
            switch dtype {
            case .float32: g.uniform(pointer(Float.self), count: count, from: from, to: to)
            case .float64: g.uniform(pointer(Double.self), count: count, from: from, to: to)
            case .int64, .bool: break
            }
        }
        storage.version &+= 1
    }

    /// In-place normal_(mean, std) of a contiguous floating array.
    public func fillNormal(mean: Double, std: Double) throws {
        guard std >= 0 else { throw EmberError.invalidArgument("normal expects std >= 0.0, but found std \(std)") }
        guard isContiguous else { throw EmberError.internal("fillNormal needs a contiguous array") }
        GlobalGenerator.withState { g in
            switch dtype {
            case .float32: g.normal(pointer(Float.self), count: count, mean: mean, std: std)
            case .float64: g.normal(pointer(Double.self), count: count, mean: mean, std: std)
            case .int64, .bool: break
            }
        }
        storage.version &+= 1
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
