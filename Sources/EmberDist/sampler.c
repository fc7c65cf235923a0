/* The distributed sampler: torch's DistributedSampler rules (padding,
   drop_last, rank r takes every R-th index from r) over a per-epoch
   permutation drawn from seed + epoch. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

typedef struct sampler {
    group *g;               /* may be NULL */
    int64_t n, replicas, rank, epoch;
    uint64_t seed;
    int shuffle, drop_last;
} sampler;

/* Indices per rank per epoch (torch's num_samples). */
static int64_t per_rank(const sampler *s) {
    if (s->drop_last && s->n % s->replicas != 0) return s->n / s->replicas;
    return (s->n + s->replicas - 1) / s->replicas;
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform integer in [0, bound), without modulo bias. */
static uint64_t below(uint64_t *state, uint64_t bound) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do x = splitmix64(state); while (x >= limit);
    return x % bound;
}

ember_status ember_dist_sampler_new(const ember_dist_group *gh, int64_t dataset_size, bool shuffle, uint64_t seed,
                                    bool drop_last, ember_dist_sampler **out) {
    static const char *fn = "ember_dist_sampler_new";
    if (!out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `out` is NULL", fn);
    *out = NULL;
    group *g = NULL;
    if (gh && !(g = handle_get(gh, KIND_GROUP, fn, "g"))) return EMBER_ERR_INVALID_HANDLE;
    if (dataset_size < 0) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: dataset_size is %lld", fn, (long long)dataset_size);
    sampler *s = calloc(1, sizeof *s);
    if (!s) return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate the sampler", fn);
    s->g = g;
    s->n = dataset_size;
    s->replicas = g ? g->size : 1;
    s->rank = g ? g->rank : 0;
    s->seed = seed;
    s->shuffle = shuffle;
    s->drop_last = drop_last;
    *out = handle_new(KIND_SAMPLER, s);
    if (!*out) {
        free(s);
        return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate a handle", fn);
    }
    if (g) group_retain(g);
    return EMBER_OK;
}

ember_status ember_dist_sampler_set(ember_dist_sampler *handle, const char *name, double value) {
    static const char *fn = "ember_dist_sampler_set";
    sampler *s = handle_get(handle, KIND_SAMPLER, fn, "s");
    if (!s) return EMBER_ERR_INVALID_HANDLE;
    if (!name) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `name` is NULL", fn);
    int whole = isfinite(value) && value == floor(value) && fabs(value) < 9e15;
    if (strcmp(name, "epoch") == 0) {
        if (!whole || value < 0) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: epoch must be a whole number >= 0, got %g", fn, value);
        s->epoch = (int64_t)value;
    } else if (strcmp(name, "num_replicas") == 0) {
        if (!whole || value < 1) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: num_replicas must be a whole number >= 1, got %g", fn, value);
        if (s->rank >= (int64_t)value)
            return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: num_replicas %g leaves no room for rank %lld; set the rank first",
                        fn, value, (long long)s->rank);
        s->replicas = (int64_t)value;
    } else if (strcmp(name, "rank") == 0) {
        if (!whole || value < 0 || value >= (double)s->replicas)
            return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: rank must be a whole number in 0 .. %lld, got %g", fn,
                        (long long)(s->replicas - 1), value);
        s->rank = (int64_t)value;
    } else {
        return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: unknown option \"%s\"; valid options: epoch, num_replicas, rank", fn, name);
    }
    return EMBER_OK;
}

ember_status ember_dist_sampler_get(const ember_dist_sampler *handle, const char *name, double *out) {
    static const char *fn = "ember_dist_sampler_get";
    if (out) *out = 0;
    sampler *s = handle_get(handle, KIND_SAMPLER, fn, "s");
    if (!s) return EMBER_ERR_INVALID_HANDLE;
    if (!name || !out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `%s` is NULL", fn, name ? "out" : "name");
    if (strcmp(name, "epoch") == 0) *out = (double)s->epoch;
    else if (strcmp(name, "num_replicas") == 0) *out = (double)s->replicas;
    else if (strcmp(name, "rank") == 0) *out = (double)s->rank;
    else if (strcmp(name, "seed") == 0) *out = (double)s->seed;
    else if (strcmp(name, "shuffle") == 0) *out = s->shuffle;
    else if (strcmp(name, "drop_last") == 0) *out = s->drop_last;
    else if (strcmp(name, "dataset_size") == 0) *out = (double)s->n;
    else if (strcmp(name, "len") == 0) *out = (double)per_rank(s);
    else if (strcmp(name, "total_size") == 0) *out = (double)(per_rank(s) * s->replicas);
    else
        return fail(EMBER_ERR_INVALID_ARGUMENT,
                    "%s: unknown name \"%s\"; valid names: epoch, num_replicas, rank, seed, shuffle, drop_last, "
                    "dataset_size, len, total_size", fn, name);
    return EMBER_OK;
}

ember_status ember_dist_sampler_indices(const ember_dist_sampler *handle, ember_tensor **out) {
    static const char *fn = "ember_dist_sampler_indices";
    if (out) *out = NULL;
    sampler *s = handle_get(handle, KIND_SAMPLER, fn, "s");
    if (!s) return EMBER_ERR_INVALID_HANDLE;
    if (!out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `out` is NULL", fn);
    int64_t len = per_rank(s), total = len * s->replicas;
    int64_t *order = malloc((size_t)(s->n ? s->n : 1) * sizeof *order);
    int64_t *mine = malloc((size_t)(len ? len : 1) * sizeof *mine);
    if (!order || !mine) {
        free(order);
        free(mine);
        return fail(EMBER_ERR_OUT_OF_MEMORY, "%s: cannot allocate %lld indices", fn, (long long)s->n);
    }
    for (int64_t i = 0; i < s->n; i++) order[i] = i;
    if (s->shuffle) {
        uint64_t state = s->seed + (uint64_t)s->epoch;
        for (int64_t i = s->n - 1; i > 0; i--) {
            int64_t j = (int64_t)below(&state, (uint64_t)i + 1);
            int64_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
    /* Position k of the padded (repeating from the start) or cut list is
       order[k mod n]; this rank takes positions rank, rank + R, ... */
    for (int64_t k = 0; k < len; k++) {
        int64_t position = s->rank + k * s->replicas;
        mine[k] = position < total && s->n > 0 ? order[position % s->n] : 0;
    }
    int64_t shape[1] = {len};
    ember_status status = wrap(ember_tensor_from_data(mine, EMBER_INT64, shape, 1, out), fn);
    free(order);
    free(mine);
    return status;
}

ember_status ember_dist_sampler_loader(const ember_dist_sampler *handle, const ember_tensor *inputs, const ember_tensor *targets,
                                       int64_t batch_size, ember_dataloader **out) {
    static const char *fn = "ember_dist_sampler_loader";
    if (out) *out = NULL;
    sampler *s = handle_get(handle, KIND_SAMPLER, fn, "s");
    if (!s) return EMBER_ERR_INVALID_HANDLE;
    if (!out) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: `out` is NULL", fn);
    if (batch_size < 1) return fail(EMBER_ERR_INVALID_ARGUMENT, "%s: batch_size is %lld", fn, (long long)batch_size);
    int64_t rows_in = ember_tensor_ndim(inputs) > 0 ? ember_tensor_size(inputs, 0) : -1;
    int64_t rows_t = ember_tensor_ndim(targets) > 0 ? ember_tensor_size(targets, 0) : -1;
    if (ember_tensor_numel(inputs) < 0) return fail(EMBER_ERR_INVALID_HANDLE, "%s: `inputs`: %s", fn, ember_last_error());
    if (ember_tensor_numel(targets) < 0) return fail(EMBER_ERR_INVALID_HANDLE, "%s: `targets`: %s", fn, ember_last_error());
    if (rows_in != s->n || rows_t != s->n)
        return fail(EMBER_ERR_SHAPE, "%s: the sampler is over %lld rows but `inputs` has %lld and `targets` %lld", fn,
                    (long long)s->n, (long long)rows_in, (long long)rows_t);
    ember_tensor *index = NULL, *x = NULL, *y = NULL;
    ember_status status = ember_dist_sampler_indices(handle, &index);
    if (status == EMBER_OK) status = wrap(ember_index_select(inputs, 0, index, &x), fn);
    if (status == EMBER_OK) status = wrap(ember_index_select(targets, 0, index, &y), fn);
    if (status == EMBER_OK) status = wrap(ember_dataloader_new(x, y, batch_size, false, out), fn);
    ember_tensor_free(index);
    ember_tensor_free(x);
    ember_tensor_free(y);
    return status;
}

void ember_dist_sampler_free(ember_dist_sampler *handle) {
    if (!handle) return;
    sampler *s = handle_release(handle, KIND_SAMPLER);
    if (!s) return;
    if (s->g) group_release(s->g);
    free(s);
}
