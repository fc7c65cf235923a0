/* The process group, the collectives, run-on-rank, the sampler and the error
   paths, from C, under mpirun with any number of ranks (make test uses 2). */
#include "dist_test.h"

static ember_tensor *vector(ember_dtype dtype, const void *data, int64_t n) {
    const int64_t shape[] = {n};
    ember_tensor *t;
    OK(ember_tensor_from_data(data, dtype, shape, 1, &t));
    return t;
}

static void test_group(ember_dist_group *g, int rank, int size) {
    EXPECT(rank >= 0 && rank < size);
    EXPECT(ember_dist_local_rank(g) >= 0 && ember_dist_local_rank(g) < ember_dist_local_world_size(g));
    EXPECT(ember_dist_local_world_size(g) <= size);
    const char *env = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    if (env) EXPECT(ember_dist_local_rank(g) == atoi(env));
    double v;
    OK(ember_dist_group_get(g, "world_size", &v));
    EXPECT(v == size);
    OK(ember_dist_group_get(g, "failed", &v));
    EXPECT(v == 0);
    OK(ember_dist_group_set(g, "timeout", 60));
    OK(ember_dist_group_get(g, "timeout", &v));
    EXPECT(v == 60);
    FAILS(ember_dist_group_set(g, "timeout", -1), EMBER_ERR_INVALID_ARGUMENT, "positive");
    FAILS(ember_dist_group_set(g, "timout", 1), EMBER_ERR_INVALID_ARGUMENT, "\"timeout\"");
    FAILS(ember_dist_group_get(g, "nope", &v), EMBER_ERR_INVALID_ARGUMENT, "local_rank");
    EXPECT(v == 0);
    EXPECT(strcmp(ember_dist_version(), "0.1.0") == 0);
    OK(ember_dist_barrier(g));
}

static void test_all_reduce(ember_dist_group *g, int rank, int size) {
    /* rank r holds [r + 1, 10 * (r + 1)]; sum = S, mean = S / size, max = size, min = 1 */
    double s1 = size * (size + 1) / 2.0;
    float f[] = {(float)(rank + 1), (float)(10 * (rank + 1))};
    ember_tensor *t = vector(EMBER_FLOAT32, f, 2);
    OK(ember_dist_all_reduce(g, t, EMBER_DIST_SUM));
    OK(ember_tensor_copy_to(t, f, sizeof f));
    EXPECT(f[0] == (float)s1 && f[1] == (float)(10 * s1));
    ember_tensor_free(t);

    double d[] = {rank + 1.0, 10.0 * (rank + 1)};
    t = vector(EMBER_FLOAT64, d, 2);
    OK(ember_dist_all_reduce(g, t, EMBER_DIST_MEAN));
    OK(ember_tensor_copy_to(t, d, sizeof d));
    EXPECT(fabs(d[0] - s1 / size) < 1e-12 && fabs(d[1] - 10 * s1 / size) < 1e-12);
    ember_tensor_free(t);

    int64_t i[] = {rank + 1, -(rank + 1), (int64_t)1 << 40};
    t = vector(EMBER_INT64, i, 3);
    OK(ember_dist_all_reduce(g, t, EMBER_DIST_MAX));
    OK(ember_tensor_copy_to(t, i, sizeof i));
    EXPECT(i[0] == size && i[1] == -1 && i[2] == (int64_t)1 << 40);
    OK(ember_dist_all_reduce(g, t, EMBER_DIST_MIN));
    OK(ember_dist_all_reduce(g, t, EMBER_DIST_SUM));
    OK(ember_tensor_copy_to(t, i, sizeof i));
    EXPECT(i[0] == (int64_t)size * size && i[2] == ((int64_t)size << 40));
    FAILS(ember_dist_all_reduce(g, t, EMBER_DIST_MEAN), EMBER_ERR_DTYPE, "floating");
    FAILS(ember_dist_all_reduce(g, t, (ember_dist_reduce_op)9), EMBER_ERR_INVALID_ARGUMENT, "unknown reduce op 9");
    ember_tensor_free(t);

    bool b[] = {rank == 0, false, true};
    t = vector(EMBER_BOOL, b, 3);
    OK(ember_dist_all_reduce(g, t, EMBER_DIST_MAX));
    OK(ember_tensor_copy_to(t, b, sizeof b));
    EXPECT(b[0] && !b[1] && b[2]);
    ember_tensor_free(t);

    /* In place through a non-contiguous view: the base sees the result. */
    const float base_data[] = {1, 2, 3, 4, 5, 6};
    const int64_t shape[] = {2, 3};
    ember_tensor *base, *view;
    OK(ember_tensor_from_data(base_data, EMBER_FLOAT32, shape, 2, &base));
    OK(ember_transpose(base, 0, 1, &view));
    OK(ember_dist_all_reduce(g, view, EMBER_DIST_SUM));
    float out[6];
    OK(ember_tensor_copy_to(base, out, sizeof out));
    for (int k = 0; k < 6; k++) EXPECT(out[k] == base_data[k] * (float)size);
    ember_tensor_free(view);
    ember_tensor_free(base);

    /* Empty tensors are fine. */
    ember_tensor *empty = vector(EMBER_FLOAT32, NULL, 0);
    OK(ember_dist_all_reduce(g, empty, EMBER_DIST_SUM));
    ember_tensor_free(empty);
}

static void test_broadcast_gather(ember_dist_group *g, int rank, int size) {
    int64_t v[] = {rank * 100 + 1, rank * 100 + 2};
    ember_tensor *t = vector(EMBER_INT64, v, 2);
    int64_t root = size - 1;
    OK(ember_dist_broadcast(g, t, root));
    OK(ember_tensor_copy_to(t, v, sizeof v));
    EXPECT(v[0] == root * 100 + 1 && v[1] == root * 100 + 2);
    FAILS(ember_dist_broadcast(g, t, size), EMBER_ERR_INVALID_ARGUMENT, "root");
    ember_tensor_free(t);

    double mine[] = {rank, rank + 0.5};
    ember_tensor *in = vector(EMBER_FLOAT64, mine, 2), *out, *bad;
    const int64_t shape[] = {size, 2}, bad_shape[] = {size + 1, 2};
    OK(ember_tensor_zeros(shape, 2, EMBER_FLOAT64, &out));
    OK(ember_dist_all_gather(g, in, out));
    double *all = malloc(sizeof(double) * 2 * (size_t)size);
    OK(ember_tensor_copy_to(out, all, sizeof(double) * 2 * (size_t)size));
    for (int r = 0; r < size; r++) EXPECT(all[2 * r] == r && all[2 * r + 1] == r + 0.5);
    free(all);
    OK(ember_tensor_zeros(bad_shape, 2, EMBER_FLOAT64, &bad));
    FAILS(ember_dist_all_gather(g, in, bad), EMBER_ERR_SHAPE, "world size");
    ember_tensor_free(bad);
    OK(ember_tensor_zeros(shape, 2, EMBER_FLOAT32, &bad));
    FAILS(ember_dist_all_gather(g, in, bad), EMBER_ERR_DTYPE, "float64");
    ember_tensor_free(bad);
    ember_tensor_free(in);
    ember_tensor_free(out);
}

static int saved;
static ember_status save_task(void *user_data) {
    saved++;
    *(int *)user_data = 42;
    return EMBER_OK;
}
static ember_status failing_task(void *user_data) {
    (void)user_data;
    ember_set_last_error("disk full");
    return EMBER_ERR_IO;
}

static void test_run_on_rank(ember_dist_group *g, int rank) {
    int value = 0;
    saved = 0;
    OK(ember_dist_run_on_rank(g, 0, save_task, &value));
    EXPECT(saved == (rank == 0) && value == (rank == 0 ? 42 : 0));
    /* A failure on the root reaches every rank, with its message. */
    FAILS(ember_dist_run_on_rank(g, 0, failing_task, NULL), EMBER_ERR_IO, "disk full");
    FAILS(ember_dist_run_on_rank(g, -1, save_task, NULL), EMBER_ERR_INVALID_ARGUMENT, "root");
}

/* Every index of 0 .. n-1 appears once across the ranks (plus padding), on each rank the same way. */
static void check_sampler(ember_dist_group *g, int size, int64_t n, bool shuffle, bool drop_last) {
    ember_dist_sampler *s;
    OK(ember_dist_sampler_new(g, n, shuffle, 7, drop_last, &s));
    double len, total;
    OK(ember_dist_sampler_get(s, "len", &len));
    OK(ember_dist_sampler_get(s, "total_size", &total));
    int64_t expect_len = drop_last && n % size ? n / size : (n + size - 1) / size;
    EXPECT((int64_t)len == expect_len && (int64_t)total == expect_len * size);
    int64_t *first = NULL;
    for (int epoch = 0; epoch < 2; epoch++) {
        OK(ember_dist_sampler_set(s, "epoch", epoch));
        ember_tensor *idx, *all;
        OK(ember_dist_sampler_indices(s, &idx));
        EXPECT(ember_tensor_numel(idx) == expect_len);
        const int64_t shape[] = {(int64_t)total};
        OK(ember_tensor_zeros(shape, 1, EMBER_INT64, &all));
        OK(ember_dist_all_gather(g, idx, all));
        int64_t *v = malloc(sizeof(int64_t) * (size_t)(total + 1));
        OK(ember_tensor_copy_to(all, v, sizeof(int64_t) * (size_t)total));
        int *seen = calloc((size_t)n + 1, sizeof *seen);
        for (int64_t k = 0; k < (int64_t)total; k++) {
            EXPECT(v[k] >= 0 && v[k] < n);
            if (v[k] >= 0 && v[k] < n) seen[v[k]]++;
        }
        int64_t distinct = 0;
        for (int64_t k = 0; k < n; k++) distinct += seen[k] > 0;
        /* Without drop_last every row is visited; padding repeats the fewest possible. */
        if (!drop_last) EXPECT(distinct == n);
        else EXPECT(distinct == (int64_t)total);
        if (!shuffle) {
            for (int64_t k = 0; k < (int64_t)total; k++) {
                /* all = rank 0's, rank 1's, ...; rank r's k-th is position r + k * size */
                int64_t r = k / expect_len, j = k % expect_len, position = r + j * size;
                EXPECT(v[k] == position % n);
            }
        }
        if (epoch == 0) first = v;
        else {
            if (shuffle && n > 3) EXPECT(memcmp(first, v, sizeof(int64_t) * (size_t)total) != 0);
            free(v);
        }
        free(seen);
        ember_tensor_free(idx);
        ember_tensor_free(all);
    }
    free(first);
    ember_dist_sampler_free(s);
}

static void test_sampler(ember_dist_group *g, int size) {
    check_sampler(g, size, 10, true, false);
    check_sampler(g, size, 11, true, false);
    check_sampler(g, size, 11, true, true);
    check_sampler(g, size, 11, false, false);
    check_sampler(g, size, 1, false, false);

    /* Torch's example: 10 rows, 3 replicas, no shuffle -> [0 3 6 9] [1 4 7 0] [2 5 8 1]. */
    ember_dist_sampler *s;
    OK(ember_dist_sampler_new(NULL, 10, false, 0, false, &s));
    OK(ember_dist_sampler_set(s, "num_replicas", 3));
    OK(ember_dist_sampler_set(s, "rank", 1));
    ember_tensor *idx;
    OK(ember_dist_sampler_indices(s, &idx));
    int64_t v[4];
    OK(ember_tensor_copy_to(idx, v, sizeof v));
    EXPECT(v[0] == 1 && v[1] == 4 && v[2] == 7 && v[3] == 0);
    ember_tensor_free(idx);
    FAILS(ember_dist_sampler_set(s, "rank", 3), EMBER_ERR_INVALID_ARGUMENT, "0 .. 2");
    FAILS(ember_dist_sampler_set(s, "epoch", 0.5), EMBER_ERR_INVALID_ARGUMENT, "whole");
    FAILS(ember_dist_sampler_set(s, "shuffle", 1), EMBER_ERR_INVALID_ARGUMENT, "epoch, num_replicas, rank");

    /* A loader over this rank's rows. */
    float x[10][2];
    int64_t y[10];
    for (int k = 0; k < 10; k++) { x[k][0] = (float)k; x[k][1] = (float)-k; y[k] = k; }
    const int64_t xs[] = {10, 2}, ys[] = {10};
    ember_tensor *tx, *ty, *bx, *by;
    OK(ember_tensor_from_data(x, EMBER_FLOAT32, xs, 2, &tx));
    OK(ember_tensor_from_data(y, EMBER_INT64, ys, 1, &ty));
    ember_dataloader *loader;
    OK(ember_dist_sampler_loader(s, tx, ty, 3, &loader));
    OK(ember_dataloader_next(loader, &bx, &by));
    int64_t got[3];
    OK(ember_tensor_copy_to(by, got, sizeof got));
    EXPECT(got[0] == 1 && got[1] == 4 && got[2] == 7);
    ember_tensor_free(bx);
    ember_tensor_free(by);
    OK(ember_dataloader_next(loader, &bx, &by));
    OK(ember_tensor_copy_to(by, got, sizeof(int64_t)));
    EXPECT(got[0] == 0 && ember_tensor_numel(by) == 1);
    ember_tensor_free(bx);
    ember_tensor_free(by);
    ember_dataloader *none = (ember_dataloader *)1;
    FAILS(ember_dist_sampler_loader(s, tx, tx, 0, &none), EMBER_ERR_INVALID_ARGUMENT, "batch_size");
    EXPECT(none == NULL);
    ember_dataloader_free(loader);
    ember_tensor_free(tx);
    ember_tensor_free(ty);
    ember_dist_sampler_free(s);
    ember_dist_sampler_free(NULL);
}

static void test_handles(ember_dist_group *g) {
    FAILS(ember_dist_barrier(NULL), EMBER_ERR_INVALID_HANDLE, "`g` is NULL");
    EXPECT(ember_dist_rank(NULL) == -1);
    ember_dist_sampler *s;
    OK(ember_dist_sampler_new(g, 4, false, 0, false, &s));
    /* A handle of another kind, and a freed one. */
    FAILS(ember_dist_barrier((ember_dist_group *)s), EMBER_ERR_INVALID_HANDLE, "ember_dist_group");
    ember_dist_sampler_free(s);
    double v;
    FAILS(ember_dist_sampler_get(s, "len", &v), EMBER_ERR_INVALID_HANDLE, "freed");
    ember_dist_sampler_free(s);   /* double free: a no-op */
    ember_ddp *ddp = (ember_ddp *)1;
    FAILS(ember_ddp_new(g, NULL, &ddp), EMBER_ERR_INVALID_HANDLE, "ember_ddp_new");
    EXPECT(ddp == NULL);
    ember_tensor *t;
    const int64_t one[] = {1};
    OK(ember_tensor_zeros(one, 1, EMBER_FLOAT32, &t));
    FAILS(ember_dist_all_reduce(NULL, t, EMBER_DIST_SUM), EMBER_ERR_INVALID_HANDLE, "ember_dist_all_reduce");
    ember_tensor_free(t);
    FAILS(ember_dist_all_reduce(g, t, EMBER_DIST_SUM), EMBER_ERR_INVALID_HANDLE, "`t`");
}

int main(void) {
    ember_set_num_threads(1);
    ember_dist_group *g;
    OK(ember_dist_init(&g));
    my_rank = (int)ember_dist_rank(g);
    int size = (int)ember_dist_world_size(g);
    test_group(g, my_rank, size);
    test_all_reduce(g, my_rank, size);
    test_broadcast_gather(g, my_rank, size);
    test_run_on_rank(g, my_rank);
    test_sampler(g, size);
    test_handles(g);
    return dist_test_done(g, "test_collectives");
}
