/**
 * @file ember/reduce.h
 * @brief Reductions over all elements or over dims, and the softmax family.
 *
 * `dims` lists are `const int64_t *dims, int64_t ndims`; negative dims count
 * from the end; an empty list means every dim, as in torch. See ember/ops.h.
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
 * The int64 index of the largest element along `dim` (torch.argmax(x, dim,
 * keepdim)); the first one on ties; NaN counts as largest. Not differentiable.
 */
EMBER_NODISCARD ember_status ember_argmax_dim(const ember_tensor *x, int64_t dim, bool keepdim, ember_tensor **out);
/** The int64 index of the largest element of the flattened tensor (torch.argmax(x)). */
EMBER_NODISCARD ember_status ember_argmax(const ember_tensor *x, ember_tensor **out);

/** exp(x) / sum(exp(x)) along `dim` (torch.softmax), computed stably. Floating dtypes only. */
EMBER_NODISCARD ember_status ember_softmax(const ember_tensor *x, int64_t dim, ember_tensor **out);
/** log(softmax(x)) along `dim` (torch.log_softmax), computed stably. Floating dtypes only. */
EMBER_NODISCARD ember_status ember_log_softmax(const ember_tensor *x, int64_t dim, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_REDUCE_H */
