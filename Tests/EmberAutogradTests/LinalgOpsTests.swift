import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// mm, bmm, mv, dot, outer, tril/triu and einsum against PyTorch (fixture
/// values, float64 and float32), finite-difference gradchecks (first and
/// second order for the products) and bad input.
final class LinalgOpsTests: XCTestCase {
    override func setUp() { GlobalGenerator.manualSeed(29) }

    static func einsum(_ equation: String) -> FixtureOp { { try Tensor.einsum(equation, $0) } }

    /// Cases with floating inputs (also run in float32 as NAME_f32).
    static let ops: [String: FixtureOp] = [
        "mm": { try $0[0].mm($0[1]) },
        "mm_transposed": { try $0[0].transpose(0, 1).mm($0[1].transpose(0, 1)) },
        "mm_empty_inner": { try $0[0].mm($0[1]) },
        "bmm": { try $0[0].bmm($0[1]) },
        "bmm_transposed": { try $0[0].bmm($0[1].transpose(1, 2)) },
        "mv": { try $0[0].mv($0[1]) },
        "mv_transposed": { try $0[0].transpose(0, 1).mv($0[1]) },
        "dot": { try $0[0].dot($0[1]) },
        "dot_empty": { try $0[0].dot($0[1]) },
        "outer": { try $0[0].outer($0[1]) },
        "outer_mixed": { try $0[0].outer($0[1].to(.float32)) },
        "tril": { try $0[0].tril() },
        "tril_k1": { try $0[0].tril(diagonal: 1) },
        "tril_k_neg1_batched": { try $0[0].tril(diagonal: -1) },
        "triu": { try $0[0].triu() },
        "triu_k2_transposed": { try $0[0].transpose(0, 1).triu(diagonal: 2) },
        "triu_k_neg2_batched": { try $0[0].triu(diagonal: -2) },
        "triu_k_large": { try $0[0].triu(diagonal: 10) },
        "tril_k_large_neg": { try $0[0].tril(diagonal: -10) },
        "einsum_mm": einsum("ij,jk->ik"),
        "einsum_bmm": einsum("bij,bjk->bik"),
        "einsum_dot": einsum("i,i->"),
        "einsum_outer": einsum("i,j->ij"),
        "einsum_transpose": einsum("ij->ji"),
        "einsum_diagonal": einsum("ii->i"),
        "einsum_trace": einsum("ii"),
        "einsum_sum": einsum("ij->"),
        "einsum_attention": einsum("bhqd,bhkd->bhqk"),
        "einsum_implicit": einsum("ij,jk"),
        "einsum_implicit_upper": einsum("ba,Ab"),
        "einsum_ellipsis": einsum("...ij,...jk"),
        "einsum_ellipsis_sum": einsum("i...,i...->..."),
        "einsum_ellipsis_dropped": einsum("...ij->ij"),
        "einsum_repeated_3d": einsum("iij->ji"),
        "einsum_broadcast_one": einsum("ij,ij->ij"),
        "einsum_contract_one": einsum("ij,jk->ik"),
        "einsum_three": einsum("bn,anm,bm->ba"),
        "einsum_four_way": einsum("ij,kl->ijkl"),
        "einsum_batch_diag": einsum("...ii->...i"),
        "einsum_spaces": einsum(" i j -> j i "),
        "einsum_empty": einsum("ik,jk->"),
        "einsum_transposed_input": { try Tensor.einsum("ij,jk->ki", [$0[0].transpose(0, 1), $0[1]]) },
        "einsum_scalars": einsum(",->"),
    ]

    /// Cases with only int64 or bool inputs (no float32 twin).
    static let integerOps: [String: FixtureOp] = [
        "mm_int": { try $0[0].mm($0[1]) },
        "dot_int": { try $0[0].dot($0[1]) },
        "tril_int": { try $0[0].tril() },
        "einsum_int": einsum("ij,j->i"),
        "triu_bool": { try $0[0].triu(diagonal: 1) },
        "einsum_bool_elementwise": einsum("i,i->i"),
        "einsum_bool_transpose": einsum("ij->ji"),
    ]

    func testFloat64MatchesTorch() throws {
        for (name, op) in Self.ops { try checkReduceLinalgCase(name, rtol: 1e-10, atol: 1e-12, op) }
    }

    func testFloat32MatchesTorch() throws {
        for (name, op) in Self.ops { try checkReduceLinalgCase(name + "_f32", rtol: 1e-5, atol: 1e-5, op) }
    }

    func testIntegerAndBoolInputsMatchTorch() throws {
        for (name, op) in Self.integerOps { try checkReduceLinalgCase(name, rtol: 0, atol: 0, op) }
    }

    // MARK: - Finite differences

    func leaf(_ shape: Dims) throws -> Tensor { try Tensor.randn(shape, dtype: .float64, requiresGrad: true) }

    func testProductGradchecksIncludingSecondOrder() throws {
        let a = try leaf([3, 4]), b = try leaf([4, 2]), v = try leaf([4]), w = try leaf([4])
        try gradgradcheck([a, b], "mm") { try $0[0].mm($0[1]) }
        try gradgradcheck([a, v], "mv") { try $0[0].mv($0[1]) }
        try gradgradcheck([v, w], "dot") { try $0[0].dot($0[1]) }
        try gradgradcheck([v, w], "outer") { try $0[0].outer($0[1]) }
        let p = try leaf([2, 3, 4]), q = try leaf([2, 4, 5])
        try gradgradcheck([p, q], "bmm") { try $0[0].bmm($0[1]) }
        try gradgradcheck([a, b], "mm of transposed views") { try $0[1].transpose(0, 1).mm($0[0].transpose(0, 1)) }
    }

    func testTriangleGradchecks() throws {
        let x = try leaf([2, 3, 4])
        try gradcheck([x], "tril") { try $0[0].tril(diagonal: 1) }
        try gradcheck([x], "triu transposed") { try $0[0].transpose(1, 2).triu(diagonal: -1) }
        try gradgradcheck([x], "triu of a product") { try $0[0].mul($0[0]).triu() }
    }

    func testEinsumGradchecksIncludingSecondOrder() throws {
        let a = try leaf([3, 4]), b = try leaf([4, 2]), sq = try leaf([3, 3])
        try gradgradcheck([a, b], "ij,jk->ik") { try Tensor.einsum("ij,jk->ik", $0) }
        try gradgradcheck([a], "ij,ij->") { try Tensor.einsum("ij,ij->", [$0[0], $0[0]]) }
        try gradcheck([sq], "ii->i") { try Tensor.einsum("ii->i", $0) }
        try gradcheck([sq], "ii") { try Tensor.einsum("ii", $0) }
        try gradgradcheck([sq], "ij,jk->ik of one tensor") { try Tensor.einsum("ij,jk->ik", [$0[0], $0[0]]) }
        try gradgradcheck([sq], "ii,ij->j") { try Tensor.einsum("ii,ij->j", [$0[0], $0[0]]) }
        let q = try leaf([2, 2, 3, 4]), k = try leaf([2, 2, 5, 4])
        try gradgradcheck([q, k], "bhqd,bhkd->bhqk") { try Tensor.einsum("bhqd,bhkd->bhqk", $0) }
        let x = try leaf([2, 3]), m = try leaf([4, 3, 5]), y = try leaf([2, 5])
        try gradgradcheck([x, m, y], "bn,anm,bm->ba") { try Tensor.einsum("bn,anm,bm->ba", $0) }
        let e = try leaf([2, 3, 4]), f = try leaf([4, 1])
        try gradgradcheck([e, f], "...ij,...jk broadcast") { try Tensor.einsum("...ij,...jk", $0) }
        let g = try leaf([2, 1]), h = try leaf([3, 4])
        try gradcheck([g, h], "ij,jk->ik with a size-1 contraction") { try Tensor.einsum("ij,jk->ik", $0) }
    }

    func testEinsumMatchesComposedOps() throws {
        // A few identities checked without fixtures: einsum agrees with the named ops.
        let a = try Tensor.randn([3, 4], dtype: .float64), b = try Tensor.randn([4, 5], dtype: .float64)
        assertClose(try Tensor.einsum("ij,jk->ik", [a, b]).toDoubles(), try a.mm(b).toDoubles(), rtol: 1e-12)
        assertClose(try Tensor.einsum("ij,jk->ki", [a, b]).toDoubles(), try a.mm(b).transpose(0, 1).toDoubles(), rtol: 1e-12)
        assertClose(try Tensor.einsum("ij->j", [a]).toDoubles(), try a.sum(dims: [0]).toDoubles(), rtol: 1e-12)
        assertClose(try Tensor.einsum("ij,kj->ik", [a, a]).toDoubles(), try a.mm(a.transpose(0, 1)).toDoubles(), rtol: 1e-12)
        XCTAssertEqual(try Tensor.einsum("ij->ij", [a]).toDoubles(), a.toDoubles())
    }

    // MARK: - Bad input

    func testProductsRejectBadShapesAndDtypes() throws {
        let m23 = try Tensor.zeros([2, 3]), m45 = try Tensor.zeros([4, 5]), v3 = try Tensor.zeros([3]), v4 = try Tensor.zeros([4])
        assertThrows(.shape, ["mm", "2-D", "[3]", "[2, 3]"]) { try v3.mm(m23) }
        assertThrows(.shape, ["mm", "[2, 3]", "[4, 5]", "3 and 4"]) { try m23.mm(m45) }
        assertThrows(.dtype, ["mm", "float32", "float64"]) { try m23.mm(try Tensor.zeros([3, 2], dtype: .float64)) }
        assertThrows(.dtype, ["mm", "bool"]) { try m23.to(.bool).mm(try Tensor.zeros([3, 2]).to(.bool)) }
        assertThrows(.shape, ["bmm: expected 3-D tensors, got [2, 3] and [3, 4]"]) { try m23.bmm(try Tensor.zeros([3, 4])) }
        assertThrows(.shape, ["bmm", "batch sizes", "[2, 3, 4]", "[3, 4, 5]"]) {
            try Tensor.zeros([2, 3, 4]).bmm(try Tensor.zeros([3, 4, 5]))
        }
        assertThrows(.shape, ["bmm", "[2, 3, 4]", "[2, 5, 5]"]) { try Tensor.zeros([2, 3, 4]).bmm(try Tensor.zeros([2, 5, 5])) }
        assertThrows(.shape, ["mv", "[2, 3]", "[4]"]) { try m23.mv(v4) }
        assertThrows(.shape, ["mv", "1-D vector", "[2, 3]"]) { try m23.mv(m23) }
        assertThrows(.shape, ["dot", "[3]", "[4]"]) { try v3.dot(v4) }
        assertThrows(.shape, ["dot", "1-D", "[2, 3]"]) { try m23.dot(v3) }
        assertThrows(.dtype, ["dot", "int64"]) { try v3.dot(try Tensor.zeros([3], dtype: .int64)) }
        assertThrows(.shape, ["outer", "1-D", "[2, 3]"]) { try v3.outer(m23) }
        assertThrows(.shape, ["tril", "at least 2 dimensions", "[3]"]) { try v3.tril() }
        assertThrows(.shape, ["triu", "[]"]) { try Tensor.scalar(1).triu() }
    }

    func testEinsumRejectsMalformedEquations() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([3, 4]), sq = try Tensor.zeros([3, 4])
        func fails(_ equation: String, _ operands: [Tensor], _ fragments: [String], _ kind: EmberError.Kind = .invalidArgument,
                   line: UInt = #line) {
            assertThrows(kind, ["einsum()"] + fragments, line: line) { try Tensor.einsum(equation, operands) }
        }
        fails("ij,jk->ik", [a], ["2 operands", "1 tensor was given", "fewer"])
        fails("ij->ij", [a, b], ["1 operand", "2 tensors", "more"])
        fails("i1", [a], ["invalid subscript '1' at index 1", "[a-zA-Z]"])
        fails("i-j", [a], ["'-' at index 1", "arrow"])
        fails("ij->j->i", [a], ["second '->'"])
        fails("i.j", [a], ["'.' at index 1", "ellipsis"])
        fails("......", [a], ["more than one ellipsis"])
        fails("ij->k", [a], ["output subscript k does not appear"])
        fails("ij->ii", [a], ["output subscript i appears more than once"])
        fails("ij", [try Tensor.zeros([2, 3, 4])], ["number of subscripts (2)", "dimensions (3)", "[2, 3, 4]"])
        fails("ijk...", [a], ["3 subscripts", "only 2 dimensions"])
        fails("ij,jk", [a, try Tensor.zeros([4, 4])], ["subscript j has size 4 for operand 1", "size 3"])
        fails("ii", [sq], ["subscript i is repeated for operand 0", "4 != 3"])
        fails("ij,jk", [a, try Tensor.zeros([3, 4], dtype: .float64)], ["same dtype", "float32", "float64"], .dtype)
        fails("i,i->", [try Tensor.zeros([3]).to(.bool), try Tensor.zeros([3]).to(.bool)], ["bool"], .dtype)
        fails("ij,->", [a], ["2 operands"])
        fails("ij,jk->ik", [], ["fewer"])
        fails("i j", [try Tensor.zeros([2])], ["number of subscripts (2)"])
        fails("ij->i,j", [a], ["','", "output"])
    }
}
