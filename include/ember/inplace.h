/**
 * @file ember/inplace.h
 * @brief In-place operations (torch's add_, mul_, zero_, ...), for optimizers,
 *        initialisers and code that updates tensors without copies.
 *
 * Each writes into `t`'s own storage (through views too) and returns only a
 * status. Every write bumps the storage's version: a graph that saved `t` for
 * backward then refuses to run (EMBER_ERR_STATE naming the op) instead of
 * computing a wrong gradient, as torch's version counter does.
 *
 * With grad mode on, an in-place op on a tensor that requires grad is recorded
 * and becomes the tensor's history, as in torch. Refused with EMBER_ERR_STATE:
 * writing into a leaf that requires grad while grad mode is on (turn it off, as
 * optimizers do), writing into a view of a tensor that requires grad, and
 * writing into an expanded tensor whose elements share memory. The result of
 * the op must keep `t`'s shape (operands broadcast to it) and fit its dtype
 * (an int64 tensor cannot take a float result: EMBER_ERR_DTYPE).
 */
#ifndef EMBER_INPLACE_H
#define EMBER_INPLACE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** t += alpha * other (torch.Tensor.add_(other, alpha=alpha)). */
EMBER_NODISCARD ember_status ember_add_(ember_tensor *t, const ember_tensor *other, double alpha);
/** t += s. */
EMBER_NODISCARD ember_status ember_add_scalar_(ember_tensor *t, double s);
/** t -= alpha * other (torch.Tensor.sub_). */
EMBER_NODISCARD ember_status ember_sub_(ember_tensor *t, const ember_tensor *other, double alpha);
/** t *= other (torch.Tensor.mul_). */
EMBER_NODISCARD ember_status ember_mul_(ember_tensor *t, const ember_tensor *other);
/** t *= s. */
EMBER_NODISCARD ember_status ember_mul_scalar_(ember_tensor *t, double s);
/** t /= other, true division (torch.Tensor.div_); an int64 t is a DTYPE error. */
EMBER_NODISCARD ember_status ember_div_(ember_tensor *t, const ember_tensor *other);
/** t /= s. */
EMBER_NODISCARD ember_status ember_div_scalar_(ember_tensor *t, double s);
/** Clamps every element of t into [min, max] (torch.Tensor.clamp_); the gradient passes where the old value was strictly inside. */
EMBER_NODISCARD ember_status ember_clamp_(ember_tensor *t, double min, double max);
/** Clamps every element of t to at least `min` (torch.Tensor.clamp_(min=min)). */
EMBER_NODISCARD ember_status ember_clamp_min_(ember_tensor *t, double min);
/** Clamps every element of t to at most `max` (torch.Tensor.clamp_(max=max)). */
EMBER_NODISCARD ember_status ember_clamp_max_(ember_tensor *t, double max);
/** Sets every element to 0 (torch.Tensor.zero_). */
EMBER_NODISCARD ember_status ember_zero_(ember_tensor *t);
/** Sets every element to `value` (torch.Tensor.fill_); INVALID_ARGUMENT if an int64 t cannot hold it. */
EMBER_NODISCARD ember_status ember_fill_(ember_tensor *t, double value);
/** Copies `src`, broadcast to t's shape and converted to t's dtype, into t (torch.Tensor.copy_). */
EMBER_NODISCARD ember_status ember_copy_(ember_tensor *t, const ember_tensor *src);
/** Fills a floating t with samples from U[from, to) from the global generator (torch.Tensor.uniform_). */
EMBER_NODISCARD ember_status ember_uniform_(ember_tensor *t, double from, double to);
/** Fills a floating t with samples from N(mean, std) from the global generator (torch.Tensor.normal_). */
EMBER_NODISCARD ember_status ember_normal_(ember_tensor *t, double mean, double std);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_INPLACE_H */
