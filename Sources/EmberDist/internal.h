/* Internals of libember_dist shared by its C files: handles, errors, the
   process group and bounded waits on MPI requests. Not installed. */
#ifndef EMBER_DIST_INTERNAL_H
#define EMBER_DIST_INTERNAL_H

#include <mpi.h>
#include <stdarg.h>
#include <stddef.h>
#include "ember_dist.h"

/* Every exported function is listed in the linker version script
   (tools/ember_dist.map); everything else stays local. */

/* ---- handles: slot-table entries, as libember's ([kind:8][generation:24][slot+1:32]) */

typedef enum handle_kind { KIND_GROUP = 0x71, KIND_DDP = 0x72, KIND_SAMPLER = 0x73 } handle_kind;

/* A new handle for `object`, or NULL when the table cannot grow. */
void *handle_new(handle_kind kind, void *object);
/* The object behind `handle`, or NULL (with an INVALID_HANDLE message naming
   `fn` and `arg`) for NULL, stale or wrong-kind handles. */
void *handle_get(const void *handle, handle_kind kind, const char *fn, const char *arg);
/* Invalidates `handle` and returns its object, or NULL for an invalid one. */
void *handle_release(const void *handle, handle_kind kind);

/* ---- errors */

/* Sets the thread's last error (libember's) from a format and returns `status`. */
ember_status fail(ember_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prefixes the last error (set by a failing libember call) with `fn`, keeps `status`. */
ember_status wrap(ember_status status, const char *fn);

/* ---- the group */

typedef struct group {
    MPI_Comm comm;
    int rank, size, local_rank, local_size;
    double timeout;         /* seconds */
    int failed;             /* a wait timed out or MPI failed: unusable */
    char failure[512];      /* what happened, for later calls */
    long refs;              /* the handle's and every wrapper's/sampler's */
} group;

/* Takes and drops references to a group (freeing it with the last). */
void group_retain(group *g);
void group_release(group *g);

/* IO with "`fn`: the group is unusable after an earlier failure: ..." when it failed. */
ember_status group_check(group *g, const char *fn);
/* Marks the group failed with the message built from the arguments and returns IO. */
ember_status group_fail(group *g, const char *fn, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* IO for an MPI error code `rc` returned by `call`; marks the group failed. */
ember_status group_mpi_fail(group *g, const char *fn, const char *call, int rc);

/* Waits for all `n` requests, testing them until the group's timeout; on a
   timeout or an MPI error marks the group failed and returns IO naming `what`.
   Adds the time waited to *waited if not NULL. */
ember_status group_wait(group *g, const char *fn, const char *what, MPI_Request *reqs, int n, double *waited);

/* Drives MPI's progress on `n` requests without waiting (MPI_Testall); an MPI
   error marks the group failed and returns IO. */
ember_status group_poke(group *g, const char *fn, MPI_Request *reqs, int n);

/* The largest element count passed to one MPI call; bigger buffers are split. */
#define CHUNK_ELEMENTS ((size_t)1 << 30)

/* Starts all-reducing `count` elements of `type` from `send` (or MPI_IN_PLACE)
   into `recv`, in chunks of CHUNK_ELEMENTS, writing one request per chunk into
   `reqs` (room for chunk_count(count)) and their number into *nreq. */
ember_status start_allreduce(group *g, const char *fn, const void *send, void *recv, size_t count, MPI_Datatype type,
                             MPI_Op op, MPI_Request *reqs, int *nreq);
int chunk_count(size_t count);

/* MPI datatype and size of an Ember dtype; MPI_DATATYPE_NULL for an unknown one. */
MPI_Datatype mpi_type(ember_dtype dtype, size_t *elsize);

/* Monotonic seconds. */
double now_seconds(void);

/* Blocking broadcast of `bytes` bytes from `root`, in chunks, bounded by the timeout. */
ember_status group_bcast_bytes(group *g, const char *fn, const char *what, void *buf, size_t bytes, int root);

#endif /* EMBER_DIST_INTERNAL_H */
