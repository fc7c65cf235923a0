import EmberAutograd
import EmberTensor

/// What RNN, LSTM and GRU share (torch's RNNBase): the hyper-parameters, the
/// weights weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (with
/// the suffix _reverse for the backward direction) in torch's order and
/// shapes, initialised from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) in
/// that order, and the stacked, optionally bidirectional forward with dropout
/// between layers in training mode.
///
/// Input (L, N, input_size), (N, L, input_size) with `batchFirst`, or
/// unbatched (L, input_size); initial states (num_layers * directions, N,
/// hidden_size), or (num_layers * directions, hidden_size) when unbatched,
/// zeros when not given. Output (L, N, directions * hidden_size) (batch first
/// with `batchFirst`) and the final states, shaped as the initial ones.
public class RNNBase: Module {
    /// The cell: RNN with tanh or ReLU, LSTM or GRU.
    public let mode: RecurrentMode
    /// torch's input_size, hidden_size, num_layers, bias and batch_first.
    public let inputSize: Int
    public let hiddenSize: Int
    public let numLayers: Int
    public let hasBias: Bool
    public let batchFirst: Bool
    /// The dropout probability on the outputs of every layer but the last, in training mode.
    public let dropout: Double
    /// Whether every layer also runs from the last step to the first (suffix _reverse).
    public let bidirectional: Bool
    let type: String

    init(_ type: String, mode: RecurrentMode, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool,
         dropout: Double, bidirectional: Bool, dtype: DType) throws {
        guard dropout >= 0 && dropout <= 1 else {
            throw EmberError.invalidArgument("\(type): dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got \(dropout)")
        }
        guard inputSize > 0 else { throw EmberError.invalidArgument("\(type): input_size must be greater than zero, got \(inputSize)") }
        guard hiddenSize > 0 else { throw EmberError.invalidArgument("\(type): hidden_size must be greater than zero, got \(hiddenSize)") }
        guard numLayers > 0 else { throw EmberError.invalidArgument("\(type): num_layers must be greater than zero, got \(numLayers)") }
        guard dtype.isFloatingPoint else { throw EmberError.dtype("\(type): parameters must be floating, got \(dtype)") }
        let (gateSize, overflow) = hiddenSize.multipliedReportingOverflow(by: mode.gates)
        let directions = bidirectional ? 2 : 1
        guard !overflow, !(hiddenSize.multipliedReportingOverflow(by: directions).overflow), numLayers <= 1 << 20 else {
            throw EmberError.outOfMemory("\(type): hidden_size \(hiddenSize) with \(numLayers) layers is too large")
        }
        self.type = type
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.hasBias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        super.init()
        for layer in 0..<numLayers {
            for direction in 0..<directions {
                let layerInput = layer == 0 ? inputSize : hiddenSize * directions
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                try registerParameter("weight_ih" + suffix, Tensor(try NDArray.zeros([gateSize, layerInput], dtype: dtype)))
                try registerParameter("weight_hh" + suffix, Tensor(try NDArray.zeros([gateSize, hiddenSize], dtype: dtype)))
                if bias {
                    try registerParameter("bias_ih" + suffix, Tensor(try NDArray.zeros([gateSize], dtype: dtype)))
                    try registerParameter("bias_hh" + suffix, Tensor(try NDArray.zeros([gateSize], dtype: dtype)))
                }
            }
        }
        try resetParameters()
    }

    override public var typeName: String { type }

    /// torch's reset_parameters: every parameter, in order, from U(-1/sqrt(H), 1/sqrt(H)).
    public func resetParameters() throws {
        let bound = 1 / Double(hiddenSize).squareRoot()
        for (_, p) in namedParameters() { try Init.uniform(p, from: -bound, to: bound) }
    }

    /// torch's RNNBase.extra_repr.
    override public var extraRepr: String {
        var s = "\(inputSize), \(hiddenSize)"
        if numLayers != 1 { s += ", num_layers=\(numLayers)" }
        if !hasBias { s += ", bias=False" }
        if batchFirst { s += ", batch_first=True" }
        if dropout != 0 { s += ", dropout=\(ArgumentValue.double(dropout))" }
        if bidirectional { s += ", bidirectional=True" }
        return s
    }

    /// The weights of one layer and direction.
    func weights(_ layer: Int, _ direction: Int) throws -> (Tensor, Tensor, Tensor?, Tensor?) {
        let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
        guard let ih = ownParameter("weight_ih" + suffix), let hh = ownParameter("weight_hh" + suffix) else {
            throw EmberError.state("\(type): the parameters weight_ih\(suffix) and weight_hh\(suffix) are missing")
        }
        return (ih, hh, ownParameter("bias_ih" + suffix), ownParameter("bias_hh" + suffix))
    }

    /// The forward shared by the three: input and optional initial states
    /// (c0 only for LSTM) in, output and final states out.
    func run(_ input: Tensor, _ h0: Tensor?, _ c0: Tensor?) throws -> (output: Tensor, h: Tensor, c: Tensor?) {
        guard input.ndim == 2 || input.ndim == 3 else {
            throw EmberError.shape("\(type): expected input to be 2-D or 3-D, got \(input.ndim)-D tensor instead (shape \(describe(input.shape)))")
        }
        let (firstIH, _, _, _) = try weights(0, 0)
        guard input.dtype == firstIH.dtype else {
            throw EmberError.dtype("\(type): input dtype (\(input.dtype)) does not match weight dtype (\(firstIH.dtype)); convert the input or the module")
        }
        let batched = input.ndim == 3
        let stateNames = mode == .lstm ? ["hx", "cx"] : ["hx"]
        for (name, state) in zip(stateNames, [h0, c0]) {
            guard let state else { continue }
            guard state.ndim == (batched ? 3 : 2) else {
                throw EmberError.shape("\(type): for \(batched ? "batched 3-D" : "unbatched 2-D") input, \(name) should also be \(batched ? 3 : 2)-D but got \(state.ndim)-D tensor (shape \(describe(state.shape)))")
            }
            guard state.dtype == input.dtype else {
                throw EmberError.dtype("\(type): \(name) is \(state.dtype) but the input is \(input.dtype)")
            }
        }
        var x = batched ? input : try input.unsqueeze(batchFirst ? 0 : 1)
        var hx = try batched ? h0 : h0?.unsqueeze(1)
        var cx = try batched ? c0 : c0?.unsqueeze(1)
        guard x.shape[2] == inputSize else {
            throw EmberError.shape("\(type): input.size(-1) must be equal to input_size. Expected \(inputSize), got \(x.shape[2]) (input shape \(describe(input.shape)))")
        }
        if batchFirst { x = try x.transpose(0, 1) }
        let steps = x.shape[0], batch = x.shape[1]
        guard steps > 0 else {
            throw EmberError.shape("\(type): expected sequence length to be larger than 0 in RNN (input shape \(describe(input.shape)))")
        }
        let directions = bidirectional ? 2 : 1
        let expected: Dims = [numLayers * directions, batch, hiddenSize]
        for (i, state) in [hx, cx].enumerated() {
            guard let state, state.shape != expected else { continue }
            let which = mode == .lstm ? "hidden[\(i)] size" : "hidden size"
            throw EmberError.shape("\(type): expected \(which) (\(expected.map(String.init).joined(separator: ", "))), got \(describe(state.shape))")
        }
        if hx == nil { hx = try Tensor.zeros(expected, dtype: input.dtype) }
        if mode == .lstm && cx == nil { cx = try Tensor.zeros(expected, dtype: input.dtype) }
        guard let hx else { throw EmberError.internal("\(type): no initial state") }

        var layerInput = x
        var finalH: [Tensor] = [], finalC: [Tensor] = []
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let (ih, hh, bih, bhh) = try weights(layer, direction)
                let index = layer * directions + direction
                let result = try RecurrentFunctional.layer(mode, input: layerInput, h0: hx.select(dim: 0, index: index),
                                                           c0: cx?.select(dim: 0, index: index), weightIH: ih, weightHH: hh,
                                                           biasIH: bih, biasHH: bhh, reverse: direction == 1)
                let last = direction == 1 ? 0 : steps - 1
                let hidden = mode == .lstm ? try result.select(dim: 0, index: 0) : result
                outputs.append(hidden)
                finalH.append(try hidden.select(dim: 0, index: last))
                if mode == .lstm { finalC.append(try result.select(dim: 0, index: 1).select(dim: 0, index: last)) }
            }
            layerInput = directions == 1 ? outputs[0] : try Tensor.cat(outputs, dim: 2)
            // torch drops out between layers, on the (L, N, directions * H) output, in training mode.
            if dropout > 0 && training && layer < numLayers - 1 { layerInput = try layerInput.dropout(p: dropout, training: true) }
        }
        var output = batchFirst ? try layerInput.transpose(0, 1) : layerInput
        var h = try Tensor.stack(finalH, dim: 0)
        var c = mode == .lstm ? try Tensor.stack(finalC, dim: 0) : nil
        if !batched {
            output = try output.squeeze(batchFirst ? 0 : 1)
            h = try h.squeeze(1)
            c = try c?.squeeze(1)
        }
        return (output, h, c)
    }
}

/// An Elman RNN with tanh or ReLU (torch.nn.RNN): h_t = act(x_t W_ih^T + b_ih +
/// h_{t-1} W_hh^T + b_hh), stacked `numLayers` deep, optionally bidirectional.
/// Several inputs/outputs: [input] or [input, h0] -> [output, h_n].
///
/// ```swift
/// let rnn = try RNN(10, 20, numLayers: 2)
/// let (output, hN) = try rnn.forward(x, hx: nil)   // x: (L, N, 10)
/// ```
public final class RNN: RNNBase {
    /// torch.nn.RNN(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, dropout, bidirectional).
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, nonlinearity: String = "tanh", bias: Bool = true,
                batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32) throws {
        let mode: RecurrentMode
        switch nonlinearity {
        case "tanh": mode = .rnnTanh
        case "relu": mode = .rnnRelu
        default: throw EmberError.invalidArgument("RNN: unknown nonlinearity '\(nonlinearity)'. Select from 'tanh' or 'relu'.")
        }
        try super.init("RNN", mode: mode, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                       batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype)
    }

    /// 'tanh' or 'relu'.
    public var nonlinearity: String { mode == .rnnRelu ? "relu" : "tanh" }

    /// The output sequence and the final hidden states, from `hx` (zeros if nil).
    public func forward(_ input: Tensor, hx: Tensor?) throws -> (output: Tensor, hN: Tensor) {
        let r = try reportingAsLayer { try run(input, hx, nil) }
        return (r.output, r.h)
    }

    /// [input] or [input, h0] -> [output, h_n].
    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 1 || inputs.count == 2 else {
            throw EmberError.invalidArgument("RNN takes [input] or [input, h0], got \(inputs.count) inputs")
        }
        let r = try forward(inputs[0], hx: inputs.count == 2 ? inputs[1] : nil)
        return [r.output, r.hN]
    }
}

/// A long short-term memory layer (torch.nn.LSTM), gates i, f, g, o in that
/// order in the weights: c_t = f c_{t-1} + i g, h_t = o tanh(c_t).
/// Several inputs/outputs: [input] or [input, h0, c0] -> [output, h_n, c_n].
///
/// ```swift
/// let lstm = try LSTM(10, 20, numLayers: 2, batchFirst: true, bidirectional: true)
/// let (output, hN, cN) = try lstm.forward(x, state: nil)   // x: (N, L, 10) -> output (N, L, 40)
/// ```
public final class LSTM: RNNBase {
    /// torch.nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size);
    /// proj_size must be 0.
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false, projSize: Int = 0, dtype: DType = .float32) throws {
        guard projSize == 0 else {
            throw EmberError.invalidArgument("LSTM: proj_size is not supported by Ember (got proj_size=\(projSize)); use proj_size=0")
        }
        try super.init("LSTM", mode: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                       batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype)
    }

    /// The output sequence and the final hidden and cell states, from `state` (zeros if nil).
    public func forward(_ input: Tensor, state: (h0: Tensor, c0: Tensor)?) throws -> (output: Tensor, hN: Tensor, cN: Tensor) {
        let r = try reportingAsLayer { try run(input, state?.h0, state?.c0) }
        guard let c = r.c else { throw EmberError.internal("LSTM: no cell state") }
        return (r.output, r.h, c)
    }

    /// [input] or [input, h0, c0] -> [output, h_n, c_n].
    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 1 || inputs.count == 3 else {
            throw EmberError.invalidArgument("LSTM takes [input] or [input, h0, c0], got \(inputs.count) inputs")
        }
        let r = try forward(inputs[0], state: inputs.count == 3 ? (inputs[1], inputs[2]) : nil)
        return [r.output, r.hN, r.cN]
    }
}

/// A gated recurrent unit layer (torch.nn.GRU), gates r, z, n in that order
/// in the weights: n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
/// h_t = (1 - z) n + z h_{t-1}. Several inputs/outputs: [input] or [input, h0] -> [output, h_n].
public final class GRU: RNNBase {
    /// torch.nn.GRU(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional).
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32) throws {
        try super.init("GRU", mode: .gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                       batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype)
    }

    /// The output sequence and the final hidden states, from `hx` (zeros if nil).
    public func forward(_ input: Tensor, hx: Tensor?) throws -> (output: Tensor, hN: Tensor) {
        let r = try reportingAsLayer { try run(input, hx, nil) }
        return (r.output, r.h)
    }

    /// [input] or [input, h0] -> [output, h_n].
    override public func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 1 || inputs.count == 2 else {
            throw EmberError.invalidArgument("GRU takes [input] or [input, h0], got \(inputs.count) inputs")
        }
        let r = try forward(inputs[0], hx: inputs.count == 2 ? inputs[1] : nil)
        return [r.output, r.hN]
    }
}

extension ModuleRegistry {
    /// RNN, LSTM, GRU.
    static let recurrentModules: [String: Entry] = [
        "RNN": Entry([.init("input_size"), .init("hidden_size"), .init("num_layers", .int(1)), .init("nonlinearity", .string("tanh")),
                      .init("bias", .bool(true)), .init("batch_first", .bool(false)), .init("dropout", .double(0)),
                      .init("bidirectional", .bool(false))]) { a in
            try RNN(a.int("input_size"), a.int("hidden_size"), numLayers: a.int("num_layers"),
                    nonlinearity: a.string("nonlinearity", oneOf: ["tanh", "relu"]), bias: a.bool("bias"),
                    batchFirst: a.bool("batch_first"), dropout: a.double("dropout"), bidirectional: a.bool("bidirectional"))
        },
        "LSTM": Entry(recurrentSignature + [.init("proj_size", .int(0))]) { a in
            try LSTM(a.int("input_size"), a.int("hidden_size"), numLayers: a.int("num_layers"), bias: a.bool("bias"),
                     batchFirst: a.bool("batch_first"), dropout: a.double("dropout"), bidirectional: a.bool("bidirectional"),
                     projSize: a.int("proj_size"))
        },
        "GRU": Entry(recurrentSignature) { a in
            try GRU(a.int("input_size"), a.int("hidden_size"), numLayers: a.int("num_layers"), bias: a.bool("bias"),
                    batchFirst: a.bool("batch_first"), dropout: a.double("dropout"), bidirectional: a.bool("bidirectional"))
        },
    ]

    static let recurrentSignature: [Arguments.Parameter] = [
        .init("input_size"), .init("hidden_size"), .init("num_layers", .int(1)), .init("bias", .bool(true)),
        .init("batch_first", .bool(false)), .init("dropout", .double(0)), .init("bidirectional", .bool(false)),
    ]
}
