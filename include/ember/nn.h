/**
 * @file ember/nn.h
 * @brief Neural-network modules (torch.nn).
 *
 * Modules form a tree. Built-in layers are made by torch class name and
 * torch's constructor arguments (ember_module_new), or with a typed constructor
 * for the most common ones; custom modules get a forward callback
 * (ember_module_custom_new). Parameters are named by their dotted path in the tree,
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

/**
 * A module of torch class `type` ("Linear", "Conv2d", "LSTM", ...) made from
 * `args`, its constructor arguments in torch's Python syntax: positional
 * values, then name=value pairs, e.g. "10, 5, bias=False" or
 * "3, 16, kernel_size=3, padding='same'". Values are numbers, True/False,
 * None, strings ('same' or same) and tuples ((3, 3)). `args` may be NULL or ""
 * for a type without required arguments. Parameters are initialised as torch
 * initialises them, from the global generator. Errors: INVALID_ARGUMENT (an
 * unknown type: the message lists the types; an unknown or missing argument: the
 * message lists the type's arguments; a value of the wrong kind or out of
 * range). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_module_new(const char *type, const char *args, ember_module **out);

/**
 * Runs a module on several inputs and returns several outputs (query, key and
 * value for MultiheadAttention; output and final states for LSTM). Writes up to
 * `capacity` new handles, owned by the caller, into `outputs` and their number
 * into `*n_outputs` (outputs may be NULL to learn the number only -- the
 * module then runs). Errors as the module's forward; INVALID_ARGUMENT when
 * capacity is too small (nothing is written).
 */
EMBER_NODISCARD ember_status ember_module_forward_multi(ember_module *m, const ember_tensor *const *inputs, int64_t n_inputs,
                                                        ember_tensor **outputs, int64_t capacity, int64_t *n_outputs);

/**
 * The module tree as torch prints it ("Sequential(\n  (0): Linear(...)\n)"),
 * NUL-terminated into `buf` of `buf_size` bytes. `*length` receives the length
 * without the NUL; if the buffer is too small (or NULL with size 0) nothing is
 * written and the status is INVALID_ARGUMENT, except that a NULL buffer with
 * size 0 is a query that succeeds.
 */
EMBER_NODISCARD ember_status ember_module_summary(const ember_module *m, char *buf, size_t buf_size, size_t *length);

/** The buffer (running statistics and other saved, untrained state) named `name`, a new handle to the live tensor. Errors as ember_module_parameter. */
EMBER_NODISCARD ember_status ember_module_buffer(const ember_module *m, const char *name, ember_tensor **out);

/** The number of buffers in the module tree, or -1 (with a last error) for an invalid handle. */
int64_t ember_module_buffer_count(const ember_module *m);

/** The `index`-th buffer in state_dict order: name and tensor, as ember_module_parameter_at. */
EMBER_NODISCARD ember_status ember_module_buffer_at(const ember_module *m, int64_t index, char *name, size_t name_size, ember_tensor **out);

/** The submodule at dotted path `name` ("0", "encoder.layers.1"), a new handle to it. Errors: INVALID_ARGUMENT (no such child: the message lists the children). */
EMBER_NODISCARD ember_status ember_module_child(const ember_module *m, const char *name, ember_module **out);

/** Freezes (false) or unfreezes (true) every parameter of the tree (torch.nn.Module.requires_grad_). */
EMBER_NODISCARD ember_status ember_module_set_requires_grad(ember_module *m, bool requires_grad);

/**
 * Adds `child` under `name` (register_module / attribute assignment in torch),
 * replacing any child of that name; the module keeps its own reference.
 * Errors: INVALID_ARGUMENT (an empty name or one containing '.', or a cycle).
 */
EMBER_NODISCARD ember_status ember_module_register_module(ember_module *m, const char *name, ember_module *child);

/**
 * Adds `param` as a parameter under `name` (register_parameter): it becomes a
 * leaf that requires grad, appears in the module's parameters and state_dict,
 * and is trained by optimizers made over the module. Errors: INVALID_ARGUMENT
 * (bad name), DTYPE (not floating), STATE (not a leaf).
 */
EMBER_NODISCARD ember_status ember_module_register_parameter(ember_module *m, const char *name, ember_tensor *param);

/** Adds `buffer` under `name` (register_buffer): saved with the module, not trained. */
EMBER_NODISCARD ember_status ember_module_register_buffer(ember_module *m, const char *name, ember_tensor *buffer);

/**
 * The forward of a custom module: compute `outputs` from `inputs` (borrowed
 * handles, valid during the call; `self` is a borrowed handle to the module,
 * for ember_module_child and ember_module_parameter). Store up to `capacity`
 * new tensors in `outputs` (the library takes ownership) and their number in
 * `*n_outputs`. Return EMBER_OK, or a failure status after ember_set_last_error.
 */
typedef ember_status
    (*ember_module_forward_fn)(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                               ember_tensor **outputs, int64_t capacity, int64_t *n_outputs);

/**
 * A module whose forward is `forward` (torch: a subclass of nn.Module with its
 * own forward). Register its children, parameters and buffers with
 * ember_module_register_*; it then behaves like a built-in module: dotted
 * parameter names, train/eval, optimizers, saving. `type_name` is its class
 * name in summaries. `destroy` (may be NULL) is called with `user_data` when
 * the module is gone. At most 16 outputs. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_module_custom_new(const char *type_name, ember_module_forward_fn forward, void *user_data,
                                                     void (*destroy)(void *user_data), ember_module **out);

/** Releases a module handle. NULL is a no-op. Containers and optimizers holding the module keep it alive. */
void ember_module_free(ember_module *m);

/*
 * Sequence modules: inputs and outputs of ember_module_forward_multi.
 *
 * Made with ember_module_new and torch's constructor arguments; parameter
 * names are torch's state_dict keys (weight_ih_l0, weight_hh_l1_reverse,
 * in_proj_weight, out_proj.weight, self_attn.in_proj_bias, layers.0.linear1.weight,
 * ...). Inputs are positional; an optional mask in the middle of the list is
 * skipped by passing a tensor with no elements (e.g. shape {0}) in its place.
 * Bool masks of the attention modules are true where attention is NOT allowed
 * (torch's convention there); float masks are added to the attention scores.
 *
 * - "Embedding", "Dropout", "LayerNorm": one input, one output (ember_module_forward).
 * - "RNN", "GRU": [input] or [input, h0] -> [output, h_n].
 * - "LSTM": [input] or [input, h0, c0] -> [output, h_n, c_n].
 *   input (L, N, input_size), (N, L, input_size) with batch_first=True, or
 *   unbatched (L, input_size); h0/c0 (num_layers * directions, N, hidden_size)
 *   or (num_layers * directions, hidden_size) unbatched, zeros when omitted.
 *   proj_size must be 0.
 * - "MultiheadAttention": [query, key, value], optionally followed by
 *   key_padding_mask (N, S) and then attn_mask ((L, S) or (N * num_heads, L, S))
 *   -> [attn_output, attn_weights], or [attn_output] when need_weights=False.
 *   torch's forward arguments are extra constructor arguments here:
 *   need_weights=True, average_attn_weights=True, is_causal=False (a hint that
 *   attn_mask is the causal mask; attn_mask is still required, as in torch).
 *   Pass the same handle three times for self-attention.
 * - "TransformerEncoderLayer": [src], [src, src_mask] or
 *   [src, src_mask, src_key_padding_mask] -> [output]; extra constructor
 *   argument is_causal=False (torch's forward hint).
 * - "TransformerEncoder": inputs and output as TransformerEncoderLayer. Its
 *   constructor takes the encoder layer's arguments, then torch's encoder
 *   arguments: "128, 4, dim_feedforward=512, dropout=0.0, activation='gelu',
 *   batch_first=True, norm_first=True, num_layers=2" (num_layers is
 *   required; norm=True adds a final LayerNorm(d_model) named "norm";
 *   enable_nested_tensor and mask_check are accepted and change nothing;
 *   is_causal=None detects torch's causal mask, as torch does). Every layer
 *   starts from the same weights (torch deep-copies one layer).
 *   ember_generate_square_subsequent_mask (ember/sequence.h) makes the causal mask.
 */

#ifdef __cplusplus
}
#endif

#endif /* EMBER_NN_H */
