/**
 * @file ember/ops.h
 * @brief Tensor operations, named after their torch functions.
 *
 * Every function returns a new tensor in `*out` that the caller owns. Inputs
 * are borrowed. When grad mode is on and an input requires grad, the result
 * records how it was made, so ember_tensor_backward can differentiate it.
 *
 * Binary ops broadcast as torch does (sizes are aligned from the right; a size
 * of 1 stretches) and promote dtypes as torch does (int64 with float32 gives
 * float32; float32 with float64 gives float64; a zero-dimensional tensor does
 * not raise the dtype of a dimensioned one of the same kind). Scalar variants
 * keep a floating tensor's dtype; an int64 tensor with a fractional scalar
 * gives float32.
 *
 * Common errors: INVALID_HANDLE (NULL, freed or wrong-kind handle),
 * INVALID_ARGUMENT (NULL out, dim out of range), SHAPE (shapes that do not
 * broadcast or multiply; both shapes are in the message), DTYPE (an int64
 * tensor where a floating one is needed), OUT_OF_MEMORY.
 */
#ifndef EMBER_OPS_H
#define EMBER_OPS_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Elementwise, with broadcasting ---------------------------------- */

/** a + b (torch.add). */
EMBER_NODISCARD ember_status ember_add(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a - b (torch.sub). */
EMBER_NODISCARD ember_status ember_sub(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a * b (torch.mul). */
EMBER_NODISCARD ember_status ember_mul(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);
/** a / b, true division (torch.div): int64 inputs give float32. */
EMBER_NODISCARD ember_status ember_div(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);

/** a + s (torch.add with a Python scalar). */
EMBER_NODISCARD ember_status ember_add_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a - s. */
EMBER_NODISCARD ember_status ember_sub_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a * s. */
EMBER_NODISCARD ember_status ember_mul_scalar(const ember_tensor *a, double s, ember_tensor **out);
/** a / s, true division. */
EMBER_NODISCARD ember_status ember_div_scalar(const ember_tensor *a, double s, ember_tensor **out);

/** -x (torch.neg). */
EMBER_NODISCARD ember_status ember_neg(const ember_tensor *x, ember_tensor **out);
/** e^x (torch.exp); int64 input gives float32. */
EMBER_NODISCARD ember_status ember_exp(const ember_tensor *x, ember_tensor **out);
/** Natural logarithm (torch.log); int64 input gives float32. */
EMBER_NODISCARD ember_status ember_log(const ember_tensor *x, ember_tensor **out);
/** max(x, 0) (torch.relu); its gradient at 0 is 0, as in torch. */
EMBER_NODISCARD ember_status ember_relu(const ember_tensor *x, ember_tensor **out);

/* ---- Reductions ------------------------------------------------------- */

/** The sum of all elements, a 0-dim tensor (torch.sum); int64 stays int64. */
EMBER_NODISCARD ember_status ember_sum(const ember_tensor *x, ember_tensor **out);
/**
 * The sum over `dims` (ndims of them, each once; negative counts from the end),
 * keeping them as size 1 if `keepdim` (torch.sum(x, dims, keepdim)).
 * ndims == 0 sums over every dim, as torch does for an empty list.
 */
EMBER_NODISCARD ember_status ember_sum_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, bool keepdim, ember_tensor **out);
/** The mean of all elements (torch.mean); floating dtypes only. */
EMBER_NODISCARD ember_status ember_mean(const ember_tensor *x, ember_tensor **out);
/** The mean over `dims` (see ember_sum_dim); floating dtypes only. */
EMBER_NODISCARD ember_status ember_mean_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, bool keepdim, ember_tensor **out);
/**
 * The int64 index of the largest element along `dim` (torch.argmax(x, dim,
 * keepdim)); the first one on ties; NaN counts as largest. Not differentiable.
 */
EMBER_NODISCARD ember_status ember_argmax_dim(const ember_tensor *x, int64_t dim, bool keepdim, ember_tensor **out);
/** The int64 index of the largest element of the flattened tensor (torch.argmax(x)). */
EMBER_NODISCARD ember_status ember_argmax(const ember_tensor *x, ember_tensor **out);

/* ---- Linear algebra --------------------------------------------------- */

/**
 * Matrix product with torch.matmul's rules: 1-D x 1-D is a dot product,
 * 2-D x 2-D a matrix product, a 1-D operand is treated as a row (left) or
 * column (right) vector and its dimension removed from the result, and more
 * than two dimensions are batches whose leading dimensions broadcast.
 * Float32 and float64 run on BLAS sgemm/dgemm. Both operands must have the
 * same dtype (DTYPE otherwise); SHAPE names both shapes when the inner sizes
 * differ.
 */
EMBER_NODISCARD ember_status ember_matmul(const ember_tensor *a, const ember_tensor *b, ember_tensor **out);

/* ---- Softmax and losses ----------------------------------------------- */

/** exp(x) / sum(exp(x)) along `dim` (torch.softmax), computed stably. Floating dtypes only. */
EMBER_NODISCARD ember_status ember_softmax(const ember_tensor *x, int64_t dim, ember_tensor **out);
/** log(softmax(x)) along `dim` (torch.log_softmax), computed stably. Floating dtypes only. */
EMBER_NODISCARD ember_status ember_log_softmax(const ember_tensor *x, int64_t dim, ember_tensor **out);

/**
 * The mean cross-entropy loss of `logits` of shape (N, C) (or (C)) against
 * int64 class indices `target` of shape (N) (or ()), as
 * torch.nn.functional.cross_entropy(logits, target). Fused log_softmax + nll.
 * Errors: SHAPE (shapes that do not pair up), DTYPE (floating logits and int64
 * targets are required), INVALID_ARGUMENT (a class index outside [0, C): the
 * message names the index and its position).
 */
EMBER_NODISCARD ember_status ember_cross_entropy(const ember_tensor *logits, const ember_tensor *target, ember_tensor **out);

/** The mean squared error mean((input - target)^2) (torch.nn.functional.mse_loss); the shapes broadcast. */
EMBER_NODISCARD ember_status ember_mse_loss(const ember_tensor *input, const ember_tensor *target, ember_tensor **out);

/* ---- Shape and views ---------------------------------------------------- */

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

#endif /* EMBER_OPS_H */
