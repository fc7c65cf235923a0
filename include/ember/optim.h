/**
 * @file ember/optim.h
 * @brief Optimizers (torch.optim).
 *
 * An optimizer holds the parameters its module had when it was made (as
 * torch's optim.X(model.parameters())) and keeps them alive. Hyper-parameters
 * are read and set by their torch names, so new ones never change the ABI;
 * a tuple option is split into numbered names (betas -> "beta1", "beta2") and
 * a boolean is 0 or 1.
 */
#ifndef EMBER_OPTIM_H
#define EMBER_OPTIM_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Stochastic gradient descent over the module's parameters (torch.optim.SGD),
 * with torch's options and defaults: "lr" (given here), "momentum" (0),
 * "dampening" (0), "weight_decay" (0), "nesterov" (0), "maximize" (0).
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (lr < 0 or not finite). The
 * caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_sgd_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * Sets a hyper-parameter by its torch name. Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (an unknown name: the message lists the valid ones; a value
 * torch rejects, such as a negative lr, momentum or weight_decay, or a
 * boolean other than 0 or 1). The optimizer is unchanged on failure.
 */
EMBER_NODISCARD ember_status ember_optimizer_set(ember_optimizer *opt, const char *name, double value);

/** Reads a hyper-parameter by its torch name. Errors as ember_optimizer_set; `*out` is 0 on failure. */
EMBER_NODISCARD ember_status ember_optimizer_get(const ember_optimizer *opt, const char *name, double *out);

/** Clears the gradients of the optimizer's parameters (torch's zero_grad(set_to_none=True)). */
EMBER_NODISCARD ember_status ember_optimizer_zero_grad(ember_optimizer *opt);

/**
 * One update of every parameter that has a gradient (torch's optimizer.step());
 * parameters without one are skipped, so a step before any backward changes
 * nothing. Errors: INVALID_HANDLE; INVALID_ARGUMENT (an inconsistent option
 * set, e.g. nesterov without momentum or with dampening: nothing is updated).
 */
EMBER_NODISCARD ember_status ember_optimizer_step(ember_optimizer *opt);

/** Releases an optimizer handle. NULL is a no-op. */
void ember_optimizer_free(ember_optimizer *opt);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_OPTIM_H */
