import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import Foundation
import XCTest

/// Model files: architecture + weights in one safetensors file, for every
/// registered layer type, files torch + safetensors wrote (which must give
/// torch's outputs), and the modules and files that cannot round-trip.
final class ModelFileTests: XCTestCase {
    static let ioDirectory = Fixtures.directory.appendingPathComponent("io")
    var temporaries: [String] = []

    override func setUp() { GlobalGenerator.manualSeed(0) }
    override func tearDown() { for p in temporaries { unlink(p) } }

    func temporary(_ name: String) -> String {
        let p = NSTemporaryDirectory() + "ember-model-\(getpid())-\(name).safetensors"
        temporaries.append(p)
        return p
    }

    /// Constructor arguments for one module of every registered type.
    static let examples: [String: String] = [
        "LeakyReLU": "0.2", "ELU": "alpha=0.5", "SELU": "", "GELU": "approximate='tanh'", "SiLU": "", "Mish": "",
        "Softplus": "beta=2.0, threshold=10", "Hardtanh": "-2.0, 2.0", "ReLU6": "", "Sigmoid": "", "Tanh": "", "Softmax": "dim=1",
        "LogSoftmax": "dim=-1", "MultiheadAttention": "8, 2, batch_first=True, add_bias_kv=True", "Conv1d": "2, 3, 3, stride=2",
        "Conv2d": "1, 4, (3, 2), padding='same', bias=False", "ConvTranspose2d": "4, 2, 3, stride=2, output_padding=1",
        "Embedding": "10, 4, padding_idx=0", "Dropout": "0.25", "LayerNorm": "(4, 5), eps=1e-06", "CrossEntropyLoss": "label_smoothing=0.1",
        "NLLLoss": "ignore_index=3", "MSELoss": "reduction='sum'", "L1Loss": "", "SmoothL1Loss": "beta=0.5", "HuberLoss": "delta=2.0",
        "BCELoss": "", "BCEWithLogitsLoss": "", "KLDivLoss": "reduction='batchmean', log_target=True", "BatchNorm1d": "3, momentum=None",
        "BatchNorm2d": "4, affine=False", "GroupNorm": "2, 4", "MaxPool1d": "2", "MaxPool2d": "3, stride=2, padding=1",
        "AvgPool2d": "2, count_include_pad=False", "AdaptiveAvgPool2d": "(2, 3)", "Upsample": "scale_factor=2.0, mode='bilinear', align_corners=False",
        "RNN": "3, 5, num_layers=2, nonlinearity='relu', bidirectional=True", "LSTM": "3, 4, batch_first=True", "GRU": "3, 4, bias=False",
        "Linear": "3, 2, bias=False", "ReLU": "", "Sequential": "", "Flatten": "0, -1", "Unflatten": "1, (2, 3)", "Identity": "",
        "TransformerEncoderLayer": "8, 2, dim_feedforward=16, dropout=0.0, activation='gelu', norm_first=True",
        "TransformerEncoder": "8, 2, dim_feedforward=16, num_layers=2, norm=True",
    ]

    func assertSame(_ a: Module, _ b: Module, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.description, b.description, file: file, line: line)
        XCTAssertEqual(a.namedModules().map { $0.1.training }, b.namedModules().map { $0.1.training }, "modes", file: file, line: line)
        let x = a.stateDictEntries(), y = b.stateDictEntries()
        XCTAssertEqual(x.map(\.0), y.map(\.0), file: file, line: line)
        for ((name, s), (_, t)) in zip(x, y) {
            XCTAssertEqual(s.dtype, t.dtype, name, file: file, line: line)
            XCTAssertEqual(s.shape, t.shape, name, file: file, line: line)
            XCTAssertEqual(s.toDoubles().map(\.bitPattern), t.toDoubles().map(\.bitPattern), name, file: file, line: line)
        }
    }

    func testEveryRegisteredTypeRoundTrips() throws {
        XCTAssertEqual(Set(Self.examples.keys), Set(ModuleRegistry.typeNames), "an example for every registered type")
        for type in ModuleRegistry.typeNames.sorted() {
            let m = try ModuleRegistry.make(type, Self.examples[type]!)
            if type.hasPrefix("BatchNorm") { m.eval() }
            let path = temporary(type)
            try ModelFile.save(m, to: path)
            let loaded = try ModelFile.load(path: path)
            XCTAssertEqual(loaded.typeName, type)
            assertSame(m, loaded)
            // The bytes form gives the same module.
            let bytes = try ModelFile.serialize(m)
            assertSame(m, try bytes.withUnsafeBytes { try ModelFile.load(bytes: $0) })
        }
    }

    func testNestedTreesWithBuffersModesAndTrainedValues() throws {
        let features = try Sequential([try ModuleRegistry.make("Conv2d", "1, 4, 3, padding=1"), try ModuleRegistry.make("BatchNorm2d", "4"),
                                       try ModuleRegistry.make("ReLU", ""), try ModuleRegistry.make("MaxPool2d", "2")])
        let model = try Sequential([features, try ModuleRegistry.make("Flatten", ""), try Linear(16, 3)])  // Linear made directly: no bound arguments
        for _ in 0..<2 { _ = try model(try Tensor.randn([2, 1, 4, 4])) }  // running statistics
        model.eval()
        features.train(true)
        XCTAssertNotEqual(try model.buffer(named: "0.1.num_batches_tracked").toDoubles(), [0])
        let path = temporary("nested")
        try ModelFile.save(model, to: path)
        let generator = GlobalGenerator.withState { $0 }.torchState()
        let loaded = try ModelFile.load(path: path)
        XCTAssertEqual(GlobalGenerator.withState { $0 }.torchState(), generator, "loading leaves the global generator as it was")
        assertSame(model, loaded)
        XCTAssertTrue(try loaded.child(named: "0.1").training)
        XCTAssertFalse(try loaded.child(named: "2").training)
        model.eval()
        loaded.eval()
        let x = try Tensor.randn([3, 1, 4, 4])
        XCTAssertEqual(try model(x).toDoubles(), try loaded(x).toDoubles())
        // The architecture is readable JSON in the metadata.
        let sd = try StateDict.load(path: path)
        XCTAssertEqual(sd.metadataValue("format"), "pt")
        let arch = try JSON.parse(Array(sd.metadataValue(ModelFile.architectureKey)!.utf8))
        XCTAssertEqual(arch["module"]?["children"]?["2"]?["args"]?.serialized, #"{"in_features":16,"out_features":3,"bias":true}"#)
        XCTAssertEqual(arch["module"]?["children"]?["0"]?["children"]?["1"]?["args"]?["eps"]?.serialized, "1e-05")
    }

    func testFilesWrittenByTorchLoadAndGiveTorchsOutputs() throws {
        let fixtures = try XCTUnwrap(try Fixtures.load("io")["models"] as? [String: Any])
        XCTAssertEqual(Set(fixtures.keys), ["mlp", "cnn", "lstm", "encoder", "mlp64"])
        for (name, any) in fixtures {
            let fixture = try XCTUnwrap(any as? [String: Any])
            let m = try ModelFile.load(path: Self.ioDirectory.appendingPathComponent(name + ".safetensors").path)
            XCTAssertEqual(m.training, fixture["training"] as? Bool, name)
            let inputs = try (fixture["inputs"] as! [Any]).map { try FixtureTensor($0).tensor() }
            let expected = try (fixture["outputs"] as! [Any]).map { try FixtureTensor($0) }
            let outputs = try GradMode.with(false) { try m.forward(inputs) }
            XCTAssertEqual(outputs.count, expected.count, name)
            for (o, e) in zip(outputs, expected) {
                XCTAssertEqual(o.shape, e.shape, name)
                XCTAssertEqual(o.dtype, e.dtype, name)
                assertClose(o.toDoubles(), e.values, rtol: 1e-5, atol: 1e-6, name)
            }
        }
        let m64 = try ModelFile.load(path: Self.ioDirectory.appendingPathComponent("mlp64.safetensors").path)
        XCTAssertEqual(try m64.parameter(named: "0.weight").dtype, .float64, "the file's dtype is kept")
        XCTAssertTrue(try m64.parameter(named: "0.weight").requiresGrad)
        let cnn = try ModelFile.load(path: Self.ioDirectory.appendingPathComponent("cnn.safetensors").path)
        XCTAssertEqual(try cnn.buffer(named: "1.num_batches_tracked").toDoubles(), [3])
    }

    func testModulesThatCannotBeSavedAreNamed() throws {
        let custom = CustomModule(typeName: "Residual") { _, inputs in inputs }
        let tree = try Sequential([try Linear(2, 2), custom])
        assertThrows(.invalidArgument, ["module '1' (Residual) is a custom module"]) { try ModelFile.save(tree, to: temporary("custom")) }
        let extended = try Sequential([try Linear(2, 2)])
        try extended.child(named: "0").registerParameter("scale", try Tensor.ones([2]))
        assertThrows(.invalidArgument, ["cannot be saved", "unexpected '0.scale'"]) { try ModelFile.save(extended, to: temporary("extra")) }
        let list = try Sequential([try ModuleList([try Linear(2, 2)])])
        assertThrows(.invalidArgument, ["cannot be saved", "module '0' has type 'ModuleList'"]) { try ModelFile.save(list, to: temporary("list")) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary("custom")), "nothing is written")
    }

    /// A model file with `architecture` as its metadata and the weights of Linear(2, 1).
    func file(architecture: String, weights: [(String, NDArray)]? = nil) throws -> [UInt8] {
        let w = try weights ?? [("weight", try NDArray.zeros([1, 2], dtype: .float32)), ("bias", try NDArray.zeros([1], dtype: .float32))]
        return try Safetensors.serialize(w, metadata: [("ember.architecture", architecture)])
    }

    func assertLoadFails(_ bytes: [UInt8], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        assertThrows(.io, fragments, file: file, line: line) { try bytes.withUnsafeBytes { try ModelFile.load(bytes: $0) } }
    }

    func testMalformedArchitecturesAndMismatchedWeightsAreIOErrors() throws {
        let linear = #"{"format":"ember.module","version":1,"module":{"type":"Linear","args":{"in_features":2,"out_features":1}}}"#
        XCTAssertNoThrow(try file(architecture: linear).withUnsafeBytes { try ModelFile.load(bytes: $0) })
        assertLoadFails(try Safetensors.serialize([("w", try NDArray.zeros([1], dtype: .float32))], metadata: nil), ["holds no architecture"])
        assertLoadFails(try file(architecture: "{"), ["invalid architecture", "invalid JSON"])
        assertLoadFails(try file(architecture: #"{"format":"x"}"#), ["not an Ember module description"])
        assertLoadFails(try file(architecture: #"{"format":"ember.module","version":2,"module":{}}"#), ["version 2"])
        assertLoadFails(try file(architecture: linear.replacingOccurrences(of: "\"Linear\"", with: "\"Linen\"")), ["the root module has type 'Linen'", "Linear"])
        assertLoadFails(try file(architecture: linear.replacingOccurrences(of: "\"out_features\":1", with: "\"out_features\":1.5")),
                        ["the root module cannot be made", "out_features"])
        assertLoadFails(try file(architecture: linear.replacingOccurrences(of: "\"out_features\":1", with: "\"depth\":1")),
                        ["unexpected argument 'depth'"])
        assertLoadFails(try file(architecture: linear.replacingOccurrences(of: "\"out_features\":1", with: "\"out_features\":{}")),
                        ["cannot be an object"])
        assertLoadFails(try file(architecture: linear.replacingOccurrences(of: "1}}}", with: "1},\"training\":3}}")), ["\"training\" is not true or false"])
        assertLoadFails(try file(architecture: linear, weights: [("weight", try NDArray.zeros([1, 3], dtype: .float32))]),
                        ["do not match its architecture", "missing 'bias'", "'weight' has shape [1, 3]"])
        assertLoadFails(try file(architecture: linear, weights: [("weight", try NDArray.zeros([1, 2], dtype: .int64)),
                                                                 ("bias", try NDArray.zeros([1], dtype: .float32)), ("x", try NDArray.zeros([1], dtype: .float32))]),
                        ["unexpected 'x'", "'weight' has dtype int64"])
        let encoder = #"{"format":"ember.module","version":1,"module":{"type":"TransformerEncoder","args":{"d_model":4,"nhead":1,"num_layers":1},"children":{"layers":{"type":"Sequential"}}}}"#
        assertLoadFails(try file(architecture: encoder), ["module 'layers' is described as a Sequential", "made a ModuleList"])
        let twice = #"{"format":"ember.module","version":1,"module":{"type":"Sequential","children":{"0":{"type":"ReLU"},"0":{"type":"ReLU"}}}}"#
        assertLoadFails(try file(architecture: twice, weights: []), ["two children named '0'"])
    }

    func testArchitecturesMustFitTheWeightsBeforeAnythingIsBuilt() throws {
        let huge = #"{"format":"ember.module","version":1,"module":{"type":"Linear","args":{"in_features":100000,"out_features":100000}}}"#
        assertLoadFails(try file(architecture: huge), ["the root module cannot be made", "would allocate 10000100000 parameter elements", "holds 12 bytes"])
        let lstm = #"{"format":"ember.module","version":1,"module":{"type":"Sequential","children":{"0":{"type":"LSTM","args":{"input_size":1,"hidden_size":70000,"num_layers":3}}}}}"#
        assertLoadFails(try file(architecture: lstm, weights: []), ["module '0' cannot be made", "LSTM", "would allocate"])
        var nested = #"{"type":"ReLU"}"#
        for _ in 0..<62 { nested = #"{"type":"Sequential","children":{"0":"# + nested + "}}" }
        assertLoadFails(try file(architecture: #"{"format":"ember.module","version":1,"module":"# + nested + "}", weights: []),
                        ["nested more than 60 modules deep"])
        let many = (0...ModelFile.maxModules).map { #""\#($0)":{"type":"ReLU"}"# }.joined(separator: ",")
        assertLoadFails(try file(architecture: #"{"format":"ember.module","version":1,"module":{"type":"Sequential","children":{"# + many + "}}}", weights: []),
                        ["more than 10000 modules"])
        var deep: Module = try ModuleRegistry.make("ReLU", "")
        for _ in 0..<70 { deep = try Sequential([deep]) }
        assertThrows(.invalidArgument, ["nested more than 60 modules deep"]) { try ModelFile.save(deep, to: temporary("deep")) }
    }

    func testPythonReadsEmberModelFilesIntoTorch() throws {
        let python = try PythonRunner.require(modules: ["torch", "safetensors"])
        let model = try Sequential([try ModuleRegistry.make("Conv2d", "1, 2, 3"), try ModuleRegistry.make("BatchNorm2d", "2"),
                                    try ModuleRegistry.make("Tanh", ""), try ModuleRegistry.make("Flatten", ""), try Linear(8, 3)])
        _ = try model(try Tensor.randn([4, 1, 4, 4]))
        model.eval()
        let path = temporary("torch")
        try ModelFile.save(model, to: path)
        let x = try Tensor.randn([2, 1, 4, 4])
        let expected = try model(x).toDoubles()
        let out = try python.run("""
            import json, torch, torch.nn as nn
            from safetensors import safe_open
            from safetensors.torch import load_model
            m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Tanh(), nn.Flatten(), nn.Linear(8, 3))
            missing, unexpected = load_model(m, r'\(path)')
            assert not missing and not unexpected, (missing, unexpected)
            with safe_open(r'\(path)', 'pt') as f: arch = json.loads(f.metadata()['ember.architecture'])
            assert arch['module']['children']['1']['args']['momentum'] == 0.1 and arch['module']['training'] is False
            m.eval()
            x = torch.tensor(\(x.toDoubles()), dtype=torch.float32).reshape(2, 1, 4, 4)
            print(json.dumps(m(x).flatten().tolist()))
            """)
        let values = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [Double])
        assertClose(values, expected, rtol: 1e-5, atol: 1e-6, "torch on Ember's weights")
    }
}
