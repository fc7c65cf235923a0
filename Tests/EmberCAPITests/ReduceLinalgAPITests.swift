import CEmber
import EmberTestSupport
import XCTest

/// The reduction and linear-algebra exports called as a C program calls them:
/// values (hand-computed; the expected numbers are in the comments), result
/// dtypes and shapes, gradients through a reduction, and failures -- a
/// status, a message naming the function and the values, NULL out-parameters.
final class ReduceLinalgAPITests: XCTestCase {
    var owned: [OpaquePointer?] = []

    override func tearDown() {
        for t in owned { ember_tensor_free(t) }
        owned = []
    }

    /// A result handle, freed after the test.
    @discardableResult
    func keep(_ t: OpaquePointer?) -> OpaquePointer? {
        owned.append(t)
        return t
    }

    func f64(_ values: [Double], _ shape: [Int64]) -> OpaquePointer { keep(C.tensor(values, shape))! }

    func boolValues(_ t: OpaquePointer?) -> [Bool] {
        var v = [Bool](repeating: false, count: Int(ember_tensor_numel(t)))
        C.ok(ember_tensor_copy_to(t, &v, v.count))
        return v
    }

    typealias Unary = (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> ember_status
    typealias DimList = (OpaquePointer?, UnsafePointer<Int64>?, Int64, Bool, UnsafeMutablePointer<OpaquePointer?>?) -> ember_status

    func run(_ f: Unary, _ x: OpaquePointer?, line: UInt = #line) -> OpaquePointer? {
        var out: OpaquePointer?
        C.ok(f(x, &out), "line \(line)")
        return keep(out)
    }

    func run(_ f: DimList, _ x: OpaquePointer?, _ dims: [Int64], keepdim: Bool = false, line: UInt = #line) -> OpaquePointer? {
        var out: OpaquePointer?
        C.ok(f(x, dims, Int64(dims.count), keepdim, &out), "line \(line)")
        return keep(out)
    }

    // x = [[1, 4, 2], [3, 0, 4]]
    lazy var x = f64([1, 4, 2, 3, 0, 4], [2, 3])

    func testWholeTensorReductions() {
        XCTAssertEqual(C.values(run(ember_prod, x)), [0])                       // 1*4*2*3*0*4
        XCTAssertEqual(C.values(run(ember_max, x)), [4])
        XCTAssertEqual(C.values(run(ember_min, x)), [0])
        XCTAssertEqual(C.values(run(ember_amax, x)), [4])
        XCTAssertEqual(C.values(run(ember_amin, x)), [0])
        XCTAssertEqual(C.values(run(ember_argmax, x)), [1])                     // the first 4
        XCTAssertEqual(C.values(run(ember_argmin, x)), [4])
        var out: OpaquePointer?
        C.ok(ember_var(x, 1, &out))                                             // mean 7/3, squared deviations 40/3, / 5
        assertClose(C.values(keep(out)), [8.0 / 3], rtol: 1e-14)
        C.ok(ember_std(x, 0, &out))                                             // sqrt(40/3 / 6)
        assertClose(C.values(keep(out)), [(20.0 / 9).squareRoot()], rtol: 1e-14)
        let exps: [Double] = [1, 4, 2, 3, 0, 4].map { exp($0) }
        assertClose(C.values(run(ember_logsumexp, x)), [log(exps.reduce(0, +))], rtol: 1e-14)
        C.ok(ember_norm(x, 1, &out))
        XCTAssertEqual(C.values(keep(out)), [14])
        C.ok(ember_norm(x, .infinity, &out))
        XCTAssertEqual(C.values(keep(out)), [4])
        C.ok(ember_norm(x, 2, &out))
        assertClose(C.values(keep(out)), [Double(46).squareRoot()], rtol: 1e-14)
        let all = run(ember_all, x), any = run(ember_any, x)
        XCTAssertEqual(ember_tensor_dtype(all), EMBER_BOOL)
        XCTAssertEqual(boolValues(all), [false])
        XCTAssertEqual(boolValues(any), [true])
        XCTAssertEqual(ember_tensor_ndim(all), 0)
    }

    func testReductionsOverDims() {
        XCTAssertEqual(C.values(run(ember_amax_dim, x, [1])), [4, 4])
        XCTAssertEqual(C.shape(run(ember_amin_dim, x, [0], keepdim: true)), [1, 3])
        XCTAssertEqual(C.values(run(ember_amin_dim, x, [-2])), [1, 0, 2])
        XCTAssertEqual(C.values(run(ember_logsumexp_dim, x, [])), C.values(run(ember_logsumexp, x)))   // empty list: every dim
        let columns: [Double] = [log(exp(1.0) + exp(3.0)), log(exp(4.0) + 1), log(exp(2.0) + exp(4.0))]
        assertClose(C.values(run(ember_logsumexp_dim, x, [0])), columns, rtol: 1e-14)
        XCTAssertEqual(boolValues(run(ember_all_dim, x, [0])), [true, false, true])
        XCTAssertEqual(boolValues(run(ember_any_dim, x, [1], keepdim: true)), [true, true])
        XCTAssertEqual(C.shape(run(ember_all_dim, x, [])), [2, 3])              // torch.all(x, dim=()) reduces nothing
        var out: OpaquePointer?
        C.ok(ember_prod_dim(x, -1, true, &out))
        XCTAssertEqual(C.values(keep(out)), [8, 0])
        XCTAssertEqual(C.shape(out), [2, 1])
        C.ok(ember_var_dim(x, [1], 1, 0, false, &out))                         // rows: var [14/9, 26/9]
        assertClose(C.values(keep(out)), [14.0 / 9, 26.0 / 9], rtol: 1e-14)
        C.ok(ember_std_dim(x, [0, 1], 2, 1, true, &out))
        assertClose(C.values(keep(out)), [(8.0 / 3).squareRoot()], rtol: 1e-14)
        XCTAssertEqual(C.shape(out), [1, 1])
        C.ok(ember_norm_dim(x, 1, [0], 1, false, &out))
        XCTAssertEqual(C.values(keep(out)), [4, 4, 6])
        C.ok(ember_argmin_dim(x, 1, false, &out))
        XCTAssertEqual(C.values(keep(out)), [0, 1])
        XCTAssertEqual(ember_tensor_dtype(out), EMBER_INT64)
        C.ok(ember_argmax_dim(x, 0, true, &out))
        XCTAssertEqual(C.values(keep(out)), [1, 0, 1])
    }

    func testMaxAndMinAlongADimGiveValuesAndIndices() {
        var values: OpaquePointer?, indices: OpaquePointer?
        C.ok(ember_max_dim(x, 1, false, &values, &indices))
        keep(values); keep(indices)
        XCTAssertEqual(C.values(values), [4, 4])
        XCTAssertEqual(C.values(indices), [1, 2])
        XCTAssertEqual(ember_tensor_dtype(indices), EMBER_INT64)
        C.ok(ember_min_dim(x, 0, true, &values, &indices))
        keep(values); keep(indices)
        XCTAssertEqual(C.values(values), [1, 0, 2])
        XCTAssertEqual(C.values(indices), [0, 1, 0])
        XCTAssertEqual(C.shape(indices), [1, 3])
    }

    func testScans() {
        var out: OpaquePointer?
        C.ok(ember_cumsum(x, 1, &out))
        XCTAssertEqual(C.values(keep(out)), [1, 5, 7, 3, 3, 7])
        C.ok(ember_cumprod(x, 0, &out))
        XCTAssertEqual(C.values(keep(out)), [1, 4, 2, 3, 0, 8])
        let ints = keep(C.tensor([Int64(2), 3, 4], [3]))
        C.ok(ember_cumprod(ints, -1, &out))
        XCTAssertEqual(C.values(keep(out)), [2, 6, 24])
        XCTAssertEqual(ember_tensor_dtype(out), EMBER_INT64)
    }

    func testGradientFlowsThroughAReduction() {
        // d/dx of max(x, dim=1).values.sum(): 1 at each row's first maximum.
        let w = f64([1, 4, 2, 3, 0, 4], [2, 3])
        C.ok(ember_tensor_set_requires_grad(w, true))
        var values, indices, total, grad: OpaquePointer?
        C.ok(ember_max_dim(w, 1, false, &values, &indices))
        C.ok(ember_sum(values, &total))
        C.ok(ember_tensor_backward(total, nil))
        C.ok(ember_tensor_grad(w, &grad))
        XCTAssertEqual(C.values(grad), [0, 1, 0, 0, 0, 1])
        for t in [values, indices, total, grad] { ember_tensor_free(t) }
    }

    func testLinearAlgebra() {
        let a = f64([1, 2, 3, 4, 5, 6], [2, 3]), b = f64([1, 0, 0, 1, 1, 1], [3, 2])
        let v = f64([1, -1, 2], [3]), u = f64([2, 3], [2])
        var out: OpaquePointer?
        C.ok(ember_mm(a, b, &out))
        XCTAssertEqual(C.values(keep(out)), [4, 5, 10, 11])
        C.ok(ember_mv(a, v, &out))
        XCTAssertEqual(C.values(keep(out)), [5, 11])
        C.ok(ember_dot(v, v, &out))
        XCTAssertEqual(C.values(keep(out)), [6])
        XCTAssertEqual(ember_tensor_ndim(out), 0)
        C.ok(ember_outer(u, v, &out))
        XCTAssertEqual(C.values(keep(out)), [2, -2, 4, 3, -3, 6])
        let batch = f64([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])
        C.ok(ember_bmm(batch, batch, &out))
        XCTAssertEqual(C.values(keep(out)), [7, 10, 15, 22, 67, 78, 91, 106])
        C.ok(ember_tril(a, 0, &out))
        XCTAssertEqual(C.values(keep(out)), [1, 0, 0, 4, 5, 0])
        C.ok(ember_triu(a, 1, &out))
        XCTAssertEqual(C.values(keep(out)), [0, 2, 3, 0, 0, 6])
        C.ok(ember_triu(a, Int64.max, &out))                                    // far offsets are just the edge
        XCTAssertEqual(C.values(keep(out)), [0, 0, 0, 0, 0, 0])
        C.ok(ember_tril(a, Int64.min, &out))
        XCTAssertEqual(C.values(keep(out)), [0, 0, 0, 0, 0, 0])
    }

    func testEinsum() {
        let a = f64([1, 2, 3, 4, 5, 6], [2, 3]), b = f64([1, 0, 0, 1, 1, 1], [3, 2])
        var out: OpaquePointer?
        let pair: [OpaquePointer?] = [a, b]
        C.ok(ember_einsum("ij,jk->ik", pair, 2, &out))
        XCTAssertEqual(C.values(keep(out)), [4, 5, 10, 11])
        C.ok(ember_einsum("ij,jk", pair, 2, &out))
        XCTAssertEqual(C.values(keep(out)), [4, 5, 10, 11])
        let one: [OpaquePointer?] = [a]
        C.ok(ember_einsum("ij->ji", one, 1, &out))
        XCTAssertEqual(C.values(keep(out)), [1, 4, 2, 5, 3, 6])
        C.ok(ember_einsum("ij->", one, 1, &out))
        XCTAssertEqual(C.values(keep(out)), [21])
        let square = f64([1, 2, 3, 4], [2, 2])
        let sq: [OpaquePointer?] = [square]
        C.ok(ember_einsum("ii->i", sq, 1, &out))
        XCTAssertEqual(C.values(keep(out)), [1, 4])
        C.ok(ember_einsum("ii", sq, 1, &out))
        XCTAssertEqual(C.values(keep(out)), [5])

        out = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_einsum("ij,jk->ik", one, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_einsum", "fewer", "ij,jk->ik"])
        XCTAssertNil(out)
        C.fails(ember_einsum("ij,jk->ik", [a, a], 2, &out), EMBER_ERR_INVALID_ARGUMENT, ["subscript j has size 2", "size 3"])
        C.fails(ember_einsum("i?", one, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["invalid subscript '?'"])
        C.fails(ember_einsum(nil, one, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["argument 'equation' is NULL"])
        C.fails(ember_einsum("ij", nil, 1, &out), EMBER_ERR_INVALID_ARGUMENT, ["'operands' is NULL"])
        C.fails(ember_einsum("ij", one, -1, &out), EMBER_ERR_INVALID_ARGUMENT, ["count must be >= 0"])
        C.fails(ember_einsum("ij", [nil], 1, &out), EMBER_ERR_INVALID_HANDLE, ["element 0 of 'operands'"])
        XCTAssertNil(out)
    }

    func testFailuresReportAndClearOutputs() {
        let empty = f64([], [2, 0])
        var out: OpaquePointer? = OpaquePointer(bitPattern: 0xdead)
        C.fails(ember_max(empty, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_max", "empty tensor"])
        XCTAssertNil(out)
        var values: OpaquePointer? = OpaquePointer(bitPattern: 0xdead), indices: OpaquePointer? = OpaquePointer(bitPattern: 0xbeef)
        C.fails(ember_max_dim(empty, 1, false, &values, &indices), EMBER_ERR_INVALID_ARGUMENT, ["ember_max_dim", "dim 1", "[2, 0]"])
        XCTAssertNil(values)
        XCTAssertNil(indices)
        C.fails(ember_min_dim(x, 0, false, &values, nil), EMBER_ERR_INVALID_ARGUMENT, ["'indices' is NULL"])
        XCTAssertNil(values)
        C.fails(ember_prod_dim(x, 2, false, &out), EMBER_ERR_INVALID_ARGUMENT, ["ember_prod_dim", "dim 2", "out of range"])
        C.fails(ember_amax_dim(x, nil, 1, false, &out), EMBER_ERR_INVALID_ARGUMENT, ["argument 'dims' is NULL"])
        C.fails(ember_var_dim(x, [0, 0], 2, 1, false, &out), EMBER_ERR_INVALID_ARGUMENT, ["appears more than once"])
        C.fails(ember_sum_dim(x, [0], -1, false, &out), EMBER_ERR_INVALID_ARGUMENT, ["ndim must be >= 0"])
        let ints = keep(C.tensor([Int64(1), 2], [2]))
        C.fails(ember_std(ints, 1, &out), EMBER_ERR_DTYPE, ["ember_std", "int64"])
        C.fails(ember_norm(ints, 2, &out), EMBER_ERR_DTYPE, ["ember_norm", "floating"])
        C.fails(ember_norm(x, .nan, &out), EMBER_ERR_INVALID_ARGUMENT, ["p must be a number"])
        C.fails(ember_cumsum(nil, 0, &out), EMBER_ERR_INVALID_HANDLE, ["ember_cumsum", "argument 'x' is NULL"])
        C.fails(ember_all(x, nil), EMBER_ERR_INVALID_ARGUMENT, ["argument 'out' is NULL"])
        XCTAssertNil(out)

        let v = f64([1, 2, 3], [3])
        C.fails(ember_mm(x, x, &out), EMBER_ERR_SHAPE, ["ember_mm", "[2, 3]", "cannot be multiplied"])
        C.fails(ember_mm(v, x, &out), EMBER_ERR_SHAPE, ["ember_mm", "2-D", "[3]"])
        C.fails(ember_bmm(x, x, &out), EMBER_ERR_SHAPE, ["ember_bmm: bmm: expected 3-D tensors, got [2, 3] and [2, 3]"])
        C.fails(ember_mv(x, x, &out), EMBER_ERR_SHAPE, ["ember_mv", "1-D vector"])
        C.fails(ember_dot(v, f64([1, 2], [2]), &out), EMBER_ERR_SHAPE, ["ember_dot", "[3]", "[2]"])
        C.fails(ember_dot(v, keep(C.tensor([Float(1), 2, 3], [3])), &out), EMBER_ERR_DTYPE, ["float64", "float32"])
        C.fails(ember_outer(x, v, &out), EMBER_ERR_SHAPE, ["ember_outer", "1-D"])
        C.fails(ember_tril(v, 0, &out), EMBER_ERR_SHAPE, ["ember_tril", "at least 2 dimensions", "[3]"])
        C.fails(ember_triu(nil, 0, &out), EMBER_ERR_INVALID_HANDLE, ["ember_triu"])
        XCTAssertNil(out)
    }
}
