/**
 * @file ember_dist.h
 * @brief Ember distributed: data-parallel training across processes and
 * machines over MPI (torch.distributed and DistributedDataParallel).
 *
 * A separate library, libember_dist.so, built on libember's public C API and
 * on MPI (Open MPI), so that libember itself needs no MPI. Link with
 * `-lember_dist -lember`; start the program with `mpirun` (a program started
 * without it runs as a group of one process).
 *
 *   ember_dist_group *g;   ember_dist_init(&g);              // rank, world size from mpirun
 *   ember_ddp *ddp;        ember_ddp_new(g, model, &ddp);    // weights broadcast from rank 0
 *   ember_dist_sampler *s; ember_dist_sampler_new(g, n, true, seed, false, &s);
 *   per epoch: ember_dist_sampler_set(s, "epoch", e); ember_dist_sampler_loader(s, x, y, B, &loader);
 *   per step:  forward, loss; ember_optimizer_zero_grad(opt);
 *              ember_ddp_backward(ddp, loss);                // backward + averaged gradients
 *              ember_optimizer_step(opt);
 *
 * Conventions are libember's (include/ember.h): handles are opaque and owned
 * by the caller, released once with their `_free` (`_free(NULL)` is a
 * no-op; stale, freed and wrong-kind handles are EMBER_ERR_INVALID_HANDLE);
 * fallible functions return an ::ember_status and on failure set every
 * out-parameter to NULL/0 and the message of ember_last_error(); options are
 * set and read by name; nothing the caller passes makes the library abort.
 *
 * Failures of the communication itself are EMBER_ERR_IO: an MPI error (the
 * library's communicator returns errors rather than aborting; the message
 * carries MPI's text) or a timeout. Every wait on other ranks is bounded by
 * the group's "timeout" (seconds; 300 by default, or the environment variable
 * EMBER_DIST_TIMEOUT): a rank that died or stopped calling the same
 * collectives makes the others fail with EMBER_ERR_IO within that time
 * instead of hanging. After such a failure the group is unusable (MPI cannot
 * cancel a started collective): every later call on it, or on a data-parallel
 * wrapper over it, fails with EMBER_ERR_IO; the process should report the
 * error and exit (ember_dist_abort ends every rank of the job at once).
 *
 * Collectives are matched across ranks by order, as in MPI and
 * torch.distributed: every rank must make the same calls, in the same order,
 * with tensors of the same shape and dtype.
 *
 * Threads: MPI is initialised with MPI_THREAD_SERIALIZED. A group and the
 * objects made over it must be used by one thread at a time (backward runs
 * the wrapper's hooks on the thread that calls it). Different groups are
 * independent. The last error is per thread, as in libember.
 */
#ifndef EMBER_DIST_H
#define EMBER_DIST_H

#include "ember.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Library version of libember_dist; ember_dist_version() returns the same as a string. */
#define EMBER_DIST_VERSION_MAJOR 0
#define EMBER_DIST_VERSION_MINOR 1
#define EMBER_DIST_VERSION_PATCH 0

/** A group of processes that communicate (torch.distributed's process group), over an MPI communicator. */
typedef struct ember_dist_group ember_dist_group;
/** A data-parallel wrapper over a module (torch.nn.parallel.DistributedDataParallel). */
typedef struct ember_ddp ember_ddp;
/** Which rows of a data set each rank visits (torch.utils.data.distributed.DistributedSampler). */
typedef struct ember_dist_sampler ember_dist_sampler;

/** Reductions of ember_dist_all_reduce (torch.distributed.ReduceOp). Values are only ever appended. */
typedef enum ember_dist_reduce_op {
    EMBER_DIST_SUM = 0,  /**< Element-wise sum over the ranks (ReduceOp.SUM); logical or for bool. */
    EMBER_DIST_MEAN = 1, /**< Element-wise mean over the ranks (ReduceOp.AVG); floating tensors only. */
    EMBER_DIST_MAX = 2,  /**< Element-wise maximum over the ranks (ReduceOp.MAX); logical or for bool. */
    EMBER_DIST_MIN = 3   /**< Element-wise minimum over the ranks (ReduceOp.MIN); logical and for bool. */
} ember_dist_reduce_op;

/** The version of libember_dist, "MAJOR.MINOR.PATCH". Static storage; never NULL. */
const char *ember_dist_version(void);

/* ---------------------------------------------------------------------------
 * The process group.
 */

/**
 * Joins the processes started together (by mpirun, or this process alone
 * when started without it) as a group: initialises MPI if the program has
 * not (MPI_Init_thread), and works on a private duplicate of
 * MPI_COMM_WORLD whose errors return rather than abort. Reads the timeout
 * from EMBER_DIST_TIMEOUT (seconds) if set. Every rank must call it. The
 * caller owns `*out`; freeing the last group finalises MPI if this library
 * initialised it (MPI cannot be initialised twice: a later ember_dist_init
 * is then a STATE error).
 * Errors: INVALID_ARGUMENT (NULL out, a malformed EMBER_DIST_TIMEOUT); STATE
 * (MPI was finalised); IO (an MPI error, with MPI's message).
 */
EMBER_NODISCARD ember_status ember_dist_init(ember_dist_group **out);

/** This process's rank in the group, 0 .. world size - 1 (torch.distributed.get_rank), or -1 (with a last error) for an invalid handle. */
int64_t ember_dist_rank(const ember_dist_group *g);

/** The number of processes in the group (torch.distributed.get_world_size), or -1 (with a last error) for an invalid handle. */
int64_t ember_dist_world_size(const ember_dist_group *g);

/**
 * This process's rank among the group's processes on the same machine
 * (torchrun's LOCAL_RANK; MPI_Comm_split_type with MPI_COMM_TYPE_SHARED, the
 * same numbering as Open MPI's OMPI_COMM_WORLD_LOCAL_RANK), or -1 (with a last
 * error) for an invalid handle.
 */
int64_t ember_dist_local_rank(const ember_dist_group *g);

/** The number of the group's processes on this machine (LOCAL_WORLD_SIZE), or -1 (with a last error) for an invalid handle. */
int64_t ember_dist_local_world_size(const ember_dist_group *g);

/**
 * Sets a group option by name: "timeout" (seconds, > 0 and finite; 300 by
 * default): the longest any call waits for the other ranks before it fails
 * with IO. Local to this rank; set it alike on every rank.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (an unknown name: the message lists
 * the valid ones; a bad value).
 */
EMBER_NODISCARD ember_status ember_dist_group_set(ember_dist_group *g, const char *name, double value);

/**
 * Reads a group option or property by name: "timeout", "rank", "world_size",
 * "local_rank", "local_world_size", "failed" (1 once a communication failed
 * and the group is unusable). Errors as ember_dist_group_set; `*out` is 0 on failure.
 */
EMBER_NODISCARD ember_status ember_dist_group_get(const ember_dist_group *g, const char *name, double *out);

/**
 * Waits until every rank of the group has called it (torch.distributed.barrier).
 * Errors: INVALID_HANDLE; IO (an MPI error, a timeout, or a group that failed earlier).
 */
EMBER_NODISCARD ember_status ember_dist_barrier(ember_dist_group *g);

/**
 * Reduces `t` over the ranks with `op` and leaves the result in `t` on every
 * rank (torch.distributed.all_reduce), whatever its layout (views write
 * through to their storage). float32, float64, int64 and bool tensors;
 * EMBER_DIST_MEAN only for floating ones (sum, then division by the world
 * size). Not recorded by autograd. Every rank must pass a tensor of the same
 * shape and dtype. Errors: INVALID_HANDLE; INVALID_ARGUMENT (an unknown op);
 * DTYPE (MEAN of an int64 or bool tensor; SUM of a bool tensor is its logical
 * or); OUT_OF_MEMORY; IO (an MPI error, a timeout, or a group that failed
 * earlier; `t` is then unchanged).
 */
EMBER_NODISCARD ember_status ember_dist_all_reduce(ember_dist_group *g, ember_tensor *t, ember_dist_reduce_op op);

/**
 * Copies `t` on rank `root` into `t` on every other rank
 * (torch.distributed.broadcast). Any dtype; same shape and dtype on every
 * rank. Errors: INVALID_HANDLE; INVALID_ARGUMENT (root outside 0 .. world
 * size - 1); OUT_OF_MEMORY; IO (an MPI error, a timeout, a group that failed
 * earlier).
 */
EMBER_NODISCARD ember_status ember_dist_broadcast(ember_dist_group *g, ember_tensor *t, int64_t root);

/**
 * Gathers `input` from every rank into `output` on every rank, in rank order
 * (torch.distributed.all_gather_into_tensor): `output` has the dtype of
 * `input` and world size times its elements, and receives, row-major, rank
 * 0's elements, then rank 1's, ... (so an output of shape [world, *input
 * shape] or [world * n, ...] for an input [n, ...]). Any dtype. `input` is
 * borrowed. Errors: INVALID_HANDLE; DTYPE (dtypes differ); SHAPE (output's
 * element count is not world size times input's); OUT_OF_MEMORY; IO.
 */
EMBER_NODISCARD ember_status ember_dist_all_gather(ember_dist_group *g, const ember_tensor *input, ember_tensor *output);

/**
 * The work of ember_dist_run_on_rank: returns EMBER_OK, or a failure status
 * after ember_set_last_error.
 */
typedef ember_status (*ember_dist_task)(void *user_data);

/**
 * Runs `task(user_data)` on rank `root` only, and returns on every rank once
 * it has finished, with its status on every rank (a failure's message
 * reaches the other ranks as "rank <root>: <message>"). For rank-0-only
 * checkpointing: save on rank 0, and no rank reads the file before it is
 * written. Every rank must call it. Errors: INVALID_HANDLE; INVALID_ARGUMENT
 * (NULL task on the root, root out of range); the task's own status; IO (an
 * MPI error, a timeout, a group that failed earlier).
 */
EMBER_NODISCARD ember_status ember_dist_run_on_rank(ember_dist_group *g, int64_t root, ember_dist_task task, void *user_data);

/**
 * Ends every process of the job with `error_code` (MPI_Abort on the group's
 * communicator) -- the way out after an EMBER_ERR_IO from a group, when the
 * other ranks may be stuck or gone. Does not return for a valid handle;
 * returns INVALID_HANDLE otherwise.
 */
EMBER_NODISCARD ember_status ember_dist_abort(ember_dist_group *g, int error_code);

/**
 * Releases a group handle. NULL is a no-op. Wrappers and samplers made over
 * the group keep it alive. Freeing the last one frees its communicator and,
 * if this library initialised MPI, finalises MPI (skipped after a
 * communication failure, when finalising could wait for a dead rank).
 */
void ember_dist_group_free(ember_dist_group *g);

/* ---------------------------------------------------------------------------
 * Data-parallel training (torch.nn.parallel.DistributedDataParallel).
 *
 * Each rank holds a full copy of the model and trains it on its own part of
 * every batch; gradients are averaged over the ranks after each backward, so
 * every rank makes the same update and the copies stay equal -- the same
 * training as one process on the whole batch. Gradients are averaged in
 * buckets of about "bucket_cap_mb" megabytes (parameters taken in reverse
 * order, as backward produces their gradients; one dtype per bucket; the
 * first bucket, the last layers, at most "first_bucket_cap_mb", so that
 * communication starts early, as in torch). A
 * gradient hook on every parameter copies its gradient into its bucket as
 * backward produces it, and a bucket's all-reduce (MPI_Iallreduce) starts as
 * soon as all of its gradients are there, while backward continues with the
 * earlier layers. ember_ddp_finish_backward then waits for the last buckets
 * and writes the averages into the parameters' grads.
 */

/**
 * Wraps `module` for data-parallel training over `g`: checks that every rank
 * has the same parameters and buffers (names, shapes, dtypes), copies rank
 * 0's values of all of them to every rank (torch's broadcast at
 * construction), lays out the gradient buckets and registers a gradient hook
 * on every parameter that requires grad. Every rank must call it. The wrapper
 * keeps the group and the module alive. Options (ember_ddp_set):
 * "bucket_cap_mb" (25), "first_bucket_cap_mb" (1), "broadcast_buffers" (1),
 * "find_unused_parameters" (0), "no_sync" (0). The caller owns `*out`.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (the models differ between ranks;
 * a module without parameters); OUT_OF_MEMORY; IO.
 */
EMBER_NODISCARD ember_status ember_ddp_new(ember_dist_group *g, ember_module *module, ember_ddp **out);

/**
 * Runs the module on `input` (ddp(input) in torch): first, with
 * "broadcast_buffers", copies rank 0's buffers (e.g. batch-norm running
 * statistics) to every rank, as torch does before each forward. A module
 * without buffers communicates nothing here. Calling ember_module_forward on
 * the module directly is equivalent apart from that broadcast. The caller
 * owns `*out`. Errors: INVALID_HANDLE; the module's forward's; IO.
 */
EMBER_NODISCARD ember_status ember_ddp_forward(ember_ddp *ddp, const ember_tensor *input, ember_tensor **out);

/**
 * Completes the gradient averaging of the backward that just ran: starts the
 * all-reduce of every bucket not yet started (a parameter that received no
 * gradient on this rank counts as zero there), waits for all of them (bounded
 * by the group's timeout), and sets every parameter's grad to the average
 * over the ranks of what it would otherwise be locally (its accumulated grad
 * included). A parameter without a grad on this rank gets one (the average),
 * except, with "find_unused_parameters", one that no rank used, which stays
 * without. Call it after every backward and before the optimizer step, on
 * every rank; with "no_sync" set it does nothing (gradients then accumulate
 * locally and are averaged at the first synchronised backward, as in torch's
 * no_sync()). Errors: INVALID_HANDLE; IO (an MPI error, a timeout, a group
 * that failed earlier); errors of the libember calls that write the grads.
 */
EMBER_NODISCARD ember_status ember_ddp_finish_backward(ember_ddp *ddp);

/**
 * ember_tensor_backward(loss, NULL) followed by ember_ddp_finish_backward:
 * loss.backward() under torch's DDP. If the backward fails, the gradient
 * all-reduces are still completed (so the ranks stay in step) and the
 * backward's status and message are returned.
 */
EMBER_NODISCARD ember_status ember_ddp_backward(ember_ddp *ddp, const ember_tensor *loss);

/**
 * Sets an option by name: "bucket_cap_mb" and "first_bucket_cap_mb" (in
 * MiB, > 0; the buckets are laid out again; not between a backward and its
 * ember_ddp_finish_backward),
 * "broadcast_buffers" (0 or 1), "find_unused_parameters" (0 or 1: also
 * all-reduce a flag per parameter, so that a parameter no rank used keeps no
 * grad, at the cost of one more small all-reduce per step), "no_sync" (0 or
 * 1: skip gradient averaging, for gradient accumulation). Set options alike on
 * every rank. Errors: INVALID_HANDLE; INVALID_ARGUMENT (an unknown name: the
 * message lists the valid ones; a bad value); STATE (a bucket cap,
 * find_unused_parameters or no_sync during a backward).
 */
EMBER_NODISCARD ember_status ember_ddp_set(ember_ddp *ddp, const char *name, double value);

/**
 * Reads an option or statistic by name: the options of ember_ddp_set, and
 * "buckets" (the number of buckets), "parameters" (parameters that require
 * grad), "bytes_per_step" (bytes each rank contributes to all-reduces per
 * synchronised step), "steps" (synchronised steps so far), "early_buckets"
 * (how many bucket all-reduces started during backward, before
 * ember_ddp_finish_backward: the overlapped ones),
 * "finish_wait_seconds" (total time ember_ddp_finish_backward spent waiting
 * for the network), "bucket_bytes.<i>" (the size of bucket i).
 * Errors as ember_ddp_set; `*out` is 0 on failure.
 */
EMBER_NODISCARD ember_status ember_ddp_get(const ember_ddp *ddp, const char *name, double *out);

/** A new handle to the wrapped module, owned by the caller. Errors: INVALID_HANDLE. */
EMBER_NODISCARD ember_status ember_ddp_module(const ember_ddp *ddp, ember_module **out);

/**
 * Releases a wrapper handle: removes its gradient hooks (the module trains
 * locally again). NULL is a no-op. After a communication failure the buffers
 * of unfinished all-reduces are not freed (MPI may still write into them).
 */
void ember_ddp_free(ember_ddp *ddp);

/* ---------------------------------------------------------------------------
 * Distributed sampling (torch.utils.data.distributed.DistributedSampler).
 *
 * For a data set of n rows and R ranks, each epoch: a permutation of 0 .. n-1
 * (shuffle) or 0 .. n-1 in order, drawn from seed + epoch, the same on every
 * rank; without drop_last it is padded by repeating its start to
 * ceil(n / R) * R indices, with drop_last cut to floor(n / R) * R; rank r takes
 * every R-th index starting at r. The shards are disjoint (apart from the
 * padding) and cover the data set. Torch's rules exactly, but Ember's
 * permutation (a Fisher-Yates shuffle driven by splitmix64), not torch.randperm's.
 */

/**
 * A sampler over `dataset_size` rows for this rank of `g` (or, with g NULL,
 * for rank 0 of 1: set "num_replicas" and "rank" to play any rank). The
 * epoch starts at 0; set "epoch" at the start of each epoch to reshuffle
 * (torch's set_epoch). The sampler keeps `g` alive. The caller owns `*out`.
 * Errors: INVALID_HANDLE (a non-NULL invalid g); INVALID_ARGUMENT (dataset_size
 * < 0).
 */
EMBER_NODISCARD ember_status ember_dist_sampler_new(const ember_dist_group *g, int64_t dataset_size, bool shuffle, uint64_t seed,
                                                    bool drop_last, ember_dist_sampler **out);

/**
 * Sets an option by name: "epoch" (>= 0, a whole number), "num_replicas"
 * (>= 1), "rank" (0 .. num_replicas - 1). Errors: INVALID_HANDLE;
 * INVALID_ARGUMENT (an unknown name: the message lists the valid ones; a bad value).
 */
EMBER_NODISCARD ember_status ember_dist_sampler_set(ember_dist_sampler *s, const char *name, double value);

/**
 * Reads by name: "epoch", "num_replicas", "rank", "seed", "shuffle",
 * "drop_last", "dataset_size", "len" (indices per rank per epoch,
 * len(sampler)), "total_size" (len times num_replicas). Errors as
 * ember_dist_sampler_set; `*out` is 0 on failure.
 */
EMBER_NODISCARD ember_status ember_dist_sampler_get(const ember_dist_sampler *s, const char *name, double *out);

/**
 * This rank's row indices for the current epoch, in visiting order: a new
 * 1-D int64 tensor of "len" elements (list(iter(sampler))), owned by the
 * caller. Errors: INVALID_HANDLE; OUT_OF_MEMORY.
 */
EMBER_NODISCARD ember_status ember_dist_sampler_indices(const ember_dist_sampler *s, ember_tensor **out);

/**
 * A data loader over this rank's rows of `inputs` and `targets` for the
 * current epoch, in the sampler's order, in batches of `batch_size`
 * (DataLoader(dataset, batch_size, sampler=sampler)); the rows are copied
 * (ember_index_select). Make a new one after each set of "epoch". The caller
 * owns `*out`. Errors: INVALID_HANDLE; SHAPE (the tensors do not have
 * dataset_size rows); INVALID_ARGUMENT (batch_size < 1); OUT_OF_MEMORY.
 */
EMBER_NODISCARD ember_status ember_dist_sampler_loader(const ember_dist_sampler *s, const ember_tensor *inputs, const ember_tensor *targets,
                                                       int64_t batch_size, ember_dataloader **out);

/** Releases a sampler handle. NULL is a no-op. */
void ember_dist_sampler_free(ember_dist_sampler *s);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_DIST_H */
