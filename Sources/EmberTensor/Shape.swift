/// Shape arithmetic shared by every layer: element counts without overflow,
/// row-major strides, dim normalisation and broadcasting.
public enum Shapes {
    /// torch's limit on the number of dimensions.
    public static let maxDims = 64

    /// The number of elements of `shape`, or an error for negative sizes and
    /// products that overflow (which no allocation could satisfy).
    public static func count(_ shape: [Int]) throws -> Int {
        var n = 1
        for size in shape {
            guard size >= 0 else { throw EmberError.invalidArgument("negative size \(size) in shape \(describe(shape))") }
            let (product, overflow) = n.multipliedReportingOverflow(by: size)
            guard !overflow else { throw EmberError.outOfMemory("shape \(describe(shape)) has more elements than can be addressed") }
            n = product
        }
        return n
    }

    /// Checks that a shape is valid and that its bytes can be addressed.
    public static func validate(_ shape: [Int], itemSize: Int) throws -> Int {
        guard shape.count <= maxDims else {
            throw EmberError.invalidArgument("a tensor may have at most \(maxDims) dimensions, got \(shape.count)")
        }
        let n = try count(shape)
        let (_, overflow) = n.multipliedReportingOverflow(by: itemSize)
        guard !overflow else { throw EmberError.outOfMemory("shape \(describe(shape)) needs more bytes than can be addressed") }
        return n
    }

    /// Row-major strides (in elements) for a shape.
    @inlinable
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = running
            running &*= max(shape[d], 1)
        }
        return strides
    }

    /// `dim` in 0..<ndim, accepting negative dims as torch does.
    public static func normalize(_ dim: Int, _ ndim: Int, name: String = "dim") throws -> Int {
        // A 0-dim tensor accepts dim 0 and -1, as in torch.
        let extent = max(ndim, 1)
        guard dim >= -extent && dim < extent else {
            throw EmberError.invalidArgument(
                "\(name) \(dim) is out of range for a tensor of \(ndim) dimension\(ndim == 1 ? "" : "s") (expected \(-extent)...\(extent - 1))")
        }
        return dim < 0 ? dim + extent : dim
    }

    /// Distinct normalised dims, in the given order; an error on repeats.
    public static func normalize(dims: [Int], _ ndim: Int) throws -> [Int] {
        var seen = [Bool](repeating: false, count: max(ndim, 1))
        var result: [Int] = []
        result.reserveCapacity(dims.count)
        for dim in dims {
            let d = try normalize(dim, ndim)
            guard !seen[d] else { throw EmberError.invalidArgument("dim \(d) appears more than once in \(describe(dims))") }
            seen[d] = true
            result.append(d)
        }
        return result
    }

    /// The broadcast shape of two shapes (aligned from the right).
    public static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        if a == b { return a }
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
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
    public static func broadcastStrides(_ shape: [Int], _ strides: [Int], to target: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: target.count)
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 {
            out[lead + i] = strides[i]
        }
        return out
    }
}
