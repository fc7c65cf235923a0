/* Data-parallel training speed: steps per second and bytes all-reduced per
   step, for the digits CNN (13.7k parameters) and a larger MLP (1.9M; with
   one 25 MB bucket, then with 1 MB buckets), at a fixed per-rank batch. Run it under mpirun with 1 and 2 ranks (make
   dist-bench); every rank uses one thread.

   usage: bench_dist [steps] [per-rank batch] [cnn|mlp|all] */
#define _POSIX_C_SOURCE 200809L
#include <ember_dist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, ember_last_error()); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static ember_module *build(const char *const (*layers)[2], int n) {
    ember_module *model;
    CHECK(ember_module_new("Sequential", "", &model));
    for (int i = 0; i < n; i++) {
        ember_module *layer;
        CHECK(ember_module_new(layers[i][0], layers[i][1], &layer));
        CHECK(ember_sequential_append(model, layer));
        ember_module_free(layer);
    }
    return model;
}

static void run(ember_dist_group *g, const char *label, ember_module *model, const int64_t *xshape, int64_t xdims,
                int64_t batch, int steps, double bucket_cap_mb) {
    int64_t rank = ember_dist_rank(g), world = ember_dist_world_size(g);
    ember_ddp *ddp;
    CHECK(ember_ddp_new(g, model, &ddp));
    CHECK(ember_ddp_set(ddp, "bucket_cap_mb", bucket_cap_mb));
    ember_optimizer *opt;
    CHECK(ember_sgd_new(model, 0.01, &opt));
    CHECK(ember_optimizer_set(opt, "momentum", 0.9));
    ember_tensor *x, *y;
    const int64_t yshape[] = {batch};
    CHECK(ember_tensor_randn(xshape, xdims, EMBER_FLOAT32, &x));
    CHECK(ember_tensor_randint(0, 10, yshape, 1, &y));
    double start = 0;
    int warmup = steps / 10;
    for (int s = 0; s < warmup + steps; s++) {
        if (s == warmup) {
            CHECK(ember_dist_barrier(g));
            start = now();
        }
        ember_tensor *logits, *loss;
        CHECK(ember_ddp_forward(ddp, x, &logits));
        CHECK(ember_cross_entropy(logits, y, &loss));
        CHECK(ember_optimizer_zero_grad(opt));
        CHECK(ember_ddp_backward(ddp, loss));
        CHECK(ember_optimizer_step(opt));
        ember_tensor_free(logits);
        ember_tensor_free(loss);
    }
    CHECK(ember_dist_barrier(g));
    double elapsed = now() - start, bytes, buckets, waited, early;
    CHECK(ember_ddp_get(ddp, "bytes_per_step", &bytes));
    CHECK(ember_ddp_get(ddp, "buckets", &buckets));
    CHECK(ember_ddp_get(ddp, "finish_wait_seconds", &waited));
    CHECK(ember_ddp_get(ddp, "early_buckets", &early));
    if (rank == 0)
        printf("%-10s ranks %lld  batch %lld/rank (%lld/step)  %8.1f steps/s  %9.0f samples/s  %9.0f bytes/step/rank "
               "in %g bucket(s) of <= %g MB (%.1f started in backward per step)  finish wait %.2f ms/step\n",
               label, (long long)world, (long long)batch, (long long)(batch * world), steps / elapsed,
               steps * (double)batch * (double)world / elapsed, bytes, buckets, bucket_cap_mb,
               early / (warmup + steps), 1e3 * waited / (warmup + steps));
    ember_tensor_free(x);
    ember_tensor_free(y);
    ember_optimizer_free(opt);
    ember_ddp_free(ddp);
}

/* The communication alone: all-reduces of `count` float32 values (a model's gradients). */
static void allreduce_only(ember_dist_group *g, const char *label, int64_t count, int reps) {
    ember_tensor *t;
    const int64_t shape[] = {count};
    CHECK(ember_tensor_ones(shape, 1, EMBER_FLOAT32, &t));
    CHECK(ember_dist_barrier(g));
    double start = now();
    for (int i = 0; i < reps; i++) CHECK(ember_dist_all_reduce(g, t, EMBER_DIST_SUM));
    double elapsed = now() - start;
    if (ember_dist_rank(g) == 0)
        printf("%-10s ranks %lld  all-reduce of %lld bytes alone: %.3f ms\n", label, (long long)ember_dist_world_size(g),
               (long long)(4 * count), 1e3 * elapsed / reps);
    ember_tensor_free(t);
}

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 300;
    int64_t batch = argc > 2 ? atoll(argv[2]) : 64;
    const char *which = argc > 3 ? argv[3] : "all";
    ember_set_num_threads(1);
    ember_dist_group *g;
    CHECK(ember_dist_init(&g));
    ember_manual_seed(0);

    static const char *const cnn[][2] = {
        {"Conv2d", "1, 16, kernel_size=3, padding=1"}, {"ReLU", ""}, {"MaxPool2d", "2"},
        {"Conv2d", "16, 32, kernel_size=3, padding=1"}, {"ReLU", ""}, {"MaxPool2d", "2"},
        {"Flatten", ""}, {"Linear", "128, 64"}, {"ReLU", ""}, {"Linear", "64, 10"},
    };
    static const char *const mlp[][2] = {
        {"Linear", "784, 1024"}, {"ReLU", ""}, {"Linear", "1024, 1024"}, {"ReLU", ""}, {"Linear", "1024, 10"},
    };
    ember_module *m;
    const int64_t cnn_x[] = {batch, 1, 8, 8};
    if (strcmp(which, "mlp") != 0) {
        m = build(cnn, 10);
        run(g, "digits-cnn", m, cnn_x, 4, batch, steps, 25);
        ember_module_free(m);
        allreduce_only(g, "digits-cnn", 13706, steps);
    }
    const int64_t mlp_x[] = {batch, 784};
    for (int i = 0; i < 2 && strcmp(which, "cnn") != 0; i++) {
        m = build(mlp, 5);
        run(g, "mlp-1.9M", m, mlp_x, 2, batch, steps / 5 > 0 ? steps / 5 : 1, i == 0 ? 25 : 1);
        ember_module_free(m);
    }
    if (strcmp(which, "cnn") != 0) allreduce_only(g, "mlp-1.9M", 1863690, steps / 5 > 0 ? steps / 5 : 1);
    ember_dist_group_free(g);
    return 0;
}
