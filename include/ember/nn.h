/**
 * @file ember/nn.h
 * @brief Neural-network modules (torch.nn).
 *
 * Modules form a tree. Parameters are named by their dotted path in the tree,
 * exactly as torch's state_dict() names the equivalent tree: a Sequential's
 * children are "0", "1", ..., a Linear's parameters "weight" and "bias", so
 * "0.weight" is the weight of a Sequential's first layer. New modules are in
 * training mode. Layers are initialised as torch initialises them, from the
 * global generator (ember_manual_seed).
 */
#ifndef EMBER_NN_H
#define EMBER_NN_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A fully connected layer y = x W^T + b (torch.nn.Linear): weight of shape
 * (out_features, in_features) and, if `bias`, bias of shape (out_features),
 * both drawn from U(-1/sqrt(in_features), 1/sqrt(in_features)) as torch's
 * default initialisation (kaiming_uniform with a = sqrt(5)) does.
 * Input (*, in_features), output (*, out_features), float32 parameters.
 * Errors: INVALID_ARGUMENT (a size below 0, or in_features == 0 with
 * initialisation undefined as in torch). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_linear_new(int64_t in_features, int64_t out_features, bool bias, ember_module **out);

/** The rectifier as a module (torch.nn.ReLU). The caller owns `*out`. */
EMBER_NODISCARD ember_status ember_relu_new(ember_module **out);

/** An empty container that applies its children in order (torch.nn.Sequential). The caller owns `*out`. */
EMBER_NODISCARD ember_status ember_sequential_new(ember_module **out);

/**
 * Appends `child` to a Sequential under the next index name ("0", "1", ...).
 * The Sequential keeps its own reference: the caller may free `child`.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (`seq` is not a Sequential, or
 * appending would put `seq` inside itself).
 */
EMBER_NODISCARD ember_status ember_sequential_append(ember_module *seq, ember_module *child);

/** Runs the module on `input` (module(input) in torch). The caller owns `*out`. */
EMBER_NODISCARD ember_status ember_module_forward(ember_module *m, const ember_tensor *input, ember_tensor **out);

/**
 * The parameter named `name` ("weight", "0.bias", ...; see the file comment):
 * a new handle to the live parameter tensor, so ember_tensor_copy_from on it
 * sets the module's weights. Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL
 * name, or no such parameter: the message lists the names there are).
 */
EMBER_NODISCARD ember_status ember_module_parameter(const ember_module *m, const char *name, ember_tensor **out);

/**
 * The number of parameter tensors in the module tree (len(list(module.parameters()))),
 * or -1 (with a last error) for an invalid handle.
 */
int64_t ember_module_parameter_count(const ember_module *m);

/**
 * The `index`-th parameter in state_dict order: its name, written with a
 * terminating NUL into `name` (which holds `name_size` bytes; `name` may be
 * NULL when `name_size` is 0), and, if `out` is not NULL, a new handle to it.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (index out of range, or a name
 * buffer too small: the message gives the size needed).
 */
EMBER_NODISCARD ember_status ember_module_parameter_at(const ember_module *m, int64_t index, char *name, size_t name_size, ember_tensor **out);

/** Sets training (true) or evaluation (false) mode on the module and all its children (torch.nn.Module.train). */
EMBER_NODISCARD ember_status ember_module_train(ember_module *m, bool training);

/** Whether the module is in training mode; false (with a last error) for an invalid handle. */
bool ember_module_is_training(const ember_module *m);

/** Clears the gradients of every parameter in the tree (torch.nn.Module.zero_grad, set_to_none). */
EMBER_NODISCARD ember_status ember_module_zero_grad(ember_module *m);

/** Releases a module handle. NULL is a no-op. Containers and optimizers holding the module keep it alive. */
void ember_module_free(ember_module *m);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_NN_H */
