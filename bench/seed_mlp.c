/* One training step of the seed network (batch 32) from C: forward, loss,
   backward, SGD step, zero_grad -- the workload of torch_reference.py's
   seed_mlp. Prints "seed_mlp: X us/step". */
#define _POSIX_C_SOURCE 199309L
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s failed: %s\n", #call, ember_last_error()); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 5000;
    ember_manual_seed(0);
    ember_module *model, *l1, *act, *l2;
    CHECK(ember_sequential_new(&model));
    CHECK(ember_linear_new(10, 5, true, &l1));
    CHECK(ember_relu_new(&act));
    CHECK(ember_linear_new(5, 2, true, &l2));
    CHECK(ember_sequential_append(model, l1));
    CHECK(ember_sequential_append(model, act));
    CHECK(ember_sequential_append(model, l2));
    ember_module_free(l1); ember_module_free(act); ember_module_free(l2);
    ember_optimizer *opt;
    CHECK(ember_sgd_new(model, 0.01, &opt));
    const int64_t xs[] = {32, 10};
    ember_tensor *x, *y;
    CHECK(ember_tensor_randn(xs, 2, EMBER_FLOAT32, &x));
    int64_t labels[32];
    for (int i = 0; i < 32; i++) labels[i] = i % 2;
    const int64_t ys[] = {32};
    CHECK(ember_tensor_from_data(labels, EMBER_INT64, ys, 1, &y));

    double loss_value = 0, start = 0;
    int warmup = steps / 10 > 3 ? steps / 10 : 3;
    for (int i = 0; i < warmup + steps; i++) {
        if (i == warmup) start = now();
        ember_tensor *out, *loss;
        CHECK(ember_optimizer_zero_grad(opt));
        CHECK(ember_module_forward(model, x, &out));
        CHECK(ember_cross_entropy(out, y, &loss));
        CHECK(ember_tensor_backward(loss, NULL));
        CHECK(ember_optimizer_step(opt));
        if (i == warmup + steps - 1) CHECK(ember_tensor_item(loss, &loss_value));
        ember_tensor_free(out);
        ember_tensor_free(loss);
    }
    double us = (now() - start) / steps * 1e6;
    printf("seed_mlp: %.2f us/step (final loss %.4f)\n", us, loss_value);
    ember_tensor_free(x); ember_tensor_free(y);
    ember_optimizer_free(opt); ember_module_free(model);
    return 0;
}
