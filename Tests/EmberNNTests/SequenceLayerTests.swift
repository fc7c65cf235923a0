import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

// MARK: - Module cases of sequence.json (shared by the sequence test files)

/// One module configuration run by torch (tools/fixtures/sequence.py): the
/// module's weights by state_dict name, its inputs in Ember's positional
/// order, every output, and the gradients of every input and parameter.
struct ModuleCase {
    let name: String, type: String, args: String
    let train: Bool
    let seed: UInt64?
    let inputs: [Tensor]
    /// Positions in the input list: an index into `inputs`, or nil for an empty placeholder.
    let order: [Int?]
    let weights: [String: FixtureTensor]
    let weightsAfter: [String: FixtureTensor]?
    let outputs: [FixtureTensor]
    let upstreams: [FixtureTensor]
    let inputGrads: [FixtureTensor?]
    let paramGrads: [String: FixtureTensor?]
    let dtype: DType

    init(_ c: [String: Any]) throws {
        name = c["name"] as! String
        type = c["type"] as! String
        args = c["args"] as! String
        train = c["train"] as! Bool
        seed = (c["seed"] as? Double).map { UInt64($0) }
        let bools = c["bool_inputs"] as! [Bool]
        inputs = try (c["inputs"] as! [Any]).enumerated().map { i, any in
            let f = try FixtureTensor(any)
            let x = try f.tensor(requiresGrad: f.dtype.isFloatingPoint)
            return bools[i] ? try x.ne(0) : x
        }
        order = (c["order"] as! [Any]).map { ($0 as? Double).map { Int($0) } }
        weights = try (c["weights"] as! [String: Any]).mapValues { try FixtureTensor($0) }
        weightsAfter = try (c["weights_after"] as? [String: Any])?.mapValues { try FixtureTensor($0) }
        outputs = try (c["outputs"] as! [Any]).map { try FixtureTensor($0) }
        upstreams = try (c["upstreams"] as! [Any]).map { try FixtureTensor($0) }
        inputGrads = try (c["input_grads"] as! [Any]).map { $0 is NSNull ? nil : try FixtureTensor($0) }
        paramGrads = try (c["param_grads"] as! [String: Any]).mapValues { $0 is NSNull ? nil : try FixtureTensor($0) }
        dtype = outputs.first?.dtype ?? .float32
    }

    static func all() throws -> [ModuleCase] {
        try (Fixtures.load("sequence")["modules"] as! [Any]).map { try ModuleCase($0 as! [String: Any]) }
    }

    /// The inputs as forward([Tensor]) takes them (an empty tensor for "none").
    func forwardInputs() throws -> [Tensor] {
        try order.map { i in try i.map { inputs[$0] } ?? Tensor.zeros([0], dtype: dtype) }
    }
}

/// Sets a module's parameters from torch's state_dict values, converting the
/// module to their dtype (a float64 case replaces the float32 parameters).
func loadWeights(_ module: Module, _ weights: [String: FixtureTensor]) throws {
    for (name, w) in weights {
        let path = name.split(separator: ".").map(String.init)
        let owner = path.count == 1 ? module : try module.child(named: path.dropLast().joined(separator: "."))
        let leaf = path[path.count - 1]
        if let p = owner.ownParameter(leaf), p.dtype == w.dtype {
            try p.copyValues(from: try w.tensor().array)
        } else {
            try owner.registerParameter(leaf, try w.tensor())
        }
    }
}

/// Runs a module case in Ember and compares every output and gradient with torch's.
func checkModuleCase(_ c: ModuleCase, file: StaticString = #filePath, line: UInt = #line) throws {
    let (rtol, atol) = c.dtype == .float64 ? (1e-9, 1e-11) : (1e-4, 1e-5)
    let m = try ModuleRegistry.make(c.type, c.args)
    try loadWeights(m, c.weights)
    m.train(c.train)
    for input in c.inputs where input.requiresGrad { try input.setGrad(nil) }
    if let seed = c.seed { GlobalGenerator.manualSeed(seed) }
    let outputs = try m.forward(c.forwardInputs())
    XCTAssertEqual(outputs.count, c.outputs.count, "\(c.name): number of outputs", file: file, line: line)
    var loss: Tensor? = nil
    for (i, (y, expected)) in zip(outputs, c.outputs).enumerated() {
        XCTAssertEqual(y.shape, expected.shape, "\(c.name) output \(i) shape", file: file, line: line)
        XCTAssertEqual(y.dtype, expected.dtype, "\(c.name) output \(i) dtype", file: file, line: line)
        assertClose(y.toDoubles(), expected.values, rtol: rtol, atol: atol, "\(c.name) output \(i)", file: file, line: line)
        let term = try y.mul(c.upstreams[i].tensor()).sum()
        loss = try loss.map { try $0.add(term) } ?? term
    }
    guard let loss else { return }
    try loss.backward()
    for (i, (x, g)) in zip(c.inputs, c.inputGrads).enumerated() {
        guard let g else {
            XCTAssertNil(x.grad, "\(c.name): torch gives input \(i) no gradient", file: file, line: line)
            continue
        }
        guard let grad = x.grad else {
            XCTFail("\(c.name): input \(i) got no gradient", file: file, line: line)
            continue
        }
        assertClose(grad.toDoubles(), g.values, rtol: rtol, atol: atol, "\(c.name) input \(i) grad", file: file, line: line)
    }
    for (name, g) in c.paramGrads {
        let p = try m.parameter(named: name)
        guard let g else {
            XCTAssertNil(p.grad, "\(c.name): torch gives \(name) no gradient", file: file, line: line)
            continue
        }
        guard let grad = p.grad else {
            XCTFail("\(c.name): parameter \(name) got no gradient", file: file, line: line)
            continue
        }
        assertClose(grad.toDoubles(), g.values, rtol: rtol, atol: atol, "\(c.name) grad of \(name)", file: file, line: line)
    }
    for (name, w) in c.weightsAfter ?? [:] {
        assertClose(try m.parameter(named: name).toDoubles(), w.values, rtol: rtol, atol: atol, "\(c.name) \(name) after forward",
                    file: file, line: line)
    }
}

/// Runs every module case of the given torch types; fails if there are none.
func checkModuleCases(types: Set<String>, file: StaticString = #filePath, line: UInt = #line) throws {
    let cases = try ModuleCase.all().filter { types.contains($0.type) }
    XCTAssertFalse(cases.isEmpty, "no cases for \(types)", file: file, line: line)
    for c in cases { try checkModuleCase(c, file: file, line: line) }
}

// MARK: - Recurrent layers

final class SequenceLayerTests: XCTestCase {
    func testRecurrentLayersMatchTorch() throws {
        try checkModuleCases(types: ["RNN", "LSTM", "GRU"])
    }

    /// Every seeded default initialisation of sequence.json (all the sequence
    /// layers) equals torch's bit for bit.
    func testDefaultInitialisationMatchesTorch() throws {
        for any in try Fixtures.load("sequence")["init"] as! [Any] {
            let c = any as! [String: Any]
            let type = c["type"] as! String, args = c["args"] as! String
            GlobalGenerator.manualSeed(UInt64(c["seed"] as! Double))
            let m = try ModuleRegistry.make(type, args)
            let expected = c["params"] as! [String: Any]
            XCTAssertEqual(Set(m.namedParameters().map(\.0)), Set(expected.keys), "\(type)(\(args)) parameter names")
            for (name, value) in expected {
                let f = try FixtureTensor(value)
                let p = try m.parameter(named: name)
                XCTAssertEqual(p.shape, f.shape, "\(type) \(name) shape")
                assertClose(p.toDoubles(), f.values, rtol: 0, atol: 0, "\(type)(\(args)) \(name)")
            }
        }
    }

    /// The state_dict order is torch's: per layer and direction weight_ih, weight_hh, bias_ih, bias_hh.
    func testParameterNamesAndOrder() throws {
        let lstm = try LSTM(3, 4, numLayers: 2, bidirectional: true)
        XCTAssertEqual(lstm.namedParameters().map(\.0), [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ])
        XCTAssertEqual(try lstm.parameter(named: "weight_ih_l1").shape, [16, 8])
        XCTAssertEqual(try GRU(3, 5, bias: false).parameter(named: "weight_hh_l0").shape, [15, 5])
    }

    /// The summaries of every sequence layer in sequence.json equal torch's repr.
    func testReprMatchesTorch() throws {
        for any in try Fixtures.load("sequence")["repr"] as! [Any] {
            let c = any as! [String: Any]
            let m = try ModuleRegistry.make(c["type"] as! String, c["args"] as! String)
            let expected = (c["lines"] as! [Any]).map { $0 as! String }.joined(separator: "\n")
            XCTAssertEqual(m.description, expected, "\(c["type"]!)(\(c["args"]!))")
        }
    }

    /// The fused kernel backward and the differentiable backward (taken under
    /// create_graph) give the same gradients, for every cell, both directions,
    /// with and without biases.
    func testKernelAndDifferentiableBackwardsAgree() throws {
        GlobalGenerator.manualSeed(7)
        for (mode, bias) in [(RecurrentMode.rnnTanh, true), (.rnnRelu, false), (.lstm, true), (.gru, true), (.gru, false), (.lstm, false)] {
            for reverse in [false, true] {
                let g = mode.gates
                let x = try Tensor.randn([4, 2, 3], dtype: .float64, requiresGrad: true)
                let h0 = try Tensor.randn([2, 5], dtype: .float64, requiresGrad: true)
                let c0 = mode == .lstm ? try Tensor.randn([2, 5], dtype: .float64, requiresGrad: true) : nil
                let wih = try Tensor.randn([g * 5, 3], dtype: .float64, requiresGrad: true)
                let whh = try Tensor.randn([g * 5, 5], dtype: .float64, requiresGrad: true)
                let bih = bias ? try Tensor.randn([g * 5], dtype: .float64, requiresGrad: true) : nil
                let bhh = bias ? try Tensor.randn([g * 5], dtype: .float64, requiresGrad: true) : nil
                let leaves = [x, h0] + [c0, wih, whh, bih, bhh].compactMap { $0 }
                let y = try RecurrentFunctional.layer(mode, input: x, h0: h0, c0: c0, weightIH: wih, weightHH: whh, biasIH: bih,
                                                      biasHH: bhh, reverse: reverse)
                let up = try Tensor.randn(y.shape, dtype: .float64)
                let fused = try Autograd.grad(outputs: [y], inputs: leaves, gradOutputs: [up], retainGraph: true)
                let composed = try Autograd.grad(outputs: [y], inputs: leaves, gradOutputs: [up], createGraph: true)
                for (i, (a, b)) in zip(fused, composed).enumerated() {
                    assertClose(a!.toDoubles(), b!.toDoubles(), rtol: 1e-10, atol: 1e-12, "\(mode) reverse \(reverse) input \(i)")
                    XCTAssertTrue(b!.requiresGrad, "\(mode): the create_graph gradient \(i) is differentiable")
                }
            }
        }
    }

    /// First- and second-order finite-difference checks of the recurrent op.
    func testRecurrentGradcheckIncludingSecondOrder() throws {
        GlobalGenerator.manualSeed(8)
        for mode in [RecurrentMode.lstm, .gru, .rnnTanh] {
            let g = mode.gates
            let x = try Tensor.randn([3, 2, 2], dtype: .float64, requiresGrad: true)
            let h0 = try Tensor.randn([2, 3], dtype: .float64, requiresGrad: true)
            let c0 = mode == .lstm ? try Tensor.randn([2, 3], dtype: .float64, requiresGrad: true) : nil
            let wih = try Tensor.randn([g * 3, 2], dtype: .float64, requiresGrad: true).mul(0.5).detach()
            try wih.setRequiresGrad(true)
            let whh = try Tensor.randn([g * 3, 3], dtype: .float64).mul(0.5).detach()
            try whh.setRequiresGrad(true)
            let b = try Tensor.randn([g * 3], dtype: .float64, requiresGrad: true)
            func run(_ t: [Tensor]) throws -> Tensor {
                try RecurrentFunctional.layer(mode, input: t[0], h0: t[1], c0: c0, weightIH: t[2], weightHH: t[3], biasIH: t[4],
                                              biasHH: nil, reverse: mode == .gru)
            }
            try gradcheck([x, h0, wih, whh, b], "\(mode)") { try run($0) }
            // d/dW of sum(y * v), differentiated again.
            try gradcheck([x, whh], "\(mode) second order") { t in
                let y = try run([t[0], h0, wih, t[1], b])
                let (gw) = try Autograd.grad(outputs: [y.mul(y).sum()], inputs: [t[1]], createGraph: true)
                return gw[0]!
            }
        }
    }

    func testBadInputIsReportedWithTheLayerAndShapes() throws {
        let lstm = try LSTM(3, 4, numLayers: 2)
        assertThrows(.shape, ["LSTM", "input.size(-1) must be equal to input_size", "Expected 3, got 5"]) {
            try lstm.forward(Tensor.zeros([2, 1, 5]), state: nil)
        }
        assertThrows(.shape, ["LSTM", "hidden[0] size (2, 1, 4)", "[1, 1, 4]"]) {
            try lstm.forward(Tensor.zeros([2, 1, 3]), state: (Tensor.zeros([1, 1, 4]), Tensor.zeros([2, 1, 4])))
        }
        assertThrows(.shape, ["LSTM", "hidden[1] size", "[2, 1, 3]"]) {
            try lstm.forward(Tensor.zeros([2, 1, 3]), state: (Tensor.zeros([2, 1, 4]), Tensor.zeros([2, 1, 3])))
        }
        assertThrows(.shape, ["LSTM", "2-D or 3-D", "4-D"]) { try lstm.forward(Tensor.zeros([2, 1, 3, 1]), state: nil) }
        assertThrows(.shape, ["LSTM", "unbatched 2-D input", "hx should also be 2-D"]) {
            try lstm.forward(Tensor.zeros([2, 3]), state: (Tensor.zeros([2, 1, 4]), Tensor.zeros([2, 1, 4])))
        }
        assertThrows(.shape, ["sequence length", "larger than 0"]) { try lstm.forward(Tensor.zeros([0, 1, 3]), state: nil) }
        assertThrows(.dtype, ["LSTM", "float64", "float32"]) { try lstm.forward(Tensor.zeros([2, 1, 3], dtype: .float64), state: nil) }
        let gru = try GRU(3, 4)
        assertThrows(.shape, ["GRU", "expected hidden size (1, 2, 4)", "[1, 1, 4]"]) {
            try gru.forward(Tensor.zeros([5, 2, 3]), hx: Tensor.zeros([1, 1, 4]))
        }
        assertThrows(.invalidArgument, ["LSTM takes [input] or [input, h0, c0]", "2 inputs"]) {
            try lstm.forward([Tensor.zeros([2, 1, 3]), Tensor.zeros([2, 1, 4])])
        }
        assertThrows(.invalidArgument, ["RNN", "nonlinearity", "'sigmoid'"]) { try ModuleRegistry.make("RNN", "3, 4, nonlinearity='sigmoid'") }
        assertThrows(.invalidArgument, ["hidden_size must be greater than zero"]) { try RNN(3, 0) }
        assertThrows(.invalidArgument, ["dropout should be a number in range [0, 1]"]) { try GRU(3, 4, dropout: 1.5) }
        assertThrows(.invalidArgument, ["proj_size is not supported"]) { try ModuleRegistry.make("LSTM", "3, 4, proj_size=2") }
    }

    /// In evaluation mode the dropout between layers is off: two runs agree.
    func testDropoutBetweenLayersOnlyInTraining() throws {
        GlobalGenerator.manualSeed(1)
        let rnn = try GRU(3, 4, numLayers: 2, dropout: 0.5)
        let x = try Tensor.randn([5, 2, 3])
        rnn.eval()
        let a = try rnn.forward(x, hx: nil).output.toDoubles(), b = try rnn.forward(x, hx: nil).output.toDoubles()
        XCTAssertEqual(a, b)
        rnn.train()
        let c = try rnn.forward(x, hx: nil).output.toDoubles()
        XCTAssertNotEqual(a, c)
    }
}
