/**
 * @file ember/optim.h
 * @brief Optimizers (torch.optim), parameter groups, optimizer state and gradient clipping.
 *
 * An optimizer holds the parameters it was made over (as torch's
 * optim.X(model.parameters())) and keeps them alive. Each optimizer class
 * has a constructor over a module, ember_<class>_new(module, lr, &opt), and
 * all of them can be made over an explicit list of tensors by class name
 * (ember_optimizer_new). Hyper-parameters are read and set by their torch
 * names, so new ones never change the ABI; a tuple option is split into
 * numbered names (betas -> "beta1", "beta2") and a boolean is 0 or 1.
 * Update rules, defaults and the values rejected are torch's (its
 * single-tensor CPU implementations). An update runs in one fused pass over
 * each parameter, split across the kernel threads for large parameters.
 *
 * Parameter groups (torch's param_groups): the parameters given at
 * construction are group 0; ember_optimizer_add_param_group adds more, each
 * with its own options (e.g. no weight decay on biases and norms).
 * ember_optimizer_set sets an option on every group (and for groups added
 * later); ember_optimizer_set_group on one; ember_optimizer_get reads group 0.
 *
 * State: every optimizer exports and imports its full state (step counts,
 * moments, buffers, options) as a list of named tensors, torch's state_dict
 * flattened so that it can be written to a checkpoint (e.g. safetensors):
 *
 *     "state.<i>.<key>"          per-parameter state of parameter i, numbered
 *                                across the groups in order: "state.0.exp_avg",
 *                                "state.0.step" (0-dim float32, as torch keeps
 *                                step counts), "state.2.momentum_buffer"
 *     "param_groups.<g>.<name>"  every option of group g as a 0-dim float64
 *                                ("param_groups.0.lr", "param_groups.1.beta1"),
 *                                and the values LR schedulers keep there
 *                                ("initial_lr", "max_lr", "min_lr",
 *                                "max_momentum", "base_momentum")
 *     "param_groups.<g>.params"  the indices of group g's parameters (int64, 1-D)
 *
 * Per-parameter keys (torch's): SGD momentum_buffer; Adam/AdamW step,
 * exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad); RMSprop step, square_avg,
 * momentum_buffer, grad_avg; Adagrad step, sum; Adadelta step, square_avg,
 * acc_delta; Adamax step, exp_avg, exp_inf; NAdam step, mu_product (0-dim
 * float32), exp_avg, exp_avg_sq; RAdam step, exp_avg, exp_avg_sq. LBFGS keeps
 * its state under parameter 0: func_evals, n_iter (int64), d, prev_flat_grad,
 * `old_dirs.<k>`, `old_stps.<k>` (float64 vectors over all parameter values), t,
 * `ro.<k>`, H_diag, prev_loss (0-dim float64). Parameters that never had a
 * gradient have no state. Loading is strict (see ember_optimizer_load_state).
 *
 * To resume a run bit for bit: make the model, the optimizer (with the same
 * groups) and its schedulers as before, restore the weights, then load the
 * optimizer's state, then the schedulers' (ember/sched.h) -- a scheduler's
 * constructor writes the optimizer's learning rates, as in torch.
 */
#ifndef EMBER_OPTIM_H
#define EMBER_OPTIM_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Optimizers over a module's parameters. Each takes the learning rate; every
 * other option starts at torch's default and is set by name. Errors, for all:
 * INVALID_HANDLE; INVALID_ARGUMENT (lr < 0 or not finite, or a module without
 * parameters: torch's "optimizer got an empty parameter list"). The caller
 * owns `*out`.
 */

/**
 * Stochastic gradient descent over the module's parameters (torch.optim.SGD),
 * with torch's options and defaults: "lr" (given here), "momentum" (0),
 * "dampening" (0), "weight_decay" (0), "nesterov" (0), "maximize" (0).
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (lr < 0 or not finite). The
 * caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_sgd_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * Adam (torch.optim.Adam): "lr", "beta1" (0.9), "beta2" (0.999), "eps" (1e-8),
 * "weight_decay" (0, an L2 term added to the gradient), "amsgrad" (0),
 * "maximize" (0), "decoupled_weight_decay" (0; 1 makes it AdamW). Errors and
 * ownership as above.
 */
EMBER_NODISCARD ember_status ember_adam_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * AdamW (torch.optim.AdamW), Adam with decoupled weight decay: "lr", "beta1"
 * (0.9), "beta2" (0.999), "eps" (1e-8), "weight_decay" (0.01), "amsgrad" (0),
 * "maximize" (0), and "decoupled_weight_decay", which is always 1 (torch keeps
 * it in AdamW's groups too). Errors and ownership as above.
 */
EMBER_NODISCARD ember_status ember_adamw_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * RMSprop (torch.optim.RMSprop): "lr", "alpha" (0.99), "eps" (1e-8),
 * "weight_decay" (0), "momentum" (0), "centered" (0), "maximize" (0).
 * Errors and ownership as above.
 */
EMBER_NODISCARD ember_status ember_rmsprop_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * Adagrad (torch.optim.Adagrad): "lr", "lr_decay" (0), "weight_decay" (0),
 * "initial_accumulator_value" (0), "eps" (1e-10), "maximize" (0). The
 * accumulator of a parameter is filled on its first step with the group's
 * initial_accumulator_value at that time (torch fills it at construction).
 * Errors and ownership as above.
 */
EMBER_NODISCARD ember_status ember_adagrad_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * Adadelta (torch.optim.Adadelta): "lr", "rho" (0.9, in [0, 1]), "eps" (1e-6),
 * "weight_decay" (0), "maximize" (0). Errors and ownership as above.
 */
EMBER_NODISCARD ember_status ember_adadelta_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * Adamax (torch.optim.Adamax): "lr", "beta1" (0.9), "beta2" (0.999), "eps"
 * (1e-8), "weight_decay" (0), "maximize" (0). Errors and ownership as above.
 */
EMBER_NODISCARD ember_status ember_adamax_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * NAdam (torch.optim.NAdam): "lr", "beta1" (0.9), "beta2" (0.999), "eps"
 * (1e-8), "weight_decay" (0), "momentum_decay" (0.004),
 * "decoupled_weight_decay" (0), "maximize" (0). Errors and ownership as above.
 */
EMBER_NODISCARD ember_status ember_nadam_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * RAdam (torch.optim.RAdam): "lr", "beta1" (0.9), "beta2" (0.999), "eps"
 * (1e-8), "weight_decay" (0), "decoupled_weight_decay" (0), "maximize" (0).
 * Errors and ownership as above.
 */
EMBER_NODISCARD ember_status ember_radam_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * L-BFGS (torch.optim.LBFGS): "lr", "max_iter" (20), "max_eval" (max_iter *
 * 5 / 4 until set), "tolerance_grad" (1e-7), "tolerance_change" (1e-9),
 * "history_size" (100), "line_search_fn" (0 = none, 1 = "strong_wolfe"),
 * "maximize" (0). It has one parameter group and steps only with a closure
 * (ember_optimizer_step_closure). The method works on the parameter values
 * flattened into float64 (torch keeps the parameters' dtype, so float32
 * models round slightly differently). Errors and ownership as above.
 */
EMBER_NODISCARD ember_status ember_lbfgs_new(ember_module *m, double lr, ember_optimizer **out);

/**
 * An optimizer of torch class `type` ("SGD", "Adam", "AdamW", "RMSprop",
 * "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS") over the `count`
 * tensors in `params` (torch: optim.X(params, **kwargs)), with the options in
 * torch's keyword syntax, `args`: "lr=0.01, betas=(0.8, 0.99), amsgrad=True",
 * "lr=1, line_search_fn='strong_wolfe'"; positional values fill torch's
 * parameters in order ("0.1, 0.9" for SGD's lr and momentum). `args` may be
 * NULL or "" for torch's defaults (including torch's default lr). The
 * optimizer keeps the tensors alive. Errors: INVALID_HANDLE (an element of
 * `params`); INVALID_ARGUMENT (an unknown type: the message lists the types;
 * an unknown argument: the message lists the type's arguments; a value torch
 * rejects; an empty list; a tensor listed twice; a tensor that is not a leaf);
 * DTYPE (a tensor that is not floating point). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_optimizer_new(const char *type, const ember_tensor *const *params, int64_t count, const char *args,
                                                 ember_optimizer **out);

/* ---------------------------------------------------------------------------
 * Options and parameter groups.
 */

/**
 * Sets a hyper-parameter by its torch name on every parameter group, and as
 * the default of groups added later. Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (an unknown name: the message lists the valid ones; a value
 * torch rejects, such as a negative lr, eps, momentum or weight_decay, a beta
 * outside [0, 1), or a boolean other than 0 or 1). The optimizer is unchanged
 * on failure.
 */
EMBER_NODISCARD ember_status ember_optimizer_set(ember_optimizer *opt, const char *name, double value);

/**
 * Reads a hyper-parameter of group 0 by its torch name; also the values
 * schedulers keep in a group ("initial_lr", ...) once a scheduler set them.
 * Errors as ember_optimizer_set; `*out` is 0 on failure.
 */
EMBER_NODISCARD ember_status ember_optimizer_get(const ember_optimizer *opt, const char *name, double *out);

/**
 * Adds a parameter group (torch's add_param_group): the `count` tensors in
 * `params`, with the options in `args` in torch's keyword syntax
 * ("weight_decay=0", "lr=0.01, betas=(0.9, 0.99)"; NULL or "" for none); the
 * others take the optimizer's defaults. Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (an unknown option, a value torch rejects, a positional
 * value, a tensor already in a group or not a leaf, or an LBFGS optimizer,
 * which has one group); DTYPE (a tensor that is not floating point). The
 * optimizer is unchanged on failure.
 */
EMBER_NODISCARD ember_status ember_optimizer_add_param_group(ember_optimizer *opt, const ember_tensor *const *params, int64_t count,
                                                             const char *args);

/** The number of parameter groups, or -1 (with a last error) for an invalid handle. */
int64_t ember_optimizer_param_group_count(const ember_optimizer *opt);

/**
 * Sets an option of group `group` only (torch's param_groups[g][name] = value).
 * Errors: as ember_optimizer_set; INVALID_ARGUMENT (group out of range).
 */
EMBER_NODISCARD ember_status ember_optimizer_set_group(ember_optimizer *opt, int64_t group, const char *name, double value);

/** Reads an option of group `group`. Errors as ember_optimizer_set_group; `*out` is 0 on failure. */
EMBER_NODISCARD ember_status ember_optimizer_get_group(const ember_optimizer *opt, int64_t group, const char *name, double *out);

/* ---------------------------------------------------------------------------
 * Steps.
 */

/** Clears the gradients of the optimizer's parameters (torch's zero_grad(set_to_none=True)). */
EMBER_NODISCARD ember_status ember_optimizer_zero_grad(ember_optimizer *opt);

/**
 * One update of every parameter that has a gradient (torch's optimizer.step());
 * parameters without one are skipped, so a step before any backward changes
 * nothing. Errors: INVALID_HANDLE; INVALID_ARGUMENT (an inconsistent option
 * set, e.g. nesterov without momentum or with dampening: nothing is updated;
 * an LBFGS optimizer, which needs ember_optimizer_step_closure).
 */
EMBER_NODISCARD ember_status ember_optimizer_step(ember_optimizer *opt);

/**
 * A closure for ember_optimizer_step_closure: re-evaluates the model --
 * typically zero the gradients, run forward, compute the loss, backward --
 * and stores the loss in `*loss`. It runs with grad mode on. Return EMBER_OK,
 * or a failure status after ember_set_last_error.
 */
typedef ember_status
    (*ember_closure_fn)(void *user_data, double *loss);

/**
 * torch's optimizer.step(closure): evaluates `closure` (with `user_data`) and
 * steps; LBFGS evaluates it as often as its line search needs (up to
 * max_eval times per step). `*loss` (may be NULL) receives the loss of the
 * first evaluation. Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL closure);
 * a failing closure's status, with its message after "the closure failed".
 * When the closure fails during LBFGS's iterations the parameters may have
 * moved (as in torch); the optimizer's state is unchanged.
 */
EMBER_NODISCARD ember_status ember_optimizer_step_closure(ember_optimizer *opt, ember_closure_fn closure, void *user_data, double *loss);

/* ---------------------------------------------------------------------------
 * State export and import (see the file comment for the names).
 */

/**
 * The number of named tensors in the optimizer's state, or -1 (with a last
 * error) for an invalid handle. The list changes only when the optimizer
 * steps, loads a state or gains a group, or a scheduler is made for it.
 */
int64_t ember_optimizer_state_count(const ember_optimizer *opt);

/**
 * The `index`-th state entry: its name, written with a terminating NUL into
 * `name` (which holds `name_size` bytes; `name` may be NULL when `name_size` is
 * 0), and, if `out` is not NULL, a new tensor holding a copy of its value
 * (owned by the caller; later steps do not change it). Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (index out of range, or a name buffer too small: the
 * message gives the size needed).
 */
EMBER_NODISCARD ember_status ember_optimizer_state_at(const ember_optimizer *opt, int64_t index, char *name, size_t name_size,
                                                      ember_tensor **out);

/**
 * Replaces the optimizer's whole state -- per-parameter state and every
 * group's options -- with the `count` named tensors (torch's load_state_dict);
 * the values are copied. Strict: every name must be one this optimizer has
 * (state of an existing parameter under a key this optimizer keeps, an option
 * of an existing group), each tensor must have the expected shape (a
 * parameter's shape for buffers, 0-dim for scalars) and dtype (the
 * parameter's for buffers, float32 for steps, float64 for options, int64 for
 * counts and params), every option of every group and each group's params
 * list must be present (and match the group's), and a parameter with state
 * must have all of its required keys. Booleans must be 0 or 1 and counts
 * whole numbers; rates and factors load as they are (as in torch, whose
 * schedulers may set values its constructors refuse, such as a negative lr).
 * Errors: INVALID_HANDLE (an element of
 * `tensors`); INVALID_ARGUMENT (NULL names, or any mismatch: the message
 * names each one). Nothing changes on failure.
 */
EMBER_NODISCARD ember_status ember_optimizer_load_state(ember_optimizer *opt, const char *const *names, const ember_tensor *const *tensors,
                                                        int64_t count);

/** Releases an optimizer handle. NULL is a no-op. Schedulers keep their optimizer alive. */
void ember_optimizer_free(ember_optimizer *opt);

/* ---------------------------------------------------------------------------
 * Gradient clipping (torch.nn.utils), in place on the gradients of the
 * parameters that have one; parameters without a gradient are skipped.
 */

/**
 * Scales the gradients of the `count` tensors in `params` so that their joint
 * `norm_type`-norm is at most `max_norm` (torch.nn.utils.clip_grad_norm_):
 * every gradient is multiplied by min(1, max_norm / (total + 1e-6)).
 * `norm_type` may be any number, INFINITY (the largest |g|), -INFINITY (the
 * smallest) or 0 (the number of non-zero elements). `*total_norm` receives
 * the total norm before clipping (in float32 precision when all gradients are
 * float32), 0 when no tensor has a gradient. With `error_if_nonfinite`, a NaN
 * or infinite total is an INVALID_ARGUMENT error and nothing changes, as in
 * torch; without it such gradients are scaled anyway (to NaN or 0). Errors:
 * INVALID_HANDLE; INVALID_ARGUMENT (NaN max_norm or norm_type, NULL total_norm).
 */
EMBER_NODISCARD ember_status ember_clip_grad_norm_(const ember_tensor *const *params, int64_t count, double max_norm, double norm_type,
                                                   bool error_if_nonfinite, double *total_norm);

/**
 * Clamps every gradient element of the `count` tensors in `params` into
 * [-clip_value, clip_value] (torch.nn.utils.clip_grad_value_); NaN stays NaN.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (NaN clip_value).
 */
EMBER_NODISCARD ember_status ember_clip_grad_value_(const ember_tensor *const *params, int64_t count, double clip_value);

/** ember_clip_grad_norm_ over every parameter of the module tree (clip_grad_norm_(model.parameters(), ...)). */
EMBER_NODISCARD ember_status ember_module_clip_grad_norm_(ember_module *m, double max_norm, double norm_type, bool error_if_nonfinite,
                                                          double *total_norm);

/** ember_clip_grad_value_ over every parameter of the module tree. */
EMBER_NODISCARD ember_status ember_module_clip_grad_value_(ember_module *m, double clip_value);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_OPTIM_H */
