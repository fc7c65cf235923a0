/// Recurrent layers (torch's RNN, LSTM and GRU) as fused kernels: one
/// direction of one layer over a whole time-major sequence. The input
/// projections of every step are one GEMM up front; each step then costs one
/// (batch x hidden) GEMM for the recurrent projection and one pass over the
/// gates, writing straight into the output -- no per-step arrays. The
/// backward (RecurrentBackward.swift) walks the steps in reverse and ends with
/// three GEMMs for the weight and input gradients.

/// The cell of a recurrent layer (torch's modes RNN_TANH, RNN_RELU, LSTM, GRU).
public enum RecurrentMode: Sendable, Equatable {
    case rnnTanh, rnnRelu, lstm, gru

    /// Gates per hidden unit: the rows of weight_ih / weight_hh are gates * hidden_size.
    public var gates: Int {
        switch self {
        case .rnnTanh, .rnnRelu: 1
        case .lstm: 4
        case .gru: 3
        }
    }

    /// Activations kept per hidden unit and step for backward: LSTM's i, f, g,
    /// o; GRU's r, z, n and the recurrent part of n (W_hn h + b_hn). A plain
    /// RNN's derivative comes from its output alone.
    var saved: Int {
        switch self {
        case .rnnTanh, .rnnRelu: 0
        case .lstm, .gru: 4
        }
    }
}

/// The parameters of one direction of one layer: weight_ih (gates * H, I),
/// weight_hh (gates * H, H), and optionally bias_ih and bias_hh (gates * H).
public struct RecurrentWeights {
    /// weight_ih and weight_hh.
    public let ih: NDArray, hh: NDArray
    /// bias_ih and bias_hh, if the layer has biases.
    public let biasIH: NDArray?, biasHH: NDArray?

    /// The weights of one layer direction.
    public init(ih: NDArray, hh: NDArray, biasIH: NDArray?, biasHH: NDArray?) {
        self.ih = ih
        self.hh = hh
        self.biasIH = biasIH
        self.biasHH = biasHH
    }
}

extension Kernels {
    /// Runs one direction of a recurrent layer over `input` (L, N, I), from
    /// `h0` (N, H) and, for LSTM, `c0` (N, H); `reverse` walks the steps from
    /// the last. Returns the hidden state of every step at its time index
    /// (L, N, H) -- for LSTM (2, L, N, H): hidden states, then cell states --
    /// and, when `keepActivations`, what the backward needs. Shapes and dtypes
    /// must have been checked by the caller (the layer reports them).
    public static func recurrentForward(_ mode: RecurrentMode, input: NDArray, h0: NDArray, c0: NDArray?, weights w: RecurrentWeights,
                                        reverse: Bool, keepActivations: Bool) throws -> (output: NDArray, activations: NDArray?) {
        let steps = input.shape[0], batch = input.shape[1], features = input.shape[2], hidden = h0.shape[1]
        let width = mode.gates * hidden
        // Every step's input projection at once (bias_hh folds in, except GRU's, which r scales).
        let x2 = try input.contiguous().reshaped([steps * batch, features])
        var bias = w.biasIH
        if mode != .gru, let bi = w.biasIH, let bh = w.biasHH { bias = try binary(.add, bi, bh) }
        let projected = try linear(x2, weight: w.ih, bias: bias)
        let outShape: Dims = mode == .lstm ? [2, steps, batch, hidden] : [steps, batch, hidden]
        let output = try NDArray(empty: outShape, dtype: input.dtype)
        let activations = keepActivations && mode.saved > 0 ? try NDArray(empty: [steps, batch, mode.saved * hidden], dtype: input.dtype) : nil
        let recurrent = try NDArray(empty: [batch, width], dtype: input.dtype)
        let h0c = try h0.contiguous(), c0c = try c0?.contiguous()
        let stepSize = batch * hidden
        for step in 0..<steps {
            let t = reverse ? steps - 1 - step : step
            let previous = step == 0 ? h0c : output.stepView(reverse ? t + 1 : t - 1, batch, hidden)
            // The recurrent projection h W_hh^T (+ b_hh for GRU).
            if mode == .gru, let bh = w.biasHH {
                try setEveryRow(of: recurrent, to: bh)
                try gemm(previous, transposeA: false, w.hh, transposeB: true, into: recurrent, accumulate: true)
            } else {
                try gemm(previous, transposeA: false, w.hh, transposeB: true, into: recurrent, accumulate: false)
            }
            let cellOffset = steps * stepSize
            switch input.dtype {
            case .float32:
                let po = output.pointer(Float.self)
                let cPrev: UnsafeMutablePointer<Float>? = mode != .lstm ? nil
                    : (step == 0 ? c0c?.pointer(Float.self) : po + cellOffset + (reverse ? t + 1 : t - 1) * stepSize)
                recurrentStep(mode, projected.pointer(Float.self) + t * batch * width, recurrent.pointer(Float.self),
                              previous.pointer(Float.self), cPrev, po + t * stepSize, po + cellOffset + t * stepSize,
                              activations.map { $0.pointer(Float.self) + t * batch * mode.saved * hidden }, batch, hidden)
            case .float64:
                let po = output.pointer(Double.self)
                let cPrev: UnsafeMutablePointer<Double>? = mode != .lstm ? nil
                    : (step == 0 ? c0c?.pointer(Double.self) : po + cellOffset + (reverse ? t + 1 : t - 1) * stepSize)
                recurrentStep(mode, projected.pointer(Double.self) + t * batch * width, recurrent.pointer(Double.self),
                              previous.pointer(Double.self), cPrev, po + t * stepSize, po + cellOffset + t * stepSize,
                              activations.map { $0.pointer(Double.self) + t * batch * mode.saved * hidden }, batch, hidden)
            case .int64, .bool:
                throw EmberError.dtype("recurrent layer: expected a floating input, got \(input.dtype)")
            }
        }
        // The loop read these through raw pointers.
        withExtendedLifetime((h0c, c0c, projected, recurrent)) {}
        return (output, activations)
    }

    /// Sets every row of the contiguous 2-D `out` to `row`.
    static func setEveryRow(of out: NDArray, to row: NDArray) throws {
        let r = try row.contiguous()
        switch out.dtype {
        case .float32: fillRows(out.pointer(Float.self), r.pointer(Float.self), out.shape[0], out.shape[1])
        case .float64: fillRows(out.pointer(Double.self), r.pointer(Double.self), out.shape[0], out.shape[1])
        case .int64, .bool: throw EmberError.dtype("recurrent layer: expected a floating bias, got \(out.dtype)")
        }
        withExtendedLifetime(r) {}
    }

    @inline(__always) static func gateSigmoid<T: FloatMath>(_ x: T) -> T { 1 / (1 + T.exp(-x)) }

    /// One step of the cell for every batch row: `xw` and `hw` are the input
    /// and recurrent projections (N, gates * H), `hPrev`/`cPrev` the previous
    /// states, `h`/`c` where the new ones go, `saved` the activations kept for backward.
    static func recurrentStep<T: FloatMath>(_ mode: RecurrentMode, _ xw: UnsafeMutablePointer<T>, _ hw: UnsafeMutablePointer<T>,
                                            _ hPrev: UnsafeMutablePointer<T>, _ cPrev: UnsafeMutablePointer<T>?,
                                            _ h: UnsafeMutablePointer<T>, _ c: UnsafeMutablePointer<T>,
                                            _ saved: UnsafeMutablePointer<T>?, _ batch: Int, _ hidden: Int) {
        let width = mode.gates * hidden
        for n in 0..<batch {
            let x = xw + n * width, r = hw + n * width, hp = hPrev + n * hidden, ho = h + n * hidden
            switch mode {
            case .rnnTanh:
                for j in 0..<hidden { ho[j] = T.tanh(x[j] + r[j]) }
            case .rnnRelu:
                for j in 0..<hidden { ho[j] = Swift.max(x[j] + r[j], 0) }
            case .lstm:
                // Gates i, f, g, o; c = f * c_prev + i * g; h = o * tanh(c).
                let cp = cPrev.map { $0 + n * hidden }, co = c + n * hidden
                let s = saved.map { $0 + n * 4 * hidden }
                for j in 0..<hidden {
                    let i = gateSigmoid(x[j] + r[j])
                    let f = gateSigmoid(x[hidden + j] + r[hidden + j])
                    let g = T.tanh(x[2 * hidden + j] + r[2 * hidden + j])
                    let o = gateSigmoid(x[3 * hidden + j] + r[3 * hidden + j])
                    let cell = f * (cp?[j] ?? 0) + i * g
                    co[j] = cell
                    ho[j] = o * T.tanh(cell)
                    if let s {
                        s[j] = i
                        s[hidden + j] = f
                        s[2 * hidden + j] = g
                        s[3 * hidden + j] = o
                    }
                }
            case .gru:
                // r, z; n = tanh(x_n + r * (W_hn h + b_hn)); h = (1 - z) * n + z * h_prev.
                let s = saved.map { $0 + n * 4 * hidden }
                for j in 0..<hidden {
                    let rg = gateSigmoid(x[j] + r[j])
                    let z = gateSigmoid(x[hidden + j] + r[hidden + j])
                    let hn = r[2 * hidden + j]
                    let ng = T.tanh(x[2 * hidden + j] + rg * hn)
                    ho[j] = (1 - z) * ng + z * hp[j]
                    if let s {
                        s[j] = rg
                        s[hidden + j] = z
                        s[2 * hidden + j] = ng
                        s[3 * hidden + j] = hn
                    }
                }
            }
        }
    }
}

extension NDArray {
    /// Step `t`'s (N, H) hidden states inside a fresh contiguous recurrent output
    /// ((L, N, H), or LSTM's (2, L, N, H) whose first half they are).
    func stepView(_ t: Int, _ batch: Int, _ hidden: Int) -> NDArray {
        NDArray(storage: storage, dtype: dtype, shape: [batch, hidden], strides: [hidden, 1], offset: offset + t * batch * hidden)
    }
}
