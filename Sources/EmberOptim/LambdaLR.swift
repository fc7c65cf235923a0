import EmberTensor

/// A learning-rate factor as a function of the epoch and the group index
/// (torch takes one lambda, or a list with one per group; here the group index
/// selects). It may fail; the scheduler step then fails with its error.
public typealias LRLambda = (_ epoch: Int, _ group: Int) throws -> Double

/// Sets each group's rate to its base rate times `lambda(epoch)` (torch's LambdaLR).
///
/// ```swift
/// let warmup = try LambdaLR(optimizer: opt) { epoch, _ in min(1, Double(epoch + 1) / 10) }
/// ```
public final class LambdaLR: LRScheduler {
    let lambda: LRLambda

    /// Takes the initial step, which calls `lambda` for epoch 0 (a failure fails the initialiser).
    public init(optimizer: Optimizer, lambda: @escaping LRLambda) throws {
        self.lambda = lambda
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "LambdaLR" }

    override public func getLR() throws -> [Double] {
        try baseLRs.enumerated().map { g, base in base * (try lambda(lastEpoch, g)) }
    }
}

/// Multiplies each group's rate by `lambda(epoch)` every epoch after the
/// initial one (torch's MultiplicativeLR).
public final class MultiplicativeLR: LRScheduler {
    let lambda: LRLambda

    /// `lambda` is first called at the first step (the initial step keeps the rates).
    public init(optimizer: Optimizer, lambda: @escaping LRLambda) throws {
        self.lambda = lambda
        try super.init(optimizer: optimizer)
    }

    override public var typeName: String { "MultiplicativeLR" }

    override public func getLR() throws -> [Double] {
        if isInitial { return currentLRs }
        return try currentLRs.enumerated().map { g, lr in lr * (try lambda(lastEpoch, g)) }
    }
}
