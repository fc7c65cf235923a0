/// Backpropagation through time for the fused recurrent layer of
/// Recurrent.swift: the steps in reverse, each one pass over the gates and one
/// (batch x gates) GEMM for the gradient flowing into the previous hidden
/// state; then one GEMM each for the input, weight_ih and weight_hh gradients
/// over all steps at once.

/// Which gradients a recurrent backward should compute.
public struct RecurrentNeeds {
    /// One flag per gradient: input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh.
    public var input, h0, c0, ih, hh, biasIH, biasHH: Bool

    /// The flags, in order.
    public init(input: Bool, h0: Bool, c0: Bool, ih: Bool, hh: Bool, biasIH: Bool, biasHH: Bool) {
        (self.input, self.h0, self.c0, self.ih, self.hh, self.biasIH, self.biasHH) = (input, h0, c0, ih, hh, biasIH, biasHH)
    }
}

/// The gradients of one recurrent layer direction (nil where not asked for).
public struct RecurrentGradients {
    /// The gradients of input, h0, c0, weight_ih, weight_hh, bias_ih and bias_hh.
    public var input, h0, c0, ih, hh, biasIH, biasHH: NDArray?
}

extension Kernels {
    /// The gradients of `recurrentForward` for an incoming gradient `grad` of
    /// the output's shape ((L, N, H), LSTM's (2, L, N, H)), given the forward's
    /// inputs, its output and its kept activations.
    public static func recurrentBackward(_ mode: RecurrentMode, grad: NDArray, input: NDArray, h0: NDArray, c0: NDArray?,
                                         weights w: RecurrentWeights, output: NDArray, activations: NDArray?, reverse: Bool,
                                         needs: RecurrentNeeds) throws -> RecurrentGradients {
        let steps = input.shape[0], batch = input.shape[1], features = input.shape[2], hidden = h0.shape[1]
        let width = mode.gates * hidden
        guard grad.shape == output.shape else {
            throw EmberError.shape("recurrent backward: gradient of shape \(describe(grad.shape)) for an output of shape \(describe(output.shape))")
        }
        guard mode.saved == 0 || activations != nil else {
            throw EmberError.internal("recurrent backward: the forward kept no activations")
        }
        let g = try grad.cast(to: input.dtype).contiguous()
        let h0c = try h0.contiguous(), c0c = try c0?.contiguous()
        // Gradients of the gate pre-activations: the input side and, for GRU, the recurrent side.
        let dx = try NDArray(empty: [steps, batch, width], dtype: input.dtype)
        let dh = mode == .gru ? try NDArray(empty: [steps, batch, width], dtype: input.dtype) : dx
        let hNext = try NDArray.zeros([batch, hidden], dtype: input.dtype)
        let cNext = try NDArray.zeros([batch, hidden], dtype: input.dtype)
        let stepSize = batch * hidden, cellOffset = steps * stepSize
        let savedWidth = mode.saved * hidden
        for step in stride(from: steps - 1, through: 0, by: -1) {
            let t = reverse ? steps - 1 - step : step
            let tPrev = reverse ? t + 1 : t - 1
            switch input.dtype {
            case .float32:
                let po = output.pointer(Float.self), pg = g.pointer(Float.self)
                recurrentStepBackward(mode, pg + t * stepSize, mode == .lstm ? pg + cellOffset + t * stepSize : nil,
                                      hNext.pointer(Float.self), cNext.pointer(Float.self), po + t * stepSize,
                                      step == 0 ? h0c.pointer(Float.self) : po + tPrev * stepSize,
                                      po + cellOffset + t * stepSize,
                                      step == 0 ? c0c?.pointer(Float.self) : po + cellOffset + tPrev * stepSize,
                                      activations.map { $0.pointer(Float.self) + t * batch * savedWidth },
                                      dx.pointer(Float.self) + t * batch * width, dh.pointer(Float.self) + t * batch * width, batch, hidden)
            case .float64:
                let po = output.pointer(Double.self), pg = g.pointer(Double.self)
                recurrentStepBackward(mode, pg + t * stepSize, mode == .lstm ? pg + cellOffset + t * stepSize : nil,
                                      hNext.pointer(Double.self), cNext.pointer(Double.self), po + t * stepSize,
                                      step == 0 ? h0c.pointer(Double.self) : po + tPrev * stepSize,
                                      po + cellOffset + t * stepSize,
                                      step == 0 ? c0c?.pointer(Double.self) : po + cellOffset + tPrev * stepSize,
                                      activations.map { $0.pointer(Double.self) + t * batch * savedWidth },
                                      dx.pointer(Double.self) + t * batch * width, dh.pointer(Double.self) + t * batch * width, batch, hidden)
            case .int64, .bool:
                throw EmberError.dtype("recurrent backward: expected a floating input, got \(input.dtype)")
            }
            // d h_prev = dgates_hh W_hh (GRU adds the direct path z * dh, left in hNext by the step).
            let gates = NDArray(storage: dh.storage, dtype: dh.dtype, shape: [batch, width], strides: [width, 1], offset: t * batch * width)
            try gemm(gates, transposeA: false, w.hh, transposeB: false, into: hNext, accumulate: mode == .gru)
        }
        var result = RecurrentGradients()
        if needs.h0 { result.h0 = hNext }
        if needs.c0 && mode == .lstm { result.c0 = cNext }
        let dx2 = try dx.reshaped([steps * batch, width]), dh2 = try dh.reshaped([steps * batch, width])
        if needs.input { result.input = try gemm(dx2, w.ih).reshaped([steps, batch, features]) }
        if needs.ih { result.ih = try gemm(dx2, transposeA: true, input.contiguous().reshaped([steps * batch, features])) }
        if needs.hh { result.hh = try gemm(dh2, transposeA: true, previousStates(output, h0c, steps, batch, hidden, reverse)) }
        if needs.biasIH { result.biasIH = try sumLeadingDim(dx2) }
        if needs.biasHH { result.biasHH = try sumLeadingDim(dh2) }
        // The loop read these through raw pointers.
        withExtendedLifetime((g, c0c, output, activations)) {}
        return result
    }

    /// The hidden state each step started from, at its time index, as (L * N, H):
    /// h0 for the first step processed, the neighbouring step's output otherwise.
    static func previousStates(_ output: NDArray, _ h0: NDArray, _ steps: Int, _ batch: Int, _ hidden: Int, _ reverse: Bool) throws -> NDArray {
        let out = try NDArray(empty: [steps * batch, hidden], dtype: output.dtype)
        let stepSize = batch * hidden, bytes = stepSize * output.dtype.itemSize
        for t in 0..<steps {
            let first = reverse ? t == steps - 1 : t == 0
            let source = first ? h0.rawPointer : output.rawPointer + (reverse ? t + 1 : t - 1) * bytes
            (out.rawPointer + t * bytes).copyMemory(from: source, byteCount: bytes)
        }
        return out
    }

    /// One step backward for every batch row. `gh`/`gc` are the incoming
    /// gradients of this step's hidden (and cell) output; `hNext`/`cNext` hold
    /// the gradients flowing back from the later step and receive those for the
    /// earlier one (the cell's fully, the hidden state's direct GRU path only).
    /// Writes the gate pre-activation gradients into `dx` (input side) and `dh`
    /// (recurrent side; the same buffer except for GRU).
    static func recurrentStepBackward<T: FloatMath>(_ mode: RecurrentMode, _ gh: UnsafeMutablePointer<T>, _ gc: UnsafeMutablePointer<T>?,
                                                    _ hNext: UnsafeMutablePointer<T>, _ cNext: UnsafeMutablePointer<T>,
                                                    _ h: UnsafeMutablePointer<T>, _ hPrev: UnsafeMutablePointer<T>,
                                                    _ c: UnsafeMutablePointer<T>, _ cPrev: UnsafeMutablePointer<T>?,
                                                    _ saved: UnsafeMutablePointer<T>?, _ dx: UnsafeMutablePointer<T>,
                                                    _ dh: UnsafeMutablePointer<T>, _ batch: Int, _ hidden: Int) {
        let width = mode.gates * hidden
        for n in 0..<batch {
            let row = n * hidden, gx = dx + n * width, gr = dh + n * width
            switch mode {
            case .rnnTanh:
                // h = tanh(pre): d pre = dh (1 - h^2).
                for j in 0..<hidden {
                    let hv = h[row + j]
                    gx[j] = (gh[row + j] + hNext[row + j]) * (1 - hv * hv)
                }
            case .rnnRelu:
                for j in 0..<hidden { gx[j] = h[row + j] > 0 ? gh[row + j] + hNext[row + j] : 0 }
            case .lstm:
                guard let s0 = saved, let gc else { return }
                let s = s0 + n * 4 * hidden
                for j in 0..<hidden {
                    let i = s[j], f = s[hidden + j], g = s[2 * hidden + j], o = s[3 * hidden + j]
                    let tc = T.tanh(c[row + j])
                    let dhv = gh[row + j] + hNext[row + j]
                    // h = o tanh(c): dc += dh o (1 - tanh(c)^2); c = f c_prev + i g.
                    let dc = cNext[row + j] + gc[row + j] + dhv * o * (1 - tc * tc)
                    cNext[row + j] = dc * f
                    gx[j] = dc * g * i * (1 - i)
                    gx[hidden + j] = dc * (cPrev?[row + j] ?? 0) * f * (1 - f)
                    gx[2 * hidden + j] = dc * i * (1 - g * g)
                    gx[3 * hidden + j] = dhv * tc * o * (1 - o)
                }
            case .gru:
                guard let s0 = saved else { return }
                let s = s0 + n * 4 * hidden
                for j in 0..<hidden {
                    let r = s[j], z = s[hidden + j], ng = s[2 * hidden + j], hn = s[3 * hidden + j]
                    let dhv = gh[row + j] + hNext[row + j]
                    // h = (1 - z) n + z h_prev; n = tanh(x_n + r hn).
                    let dn = dhv * (1 - z) * (1 - ng * ng)
                    let dr = dn * hn * r * (1 - r)
                    let dz = dhv * (hPrev[row + j] - ng) * z * (1 - z)
                    gx[j] = dr
                    gx[hidden + j] = dz
                    gx[2 * hidden + j] = dn
                    gr[j] = dr
                    gr[hidden + j] = dz
                    gr[2 * hidden + j] = dn * r
                    hNext[row + j] = dhv * z
                }
            }
        }
    }
}
