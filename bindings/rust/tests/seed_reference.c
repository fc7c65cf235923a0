/* The seed network of tests/seed.rs as a C program: the same data (the same
 * generator), model, loss, optimizer and loader, printing each epoch's mean
 * loss with 17 digits. make rust-test runs it and hands its output to the
 * Rust test (EMBER_SEED_REFERENCE), which must reproduce it. */
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s failed: %s\n", #call, ember_last_error()); exit(1); } } while (0)

enum { N = 512, IN = 10, EPOCHS = 20 };

int main(void) {
    static float x[N * IN];
    static int64_t y[N];
    uint64_t state = 12345;
    for (int i = 0; i < N; i++) {
        float margin = 0;
        for (int j = 0; j < IN; j++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            float v = (float)(state >> 40) / (float)(1ULL << 24) * 2.0f - 1.0f;
            x[i * IN + j] = v;
            margin += j < IN / 2 ? v : -v;
        }
        y[i] = margin > 0;
    }

    ember_manual_seed(0);
    ember_module *model, *layers[3];
    CHECK(ember_sequential_new(&model));
    CHECK(ember_linear_new(10, 5, true, &layers[0]));
    CHECK(ember_relu_new(&layers[1]));
    CHECK(ember_linear_new(5, 2, true, &layers[2]));
    for (int i = 0; i < 3; i++) {
        CHECK(ember_sequential_append(model, layers[i]));
        ember_module_free(layers[i]);
    }
    ember_optimizer *optimizer;
    CHECK(ember_sgd_new(model, 0.01, &optimizer));
    const int64_t xs[] = {N, IN}, ys[] = {N};
    ember_tensor *inputs, *targets;
    CHECK(ember_tensor_from_data(x, EMBER_FLOAT32, xs, 2, &inputs));
    CHECK(ember_tensor_from_data(y, EMBER_INT64, ys, 1, &targets));
    ember_dataloader *loader;
    CHECK(ember_dataloader_new(inputs, targets, 32, true, &loader));

    for (int epoch = 0; epoch < EPOCHS; epoch++) {
        double total = 0;
        int batches = 0;
        for (;;) {
            ember_tensor *data, *target, *output, *loss;
            CHECK(ember_dataloader_next(loader, &data, &target));
            if (data == NULL) break;
            CHECK(ember_module_forward(model, data, &output));
            CHECK(ember_cross_entropy(output, target, &loss));
            CHECK(ember_tensor_backward(loss, NULL));
            CHECK(ember_optimizer_step(optimizer));
            CHECK(ember_optimizer_zero_grad(optimizer));
            double value;
            CHECK(ember_tensor_item(loss, &value));
            total += value;
            batches++;
            ember_tensor_free(output); ember_tensor_free(loss);
            ember_tensor_free(data); ember_tensor_free(target);
        }
        printf("%.17g\n", total / batches);
    }
    ember_dataloader_free(loader);
    ember_optimizer_free(optimizer);
    ember_module_free(model);
    ember_tensor_free(inputs);
    ember_tensor_free(targets);
    return 0;
}
