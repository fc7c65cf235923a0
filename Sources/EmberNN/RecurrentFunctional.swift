import EmberAutograd
import EmberTensor

/// One direction of one recurrent layer as a single differentiable op: the
/// fused kernels of EmberTensor's Recurrent.swift forward, and their
/// backpropagation through time when nobody differentiates the backward. Under
/// create_graph the backward is the same recurrence written in differentiable
/// Tensor ops, recomputed from the saved inputs, so it can be differentiated again.
enum RecurrentFunctional {
    /// torch's name for the mode, in node names and messages.
    static func name(_ mode: RecurrentMode) -> String {
        switch mode {
        case .rnnTanh, .rnnRelu: "RNN"
        case .lstm: "LSTM"
        case .gru: "GRU"
        }
    }

    /// Runs `input` (L, N, I) from `h0` (N, H) (and `c0` for LSTM) through one
    /// direction of a layer. Returns the hidden state of every step at its time
    /// index, (L, N, H); for LSTM (2, L, N, H), hidden states then cell states.
    static func layer(_ mode: RecurrentMode, input x: Tensor, h0: Tensor, c0: Tensor?, weightIH: Tensor, weightHH: Tensor,
                      biasIH: Tensor?, biasHH: Tensor?, reverse: Bool) throws -> Tensor {
        // Inputs in a fixed order; optional ones are simply absent.
        var inputs = [x, h0]
        let c0Index = c0.map { inputs.append($0); return inputs.count - 1 }
        let ihIndex = inputs.count, hhIndex = inputs.count + 1
        inputs += [weightIH, weightHH]
        let biasIHIndex = biasIH.map { inputs.append($0); return inputs.count - 1 }
        let biasHHIndex = biasHH.map { inputs.append($0); return inputs.count - 1 }
        let recording = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
        let weights = RecurrentWeights(ih: weightIH.array, hh: weightHH.array, biasIH: biasIH?.array, biasHH: biasHH?.array)
        let (value, activations) = try Kernels.recurrentForward(mode, input: x.array, h0: h0.array, c0: c0?.array, weights: weights,
                                                                reverse: reverse, keepActivations: recording)
        let count = inputs.count
        return Tensor.record(value, "\(name(mode))LayerBackward0", inputs: inputs, saving: inputs, saveOutput: true) { g, ctx in
            let saved = try (0..<count).map { try ctx.saved($0) }
            let needs = RecurrentNeeds(input: ctx.needsGrad(0), h0: ctx.needsGrad(1), c0: c0Index.map { ctx.needsGrad($0) } ?? false,
                                       ih: ctx.needsGrad(ihIndex), hh: ctx.needsGrad(hhIndex),
                                       biasIH: biasIHIndex.map { ctx.needsGrad($0) } ?? false,
                                       biasHH: biasHHIndex.map { ctx.needsGrad($0) } ?? false)
            let layer = Saved(x: saved[0], h0: saved[1], c0: c0Index.map { saved[$0] }, ih: saved[ihIndex], hh: saved[hhIndex],
                              biasIH: biasIHIndex.map { saved[$0] }, biasHH: biasHHIndex.map { saved[$0] })
            var grads = [Tensor?](repeating: nil, count: count)
            let result: (input: Tensor?, h0: Tensor?, c0: Tensor?, ih: Tensor?, hh: Tensor?, biasIH: Tensor?, biasHH: Tensor?)
            if !GradMode.isEnabled {
                // Nobody differentiates this backward: the fused BPTT kernel.
                let w = RecurrentWeights(ih: layer.ih.array, hh: layer.hh.array, biasIH: layer.biasIH?.array, biasHH: layer.biasHH?.array)
                let r = try Kernels.recurrentBackward(mode, grad: g.array, input: layer.x.array, h0: layer.h0.array, c0: layer.c0?.array,
                                                      weights: w, output: ctx.outputValue(), activations: activations,
                                                      reverse: reverse, needs: needs)
                result = (r.input.map { Tensor($0) }, r.h0.map { Tensor($0) }, r.c0.map { Tensor($0) }, r.ih.map { Tensor($0) },
                          r.hh.map { Tensor($0) }, r.biasIH.map { Tensor($0) }, r.biasHH.map { Tensor($0) })
            } else {
                result = try differentiableBackward(mode, g, layer, reverse: reverse)
            }
            grads[0] = needs.input ? result.input : nil
            grads[1] = needs.h0 ? result.h0 : nil
            if let c0Index, needs.c0 { grads[c0Index] = result.c0 }
            if needs.ih { grads[ihIndex] = result.ih }
            if needs.hh { grads[hhIndex] = result.hh }
            if let biasIHIndex, needs.biasIH { grads[biasIHIndex] = result.biasIH }
            if let biasHHIndex, needs.biasHH { grads[biasHHIndex] = result.biasHH }
            return Gradients(grads)
        }
    }

    /// The saved inputs of a layer node.
    struct Saved {
        let x, h0: Tensor
        let c0: Tensor?
        let ih, hh: Tensor
        let biasIH, biasHH: Tensor?
    }

    /// What one recomputed step keeps for the backward recurrence.
    struct Step {
        var hPrev: Tensor, cPrev: Tensor?
        var h: Tensor, c: Tensor?
        /// LSTM: i, f, g, o; GRU: r, z, n and the recurrent part of n.
        var gates: [Tensor] = []
    }

    static func oneMinus(_ t: Tensor) throws -> Tensor { try t.neg().add(1) }

    /// Backpropagation through time in differentiable ops (the same formulas as
    /// the kernel), from a forward recomputed on the saved inputs.
    static func differentiableBackward(_ mode: RecurrentMode, _ g: Tensor, _ s: Saved, reverse: Bool) throws
        -> (input: Tensor?, h0: Tensor?, c0: Tensor?, ih: Tensor?, hh: Tensor?, biasIH: Tensor?, biasHH: Tensor?) {
        let steps = s.x.shape[0], batch = s.x.shape[1], features = s.x.shape[2], hidden = s.h0.shape[1]
        let width = mode.gates * hidden
        let order = reverse ? Array((0..<steps).reversed()) : Array(0..<steps)
        var bias = s.biasIH
        if mode != .gru, let bi = s.biasIH, let bh = s.biasHH { bias = try bi.add(bh) }
        let projected = try s.x.reshape([steps * batch, features]).linear(weight: s.ih, bias: bias).reshape([steps, batch, width])
        var h = s.h0
        var c: Tensor? = mode == .lstm ? try s.c0 ?? Tensor.zeros(s.h0.shape, dtype: s.h0.dtype) : nil
        var trace: [Step] = []
        for t in order {
            let pre = try projected.select(dim: 0, index: t)
            let rec = try h.linear(weight: s.hh, bias: mode == .gru ? s.biasHH : nil)
            var step = Step(hPrev: h, cPrev: c, h: h, c: nil)
            switch mode {
            case .rnnTanh: step.h = try pre.add(rec).tanh()
            case .rnnRelu: step.h = try pre.add(rec).relu()
            case .lstm:
                let a = try pre.add(rec).chunk(4, dim: 1)
                let i = try a[0].sigmoid(), f = try a[1].sigmoid(), gg = try a[2].tanh(), o = try a[3].sigmoid()
                guard let cp = c else { throw EmberError.internal("LSTM recurrence without a cell state") }
                let cell = try f.mul(cp).add(i.mul(gg))
                step.c = cell
                step.h = try o.mul(cell.tanh())
                step.gates = [i, f, gg, o]
            case .gru:
                let xp = try pre.chunk(3, dim: 1), hp = try rec.chunk(3, dim: 1)
                let r = try xp[0].add(hp[0]).sigmoid(), z = try xp[1].add(hp[1]).sigmoid()
                let n = try xp[2].add(r.mul(hp[2])).tanh()
                step.h = try n.sub(z.mul(n)).add(z.mul(h))
                step.gates = [r, z, n, hp[2]]
            }
            h = step.h
            c = step.c
            trace.append(step)
        }

        let gH = mode == .lstm ? try g.select(dim: 0, index: 0) : g
        let gC = mode == .lstm ? try g.select(dim: 0, index: 1) : nil
        var dhNext: Tensor?, dcNext: Tensor?
        var dx = [Tensor?](repeating: nil, count: steps), dh = dx
        for (k, t) in order.enumerated().reversed() {
            let step = trace[k]
            var dhv = try gH.select(dim: 0, index: t)
            if let dhNext { dhv = try dhv.add(dhNext) }
            var direct: Tensor?
            switch mode {
            case .rnnTanh:
                let d = try dhv.mul(oneMinus(step.h.mul(step.h)))   // tanh' = 1 - h^2
                (dx[t], dh[t]) = (d, d)
            case .rnnRelu:
                let d = try dhv.mul(step.h.gt(0).to(step.h.dtype))
                (dx[t], dh[t]) = (d, d)
            case .lstm:
                let (i, f, gg, o) = (step.gates[0], step.gates[1], step.gates[2], step.gates[3])
                guard let cell = step.c, let cPrev = step.cPrev, let gC else { throw EmberError.internal("LSTM recurrence without a cell state") }
                let tc = try cell.tanh()
                // h = o tanh(c): dc = dh o (1 - tanh(c)^2) + the cell's own gradients.
                var dc = try dhv.mul(o).mul(oneMinus(tc.mul(tc))).add(gC.select(dim: 0, index: t))
                if let dcNext { dc = try dc.add(dcNext) }
                let di = try dc.mul(gg).mul(i.mul(oneMinus(i)))
                let df = try dc.mul(cPrev).mul(f.mul(oneMinus(f)))
                let dg = try dc.mul(i).mul(oneMinus(gg.mul(gg)))
                let dout = try dhv.mul(tc).mul(o.mul(oneMinus(o)))
                let d = try Tensor.cat([di, df, dg, dout], dim: 1)
                (dx[t], dh[t]) = (d, d)
                dcNext = try dc.mul(f)
            case .gru:
                let (r, z, n, hn) = (step.gates[0], step.gates[1], step.gates[2], step.gates[3])
                // h = (1 - z) n + z h_prev, n = tanh(x_n + r hn).
                let dn = try dhv.mul(oneMinus(z)).mul(oneMinus(n.mul(n)))
                let dr = try dn.mul(hn).mul(r.mul(oneMinus(r)))
                let dz = try dhv.mul(step.hPrev.sub(n)).mul(z.mul(oneMinus(z)))
                dx[t] = try Tensor.cat([dr, dz, dn], dim: 1)
                dh[t] = try Tensor.cat([dr, dz, dn.mul(r)], dim: 1)
                direct = try dhv.mul(z)
            }
            guard let gates = dh[t] else { throw EmberError.internal("missing recurrent gradient") }
            var next = try gates.matmul(s.hh)
            if let direct { next = try next.add(direct) }
            dhNext = next
        }
        let dxAll = try Tensor.stack(dx.compactMap { $0 }, dim: 0).reshape([steps * batch, width])
        let dhAll = try Tensor.stack(dh.compactMap { $0 }, dim: 0).reshape([steps * batch, width])
        // The state each step started from, at its time index.
        var previous = [Tensor?](repeating: nil, count: steps)
        for (k, t) in order.enumerated() { previous[t] = trace[k].hPrev }
        let hPrevAll = try Tensor.stack(previous.compactMap { $0 }, dim: 0).reshape([steps * batch, hidden])
        return (input: try dxAll.matmul(s.ih).reshape([steps, batch, features]),
                h0: dhNext,
                c0: dcNext,
                ih: try dxAll.transpose(0, 1).matmul(s.x.reshape([steps * batch, features])),
                hh: try dhAll.transpose(0, 1).matmul(hPrevAll),
                biasIH: try dxAll.sum(dims: [0]),
                biasHH: try dhAll.sum(dims: [0]))
    }
}
