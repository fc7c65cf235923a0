import CEmber
import EmberAutograd
import EmberTensor

// Exports of ember/tensor.h's creation functions beyond the basic fills:
// linspace, eye, the *_like family, randint, bernoulli, multinomial, one_hot.
// (Int64 arguments become Int, which is 64 bits on every supported platform.)

@_cdecl("ember_tensor_linspace") @implementation
public func ember_tensor_linspace(_ start: Double, _ end: Double, _ steps: Int64, _ dtype: ember_dtype, _ out: TensorOut?) -> ember_status {
    returning("ember_tensor_linspace", out) {
        Tensor(try NDArray.linspace(start: start, end: end, steps: Int(steps), dtype: readDType(dtype)))
    }
}

@_cdecl("ember_tensor_eye") @implementation
public func ember_tensor_eye(_ n: Int64, _ m: Int64, _ dtype: ember_dtype, _ out: TensorOut?) -> ember_status {
    returning("ember_tensor_eye", out) {
        Tensor(try NDArray.eye(Int(n), Int(m), dtype: readDType(dtype)))
    }
}

@_cdecl("ember_zeros_like") @implementation
public func ember_zeros_like(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_zeros_like", out) { try Tensor.zerosLike(tensor(x, "x")) }
}

@_cdecl("ember_ones_like") @implementation
public func ember_ones_like(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_ones_like", out) { try Tensor.onesLike(tensor(x, "x")) }
}

@_cdecl("ember_full_like") @implementation
public func ember_full_like(_ x: OpaquePointer?, _ value: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_full_like", out) { try Tensor.fullLike(tensor(x, "x"), value) }
}

@_cdecl("ember_rand_like") @implementation
public func ember_rand_like(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_rand_like", out) { try Tensor.randLike(tensor(x, "x")) }
}

@_cdecl("ember_randn_like") @implementation
public func ember_randn_like(_ x: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_randn_like", out) { try Tensor.randnLike(tensor(x, "x")) }
}

@_cdecl("ember_tensor_randint") @implementation
public func ember_tensor_randint(_ low: Int64, _ high: Int64, _ shape: UnsafePointer<Int64>?, _ ndim: Int64,
                                 _ out: TensorOut?) -> ember_status {
    returning("ember_tensor_randint", out) { try Tensor.randint(low, high, readShape(shape, ndim)) }
}

@_cdecl("ember_bernoulli") @implementation
public func ember_bernoulli(_ probs: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_bernoulli", out) { try tensor(probs, "probs").bernoulli() }
}

@_cdecl("ember_bernoulli_p") @implementation
public func ember_bernoulli_p(_ x: OpaquePointer?, _ p: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_bernoulli_p", out) { try tensor(x, "x").bernoulli(p: p) }
}

@_cdecl("ember_multinomial") @implementation
public func ember_multinomial(_ probs: OpaquePointer?, _ numSamples: Int64, _ replacement: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_multinomial", out) {
        try tensor(probs, "probs").multinomial(Int(numSamples), replacement: replacement)
    }
}

@_cdecl("ember_one_hot") @implementation
public func ember_one_hot(_ indices: OpaquePointer?, _ numClasses: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_one_hot", out) { try Tensor.oneHot(tensor(indices, "indices"), numClasses: Int(numClasses)) }
}
