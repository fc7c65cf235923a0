/* Collectives on Ember tensors: barrier, all-reduce, broadcast, all-gather,
   and running a task on one rank. Tensors cross through a row-major staging
   buffer (ember_tensor_copy_to / copy_from), so any layout works and views
   write through to their storage. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* The tensor's element count, dtype, MPI type and byte size, or a failure. */
static ember_status describe(const char *fn, const char *arg, const ember_tensor *t, size_t *count, ember_dtype *dtype,
                             MPI_Datatype *type, size_t *bytes) {
    int64_t n = ember_tensor_numel(t);
    if (n < 0) return fail(EMBER_ERR_INVALID_HANDLE, "%s: `%s`: %s", fn, arg, ember_last_error());
    *dtype = ember_tensor_dtype(t);
    size_t elsize = 0;
    *type = mpi_type(*dtype, &elsize);
    if (*type == MPI_DATATYPE_NULL) return fail(EMBER_ERR_DTYPE, "%s: `%s` has an unsupported dtype", fn, arg);
    if ((uint64_t)n > SIZE_MAX / elsize) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: `%s` is too large", fn, arg);
    *count = (size_t)n;
    *bytes = (size_t)n * elsize;
    return EMBER_OK;
}

static void *staging(const char *fn, size_t bytes, ember_status *status) {
    void *p = malloc(bytes ? bytes : 1);
    *status = p ? EMBER_OK : fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", fn, bytes);
    return p;
}

ember_status ember_dist_barrier(ember_dist_group *handle) {
    static const char *fn = "ember_dist_barrier";
    group *g = handle_get(handle, KIND_GROUP, fn, "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    ember_status status = group_check(g, fn);
    if (status != EMBER_OK) return status;
    MPI_Request req;
    int rc = MPI_Ibarrier(g->comm, &req);
    if (rc != MPI_SUCCESS) return group_mpi_fail(g, fn, "MPI_Ibarrier", rc);
    return group_wait(g, fn, "the barrier", &req, 1, NULL);
}

ember_status ember_dist_all_reduce(ember_dist_group *handle, ember_tensor *t, ember_dist_reduce_op op) {
    static const char *fn = "ember_dist_all_reduce";
    group *g = handle_get(handle, KIND_GROUP, fn, "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    size_t count, bytes;
    ember_dtype dtype;
    MPI_Datatype type;
    ember_status status = describe(fn, "t", t, &count, &dtype, &type, &bytes);
    if (status != EMBER_OK) return status;
    MPI_Op mop;
    int is_bool = dtype == EMBER_BOOL;
    switch (op) {
    case EMBER_DIST_SUM: mop = is_bool ? MPI_LOR : MPI_SUM; break;
    case EMBER_DIST_MEAN:
        if (dtype != EMBER_FLOAT32 && dtype != EMBER_FLOAT64)
            return fail(EMBER_ERR_DTYPE, "%s: EMBER_DIST_MEAN needs a floating tensor, `t` is %s (use EMBER_DIST_SUM)",
                        fn, ember_dtype_name(dtype));
        mop = MPI_SUM;
        break;
    case EMBER_DIST_MAX: mop = is_bool ? MPI_LOR : MPI_MAX; break;
    case EMBER_DIST_MIN: mop = is_bool ? MPI_LAND : MPI_MIN; break;
    default: return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: unknown reduce op %d (valid: 0 SUM, 1 MEAN, 2 MAX, 3 MIN)", fn, (int)op);
    }
    if ((status = group_check(g, fn)) != EMBER_OK) return status;
    void *buf = staging(fn, bytes, &status);
    if (!buf) return status;
    if ((status = wrap(ember_tensor_copy_to(t, buf, bytes), fn)) != EMBER_OK) { free(buf); return status; }

    int n = chunk_count(count);
    MPI_Request stack[4], *reqs = n <= 4 ? stack : malloc((size_t)n * sizeof *reqs);
    if (!reqs) { free(buf); return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate requests", fn); }
    int started = 0;
    status = start_allreduce(g, fn, MPI_IN_PLACE, buf, count, type, mop, reqs, &started);
    if (status == EMBER_OK) status = group_wait(g, fn, "the all-reduce", reqs, started, NULL);
    if (reqs != stack) free(reqs);
    /* A failed collective may still write into buf: it is not freed then. */
    if (status != EMBER_OK) return status;
    if (op == EMBER_DIST_MEAN) {
        if (dtype == EMBER_FLOAT32) {
            float *p = buf, d = (float)g->size;
            for (size_t i = 0; i < count; i++) p[i] /= d;
        } else {
            double *p = buf, d = (double)g->size;
            for (size_t i = 0; i < count; i++) p[i] /= d;
        }
    }
    status = wrap(ember_tensor_copy_from(t, buf, bytes), fn);
    free(buf);
    return status;
}

ember_status ember_dist_broadcast(ember_dist_group *handle, ember_tensor *t, int64_t root) {
    static const char *fn = "ember_dist_broadcast";
    group *g = handle_get(handle, KIND_GROUP, fn, "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    size_t count, bytes;
    ember_dtype dtype;
    MPI_Datatype type;
    ember_status status = describe(fn, "t", t, &count, &dtype, &type, &bytes);
    if (status != EMBER_OK) return status;
    if (root < 0 || root >= g->size)
        return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: root %lld is not a rank of this group of %d", fn, (long long)root,
                    g->size);
    if ((status = group_check(g, fn)) != EMBER_OK) return status;
    void *buf = staging(fn, bytes, &status);
    if (!buf) return status;
    if (g->rank == root && (status = wrap(ember_tensor_copy_to(t, buf, bytes), fn)) != EMBER_OK) {
        free(buf);
        return status;
    }
    status = group_bcast_bytes(g, fn, "the broadcast", buf, bytes, (int)root);
    if (status != EMBER_OK) return status;
    if (g->rank != root) status = wrap(ember_tensor_copy_from(t, buf, bytes), fn);
    free(buf);
    return status;
}

ember_status ember_dist_all_gather(ember_dist_group *handle, const ember_tensor *input, ember_tensor *output) {
    static const char *fn = "ember_dist_all_gather";
    group *g = handle_get(handle, KIND_GROUP, fn, "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    size_t count, bytes, out_count, out_bytes;
    ember_dtype dtype, out_dtype;
    MPI_Datatype type, out_type;
    ember_status status = describe(fn, "input", input, &count, &dtype, &type, &bytes);
    if (status != EMBER_OK) return status;
    if ((status = describe(fn, "output", output, &out_count, &out_dtype, &out_type, &out_bytes)) != EMBER_OK) return status;
    if (dtype != out_dtype)
        return fail(EMBER_ERR_DTYPE, "%s: `input` is %s but `output` is %s", fn, ember_dtype_name(dtype),
                    ember_dtype_name(out_dtype));
    if (count > SIZE_MAX / (size_t)g->size || out_count != count * (size_t)g->size)
        return fail(EMBER_ERR_SHAPE, "%s: `output` has %zu elements; it needs world size (%d) times `input`'s %zu", fn,
                    out_count, g->size, count);
    if (count > (size_t)INT32_MAX)
        return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `input` has %zu elements; at most %d per rank", fn, count, INT32_MAX);
    if ((status = group_check(g, fn)) != EMBER_OK) return status;
    void *send = staging(fn, bytes, &status);
    if (!send) return status;
    void *recv = staging(fn, out_bytes, &status);
    if (!recv) { free(send); return status; }
    if ((status = wrap(ember_tensor_copy_to(input, send, bytes), fn)) != EMBER_OK) { free(send); free(recv); return status; }
    MPI_Request req;
    int rc = MPI_Iallgather(send, (int)count, type, recv, (int)count, type, g->comm, &req);
    if (rc != MPI_SUCCESS) { free(send); free(recv); return group_mpi_fail(g, fn, "MPI_Iallgather", rc); }
    if ((status = group_wait(g, fn, "the all-gather", &req, 1, NULL)) != EMBER_OK) return status;
    status = wrap(ember_tensor_copy_from(output, recv, out_bytes), fn);
    free(send);
    free(recv);
    return status;
}

ember_status ember_dist_run_on_rank(ember_dist_group *handle, int64_t root, ember_dist_task task, void *user_data) {
    static const char *fn = "ember_dist_run_on_rank";
    group *g = handle_get(handle, KIND_GROUP, fn, "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    if (root < 0 || root >= g->size)
        return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: root %lld is not a rank of this group of %d", fn, (long long)root,
                    g->size);
    ember_status status = group_check(g, fn);
    if (status != EMBER_OK) return status;
    /* The root's outcome, broadcast: its status, then its message. On the
       heap: a failed broadcast may still write into it, and is then leaked. */
    typedef struct { int32_t status; char message[988]; } task_outcome;
    task_outcome *outcome = calloc(1, sizeof *outcome);
    if (!outcome) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", fn, sizeof *outcome);
    if (g->rank == root) {
        ember_status s;
        if (!task) s = fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `task` is NULL on the root", fn);
        else s = task(user_data);
        outcome->status = (int32_t)s;
        if (s != EMBER_OK) snprintf(outcome->message, sizeof outcome->message, "%s", ember_last_error());
    }
    status = group_bcast_bytes(g, fn, "the root's task", outcome, sizeof *outcome, (int)root);
    if (status != EMBER_OK) return status;
    ember_status result = (ember_status)outcome->status;
    if (result == EMBER_OK) { free(outcome); return EMBER_OK; }
    if (g->rank == root) status = fail(result, "%s", outcome->message);
    else status = fail(result, "%s: rank %lld: %s", fn, (long long)root, outcome->message);
    free(outcome);
    return status;
}
