/* Micro-benchmarks of the pieces the training workloads are made of, through
   Ember's C API, beside raw OpenBLAS where there is a raw equivalent.

   usage: micro [--threads N] [--only NAME]

   Prints one line per benchmark, "NAME: X us/op" and, where it means
   something, the achieved GFLOP/s or the share of raw sgemm's throughput.
   bench/torch_micro.py times the same operations in PyTorch; bench/compare
   runs both and prints the ratios.

     add64             per-op overhead: ember_add of two 64-float tensors + free
     linear_fwd_B_I_O  Linear(I, O) forward on (B, I), and raw sgemm of that shape
     linear_fwdbwd_... forward + backward (dX, dW, db), and the three raw sgemms
     conv2d_fwdbwd     conv2d (64, 6, 14, 14) * (16, 6, 5, 5) forward + backward
     log_softmax_ce    cross_entropy on (1024, 96) logits, forward + backward
     strided_add       (16, 64, 128) + a transposed (64, 16, 128): a residual add
                       of batch-first attention's output view
     permute_copy      contiguous copy of (16, 4, 64, 32) permuted (0, 2, 1, 3):
                       attention's heads merged back
     adam_10m          one Adam step over a 10M-parameter tensor
     triad_10m         the machine's memory bandwidth: a = b + s c over 10M floats
                       in plain C on N pthreads (STREAM's triad), Adam's yardstick */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, ember_last_error()); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of `rounds` rounds of `reps` calls, in microseconds per call: the
   minimum is the figure least disturbed by other work on a shared machine. */
#define TIME_BEST(result, rounds, reps, ...) do { \
    double best_ = 1e30; \
    for (int r_ = 0; r_ < (rounds); r_++) { \
        double t_ = now(); \
        for (int i_ = 0; i_ < (reps); i_++) { __VA_ARGS__; } \
        double per_ = (now() - t_) / (reps); \
        if (per_ < best_) best_ = per_; \
    } \
    (result) = best_ * 1e6; } while (0)

static const char *only;
static int64_t threads = 2;
static int wanted(const char *name) { return !only || !strncmp(name, only, strlen(only)); }

static ember_tensor *randn(const int64_t *shape, int64_t ndim, int requires_grad) {
    ember_tensor *t;
    CHECK(ember_tensor_randn(shape, ndim, EMBER_FLOAT32, &t));
    if (requires_grad) CHECK(ember_tensor_set_requires_grad(t, true));
    return t;
}

static void add64(void) {
    const int64_t shape[] = {64};
    ember_tensor *a = randn(shape, 1, 0), *b = randn(shape, 1, 0);
    double us;
    TIME_BEST(us, 7, 200000, { ember_tensor *o; CHECK(ember_add(a, b, &o)); ember_tensor_free(o); });
    printf("add64: %.3f us/op\n", us);
    ember_tensor_free(a);
    ember_tensor_free(b);
}

static float *random_floats(size_t n) {
    float *p = malloc(n * sizeof *p);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) p[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return p;
}

/* OpenBLAS's threads poll the cores (sched_yield) for about 0.1 s after
   their last job: stopped after the raw runs, so that they do not compete
   with what is timed next (libember stops them the same way when it loads).
   Looked up by name: not every BLAS build has the entry point. */
static void stop_blas_threads(void) {
    int (*stop)(void);
    *(void **)(&stop) = dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (stop) stop();
}

/* Linear(in, out) on a (batch, in) input beside raw sgemm of the same shapes:
   forward y = x W^T (+ b); backward dx = dy W, dW = dy^T x (+ db = sum dy). */
static void linear(int64_t batch, int64_t in, int64_t out, int reps) {
    char name[64];
    snprintf(name, sizeof name, "linear_fwd_%lld_%lld_%lld", (long long)batch, (long long)in, (long long)out);
    if (!wanted(name) && !wanted("linear_fwdbwd")) return;
    double flops = 2.0 * (double)batch * (double)in * (double)out;
    int M = (int)batch, K = (int)in, N = (int)out;
    float *x = random_floats((size_t)M * K), *w = random_floats((size_t)N * K), *y = random_floats((size_t)M * N);
    float *dx = random_floats((size_t)M * K), *dw = random_floats((size_t)N * K);
    double raw_fwd, raw_bwd;
    /* The raw baseline runs with OpenBLAS's own threads, as many as Ember's
       (Ember keeps OpenBLAS single-threaded and splits products itself). */
    openblas_set_num_threads((int)threads);
    TIME_BEST(raw_fwd, 5, reps,
              cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, x, K, w, K, 0, y, N));
    TIME_BEST(raw_bwd, 5, reps, {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1, y, N, w, K, 0, dx, K);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1, y, N, x, K, 0, dw, K);
    });
    openblas_set_num_threads(1);
    stop_blas_threads();

    ember_module *lin;
    CHECK(ember_linear_new(in, out, true, &lin));
    const int64_t xs[] = {batch, in}, ys[] = {batch, out};
    ember_tensor *input = randn(xs, 2, 1), *dy = randn(ys, 2, 0);
    double fwd, fwdbwd;
    TIME_BEST(fwd, 5, reps, {
        ember_tensor *o;
        CHECK(ember_module_forward(lin, input, &o));
        ember_tensor_free(o);
    });
    TIME_BEST(fwdbwd, 5, reps, {
        ember_tensor *o;
        CHECK(ember_module_forward(lin, input, &o));
        CHECK(ember_tensor_backward(o, dy));
        ember_tensor_free(o);
    });
    printf("%s: %.1f us/op  %.1f GFLOP/s  (raw sgemm %.1f us, %.1f GFLOP/s; Linear at %.0f%% of sgemm)\n", name, fwd,
           flops / fwd / 1e3, raw_fwd, flops / raw_fwd / 1e3, 100 * raw_fwd / fwd);
    printf("linear_fwdbwd_%lld_%lld_%lld: %.1f us/op  %.1f GFLOP/s  (raw 3 x sgemm %.1f us; at %.0f%%)\n",
           (long long)batch, (long long)in, (long long)out, fwdbwd, 3 * flops / fwdbwd / 1e3, raw_fwd + raw_bwd,
           100 * (raw_fwd + raw_bwd) / fwdbwd);
    ember_tensor_free(input);
    ember_tensor_free(dy);
    ember_module_free(lin);
    free(x); free(w); free(y); free(dx); free(dw);
}

static void conv2d(void) {
    if (!wanted("conv2d_fwdbwd")) return;
    const int64_t xs[] = {64, 6, 14, 14}, ws[] = {16, 6, 5, 5}, bs[] = {16};
    ember_tensor *x = randn(xs, 4, 1), *w = randn(ws, 4, 1), *b = randn(bs, 1, 1);
    double us;
    TIME_BEST(us, 5, 200, {
        ember_tensor *o, *s;
        CHECK(ember_conv2d(x, w, b, NULL, NULL, NULL, 1, &o));
        CHECK(ember_sum(o, &s));
        CHECK(ember_tensor_backward(s, NULL));
        ember_tensor_free(o);
        ember_tensor_free(s);
    });
    double flops = 3 * 2.0 * 64 * 16 * 10 * 10 * 6 * 25;
    printf("conv2d_fwdbwd: %.1f us/op  %.1f GFLOP/s\n", us, flops / us / 1e3);
    ember_tensor_free(x); ember_tensor_free(w); ember_tensor_free(b);
}

static void log_softmax_ce(void) {
    if (!wanted("log_softmax_ce")) return;
    const int64_t xs[] = {1024, 96}, ts[] = {1024};
    ember_tensor *x = randn(xs, 2, 1), *t;
    CHECK(ember_tensor_randint(0, 96, ts, 1, &t));
    double us;
    TIME_BEST(us, 5, 2000, {
        ember_tensor *l;
        CHECK(ember_cross_entropy(x, t, &l));
        CHECK(ember_tensor_backward(l, NULL));
        ember_tensor_free(l);
    });
    printf("log_softmax_ce: %.1f us/op\n", us);
    ember_tensor_free(x); ember_tensor_free(t);
}

static void strided(void) {
    if (wanted("strided_add")) {
        const int64_t xs[] = {16, 64, 128}, ys[] = {64, 16, 128};
        ember_tensor *x = randn(xs, 3, 0), *y = randn(ys, 3, 0), *yt;
        CHECK(ember_transpose(y, 0, 1, &yt));
        double us;
        TIME_BEST(us, 5, 500, {
            ember_tensor *o;
            CHECK(ember_add(x, yt, &o));
            ember_tensor_free(o);
        });
        printf("strided_add: %.1f us/op\n", us);
        ember_tensor_free(x); ember_tensor_free(y); ember_tensor_free(yt);
    }
    if (wanted("permute_copy")) {
        const int64_t zs[] = {16, 4, 64, 32}, order[] = {0, 2, 1, 3};
        ember_tensor *z = randn(zs, 4, 0), *zp;
        CHECK(ember_permute(z, order, 4, &zp));
        double us;
        TIME_BEST(us, 5, 500, {
            ember_tensor *o;
            CHECK(ember_contiguous(zp, &o));
            ember_tensor_free(o);
        });
        printf("permute_copy: %.1f us/op\n", us);
        ember_tensor_free(z); ember_tensor_free(zp);
    }
}

static void adam_10m(void) {
    if (!wanted("adam_10m")) return;
    const int64_t ps[] = {10000000};
    ember_tensor *p = randn(ps, 1, 1), *s;
    CHECK(ember_sum(p, &s));
    CHECK(ember_tensor_backward(s, NULL)); /* the gradient stays: every step sees it */
    ember_tensor_free(s);
    ember_optimizer *opt;
    const ember_tensor *params[] = {p};
    CHECK(ember_optimizer_new("Adam", params, 1, "lr=1e-3", &opt));
    double us;
    TIME_BEST(us, 5, 10, CHECK(ember_optimizer_step(opt)));
    printf("adam_10m: %.1f us/op  %.2f GB/s\n", us, 10e6 * 4 * 7 / us / 1e3);
    ember_optimizer_free(opt);
    ember_tensor_free(p);
}

typedef struct { float *a, *b, *c; size_t lo, hi; } triad_part;

static void *triad_run(void *arg) {
    triad_part *t = arg;
    for (size_t i = t->lo; i < t->hi; i++) t->a[i] = t->b[i] + 3.0f * t->c[i];
    return NULL;
}

/* STREAM-style triad on `threads` threads: 12 bytes moved per element. */
static void triad_10m(void) {
    if (!wanted("triad_10m")) return;
    const size_t n = 10000000;
    float *a = random_floats(n), *b = random_floats(n), *c = random_floats(n);
    triad_part parts[64];
    pthread_t ids[64];
    int k = threads < 1 ? 1 : threads > 64 ? 64 : (int)threads;
    for (int i = 0; i < k; i++) parts[i] = (triad_part){a, b, c, n * (size_t)i / (size_t)k, n * (size_t)(i + 1) / (size_t)k};
    double us;
    TIME_BEST(us, 5, 10, {
        for (int i = 1; i < k; i++) pthread_create(&ids[i], NULL, triad_run, &parts[i]);
        triad_run(&parts[0]);
        for (int i = 1; i < k; i++) pthread_join(ids[i], NULL);
    });
    printf("triad_10m: %.1f us/op  %.2f GB/s\n", us, (double)n * 12 / us / 1e3);
    free(a); free(b); free(c);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    }
    ember_set_num_threads(threads);
    ember_manual_seed(0);
    srand(0);
    {   /* Ember's first BLAS call chooses OpenBLAS's kernels for this CPU (BLASSetup); the raw sgemm runs share them. */
        const int64_t s2[] = {2, 2};
        ember_tensor *m = randn(s2, 2, 0), *mm;
        CHECK(ember_matmul(m, m, &mm));
        ember_tensor_free(m);
        ember_tensor_free(mm);
    }
    if (wanted("add64")) add64();
    linear(128, 784, 512, 200);
    linear(1024, 128, 512, 200);
    linear(32, 10, 5, 100000);
    conv2d();
    log_softmax_ce();
    strided();
    adam_10m();
    triad_10m();
    return 0;
}
