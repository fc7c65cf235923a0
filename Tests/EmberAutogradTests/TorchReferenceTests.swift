import EmberAutograd
import EmberTensor
import EmberTestSupport
import XCTest

/// Forward values and gradients of the core ops against PyTorch's, from
/// Tests/Fixtures/ops.json (tools/make_fixtures.py), in float64 and float32.
final class TorchReferenceTests: XCTestCase {
    typealias Op = ([Tensor]) throws -> Tensor

    static let ops: [String: Op] = [
        "add_broadcast": { try $0[0].add($0[1]) },
        "sub_broadcast": { try $0[0].sub($0[1]) },
        "mul_broadcast": { try $0[0].mul($0[1]) },
        "div_broadcast": { try $0[0].div($0[1]) },
        "add_scalar": { try $0[0].add(2.5) },
        "sub_scalar": { try $0[0].sub(1.25) },
        "mul_scalar": { try $0[0].mul(-3.0) },
        "div_scalar": { try $0[0].div(4.0) },
        "neg": { try $0[0].neg() },
        "exp": { try $0[0].exp() },
        "log": { try $0[0].log() },
        "relu": { try $0[0].relu() },
        "sum_all": { try $0[0].sum() },
        "sum_dim1": { try $0[0].sum(dims: [1]) },
        "sum_dims02_keep": { try $0[0].sum(dims: [0, 2], keepdim: true) },
        "mean_all": { try $0[0].mean() },
        "mean_dim_neg1": { try $0[0].mean(dims: [-1]) },
        "matmul_2d": { try $0[0].matmul($0[1]) },
        "matmul_dot": { try $0[0].matmul($0[1]) },
        "matmul_mv": { try $0[0].matmul($0[1]) },
        "matmul_vm": { try $0[0].matmul($0[1]) },
        "matmul_batched_broadcast": { try $0[0].matmul($0[1]) },
        "matmul_batched_vec": { try $0[0].matmul($0[1]) },
        "softmax_dim1": { try $0[0].softmax(dim: 1) },
        "softmax_dim0_large": { try $0[0].mul(100).softmax(dim: 0) },
        "log_softmax_dim1": { try $0[0].logSoftmax(dim: 1) },
        "log_softmax_dim_neg1_3d": { try $0[0].logSoftmax(dim: -1) },
        "transpose": { try $0[0].transpose(0, 2).mul(1.0) },
        "permute": { try $0[0].permute([2, 0, 1]).mul(1.0) },
        "expand": { try $0[0].expand([3, 2, 4]).mul(1.0) },
        "reshape_after_transpose": { try $0[0].transpose(0, 1).reshape([-1]) },
        "linear_bias": { try $0[0].linear(weight: $0[1], bias: $0[2]) },
        "linear_3d_nobias": { try $0[0].linear(weight: $0[1], bias: nil) },
        "composite": {
            try $0[0].matmul($0[1]).relu().exp().div(3.0).sub($0[1].sum()).logSoftmax(dim: 0).mean()
        },
    ]

    func testFloat64MatchesTorch() throws {
        for (name, op) in Self.ops { try checkAgainstTorch("ops", name, rtol: 1e-10, atol: 1e-12, op) }
    }

    func testFloat32MatchesTorch() throws {
        for (name, op) in Self.ops { try checkAgainstTorch("ops", name + "_f32", rtol: 1e-5, atol: 1e-6, op) }
    }
}
