import EmberAutograd
import EmberTensor

// Per-parameter state as the update kernels use it: buffers shaped like the
// parameter, made on a parameter's first step (torch's lazy state), and the
// step count as the 0-dim float32 tensor torch keeps.

extension Optimizer {
    /// The state buffer `key` of `p`, made on first use filled with `fill`.
    func buffer(_ p: Tensor, _ key: String, fill: Double = 0) throws -> NDArray {
        let id = ObjectIdentifier(p)
        if let existing = state[id]?[key] { return existing }
        let made = try NDArray.full(p.shape, value: fill, dtype: p.dtype)
        state[id, default: [:]][key] = made
        return made
    }

    /// A 0-dim state value of `p` (made on first use with `initial`).
    func scalar(_ p: Tensor, _ key: String, dtype: DType = .float32, initial: Double) throws -> NDArray {
        let id = ObjectIdentifier(p)
        if let existing = state[id]?[key] { return existing }
        let made = try NDArray.full([], value: initial, dtype: dtype)
        state[id, default: [:]][key] = made
        return made
    }

    /// Adds one to `p`'s float32 step count (torch's `step_t += 1`, in float32
    /// as torch counts) and returns the new count.
    func advanceStep(_ p: Tensor) throws -> Double {
        let step = try scalar(p, "step", initial: 0).pointer(Float.self)
        step[0] += 1
        return Double(step[0])
    }

    /// Runs `body` on each parameter of `group` that has a gradient, with the
    /// elements of the parameter's values and of its gradient, contiguous in
    /// its dtype; the values are written back (and the version bumped) afterwards.
    func forEachGradient(_ group: ParamGroup, _ body: (Tensor, Elements, Elements) throws -> Void) throws {
        for p in group.params {
            guard let grad = p.grad else { continue }
            guard p.dtype.isFloatingPoint, grad.dtype == p.dtype else {
                throw EmberError.dtype("\(typeName): cannot update a \(p.dtype) parameter with a \(grad.dtype) gradient")
            }
            if p.array.isContiguous && grad.array.isContiguous {
                // The usual case: the elements where they are, without the closure of inPlace.
                try body(p, Elements(p.array.rawPointer, p.array.count), Elements(grad.array.rawPointer, grad.array.count))
                p.array.storage.version &+= 1
                continue
            }
            let g = try grad.array.contiguous()
            try inPlace(p) { values in try body(p, Elements(values.rawPointer, values.count), Elements(g.rawPointer, g.count)) }
        }
    }
}

/// Contiguous elements as an update reads them: the first one's address and
/// the count. What forEachGradient hands the optimizers rather than arrays:
/// passing an NDArray copies it and retains its storage.
struct Elements {
    let base: UnsafeMutableRawPointer
    let count: Int

    @inline(__always) init(_ base: UnsafeMutableRawPointer, _ count: Int) {
        self.base = base
        self.count = count
    }

    /// The elements typed; `T` must be the array's element type.
    @inline(__always) func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> { base.assumingMemoryBound(to: T.self) }
}

/// Runs an in-place update on a parameter's values through a contiguous
/// array, writing back if the parameter is a strided view.
func inPlace(_ p: Tensor, _ body: (NDArray) throws -> Void) throws {
    if p.array.isContiguous {
        try body(p.array)
        p.array.storage.version &+= 1
    } else {
        let copy = try p.array.contiguous(force: true)
        try body(copy)
        try p.copyValues(from: copy)
    }
}

/// Elements per thread below which an update stays on one core.
let updateGrain = 16_384

/// torch's CPU lerp with a scalar weight: `self + w * (end - self)` for |w| < 0.5,
/// else `end - (end - self) * (1 - w)`, in the element type's arithmetic.
@inline(__always)
func lerp<T: FloatElement>(_ a: T, _ b: T, _ w: T) -> T {
    abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
}

/// torch.maximum: NaN if either is NaN.
@inline(__always)
func nanMaximum<T: FloatElement>(_ a: T, _ b: T) -> T {
    a.isNaN || b.isNaN ? a + b : Swift.max(a, b)
}
