/// Selection and fused multiply-adds over broadcast operands: where,
/// masked_fill, lerp, addcmul and addcdiv, with torch's dtype checks.
extension Kernels {
    // MARK: - Selection

    /// torch.where(condition, a, b): a where condition holds, else b, over the
    /// broadcast shape of all three, in the promoted dtype of a and b.
    public static func `where`(_ condition: NDArray, _ a: NDArray, _ b: NDArray) throws -> NDArray {
        guard condition.dtype == .bool else {
            throw EmberError.dtype("where: expected condition to be a bool tensor, but got a tensor with dtype \(condition.dtype)")
        }
        let dtype = promoteTypes([(a.dtype, rank(a)), (b.dtype, rank(b))])
        let shape = try Shapes.broadcast(try Shapes.broadcast(condition.shape, a.shape), b.shape)
        let out = try NDArray(empty: shape, dtype: dtype)
        let x = try a.cast(to: dtype), y = try b.cast(to: dtype)
        switch dtype {
        case .float32: map3(condition, x, y, out) { (c: Bool, p: Float, q: Float) in c ? p : q }
        case .float64: map3(condition, x, y, out) { (c: Bool, p: Double, q: Double) in c ? p : q }
        case .int64: map3(condition, x, y, out) { (c: Bool, p: Int64, q: Int64) in c ? p : q }
        case .bool: map3(condition, x, y, out) { (c: Bool, p: Bool, q: Bool) in c ? p : q }
        }
        return out
    }

    /// torch.Tensor.masked_fill(mask, value): x with `value` where the bool
    /// mask holds. The result has the broadcast shape of x and mask and x's
    /// dtype; a value that does not fit that dtype is an error, as in torch.
    public static func maskedFill(_ x: NDArray, mask: NDArray, value: Double) throws -> NDArray {
        guard mask.dtype == .bool else {
            throw EmberError.dtype("masked_fill only supports boolean masks, but got mask with dtype \(mask.dtype)")
        }
        try checkFits(value, x.dtype, "masked_fill")
        let out = try NDArray(empty: try Shapes.broadcast(x.shape, mask.shape), dtype: x.dtype)
        switch x.dtype {
        case .float32:
            let v = Float(value)
            map2(x, mask, out) { (p: Float, m: Bool) in m ? v : p }
        case .float64: map2(x, mask, out) { (p: Double, m: Bool) in m ? value : p }
        case .int64:
            let v = Int64(castFrom: value)
            map2(x, mask, out) { (p: Int64, m: Bool) in m ? v : p }
        case .bool:
            let v = value != 0
            map2(x, mask, out) { (p: Bool, m: Bool) in m ? v : p }
        }
        return out
    }

    /// torch's check that a scalar converts to a dtype without overflow
    /// (infinities and NaN fit a float, not an integer).
    static func checkFits(_ value: Double, _ dtype: DType, _ function: String) throws {
        let fits: Bool
        switch dtype {
        case .float32: fits = !value.isFinite || Swift.abs(value) <= Double(Float.greatestFiniteMagnitude)
        case .float64, .bool: fits = true
        case .int64: fits = value >= -9_223_372_036_854_775_808.0 && value < 9_223_372_036_854_775_808.0
        }
        guard fits else {
            throw EmberError.invalidArgument("\(function): value \(value) cannot be converted to type \(dtype) without overflow")
        }
    }

    // MARK: - lerp

    /// torch.lerp(start, end, weight) for a scalar weight: start + weight * (end - start).
    public static func lerp(_ start: NDArray, _ end: NDArray, weight: Double) throws -> NDArray {
        try checkLerp(start, end, nil)
        let out = try NDArray(empty: try Shapes.broadcast(start.shape, end.shape), dtype: start.dtype)
        if start.dtype == .float32 {
            let w = Float(weight)
            map2(start, end, out) { (s: Float, e: Float) in lerpValue(s, e, w) }
        } else {
            map2(start, end, out) { (s: Double, e: Double) in lerpValue(s, e, weight) }
        }
        return out
    }

    /// torch.lerp with a weight tensor; all three broadcast together. A 0-dim
    /// weight may have another floating dtype (torch reads it as a number).
    public static func lerp(_ start: NDArray, _ end: NDArray, weight: NDArray) throws -> NDArray {
        try checkLerp(start, end, weight)
        let shape = try Shapes.broadcast(try Shapes.broadcast(start.shape, end.shape), weight.shape)
        let out = try NDArray(empty: shape, dtype: start.dtype)
        let w = try weight.cast(to: start.dtype)
        if start.dtype == .float32 {
            map3(start, end, w, out, grain: 8192) { (s: Float, e: Float, t: Float) in lerpValue(s, e, t) }
        } else {
            map3(start, end, w, out, grain: 8192) { (s: Double, e: Double, t: Double) in lerpValue(s, e, t) }
        }
        return out
    }

    static func checkLerp(_ start: NDArray, _ end: NDArray, _ weight: NDArray?) throws {
        guard start.dtype.isFloatingPoint else {
            throw EmberError.dtype("lerp is not implemented for \(start.dtype) tensors (as in torch); convert to a floating dtype first")
        }
        guard end.dtype == start.dtype else {
            throw EmberError.dtype("lerp: expected dtype \(start.dtype) for `end` but got dtype \(end.dtype)")
        }
        if let weight, weight.dtype != start.dtype && !(weight.ndim == 0 && weight.dtype.isFloatingPoint) {
            throw EmberError.dtype("lerp: expected dtype \(start.dtype) for `weight` but got dtype \(weight.dtype)")
        }
    }

    /// torch's lerp: from the nearer end, for accuracy at weights near 1, with
    /// fused multiply-adds as torch's vectorised kernel.
    @inline(__always)
    static func lerpValue<T: FloatMath>(_ s: T, _ e: T, _ w: T) -> T {
        let diff = e - s
        return w.magnitude < 0.5 ? s.addingProduct(w, diff) : e.addingProduct(-diff, 1 - w)
    }

    // MARK: - addcmul, addcdiv

    /// torch.addcmul: input + value * t1 * t2, broadcast and promoted together.
    /// For an int64 result the value is truncated, as torch converts it.
    public static func addcmul(_ input: NDArray, _ t1: NDArray, _ t2: NDArray, value: Double) throws -> NDArray {
        let dtype = promoteTypes([(input.dtype, rank(input)), (t1.dtype, rank(t1)), (t2.dtype, rank(t2))])
        guard dtype != .bool else { throw EmberError.dtype("addcmul is not implemented for bool tensors (as in torch)") }
        let (out, a, b, c) = try ternaryOperands(input, t1, t2, dtype)
        switch dtype {
        case .float32:
            let v = Float(value)
            map3(a, b, c, out) { (s: Float, x: Float, y: Float) in s + v * x * y }
        case .float64: map3(a, b, c, out) { (s: Double, x: Double, y: Double) in s + value * x * y }
        case .int64:
            let v = Int64(castFrom: value)
            map3(a, b, c, out) { (s: Int64, x: Int64, y: Int64) in s &+ v &* x &* y }
        case .bool: break
        }
        return out
    }

    /// torch.addcdiv: input + value * t1 / t2. Two integer divisors are an
    /// error, as in torch (it once meant integer division).
    public static func addcdiv(_ input: NDArray, _ t1: NDArray, _ t2: NDArray, value: Double) throws -> NDArray {
        guard t1.dtype.isFloatingPoint || t2.dtype.isFloatingPoint else {
            throw EmberError.dtype("addcdiv: integer division with addcdiv is not supported (tensor1 is \(t1.dtype), tensor2 is \(t2.dtype)); use input + value * torch.div(tensor1, tensor2, rounding_mode='trunc') for the historic behaviour, or convert to a floating dtype")
        }
        let dtype = promoteTypes([(input.dtype, rank(input)), (t1.dtype, rank(t1)), (t2.dtype, rank(t2))])
        let (out, a, b, c) = try ternaryOperands(input, t1, t2, dtype)
        switch dtype {
        case .float32:
            let v = Float(value)
            map3(a, b, c, out) { (s: Float, x: Float, y: Float) in s + v * x / y }
        case .float64: map3(a, b, c, out) { (s: Double, x: Double, y: Double) in s + value * x / y }
        case .int64, .bool: throw EmberError.internal("addcdiv reached an integer kernel")
        }
        return out
    }

    /// The result array and the three operands cast to `dtype`.
    static func ternaryOperands(_ a: NDArray, _ b: NDArray, _ c: NDArray, _ dtype: DType) throws -> (NDArray, NDArray, NDArray, NDArray) {
        let shape = try Shapes.broadcast(try Shapes.broadcast(a.shape, b.shape), c.shape)
        return (try NDArray(empty: shape, dtype: dtype), try a.cast(to: dtype), try b.cast(to: dtype), try c.cast(to: dtype))
    }
}
