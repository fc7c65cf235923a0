import EmberTensor

/// Elementwise arithmetic with gradients. Broadcasting is undone in one place,
/// `reduceGrad`, which sums a gradient back to an input's shape and dtype.
extension Tensor {
    // MARK: - Binary

    /// a + b (torch.add).
    public func add(_ other: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.add, array, other.array)
        guard Tensor.recording(self, other) else { return Tensor(value) }
        let (sa, da, sb, db) = (shape, dtype, other.shape, other.dtype)
        return Tensor.record(value, "AddBackward0", inputs: [self, other]) { g, ctx in
            [ctx.needsGrad(0) ? try g.reduceGrad(to: sa, da) : nil,
             ctx.needsGrad(1) ? try g.reduceGrad(to: sb, db) : nil]
        }
    }

    /// a - b (torch.sub).
    public func sub(_ other: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.sub, array, other.array)
        guard Tensor.recording(self, other) else { return Tensor(value) }
        let (sa, da, sb, db) = (shape, dtype, other.shape, other.dtype)
        return Tensor.record(value, "SubBackward0", inputs: [self, other]) { g, ctx in
            [ctx.needsGrad(0) ? try g.reduceGrad(to: sa, da) : nil,
             ctx.needsGrad(1) ? try g.neg().reduceGrad(to: sb, db) : nil]
        }
    }

    /// a * b (torch.mul). d/da = b, d/db = a.
    public func mul(_ other: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.mul, array, other.array)
        guard Tensor.recording(self, other) else { return Tensor(value) }
        let (sa, da, sb, db) = (shape, dtype, other.shape, other.dtype)
        return Tensor.record(value, "MulBackward0", inputs: [self, other], saving: [self, other]) { g, ctx in
            [ctx.needsGrad(0) ? try g.mul(ctx.saved(1)).reduceGrad(to: sa, da) : nil,
             ctx.needsGrad(1) ? try g.mul(ctx.saved(0)).reduceGrad(to: sb, db) : nil]
        }
    }

    /// a / b, true division (torch.div). d/da = 1/b, d/db = -a/b^2.
    public func div(_ other: Tensor) throws -> Tensor {
        let value = try Kernels.binary(.div, array, other.array)
        guard Tensor.recording(self, other) else { return Tensor(value) }
        let (sa, da, sb, db) = (shape, dtype, other.shape, other.dtype)
        return Tensor.record(value, "DivBackward0", inputs: [self, other], saving: [self, other]) { g, ctx in
            let a = try ctx.saved(0), b = try ctx.saved(1)
            return [ctx.needsGrad(0) ? try g.div(b).reduceGrad(to: sa, da) : nil,
                    ctx.needsGrad(1) ? try g.mul(a).div(b.mul(b)).neg().reduceGrad(to: sb, db) : nil]
        }
    }

    // MARK: - With a scalar

    /// a + s.
    public func add(_ s: Double) throws -> Tensor {
        let value = try Kernels.binary(.add, array, scalar: s)
        let (sa, da) = (shape, dtype)
        return Tensor.record(value, "AddBackward1", inputs: [self]) { g, _ in [try g.reduceGrad(to: sa, da)] }
    }

    /// a - s.
    public func sub(_ s: Double) throws -> Tensor {
        let value = try Kernels.binary(.sub, array, scalar: s)
        let (sa, da) = (shape, dtype)
        return Tensor.record(value, "SubBackward1", inputs: [self]) { g, _ in [try g.reduceGrad(to: sa, da)] }
    }

    /// a * s. d/da = s.
    public func mul(_ s: Double) throws -> Tensor {
        let value = try Kernels.binary(.mul, array, scalar: s)
        let (sa, da) = (shape, dtype)
        return Tensor.record(value, "MulBackward1", inputs: [self]) { g, _ in [try g.mul(s).reduceGrad(to: sa, da)] }
    }

    /// a / s. d/da = 1/s.
    public func div(_ s: Double) throws -> Tensor {
        let value = try Kernels.binary(.div, array, scalar: s)
        let (sa, da) = (shape, dtype)
        return Tensor.record(value, "DivBackward1", inputs: [self]) { g, _ in [try g.div(s).reduceGrad(to: sa, da)] }
    }

    // MARK: - Unary

    /// -x (torch.neg).
    public func neg() throws -> Tensor {
        let value = try Kernels.unary(.neg, array)
        return Tensor.record(value, "NegBackward0", inputs: [self]) { g, _ in [try g.neg()] }
    }

    /// e^x (torch.exp). d/dx = e^x, the saved output.
    public func exp() throws -> Tensor {
        let value = try Kernels.unary(.exp, array)
        return Tensor.record(value, "ExpBackward0", inputs: [self], saveOutput: true) { g, ctx in
            [try g.mul(ctx.output())]
        }
    }

    /// ln x (torch.log). d/dx = 1/x.
    public func log() throws -> Tensor {
        let value = try Kernels.unary(.log, array)
        return Tensor.record(value, "LogBackward0", inputs: [self], saving: [self]) { g, ctx in
            [try g.div(ctx.saved(0))]
        }
    }

    /// max(x, 0) (torch.relu). d/dx = 1 where the output is positive, else 0
    /// (0 at x = 0, as torch's threshold_backward gives).
    public func relu() throws -> Tensor {
        let value = try Kernels.unary(.relu, array)
        return Tensor.record(value, "ReluBackward0", inputs: self, saveOutput: true) { g, ctx in
            let output = try ctx.outputValue()
            if !GradMode.isEnabled { return Gradients(Tensor(try Kernels.reluBackward(g.array, output: output))) }
            return Gradients(try g.mul(Tensor(try Kernels.positiveMask(output))))
        }
    }

    // MARK: - Gradient plumbing

    /// Sums a gradient over the dimensions that broadcasting added or
    /// stretched, back to `shape`, and converts it to `dtype`.
    public func reduceGrad(to shape: Dims, _ dtype: DType) throws -> Tensor {
        var g = self
        if g.shape != shape { g = try g.sumTo(shape) }
        if g.dtype != dtype { g = try g.to(dtype) }
        return g
    }

    /// The sum of this tensor down to `shape`, which it must broadcast from.
    public func sumTo(_ target: Dims) throws -> Tensor {
        if shape == target { return self }
        let lead = ndim - target.count
        guard lead >= 0 else { throw EmberError.shape("sum_to: cannot reduce \(describe(shape)) to \(describe(target))") }
        var dims: Dims = Dims(0..<lead)
        for (i, size) in target.enumerated() where size == 1 && shape[lead + i] != 1 { dims.append(lead + i) }
        var g = self
        if !dims.isEmpty { g = try g.sum(dims: dims, keepdim: true) }
        return try g.reshape(target)
    }
}

// MARK: - Operators

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.add(b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.sub(b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.mul(b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.div(b) }
    public static func + (a: Tensor, s: Double) throws -> Tensor { try a.add(s) }
    public static func - (a: Tensor, s: Double) throws -> Tensor { try a.sub(s) }
    public static func * (a: Tensor, s: Double) throws -> Tensor { try a.mul(s) }
    public static func / (a: Tensor, s: Double) throws -> Tensor { try a.div(s) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }
}
