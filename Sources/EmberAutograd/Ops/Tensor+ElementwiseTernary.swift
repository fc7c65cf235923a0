import EmberTensor

/// lerp, addcmul and addcdiv with gradients; every operand broadcasts, and
/// each gradient is summed back to its operand's shape and dtype.
extension Tensor {
    /// torch.lerp(start, end, weight) with a scalar weight:
    /// start + weight * (end - start). d/dstart = 1 - weight, d/dend = weight.
    public func lerp(_ end: Tensor, weight: Double) throws -> Tensor {
        let value = try Kernels.lerp(array, end.array, weight: weight)
        let (ss, ds, se, de) = (shape, dtype, end.shape, end.dtype)
        return Tensor.record(value, "LerpBackward0", inputs: [self, end]) { g, ctx in
            [ctx.needsGrad(0) ? try g.mul(1 - weight).reduceGrad(to: ss, ds) : nil,
             ctx.needsGrad(1) ? try g.mul(weight).reduceGrad(to: se, de) : nil]
        }
    }

    /// torch.lerp with a weight tensor (same dtype as start, or 0-dim).
    /// d/dstart = 1 - weight, d/dend = weight, d/dweight = end - start.
    public func lerp(_ end: Tensor, weight: Tensor) throws -> Tensor {
        let value = try Kernels.lerp(array, end.array, weight: weight.array)
        let (ss, ds, se, de, sw, dw) = (shape, dtype, end.shape, end.dtype, weight.shape, weight.dtype)
        return Tensor.record(value, "LerpBackward1", inputs: [self, end, weight], saving: [self, end, weight]) { g, ctx in
            let start = try ctx.saved(0), end = try ctx.saved(1), w = try ctx.saved(2)
            return [ctx.needsGrad(0) ? try g.mul(Tensor.oneMinus(w)).reduceGrad(to: ss, ds) : nil,
                    ctx.needsGrad(1) ? try g.mul(w).reduceGrad(to: se, de) : nil,
                    ctx.needsGrad(2) ? try g.mul(end.sub(start)).reduceGrad(to: sw, dw) : nil]
        }
    }

    /// torch.addcmul: self + value * tensor1 * tensor2.
    /// d/dself = 1, d/dtensor1 = value * tensor2, d/dtensor2 = value * tensor1.
    public func addcmul(_ tensor1: Tensor, _ tensor2: Tensor, value: Double = 1) throws -> Tensor {
        let result = try Kernels.addcmul(array, tensor1.array, tensor2.array, value: value)
        let (s0, d0, s1, d1, s2, d2) = (shape, dtype, tensor1.shape, tensor1.dtype, tensor2.shape, tensor2.dtype)
        return Tensor.record(result, "AddcmulBackward0", inputs: [self, tensor1, tensor2], saving: [tensor1, tensor2]) { g, ctx in
            [ctx.needsGrad(0) ? try g.reduceGrad(to: s0, d0) : nil,
             ctx.needsGrad(1) ? try g.mul(ctx.saved(1).mul(value)).reduceGrad(to: s1, d1) : nil,
             ctx.needsGrad(2) ? try g.mul(ctx.saved(0).mul(value)).reduceGrad(to: s2, d2) : nil]
        }
    }

    /// torch.addcdiv: self + value * tensor1 / tensor2 (two integer tensors
    /// are an error, as in torch). d/dtensor1 = value / tensor2,
    /// d/dtensor2 = -value * tensor1 / tensor2^2.
    public func addcdiv(_ tensor1: Tensor, _ tensor2: Tensor, value: Double = 1) throws -> Tensor {
        let result = try Kernels.addcdiv(array, tensor1.array, tensor2.array, value: value)
        let (s0, d0, s1, d1, s2, d2) = (shape, dtype, tensor1.shape, tensor1.dtype, tensor2.shape, tensor2.dtype)
        return Tensor.record(result, "AddcdivBackward0", inputs: [self, tensor1, tensor2], saving: [tensor1, tensor2]) { g, ctx in
            let t1 = try ctx.saved(0), t2 = try ctx.saved(1)
            return [ctx.needsGrad(0) ? try g.reduceGrad(to: s0, d0) : nil,
                    ctx.needsGrad(1) ? try g.mul(t2.reciprocal().mul(value)).reduceGrad(to: s1, d1) : nil,
                    ctx.needsGrad(2) ? try g.mul(t1.mul(value).div(t2.mul(t2))).neg().reduceGrad(to: s2, d2) : nil]
        }
    }
}
