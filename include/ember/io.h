/**
 * @file ember/io.h
 * @brief Saving and loading: safetensors files, module state dicts, training
 *        checkpoints, deployable model files, generator and data-loader state.
 *
 * Everything Ember writes is a safetensors file (https://github.com/huggingface/safetensors),
 * byte for byte as the `safetensors` Python package writes it, and Ember reads
 * what the package writes:
 *
 *     8 bytes   N, the header length (little-endian uint64; at most 100,000,000)
 *     N bytes   JSON: {"__metadata__": {"key": "value", ...},   (optional; strings only)
 *                      "NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...}
 *               padded with spaces to a multiple of 8 bytes
 *     rest      the data: each tensor's row-major little-endian bytes at
 *               [BEGIN, END) from the start of the data, covering it exactly
 *
 * Writing follows the package: tensors ordered by dtype (I64, F64, F32, BOOL)
 * then by name, compact JSON with "__metadata__" first (when there is
 * metadata), serde_json's string escaping. Reading accepts F32, F64, I64 and
 * BOOL (torch's float32, float64, int64, bool); other dtypes of the format
 * (F16, BF16, I32, U8, ...) are an error naming the tensors. Files are read
 * through a private memory map: tensors whose data is aligned view the mapping
 * without a copy (writes to them stay in memory), and the file stays mapped
 * while any of them -- or a view of one -- is used: it is unmapped when the
 * last is freed. Files are written to a temporary file next to the
 * destination and renamed over it, so a reader never sees half a file.
 *
 * Malformed input is EMBER_ERR_IO with a message saying what is wrong, never a
 * crash: a file shorter than 8 bytes, a header length past the end or over the
 * limit, invalid UTF-8 or JSON (nesting deeper than 128), a non-string
 * metadata value, a repeated tensor name or metadata key, an unknown dtype, a
 * shape that is not a list of non-negative integers or has more than 12
 * dimensions, data offsets out of range, overlapping, leaving gaps or not
 * matching the shape and dtype's byte count, bytes after the last tensor.
 * Everything is checked before any tensor memory is allocated.
 *
 * Threads: a state dict is one object for threading purposes. Loading model
 * files and setting the generator state touch the global generator, which
 * is locked.
 */
#ifndef EMBER_IO_H
#define EMBER_IO_H

#include "base.h"
#include "sched.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * An ordered map from names to tensors with a string metadata map: torch's
 * state_dict (an OrderedDict), and the contents of a safetensors file. It
 * holds references to its tensors, as a Python dict does.
 */
typedef struct ember_state_dict ember_state_dict;

/* ---------------------------------------------------------------------------
 * State dicts and safetensors files.
 */

/** A new, empty state dict. The caller owns `*out`. Errors: INVALID_ARGUMENT (NULL out). */
EMBER_NODISCARD ember_status ember_state_dict_new(ember_state_dict **out);

/**
 * Reads the safetensors file at `path` (safetensors.torch.load_file): its
 * tensors in header order, which do not require grad, and its metadata.
 * Aligned tensors view the privately mapped file (see the file comment). The
 * caller owns `*out`. Errors: INVALID_ARGUMENT (NULL path or out); IO (the file
 * cannot be opened or mapped, or is malformed: the message says how);
 * OUT_OF_MEMORY.
 */
EMBER_NODISCARD ember_status ember_state_dict_load(const char *path, ember_state_dict **out);

/**
 * Reads the safetensors format from the `size` bytes at `data`
 * (safetensors.torch.load(bytes)). The tensors are copies: `data` is borrowed
 * for the call only. Errors as ember_state_dict_load. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_state_dict_load_buffer(const void *data, size_t size, ember_state_dict **out);

/**
 * Writes the state dict to `path` as a safetensors file
 * (safetensors.torch.save_file), replacing any file there atomically. The
 * tensors' current values are written (any layout; non-contiguous ones are
 * gathered). Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL path); IO (the
 * file cannot be written: nothing is left behind, an existing file is unchanged).
 */
EMBER_NODISCARD ember_status ember_state_dict_save(const ember_state_dict *sd, const char *path);

/**
 * The safetensors bytes of the state dict (safetensors.torch.save), into
 * `buf` of `buf_size` bytes; `*size` receives the number of bytes the file
 * has. With `buf` NULL and `buf_size` 0 only the size is computed. Errors:
 * INVALID_HANDLE; INVALID_ARGUMENT (NULL size; a buffer too small: nothing is
 * written, `*size` still tells the size needed).
 */
EMBER_NODISCARD ember_status ember_state_dict_save_buffer(const ember_state_dict *sd, void *buf, size_t buf_size, size_t *size);

/** The number of tensors, or -1 (with a last error) for an invalid handle. */
int64_t ember_state_dict_count(const ember_state_dict *sd);

/**
 * The `index`-th entry: its name, written with a terminating NUL into `name`
 * (`name_size` bytes; `name` may be NULL when `name_size` is 0) and, if `out`
 * is not NULL, a new handle to its tensor (the same tensor the state dict
 * holds, not a copy). Errors: INVALID_HANDLE; INVALID_ARGUMENT (index out of
 * range, or a name buffer too small: the message gives the size needed).
 */
EMBER_NODISCARD ember_status ember_state_dict_at(const ember_state_dict *sd, int64_t index, char *name, size_t name_size, ember_tensor **out);

/**
 * A new handle to the tensor named `name` (state_dict[name]). Errors:
 * INVALID_HANDLE; INVALID_ARGUMENT (NULL name; no such name: the message
 * lists names there are). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_state_dict_get(const ember_state_dict *sd, const char *name, ember_tensor **out);

/**
 * Sets `name` to `t` (state_dict[name] = t): replaces the tensor in place if
 * the name exists, else appends it. The state dict keeps its own reference
 * (the caller may free `t`); the values are read when it is saved or loaded.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL name, or "__metadata__",
 * which safetensors reserves).
 */
EMBER_NODISCARD ember_status ember_state_dict_set(ember_state_dict *sd, const char *name, const ember_tensor *t);

/** Removes `name` (del state_dict[name]). Errors: INVALID_HANDLE; INVALID_ARGUMENT (no such name). */
EMBER_NODISCARD ember_status ember_state_dict_remove(ember_state_dict *sd, const char *name);

/** The number of metadata entries, or -1 (with a last error) for an invalid handle. */
int64_t ember_state_dict_metadata_count(const ember_state_dict *sd);

/**
 * The key of the `index`-th metadata entry, NUL-terminated into `key`
 * (`key_size` bytes). Errors: INVALID_HANDLE; INVALID_ARGUMENT (index out of
 * range, or a buffer too small: the message gives the size needed).
 */
EMBER_NODISCARD ember_status ember_state_dict_metadata_key_at(const ember_state_dict *sd, int64_t index, char *key, size_t key_size);

/**
 * The metadata value of `key`, NUL-terminated into `value` of `value_size`
 * bytes; `*length` receives its length without the NUL. With `value` NULL and
 * `value_size` 0 only the length is returned. Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (NULL key or length, no such key, or a buffer too small:
 * nothing is written, `*length` still tells the length).
 */
EMBER_NODISCARD ember_status ember_state_dict_get_metadata(const ember_state_dict *sd, const char *key, char *value, size_t value_size,
                                                           size_t *length);

/**
 * Sets the metadata entry `key` to `value` (a new key goes last), or removes
 * it when `value` is NULL. Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL key).
 */
EMBER_NODISCARD ember_status ember_state_dict_set_metadata(ember_state_dict *sd, const char *key, const char *value);

/** Releases a state dict handle. NULL is a no-op. Tensor handles obtained from it stay valid. */
void ember_state_dict_free(ember_state_dict *sd);

/* ---------------------------------------------------------------------------
 * Module state (torch.nn.Module.state_dict and load_state_dict).
 */

/**
 * The module's parameters and buffers (torch's module.state_dict()): for each
 * module of the tree, depth first, its parameters then its buffers, under
 * their dotted names ("0.weight", "1.running_mean"). The tensors are detached
 * and share memory with the module's, so saving the state dict saves the
 * current weights. The caller owns `*out`. Errors: INVALID_HANDLE.
 */
EMBER_NODISCARD ember_status ember_module_state_dict(const ember_module *m, ember_state_dict **out);

/**
 * Copies the state dict's tensors into the module's parameters and buffers
 * by name (torch's module.load_state_dict(sd, strict)). Every name, shape and
 * dtype is checked (torch casts dtypes; Ember reports them).
 *
 * Strict: a missing key, an unexpected key or a size or dtype mismatch is
 * INVALID_ARGUMENT with torch's message, every problem at once --
 * "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in
 * state_dict: "0.bias". \n\tUnexpected key(s) in state_dict: "0.extra". \n\tsize
 * mismatch for 0.weight: copying a param with shape torch.Size([3, 4]) from
 * checkpoint, the shape in current model is torch.Size([5, 4])." -- and nothing
 * changes. Not strict: every entry that matches in name, shape and dtype is
 * copied, the rest is skipped (torch raises for size mismatches even then,
 * after copying the others) and EMBER_OK is returned.
 *
 * `report` (may be NULL with `report_size` 0) receives what was not applied,
 * one problem per line in torch's words ("Missing key(s) in state_dict:
 * ..."), NUL-terminated and truncated to `report_size` bytes; "" when
 * everything matched. `*report_length` (may be NULL) receives its full length.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (see above).
 */
EMBER_NODISCARD ember_status ember_module_load_state_dict(ember_module *m, const ember_state_dict *sd, bool strict, char *report,
                                                          size_t report_size, size_t *report_length);

/* ---------------------------------------------------------------------------
 * Deployable model files: architecture and weights in one file, rebuilt with one call.
 *
 * A model file is a safetensors file whose tensors are the module's state
 * dict (torch names, so safetensors.torch.load_model loads the weights into
 * the equivalent torch model) and whose metadata holds
 *
 *     "format"              "pt"
 *     "ember.architecture"  JSON: {"format": "ember.module", "version": 1, "module": M}
 *
 * where M describes a module:
 *
 *     {"type": "Linear",                       torch class name; an ember_module_new type
 *      "args": {"in_features": 10, "out_features": 5, "bias": true},
 *                                              ember_module_new's arguments by name (optional)
 *      "training": false,                      train/eval mode (optional; default training)
 *      "children": {"0": M, "1": M, ...}}      in registration order (optional)
 *
 * Argument values: integers as JSON integers (no '.' or exponent), floats
 * always with a '.' or an exponent (1.0, 1e-05; NaN, Infinity, -Infinity as
 * Python's json module writes them), True/False as true/false, None as null,
 * strings, tuples as arrays. Arguments are Ember's constructor arguments,
 * which are torch's except where ember/nn.h says otherwise (TransformerEncoder
 * takes its layer's arguments followed by num_layers and norm=True|None).
 * Loading makes each module from its type and arguments, then its children in
 * order: a child its parent's constructor already made (a TransformerEncoder's
 * "layers", a MultiheadAttention's "out_proj") must have the same type and
 * only has its mode and own children applied -- such children may be left
 * out of the description, Ember writes them --; any other child is built and
 * registered. The weights must then be exactly the rebuilt module's state
 * dict names and shapes; float32 and float64 tensors keep the file's dtype.
 * A file written by torch + safetensors with this metadata loads the same way.
 */

/**
 * Writes `m` to `path` as a model file (torch: saving a TorchScript module
 * for deployment), replacing any file there atomically. The architecture is
 * rebuilt once to check that the file reproduces the module (the global
 * generator is left as it was). Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL
 * path; a custom module made by ember_module_custom_new -- its forward is a C
 * callback -- named by its path; a tree that would not rebuild the same, e.g.
 * parameters registered on a built-in layer); IO (the file cannot be written).
 */
EMBER_NODISCARD ember_status ember_module_save(const ember_module *m, const char *path);

/**
 * Rebuilds the module saved in the model file at `path`, with its weights
 * (views of the mapped file where aligned, so loading copies nothing), in the
 * modes it was saved in. The global generator is left as it was. The caller
 * owns `*out`. Errors: INVALID_ARGUMENT (NULL path or out); IO (an unreadable
 * or malformed file, no "ember.architecture" metadata -- a plain state dict --,
 * an unknown type or invalid arguments, named by the module's path, or weights
 * that do not match the architecture); OUT_OF_MEMORY.
 */
EMBER_NODISCARD ember_status ember_module_load(const char *path, ember_module **out);

/** As ember_module_load, from the file's `size` bytes at `data` (copied; borrowed for the call only). */
EMBER_NODISCARD ember_status ember_module_load_buffer(const void *data, size_t size, ember_module **out);

/* ---------------------------------------------------------------------------
 * Training checkpoints: resume a run bit for bit.
 *
 * One state dict (one safetensors file) holds, under these prefixes:
 *
 *     model.<name>        the module's state dict (parameters and buffers)
 *     optimizer.<name>    the optimizer's state (names as ember_optimizer_state_at)
 *     scheduler.<name>    the scheduler's state (names as ember_scheduler_state_at)
 *     dataloader.<name>   the loader's position (names as ember_dataloader_state_at)
 *     generator.state     the global generator (as ember_generator_get_state)
 *
 * and the metadata "ember.checkpoint" = "1", "ember.parts" = the parts saved
 * ("model,optimizer,scheduler,dataloader,generator"), "ember.<part>.type" =
 * its class ("Sequential", "Adam", "StepLR", "DataLoader"). Entries and
 * metadata under other names may be added (ember_state_dict_set) and are
 * ignored by restoring. To resume: make the module, optimizer (same groups),
 * scheduler and loader (same data) as the run did, then restore into them;
 * the batches, dropout masks and updates that follow are the same, bit for
 * bit, as without the interruption. Several schedulers: chain them into one
 * (ember_chainedscheduler_new).
 */

/**
 * The checkpoint of a run as a state dict: the module, optimizer, scheduler
 * and loader given (any may be NULL) and always the global generator. Tensors
 * are copies of the current state, except the module's, which share memory
 * with it (as ember_module_state_dict). The caller owns `*out`. Errors:
 * INVALID_HANDLE (a non-NULL handle that is invalid).
 */
EMBER_NODISCARD ember_status ember_checkpoint_state_dict(const ember_module *m, const ember_optimizer *opt, const ember_scheduler *sched,
                                                         const ember_dataloader *loader, ember_state_dict **out);

/**
 * Restores a run from a checkpoint state dict into the objects given (any
 * may be NULL: that part is not restored) and sets the global generator.
 * Each part given must be in the checkpoint, of the same class, and load
 * strictly (module as ember_module_load_state_dict, optimizer as
 * ember_optimizer_load_state, scheduler as ember_scheduler_load_state, loader
 * as ember_dataloader_load_state). Everything is checked first; on failure
 * nothing has changed. Errors: INVALID_HANDLE; IO (not a checkpoint: no
 * "ember.checkpoint" metadata); INVALID_ARGUMENT (a part missing or of another
 * class, or state that does not fit: the message names each problem).
 */
EMBER_NODISCARD ember_status ember_checkpoint_restore(const ember_state_dict *sd, ember_module *m, ember_optimizer *opt, ember_scheduler *sched,
                                                      ember_dataloader *loader);

/** ember_checkpoint_state_dict written to `path` (atomically). Errors also: INVALID_ARGUMENT (NULL path); IO. */
EMBER_NODISCARD ember_status ember_checkpoint_save(const char *path, const ember_module *m, const ember_optimizer *opt,
                                                   const ember_scheduler *sched, const ember_dataloader *loader);

/** ember_checkpoint_restore from the file at `path`. Errors also: INVALID_ARGUMENT (NULL path); IO (as ember_state_dict_load). */
EMBER_NODISCARD ember_status ember_checkpoint_load(const char *path, ember_module *m, ember_optimizer *opt, ember_scheduler *sched,
                                                   ember_dataloader *loader);

/* ---------------------------------------------------------------------------
 * Generator and data-loader state.
 */

/**
 * The global generator's full state (torch.get_rng_state): torch's 5056-byte
 * CPU generator state -- the seed, the mt19937 state words and position, the
 * cached normal sample -- in torch's layout, as a new 1-D int64 tensor of 632
 * elements whose bytes are those 5056 bytes (Ember has no uint8 dtype; in
 * Python, numpy's .view(numpy.uint8) of its data is torch's ByteTensor, which
 * torch.set_rng_state accepts, and the reverse works too). The caller owns `*out`.
 * Errors: INVALID_ARGUMENT (NULL out).
 */
EMBER_NODISCARD ember_status ember_generator_get_state(ember_tensor **out);

/**
 * Sets the global generator's full state (torch.set_rng_state) from a tensor
 * as ember_generator_get_state returns it (also from torch's bytes). Errors:
 * INVALID_HANDLE; INVALID_ARGUMENT (not a 1-D int64 tensor of 632 elements,
 * or a state torch's generator cannot be in: a state word over 32 bits, an
 * impossible position, a cached float normal sample); nothing changes then.
 */
EMBER_NODISCARD ember_status ember_generator_set_state(const ember_tensor *state);

/**
 * The number of named tensors in a data loader's state (5), or -1 (with a
 * last error) for an invalid handle. The state: "epoch" (epochs started),
 * "position" (rows served in the current epoch), "permutation" (the current
 * epoch's row order, 1-D int64 of num_samples entries; empty between
 * epochs), "epoch_drop_last" (the current epoch's drop_last) and
 * "num_samples"; all 0-dim int64 but the permutation.
 */
int64_t ember_dataloader_state_count(const ember_dataloader *loader);

/**
 * The `index`-th state entry: its name into `name` (`name_size` bytes, NUL
 * terminated; may be NULL when `name_size` is 0) and, if `out` is not NULL, a
 * new tensor holding its value, owned by the caller. Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (index out of range, or a name buffer too small).
 */
EMBER_NODISCARD ember_status ember_dataloader_state_at(const ember_dataloader *loader, int64_t index, char *name, size_t name_size,
                                                       ember_tensor **out);

/**
 * Restores a loader's position from `count` named tensors as
 * ember_dataloader_state_at gives them (the values are copied). With the
 * global generator restored too, the batches that follow are those the saved
 * loader would have given. Strict: exactly those names, dtypes and shapes, the
 * same number of samples, a permutation of 0..num_samples-1 (or empty) and a
 * position within it. Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL names, any
 * mismatch: the message names each); nothing changes then.
 */
EMBER_NODISCARD ember_status ember_dataloader_load_state(ember_dataloader *loader, const char *const *names,
                                                         const ember_tensor *const *tensors, int64_t count);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_IO_H */
