/* Elementwise and reduction kernels on 1e6 float32 elements through the C API
   (add, mul, exp, sum), plus the per-op overhead of a 64-element add.
   Prints "NAME: X us/op". Compare with bench/numpy_ops.py in the same session. */
#define _POSIX_C_SOURCE 199309L
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s failed: %s\n", #call, ember_last_error()); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef ember_status (*binary_fn)(const ember_tensor *, const ember_tensor *, ember_tensor **);
typedef ember_status (*unary_fn)(const ember_tensor *, ember_tensor **);

static double time_binary(binary_fn f, const ember_tensor *a, const ember_tensor *b, int reps) {
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t = now();
        for (int i = 0; i < reps; i++) {
            ember_tensor *out;
            CHECK(f(a, b, &out));
            ember_tensor_free(out);
        }
        double per = (now() - t) / reps;
        if (per < best) best = per;
    }
    return best * 1e6;
}

static double time_unary(unary_fn f, const ember_tensor *a, int reps) {
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t = now();
        for (int i = 0; i < reps; i++) {
            ember_tensor *out;
            CHECK(f(a, &out));
            ember_tensor_free(out);
        }
        double per = (now() - t) / reps;
        if (per < best) best = per;
    }
    return best * 1e6;
}

int main(int argc, char **argv) {
    int64_t threads = argc > 1 ? atoll(argv[1]) : 2;
    ember_set_num_threads(threads);
    ember_manual_seed(0);
    const int64_t big[] = {1000000}, small[] = {64};
    ember_tensor *a, *b, *sa, *sb;
    CHECK(ember_tensor_randn(big, 1, EMBER_FLOAT32, &a));
    CHECK(ember_tensor_randn(big, 1, EMBER_FLOAT32, &b));
    CHECK(ember_tensor_randn(small, 1, EMBER_FLOAT32, &sa));
    CHECK(ember_tensor_randn(small, 1, EMBER_FLOAT32, &sb));
    printf("threads: %lld\n", (long long)ember_get_num_threads());
    printf("add_1e6: %.1f us/op\n", time_binary(ember_add, a, b, 200));
    printf("mul_1e6: %.1f us/op\n", time_binary(ember_mul, a, b, 200));
    printf("exp_1e6: %.1f us/op\n", time_unary(ember_exp, a, 100));
    printf("sum_1e6: %.1f us/op\n", time_unary(ember_sum, a, 200));
    printf("add_64_overhead: %.3f us/op\n", time_binary(ember_add, sa, sb, 200000));
    ember_tensor_free(a); ember_tensor_free(b); ember_tensor_free(sa); ember_tensor_free(sb);
    return 0;
}
