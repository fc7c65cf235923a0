import EmberAutograd
import EmberNN
import EmberTensor
import EmberTestSupport
import XCTest

/// Modules by torch class name and torch's keyword syntax, and torch's repr.
final class RegistryTests: XCTestCase {
    func testArgumentParsing() throws {
        let list = try ArgumentList(parsing: " 3, 16 , kernel_size=(3, 3), padding='same', bias=False, eps=1e-05, mode=bilinear, x=None, y=[1,2]")
        XCTAssertEqual(list.positional, [.int(3), .int(16)])
        XCTAssertEqual(list.named.map(\.0), ["kernel_size", "padding", "bias", "eps", "mode", "x", "y"])
        XCTAssertEqual(list.named.map(\.1), [.tuple([.int(3), .int(3)]), .string("same"), .bool(false), .double(1e-05),
                                             .string("bilinear"), .none, .tuple([.int(1), .int(2)])])
        XCTAssertEqual(try ArgumentList(parsing: "").positional, [])
        assertThrows(.invalidArgument, ["positional argument after keyword"]) { try ArgumentList(parsing: "a=1, 2") }
        assertThrows(.invalidArgument, ["unclosed"]) { try ArgumentList(parsing: "k=(1, 2") }
        assertThrows(.invalidArgument, ["cannot read the value '1.2.3'"]) { try ArgumentList(parsing: "x=1.2.3") }
    }

    func testBindingChecksNamesAndValues() throws {
        let sig: [Arguments.Parameter] = [.init("in_features"), .init("out_features"), .init("bias", .bool(true))]
        let a = try Arguments(try ArgumentList(parsing: "4, out_features=2"), type: "Linear", signature: sig)
        XCTAssertEqual(try a.int("in_features"), 4)
        XCTAssertEqual(try a.bool("bias"), true)
        assertThrows(.invalidArgument, ["unexpected argument 'bais'", "in_features, out_features, bias"]) {
            try Arguments(try ArgumentList(parsing: "4, 2, bais=False"), type: "Linear", signature: sig)
        }
        assertThrows(.invalidArgument, ["missing the required argument 'out_features'"]) {
            try Arguments(try ArgumentList(parsing: "4"), type: "Linear", signature: sig)
        }
        assertThrows(.invalidArgument, ["multiple values for argument 'in_features'"]) {
            try Arguments(try ArgumentList(parsing: "4, 2, in_features=3"), type: "Linear", signature: sig)
        }
        let bad = try Arguments(try ArgumentList(parsing: "'four', 2"), type: "Linear", signature: sig)
        assertThrows(.invalidArgument, ["'in_features' must be an integer", "'four'"]) { try bad.int("in_features") }
    }

    func testMakeByTypeNameAndReprLikeTorch() throws {
        GlobalGenerator.manualSeed(0)
        let fc = try ModuleRegistry.make("Linear", "10, 5")
        let rng = try Fixtures.load("rng")
        XCTAssertEqual(try fc.parameter(named: "weight").toDoubles(), try FixtureTensor(rng["linear_10_5_weight"]).values)
        let model = try Sequential([fc, try ModuleRegistry.make("ReLU", ""), try ModuleRegistry.make("Linear", "in_features=5, out_features=2, bias=False")])
        // print(nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2, bias=False)))
        XCTAssertEqual(model.description, """
        Sequential(
          (0): Linear(in_features=10, out_features=5, bias=True)
          (1): ReLU()
          (2): Linear(in_features=5, out_features=2, bias=False)
        )
        """)
        let nested = try Sequential([model])
        XCTAssertEqual(nested.description.split(separator: "\n")[1], "  (0): Sequential(")
        XCTAssertEqual(nested.description.split(separator: "\n")[2], "    (0): Linear(in_features=10, out_features=5, bias=True)")
        assertThrows(.invalidArgument, ["unknown module type \"Conv9d\"", "Linear", "Sequential"]) { try ModuleRegistry.make("Conv9d", "") }
    }

    func testModuleWithNeitherForwardFailsInsteadOfRecursing() throws {
        final class Empty: Module {}
        assertThrows(.state, ["has no forward"]) { try Empty().forward(try Tensor.zeros([1])) }
        assertThrows(.state, ["has no forward"]) { try Empty().forward([try Tensor.zeros([1])]) }
    }

    func testCustomModuleWithChildrenAndFreezing() throws {
        // A residual block: y = x + fc(x), with fc registered as a child.
        let block = CustomModule(typeName: "Residual") { module, inputs in
            [try inputs[0].add(try module.child(named: "fc").forward(inputs[0]))]
        }
        try block.registerModule("fc", try Linear(3, 3))
        try block.registerBuffer("steps", try Tensor.zeros([], dtype: .int64))
        XCTAssertEqual(block.namedParameters().map(\.0), ["fc.weight", "fc.bias"])
        XCTAssertEqual(block.namedBuffers().map(\.0), ["steps"])
        XCTAssertEqual(block.description, "Residual(\n  (fc): Linear(in_features=3, out_features=3, bias=True)\n)")
        let x = try Tensor.ones([2, 3], requiresGrad: true)
        try block(x).sum().backward()
        XCTAssertNotNil(try block.parameter(named: "fc.weight").grad)
        try block.setRequiresGrad(false)
        XCTAssertTrue(block.parameters().allSatisfy { !$0.requiresGrad })
        XCTAssertFalse(try block(try Tensor.ones([2, 3])).requiresGrad)
        assertThrows(.invalidArgument, ["no submodule \"fc2\"", "\"fc\""]) { try block.child(named: "fc2") }
        // A forward that calls itself without end is an error, not a crash.
        let loop = CustomModule(typeName: "Loop") { module, inputs in try module.forward(inputs) }
        assertThrows(.state, ["re-entered itself"]) { try loop.forward([x]) }
    }
}

final class ModuleListReprTests: XCTestCase {
    func testRepeatedChildrenPrintOnceAsTorchDoes() throws {
        let list = try ModuleList([try Linear(2, 2), try Linear(2, 2), ReLU()])
        // print(nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()]))
        XCTAssertEqual(list.description, """
        ModuleList(
          (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)
          (2): ReLU()
        )
        """)
        // print(nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2,
        //                             enable_nested_tensor=False))
        let encoder = try ModuleRegistry.make("TransformerEncoder", "8, 2, 16, dropout=0.0, batch_first=True, num_layers=2, enable_nested_tensor=False")
        XCTAssertEqual(encoder.description, """
        TransformerEncoder(
          (layers): ModuleList(
            (0-1): 2 x TransformerEncoderLayer(
              (self_attn): MultiheadAttention(
                (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)
              )
              (linear1): Linear(in_features=8, out_features=16, bias=True)
              (dropout): Dropout(p=0.0, inplace=False)
              (linear2): Linear(in_features=16, out_features=8, bias=True)
              (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
              (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
              (dropout1): Dropout(p=0.0, inplace=False)
              (dropout2): Dropout(p=0.0, inplace=False)
            )
          )
        )
        """)
    }
}
