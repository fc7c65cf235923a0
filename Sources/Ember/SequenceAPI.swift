import CEmber
import EmberAutograd
import EmberNN
import EmberTensor

// Exports of ember/sequence.h: look up the handles, call the Tensor op, hand out the result.

/// An optional tensor argument: NULL means none.
func sequenceOptional(_ h: OpaquePointer?, _ argument: StaticString) throws -> Tensor? {
    h == nil ? nil : try tensor(h, argument)
}

@_cdecl("ember_embedding") @implementation
public func ember_embedding(_ input: OpaquePointer?, _ weight: OpaquePointer?, _ out: TensorOut?) -> ember_status {
    returning("ember_embedding", out) { try Tensor.embedding(tensor(input, "input"), weight: tensor(weight, "weight")) }
}

@_cdecl("ember_embedding_padding_idx") @implementation
public func ember_embedding_padding_idx(_ input: OpaquePointer?, _ weight: OpaquePointer?, _ paddingIdx: Int64, _ out: TensorOut?) -> ember_status {
    returning("ember_embedding_padding_idx", out) {
        guard let p = Int(exactly: paddingIdx) else { throw EmberError.invalidArgument("padding_idx \(paddingIdx) is out of range") }
        return try Tensor.embedding(tensor(input, "input"), weight: tensor(weight, "weight"), paddingIdx: p)
    }
}

@_cdecl("ember_dropout") @implementation
public func ember_dropout(_ input: OpaquePointer?, _ p: Double, _ training: Bool, _ out: TensorOut?) -> ember_status {
    returning("ember_dropout", out) { try tensor(input, "input").dropout(p: p, training: training) }
}

@_cdecl("ember_layer_norm") @implementation
public func ember_layer_norm(_ input: OpaquePointer?, _ normalizedShape: UnsafePointer<Int64>?, _ ndim: Int64, _ weight: OpaquePointer?,
                             _ bias: OpaquePointer?, _ eps: Double, _ out: TensorOut?) -> ember_status {
    returning("ember_layer_norm", out) {
        try tensor(input, "input").layerNorm(normalizedShape: readShape(normalizedShape, ndim, "normalized_shape"),
                                             weight: sequenceOptional(weight, "weight"), bias: sequenceOptional(bias, "bias"), eps: eps)
    }
}

@_cdecl("ember_scaled_dot_product_attention") @implementation
public func ember_scaled_dot_product_attention(_ query: OpaquePointer?, _ key: OpaquePointer?, _ value: OpaquePointer?,
                                               _ attnMask: OpaquePointer?, _ dropoutP: Double, _ isCausal: Bool,
                                               _ out: TensorOut?) -> ember_status {
    returning("ember_scaled_dot_product_attention", out) {
        try Tensor.scaledDotProductAttention(query: tensor(query, "query"), key: tensor(key, "key"), value: tensor(value, "value"),
                                             attnMask: sequenceOptional(attnMask, "attn_mask"), dropoutP: dropoutP, isCausal: isCausal)
    }
}

@_cdecl("ember_scaled_dot_product_attention_scale") @implementation
public func ember_scaled_dot_product_attention_scale(_ query: OpaquePointer?, _ key: OpaquePointer?, _ value: OpaquePointer?,
                                                     _ attnMask: OpaquePointer?, _ dropoutP: Double, _ isCausal: Bool, _ scale: Double,
                                                     _ out: TensorOut?) -> ember_status {
    returning("ember_scaled_dot_product_attention_scale", out) {
        try Tensor.scaledDotProductAttention(query: tensor(query, "query"), key: tensor(key, "key"), value: tensor(value, "value"),
                                             attnMask: sequenceOptional(attnMask, "attn_mask"), dropoutP: dropoutP, isCausal: isCausal,
                                             scale: scale)
    }
}

@_cdecl("ember_generate_square_subsequent_mask") @implementation
public func ember_generate_square_subsequent_mask(_ size: Int64, _ dtype: ember_dtype, _ out: TensorOut?) -> ember_status {
    returning("ember_generate_square_subsequent_mask", out) {
        guard size >= 0, size <= Int64(Int32.max) else {
            throw EmberError.invalidArgument("size must be in 0...\(Int32.max), got \(size)")
        }
        return try Transformer.squareSubsequentMask(Int(size), dtype: readDType(dtype))
    }
}
