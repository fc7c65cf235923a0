/**
 * @file ember/sched.h
 * @brief Learning-rate schedulers (torch.optim.lr_scheduler).
 *
 * A scheduler adjusts the learning rates ("lr") of its optimizer's parameter
 * groups, with torch's formulas; step it once per epoch (or per batch for
 * OneCycleLR) after the optimizer's step. It keeps its optimizer alive, so the
 * optimizer handle may be freed first. As in torch, making a scheduler writes
 * the optimizer's learning rates (its initial step) and records each group's
 * rate as "initial_lr" in the group; OneCycleLR also writes "max_lr",
 * "min_lr", "max_momentum", "base_momentum" and cycles "momentum" (or
 * "beta1"). Schedulers compose: several made for one optimizer act on the
 * rates in turn (torch's chainable form), SequentialLR switches between
 * schedulers at milestones, ChainedScheduler steps several together.
 *
 * Numeric attributes are read and set by their torch names
 * (ember_scheduler_get/set: "gamma", "step_size", "T_max", "eta_min", ...;
 * read-only: "last_epoch" and counters). The state exports as named tensors
 * with torch's attribute names: integers (last_epoch, _step_count, step_size,
 * T_cur, num_bad_epochs, ...) as 0-dim int64, rates and factors as 0-dim
 * float64, per-group lists one entry per group ("base_lrs.0", "_last_lr.1",
 * "min_lrs.0"), milestones as 1-D int64, and a SequentialLR's or
 * ChainedScheduler's parts under "_schedulers.<k>.". Strings (mode,
 * anneal_strategy) and callbacks belong to the construction, not the state.
 *
 * Threads: a scheduler and its optimizer are one object for threading purposes.
 */
#ifndef EMBER_SCHED_H
#define EMBER_SCHED_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A learning-rate scheduler (torch.optim.lr_scheduler.LRScheduler). */
typedef struct ember_scheduler ember_scheduler;

/* ---------------------------------------------------------------------------
 * Constructors. Each takes the optimizer (borrowed; the scheduler keeps it
 * alive) and torch's required arguments; the others start at torch's
 * defaults and are set by name, or are given in torch's syntax through
 * ember_scheduler_new. Errors, for all: INVALID_HANDLE; INVALID_ARGUMENT (a
 * value torch rejects; the message says which). The caller owns `*out`.
 */

/** Multiplies the rates by `gamma` every `step_size` epochs (torch's StepLR); step_size >= 1. */
EMBER_NODISCARD ember_status ember_steplr_new(ember_optimizer *opt, int64_t step_size, double gamma, ember_scheduler **out);

/**
 * Multiplies the rates by `gamma` at each of the `count` milestone epochs, by
 * gamma^k at a milestone listed k times (torch's MultiStepLR).
 */
EMBER_NODISCARD ember_status ember_multisteplr_new(ember_optimizer *opt, const int64_t *milestones, int64_t count, double gamma,
                                                   ember_scheduler **out);

/** Multiplies the rates by `factor` (in [0, 1]) until epoch `total_iters` (torch's ConstantLR). */
EMBER_NODISCARD ember_status ember_constantlr_new(ember_optimizer *opt, double factor, int64_t total_iters, ember_scheduler **out);

/**
 * Scales the rates linearly from `start_factor` (in (0, 1]) to `end_factor`
 * (in [0, 1]) over `total_iters` epochs (torch's LinearLR), e.g. a warmup.
 */
EMBER_NODISCARD ember_status ember_linearlr_new(ember_optimizer *opt, double start_factor, double end_factor, int64_t total_iters,
                                                ember_scheduler **out);

/** Multiplies the rates by `gamma` every epoch (torch's ExponentialLR). */
EMBER_NODISCARD ember_status ember_exponentiallr_new(ember_optimizer *opt, double gamma, ember_scheduler **out);

/** Decays the rates to 0 as (1 - t / total_iters)^power (torch's PolynomialLR). */
EMBER_NODISCARD ember_status ember_polynomiallr_new(ember_optimizer *opt, int64_t total_iters, double power, ember_scheduler **out);

/**
 * Cosine annealing from the base rates to `eta_min` over `T_max` epochs and
 * back (torch's CosineAnnealingLR, its recursive form). T_max must not be 0
 * (torch fails at the first step instead).
 */
EMBER_NODISCARD ember_status ember_cosineannealinglr_new(ember_optimizer *opt, int64_t T_max, double eta_min, ember_scheduler **out);

/**
 * Cosine annealing restarted every T_i epochs, T_0 first and T_i * T_mult
 * after each restart (torch's CosineAnnealingWarmRestarts); T_0 >= 1, T_mult >= 1.
 */
EMBER_NODISCARD ember_status ember_cosineannealingwarmrestarts_new(ember_optimizer *opt, int64_t T_0, int64_t T_mult, double eta_min,
                                                                   ember_scheduler **out);

/**
 * The 1cycle policy over `total_steps` steps with peak rate `max_lr` (torch's
 * OneCycleLR with its defaults: pct_start 0.3, cos annealing, momentum cycled
 * between 0.85 and 0.95, div_factor 25, final_div_factor 1e4). Other settings
 * (anneal_strategy='linear', three_phase=True, per-group max_lr, epochs and
 * steps_per_epoch) through ember_scheduler_new. Stepping past total_steps is
 * INVALID_ARGUMENT, as in torch. Errors also: INVALID_ARGUMENT (cycling
 * momentum on an optimizer without "momentum" or "beta1").
 */
EMBER_NODISCARD ember_status ember_onecyclelr_new(ember_optimizer *opt, double max_lr, int64_t total_steps, ember_scheduler **out);

/**
 * Reduces the rates by `factor` (< 1) when a metric stopped improving for
 * `patience` epochs (torch's ReduceLROnPlateau); `mode` is "min" or "max"
 * (NULL for "min"). threshold (1e-4), cooldown (0), min_lr (0) and eps (1e-8)
 * are set by name; threshold_mode='abs' and per-group min_lr through
 * ember_scheduler_new. Step it with ember_scheduler_step_metric.
 */
EMBER_NODISCARD ember_status ember_reducelronplateau_new(ember_optimizer *opt, const char *mode, double factor, int64_t patience,
                                                         ember_scheduler **out);

/**
 * A learning-rate factor for LambdaLR and MultiplicativeLR: store the factor
 * for epoch `epoch` and parameter group `group` in `*factor` (torch takes one
 * lambda or a list of one per group; `group` selects). Return EMBER_OK, or a
 * failure status after ember_set_last_error: the scheduler's step (or
 * constructor, which takes the initial step) then fails with that status and
 * the callback's message, and nothing changes.
 */
typedef ember_status
    (*ember_lr_lambda_fn)(int64_t epoch, int64_t group, void *user_data, double *factor);

/**
 * Sets each group's rate to its initial rate times the callback's factor for
 * the epoch (torch's LambdaLR). `destroy` (may be NULL) is called with
 * `user_data` when the scheduler is gone, or at once if this call fails.
 * Errors also: INVALID_ARGUMENT (NULL callback); the callback's failure at
 * the initial step (epoch 0), with its status and message.
 */
EMBER_NODISCARD ember_status ember_lambdalr_new(ember_optimizer *opt, ember_lr_lambda_fn lr_lambda, void *user_data,
                                                void (*destroy)(void *user_data), ember_scheduler **out);

/** Multiplies each group's rate by the callback's factor every epoch after the first (torch's MultiplicativeLR); as ember_lambdalr_new. */
EMBER_NODISCARD ember_status ember_multiplicativelr_new(ember_optimizer *opt, ember_lr_lambda_fn lr_lambda, void *user_data,
                                                        void (*destroy)(void *user_data), ember_scheduler **out);

/**
 * Runs the `count` schedulers one after another, switching to scheduler k at
 * epoch milestones[k - 1] (torch's SequentialLR); `n_milestones` must be
 * count - 1. The schedulers must be made for `opt` before this call; it keeps
 * them alive (their handles may be freed), and they should then be stepped
 * only through it. Errors also: INVALID_ARGUMENT (no schedulers, a
 * ReduceLROnPlateau, a scheduler of another optimizer, wrong milestone count).
 */
EMBER_NODISCARD ember_status ember_sequentiallr_new(ember_optimizer *opt, ember_scheduler *const *schedulers, int64_t count,
                                                    const int64_t *milestones, int64_t n_milestones, ember_scheduler **out);

/**
 * Steps the `count` schedulers (all of one optimizer) together, each on the
 * rates the previous one set (torch's ChainedScheduler); it keeps them alive.
 * Errors as ember_sequentiallr_new.
 */
EMBER_NODISCARD ember_status ember_chainedscheduler_new(ember_scheduler *const *schedulers, int64_t count, ember_scheduler **out);

/**
 * A scheduler of torch class `type` ("StepLR", "MultiStepLR", "ConstantLR",
 * "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
 * "CosineAnnealingWarmRestarts", "OneCycleLR", "ReduceLROnPlateau") made from
 * `args`, torch's constructor arguments after the optimizer in Python syntax:
 * "step_size=30, gamma=0.1", "milestones=[30, 80]", "max_lr=[0.1, 0.01],
 * total_steps=1000, anneal_strategy='linear', three_phase=True",
 * "mode='max', threshold_mode='abs', min_lr=[0, 1e-5]". Errors also:
 * INVALID_ARGUMENT (an unknown type: the message lists the types; an unknown
 * or missing argument: the message lists the type's arguments).
 */
EMBER_NODISCARD ember_status ember_scheduler_new(ember_optimizer *opt, const char *type, const char *args, ember_scheduler **out);

/* ---------------------------------------------------------------------------
 * Stepping and reading.
 */

/**
 * Advances one epoch and sets the optimizer's rates (torch's scheduler.step()).
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (a ReduceLROnPlateau, which needs
 * ember_scheduler_step_metric; a OneCycleLR stepped past its total steps; a
 * callback's failure, with its status); STATE (the optimizer gained a group
 * after the scheduler was made). Nothing changes on failure.
 */
EMBER_NODISCARD ember_status ember_scheduler_step(ember_scheduler *s);

/** ReduceLROnPlateau's step with the watched metric (torch's scheduler.step(metrics)). Errors as ember_scheduler_step; INVALID_ARGUMENT for other schedulers. */
EMBER_NODISCARD ember_status ember_scheduler_step_metric(ember_scheduler *s, double metric);

/**
 * The learning rates the last step set, one per group (torch's
 * get_last_lr()): up to `capacity` values into `lrs` and their number into
 * `*count` (`lrs` may be NULL to learn the number). Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (NULL count, capacity too small: nothing is written).
 */
EMBER_NODISCARD ember_status ember_scheduler_get_last_lr(const ember_scheduler *s, double *lrs, int64_t capacity, int64_t *count);

/**
 * Reads a numeric attribute by its torch name ("gamma", "T_max",
 * "last_epoch", "best", ...). Errors: INVALID_HANDLE; INVALID_ARGUMENT (an
 * unknown name: the message lists the valid ones). `*out` is 0 on failure.
 */
EMBER_NODISCARD ember_status ember_scheduler_get(const ember_scheduler *s, const char *name, double *out);

/**
 * Sets a numeric attribute by its torch name, checked as the constructor
 * checks it; it takes effect from the next step, as in torch. Errors:
 * INVALID_HANDLE; INVALID_ARGUMENT (an unknown or read-only name, a value the
 * constructor would reject).
 */
EMBER_NODISCARD ember_status ember_scheduler_set(ember_scheduler *s, const char *name, double value);

/* ---------------------------------------------------------------------------
 * State export and import (see the file comment for the names).
 */

/** The number of named tensors in the scheduler's state, or -1 (with a last error) for an invalid handle. */
int64_t ember_scheduler_state_count(const ember_scheduler *s);

/**
 * The `index`-th state entry: its name into `name` (`name_size` bytes, NUL
 * terminated; may be NULL when `name_size` is 0) and, if `out` is not NULL, a
 * new tensor holding its value, owned by the caller. Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (index out of range, or a name buffer too small: the
 * message gives the size needed).
 */
EMBER_NODISCARD ember_status ember_scheduler_state_at(const ember_scheduler *s, int64_t index, char *name, size_t name_size,
                                                      ember_tensor **out);

/**
 * Replaces the scheduler's state with the `count` named tensors (torch's
 * load_state_dict). Strict: exactly the names ember_scheduler_state_at lists,
 * each with its dtype and shape, and values the constructor accepts. Load the
 * optimizer's state first: this restores the scheduler, not the optimizer's
 * rates. Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL names, any mismatch:
 * the message names each one). Nothing changes on failure.
 */
EMBER_NODISCARD ember_status ember_scheduler_load_state(ember_scheduler *s, const char *const *names, const ember_tensor *const *tensors,
                                                        int64_t count);

/** Releases a scheduler handle. NULL is a no-op. A SequentialLR or ChainedScheduler keeps its parts alive. */
void ember_scheduler_free(ember_scheduler *s);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_SCHED_H */
