/**
 * @file ember/loss.h
 * @brief Loss functions (torch.nn.functional.cross_entropy, nll_loss,
 *        mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
 *        binary_cross_entropy_with_logits, kl_div).
 *
 * Each returns a new tensor holding the loss, owned by the caller; inputs are
 * borrowed. `reduction` is "mean" (the default, also for NULL), "sum" or
 * "none" (the elementwise or per-sample losses); any other string is
 * EMBER_ERR_INVALID_ARGUMENT listing the valid ones. Optional weights are
 * NULL for none; torch refuses weights that require grad, and so does Ember
 * (INVALID_ARGUMENT). With grad mode on the loss records its gradient for the
 * input and, as torch, for a floating target; gradients can be differentiated
 * again (create_graph). The loss modules (ember_module_new with
 * "CrossEntropyLoss", "MSELoss", ...) take (input, target) through
 * ember_module_forward_multi.
 *
 * Errors: EMBER_ERR_INVALID_HANDLE; EMBER_ERR_SHAPE (shapes that do not pair
 * up -- both are in the message); EMBER_ERR_DTYPE (an integer input, a
 * target of the wrong dtype); EMBER_ERR_INVALID_ARGUMENT (a NULL `out`, a bad
 * reduction, a class index out of range, a probability outside [0, 1], a bad
 * beta, delta or label_smoothing). See ember/ops.h.
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

/**
 * Cross-entropy with torch's full signature (torch.nn.functional.cross_entropy):
 * log_softmax of `input` over the class dim (1, or 0 for an unbatched (C)
 * input), then the negative log-likelihood of `target`.
 *
 * `target` is either int64 class indices of shape (N, d1, ...) for an input
 * (N, C, d1, ...) (or () for (C)), each in [0, C) or equal to `ignore_index`
 * (torch's default -100), whose positions count for nothing; or class
 * probabilities of the input's own shape (floating). `weight` (C) rescales
 * each class (NULL: all 1); with class indices "mean" divides by the total
 * weight of the counted targets (NaN if every target is ignored).
 * `label_smoothing` in [0, 1] (torch's default 0) mixes the target with the
 * uniform distribution over the classes. "none" gives one loss per sample,
 * shape (N, d1, ...). The common case -- (N, C) logits, class indices, no
 * weight, no smoothing, "mean", no ignored target -- runs the fused kernel of
 * ember_cross_entropy.
 */
EMBER_NODISCARD ember_status ember_cross_entropy_ex(const ember_tensor *input, const ember_tensor *target, const ember_tensor *weight,
                                                    int64_t ignore_index, const char *reduction, double label_smoothing,
                                                    ember_tensor **out);

/**
 * The negative log-likelihood loss (torch.nn.functional.nll_loss):
 * -weight[t] * input[t] for log-probabilities `input` (N, C, d1, ...) or (C)
 * and int64 class indices `target` (N, d1, ...) or (); `weight` (C) or NULL;
 * targets equal to `ignore_index` count for nothing; "mean" divides by the
 * total weight of the counted targets.
 */
EMBER_NODISCARD ember_status ember_nll_loss(const ember_tensor *input, const ember_tensor *target, const ember_tensor *weight,
                                            int64_t ignore_index, const char *reduction, ember_tensor **out);

/** (input - target)^2, reduced (torch.nn.functional.mse_loss with a reduction); the shapes broadcast. */
EMBER_NODISCARD ember_status ember_mse_loss_ex(const ember_tensor *input, const ember_tensor *target, const char *reduction,
                                               ember_tensor **out);

/** |input - target|, reduced (torch.nn.functional.l1_loss); the shapes broadcast. */
EMBER_NODISCARD ember_status ember_l1_loss(const ember_tensor *input, const ember_tensor *target, const char *reduction,
                                           ember_tensor **out);

/**
 * The smooth L1 loss (torch.nn.functional.smooth_l1_loss): with
 * z = |input - target|, 0.5 z^2 / beta where z < beta, z - 0.5 beta elsewhere
 * (torch's default beta 1; beta 0 is the L1 loss; a negative beta is
 * INVALID_ARGUMENT).
 */
EMBER_NODISCARD ember_status ember_smooth_l1_loss(const ember_tensor *input, const ember_tensor *target, const char *reduction,
                                                  double beta, ember_tensor **out);

/**
 * The Huber loss (torch.nn.functional.huber_loss): with z = |input - target|,
 * 0.5 z^2 where z < delta, delta (z - 0.5 delta) elsewhere (torch's default
 * delta 1; delta must be positive).
 */
EMBER_NODISCARD ember_status ember_huber_loss(const ember_tensor *input, const ember_tensor *target, const char *reduction,
                                              double delta, ember_tensor **out);

/**
 * Binary cross-entropy on probabilities (torch.nn.functional.binary_cross_entropy):
 * -weight * (t log(x) + (1 - t) log(1 - x)), each log clamped below at -100 as
 * torch does. `input` and `target` have the same shape and dtype and every
 * value in [0, 1] (INVALID_ARGUMENT naming the first value outside, NaN
 * included); `weight` broadcasts to that shape, or is NULL.
 */
EMBER_NODISCARD ember_status ember_binary_cross_entropy(const ember_tensor *input, const ember_tensor *target, const ember_tensor *weight,
                                                        const char *reduction, ember_tensor **out);

/**
 * Binary cross-entropy on logits, computed stably
 * (torch.nn.functional.binary_cross_entropy_with_logits):
 * weight * ((1 - t) x - (1 + (pos_weight - 1) t) log(sigmoid(x))). `target`
 * has the input's shape; `weight` and `pos_weight` (e.g. one per class, the
 * last dim) broadcast to it, or are NULL.
 */
EMBER_NODISCARD ember_status ember_binary_cross_entropy_with_logits(const ember_tensor *input, const ember_tensor *target,
                                                                    const ember_tensor *weight, const ember_tensor *pos_weight,
                                                                    const char *reduction, ember_tensor **out);

/**
 * The Kullback-Leibler divergence (torch.nn.functional.kl_div) of `input`,
 * log-probabilities: target (log(target) - input), 0 where target is 0; with
 * `log_target` the target is given as log-probabilities too: exp(target)
 * (target - input). `reduction` may also be "batchmean": the sum divided by
 * input's first dim, the KL divergence per sample ("mean" averages over
 * every element, as torch). Both tensors must be floating.
 */
EMBER_NODISCARD ember_status ember_kl_div(const ember_tensor *input, const ember_tensor *target, const char *reduction, bool log_target,
                                          ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_LOSS_H */
