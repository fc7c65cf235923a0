import EmberTensor

/// A user-defined differentiable op (torch.autograd.Function): a forward that
/// computes the result from the inputs (run with grad mode off, as torch
/// does) and a backward that turns the result's gradient into the inputs'.
/// Applying it records a node like any built-in op, so it composes with the
/// rest of the graph, and with create_graph its backward is recorded too.
///
/// ```swift
/// let cube = Function(name: "Cube", forward: { try $0[0].mul($0[0]).mul($0[0]) },
///                     backward: { g, inputs in [try g.mul(inputs[0].mul(inputs[0]).mul(3))] })
/// let y = try cube.apply([x])
/// ```
public final class Function {
    public typealias Forward = ([Tensor]) throws -> Tensor
    /// Given d(loss)/d(output) and the inputs, one gradient per input (nil for none).
    public typealias Backward = (_ grad: Tensor, _ inputs: [Tensor]) throws -> [Tensor?]

    public let name: String
    let forward: Forward
    let backward: Backward

    public init(name: String, forward: @escaping Forward, backward: @escaping Backward) {
        self.name = name
        self.forward = forward
        self.backward = backward
    }

    /// Runs forward on `inputs` and records the result in the graph.
    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        let result = try GradMode.with(false) { try forward(inputs) }
        let value = result.array
        let shapes = inputs.map(\.shape), dtypes = inputs.map(\.dtype)
        let (name, backward) = (self.name, self.backward)
        return Tensor.record(value, name + "Backward", inputs: inputs, saving: inputs) { g, ctx in
            let saved = try (0..<shapes.count).map { try ctx.saved($0) }
            let grads = try backward(g, saved)
            guard grads.count == shapes.count else {
                throw EmberError.invalidArgument("function \(name): backward returned \(grads.count) gradients for \(shapes.count) inputs")
            }
            return Gradients(try grads.enumerated().map { i, grad -> Tensor? in
                guard let grad, ctx.needsGrad(i) else { return nil }
                guard grad.shape == shapes[i] else {
                    throw EmberError.shape("function \(name): backward returned a gradient of shape \(describe(grad.shape)) for input \(i) of shape \(describe(shapes[i]))")
                }
                return grad.dtype == dtypes[i] ? grad : try grad.to(dtypes[i])
            })
        }
    }
}
