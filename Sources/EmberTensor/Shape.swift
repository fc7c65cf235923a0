/// Shape arithmetic shared by every layer: element counts without overflow,
/// row-major strides, dim normalisation and broadcasting.
public enum Shapes {
    /// The most dimensions a tensor may have (torch allows more; no model here needs them).
    public static let maxDims = Dims.capacity

    /// The number of elements of `shape`, or an error for negative sizes and
    /// products that overflow (which no allocation could satisfy).
    public static func count(_ shape: Dims) throws -> Int {
        // Over the entries' bytes: iterating a Dims copies it per element.
        var n = 1, negative: Int? = nil, overflow = false
        withUnsafeBytes(of: shape.storage) { p in
            for d in 0..<shape.length {
                let size = p.load(fromByteOffset: d &* 8, as: Int.self)
                if size < 0 { negative = size; return }
                let (product, over) = n.multipliedReportingOverflow(by: size)
                if over { overflow = true; return }
                n = product
            }
        }
        if let negative { throw EmberError.invalidArgument("negative size \(negative) in shape \(describe(shape))") }
        guard !overflow else { throw EmberError.outOfMemory("shape \(describe(shape)) has more elements than can be addressed") }
        return n
    }

    /// Checks that a shape is valid and that its bytes can be addressed.
    public static func validate(_ shape: Dims, itemSize: Int) throws -> Int {
        let n = try count(shape)
        let (_, overflow) = n.multipliedReportingOverflow(by: itemSize)
        guard !overflow else { throw EmberError.outOfMemory("shape \(describe(shape)) needs more bytes than can be addressed") }
        return n
    }

    /// Row-major strides (in elements) for a shape.
    @inlinable
    public static func contiguousStrides(_ shape: Dims) -> Dims {
        var strides = shape
        // In place over the entries' bytes: one pass, no tuple copy per subscript.
        withUnsafeMutableBytes(of: &strides.storage) { p in
            var running = 1, d = shape.length - 1
            while d >= 0 {
                let size = p.load(fromByteOffset: d &* 8, as: Int.self)
                p.storeBytes(of: running, toByteOffset: d &* 8, as: Int.self)
                running &*= Swift.max(size, 1)
                d -= 1
            }
        }
        return strides
    }

    /// `dim` in 0..<ndim, accepting negative dims as torch does.
    public static func normalize(_ dim: Int, _ ndim: Int, name: String = "dim") throws -> Int {
        // A 0-dim tensor accepts dim 0 and -1, as in torch.
        let extent = Swift.max(ndim, 1)
        guard dim >= -extent && dim < extent else {
            throw EmberError.invalidArgument(
                "\(name) \(dim) is out of range for a tensor of \(ndim) dimension\(ndim == 1 ? "" : "s") (expected \(-extent)...\(extent - 1))")
        }
        return dim < 0 ? dim + extent : dim
    }

    /// Distinct normalised dims, in the given order; an error on repeats.
    public static func normalize(dims: Dims, _ ndim: Int) throws -> Dims {
        var seen: UInt64 = 0
        var result = Dims()
        for dim in dims {
            let d = try normalize(dim, ndim)
            guard seen & (1 << d) == 0 else { throw EmberError.invalidArgument("dim \(d) appears more than once in \(describe(dims))") }
            seen |= 1 << d
            result.append(d)
        }
        return result
    }

    /// The broadcast shape of two shapes (aligned from the right).
    public static func broadcast(_ a: Dims, _ b: Dims) throws -> Dims {
        if a == b { return a }
        let n = Swift.max(a.count, b.count)
        var out = Dims(repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw EmberError.shape(
                    "shapes \(describe(a)) and \(describe(b)) cannot be broadcast together (size \(da) vs \(db) at dimension \(i))")
            }
        }
        return out
    }

    /// Strides that read `shape`/`strides` as if it had `target`'s shape
    /// (0 for broadcast dimensions). `shape` must broadcast to `target`.
    @inlinable
    public static func broadcastStrides(_ shape: Dims, _ strides: Dims, to target: Dims) -> Dims {
        var out = Dims(repeating: 0, count: target.count)
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 {
            out[lead + i] = strides[i]
        }
        return out
    }
}
