import CEmber
@testable import Ember
import EmberTensor
import EmberTestSupport
import Foundation
import XCTest

/// ember/io.h and ember/dlpack.h through the C API: state dicts and their
/// files, load_state_dict reports, model files, training checkpoints that
/// resume bit for bit, generator and loader state, DLPack in-process and with
/// numpy and torch (when importable).
final class IOAPITests: XCTestCase {
    var temporaries: [String] = []
    override func setUp() { ember_manual_seed(0) }
    override func tearDown() { for p in temporaries { unlink(p) } }

    func temporary(_ name: String) -> String {
        let p = NSTemporaryDirectory() + "ember-io-\(getpid())-\(name).safetensors"
        temporaries.append(p)
        return p
    }

    func name(_ sd: OpaquePointer?, _ i: Int64) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        C.ok(ember_state_dict_at(sd, i, &buf, 64, nil))
        return String(cString: buf)
    }

    // MARK: - State dicts

    func testStateDictEditingMetadataAndFiles() throws {
        var sd: OpaquePointer?
        C.ok(ember_state_dict_new(&sd))
        defer { ember_state_dict_free(sd) }
        let a = C.tensor([1, 2, 3] as [Float], [3]), b = C.tensor([4, 5] as [Int64], [2])
        C.ok(ember_state_dict_set(sd, "a", a))
        C.ok(ember_state_dict_set(sd, "b", b))
        C.ok(ember_state_dict_set(sd, "a", b))  // replaced in place
        ember_tensor_free(a)
        ember_tensor_free(b)
        XCTAssertEqual(ember_state_dict_count(sd), 2)
        XCTAssertEqual([name(sd, 0), name(sd, 1)], ["a", "b"])
        var small = [CChar](repeating: 0, count: 1)
        C.fails(ember_state_dict_at(sd, 0, &small, 1, nil), EMBER_ERR_INVALID_ARGUMENT, ["needs 2 bytes"])
        C.fails(ember_state_dict_at(sd, 5, nil, 0, nil), EMBER_ERR_INVALID_ARGUMENT, ["index 5 is out of range"])
        C.ok(ember_state_dict_set_metadata(sd, "epoch", "3"))
        C.ok(ember_state_dict_set_metadata(sd, "gone", "x"))
        C.ok(ember_state_dict_set_metadata(sd, "gone", nil))
        XCTAssertEqual(ember_state_dict_metadata_count(sd), 1)
        var length = 0
        C.ok(ember_state_dict_get_metadata(sd, "epoch", nil, 0, &length))
        XCTAssertEqual(length, 1)
        var value = [CChar](repeating: 0, count: 8)
        C.ok(ember_state_dict_get_metadata(sd, "epoch", &value, 8, &length))
        XCTAssertEqual(String(cString: value), "3")
        C.fails(ember_state_dict_get_metadata(sd, "nope", &value, 8, &length), EMBER_ERR_INVALID_ARGUMENT, ["no metadata 'nope'", "'epoch'"])
        C.fails(ember_state_dict_set(sd, "__metadata__", nil), EMBER_ERR_INVALID_HANDLE, ["argument 't' is NULL"])
        C.fails(ember_state_dict_remove(sd, "zzz"), EMBER_ERR_INVALID_ARGUMENT, ["no tensor 'zzz'", "'a', 'b'"])
        // A file and a buffer give the same state dict.
        let path = temporary("sd")
        C.ok(ember_state_dict_save(sd, path))
        var size = 0
        C.ok(ember_state_dict_save_buffer(sd, nil, 0, &size))
        var bytes = [UInt8](repeating: 0, count: size)
        C.fails(ember_state_dict_save_buffer(sd, &bytes, size - 1, &size), EMBER_ERR_INVALID_ARGUMENT, ["the file has \(size) bytes"])
        C.ok(ember_state_dict_save_buffer(sd, &bytes, size, &size))
        XCTAssertEqual(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), bytes)
        var fromFile, fromBuffer: OpaquePointer?
        C.ok(ember_state_dict_load(path, &fromFile))
        C.ok(ember_state_dict_load_buffer(bytes, bytes.count, &fromBuffer))
        defer { ember_state_dict_free(fromFile); ember_state_dict_free(fromBuffer) }
        for d in [fromFile, fromBuffer] {
            var t: OpaquePointer?
            C.ok(ember_state_dict_get(d, "a", &t))
            XCTAssertEqual(C.values(t), [4, 5])
            XCTAssertEqual(ember_tensor_dtype(t), EMBER_INT64)
            ember_tensor_free(t)
            var key = [CChar](repeating: 0, count: 16)
            C.ok(ember_state_dict_metadata_key_at(d, 0, &key, 16))
            XCTAssertEqual(String(cString: key), "epoch")
        }
        C.ok(ember_state_dict_remove(fromFile, "a"))
        XCTAssertEqual(ember_state_dict_count(fromFile), 1)
    }

    func testMalformedInputIsAnIOErrorWithNoResult() {
        var sd: OpaquePointer? = OpaquePointer(bitPattern: 1)
        C.fails(ember_state_dict_load("/nonexistent/file.safetensors", &sd), EMBER_ERR_IO, ["ember_state_dict_load: cannot open"])
        XCTAssertNil(sd)
        let junk: [UInt8] = [255, 255, 0, 0, 0, 0, 0, 0, 1, 2, 3]
        C.fails(ember_state_dict_load_buffer(junk, junk.count, &sd), EMBER_ERR_IO, ["not a valid safetensors file", "runs past the end"])
        C.fails(ember_state_dict_load_buffer(nil, 4, &sd), EMBER_ERR_INVALID_ARGUMENT, ["'data' is NULL"])
        C.fails(ember_state_dict_load_buffer(nil, 0, &sd), EMBER_ERR_IO, ["truncated (0 bytes"])
        var m: OpaquePointer? = OpaquePointer(bitPattern: 1)
        C.fails(ember_module_load_buffer(junk, junk.count, &m), EMBER_ERR_IO, ["ember_module_load_buffer"])
        XCTAssertNil(m)
        XCTAssertEqual(ember_state_dict_count(nil), -1)
        XCTAssertTrue(C.lastError.contains("argument 'sd' is NULL"))
        let t = C.tensor([1] as [Float], [1])
        C.fails(ember_state_dict_save(t, "/tmp/x"), EMBER_ERR_INVALID_HANDLE, ["is a tensor handle, not a state dict handle"])
        ember_tensor_free(t)
        var freed: OpaquePointer?
        C.ok(ember_state_dict_new(&freed))
        ember_state_dict_free(freed)
        C.fails(ember_state_dict_save(freed, "/tmp/x"), EMBER_ERR_INVALID_HANDLE, ["has been freed"])
        ember_state_dict_free(freed)  // a double free is reported, not a crash
        XCTAssertTrue(C.lastError.contains("has been freed"))
    }

    // MARK: - Modules

    func seedNetworkStateDict(_ model: OpaquePointer?) -> OpaquePointer? {
        var sd: OpaquePointer?
        C.ok(ember_module_state_dict(model, &sd))
        return sd
    }

    func testModuleStateDictsLoadStrictlyAndNot() throws {
        let model = C.seedNetwork()
        defer { ember_module_free(model) }
        let sd = seedNetworkStateDict(model)
        defer { ember_state_dict_free(sd) }
        XCTAssertEqual((0..<ember_state_dict_count(sd)).map { name(sd, $0) }, ["0.weight", "0.bias", "2.weight", "2.bias"])
        let other = C.seedNetwork()
        defer { ember_module_free(other) }
        C.ok(ember_module_load_state_dict(other, sd, true, nil, 0, nil))
        var w1, w2: OpaquePointer?
        C.ok(ember_module_parameter(model, "2.weight", &w1))
        C.ok(ember_module_parameter(other, "2.weight", &w2))
        XCTAssertEqual(C.values(w1), C.values(w2))
        // Mismatches: strict fails with torch's message and changes nothing; not strict applies the rest.
        let wrong = C.tensor([Float](repeating: 9, count: 4), [2, 2])
        C.ok(ember_state_dict_set(sd, "0.bias", wrong))
        C.ok(ember_state_dict_set(sd, "3.weight", wrong))
        let zeros = C.tensor([Float](repeating: 0, count: 10), [2, 5])
        C.ok(ember_state_dict_set(sd, "2.weight", zeros))
        C.ok(ember_state_dict_remove(sd, "2.bias"))
        C.fails(ember_module_load_state_dict(other, sd, true, nil, 0, nil), EMBER_ERR_INVALID_ARGUMENT, [
            "ember_module_load_state_dict: Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"2.bias\". \n\tUnexpected key(s) in state_dict: \"3.weight\". \n\tsize mismatch for 0.bias: copying a param with shape torch.Size([2, 2]) from checkpoint, the shape in current model is torch.Size([5]).",
        ])
        XCTAssertEqual(C.values(w2), C.values(w1), "nothing changed")
        var report = [CChar](repeating: 0, count: 40)
        var length = 0
        C.ok(ember_module_load_state_dict(other, sd, false, &report, 40, &length))
        XCTAssertEqual(C.values(w2), [Double](repeating: 0, count: 10), "the matching entry was applied")
        let full = "Missing key(s) in state_dict: \"2.bias\". \nUnexpected key(s) in state_dict: \"3.weight\". \nsize mismatch for 0.bias: copying a param with shape torch.Size([2, 2]) from checkpoint, the shape in current model is torch.Size([5])."
        XCTAssertEqual(length, full.utf8.count)
        XCTAssertEqual(String(cString: report), String(full.prefix(39)), "truncated to the buffer")
        for t in [w1, w2, wrong, zeros] { ember_tensor_free(t) }
    }

    func testModelFilesThroughTheCAPI() throws {
        var model, conv, bn, act, pool, flat, fc: OpaquePointer?
        C.ok(ember_sequential_new(&model))
        C.ok(ember_module_new("Conv2d", "1, 2, 3, padding=1", &conv))
        C.ok(ember_module_new("BatchNorm2d", "2", &bn))
        C.ok(ember_relu_new(&act))
        C.ok(ember_module_new("AvgPool2d", "2", &pool))
        C.ok(ember_module_new("Flatten", nil, &flat))
        C.ok(ember_linear_new(8, 3, true, &fc))
        for m in [conv, bn, act, pool, flat, fc] {
            C.ok(ember_sequential_append(model, m))
            ember_module_free(m)
        }
        defer { ember_module_free(model) }
        let x = C.tensor((0..<32).map { Float(sin(Double($0))) }, [2, 1, 4, 4])
        defer { ember_tensor_free(x) }
        var y: OpaquePointer?
        C.ok(ember_module_forward(model, x, &y))  // updates the running statistics
        ember_tensor_free(y)
        C.ok(ember_module_train(model, false))
        C.ok(ember_module_forward(model, x, &y))
        let path = temporary("model")
        C.ok(ember_module_save(model, path))
        var loaded: OpaquePointer? = nil
        C.ok(ember_module_load(path, &loaded))
        defer { ember_module_free(loaded) }
        XCTAssertFalse(ember_module_is_training(loaded))
        var y2: OpaquePointer?
        C.ok(ember_module_forward(loaded, x, &y2))
        XCTAssertEqual(C.values(y2), C.values(y))
        var summary = [CChar](repeating: 0, count: 1024), a = 0, b = 0
        C.ok(ember_module_summary(model, &summary, 1024, &a))
        let s1 = String(cString: summary)
        C.ok(ember_module_summary(loaded, &summary, 1024, &b))
        XCTAssertEqual(String(cString: summary), s1)
        for t in [y, y2] { ember_tensor_free(t) }
        // Custom modules cannot be saved; their path is named.
        var custom: OpaquePointer?
        C.ok(ember_module_custom_new("Block", { _, _, _, _, _, _, n in n?.pointee = 0; return EMBER_OK }, nil, nil, &custom))
        C.ok(ember_sequential_append(model, custom))
        ember_module_free(custom)
        C.fails(ember_module_save(model, temporary("custom")), EMBER_ERR_INVALID_ARGUMENT, ["module '6' (Block) is a custom module"])
        var none: OpaquePointer? = OpaquePointer(bitPattern: 1)
        C.fails(ember_module_load(Fixtures.directory.appendingPathComponent("io/tensors.safetensors").path, &none), EMBER_ERR_IO,
                ["holds no architecture"])
        XCTAssertNil(none)
    }

    // MARK: - Checkpoints

    /// A training run built through the C API: a network with dropout, Adam,
    /// StepLR stepped per epoch, a shuffled loader over fixed data.
    final class Run {
        var model, opt, sched, loader, x, y: OpaquePointer?
        var losses: [UInt64] = []

        init(seed: UInt64) {
            ember_manual_seed(seed)
            C.ok(ember_sequential_new(&model))
            for (type, args) in [("Linear", "6, 16"), ("ReLU", ""), ("Dropout", "0.3"), ("Linear", "16, 3")] {
                var m: OpaquePointer?
                C.ok(ember_module_new(type, args, &m))
                C.ok(ember_sequential_append(model, m))
                ember_module_free(m)
            }
            C.ok(ember_adam_new(model, 0.01, &opt))
            C.ok(ember_steplr_new(opt, 2, 0.5, &sched))
            x = C.tensor((0..<60).map { Float(sin(Double($0) * 0.7)) }, [10, 6])
            y = C.tensor((0..<10).map { Int64($0 % 3) }, [10])
            C.ok(ember_dataloader_new(x, y, 4, true, &loader))
        }

        deinit {
            ember_scheduler_free(sched)
            ember_optimizer_free(opt)
            ember_dataloader_free(loader)
            ember_module_free(model)
            ember_tensor_free(x)
            ember_tensor_free(y)
        }

        /// `count` optimizer steps; an epoch's end steps the scheduler.
        func train(_ count: Int) {
            var done = 0
            while done < count {
                var bx, by, out, loss: OpaquePointer?
                C.ok(ember_dataloader_next(loader, &bx, &by))
                guard bx != nil else { C.ok(ember_scheduler_step(sched)); continue }
                C.ok(ember_optimizer_zero_grad(opt))
                C.ok(ember_module_forward(model, bx, &out))
                C.ok(ember_cross_entropy(out, by, &loss))
                C.ok(ember_tensor_backward(loss, nil))
                C.ok(ember_optimizer_step(opt))
                var v = 0.0
                C.ok(ember_tensor_item(loss, &v))
                losses.append(v.bitPattern)
                for t in [bx, by, out, loss] { ember_tensor_free(t) }
                done += 1
            }
        }

        func parameters() -> [[Double]] {
            (0..<ember_module_parameter_count(model)).map { i in
                var t: OpaquePointer?
                C.ok(ember_module_parameter_at(model, i, nil, 0, &t))
                defer { ember_tensor_free(t) }
                return C.values(t)
            }
        }
    }

    func testCheckpointsResumeBitForBit() throws {
        let straight = Run(seed: 11)
        straight.train(17)

        let first = Run(seed: 11)
        first.train(7)
        let path = temporary("checkpoint")
        C.ok(ember_checkpoint_save(path, first.model, first.opt, first.sched, first.loader))
        XCTAssertEqual(first.losses, Array(straight.losses[0..<7]))

        // Fresh objects made from another seed, then the checkpoint.
        let resumed = Run(seed: 12345)
        C.ok(ember_checkpoint_load(path, resumed.model, resumed.opt, resumed.sched, resumed.loader))
        resumed.train(10)
        XCTAssertEqual(resumed.losses, Array(straight.losses[7..<17]), "losses bit for bit: batches, dropout masks, updates")
        XCTAssertEqual(resumed.parameters().map { $0.map(\.bitPattern) }, straight.parameters().map { $0.map(\.bitPattern) })
        var lr1 = 0.0, lr2 = 0.0
        C.ok(ember_optimizer_get(resumed.opt, "lr", &lr1))
        C.ok(ember_optimizer_get(straight.opt, "lr", &lr2))
        XCTAssertEqual(lr1, lr2)
        XCTAssertLessThan(lr1, 0.01, "the scheduler has stepped")
    }

    func testCheckpointStateDictsCarryUserDataAndRefuseMismatches() throws {
        let run = Run(seed: 3)
        run.train(3)
        var sd: OpaquePointer?
        C.ok(ember_checkpoint_state_dict(run.model, run.opt, run.sched, run.loader, &sd))
        defer { ember_state_dict_free(sd) }
        let names = (0..<ember_state_dict_count(sd)).map { name(sd, $0) }
        XCTAssertTrue(names.contains("model.0.weight"))
        XCTAssertTrue(names.contains("optimizer.state.0.exp_avg"))
        XCTAssertTrue(names.contains("scheduler.last_epoch"))
        XCTAssertTrue(names.contains("dataloader.permutation"))
        XCTAssertEqual(names.last, "generator.state")
        var value = [CChar](repeating: 0, count: 128), length = 0
        C.ok(ember_state_dict_get_metadata(sd, "ember.parts", &value, 128, &length))
        XCTAssertEqual(String(cString: value), "model,optimizer,scheduler,dataloader,generator")
        C.ok(ember_state_dict_get_metadata(sd, "ember.optimizer.type", &value, 128, &length))
        XCTAssertEqual(String(cString: value), "Adam")
        let step = C.tensor([3] as [Int64], [])
        C.ok(ember_state_dict_set(sd, "user.step", step))
        ember_tensor_free(step)
        C.ok(ember_state_dict_set_metadata(sd, "note", "extra entries are kept and ignored"))
        let other = Run(seed: 4)
        C.ok(ember_checkpoint_restore(sd, other.model, other.opt, other.sched, other.loader))
        XCTAssertEqual(other.parameters(), run.parameters())
        // Another optimizer class, or a part the checkpoint lacks.
        var sgd: OpaquePointer?
        C.ok(ember_sgd_new(other.model, 0.1, &sgd))
        C.fails(ember_checkpoint_restore(sd, nil, sgd, nil, nil), EMBER_ERR_INVALID_ARGUMENT, ["optimizer is a Adam but a SGD was given"])
        ember_optimizer_free(sgd)
        var partial: OpaquePointer?
        C.ok(ember_checkpoint_state_dict(run.model, nil, nil, nil, &partial))
        C.fails(ember_checkpoint_restore(partial, nil, other.opt, nil, nil), EMBER_ERR_INVALID_ARGUMENT, ["holds no optimizer state"])
        ember_state_dict_free(partial)
        var plain = seedNetworkStateDict(run.model)
        C.fails(ember_checkpoint_restore(plain, run.model, nil, nil, nil), EMBER_ERR_IO, ["not an Ember checkpoint"])
        ember_state_dict_free(plain)
        plain = nil
        C.fails(ember_checkpoint_restore(sd, nil, nil, nil, OpaquePointer(bitPattern: 12)), EMBER_ERR_INVALID_HANDLE, ["'loader'"])
    }

    // MARK: - Generator and loader state

    func testGeneratorStateRoundTripsAndIsValidated() {
        ember_manual_seed(5)
        var state, a, b: OpaquePointer?
        C.ok(ember_generator_get_state(&state))
        defer { ember_tensor_free(state) }
        XCTAssertEqual(C.shape(state), [632])
        XCTAssertEqual(ember_tensor_dtype(state), EMBER_INT64)
        C.ok(ember_tensor_randn([7], 1, EMBER_FLOAT64, &a))
        C.ok(ember_generator_set_state(state))
        C.ok(ember_tensor_randn([7], 1, EMBER_FLOAT64, &b))
        XCTAssertEqual(C.values(a), C.values(b))
        let bad = C.tensor([Int64](repeating: 0, count: 632), [632])
        C.fails(ember_generator_set_state(bad), EMBER_ERR_INVALID_ARGUMENT, ["position left=0"])
        let wrong = C.tensor([1, 2] as [Float], [2])
        C.fails(ember_generator_set_state(wrong), EMBER_ERR_INVALID_ARGUMENT, ["1-D int64 tensor of 632 elements"])
        for t in [a, b, bad, wrong] { ember_tensor_free(t) }
    }

    func testLoaderStateRestoresThePositionAndOrder() {
        let x = C.tensor((0..<7).map(Float.init), [7, 1]), y = C.tensor((0..<7).map(Int64.init), [7])
        defer { ember_tensor_free(x); ember_tensor_free(y) }
        var loader, copy: OpaquePointer?
        C.ok(ember_dataloader_new(x, y, 3, true, &loader))
        C.ok(ember_dataloader_new(x, y, 3, true, &copy))
        defer { ember_dataloader_free(loader); ember_dataloader_free(copy) }
        func batch(_ l: OpaquePointer?) -> [Double]? {
            var bx, by: OpaquePointer?
            C.ok(ember_dataloader_next(l, &bx, &by))
            defer { ember_tensor_free(bx); ember_tensor_free(by) }
            return bx == nil ? nil : C.values(by)
        }
        _ = batch(loader)
        XCTAssertEqual(ember_dataloader_state_count(loader), 5)
        var names: [[CChar]] = [], tensors: [OpaquePointer?] = []
        for i in 0..<ember_dataloader_state_count(loader) {
            var buf = [CChar](repeating: 0, count: 32), t: OpaquePointer?
            C.ok(ember_dataloader_state_at(loader, i, &buf, 32, &t))
            names.append(buf)
            tensors.append(t)
        }
        XCTAssertEqual(names.map { String(cString: $0) }, ["epoch", "position", "permutation", "epoch_drop_last", "num_samples"])
        let pointers = names.map { strdup($0)! }
        defer { pointers.forEach { free($0) }; tensors.forEach { ember_tensor_free($0) } }
        let cNames = pointers.map { UnsafePointer($0) as UnsafePointer<CChar>? }
        C.ok(ember_dataloader_load_state(copy, cNames, tensors, 5))
        for _ in 0..<5 {
            // Loaders draw from the global generator at epoch starts: give both the same one.
            var state: OpaquePointer?
            C.ok(ember_generator_get_state(&state))
            let expected = batch(loader)
            C.ok(ember_generator_set_state(state))
            XCTAssertEqual(batch(copy), expected)
            ember_tensor_free(state)
        }
        let bad = C.tensor([9, 1, 2, 3, 4, 5, 6] as [Int64], [7])
        var swapped = tensors
        swapped[2] = bad
        C.fails(ember_dataloader_load_state(copy, cNames, swapped, 5), EMBER_ERR_INVALID_ARGUMENT, ["not a permutation of 0..<7"])
        C.fails(ember_dataloader_load_state(copy, cNames, tensors, 4), EMBER_ERR_INVALID_ARGUMENT, ["'num_samples' is missing"])
        ember_tensor_free(bad)
    }

    // MARK: - DLPack

    /// A producer's tensor: one malloc'd block holding the structure, shape,
    /// strides and data; its deleter counts calls and frees the block.
    func producer(_ values: [Double], _ shape: [Int64], strides: [Int64]? = nil, flags: UInt64 = 0, major: UInt32 = 1,
                  device: DLDeviceType = kDLCPU, code: UInt8 = 2, bits: UInt8 = 64) -> UnsafeMutablePointer<DLManagedTensorVersioned> {
        let header = (MemoryLayout<DLManagedTensorVersioned>.stride + 63) / 64 * 64
        let block = malloc(header + 64 * 2 + values.count * 8)!
        let shapePointer = (block + header).assumingMemoryBound(to: Int64.self)
        let stridePointer = shapePointer + 8
        let data = block + header + 128
        for (i, v) in shape.enumerated() { shapePointer[i] = v }
        for (i, v) in (strides ?? []).enumerated() { stridePointer[i] = v }
        for (i, v) in values.enumerated() { data.storeBytes(of: v, toByteOffset: 8 * i, as: Double.self) }
        let managed = block.bindMemory(to: DLManagedTensorVersioned.self, capacity: 1)
        managed.initialize(to: DLManagedTensorVersioned(
            version: DLPackVersion(major: major, minor: 0), manager_ctx: nil,
            deleter: { me in dlpackDeleterCalls += 1; free(me) }, flags: flags,
            dl_tensor: DLTensor(data: data, device: DLDevice(device_type: device, device_id: 0), ndim: Int32(shape.count),
                                dtype: DLDataType(code: code, bits: bits, lanes: 1), shape: shapePointer,
                                strides: strides == nil ? nil : stridePointer, byte_offset: 0)))
        return managed
    }

    func producerData(_ p: UnsafeMutablePointer<DLManagedTensorVersioned>, _ count: Int) -> [Double] {
        (0..<count).map { p.pointee.dl_tensor.data!.load(fromByteOffset: 8 * $0, as: Double.self) }
    }

    func testDLPackExportViewsTheTensorAndOutlivesItsHandles() throws {
        var base, view: OpaquePointer?
        C.ok(ember_tensor_arange(0, 6, 1, EMBER_FLOAT64, &base))
        var shaped: OpaquePointer?
        C.ok(ember_reshape(base, [2, 3], 2, &shaped))
        C.ok(ember_transpose(shaped, 0, 1, &view))
        var managed: UnsafeMutablePointer<DLManagedTensorVersioned>?
        C.ok(ember_to_dlpack_versioned(view, &managed))
        let m = try XCTUnwrap(managed)
        XCTAssertEqual([m.pointee.version.major, m.pointee.version.minor], [1, 1])
        XCTAssertEqual(m.pointee.flags, 0)
        let dl = m.pointee.dl_tensor
        XCTAssertEqual(dl.device.device_type, kDLCPU)
        XCTAssertEqual(dl.ndim, 2)
        XCTAssertEqual([dl.shape[0], dl.shape[1]], [3, 2])
        XCTAssertEqual([dl.strides[0], dl.strides[1]], [1, 3])
        XCTAssertEqual([dl.dtype.code, dl.dtype.bits], [UInt8(kDLFloat.rawValue), 64])
        XCTAssertEqual(dl.dtype.lanes, 1)
        XCTAssertEqual(dl.byte_offset, 0)
        // Element (0, 1) of the view is element (1, 0) of the base: offset 3.
        dl.data!.storeBytes(of: 42.0, toByteOffset: 3 * 8, as: Double.self)
        XCTAssertEqual(C.values(shaped), [0, 1, 2, 42, 4, 5], "a write through DLPack is seen by Ember")
        for t in [base, shaped, view] { ember_tensor_free(t) }
        XCTAssertEqual(dl.data!.load(fromByteOffset: 5 * 8, as: Double.self), 5, "the memory outlives every handle")
        m.pointee.deleter!(m)

        var legacy: UnsafeMutablePointer<DLManagedTensor>?
        let b = C.tensor([true, false, true].map { $0 ? Int64(1) : 0 }, [3])
        C.ok(ember_to_dlpack(b, &legacy))
        XCTAssertEqual(legacy!.pointee.dl_tensor.dtype.code, UInt8(kDLInt.rawValue))
        legacy!.pointee.deleter!(legacy)
        ember_tensor_free(b)
        let w = C.tensor([1] as [Float], [1])
        C.ok(ember_tensor_set_requires_grad(w, true))
        C.fails(ember_to_dlpack_versioned(w, &managed), EMBER_ERR_INVALID_ARGUMENT, ["requires grad"])
        XCTAssertNil(managed)
        ember_tensor_free(w)
    }

    func testDLPackImportSharesMemoryAndCallsTheDeleterOnce() throws {
        dlpackDeleterCalls = 0
        let p = producer([1, 2, 3, 4, 5, 6], [2, 3])
        var t: OpaquePointer?
        C.ok(ember_from_dlpack_versioned(p, &t))
        XCTAssertEqual(C.values(t), [1, 2, 3, 4, 5, 6])
        C.ok(ember_tensor_copy_from(t, [Double](repeating: 7, count: 6), 48))
        XCTAssertEqual(producerData(p, 6), [7, 7, 7, 7, 7, 7], "a write by Ember is seen by the producer")
        p.pointee.dl_tensor.data!.storeBytes(of: -1.0, as: Double.self)
        XCTAssertEqual(C.values(t).first, -1, "and the other way round")
        var view: OpaquePointer?
        C.ok(ember_transpose(t, 0, 1, &view))
        ember_tensor_free(t)
        XCTAssertEqual(dlpackDeleterCalls, 0, "a view still uses the memory")
        ember_tensor_free(view)
        XCTAssertEqual(dlpackDeleterCalls, 1)
        XCTAssertEqual(dlpackDeleterCalls, 1, "exactly once")

        // Strided (a transposed producer) is viewed; read-only is copied and released at once.
        let strided = producer([0, 1, 2, 3, 4, 5], [3, 2], strides: [1, 3])
        C.ok(ember_from_dlpack_versioned(strided, &t))
        XCTAssertEqual(C.values(t), [0, 3, 1, 4, 2, 5])
        ember_tensor_free(t)
        XCTAssertEqual(dlpackDeleterCalls, 2)
        let readOnly = producer([1, 2], [2], flags: UInt64(DLPACK_FLAG_BITMASK_READ_ONLY))
        C.ok(ember_from_dlpack_versioned(readOnly, &t))
        XCTAssertEqual(dlpackDeleterCalls, 3, "copied and released during the import")
        XCTAssertEqual(C.values(t), [1, 2])
        ember_tensor_free(t)
        XCTAssertEqual(dlpackDeleterCalls, 3)
    }

    func testDLPackRoundTripThroughEmber() throws {
        let original = C.tensor([1, 2, 3] as [Float], [3])
        var managed: UnsafeMutablePointer<DLManagedTensorVersioned>?
        var legacy: UnsafeMutablePointer<DLManagedTensor>?
        C.ok(ember_to_dlpack_versioned(original, &managed))
        C.ok(ember_to_dlpack(original, &legacy))
        var again, again2: OpaquePointer?
        C.ok(ember_from_dlpack_versioned(managed, &again))
        C.ok(ember_from_dlpack(legacy, &again2))
        C.ok(ember_tensor_copy_from(again, [9, 8, 7] as [Float], 12))
        XCTAssertEqual(C.values(original), [9, 8, 7])
        XCTAssertEqual(C.values(again2), [9, 8, 7])
        ember_tensor_free(original)
        XCTAssertEqual(C.values(again), [9, 8, 7], "the export keeps the memory")
        ember_tensor_free(again)
        ember_tensor_free(again2)
    }

    func testDLPackImportErrorsLeaveTheProducerWithTheCaller() {
        dlpackDeleterCalls = 0
        var t: OpaquePointer? = OpaquePointer(bitPattern: 1)
        let cases: [(UnsafeMutablePointer<DLManagedTensorVersioned>, ember_status, String)] = [
            (producer([1], [1], major: 2), EMBER_ERR_INVALID_ARGUMENT, "version 2.0"),
            (producer([1], [1], device: kDLCUDA), EMBER_ERR_INVALID_ARGUMENT, "kDLCUDA"),
            (producer([1], [1], code: 2, bits: 16), EMBER_ERR_DTYPE, "float16"),
            (producer([1], [1], code: 5, bits: 64), EMBER_ERR_DTYPE, "complex64"),
            (producer([1], [-2]), EMBER_ERR_INVALID_ARGUMENT, "negative size"),
        ]
        for (p, status, fragment) in cases {
            C.fails(ember_from_dlpack_versioned(p, &t), status, ["ember_from_dlpack_versioned", fragment])
            XCTAssertNil(t)
            p.pointee.deleter!(p)  // still the caller's
        }
        XCTAssertEqual(dlpackDeleterCalls, cases.count)
        let deep = producer([1], [1])
        deep.pointee.dl_tensor.ndim = 13
        C.fails(ember_from_dlpack_versioned(deep, &t), EMBER_ERR_INVALID_ARGUMENT, ["ndim 13"])
        deep.pointee.deleter!(deep)
        C.fails(ember_from_dlpack_versioned(nil, &t), EMBER_ERR_INVALID_ARGUMENT, ["'src' is NULL"])
        C.fails(ember_from_dlpack(nil, &t), EMBER_ERR_INVALID_ARGUMENT, ["'src' is NULL"])
    }

    /// The library these tests run against (for Python's ctypes).
    var libraryPath: String? {
        let directory = URL(fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? CommandLine.arguments[0])
            .deletingLastPathComponent()
        for candidate in [directory.appendingPathComponent("libember.so").path, directory.deletingLastPathComponent().appendingPathComponent("libember.so").path]
        where FileManager.default.fileExists(atPath: candidate) { return candidate }
        return nil
    }

    func testDLPackWithNumpyAndTorch() throws {
        let python = try PythonRunner.require(modules: ["numpy", "torch"])
        guard let library = libraryPath else { throw XCTSkip("libember.so is not next to the test bundle") }
        let out = try python.run(Self.dlpackScript, environment: ["EMBER_LIBRARY": library])
        XCTAssertEqual(out.split(separator: "\n").last, "ok", out)
    }

    /// numpy and torch consuming Ember tensors and Ember consuming theirs, through
    /// PyCapsules made with ctypes (what a Python binding does), checking shared
    /// memory both ways and that every deleter runs exactly once.
    static let dlpackScript = #"""
    import ctypes, gc, os, sys
    import numpy as np, torch
    from ctypes import POINTER, Structure, byref, c_char_p, c_int32, c_int64, c_size_t, c_uint8, c_uint16, c_uint32, c_uint64, c_void_p

    lib = ctypes.CDLL(os.environ["EMBER_LIBRARY"])
    class DLDevice(Structure): _fields_ = [("device_type", c_int32), ("device_id", c_int32)]
    class DLDataType(Structure): _fields_ = [("code", c_uint8), ("bits", c_uint8), ("lanes", c_uint16)]
    class DLTensor(Structure):
        _fields_ = [("data", c_void_p), ("device", DLDevice), ("ndim", c_int32), ("dtype", DLDataType),
                    ("shape", POINTER(c_int64)), ("strides", POINTER(c_int64)), ("byte_offset", c_uint64)]
    DELETER = ctypes.CFUNCTYPE(None, c_void_p)
    class Versioned(Structure):
        _fields_ = [("major", c_uint32), ("minor", c_uint32), ("manager_ctx", c_void_p), ("deleter", DELETER),
                    ("flags", c_uint64), ("dl_tensor", DLTensor)]
    class Legacy(Structure): _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", c_void_p), ("deleter", DELETER)]

    for name in ["ember_tensor_from_data", "ember_tensor_copy_to", "ember_tensor_copy_from", "ember_to_dlpack_versioned",
                 "ember_to_dlpack", "ember_from_dlpack_versioned", "ember_from_dlpack", "ember_state_dict_new"]:
        getattr(lib, name).restype = ctypes.c_int
    lib.ember_tensor_from_data.argtypes = [c_void_p, ctypes.c_int, POINTER(c_int64), c_int64, POINTER(c_void_p)]
    lib.ember_tensor_copy_to.argtypes = lib.ember_tensor_copy_from.argtypes = [c_void_p, c_void_p, c_size_t]
    for name in ["ember_to_dlpack_versioned", "ember_to_dlpack", "ember_from_dlpack_versioned", "ember_from_dlpack"]:
        getattr(lib, name).argtypes = [c_void_p, POINTER(c_void_p)]
    lib.ember_tensor_free.argtypes = [c_void_p]
    lib.ember_state_dict_free.argtypes = [c_void_p]
    lib.ember_last_error.restype = c_char_p
    api = ctypes.pythonapi
    api.PyCapsule_New.restype = ctypes.py_object
    api.PyCapsule_New.argtypes = [c_void_p, c_char_p, c_void_p]
    api.PyCapsule_GetPointer.restype = c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, c_char_p]
    api.PyCapsule_SetName.argtypes = [ctypes.py_object, c_char_p]
    api.PyCapsule_IsValid.argtypes = [c_void_p, c_char_p]
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, c_char_p]

    def check(status):
        if status != 0: raise RuntimeError(lib.ember_last_error().decode())

    def ember(values, shape, dtype):  # dtype: 0 float32, 1 float64, 2 int64, 3 bool
        a = np.ascontiguousarray(values)
        out = c_void_p()
        check(lib.ember_tensor_from_data(a.ctypes.data, dtype, (c_int64 * len(shape))(*shape), len(shape), byref(out)))
        return out

    def ember_values(h, like):
        out = np.empty_like(like)
        check(lib.ember_tensor_copy_to(h, out.ctypes.data, out.nbytes))
        return out

    calls = {"deleter": 0}
    @ctypes.CFUNCTYPE(None, c_void_p)
    def capsule_destructor(capsule):
        for name, cls in ((b"dltensor_versioned", Versioned), (b"dltensor", Legacy)):
            if api.PyCapsule_IsValid(capsule, name):
                p = api.PyCapsule_GetPointer(ctypes.cast(capsule, ctypes.py_object), name)
                m = cls.from_address(p)
                m.deleter(p)

    originals = []
    def counting(field):
        original = DELETER(ctypes.cast(field, c_void_p).value)  # the C function itself, not the struct field
        @DELETER
        def deleter(p):
            calls["deleter"] += 1
            original(p)
        originals.append(deleter)
        return deleter

    class EmberArray:
        """What a binding hands to np.from_dlpack / torch.from_dlpack."""
        def __init__(self, handle, legacy=False): self.h, self.legacy = handle, legacy
        def __dlpack_device__(self): return (1, 0)
        def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
            out = c_void_p()
            versioned = not self.legacy and max_version is not None and max_version[0] >= 1
            check((lib.ember_to_dlpack_versioned if versioned else lib.ember_to_dlpack)(self.h, byref(out)))
            cls = Versioned if versioned else Legacy
            m = cls.from_address(out.value)
            m.deleter = counting(m.deleter)
            return api.PyCapsule_New(out, b"dltensor_versioned" if versioned else b"dltensor", ctypes.cast(capsule_destructor, c_void_p))

    # Ember -> numpy and torch: shared memory, each export's deleter called once.
    h = ember(np.arange(6, dtype=np.float32).reshape(2, 3), [2, 3], 0)
    a = np.from_dlpack(EmberArray(h))
    t = torch.from_dlpack(EmberArray(h))
    tl = torch.utils.dlpack.from_dlpack(EmberArray(h, legacy=True))
    assert a.shape == (2, 3) and a.dtype == np.float32 and t.dtype == torch.float32
    a[0, 1] = 42
    assert ember_values(h, np.zeros((2, 3), np.float32))[0, 1] == 42 and t[0, 1] == 42 and tl[0, 1] == 42
    check(lib.ember_tensor_copy_from(h, np.full(6, 5, np.float32).ctypes.data, 24))
    assert (a == 5).all() and (t == 5).all()
    lib.ember_tensor_free(h)
    assert a.sum() == 30 and float(t.sum()) == 30, "the exports keep the memory"
    del a, t, tl
    gc.collect()
    assert calls["deleter"] == 3, calls

    # numpy and torch -> Ember: shared memory, the producer released exactly once.
    def import_capsule(capsule, versioned=True):
        name = b"dltensor_versioned" if versioned else b"dltensor"
        p = api.PyCapsule_GetPointer(capsule, name)
        out = c_void_p()
        check((lib.ember_from_dlpack_versioned if versioned else lib.ember_from_dlpack)(p, byref(out)))
        api.PyCapsule_SetName(capsule, b"used_" + name)
        return out

    x = np.arange(12, dtype=np.float64).reshape(3, 4)[:, ::2]  # a strided view
    before = sys.getrefcount(x)
    h = import_capsule(x.__dlpack__(max_version=(1, 0)))
    assert sys.getrefcount(x) == before + 1, "numpy keeps the array for Ember"
    assert (ember_values(h, np.zeros((3, 2))) == x).all()
    check(lib.ember_tensor_copy_from(h, np.full(6, -1.0).ctypes.data, 48))
    assert (x == -1).all(), "Ember wrote into numpy's memory"
    lib.ember_tensor_free(h)
    assert sys.getrefcount(x) == before, "numpy's deleter ran"

    y = torch.arange(4, dtype=torch.int64)
    h = import_capsule(y.__dlpack__(max_version=(1, 0)))
    y[2] = 99
    assert ember_values(h, np.zeros(4, np.int64))[2] == 99
    lib.ember_tensor_free(h)
    b = torch.tensor([True, False, True])
    h = import_capsule(torch.utils.dlpack.to_dlpack(b), versioned=False)
    assert ember_values(h, np.zeros(3, np.bool_)).tolist() == [True, False, True]
    lib.ember_tensor_free(h)

    r = np.arange(4.0)
    r.flags.writeable = False
    before = sys.getrefcount(r)
    h = import_capsule(r.__dlpack__(max_version=(1, 0)))
    assert sys.getrefcount(r) == before, "read-only: copied, released at once"
    check(lib.ember_tensor_copy_from(h, np.zeros(4).ctypes.data, 32))
    assert r.tolist() == [0.0, 1.0, 2.0, 3.0]
    lib.ember_tensor_free(h)

    n = np.arange(5.0)[::-1]
    h = import_capsule(n.__dlpack__(max_version=(1, 0)))
    assert ember_values(h, np.zeros(5)).tolist() == [4.0, 3.0, 2.0, 1.0, 0.0]
    lib.ember_tensor_free(h)
    gc.collect()
    print("ok")
    """#
}

/// Calls of the test producers' deleter.
nonisolated(unsafe) var dlpackDeleterCalls = 0
