/**
 * @file ember/tensor.h
 * @brief Creating tensors, reading and writing their elements, and their metadata.
 *
 * A tensor is a view (shape, strides, offset) on reference-counted storage.
 * Views (ember_reshape, ember_transpose, ember_permute, ember_expand) share
 * storage with their base, as in torch. Element data crosses the API in
 * row-major (C) order, whatever the tensor's strides.
 */
#ifndef EMBER_TENSOR_H
#define EMBER_TENSOR_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A new tensor holding a copy of `data`: prod(shape) elements of `dtype`,
 * row-major (torch.tensor). `data` may be NULL only when the shape has no
 * elements. `ndim` may be 0 (a scalar tensor; `shape` may then be NULL).
 * Errors: INVALID_ARGUMENT (NULL data or shape, negative size, ndim < 0 or > 12:
 * Ember tensors have at most 12 dimensions),
 * DTYPE (unknown dtype), OUT_OF_MEMORY (the size overflows or cannot be allocated).
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_from_data(const void *data, ember_dtype dtype, const int64_t *shape, int64_t ndim, ember_tensor **out);

/** A new tensor of zeros (torch.zeros). Errors as ember_tensor_from_data. The caller owns `*out`. */
EMBER_NODISCARD ember_status ember_tensor_zeros(const int64_t *shape, int64_t ndim, ember_dtype dtype, ember_tensor **out);

/** A new tensor of ones (torch.ones). Errors as ember_tensor_from_data. The caller owns `*out`. */
EMBER_NODISCARD ember_status ember_tensor_ones(const int64_t *shape, int64_t ndim, ember_dtype dtype, ember_tensor **out);

/**
 * A new tensor with every element `value` (torch.full), converted to `dtype`
 * (truncated toward zero for int64; a non-finite or out-of-range value for
 * int64 is INVALID_ARGUMENT). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_full(const int64_t *shape, int64_t ndim, double value, ember_dtype dtype, ember_tensor **out);

/**
 * A new tensor of samples from U[0, 1) drawn from the global generator
 * (torch.rand; the same numbers as torch for the same seed). Floating dtypes
 * only (DTYPE otherwise). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_rand(const int64_t *shape, int64_t ndim, ember_dtype dtype, ember_tensor **out);

/**
 * A new tensor of samples from N(0, 1) drawn from the global generator
 * (torch.randn; the same numbers as torch for the same seed, bit for bit).
 * Floating dtypes only (DTYPE otherwise). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_randn(const int64_t *shape, int64_t ndim, ember_dtype dtype, ember_tensor **out);

/**
 * A new 1-D tensor [start, start + step, ...) stopping before `end`
 * (torch.arange), with ceil((end - start) / step) elements. Floating values
 * are computed in torch's order and precision, so they equal torch's (single
 * threaded) to the last bit.
 * Errors: INVALID_ARGUMENT (step == 0, a non-finite bound, or a step whose sign
 * moves away from `end`). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_arange(double start, double end, double step, ember_dtype dtype, ember_tensor **out);

/**
 * A new 1-D tensor of `steps` evenly spaced values from `start` to `end`,
 * both included (torch.linspace). As torch's CPU kernel, the first half is
 * `start + i * step` and the second half `end - (steps - 1 - i) * step`, with
 * step = (end - start) / (steps - 1), each in one fused multiply-add, so the
 * values equal torch's to the last bit. steps 0 gives an empty tensor, 1 gives
 * [start]. For int64 the bounds are truncated first and each value after.
 * Errors: INVALID_ARGUMENT (steps < 0; a bound that does not fit float32 or
 * int64), DTYPE (bool, or an unknown dtype). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_linspace(double start, double end, int64_t steps, ember_dtype dtype, ember_tensor **out);

/**
 * A new n x m tensor with ones on the main diagonal and zeros elsewhere
 * (torch.eye(n, m); pass m = n for a square one). Any dtype.
 * Errors: INVALID_ARGUMENT (n < 0 or m < 0), DTYPE, OUT_OF_MEMORY.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_eye(int64_t n, int64_t m, ember_dtype dtype, ember_tensor **out);

/**
 * A new tensor of zeros with the shape and dtype of `x` (torch.zeros_like).
 * Like torch's preserve_format, a dense non-contiguous `x` (a transpose or
 * permutation) gives a result with the same strides; anything else a
 * row-major one. The result does not require grad. `x` is borrowed.
 * Errors: INVALID_HANDLE, OUT_OF_MEMORY. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_zeros_like(const ember_tensor *x, ember_tensor **out);

/** A new tensor of ones like `x` (torch.ones_like); as ember_zeros_like. The caller owns `*out`. */
EMBER_NODISCARD ember_status ember_ones_like(const ember_tensor *x, ember_tensor **out);

/**
 * A new tensor like `x` (shape, dtype, layout; as ember_zeros_like) with every
 * element `value` (torch.full_like), converted as ember_tensor_full converts
 * it. Errors: INVALID_HANDLE, INVALID_ARGUMENT (a non-finite or out-of-range
 * value for an int64 `x`). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_full_like(const ember_tensor *x, double value, ember_tensor **out);

/**
 * A new tensor like `x` (shape, dtype, layout; as ember_zeros_like) of samples
 * from U[0, 1) drawn from the global generator (torch.rand_like; torch's
 * numbers for the same seed, drawn in memory order). `x` must be floating.
 * Errors: INVALID_HANDLE, DTYPE (int64 or bool `x`). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_rand_like(const ember_tensor *x, ember_tensor **out);

/**
 * A new tensor like `x` (shape, dtype, layout; as ember_zeros_like) of samples
 * from N(0, 1) drawn from the global generator (torch.randn_like; torch's
 * numbers for the same seed, bit for bit: a contiguous result of 16 or more
 * elements uses torch's 16-wide Box-Muller, anything else its element-by-element
 * one). `x` must be floating. Errors: INVALID_HANDLE, DTYPE. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_randn_like(const ember_tensor *x, ember_tensor **out);

/**
 * A new int64 tensor of integers drawn uniformly from [low, high) with the
 * global generator (torch.randint(low, high, shape); torch's numbers for the
 * same seed). Errors: INVALID_ARGUMENT (low >= high, and shape errors as
 * ember_tensor_from_data), OUT_OF_MEMORY. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, ember_tensor **out);

/**
 * A new tensor of 0s and 1s, each element 1 with the probability given by the
 * same element of `probs` (torch.bernoulli(probs)), in the dtype of `probs`
 * (row-major), drawn from the global generator (torch's numbers for the same seed).
 * If `probs` requires grad the result records BernoulliBackward0, whose
 * gradient is zero (as in torch). `probs` is borrowed.
 * Errors: INVALID_HANDLE, DTYPE (`probs` not floating), INVALID_ARGUMENT (a
 * probability outside [0, 1] or NaN; nothing is drawn then). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_bernoulli(const ember_tensor *probs, ember_tensor **out);

/**
 * A new row-major tensor with the shape and dtype (any, bool included) of
 * `x`, whose values are ignored, of 0s and 1s, each 1 with probability `p`
 * (torch.bernoulli(x, p)), drawn from the global generator. torch defines no
 * derivative for this form: if `x` requires grad, backward through the result
 * fails with STATE. Errors: INVALID_HANDLE, INVALID_ARGUMENT (p outside [0, 1]
 * or NaN). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_bernoulli_p(const ember_tensor *x, double p, ember_tensor **out);

/**
 * A new int64 tensor of `num_samples` category indices drawn from each row of
 * `probs` (torch.multinomial): `probs` is 1-D (categories; result
 * [num_samples]) or 2-D (rows x categories; result [rows, num_samples]) of
 * floating, non-negative weights that need not sum to 1. Without replacement
 * every index appears at most once per row. The global generator gives
 * torch's samples for the same seed. `probs` is borrowed.
 * Errors: INVALID_HANDLE; SHAPE (`probs` not 1-D or 2-D); DTYPE (not
 * floating); INVALID_ARGUMENT (num_samples <= 0; num_samples greater than the
 * number of categories without replacement; more than 2^24 categories; a
 * negative, infinite or NaN weight; a row whose weights are all zero).
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_multinomial(const ember_tensor *probs, int64_t num_samples, bool replacement, ember_tensor **out);

/**
 * A new int64 tensor of shape [indices..., num_classes] with 1 where the last
 * index equals the class in `indices` and 0 elsewhere
 * (torch.nn.functional.one_hot). `indices` is an int64 tensor of any shape;
 * num_classes = -1 infers one more than the largest index.
 * Errors: INVALID_HANDLE; DTYPE (`indices` not int64); INVALID_ARGUMENT (a
 * negative index, an index >= num_classes, or an empty `indices` with
 * num_classes <= 0); SHAPE (`indices` already has 12 dimensions);
 * OUT_OF_MEMORY. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_one_hot(const ember_tensor *indices, int64_t num_classes, ember_tensor **out);

/**
 * Copies the tensor's elements, row-major, into `dst`, which holds
 * `dst_bytes` bytes; at least numel * element size are needed.
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT (NULL dst with a non-empty tensor,
 * or `dst_bytes` too small: the message gives both sizes).
 */
EMBER_NODISCARD ember_status ember_tensor_copy_to(const ember_tensor *t, void *dst, size_t dst_bytes);

/**
 * Overwrites the tensor's elements, row-major, from `src`; `src_bytes` must be
 * exactly numel * element size. Writes through views into the shared storage
 * (so it sets a module's parameter obtained with ember_module_parameter). Not
 * recorded by autograd. Like every in-place write it bumps the storage's
 * version: a graph that saved this tensor for backward then fails with
 * EMBER_ERR_STATE instead of computing a wrong gradient (torch's version
 * counter).
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT (NULL src or a size mismatch),
 * STATE (the tensor is an expanded view whose elements alias each other).
 */
EMBER_NODISCARD ember_status ember_tensor_copy_from(ember_tensor *t, const void *src, size_t src_bytes);

/**
 * The value of a one-element tensor as a double (torch.Tensor.item).
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT (NULL out), SHAPE (numel != 1).
 * `*out` is 0 on failure.
 */
EMBER_NODISCARD ember_status ember_tensor_item(const ember_tensor *t, double *out);

/** As ember_tensor_item, exact for int64 tensors (floating values are truncated toward zero; non-finite ones are INVALID_ARGUMENT). */
EMBER_NODISCARD ember_status ember_tensor_item_int64(const ember_tensor *t, int64_t *out);

/** The tensor's dtype, or ::EMBER_DTYPE_INVALID (with a last error) for an invalid handle. */
ember_dtype ember_tensor_dtype(const ember_tensor *t);

/** The number of dimensions, or -1 (with a last error) for an invalid handle. */
int64_t ember_tensor_ndim(const ember_tensor *t);

/** The size of dimension `dim` (negative counts from the end), or -1 (with a last error) for an invalid handle or dim. */
int64_t ember_tensor_size(const ember_tensor *t, int64_t dim);

/** The number of elements, or -1 (with a last error) for an invalid handle. */
int64_t ember_tensor_numel(const ember_tensor *t);

/**
 * Writes the tensor's sizes into `shape[0 .. ndim-1]`; `capacity` is the
 * length of `shape`. Errors: INVALID_HANDLE, INVALID_ARGUMENT (NULL shape with
 * ndim > 0, or capacity < ndim).
 */
EMBER_NODISCARD ember_status ember_tensor_shape(const ember_tensor *t, int64_t *shape, int64_t capacity);

/** Whether the elements are laid out row-major without gaps; false (with a last error) for an invalid handle. */
bool ember_tensor_is_contiguous(const ember_tensor *t);

/**
 * A new handle to the same tensor (same storage, same autograd identity), to
 * hand to a second owner. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_retain(const ember_tensor *t, ember_tensor **out);

/** Releases a tensor handle. NULL is a no-op. Graphs, modules and optimizers that use the tensor keep it alive. */
void ember_tensor_free(ember_tensor *t);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_TENSOR_H */
