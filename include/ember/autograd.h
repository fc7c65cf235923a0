/**
 * @file ember/autograd.h
 * @brief Reverse-mode automatic differentiation (torch.autograd).
 *
 * Ops record a graph as they run, when grad mode is on (ember_set_grad_enabled)
 * and one of their inputs requires grad. ember_tensor_backward walks it from
 * the output and accumulates d(output)/d(leaf) into each leaf's grad, adding
 * to what is there until it is cleared, as torch does. The graph's saved
 * values are released after a backward unless it is retained.
 */
#ifndef EMBER_AUTOGRAD_H
#define EMBER_AUTOGRAD_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Marks a tensor as a leaf whose gradient is wanted (torch.Tensor.requires_grad_).
 * Errors: INVALID_HANDLE; DTYPE (only floating tensors can require grad);
 * STATE (turning it off on a tensor computed from ones that require grad:
 * use ember_detach instead).
 */
EMBER_NODISCARD ember_status ember_tensor_set_requires_grad(ember_tensor *t, bool requires_grad);

/** Whether the tensor requires grad; false (with a last error) for an invalid handle. */
bool ember_tensor_requires_grad(const ember_tensor *t);

/** Whether the tensor is a leaf: made by the user rather than recorded by an op (torch.Tensor.is_leaf); false (with a last error) for an invalid handle. */
bool ember_tensor_is_leaf(const ember_tensor *t);

/**
 * Backpropagates from `t` (torch.Tensor.backward): accumulates the gradient of
 * `t` with respect to every leaf that requires grad into that leaf's grad.
 * `gradient` is d(loss)/d(t) with t's shape; it may be NULL only when `t` has
 * one element (it is then 1). The graph is freed afterwards: a second backward
 * through it is a STATE error; use ember_tensor_backward_ex to retain it.
 * Errors: INVALID_HANDLE; STATE (t does not require grad, or the graph was
 * freed by an earlier backward); SHAPE (NULL gradient for a tensor of more
 * than one element, or a gradient of the wrong shape); DTYPE (a gradient of
 * another dtype). Nothing is changed on failure.
 */
EMBER_NODISCARD ember_status ember_tensor_backward(const ember_tensor *t, const ember_tensor *gradient);

/**
 * ember_tensor_backward with torch's options: `retain_graph` keeps the graph
 * for another backward; `create_graph` records the backward pass itself, so
 * the gradients can be differentiated again (higher-order derivatives).
 * Unlike torch, a gradient recorded with `create_graph` does not keep its
 * leaf alive through its own graph (graphs refer to leaves weakly), so no
 * reference cycle forms and nothing needs clearing before the leaf is freed.
 */
EMBER_NODISCARD ember_status ember_tensor_backward_ex(const ember_tensor *t, const ember_tensor *gradient, bool retain_graph, bool create_graph);

/**
 * The accumulated gradient of a leaf (torch.Tensor.grad): a new handle to the
 * grad tensor, or NULL with EMBER_OK if no gradient has been accumulated (or
 * it was cleared). The grad tensor is updated in place by later backwards.
 */
EMBER_NODISCARD ember_status ember_tensor_grad(const ember_tensor *t, ember_tensor **out);

/** Clears a tensor's accumulated gradient (sets torch's .grad to None). */
EMBER_NODISCARD ember_status ember_tensor_zero_grad(ember_tensor *t);

/**
 * A new tensor sharing `x`'s storage but cut off from the graph: it does not
 * require grad and has no history (torch.Tensor.detach). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_detach(const ember_tensor *x, ember_tensor **out);

/**
 * Backpropagates from several tensors at once (torch.autograd.backward):
 * `tensors` holds `count` roots and `grad_tensors` either NULL (every root then
 * needs one element) or `count` gradients, each NULL for an implicit 1.
 * Options and errors as ember_tensor_backward_ex.
 */
EMBER_NODISCARD ember_status ember_autograd_backward(const ember_tensor *const *tensors, int64_t count,
                                                     const ember_tensor *const *grad_tensors, bool retain_graph, bool create_graph);

/**
 * The gradients of `outputs` with respect to `inputs` (torch.autograd.grad),
 * returned without touching any tensor's grad. `grad_outputs` is NULL or holds
 * `n_outputs` gradients (each NULL for an implicit 1). `grads` receives
 * `n_inputs` new handles owned by the caller; with `allow_unused`, an input the
 * outputs do not depend on gets NULL, otherwise it is a STATE error.
 * `retain_graph` keeps the graph (it is implied by `create_graph`, which records
 * the backward pass so the results can be differentiated again: gradient
 * penalties, Hessian-vector products). Errors: INVALID_HANDLE; STATE (an input
 * that does not require grad, an unused input, a freed graph); SHAPE/DTYPE (a
 * gradient that does not match its output). On failure every entry of `grads` is NULL.
 */
EMBER_NODISCARD ember_status ember_autograd_grad(const ember_tensor *const *outputs, int64_t n_outputs,
                                                 const ember_tensor *const *grad_outputs,
                                                 const ember_tensor *const *inputs, int64_t n_inputs,
                                                 bool retain_graph, bool create_graph, bool allow_unused,
                                                 ember_tensor **grads);

/**
 * A gradient hook (torch.Tensor.register_hook): called during backward with
 * the gradient flowing into the tensor (a borrowed handle, valid during the
 * call). To replace the gradient, store a new tensor of the same shape and dtype
 * in `*replacement` (the library takes ownership); leave it NULL to keep it.
 * Return EMBER_OK to continue; any other status stops the backward, which
 * fails with that status and the message the hook set with
 * ember_set_last_error (or of the failing call the hook made).
 */
typedef ember_status
    (*ember_grad_hook)(const ember_tensor *grad, void *user_data, ember_tensor **replacement);

/**
 * Registers `hook` on tensor `t`, which must require grad. For a leaf the hook
 * sees the gradient before it is accumulated; for a computed tensor, when its
 * gradient is complete. Hooks run in registration order. `destroy` (may be
 * NULL) is called with `user_data` once the hook is removed or its tensor's
 * graph is gone. `*id` identifies it for ember_tensor_remove_hook.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL hook or id); STATE (t does not require grad).
 */
EMBER_NODISCARD ember_status ember_tensor_register_hook(ember_tensor *t, ember_grad_hook hook, void *user_data,
                                                        void (*destroy)(void *user_data), int64_t *id);

/** Removes the hook `id` from `t`. Errors: INVALID_HANDLE; INVALID_ARGUMENT (no such hook on t). */
EMBER_NODISCARD ember_status ember_tensor_remove_hook(ember_tensor *t, int64_t id);

/**
 * Sets this thread's last error message. For callbacks (hooks, custom
 * functions) that fail: the library reports their message to its caller.
 * `message` is copied; NULL sets "".
 */
void ember_set_last_error(const char *message);

/** A user-defined differentiable op (torch.autograd.Function); see ember_function_new. */
typedef struct ember_function ember_function;

/**
 * A custom function's forward: compute a new tensor from `inputs` (`count`
 * borrowed handles, valid during the call) and store it in `*output` (the
 * library takes ownership). Runs with grad mode off. Return EMBER_OK, or a
 * failure status after ember_set_last_error.
 */
typedef ember_status
    (*ember_function_forward)(const ember_tensor *const *inputs, int64_t count, void *user_data, ember_tensor **output);

/**
 * A custom function's backward: given `grad_output` (d loss / d output) and the
 * forward's `inputs` (borrowed, valid during the call), store in
 * `grad_inputs[i]` a new tensor with input i's shape (the library takes
 * ownership), or leave it NULL for no gradient. Runs with grad mode on only
 * when the backward is itself being recorded (create_graph).
 */
typedef ember_status
    (*ember_function_backward)(const ember_tensor *grad_output, const ember_tensor *const *inputs, int64_t count,
                               void *user_data, ember_tensor **grad_inputs);

/**
 * Makes a custom differentiable op from two callbacks, so an FFI user can add
 * an op Ember lacks. `name` names its graph nodes ("<name>Backward") and its
 * errors. `destroy` (may be NULL) is called with `user_data` when the function
 * handle and every graph that used it are gone. The caller owns `*out`.
 * Errors: INVALID_ARGUMENT (NULL name, forward or backward).
 */
EMBER_NODISCARD ember_status ember_function_new(const char *name, ember_function_forward forward,
                                                ember_function_backward backward, void *user_data,
                                                void (*destroy)(void *user_data), ember_function **out);

/**
 * Applies a custom function to `count` inputs: runs its forward and, when grad
 * mode is on and an input requires grad, records a node whose gradient comes
 * from its backward. The caller owns `*out`. A failing callback's status and
 * message reach the caller (here, or from the backward that runs it).
 * Errors: INVALID_HANDLE; the callback's own; SHAPE (a backward gradient of the wrong shape).
 */
EMBER_NODISCARD ember_status ember_function_apply(ember_function *fn, const ember_tensor *const *inputs, int64_t count,
                                                  ember_tensor **out);

/** Releases a function handle. NULL is a no-op. Graphs that used it keep it alive. */
void ember_function_free(ember_function *fn);

/**
 * Anomaly detection (torch.autograd.set_detect_anomaly), process-wide: when
 * on, the first NaN or infinity a backward function produces stops the
 * backward with EMBER_ERR_STATE naming that function ("MulBackward0").
 * Costs a scan of every gradient; off by default.
 */
void ember_set_detect_anomaly(bool enabled);

/** Whether anomaly detection is on (torch.is_anomaly_enabled). */
bool ember_is_anomaly_enabled(void);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_AUTOGRAD_H */
