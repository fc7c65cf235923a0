/**
 * @file ember/norm.h
 * @brief Normalisation (torch.nn.functional.batch_norm, group_norm).
 *
 * The input is (N, C, ...): a batch of N samples with C channels and any
 * number of spatial dims. Per-channel tensors (running statistics, weight,
 * bias) have shape (C) and the input's dtype; weight and bias may be NULL
 * (no scaling, no shift). Every function writes a new tensor that the caller
 * owns into `*out` (NULL on failure); inputs are borrowed. With grad mode on,
 * the result records its gradient for the input, weight and bias, and can be
 * differentiated again (create_graph), through the batch statistics too.
 * The layers are modules made with ember_module_new: "BatchNorm1d",
 * "BatchNorm2d" (parameters "weight", "bias"; buffers "running_mean",
 * "running_var", "num_batches_tracked"; momentum=None for a cumulative
 * average; eval mode uses the running statistics) and "GroupNorm".
 *
 * Errors: EMBER_ERR_INVALID_HANDLE (NULL, freed or wrong-kind tensor handle);
 * EMBER_ERR_SHAPE (an input with fewer than 2 dims, per-channel tensors that
 * do not have C elements, channels not divisible by the groups; the shapes
 * are in the message); EMBER_ERR_DTYPE (an integer input, or tensors of
 * different dtypes); EMBER_ERR_INVALID_ARGUMENT (a NULL `out`, one value per
 * channel in training, a bad eps or num_groups). See ember/ops.h.
 */
#ifndef EMBER_NORM_H
#define EMBER_NORM_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Batch normalisation (torch.nn.functional.batch_norm): per channel c,
 * (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c.
 *
 * With `training` true, mean and (biased) variance are the batch's, over N
 * and the spatial dims (more than one value per channel is required), and if
 * `running_mean` and `running_var` are given they are updated in place:
 * running = momentum * batch + (1 - momentum) * running, with the unbiased
 * variance for running_var (torch's rule; momentum 1 / k gives the cumulative
 * average over k batches). With `training` false the running statistics are
 * used and are required. `running_mean` and `running_var` are both NULL or
 * both given; eps must be positive in training and non-negative otherwise.
 */
EMBER_NODISCARD ember_status ember_batch_norm(const ember_tensor *input, ember_tensor *running_mean, ember_tensor *running_var,
                                              const ember_tensor *weight, const ember_tensor *bias, bool training, double momentum,
                                              double eps, ember_tensor **out);

/**
 * Group normalisation (torch.nn.functional.group_norm): the C channels are
 * split into `num_groups` groups of C / num_groups consecutive channels, each
 * sample's group is normalised by its own mean and biased variance, then
 * scaled and shifted per channel by `weight` and `bias` (shape (C), or NULL).
 * num_groups must be positive and divide C.
 */
EMBER_NODISCARD ember_status ember_group_norm(const ember_tensor *input, int64_t num_groups, const ember_tensor *weight,
                                              const ember_tensor *bias, double eps, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_NORM_H */
