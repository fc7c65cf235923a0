/* The process group: MPI set-up and tear-down, options, bounded waits. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

#define DEFAULT_TIMEOUT 300.0

/* Groups alive, and whether this library called MPI_Init (and so finalises). */
static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static long live_groups;
static int we_initialised, some_failure;

const char *ember_dist_version(void) { return "0.1.0"; }

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

MPI_Datatype mpi_type(ember_dtype dtype, size_t *elsize) {
    switch (dtype) {
    case EMBER_FLOAT32: *elsize = 4; return MPI_FLOAT;
    case EMBER_FLOAT64: *elsize = 8; return MPI_DOUBLE;
    case EMBER_INT64: *elsize = 8; return MPI_INT64_T;
    case EMBER_BOOL: *elsize = 1; return MPI_C_BOOL;
    }
    *elsize = 0;
    return MPI_DATATYPE_NULL;
}

/* ---- failure bookkeeping */

ember_status group_check(group *g, const char *fn) {
    if (!g->failed) return EMBER_OK;
    return fail(EMBER_ERR_IO, "%s: the group is unusable after an earlier communication failure: %s", fn, g->failure);
}

ember_status group_fail(group *g, const char *fn, const char *fmt, ...) {
    char what[480];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    if (!g->failed) {
        g->failed = 1;
        snprintf(g->failure, sizeof g->failure, "%s", what);
        pthread_mutex_lock(&groups_lock);
        some_failure = 1;
        pthread_mutex_unlock(&groups_lock);
    }
    return fail(EMBER_ERR_IO, "%s: %s", fn, what);
}

ember_status group_mpi_fail(group *g, const char *fn, const char *call, int rc) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error code %d", rc);
    return group_fail(g, fn, "%s failed on rank %d of %d: %s", call, g->rank, g->size, text);
}

/* ---- waiting */

ember_status group_poke(group *g, const char *fn, MPI_Request *reqs, int n) {
    if (n == 0) return EMBER_OK;
    int done = 0;
    int rc = MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
    if (rc != MPI_SUCCESS) return group_mpi_fail(g, fn, "MPI_Testall", rc);
    return EMBER_OK;
}

ember_status group_wait(group *g, const char *fn, const char *what, MPI_Request *reqs, int n, double *waited) {
    double start = now_seconds(), deadline = start + g->timeout;
    long spins = 0;
    long pause_ns = 50000;
    for (;;) {
        int done = 0;
        int rc = n ? MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE) : (done = 1, MPI_SUCCESS);
        if (rc != MPI_SUCCESS) {
            if (waited) *waited += now_seconds() - start;
            return group_mpi_fail(g, fn, what, rc);
        }
        if (done) break;
        double t = now_seconds();
        if (t > deadline) {
            if (waited) *waited += t - start;
            return group_fail(g, fn,
                              "timed out after %.3g s waiting for %s on rank %d of %d: another rank died, hangs, or "
                              "makes different collective calls (raise the group's \"timeout\" if it is only slow)",
                              g->timeout, what, g->rank, g->size);
        }
        /* Test in a tight loop at first (a collective between close peers
           takes microseconds), then yield the core between tests for the
           first 10 ms (ranks may outnumber cores, and the one we wait for may
           need this one), then nap between tests: waiting for a slow rank
           should not burn a core. */
        if (++spins > 1000) {
            if (t - start < 0.01) {
                sched_yield();
            } else {
                struct timespec ts = {0, pause_ns};
                nanosleep(&ts, NULL);
                if (pause_ns < 1000000) pause_ns += pause_ns / 4;
            }
        }
    }
    if (waited) *waited += now_seconds() - start;
    return EMBER_OK;
}

int chunk_count(size_t count) {
    return count == 0 ? 1 : (int)((count + CHUNK_ELEMENTS - 1) / CHUNK_ELEMENTS);
}

ember_status start_allreduce(group *g, const char *fn, const void *send, void *recv, size_t count, MPI_Datatype type,
                             MPI_Op op, MPI_Request *reqs, int *nreq) {
    int size = 0;
    MPI_Type_size(type, &size);
    int n = 0;
    size_t offset = 0;
    do {
        size_t part = count - offset < CHUNK_ELEMENTS ? count - offset : CHUNK_ELEMENTS;
        const void *s = send == MPI_IN_PLACE ? MPI_IN_PLACE : (const char *)send + offset * (size_t)size;
        int rc = MPI_Iallreduce(s, (char *)recv + offset * (size_t)size, (int)part, type, op, g->comm, &reqs[n]);
        if (rc != MPI_SUCCESS) {
            *nreq = n;
            return group_mpi_fail(g, fn, "MPI_Iallreduce", rc);
        }
        n++;
        offset += part;
    } while (offset < count);
    *nreq = n;
    return EMBER_OK;
}

ember_status group_bcast_bytes(group *g, const char *fn, const char *what, void *buf, size_t bytes, int root) {
    int n = chunk_count(bytes);
    MPI_Request stack[4], *reqs = n <= 4 ? stack : malloc((size_t)n * sizeof *reqs);
    if (!reqs) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate %d MPI requests", fn, n);
    int started = 0;
    size_t offset = 0;
    ember_status status = EMBER_OK;
    do {
        size_t part = bytes - offset < CHUNK_ELEMENTS ? bytes - offset : CHUNK_ELEMENTS;
        int rc = MPI_Ibcast((char *)buf + offset, (int)part, MPI_BYTE, root, g->comm, &reqs[started]);
        if (rc != MPI_SUCCESS) { status = group_mpi_fail(g, fn, "MPI_Ibcast", rc); break; }
        started++;
        offset += part;
    } while (offset < bytes);
    if (status == EMBER_OK) status = group_wait(g, fn, what, reqs, started, NULL);
    if (reqs != stack) free(reqs);
    return status;
}

/* ---- set-up and tear-down */

static ember_status read_timeout(double *out) {
    const char *env = getenv("EMBER_DIST_TIMEOUT");
    *out = DEFAULT_TIMEOUT;
    if (!env || !*env) return EMBER_OK;
    char *end = NULL;
    errno = 0;
    double v = strtod(env, &end);
    if (errno || end == env || *end || !(v > 0) || !isfinite(v))
        return fail(EMBER_ERR_INVALID_ARGUMENT,
                    "ember_dist_init: EMBER_DIST_TIMEOUT=\"%s\" is not a positive number of seconds", env);
    *out = v;
    return EMBER_OK;
}

ember_status ember_dist_init(ember_dist_group **out) {
    static const char *fn = "ember_dist_init";
    if (!out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `out` is NULL", fn);
    *out = NULL;
    double timeout;
    ember_status status = read_timeout(&timeout);
    if (status != EMBER_OK) return status;

    int initialised = 0, finalised = 0;
    MPI_Finalized(&finalised);
    if (finalised)
        return fail(EMBER_ERR_STATE, "%s: MPI was already finalised in this process (by freeing the last group, or by "
                                     "the program) and cannot be initialised again", fn);
    MPI_Initialized(&initialised);
    if (!initialised) {
        int provided = 0;
        int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
        if (rc != MPI_SUCCESS) return fail(EMBER_ERR_IO, "%s: MPI_Init_thread failed (MPI error code %d)", fn, rc);
        /* Errors of calls on MPI_COMM_WORLD (ours go to a duplicate) return too. */
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
        pthread_mutex_lock(&groups_lock);
        we_initialised = 1;
        pthread_mutex_unlock(&groups_lock);
    }

    group *g = calloc(1, sizeof *g);
    if (!g) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate the group", fn);
    g->timeout = timeout;
    g->refs = 1;
    g->comm = MPI_COMM_NULL;
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &g->comm);
    if (rc != MPI_SUCCESS) {
        free(g);
        char text[MPI_MAX_ERROR_STRING];
        int length = 0;
        MPI_Error_string(rc, text, &length);
        return fail(EMBER_ERR_IO, "%s: MPI_Comm_dup failed: %s", fn, text);
    }
    MPI_Comm_set_errhandler(g->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(g->comm, &g->rank);
    MPI_Comm_size(g->comm, &g->size);

    /* The ranks on this machine: those that can share memory with this one. */
    MPI_Comm local = MPI_COMM_NULL;
    rc = MPI_Comm_split_type(g->comm, MPI_COMM_TYPE_SHARED, g->rank, MPI_INFO_NULL, &local);
    if (rc != MPI_SUCCESS) {
        status = group_mpi_fail(g, fn, "MPI_Comm_split_type", rc);
        MPI_Comm_free(&g->comm);
        free(g);
        return status;
    }
    MPI_Comm_rank(local, &g->local_rank);
    MPI_Comm_size(local, &g->local_size);
    MPI_Comm_free(&local);

    void *handle = handle_new(KIND_GROUP, g);
    if (!handle) {
        MPI_Comm_free(&g->comm);
        free(g);
        return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate a handle", fn);
    }
    pthread_mutex_lock(&groups_lock);
    live_groups++;
    pthread_mutex_unlock(&groups_lock);
    *out = handle;
    return EMBER_OK;
}

void group_retain(group *g) { g->refs++; }

void group_release(group *g) {
    if (--g->refs > 0) return;
    if (!g->failed) MPI_Comm_free(&g->comm);
    free(g);
    pthread_mutex_lock(&groups_lock);
    int finalise = --live_groups == 0 && we_initialised && !some_failure;
    pthread_mutex_unlock(&groups_lock);
    /* After a failure MPI_Finalize may wait for a dead rank: leave it. */
    if (finalise) {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (!finalised) MPI_Finalize();
    }
}

void ember_dist_group_free(ember_dist_group *handle) {
    if (!handle) return;
    group *g = handle_release(handle, KIND_GROUP);
    if (g) group_release(g);
}

ember_status ember_dist_abort(ember_dist_group *handle, int error_code) {
    group *g = handle_get(handle, KIND_GROUP, "ember_dist_abort", "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    fflush(NULL);
    MPI_Abort(g->comm, error_code);
    return fail(EMBER_ERR_IO, "ember_dist_abort: MPI_Abort returned");
}

/* ---- queries and options */

#define GROUP_QUERY(name, field)                                        \
    int64_t name(const ember_dist_group *handle) {                      \
        group *g = handle_get(handle, KIND_GROUP, #name, "g");          \
        return g ? (int64_t)g->field : -1;                              \
    }
GROUP_QUERY(ember_dist_rank, rank)
GROUP_QUERY(ember_dist_world_size, size)
GROUP_QUERY(ember_dist_local_rank, local_rank)
GROUP_QUERY(ember_dist_local_world_size, local_size)

ember_status ember_dist_group_set(ember_dist_group *handle, const char *name, double value) {
    static const char *fn = "ember_dist_group_set";
    group *g = handle_get(handle, KIND_GROUP, fn, "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    if (!name) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `name` is NULL", fn);
    if (strcmp(name, "timeout") == 0) {
        if (!(value > 0) || !isfinite(value))
            return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: timeout must be a positive number of seconds, got %g", fn, value);
        g->timeout = value;
        return EMBER_OK;
    }
    return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: unknown option \"%s\"; the settable option is \"timeout\"", fn, name);
}

ember_status ember_dist_group_get(const ember_dist_group *handle, const char *name, double *out) {
    static const char *fn = "ember_dist_group_get";
    if (out) *out = 0;
    group *g = handle_get(handle, KIND_GROUP, fn, "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    if (!name || !out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `%s` is NULL", fn, name ? "out" : "name");
    if (strcmp(name, "timeout") == 0) *out = g->timeout;
    else if (strcmp(name, "rank") == 0) *out = g->rank;
    else if (strcmp(name, "world_size") == 0) *out = g->size;
    else if (strcmp(name, "local_rank") == 0) *out = g->local_rank;
    else if (strcmp(name, "local_world_size") == 0) *out = g->local_size;
    else if (strcmp(name, "failed") == 0) *out = g->failed;
    else
        return fail(EMBER_ERR_INVALID_ARGUMENT,
                    "%s: unknown name \"%s\"; valid names: timeout, rank, world_size, local_rank, local_world_size, failed",
                    fn, name);
    return EMBER_OK;
}
