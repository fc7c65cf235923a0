/**
 * @file ember/loss.h
 * @brief Loss functions (torch.nn.functional.cross_entropy, mse_loss, ...).
 *
 * Each returns a new tensor holding the (reduced) loss. See ember/ops.h.
 */
#ifndef EMBER_LOSS_H
#define EMBER_LOSS_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* EMBER_LOSS_H */
