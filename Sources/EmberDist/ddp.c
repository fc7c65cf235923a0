/* Data-parallel training: gradient buckets filled by gradient hooks during
   backward, all-reduced (MPI_Iallreduce) as soon as each bucket is complete,
   and written back as averages by ember_ddp_finish_backward. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MAX_NAME 512
#define MAX_DIMS 12

struct ddp;

typedef struct dparam {
    struct ddp *owner;      /* the hook's context is the parameter itself */
    int index;
    char name[MAX_NAME];
    ember_tensor *tensor;   /* our handle to the live parameter */
    int64_t shape[MAX_DIMS];
    int64_t ndim;
    ember_dtype dtype;
    size_t count, bytes;
    int64_t hook_id;
    int hooked;
    int bucket;
    size_t offset;          /* bytes into its bucket */
    int ready;              /* its gradient arrived in this backward */
    int has_grad;           /* it has a grad this step (arrived, or accumulated earlier) */
} dparam;

typedef struct bucket {
    int *members;           /* parameter indices, in the order backward is expected to fill them */
    int nmembers, pending;
    ember_dtype dtype;
    MPI_Datatype type;
    size_t elsize, count, bytes;
    void *send, *recv;
    MPI_Request *reqs;
    int nreq, launched;
} bucket;

typedef struct ddp {
    group *g;
    ember_module *holder;   /* a Sequential holding the module: keeps it alive */
    ember_module *module;
    dparam *params;
    int nparams;
    ember_tensor **buffers;
    int nbuffers;
    size_t buffer_bytes;
    bucket *buckets;
    int nbuckets, next_launch;
    double bucket_cap_mb, first_bucket_cap_mb;
    int broadcast_buffers, find_unused, no_sync;
    int in_step;            /* a hook ran since the last finish */
    int passthrough;        /* hooks ignore gradients (while grads are being set) */
    unsigned char *used, *used_all;
    MPI_Request used_req;
    void *scratch;
    size_t scratch_bytes;
    int64_t steps;
    int64_t early_buckets;  /* buckets whose all-reduce started inside backward */
    double wait_seconds;
} ddp;

static const char *HOOK = "ember_ddp (gradient hook)";

/* ---- buckets */

static void free_buckets(ddp *d) {
    for (int i = 0; i < d->nbuckets; i++) {
        bucket *b = &d->buckets[i];
        free(b->members);
        /* An all-reduce that failed may still write into its buffers. */
        if (!(d->g->failed && b->launched)) {
            free(b->send);
            free(b->recv);
            free(b->reqs);
        }
    }
    free(d->buckets);
    d->buckets = NULL;
    d->nbuckets = 0;
}

/* Lays out the buckets: parameters in reverse order (the order backward tends
   to produce their gradients), a new bucket when the dtype changes or the
   next gradient would pass the cap (a parameter larger than the cap gets one
   of its own). As in torch, the first bucket -- the last layers, whose
   gradients come first -- has a smaller cap, so communication starts early. */
static ember_status build_buckets(ddp *d, const char *fn) {
    free_buckets(d);
    size_t cap = (size_t)(d->bucket_cap_mb * 1024.0 * 1024.0);
    size_t first_cap = (size_t)(d->first_bucket_cap_mb * 1024.0 * 1024.0);
    if (cap == 0) cap = 1;
    if (first_cap == 0) first_cap = 1;
    if (first_cap > cap) first_cap = cap;
    d->buckets = calloc((size_t)(d->nparams ? d->nparams : 1), sizeof *d->buckets);
    if (!d->buckets) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate the buckets", fn);
    bucket *b = NULL;
    for (int i = d->nparams - 1; i >= 0; i--) {
        dparam *p = &d->params[i];
        size_t limit = d->nbuckets == 1 ? first_cap : cap;
        if (!b || b->dtype != p->dtype || (b->bytes > 0 && b->bytes + p->bytes > limit)) {
            b = &d->buckets[d->nbuckets++];
            b->dtype = p->dtype;
            b->type = mpi_type(p->dtype, &b->elsize);
            b->members = calloc((size_t)d->nparams, sizeof *b->members);
            if (!b->members) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate the buckets", fn);
        }
        p->bucket = (int)(b - d->buckets);
        p->offset = b->bytes;
        b->members[b->nmembers++] = i;
        b->count += p->count;
        b->bytes += p->bytes;
    }
    for (int i = 0; i < d->nbuckets; i++) {
        bucket *b = &d->buckets[i];
        b->pending = b->nmembers;
        b->send = malloc(b->bytes ? b->bytes : 1);
        b->recv = malloc(b->bytes ? b->bytes : 1);
        b->reqs = malloc((size_t)chunk_count(b->count) * sizeof *b->reqs);
        if (!b->send || !b->recv || !b->reqs)
            return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes for bucket %d", fn, 2 * b->bytes, i);
        for (int k = 0; k < chunk_count(b->count); k++) b->reqs[k] = MPI_REQUEST_NULL;
    }
    d->next_launch = 0;
    return EMBER_OK;
}

/* Starts the all-reduce of every complete bucket that is next in order:
   buckets start in index order on every rank, so MPI sees the collectives in
   the same order everywhere whatever order gradients arrive in. */
static ember_status launch_ready(ddp *d, const char *fn, int in_backward) {
    while (d->next_launch < d->nbuckets && d->buckets[d->next_launch].pending == 0) {
        bucket *b = &d->buckets[d->next_launch];
        ember_status status = start_allreduce(d->g, fn, b->send, b->recv, b->count, b->type, MPI_SUM, b->reqs, &b->nreq);
        b->launched = 1;
        if (status != EMBER_OK) return status;
        d->next_launch++;
        d->early_buckets += in_backward;
    }
    return EMBER_OK;
}

/* Lets MPI move the started all-reduces along (it progresses only inside MPI calls). */
static ember_status poke(ddp *d, const char *fn) {
    for (int i = 0; i < d->next_launch; i++) {
        ember_status status = group_poke(d->g, fn, d->buckets[i].reqs, d->buckets[i].nreq);
        if (status != EMBER_OK) return status;
    }
    return EMBER_OK;
}

static void add_into(void *dst, const void *src, ember_dtype dtype, size_t count) {
    if (dtype == EMBER_FLOAT32) {
        float *a = dst;
        const float *b = src;
        for (size_t i = 0; i < count; i++) a[i] += b[i];
    } else {
        double *a = dst;
        const double *b = src;
        for (size_t i = 0; i < count; i++) a[i] += b[i];
    }
}

/* Writes into `seg` what the parameter's grad holds now (zeros if none), plus `incoming` if not NULL. */
static ember_status stage_gradient(ddp *d, dparam *p, const ember_tensor *incoming, char *seg, const char *fn) {
    ember_tensor *prev = NULL;
    ember_status status = ember_tensor_grad(p->tensor, &prev);
    if (status != EMBER_OK) return wrap(status, fn);
    if (prev) {
        status = ember_tensor_copy_to(prev, seg, p->bytes);
        ember_tensor_free(prev);
        if (status != EMBER_OK) return wrap(status, fn);
        p->has_grad = 1;
        if (incoming) {
            if ((status = ember_tensor_copy_to(incoming, d->scratch, p->bytes)) != EMBER_OK) return wrap(status, fn);
            add_into(seg, d->scratch, p->dtype, p->count);
        }
    } else if (incoming) {
        if ((status = ember_tensor_copy_to(incoming, seg, p->bytes)) != EMBER_OK) return wrap(status, fn);
        p->has_grad = 1;
    } else {
        memset(seg, 0, p->bytes);
    }
    return EMBER_OK;
}

static ember_status grad_hook(const ember_tensor *grad, void *user_data, ember_tensor **replacement) {
    (void)replacement;
    dparam *p = user_data;
    ddp *d = p->owner;
    if (d->passthrough || d->no_sync) return EMBER_OK;
    ember_status status = group_check(d->g, HOOK);
    if (status != EMBER_OK) return status;
    if (p->ready)
        return fail(EMBER_ERR_STATE,
                    "%s: parameter \"%s\" received a second gradient before ember_ddp_finish_backward; call it after "
                    "every backward (set \"no_sync\" to accumulate gradients over several backwards)",
                    HOOK, p->name);
    bucket *b = &d->buckets[p->bucket];
    if ((status = stage_gradient(d, p, grad, (char *)b->send + p->offset, HOOK)) != EMBER_OK) return status;
    p->ready = 1;
    d->in_step = 1;
    if (--b->pending == 0 && (status = launch_ready(d, HOOK, 1)) != EMBER_OK) return status;
    return poke(d, HOOK);
}

/* ---- set-up */

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Hashes a tensor's name, dtype and shape into h. */
static uint64_t describe_tensor(uint64_t h, const char *name, const ember_tensor *t, int64_t *shape, int64_t *ndim,
                                ember_dtype *dtype, size_t *bytes) {
    *ndim = ember_tensor_ndim(t);
    *dtype = ember_tensor_dtype(t);
    size_t elsize = 0;
    mpi_type(*dtype, &elsize);
    *bytes = (size_t)ember_tensor_numel(t) * elsize;
    if (*ndim < 0 || *ndim > MAX_DIMS || ember_tensor_shape(t, shape, MAX_DIMS) != EMBER_OK) *ndim = 0;
    h = fnv(h, name, strlen(name) + 1);
    int32_t dt = (int32_t)*dtype;
    h = fnv(h, &dt, sizeof dt);
    h = fnv(h, ndim, sizeof *ndim);
    return fnv(h, shape, (size_t)*ndim * sizeof *shape);
}

/* Packs `tensors`, broadcasts them from rank 0 and unpacks them elsewhere. */
static ember_status broadcast_tensors(ddp *d, ember_tensor **tensors, const size_t *bytes, int n, size_t total,
                                      const char *fn, const char *what) {
    if (n == 0 || d->g->size == 1) return EMBER_OK;
    char *buf = malloc(total ? total : 1);
    if (!buf) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes to broadcast %s", fn, total, what);
    ember_status status = EMBER_OK;
    size_t offset = 0;
    if (d->g->rank == 0) {
        for (int i = 0; i < n && status == EMBER_OK; i++) {
            status = wrap(ember_tensor_copy_to(tensors[i], buf + offset, bytes[i]), fn);
            offset += bytes[i];
        }
        if (status != EMBER_OK) {
            /* The other ranks wait for the broadcast: give them one anyway, then report. */
            ember_status s = group_bcast_bytes(d->g, fn, what, buf, total, 0);
            if (s == EMBER_OK) free(buf);
            return status;
        }
    }
    status = group_bcast_bytes(d->g, fn, what, buf, total, 0);
    if (status != EMBER_OK) return status;   /* buf may still be written: leaked */
    offset = 0;
    if (d->g->rank != 0) {
        for (int i = 0; i < n && status == EMBER_OK; i++) {
            status = wrap(ember_tensor_copy_from(tensors[i], buf + offset, bytes[i]), fn);
            offset += bytes[i];
        }
    }
    free(buf);
    return status;
}

static void ddp_destroy(ddp *d) {
    for (int i = 0; i < d->nparams; i++) {
        dparam *p = &d->params[i];
        if (p->hooked && ember_tensor_remove_hook(p->tensor, p->hook_id) != EMBER_OK) { /* tensor gone: nothing to remove */ }
        ember_tensor_free(p->tensor);
    }
    for (int i = 0; i < d->nbuffers; i++) ember_tensor_free(d->buffers[i]);
    free_buckets(d);
    free(d->params);
    free(d->buffers);
    if (!(d->g->failed && d->find_unused)) {
        free(d->used);
        free(d->used_all);
    }
    free(d->scratch);
    ember_module_free(d->module);
    ember_module_free(d->holder);
    group_release(d->g);
    free(d);
}

ember_status ember_ddp_new(ember_dist_group *gh, ember_module *module, ember_ddp **out) {
    static const char *fn = "ember_ddp_new";
    if (!out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `out` is NULL", fn);
    *out = NULL;
    group *g = handle_get(gh, KIND_GROUP, fn, "g");
    if (!g) return EMBER_ERR_INVALID_HANDLE;
    ember_status status = group_check(g, fn);
    if (status != EMBER_OK) return status;
    int64_t total_params = ember_module_parameter_count(module);
    int64_t total_buffers = ember_module_buffer_count(module);
    if (total_params < 0 || total_buffers < 0) return fail(EMBER_ERR_INVALID_HANDLE, "%s: `module`: %s", fn, ember_last_error());

    int nall = 0;           /* handles in `all`, freed at the end */
    size_t all_total = 0;
    ddp *d = calloc(1, sizeof *d);
    if (!d) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate the wrapper", fn);
    d->g = g;
    group_retain(g);
    d->bucket_cap_mb = 25;
    d->first_bucket_cap_mb = 1;
    d->broadcast_buffers = 1;
    d->used_req = MPI_REQUEST_NULL;
    d->params = calloc((size_t)(total_params ? total_params : 1), sizeof *d->params);
    d->buffers = calloc((size_t)(total_buffers ? total_buffers : 1), sizeof *d->buffers);
    ember_tensor **all = calloc((size_t)(total_params + total_buffers + 1), sizeof *all);
    size_t *all_bytes = calloc((size_t)(total_params + total_buffers + 1), sizeof *all_bytes);
    if (!d->params || !d->buffers || !all || !all_bytes) {
        status = fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate the parameter table", fn);
        goto failed;
    }
    if ((status = wrap(ember_sequential_new(&d->holder), fn)) != EMBER_OK) goto failed;
    if ((status = wrap(ember_sequential_append(d->holder, module), fn)) != EMBER_OK) goto failed;
    if ((status = wrap(ember_module_child(d->holder, "0", &d->module), fn)) != EMBER_OK) goto failed;

    /* Parameters (those that require grad are trained and synchronised) and
       buffers, with a hash of names, dtypes and shapes to compare across ranks. */
    uint64_t h = 1469598103934665603ULL;
    char name[MAX_NAME];
    for (int64_t i = 0; i < total_params; i++) {
        ember_tensor *t = NULL;
        if ((status = wrap(ember_module_parameter_at(module, i, name, sizeof name, &t), fn)) != EMBER_OK) goto failed;
        int64_t shape[MAX_DIMS], ndim;
        ember_dtype dtype;
        size_t bytes;
        h = describe_tensor(h, name, t, shape, &ndim, &dtype, &bytes);
        all[nall] = t;
        all_bytes[nall++] = bytes;
        all_total += bytes;
        int trained = ember_tensor_requires_grad(t);
        h = fnv(h, &trained, sizeof trained);
        if (!trained) continue;
        dparam *p = &d->params[d->nparams];
        p->owner = d;
        p->index = d->nparams++;
        snprintf(p->name, sizeof p->name, "%s", name);
        if ((status = wrap(ember_tensor_retain(t, &p->tensor), fn)) != EMBER_OK) goto failed;
        memcpy(p->shape, shape, sizeof shape);
        p->ndim = ndim;
        p->dtype = dtype;
        p->count = (size_t)ember_tensor_numel(t);
        p->bytes = bytes;
        if (bytes > d->scratch_bytes) d->scratch_bytes = bytes;
    }
    for (int64_t i = 0; i < total_buffers; i++) {
        ember_tensor *t = NULL;
        if ((status = wrap(ember_module_buffer_at(module, i, name, sizeof name, &t), fn)) != EMBER_OK) goto failed;
        int64_t shape[MAX_DIMS], ndim;
        ember_dtype dtype;
        size_t bytes;
        h = describe_tensor(h, name, t, shape, &ndim, &dtype, &bytes);
        all[nall] = t;
        if ((status = wrap(ember_tensor_retain(t, &d->buffers[d->nbuffers]), fn)) != EMBER_OK) { nall++; goto failed; }
        d->nbuffers++;
        d->buffer_bytes += bytes;
        all_bytes[nall++] = bytes;
        all_total += bytes;
    }
    if (d->nparams == 0) {
        status = fail(EMBER_ERR_INVALID_ARGUMENT, "%s: the module has no parameter that requires grad", fn);
        goto failed;
    }

    /* Same model everywhere? max(h) == h and max(~h) == ~h on every rank iff all hashes agree. */
    uint64_t mine[2] = {h, ~h}, most[2] = {0, 0};
    MPI_Request req;
    int rc = MPI_Iallreduce(mine, most, 2, MPI_UINT64_T, MPI_MAX, g->comm, &req);
    if (rc != MPI_SUCCESS) { status = group_mpi_fail(g, fn, "MPI_Iallreduce", rc); goto failed; }
    if ((status = group_wait(g, fn, "the model check", &req, 1, NULL)) != EMBER_OK) goto failed;
    if (most[0] != mine[0] || most[1] != mine[1]) {
        status = fail(EMBER_ERR_INVALID_ARGUMENT,
                      "%s: the model differs between ranks (names, shapes or dtypes of its parameters and buffers); "
                      "every rank must build the same model", fn);
        goto failed;
    }
    if ((status = broadcast_tensors(d, all, all_bytes, nall, all_total, fn, "the parameters and buffers")) != EMBER_OK)
        goto failed;

    d->scratch = malloc(d->scratch_bytes ? d->scratch_bytes : 1);
    d->used = calloc((size_t)d->nparams, 1);
    d->used_all = calloc((size_t)d->nparams, 1);
    if (!d->scratch || !d->used || !d->used_all) {
        status = fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes of scratch", fn, d->scratch_bytes);
        goto failed;
    }
    if ((status = build_buckets(d, fn)) != EMBER_OK) goto failed;
    for (int i = 0; i < d->nparams; i++) {
        dparam *p = &d->params[i];
        status = wrap(ember_tensor_register_hook(p->tensor, grad_hook, p, NULL, &p->hook_id), fn);
        if (status != EMBER_OK) goto failed;
        p->hooked = 1;
    }
    for (int i = 0; i < nall; i++) ember_tensor_free(all[i]);
    free(all);
    free(all_bytes);
    *out = handle_new(KIND_DDP, d);
    if (!*out) {
        ddp_destroy(d);
        return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate a handle", fn);
    }
    return EMBER_OK;

failed:
    if (all) {
        for (int i = 0; i < nall; i++) ember_tensor_free(all[i]);
    }
    free(all);
    free(all_bytes);
    {
        /* ddp_destroy frees the module handles and the group reference; keep the message. */
        char message[1024];
        snprintf(message, sizeof message, "%s", ember_last_error());
        ddp_destroy(d);
        ember_set_last_error(message);
    }
    return status;
}

/* ---- training */

ember_status ember_ddp_forward(ember_ddp *handle, const ember_tensor *input, ember_tensor **out) {
    static const char *fn = "ember_ddp_forward";
    if (out) *out = NULL;
    ddp *d = handle_get(handle, KIND_DDP, fn, "ddp");
    if (!d) return EMBER_ERR_INVALID_HANDLE;
    if (!out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `out` is NULL", fn);
    ember_status status = group_check(d->g, fn);
    if (status != EMBER_OK) return status;
    if (d->broadcast_buffers && d->nbuffers > 0) {
        size_t *bytes = malloc((size_t)d->nbuffers * sizeof *bytes);
        if (!bytes) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate", fn);
        for (int i = 0; i < d->nbuffers; i++) {
            size_t elsize = 0;
            mpi_type(ember_tensor_dtype(d->buffers[i]), &elsize);
            bytes[i] = (size_t)ember_tensor_numel(d->buffers[i]) * elsize;
        }
        status = broadcast_tensors(d, d->buffers, bytes, d->nbuffers, d->buffer_bytes, fn, "the buffers");
        free(bytes);
        if (status != EMBER_OK) return status;
    }
    return wrap(ember_module_forward(d->module, input, out), fn);
}

ember_status ember_ddp_finish_backward(ember_ddp *handle) {
    static const char *fn = "ember_ddp_finish_backward";
    ddp *d = handle_get(handle, KIND_DDP, fn, "ddp");
    if (!d) return EMBER_ERR_INVALID_HANDLE;
    if (d->no_sync) return EMBER_OK;
    ember_status status = group_check(d->g, fn);
    if (status != EMBER_OK) return status;

    /* Parameters whose gradient did not arrive contribute what their grad holds (or zeros). */
    for (int i = 0; i < d->nparams; i++) {
        dparam *p = &d->params[i];
        if (p->ready) continue;
        bucket *b = &d->buckets[p->bucket];
        if ((status = stage_gradient(d, p, NULL, (char *)b->send + p->offset, fn)) != EMBER_OK) return status;
        b->pending--;
    }
    if ((status = launch_ready(d, fn, 0)) != EMBER_OK) return status;

    int nreq = 0;
    for (int i = 0; i < d->nbuckets; i++) nreq += d->buckets[i].nreq;
    MPI_Request *reqs = malloc((size_t)(nreq + 1) * sizeof *reqs);
    if (!reqs) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate requests", fn);
    nreq = 0;
    for (int i = 0; i < d->nbuckets; i++)
        for (int k = 0; k < d->buckets[i].nreq; k++) reqs[nreq++] = d->buckets[i].reqs[k];
    if (d->find_unused) {
        for (int i = 0; i < d->nparams; i++) d->used[i] = (unsigned char)d->params[i].has_grad;
        int rc = MPI_Iallreduce(d->used, d->used_all, d->nparams, MPI_UNSIGNED_CHAR, MPI_MAX, d->g->comm, &d->used_req);
        if (rc != MPI_SUCCESS) { free(reqs); return group_mpi_fail(d->g, fn, "MPI_Iallreduce", rc); }
        reqs[nreq++] = d->used_req;
    }
    status = group_wait(d->g, fn, "the gradient all-reduce", reqs, nreq, &d->wait_seconds);
    free(reqs);
    if (status != EMBER_OK) return status;

    /* Averages into the grads. */
    for (int i = 0; i < d->nparams && status == EMBER_OK; i++) {
        dparam *p = &d->params[i];
        bucket *b = &d->buckets[p->bucket];
        char *avg = (char *)b->recv + p->offset;
        if (p->dtype == EMBER_FLOAT32) {
            float *v = (float *)avg, n = (float)d->g->size;
            for (size_t k = 0; k < p->count; k++) v[k] /= n;
        } else {
            double *v = (double *)avg, n = (double)d->g->size;
            for (size_t k = 0; k < p->count; k++) v[k] /= n;
        }
        if (p->has_grad) {
            ember_tensor *grad = NULL;
            status = wrap(ember_tensor_grad(p->tensor, &grad), fn);
            if (status == EMBER_OK && grad) status = wrap(ember_tensor_copy_from(grad, avg, p->bytes), fn);
            ember_tensor_free(grad);
        } else if (!d->find_unused || d->used_all[i]) {
            /* No grad here but one elsewhere: give it one, by a backward from the
               parameter itself with the average as its gradient. */
            ember_tensor *value = NULL;
            status = wrap(ember_tensor_from_data(avg, p->dtype, p->shape, p->ndim, &value), fn);
            if (status == EMBER_OK) {
                d->passthrough = 1;
                status = wrap(ember_tensor_backward(p->tensor, value), fn);
                d->passthrough = 0;
            }
            ember_tensor_free(value);
        }
    }
    for (int i = 0; i < d->nparams; i++) d->params[i].ready = d->params[i].has_grad = 0;
    for (int i = 0; i < d->nbuckets; i++) {
        d->buckets[i].pending = d->buckets[i].nmembers;
        d->buckets[i].launched = 0;
        d->buckets[i].nreq = 0;
    }
    d->next_launch = 0;
    d->in_step = 0;
    d->steps++;
    return status;
}

ember_status ember_ddp_backward(ember_ddp *handle, const ember_tensor *loss) {
    static const char *fn = "ember_ddp_backward";
    ddp *d = handle_get(handle, KIND_DDP, fn, "ddp");
    if (!d) return EMBER_ERR_INVALID_HANDLE;
    ember_status status = ember_tensor_backward(loss, NULL);
    if (status == EMBER_OK) return ember_ddp_finish_backward(handle);
    char message[1024];
    snprintf(message, sizeof message, "%s: %s", fn, ember_last_error());
    /* Keep the ranks in step: the others are all-reducing this step's gradients. */
    if (ember_ddp_finish_backward(handle) != EMBER_OK) { /* the backward's failure is the one reported */ }
    ember_set_last_error(message);
    return status;
}

/* ---- options */

static ember_status read_flag(const char *fn, const char *name, double value, int *flag) {
    if (value != 0 && value != 1)
        return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: \"%s\" is 0 or 1, got %g", fn, name, value);
    *flag = value != 0;
    return EMBER_OK;
}

ember_status ember_ddp_set(ember_ddp *handle, const char *name, double value) {
    static const char *fn = "ember_ddp_set";
    ddp *d = handle_get(handle, KIND_DDP, fn, "ddp");
    if (!d) return EMBER_ERR_INVALID_HANDLE;
    if (!name) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `name` is NULL", fn);
    if (strcmp(name, "bucket_cap_mb") == 0 || strcmp(name, "first_bucket_cap_mb") == 0) {
        if (!(value > 0) || !isfinite(value) || value > 1e9)
            return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: %s must be positive, got %g", fn, name, value);
        if (d->in_step)
            return fail(EMBER_ERR_STATE, "%s: cannot change %s between a backward and ember_ddp_finish_backward", fn, name);
        double *field = name[0] == 'b' ? &d->bucket_cap_mb : &d->first_bucket_cap_mb, old = *field;
        *field = value;
        ember_status status = build_buckets(d, fn);
        if (status != EMBER_OK) {
            *field = old;
            char message[1024];
            snprintf(message, sizeof message, "%s", ember_last_error());
            if (build_buckets(d, fn) != EMBER_OK) { /* out of memory twice: reported below */ }
            ember_set_last_error(message);
        }
        return status;
    }
    if (strcmp(name, "broadcast_buffers") == 0) return read_flag(fn, name, value, &d->broadcast_buffers);
    if (strcmp(name, "find_unused_parameters") == 0) {
        if (d->in_step)
            return fail(EMBER_ERR_STATE, "%s: cannot change find_unused_parameters between a backward and ember_ddp_finish_backward", fn);
        return read_flag(fn, name, value, &d->find_unused);
    }
    if (strcmp(name, "no_sync") == 0) {
        if (d->in_step)
            return fail(EMBER_ERR_STATE, "%s: cannot change no_sync between a backward and ember_ddp_finish_backward", fn);
        return read_flag(fn, name, value, &d->no_sync);
    }
    return fail(EMBER_ERR_INVALID_ARGUMENT,
                "%s: unknown option \"%s\"; valid options: bucket_cap_mb, first_bucket_cap_mb, broadcast_buffers, find_unused_parameters, no_sync",
                fn, name);
}

ember_status ember_ddp_get(const ember_ddp *handle, const char *name, double *out) {
    static const char *fn = "ember_ddp_get";
    if (out) *out = 0;
    ddp *d = handle_get(handle, KIND_DDP, fn, "ddp");
    if (!d) return EMBER_ERR_INVALID_HANDLE;
    if (!name || !out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `%s` is NULL", fn, name ? "out" : "name");
    if (strcmp(name, "bucket_cap_mb") == 0) *out = d->bucket_cap_mb;
    else if (strcmp(name, "first_bucket_cap_mb") == 0) *out = d->first_bucket_cap_mb;
    else if (strcmp(name, "broadcast_buffers") == 0) *out = d->broadcast_buffers;
    else if (strcmp(name, "find_unused_parameters") == 0) *out = d->find_unused;
    else if (strcmp(name, "no_sync") == 0) *out = d->no_sync;
    else if (strcmp(name, "buckets") == 0) *out = d->nbuckets;
    else if (strcmp(name, "parameters") == 0) *out = d->nparams;
    else if (strcmp(name, "steps") == 0) *out = (double)d->steps;
    else if (strcmp(name, "finish_wait_seconds") == 0) *out = d->wait_seconds;
    else if (strcmp(name, "early_buckets") == 0) *out = (double)d->early_buckets;
    else if (strcmp(name, "bytes_per_step") == 0) {
        double total = d->find_unused ? (double)d->nparams : 0;
        for (int i = 0; i < d->nbuckets; i++) total += (double)d->buckets[i].bytes;
        *out = total;
    } else if (strncmp(name, "bucket_bytes.", 13) == 0) {
        char *end = NULL;
        long i = strtol(name + 13, &end, 10);
        if (!end || *end || end == name + 13 || i < 0 || i >= d->nbuckets)
            return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: \"%s\": there are buckets 0 .. %d", fn, name, d->nbuckets - 1);
        *out = (double)d->buckets[i].bytes;
    } else
        return fail(EMBER_ERR_INVALID_ARGUMENT,
                    "%s: unknown name \"%s\"; valid names: bucket_cap_mb, first_bucket_cap_mb, broadcast_buffers, find_unused_parameters, "
                    "no_sync, buckets, parameters, bytes_per_step, steps, early_buckets, finish_wait_seconds, bucket_bytes.<i>",
                    fn, name);
    return EMBER_OK;
}

ember_status ember_ddp_module(const ember_ddp *handle, ember_module **out) {
    static const char *fn = "ember_ddp_module";
    if (out) *out = NULL;
    ddp *d = handle_get(handle, KIND_DDP, fn, "ddp");
    if (!d) return EMBER_ERR_INVALID_HANDLE;
    if (!out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `out` is NULL", fn);
    return wrap(ember_module_child(d->holder, "0", out), fn);
}

void ember_ddp_free(ember_ddp *handle) {
    if (!handle) return;
    ddp *d = handle_release(handle, KIND_DDP);
    if (d) ddp_destroy(d);
}
