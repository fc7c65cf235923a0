import CEmber
import EmberTestSupport
import Glibc
import XCTest

/// The seed network and the seed loop through the C API, against PyTorch.
final class SeedThroughCAPITests: XCTestCase {
    func testSeedNetworkLossAndGradientsMatchTorch() throws {
        let c = try Fixtures.load("seed_network")["f32"] as! [String: Any]
        let model = C.seedNetwork()
        defer { ember_module_free(model) }
        XCTAssertEqual(ember_module_parameter_count(model), 4)
        // Weights set by name, as a C caller moving torch weights would.
        for (name, value) in c["weights"] as! [String: Any] {
            var p: OpaquePointer?
            C.ok(ember_module_parameter(model, name, &p), name)
            let floats = try FixtureTensor(value).floats
            C.ok(ember_tensor_copy_from(p, floats, floats.count * 4), name)
            ember_tensor_free(p)
        }
        let xf = try FixtureTensor(c["x"]), yf = try FixtureTensor(c["y"])
        let x = C.tensor(xf.floats, xf.shape.map(Int64.init)), y = C.tensor(yf.int64s, yf.shape.map(Int64.init))
        var out, loss: OpaquePointer?
        C.ok(ember_module_forward(model, x, &out))
        C.ok(ember_cross_entropy(out, y, &loss))
        C.ok(ember_tensor_backward(loss, nil))
        var value = 0.0
        C.ok(ember_tensor_item(loss, &value))
        assertClose([value], [c["loss"] as! Double], rtol: 1e-6, atol: 1e-6, "loss")
        for (name, expected) in c["grads"] as! [String: Any] {
            var p, g: OpaquePointer?
            C.ok(ember_module_parameter(model, name, &p))
            C.ok(ember_tensor_grad(p, &g))
            XCTAssertNotNil(g, name)
            assertClose(C.values(g), try FixtureTensor(expected).values, rtol: 1e-6, atol: 1e-6, "grad \(name)")
            ember_tensor_free(g)
            ember_tensor_free(p)
        }
        for t in [x, y, out, loss] { ember_tensor_free(t) }
    }

    /// examples/seed_loop.c, driven from Swift: the per-epoch losses are torch's.
    func testSeedLoopMatchesTorchEpochByEpoch() throws {
        let fixture = try Fixtures.load("seed_loop")
        let n = 512, features = 10
        var x = [Float](repeating: 0, count: n * features), y = [Int64](repeating: 0, count: n)
        srand(1)
        for i in 0..<n {
            var margin: Float = 0
            for j in 0..<features {
                x[i * features + j] = Float(rand()) / Float(RAND_MAX) * 2 - 1
                margin += j < features / 2 ? x[i * features + j] : -x[i * features + j]
            }
            y[i] = margin > 0 ? 1 : 0
        }
        XCTAssertEqual(x[0..<10].map { Double($0) }, (fixture["x_first_row"] as! [Any]).map { $0 as! Double })

        ember_manual_seed(0)
        let model = C.seedNetwork()
        var opt: OpaquePointer?
        C.ok(ember_sgd_new(model, 0.01, &opt))
        C.ok(ember_optimizer_set(opt, "momentum", 0.9))
        let inputs = C.tensor(x, [Int64(n), Int64(features)]), targets = C.tensor(y, [Int64(n)])
        var loader: OpaquePointer?
        C.ok(ember_dataloader_new(inputs, targets, 32, true, &loader))
        var epochLosses: [Double] = []
        for _ in 0..<20 {
            var total = 0.0, batches = 0
            while true {
                var data, target: OpaquePointer?
                C.ok(ember_dataloader_next(loader, &data, &target))
                guard data != nil else { XCTAssertNil(target); break }
                var output, loss: OpaquePointer?
                C.ok(ember_module_forward(model, data, &output))
                C.ok(ember_cross_entropy(output, target, &loss))
                C.ok(ember_tensor_backward(loss, nil))
                C.ok(ember_optimizer_step(opt))
                C.ok(ember_optimizer_zero_grad(opt))
                var value = 0.0
                C.ok(ember_tensor_item(loss, &value))
                total += value
                batches += 1
                for t in [output, loss, data, target] { ember_tensor_free(t) }
            }
            epochLosses.append(total / Double(batches))
        }
        assertClose(epochLosses, (fixture["epoch_losses"] as! [Any]).map { $0 as! Double }, rtol: 1e-5, atol: 1e-6, "epoch losses")
        for (name, expected) in fixture["params"] as! [String: Any] {
            var p: OpaquePointer?
            C.ok(ember_module_parameter(model, name, &p))
            assertClose(C.values(p), try FixtureTensor(expected).values, rtol: 1e-4, atol: 1e-5, "final \(name)")
            ember_tensor_free(p)
        }
        ember_dataloader_free(loader)
        ember_optimizer_free(opt)
        ember_module_free(model)
        ember_tensor_free(inputs)
        ember_tensor_free(targets)
    }
}
