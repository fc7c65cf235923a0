/**
 * @file ember/data.h
 * @brief Mini-batches over in-memory tensors (torch.utils.data.DataLoader over a TensorDataset).
 */
#ifndef EMBER_DATA_H
#define EMBER_DATA_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A loader over the rows (dimension 0) of `inputs` and `targets`, which must
 * have the same number of rows, in batches of `batch_size`. With `shuffle`,
 * each epoch visits the rows in a new random order drawn from the global
 * generator exactly as torch's DataLoader(TensorDataset(inputs, targets),
 * batch_size, shuffle=True) does, so the same seed gives the same batches.
 * The loader keeps its own references to the tensors. Options (see
 * ember_dataloader_set): "drop_last" (0). Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (batch_size < 1); SHAPE (a 0-dim tensor, or the row
 * counts differ). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_dataloader_new(const ember_tensor *inputs, const ember_tensor *targets, int64_t batch_size, bool shuffle, ember_dataloader **out);

/**
 * The next batch: new tensors of the selected rows, owned by the caller, which
 * do not require grad. At the end of an epoch both are set to NULL and
 * EMBER_OK is returned; the next call starts a new epoch (reshuffled).
 */
EMBER_NODISCARD ember_status ember_dataloader_next(ember_dataloader *loader, ember_tensor **inputs, ember_tensor **targets);

/**
 * Sets an option by name: "drop_last" (0 or 1: skip a last batch smaller than
 * batch_size). Takes effect at the next epoch. Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (unknown name: the message lists the valid ones; a bad value).
 */
EMBER_NODISCARD ember_status ember_dataloader_set(ember_dataloader *loader, const char *name, double value);

/**
 * Reads an option or a property by name: "drop_last", "batch_size",
 * "shuffle", "num_samples", and "len", the number of batches per epoch
 * (len(loader) in torch). Errors as ember_dataloader_set.
 */
EMBER_NODISCARD ember_status ember_dataloader_get(const ember_dataloader *loader, const char *name, double *out);

/** Releases a loader handle. NULL is a no-op. */
void ember_dataloader_free(ember_dataloader *loader);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_DATA_H */
