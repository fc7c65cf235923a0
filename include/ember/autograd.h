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

#ifdef __cplusplus
}
#endif

#endif /* EMBER_AUTOGRAD_H */
