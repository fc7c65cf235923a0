import EmberAutograd
@testable import EmberNN
import EmberTensor
import EmberTestSupport
import Foundation
import XCTest

/// Generator state in torch's layout, module state dicts with torch's
/// load_state_dict semantics and messages, and checkpoints that resume bit for bit.
final class CheckpointTests: XCTestCase {
    override func setUp() { GlobalGenerator.manualSeed(0) }

    // MARK: - Generator state

    func bytes(_ any: Any?) throws -> [UInt8] {
        try XCTUnwrap(any as? [Any]).map { UInt8(try XCTUnwrap($0 as? Double)) }
    }

    func testGeneratorStateIsTorchsBytes() throws {
        let fixture = try XCTUnwrap(try Fixtures.load("io")["generator"] as? [String: Any])
        GlobalGenerator.manualSeed(123)
        let state = { GlobalGenerator.withState { $0 }.torchState() }
        XCTAssertEqual(state(), try bytes(fixture["fresh"]), "right after manual_seed")
        XCTAssertEqual(try NDArray.rand([5], dtype: .float32).toDoubles(), try FixtureTensor(fixture["rand5"]).values)
        XCTAssertEqual(state(), try bytes(fixture["after_rand5"]))
        XCTAssertEqual(try NDArray.randn([1], dtype: .float64).toDoubles(), try FixtureTensor(fixture["randn1"]).values)
        XCTAssertEqual(state(), try bytes(fixture["after_randn1"]), "with the cached normal sample")
        XCTAssertNotNil(GlobalGenerator.withState { $0 }.cachedNormal)
        XCTAssertEqual(try NDArray.randn([3], dtype: .float64).toDoubles(), try FixtureTensor(fixture["randn3"]).values)
        XCTAssertEqual(try NDArray.randn([20], dtype: .float32).toDoubles(), try FixtureTensor(fixture["randn20"]).values)
        // torch's state imported: the draws continue as torch's do after set_rng_state.
        let imported = try RandomState(torchState: try bytes(fixture["after_rand5"]))
        GlobalGenerator.withState { $0 = imported }
        XCTAssertEqual(try NDArray.rand([4], dtype: .float32).toDoubles(), try FixtureTensor(fixture["rand4_after_rand5"]).values)
        // Every state reads back as the same bytes.
        for key in ["fresh", "after_rand5", "after_randn1"] {
            let b = try bytes(fixture[key])
            XCTAssertEqual(try RandomState(torchState: b).torchState(), b, key)
        }
    }

    func testImpossibleGeneratorStatesAreRefused() throws {
        let good = GlobalGenerator.withState { $0 }.torchState()
        assertThrows(.invalidArgument, ["5056 bytes", "got 10"]) { try RandomState(torchState: [UInt8](repeating: 0, count: 10)) }
        var wide = good
        wide[24 + 4] = 1  // state word 0 past 32 bits
        assertThrows(.invalidArgument, ["state word 0", "more than 32 bits"]) { try RandomState(torchState: wide) }
        var position = good
        position[8] = 0  // left = 0
        assertThrows(.invalidArgument, ["left=0"]) { try RandomState(torchState: position) }
        var mismatch = good
        mismatch[8] = 7
        mismatch[16] = 3  // next must be 625 - left
        assertThrows(.invalidArgument, ["left=7, next=3"]) { try RandomState(torchState: mismatch) }
        var floatCache = good
        floatCache[5052] = 1
        assertThrows(.invalidArgument, ["float normal sample"]) { try RandomState(torchState: floatCache) }
        var flag = good
        flag[5040] = 2
        assertThrows(.invalidArgument, ["must be 0 or 1"]) { try RandomState(torchState: flag) }
        assertThrows(.invalidArgument, ["632 elements"]) { try Checkpoint.generatorState(try NDArray.zeros([5056], dtype: .int64)) }
    }

    // MARK: - Module state dicts

    func model() throws -> Module {
        let m = try Sequential([try ModuleRegistry.make("Linear", "3, 2"), try ModuleRegistry.make("BatchNorm1d", "2")])
        return m
    }

    func testStateDictOrderIsTorchs() throws {
        XCTAssertEqual(try model().stateDictEntries().map(\.0),
                       ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"])
        let m = try model()
        let entries = m.stateDictEntries()
        XCTAssertFalse(entries[0].1.requiresGrad, "detached")
        XCTAssertTrue(entries[0].1.array.sharesStorage(with: try m.parameter(named: "0.weight").array), "shares memory")
    }

    func testStrictLoadReportsEverythingAsTorchAndChangesNothing() throws {
        let m = try model()
        let before = m.stateDictEntries().map { $0.1.toDoubles() }
        var entries = try model().stateDictEntries().filter { $0.0 != "0.bias" }.map { ($0.0, $0.1.array) }
        entries[0].1 = try NDArray.zeros([5, 3], dtype: .float32)
        for name in ["0.extra", "foo.weight", "2.weight", "1.running_mean.x"] { entries.append((name, try NDArray.zeros([1], dtype: .float32))) }
        let expected = "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"0.bias\". \n\tUnexpected key(s) in state_dict: \"foo.weight\", \"2.weight\", \"0.extra\", \"1.running_mean.x\". \n\tsize mismatch for 0.weight: copying a param with shape torch.Size([5, 3]) from checkpoint, the shape in current model is torch.Size([2, 3])."
        do {
            try m.loadStateDict(entries, strict: true)
            XCTFail("a strict load with mismatches must fail")
        } catch let e as EmberError {
            XCTAssertEqual(e.kind, .invalidArgument)
            XCTAssertEqual(e.message, expected)
        }
        XCTAssertEqual(m.stateDictEntries().map { $0.1.toDoubles() }, before, "nothing changed")
    }

    func testNonStrictLoadAppliesWhatMatchesAndReportsTheRest() throws {
        let m = try model(), source = try model()
        try source.parameter(named: "1.weight").copyValues(from: try NDArray.full([2], value: 7, dtype: .float32))
        var entries = source.stateDictEntries().filter { $0.0 != "0.bias" }.map { ($0.0, $0.1.array) }
        entries[0].1 = try NDArray.zeros([2, 3], dtype: .float64)  // a dtype mismatch (torch would cast)
        entries.append(("extra", try NDArray.zeros([1], dtype: .float32)))
        let oldBias = try m.parameter(named: "0.bias").toDoubles(), oldWeight = try m.parameter(named: "0.weight").toDoubles()
        let report = try m.loadStateDict(entries, strict: false)
        XCTAssertEqual(report.missingKeys, ["0.bias"])
        XCTAssertEqual(report.unexpectedKeys, ["extra"])
        XCTAssertEqual(report.mismatches, ["dtype mismatch for 0.weight: copying a param with dtype torch.float64 from checkpoint, the dtype in current model is torch.float32."])
        XCTAssertEqual(report.loaded, 5)
        XCTAssertEqual(try m.parameter(named: "1.weight").toDoubles(), [7, 7])
        XCTAssertEqual(try m.parameter(named: "0.bias").toDoubles(), oldBias)
        XCTAssertEqual(try m.parameter(named: "0.weight").toDoubles(), oldWeight)
        XCTAssertEqual(report.lines.first, "Missing key(s) in state_dict: \"0.bias\". ")
        // A module's own state dict loads into it (the same memory: a no-op).
        XCTAssertTrue(try m.loadStateDict(try m.stateDict(), strict: true).isClean)
    }

    func testStateDictFilesRoundTrip() throws {
        let path = NSTemporaryDirectory() + "ember-sd-\(getpid()).safetensors"
        defer { unlink(path) }
        let m = try model()
        let sd = try m.stateDict()
        try sd.setMetadata("epoch", "3")
        try sd.save(path: path)
        let loaded = try StateDict.load(path: path)
        XCTAssertEqual(loaded.names.sorted(), sd.names.sorted())
        XCTAssertEqual(loaded.metadataValue("epoch"), "3")
        let fresh = try model()
        try fresh.loadStateDict(loaded)
        XCTAssertEqual(fresh.stateDictEntries().map { $0.1.toDoubles() }, m.stateDictEntries().map { $0.1.toDoubles() })
        XCTAssertEqual(try fresh.buffer(named: "1.num_batches_tracked").dtype, .int64)
    }

    // MARK: - Checkpoints

    /// A network with dropout, trained by plain gradient descent.
    func network() throws -> Module {
        try Sequential([try ModuleRegistry.make("Linear", "4, 16"), try ModuleRegistry.make("ReLU", ""),
                        try ModuleRegistry.make("Dropout", "0.3"), try ModuleRegistry.make("Linear", "16, 1")])
    }

    func step(_ m: Module, _ x: Tensor, _ y: Tensor) throws -> Double {
        let diff = try m(x).sub(y)
        let loss = try diff.mul(diff).mean()
        try loss.backward()
        try GradMode.with(false) {
            for p in m.parameters() {
                try p.copyValues(from: try p.sub(p.grad!.mul(0.05)).array)
                try p.setGrad(nil)
            }
        }
        return try loss.item()
    }

    func testCheckpointsResumeBitForBit() throws {
        let x = try Tensor.randn([8, 4]), y = try Tensor.randn([8, 1])
        var counter = 0
        // A part standing for an optimizer or a loader: a counter saved as a tensor.
        let part = CheckpointPart(name: "counter", typeName: "Counter",
                                  export: { [("value", try NDArray.full([], value: Double(counter), dtype: .int64))] },
                                  load: { entries in counter = Int(try entries.first { $0.0 == "value" }!.1.item()) })
        GlobalGenerator.manualSeed(7)
        let straight = try network()
        var lossesStraight: [Double] = []
        for _ in 0..<10 { lossesStraight.append(try step(straight, x, y)) }

        GlobalGenerator.manualSeed(7)
        let first = try network()
        for _ in 0..<4 { _ = try step(first, x, y); counter += 1 }
        let sd = try Checkpoint.stateDict(module: first, parts: [part])
        XCTAssertEqual(sd.metadataValue("ember.parts"), "model,counter,generator")
        XCTAssertEqual(sd["generator.state"]?.shape, [632])
        let path = NSTemporaryDirectory() + "ember-ckpt-\(getpid()).safetensors"
        defer { unlink(path) }
        try sd.save(path: path)
        // Elsewhere: fresh objects, other random draws, then the restore.
        GlobalGenerator.manualSeed(999)
        let resumed = try network()
        counter = 0
        try Checkpoint.restore(try StateDict.load(path: path), module: resumed, parts: [part])
        XCTAssertEqual(counter, 4)
        var lossesResumed: [Double] = []
        for _ in 0..<6 { lossesResumed.append(try step(resumed, x, y)) }
        XCTAssertEqual(lossesResumed.map(\.bitPattern), lossesStraight[4...].map(\.bitPattern), "the same dropout masks and updates")
        for ((n1, a), (n2, b)) in zip(resumed.stateDictEntries(), straight.stateDictEntries()) {
            XCTAssertEqual(n1, n2)
            XCTAssertEqual(a.toDoubles().map(\.bitPattern), b.toDoubles().map(\.bitPattern), n1)
        }
    }

    func testFailedRestoresChangeNothing() throws {
        var value = 1
        let good = CheckpointPart(name: "a", typeName: "A", export: { [("v", try NDArray.full([], value: Double(value), dtype: .int64))] },
                                  load: { value = Int(try $0[0].1.item()) })
        let failing = CheckpointPart(name: "b", typeName: "B", export: { [] },
                                     load: { _ in throw EmberError.invalidArgument("B refuses") })
        let m = try model()
        let sd = try Checkpoint.stateDict(module: m, parts: [good, failing])
        value = 2
        try m.parameter(named: "0.bias").copyValues(from: try NDArray.zeros([2], dtype: .float32))
        _ = try NDArray.rand([3], dtype: .float32)
        let generator = GlobalGenerator.withState { $0 }.torchState()
        assertThrows(.invalidArgument, ["b state does not fit", "B refuses"]) { try Checkpoint.restore(sd, module: m, parts: [good, failing]) }
        XCTAssertEqual(value, 2, "the part loaded first is put back")
        XCTAssertEqual(try m.parameter(named: "0.bias").toDoubles(), [0, 0])
        XCTAssertEqual(GlobalGenerator.withState { $0 }.torchState(), generator)

        assertThrows(.invalidArgument, ["holds no c state"]) {
            try Checkpoint.restore(sd, module: nil, parts: [CheckpointPart(name: "c", typeName: "C", export: { [] }, load: { _ in })])
        }
        assertThrows(.invalidArgument, ["checkpoint's a is a A but a Z was given"]) {
            try Checkpoint.restore(sd, module: nil, parts: [CheckpointPart(name: "a", typeName: "Z", export: { [] }, load: { _ in })])
        }
        assertThrows(.invalidArgument, ["Error(s) in loading state_dict for Sequential", "Unexpected key(s) in state_dict: \"1.weight\""]) {
            try Checkpoint.restore(sd, module: try Sequential([try ModuleRegistry.make("Linear", "3, 2")]), parts: [])
        }
        assertThrows(.io, ["not an Ember checkpoint"]) { try Checkpoint.restore(try m.stateDict(), module: m, parts: []) }
        try Checkpoint.restore(sd, module: m, parts: [good])
        XCTAssertEqual(value, 1)
    }
}
