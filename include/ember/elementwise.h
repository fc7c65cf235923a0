/**
 * @file ember/elementwise.h
 * @brief Elementwise operations with broadcasting (torch.add, torch.exp, ...).
 *
 * See ember/ops.h for what every op shares: ownership, broadcasting, type
 * promotion, gradients and errors.
 */
#ifndef EMBER_ELEMENTWISE_H
#define EMBER_ELEMENTWISE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* EMBER_ELEMENTWISE_H */
