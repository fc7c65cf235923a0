import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// A float64 finite-difference gradcheck for every differentiable op,
/// broadcasting cases included.
final class GradcheckTests: XCTestCase {
    override func setUp() { GlobalGenerator.manualSeed(17) }

    func leaf(_ shape: Dims, positive: Bool = false) throws -> Tensor {
        var x = try Tensor.randn(shape, dtype: .float64)
        if positive { x = Tensor(try Kernels.binary(.add, Kernels.binary(.mul, x.array, x.array), scalar: 0.5)) }
        try x.setRequiresGrad(true)
        return x
    }

    func testBinaryOpsWithBroadcasting() throws {
        let pairs: [(Dims, Dims)] = [([3, 4], [3, 4]), ([3, 1, 4], [2, 4]), ([4], [2, 3, 4]), ([], [2, 3]), ([2, 1], [1, 3])]
        for (sa, sb) in pairs {
            let a = try leaf(sa), b = try leaf(sb), bp = try leaf(sb, positive: true)
            try gradcheck([a, b], "add \(sa) \(sb)") { try $0[0].add($0[1]) }
            try gradcheck([a, b], "sub \(sa) \(sb)") { try $0[0].sub($0[1]) }
            try gradcheck([a, b], "mul \(sa) \(sb)") { try $0[0].mul($0[1]) }
            try gradcheck([a, bp], "div \(sa) \(sb)") { try $0[0].div($0[1]) }
        }
    }

    func testMixedDtypeGradientsComeBackInTheInputDtype() throws {
        let a = try Tensor.randn([2, 3], dtype: .float32, requiresGrad: true)
        let b = try leaf([3])
        let y = try a.mul(b).sum()
        XCTAssertEqual(y.dtype, .float64)
        try y.backward()
        XCTAssertEqual(a.grad?.dtype, .float32)
        XCTAssertEqual(b.grad?.dtype, .float64)
        try gradcheck([b], "mixed") { try a.detach().to(.float64).mul($0[0]) }
    }

    func testScalarOps() throws {
        let a = try leaf([2, 3])
        try gradcheck([a], "add_scalar") { try $0[0].add(2.5) }
        try gradcheck([a], "sub_scalar") { try $0[0].sub(-1) }
        try gradcheck([a], "mul_scalar") { try $0[0].mul(-3.5) }
        try gradcheck([a], "div_scalar") { try $0[0].div(0.25) }
    }

    func testUnaryOps() throws {
        let a = try leaf([3, 4]), p = try leaf([3, 4], positive: true)
        try gradcheck([a], "neg") { try $0[0].neg() }
        try gradcheck([a], "exp") { try $0[0].exp() }
        try gradcheck([p], "log") { try $0[0].log() }
        // relu's kink at 0 is not differentiable; randn never lands within eps of it.
        try gradcheck([a], "relu") { try $0[0].relu() }
    }

    func testReductions() throws {
        let a = try leaf([2, 3, 4])
        try gradcheck([a], "sum") { try $0[0].sum() }
        try gradcheck([a], "sum dims") { try $0[0].sum(dims: [0, 2]) }
        try gradcheck([a], "sum keepdim") { try $0[0].sum(dims: [-1], keepdim: true) }
        try gradcheck([a], "mean") { try $0[0].mean() }
        try gradcheck([a], "mean dims") { try $0[0].mean(dims: [1], keepdim: false) }
        try gradcheck([a], "mean keepdim") { try $0[0].mean(dims: [0, 1], keepdim: true) }
    }

    func testMatmulForms() throws {
        let cases: [(Dims, Dims)] = [([4], [4]), ([3, 4], [4]), ([4], [4, 2]), ([3, 4], [4, 2]),
                                       ([2, 3, 4], [4, 5]), ([2, 1, 3, 4], [3, 4, 2]), ([2, 3, 4], [4]), ([4], [2, 4, 3])]
        for (sa, sb) in cases {
            let a = try leaf(sa), b = try leaf(sb)
            try gradcheck([a, b], "matmul \(sa) \(sb)") { try $0[0].matmul($0[1]) }
        }
        // Transposed operands (strided views into BLAS).
        let a = try leaf([4, 3]), b = try leaf([2, 4])
        try gradcheck([a, b], "matmul transposed") { try $0[0].transpose(0, 1).matmul($0[1].transpose(0, 1)) }
    }

    func testLinear() throws {
        let x = try leaf([5, 3]), w = try leaf([2, 3]), b = try leaf([2])
        try gradcheck([x, w, b], "linear") { try $0[0].linear(weight: $0[1], bias: $0[2]) }
        let x3 = try leaf([2, 4, 3])
        try gradcheck([x3, w], "linear 3-d, no bias") { try $0[0].linear(weight: $0[1], bias: nil) }
        let v = try leaf([3])
        try gradcheck([v, w, b], "linear 1-d") { try $0[0].linear(weight: $0[1], bias: $0[2]) }
    }

    func testSoftmaxFamily() throws {
        let a = try leaf([3, 5])
        try gradcheck([a], "softmax dim 1") { try $0[0].softmax(dim: 1) }
        try gradcheck([a], "softmax dim 0") { try $0[0].softmax(dim: 0) }
        try gradcheck([a], "log_softmax dim -1") { try $0[0].logSoftmax(dim: -1) }
        let c = try leaf([2, 3, 4])
        try gradcheck([c], "log_softmax 3-d middle dim") { try $0[0].logSoftmax(dim: 1) }
    }

    func testViews() throws {
        let a = try leaf([2, 3, 4])
        try gradcheck([a], "reshape") { try $0[0].reshape([4, -1]) }
        try gradcheck([a], "transpose") { try $0[0].transpose(0, 2) }
        try gradcheck([a], "permute") { try $0[0].permute([1, 2, 0]) }
        try gradcheck([a], "reshape of transpose (copy)") { try $0[0].transpose(0, 1).reshape([-1]) }
        try gradcheck([a], "unsqueeze/squeeze") { try $0[0].unsqueeze(1).mul(2).squeeze(1) }
        try gradcheck([a], "clone") { try $0[0].clone() }
        try gradcheck([a], "contiguous of transpose") { try $0[0].transpose(1, 2).contiguous() }
        let col = try leaf([3, 1])
        try gradcheck([col], "expand") { try $0[0].expand([2, 3, 4]) }
        // A cast's gradient is the cast back (finite differences in float32 are too coarse to check).
        let y = try col.to(.float32).mul(3).sum()
        try col.setGrad(nil)
        try y.backward()
        XCTAssertEqual(col.grad?.dtype, .float64)
        XCTAssertEqual(col.grad?.toDoubles(), [3, 3, 3])
    }

    func testComposite() throws {
        let a = try leaf([3, 4]), b = try leaf([4, 2])
        try gradcheck([a, b], "composite") {
            try $0[0].matmul($0[1]).relu().exp().div(3).sub($0[1].sum()).logSoftmax(dim: 0).mean()
        }
    }
}
