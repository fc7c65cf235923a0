import EmberAutograd
import EmberTensor

/// A module whose forward is a closure (from C: a callback with user data),
/// with children, parameters and buffers registered on it by name. It gets
/// the same naming, train/eval propagation, optimizer support and saving as
/// built-in modules: residual blocks, two-headed actor-critics, language models.
public final class CustomModule: Module {
    public typealias Forward = (_ module: CustomModule, _ inputs: [Tensor]) throws -> [Tensor]

    let name: String
    let body: Forward
    /// Re-entry guard: a forward that calls itself forever is an error, not a stack overflow.
    private var depth = 0

    public init(typeName: String, forward: @escaping Forward) {
        self.name = typeName
        self.body = forward
        super.init()
    }

    override public var typeName: String { name }
    override public var extraRepr: String { "" }

    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard depth < 64 else {
            throw EmberError.state("\(name): forward re-entered itself more than 64 times; a module cannot call itself recursively without bound")
        }
        depth += 1
        defer { depth -= 1 }
        return try body(self, inputs)
    }
}
