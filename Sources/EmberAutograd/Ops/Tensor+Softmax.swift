import EmberTensor

/// softmax and log_softmax along a dim, with gradients written in
/// differentiable ops (so they can be differentiated again).
extension Tensor {
    /// torch.softmax(x, dim). d/dx: y * (g - sum(g * y, dim)).
    public func softmax(dim: Int) throws -> Tensor {
        let value = try Kernels.softmax(array, dim: dim, log: false)
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(value, "SoftmaxBackward0", inputs: [self], saveOutput: true) { g, ctx in
            let y = try ctx.output()
            return [try y.mul(g.sub(g.mul(y).sum(dims: [d], keepdim: true)))]
        }
    }

    /// torch.log_softmax(x, dim). d/dx: g - exp(y) * sum(g, dim).
    public func logSoftmax(dim: Int) throws -> Tensor {
        let value = try Kernels.softmax(array, dim: dim, log: true)
        let d = try Shapes.normalize(dim, ndim)
        return Tensor.record(value, "LogSoftmaxBackward0", inputs: [self], saveOutput: true) { g, ctx in
            let y = try ctx.output()
            return [try g.sub(y.exp().mul(g.sum(dims: [d], keepdim: true)))]
        }
    }
}
