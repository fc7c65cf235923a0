/**
 * @file ember/base.h
 * @brief Statuses, dtypes, handle types, versions, errors, the random seed and grad mode.
 */
#ifndef EMBER_BASE_H
#define EMBER_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The major version of the headers (ember_version() returns the library's as
 * "MAJOR.MINOR.PATCH"). It is the N of the SONAME libember.so.N and changes
 * only if a shipped declaration has to change or go.
 */
#define EMBER_VERSION_MAJOR 0
/** The minor version: raised when functions, enum values or options are added. */
#define EMBER_VERSION_MINOR 1
/** The patch version: raised for fixes that change no declaration. */
#define EMBER_VERSION_PATCH 0

/** Marks functions whose ::ember_status must not be ignored. */
#if defined(__GNUC__) || defined(__clang__)
#define EMBER_NODISCARD __attribute__((warn_unused_result))
#else
#define EMBER_NODISCARD
#endif

/** The result of every fallible call. Values are only ever appended. */
typedef enum ember_status {
    EMBER_OK = 0,                   /**< Success. */
    EMBER_ERR_INVALID_ARGUMENT = 1, /**< A value is out of range or malformed (an index, a name, a NULL pointer). */
    EMBER_ERR_INVALID_HANDLE = 2,   /**< A handle is NULL, freed, or of the wrong kind. */
    EMBER_ERR_SHAPE = 3,            /**< Shapes do not fit together. */
    EMBER_ERR_DTYPE = 4,            /**< A dtype is not supported by the operation, or dtypes disagree. */
    EMBER_ERR_OUT_OF_MEMORY = 5,    /**< An allocation failed or a size overflows. */
    EMBER_ERR_STATE = 6,            /**< The object is in the wrong state (e.g. backward through a freed graph). */
    EMBER_ERR_IO = 7,               /**< A file could not be read or written, or is malformed. */
    EMBER_ERR_INTERNAL = 8          /**< A bug in Ember; please report it with the message. */
} ember_status;

/** Element types, with torch's names. */
typedef enum ember_dtype {
    EMBER_FLOAT32 = 0, /**< torch.float32 */
    EMBER_FLOAT64 = 1, /**< torch.float64 */
    EMBER_INT64 = 2,   /**< torch.int64 (class indices, argmax results) */
    EMBER_BOOL = 3     /**< torch.bool: one byte per element, 0 or 1 (C's bool); comparisons and masks */
} ember_dtype;

/** What ember_tensor_dtype() returns for an invalid handle. */
#define EMBER_DTYPE_INVALID ((ember_dtype)-1)

/** An n-dimensional array that may carry an autograd history (torch.Tensor). */
typedef struct ember_tensor ember_tensor;
/** A neural-network module: a layer or a container of layers (torch.nn.Module). */
typedef struct ember_module ember_module;
/** An optimizer over a module's parameters (torch.optim.Optimizer). */
typedef struct ember_optimizer ember_optimizer;
/** Batches over (inputs, targets) tensors (torch.utils.data.DataLoader). */
typedef struct ember_dataloader ember_dataloader;

/** The library version, "MAJOR.MINOR.PATCH". Static storage; never NULL. */
const char *ember_version(void);

/**
 * The message of the last failing call on this thread, or "" if none failed.
 * Owned by the library; valid until the next failing call on this thread.
 * Successful calls leave it unchanged.
 */
const char *ember_last_error(void);

/** The name of a status ("EMBER_ERR_SHAPE"), or "unknown status". Static storage. */
const char *ember_status_name(ember_status status);

/** The torch name of a dtype ("float32", "float64", "int64", "bool"), or "invalid". Static storage. */
const char *ember_dtype_name(ember_dtype dtype);

/**
 * Seeds the global random generator (torch.manual_seed). The generator is
 * torch's CPU generator (mt19937 with torch's transforms): with the same seed,
 * ember_tensor_rand/randn, the default initialisation of layers and the
 * data loader's shuffling produce the same numbers as torch does.
 */
void ember_manual_seed(uint64_t seed);

/**
 * Turns gradient recording on or off for the calling thread
 * (torch.set_grad_enabled) and returns the previous setting, so a caller can
 * restore it. With recording off, ops build no graph (torch.no_grad()).
 */
bool ember_set_grad_enabled(bool enabled);

/** Whether gradient recording is on for the calling thread (torch.is_grad_enabled). */
bool ember_is_grad_enabled(void);

/**
 * Sets how many threads kernels and BLAS may use (torch.set_num_threads);
 * values below 1 count as 1. Process-wide. The default is the number of online
 * cores. Large elementwise and reduction kernels split across them; small ones
 * stay on the calling thread.
 */
void ember_set_num_threads(int64_t threads);

/** The number of threads kernels may use (torch.get_num_threads). */
int64_t ember_get_num_threads(void);

/**
 * Gives the memory Ember keeps for reuse back to the system allocator and
 * returns how many bytes that was (torch.cuda.empty_cache, for host memory).
 * Tensor memory above 4 KiB that is released is kept per size for the next
 * tensor of that size -- a training step allocates the same sizes every step,
 * and memory freshly obtained from the system costs a page fault per 4 KiB --
 * up to EMBER_CACHE_MB mebibytes in all (an environment variable read at the
 * first such allocation; default 256; 0 turns the cache off). Thread-safe.
 */
int64_t ember_empty_cache(void);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_BASE_H */
