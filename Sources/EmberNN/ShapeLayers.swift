import EmberAutograd
import EmberTensor

/// Modules that only reshape (torch.nn.Flatten, Unflatten) or pass their input
/// through (torch.nn.Identity).

/// Merges dims start_dim ... end_dim into one (torch.nn.Flatten); by default
/// every dim but the batch: (N, C, H, W) -> (N, C * H * W).
///
/// ```swift
/// let model = try Sequential([try Conv2d(1, 8, kernelSize: [3]), Flatten(), try Linear(8 * 26 * 26, 10)])
/// ```
public final class Flatten: Module {
    /// The first and last dims merged (negative count from the end).
    public let startDim: Int, endDim: Int

    /// torch.nn.Flatten(start_dim=1, end_dim=-1).
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }

    override public var typeName: String { "Flatten" }
    override public var extraRepr: String { "start_dim=\(startDim), end_dim=\(endDim)" }

    override public func forward(_ input: Tensor) throws -> Tensor {
        do {
            return try input.flatten(startDim: startDim, endDim: endDim)
        } catch let error as EmberError {
            throw EmberError(error.kind, "Flatten: \(error.message) (input \(describe(input.shape)))")
        }
    }
}

/// Splits dim `dim` into `unflattenedSize` (torch.nn.Unflatten); one size may be -1.
public final class Unflatten: Module {
    /// The dim that is split.
    public let dim: Int
    /// The sizes it is split into (one may be -1, inferred).
    public let unflattenedSize: Dims

    /// torch.nn.Unflatten(dim, unflattened_size).
    public init(dim: Int, unflattenedSize: [Int]) throws {
        guard !unflattenedSize.isEmpty else { throw EmberError.invalidArgument("Unflatten: unflattened_size must be non-empty") }
        guard unflattenedSize.allSatisfy({ $0 >= -1 }), unflattenedSize.filter({ $0 == -1 }).count <= 1 else {
            throw EmberError.invalidArgument("Unflatten: unflattened_size must be non-negative sizes with at most one -1, got \(describe(unflattenedSize))")
        }
        self.dim = dim
        self.unflattenedSize = try Dims(checking: unflattenedSize)
        super.init()
    }

    override public var typeName: String { "Unflatten" }
    override public var extraRepr: String { "dim=\(dim), unflattened_size=\(pythonTuple(unflattenedSize.array))" }

    override public func forward(_ input: Tensor) throws -> Tensor {
        do {
            return try input.unflatten(dim: dim, sizes: unflattenedSize)
        } catch let error as EmberError {
            throw EmberError(error.kind, "Unflatten: \(error.message)")
        }
    }
}

/// Returns its input unchanged (torch.nn.Identity), a placeholder in a model.
public final class Identity: Module {
    override public init() { super.init() }
    override public var typeName: String { "Identity" }
    override public var extraRepr: String { "" }
    override public func forward(_ input: Tensor) throws -> Tensor { input }
}

// MARK: - Registry

extension ModuleRegistry {
    /// Flatten, Unflatten, Identity with torch's signatures.
    static let shapeModules: [String: Entry] = [
        "Flatten": Entry([.init("start_dim", .int(1)), .init("end_dim", .int(-1))]) { a in
            Flatten(startDim: try a.int("start_dim"), endDim: try a.int("end_dim"))
        },
        "Unflatten": Entry([.init("dim"), .init("unflattened_size")]) { a in
            guard let sizes = try intOrTuple(a, "unflattened_size", count: nil) else {
                throw a.mismatch("unflattened_size", "a tuple of ints", .none)
            }
            return try Unflatten(dim: a.int("dim"), unflattenedSize: sizes)
        },
        "Identity": Entry([]) { _ in Identity() },
    ]
}
