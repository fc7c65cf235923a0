/**
 * @file ember/reduce.h
 * @brief Reductions over all elements or over dims, scans, and the softmax family.
 *
 * Every function writes a new tensor that the caller owns (release it with
 * ember_tensor_free) into its out-parameter(s), which are set to NULL on
 * failure; inputs are borrowed. See ember/ops.h for what every op shares.
 *
 * Naming follows torch: `ember_x` reduces every element to a 0-dim tensor,
 * `ember_x_dim` reduces over dims, which come as `const int64_t *dims,
 * int64_t ndims` (each at most once; negative dims count from the end) when
 * torch takes a list, or as one `int64_t dim` when torch takes one. An empty
 * list means every dim, as in torch -- except for ember_all_dim and
 * ember_any_dim, where it reduces nothing (torch.all(x, dim=())).
 * `keepdim` keeps each reduced dim as size 1.
 *
 * Dtypes follow torch: sum, prod, cumsum and cumprod of int64 or bool give
 * int64; mean, var, std and norm need a floating tensor (EMBER_ERR_DTYPE
 * otherwise); logsumexp of int64 or bool gives float32; max, min, amax and
 * amin keep the dtype (bool included); indices are int64; all and any give
 * bool. Reductions without an identity (max, min, amax, amin, argmax,
 * argmin, the inf-norms) over a dim of size 0 are EMBER_ERR_INVALID_ARGUMENT;
 * sum over nothing is 0, prod 1, logsumexp -inf, mean and var NaN.
 *
 * Common errors: EMBER_ERR_INVALID_HANDLE (NULL, freed or wrong-kind
 * handle), EMBER_ERR_INVALID_ARGUMENT (NULL out or dims, a dim out of range
 * or repeated), EMBER_ERR_DTYPE.
 */
#ifndef EMBER_REDUCE_H
#define EMBER_REDUCE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

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
 * The product of all elements, a 0-dim tensor (torch.prod). int64 and bool
 * give int64 (wrapping on overflow, as torch). The gradient is exact where
 * elements are zero (the product of the others).
 */
EMBER_NODISCARD ember_status ember_prod(const ember_tensor *x, ember_tensor **out);
/** The product along `dim` (torch.prod(x, dim, keepdim)); see ember_prod. */
EMBER_NODISCARD ember_status ember_prod_dim(const ember_tensor *x, int64_t dim, bool keepdim, ember_tensor **out);

/**
 * The largest element, a 0-dim tensor of x's dtype (torch.max(x)); NaN if x
 * has a NaN. The gradient is shared evenly among tied elements, as torch.
 * An empty tensor is EMBER_ERR_INVALID_ARGUMENT.
 */
EMBER_NODISCARD ember_status ember_max(const ember_tensor *x, ember_tensor **out);
/**
 * The largest values along `dim` and their int64 indices (torch.max(x, dim,
 * keepdim)): two new tensors, both owned by the caller. On ties the first
 * index is chosen; NaN counts as largest. The gradient flows to the selected
 * element only. A dim of size 0 is EMBER_ERR_INVALID_ARGUMENT.
 */
EMBER_NODISCARD ember_status ember_max_dim(const ember_tensor *x, int64_t dim, bool keepdim, ember_tensor **values, ember_tensor **indices);
/** The smallest element (torch.min(x)); see ember_max. */
EMBER_NODISCARD ember_status ember_min(const ember_tensor *x, ember_tensor **out);
/** The smallest values along `dim` and their int64 indices (torch.min(x, dim, keepdim)); see ember_max_dim. */
EMBER_NODISCARD ember_status ember_min_dim(const ember_tensor *x, int64_t dim, bool keepdim, ember_tensor **values, ember_tensor **indices);

/** The largest element (torch.amax(x)): as ember_max; the gradient is shared among ties. */
EMBER_NODISCARD ember_status ember_amax(const ember_tensor *x, ember_tensor **out);
/**
 * The largest values over `dims` (torch.amax(x, dims, keepdim)), without
 * indices; the gradient is shared evenly among tied elements, as torch.
 */
EMBER_NODISCARD ember_status ember_amax_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, bool keepdim, ember_tensor **out);
/** The smallest element (torch.amin(x)). */
EMBER_NODISCARD ember_status ember_amin(const ember_tensor *x, ember_tensor **out);
/** The smallest values over `dims` (torch.amin(x, dims, keepdim)); see ember_amax_dim. */
EMBER_NODISCARD ember_status ember_amin_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, bool keepdim, ember_tensor **out);

/**
 * The int64 index of the largest element along `dim` (torch.argmax(x, dim,
 * keepdim)); the first one on ties; NaN counts as largest. Not differentiable.
 */
EMBER_NODISCARD ember_status ember_argmax_dim(const ember_tensor *x, int64_t dim, bool keepdim, ember_tensor **out);
/** The int64 index of the largest element of the flattened tensor (torch.argmax(x)). */
EMBER_NODISCARD ember_status ember_argmax(const ember_tensor *x, ember_tensor **out);
/**
 * The int64 index of the smallest element along `dim` (torch.argmin(x, dim,
 * keepdim)); the first one on ties; NaN counts as smallest. Bool input is
 * EMBER_ERR_DTYPE, as in torch.
 */
EMBER_NODISCARD ember_status ember_argmin_dim(const ember_tensor *x, int64_t dim, bool keepdim, ember_tensor **out);
/** The int64 index of the smallest element of the flattened tensor (torch.argmin(x)). */
EMBER_NODISCARD ember_status ember_argmin(const ember_tensor *x, ember_tensor **out);

/**
 * The variance of all elements (torch.var(x, correction=...)): the sum of
 * squared deviations from the mean divided by max(0, N - correction).
 * torch's default correction is 1 (Bessel's); 0 gives the population
 * variance. Floating dtypes only; N <= correction gives inf or NaN, as torch.
 */
EMBER_NODISCARD ember_status ember_var(const ember_tensor *x, double correction, ember_tensor **out);
/** The variance over `dims` (torch.var(x, dims, correction=..., keepdim=...)); see ember_var. */
EMBER_NODISCARD ember_status ember_var_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, double correction, bool keepdim, ember_tensor **out);
/**
 * The standard deviation of all elements (torch.std), the square root of
 * ember_var. Its gradient is 0 where the result is 0, as torch's.
 */
EMBER_NODISCARD ember_status ember_std(const ember_tensor *x, double correction, ember_tensor **out);
/** The standard deviation over `dims` (torch.std(x, dims, correction=..., keepdim=...)). */
EMBER_NODISCARD ember_status ember_std_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, double correction, bool keepdim, ember_tensor **out);

/**
 * log(sum(exp(x))) over every element, computed stably by shifting with the
 * maximum (torch.logsumexp over all dims). int64 and bool give float32.
 */
EMBER_NODISCARD ember_status ember_logsumexp(const ember_tensor *x, ember_tensor **out);
/** log(sum(exp(x))) over `dims` (torch.logsumexp(x, dims, keepdim)); an empty dim gives -inf. */
EMBER_NODISCARD ember_status ember_logsumexp_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, bool keepdim, ember_tensor **out);

/**
 * The p-norm of all elements (torch.norm(x, p), torch.linalg.vector_norm):
 * (sum |x|^p)^(1/p) for any p; p = INFINITY is max |x|, p = -INFINITY min |x|,
 * p = 0 the number of nonzero elements (no gradient). torch's p = 'fro' is
 * p = 2. Floating dtypes only. Gradients use torch's conventions at 0: the
 * 2-norm of zeros and the 1-norm at a zero element have gradient 0; the
 * inf-norms share the gradient evenly among the elements at the extreme.
 * A NaN p, or an inf-norm over an empty dim, is EMBER_ERR_INVALID_ARGUMENT.
 */
EMBER_NODISCARD ember_status ember_norm(const ember_tensor *x, double p, ember_tensor **out);
/** The p-norm over `dims` (torch.norm(x, p, dims, keepdim)); see ember_norm. */
EMBER_NODISCARD ember_status ember_norm_dim(const ember_tensor *x, double p, const int64_t *dims, int64_t ndims, bool keepdim, ember_tensor **out);

/** Whether every element is nonzero, a 0-dim bool tensor (torch.all(x)); true for an empty tensor. */
EMBER_NODISCARD ember_status ember_all(const ember_tensor *x, ember_tensor **out);
/**
 * Whether every element over `dims` is nonzero, as bool (torch.all(x, dims,
 * keepdim)). As in torch, ndims == 0 reduces nothing: the result is x != 0.
 */
EMBER_NODISCARD ember_status ember_all_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, bool keepdim, ember_tensor **out);
/** Whether some element is nonzero, a 0-dim bool tensor (torch.any(x)); false for an empty tensor. */
EMBER_NODISCARD ember_status ember_any(const ember_tensor *x, ember_tensor **out);
/** Whether some element over `dims` is nonzero, as bool (torch.any(x, dims, keepdim)); see ember_all_dim. */
EMBER_NODISCARD ember_status ember_any_dim(const ember_tensor *x, const int64_t *dims, int64_t ndims, bool keepdim, ember_tensor **out);

/**
 * The cumulative sum along `dim` (torch.cumsum(x, dim)): y_i = x_0 + ... + x_i.
 * Same shape as x; int64 and bool give int64. Floating sums accumulate in double.
 */
EMBER_NODISCARD ember_status ember_cumsum(const ember_tensor *x, int64_t dim, ember_tensor **out);
/**
 * The cumulative product along `dim` (torch.cumprod(x, dim)): y_i = x_0 * ... * x_i.
 * int64 and bool give int64. The gradient is exact where x has zeros, as torch's.
 */
EMBER_NODISCARD ember_status ember_cumprod(const ember_tensor *x, int64_t dim, ember_tensor **out);

/** exp(x) / sum(exp(x)) along `dim` (torch.softmax), computed stably. Floating dtypes only. */
EMBER_NODISCARD ember_status ember_softmax(const ember_tensor *x, int64_t dim, ember_tensor **out);
/** log(softmax(x)) along `dim` (torch.log_softmax), computed stably. Floating dtypes only. */
EMBER_NODISCARD ember_status ember_log_softmax(const ember_tensor *x, int64_t dim, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_REDUCE_H */
