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
 * (torch.randn; the same numbers as torch for the same seed, up to the last
 * bit of float32 transcendental functions). Floating dtypes only (DTYPE
 * otherwise). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_randn(const int64_t *shape, int64_t ndim, ember_dtype dtype, ember_tensor **out);

/**
 * A new 1-D tensor [start, start + step, ...) stopping before `end`
 * (torch.arange), with ceil((end - start) / step) elements.
 * Errors: INVALID_ARGUMENT (step == 0, a non-finite bound, or a step whose sign
 * moves away from `end`). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_tensor_arange(double start, double end, double step, ember_dtype dtype, ember_tensor **out);

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
