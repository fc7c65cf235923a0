/**
 * @file ember/sequence.h
 * @brief The functional forms behind the sequence layers: embedding,
 *        dropout, layer_norm, scaled_dot_product_attention, and torch's causal
 *        mask (torch.nn.functional.embedding, dropout, layer_norm,
 *        scaled_dot_product_attention; nn.Transformer.generate_square_subsequent_mask).
 *
 * The layers themselves (Embedding, Dropout, LayerNorm, RNN, LSTM, GRU,
 * MultiheadAttention, TransformerEncoderLayer, TransformerEncoder) are modules,
 * made with ember_module_new; ember/nn.h lists their inputs and outputs.
 *
 * Every function writes a new tensor that the caller owns into `*out` (NULL
 * on failure); inputs are borrowed; optional tensors (weights, masks) may be
 * NULL. With grad mode on and an input that requires grad, the result records
 * its gradient, differentiable again (create_graph). Float32 and float64 work
 * everywhere (indices are int64, masks bool or the query's float dtype).
 *
 * Errors: EMBER_ERR_INVALID_HANDLE (NULL, freed or wrong-kind handle where a
 * tensor is required); EMBER_ERR_SHAPE with the shapes in the message;
 * EMBER_ERR_DTYPE (indices that are not int64, a mask neither bool nor the
 * query's dtype, operands of different dtypes); EMBER_ERR_INVALID_ARGUMENT (a
 * NULL `out`, an index out of range, a probability outside [0, 1]). See ember/ops.h.
 */
#ifndef EMBER_SEQUENCE_H
#define EMBER_SEQUENCE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Rows of `weight` (num_embeddings, embedding_dim) for the int64 indices in
 * `input` (any shape): the result has shape input.shape + (embedding_dim,)
 * (torch.nn.functional.embedding). The gradient flows into `weight`.
 * Errors: DTYPE (indices not int64, weight not floating); SHAPE (weight not
 * 2-D); INVALID_ARGUMENT (an index outside 0..num_embeddings-1: the message
 * gives the index, its position and the input's shape).
 */
EMBER_NODISCARD ember_status ember_embedding(const ember_tensor *input, const ember_tensor *weight, ember_tensor **out);

/**
 * ember_embedding with torch's padding_idx: row `padding_idx` (negative counts
 * from the end) receives no gradient. Errors as ember_embedding, and
 * INVALID_ARGUMENT for a padding_idx outside -num_embeddings..num_embeddings-1.
 */
EMBER_NODISCARD ember_status ember_embedding_padding_idx(const ember_tensor *input, const ember_tensor *weight, int64_t padding_idx,
                                                         ember_tensor **out);

/**
 * Dropout (torch.nn.functional.dropout): when `training`, each element is
 * zeroed with probability `p` and the others are scaled by 1 / (1 - p); the
 * mask is drawn from the global generator exactly as torch draws it, so after
 * the same ember_manual_seed the same elements drop. When not training, or
 * with p = 0, the result is a new handle to `input` itself.
 * Errors: INVALID_ARGUMENT (p outside [0, 1]); DTYPE (an integer input when training).
 */
EMBER_NODISCARD ember_status ember_dropout(const ember_tensor *input, double p, bool training, ember_tensor **out);

/**
 * Layer normalisation over the last `ndim` dims (torch.nn.functional.layer_norm):
 * (x - mean) / sqrt(var + eps) with the biased variance, times `weight` and
 * plus `bias` (both of shape `normalized_shape`, each may be NULL). A fused
 * kernel forward and backward. Errors: SHAPE (the input does not end in
 * `normalized_shape`, or weight/bias of another shape); INVALID_ARGUMENT
 * (ndim < 1, eps negative); DTYPE.
 */
EMBER_NODISCARD ember_status ember_layer_norm(const ember_tensor *input, const int64_t *normalized_shape, int64_t ndim,
                                              const ember_tensor *weight, const ember_tensor *bias, double eps, ember_tensor **out);

/**
 * Attention (torch.nn.functional.scaled_dot_product_attention):
 * softmax(query key^T / sqrt(E) + mask) value for query (..., L, E), key
 * (..., S, E) and value (..., S, Ev) whose leading dims broadcast; the result
 * is (..., L, Ev). `attn_mask` (NULL for none) broadcasts to (..., L, S): bool
 * is true where a query may attend, float is added to the scores.
 * `is_causal` lets query i attend to keys 0..i only (attn_mask must then be
 * NULL). Dropout with `dropout_p` applies to the attention weights (always,
 * as torch's functional form). A query with no key left to attend to gives
 * zeros. Errors: SHAPE (sizes that do not match, a mask that does not
 * broadcast); DTYPE; INVALID_ARGUMENT (a mask with is_causal, dropout_p outside [0, 1]).
 */
EMBER_NODISCARD ember_status ember_scaled_dot_product_attention(const ember_tensor *query, const ember_tensor *key,
                                                                const ember_tensor *value, const ember_tensor *attn_mask,
                                                                double dropout_p, bool is_causal, ember_tensor **out);

/** ember_scaled_dot_product_attention with the scores scaled by `scale` instead of 1 / sqrt(E) (torch's scale=). */
EMBER_NODISCARD ember_status ember_scaled_dot_product_attention_scale(const ember_tensor *query, const ember_tensor *key,
                                                                      const ember_tensor *value, const ember_tensor *attn_mask,
                                                                      double dropout_p, bool is_causal, double scale, ember_tensor **out);

/**
 * torch's causal mask (nn.Transformer.generate_square_subsequent_mask): a
 * (size, size) tensor of `dtype` with -inf above the diagonal and 0 on and
 * below it (EMBER_FLOAT32, EMBER_FLOAT64), or true above the diagonal
 * (EMBER_BOOL) -- a mask position i may not attend to j > i. Pass it as the
 * src_mask / attn_mask of the attention modules. Errors: INVALID_ARGUMENT
 * (size < 0); DTYPE (EMBER_INT64 or an invalid dtype).
 */
EMBER_NODISCARD ember_status ember_generate_square_subsequent_mask(int64_t size, ember_dtype dtype, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_SEQUENCE_H */
