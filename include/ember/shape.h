/**
 * @file ember/shape.h
 * @brief Views, reshaping, indexing and joining (torch.reshape, torch.cat, ...).
 *
 * Views share storage with their input as in torch: writing through one
 * (ember_tensor_copy_from) changes the other. See ember/ops.h.
 */
#ifndef EMBER_SHAPE_H
#define EMBER_SHAPE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The same elements with a new shape (torch.reshape): a view sharing storage
 * when the strides allow, a copy otherwise. One size may be -1 (inferred).
 * SHAPE if the element counts differ.
 */
EMBER_NODISCARD ember_status ember_reshape(const ember_tensor *x, const int64_t *shape, int64_t ndim, ember_tensor **out);
/** A view with dimensions `dim0` and `dim1` swapped (torch.transpose). */
EMBER_NODISCARD ember_status ember_transpose(const ember_tensor *x, int64_t dim0, int64_t dim1, ember_tensor **out);
/** A view with the dimensions reordered (torch.permute); `dims` is a permutation of 0..ndim-1. */
EMBER_NODISCARD ember_status ember_permute(const ember_tensor *x, const int64_t *dims, int64_t ndim, ember_tensor **out);
/**
 * A view broadcasting size-1 dimensions to `shape` without copying
 * (torch.expand); -1 keeps a size; new leading dimensions may be added.
 */
EMBER_NODISCARD ember_status ember_expand(const ember_tensor *x, const int64_t *shape, int64_t ndim, ember_tensor **out);
/** A row-major copy, or a new handle to `x` itself if it is already contiguous (torch.contiguous). */
EMBER_NODISCARD ember_status ember_contiguous(const ember_tensor *x, ember_tensor **out);
/** A copy with its own storage that stays in the graph (torch.clone). */
EMBER_NODISCARD ember_status ember_clone(const ember_tensor *x, ember_tensor **out);
/** The tensor converted to `dtype` (torch.Tensor.to(dtype)); a new handle to `x` if the dtype is already `dtype`. Differentiable between floating dtypes. */
EMBER_NODISCARD ember_status ember_to_dtype(const ember_tensor *x, ember_dtype dtype, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_SHAPE_H */
