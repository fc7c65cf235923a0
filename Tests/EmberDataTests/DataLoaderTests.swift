import EmberAutograd
import EmberData
import EmberTensor
import EmberTestSupport
import XCTest

final class DataLoaderTests: XCTestCase {
    func epoch(_ loader: DataLoader) throws -> [[Double]] {
        var batches: [[Double]] = []
        while let (x, y) = try loader.next() {
            XCTAssertEqual(x.toDoubles(), y.toDoubles())
            batches.append(x.toDoubles())
        }
        return batches
    }

    func testShuffledEpochsMatchTorchDataLoader() throws {
        let rng = try Fixtures.load("rng")
        GlobalGenerator.manualSeed(0)
        let data = try Tensor.arange(0, 10, dtype: .int64)
        let loader = try DataLoader(inputs: data, targets: data, batchSize: 4, shuffle: true)
        let expected = (rng["dataloader_shuffle_epochs"] as! [Any]).map { ($0 as! [Any]).map { ($0 as! [Any]).map { $0 as! Double } } }
        for e in 0..<3 { XCTAssertEqual(try epoch(loader), expected[e], "epoch \(e)") }
        // The generator is left where torch leaves it.
        XCTAssertEqual(try NDArray.rand([2], dtype: .float32).toDoubles(), try FixtureTensor(rng["after_dataloader_rand"]).values)
    }

    func testDropLastMatchesTorch() throws {
        let rng = try Fixtures.load("rng")
        GlobalGenerator.manualSeed(1)
        let data = try Tensor.arange(0, 10, dtype: .int64)
        let loader = try DataLoader(inputs: data, targets: data, batchSize: 3, shuffle: true)
        loader.dropLast = true
        XCTAssertEqual(loader.batchCount, 3)
        let expected = (rng["dataloader_drop_last_seed1"] as! [Any]).map { ($0 as! [Any]).map { ($0 as! [Any]).map { $0 as! Double } } }
        for e in 0..<2 { XCTAssertEqual(try epoch(loader), expected[e]) }
    }

    func testSequentialOrderAndRowsOfMatrices() throws {
        let x = try Tensor.arange(0, 10, dtype: .float32).reshape([5, 2])
        let y = try Tensor.arange(0, 5, dtype: .int64)
        let loader = try DataLoader(inputs: x, targets: y, batchSize: 2, shuffle: false)
        XCTAssertEqual(loader.batchCount, 3)
        var shapes: [Dims] = []
        var firstRows: [Double] = []
        while let (bx, by) = try loader.next() {
            shapes.append(bx.shape)
            firstRows.append(bx.toDoubles()[0])
            XCTAssertFalse(bx.requiresGrad)
            XCTAssertEqual(by.dtype, .int64)
        }
        XCTAssertEqual(shapes, [[2, 2], [2, 2], [1, 2]])
        XCTAssertEqual(firstRows, [0, 4, 8])
        XCTAssertNotNil(try loader.next())            // the call after the end starts a new epoch
    }

    func testBadConstruction() throws {
        let x = try Tensor.zeros([4, 2]), y = try Tensor.zeros([3], dtype: .int64)
        assertThrows(.shape, ["4 rows", "3"]) { try DataLoader(inputs: x, targets: y, batchSize: 2, shuffle: false) }
        assertThrows(.invalidArgument, ["batch_size"]) { try DataLoader(inputs: x, targets: x, batchSize: 0, shuffle: false) }
        assertThrows(.shape, ["first (sample) dimension"]) { try DataLoader(inputs: try Tensor.scalar(1), targets: x, batchSize: 1, shuffle: false) }
    }
}
