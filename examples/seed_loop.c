/* The seed's PyTorch training loop, written against Ember's C API. */
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s:%d: %s failed (%d): %s\n", __FILE__, __LINE__, #call, (int)s_, ember_last_error()); \
    exit(1); } } while (0)

enum { N = 512, IN = 10, CLASSES = 2, BATCH = 32, EPOCHS = 20 };

int main(void) {
    ember_manual_seed(0);

    /* class Net: fc1 = Linear(10, 5), relu, fc2 = Linear(5, 2) */
    ember_module *model, *fc1, *act, *fc2;
    CHECK(ember_sequential_new(&model));
    CHECK(ember_linear_new(IN, 5, true, &fc1));
    CHECK(ember_relu_new(&act));
    CHECK(ember_linear_new(5, CLASSES, true, &fc2));
    CHECK(ember_sequential_append(model, fc1));
    CHECK(ember_sequential_append(model, act));
    CHECK(ember_sequential_append(model, fc2));
    ember_module_free(fc1); ember_module_free(act); ember_module_free(fc2); /* the Sequential keeps them */

    /* optimizer = optim.SGD(model.parameters(), lr=0.01), with momentum */
    ember_optimizer *optimizer;
    CHECK(ember_sgd_new(model, 0.01, &optimizer));
    CHECK(ember_optimizer_set(optimizer, "momentum", 0.9));

    /* A data set a small network can learn: the class is whether the first
       half of the features outweighs the second half. */
    static float x[N * IN];
    static int64_t y[N];
    srand(1);
    for (int i = 0; i < N; i++) {
        float margin = 0;
        for (int j = 0; j < IN; j++) {
            x[i * IN + j] = (float)rand() / RAND_MAX * 2 - 1;
            margin += j < IN / 2 ? x[i * IN + j] : -x[i * IN + j];
        }
        y[i] = margin > 0;
    }
    const int64_t x_shape[] = {N, IN}, y_shape[] = {N};
    ember_tensor *inputs, *targets;
    CHECK(ember_tensor_from_data(x, EMBER_FLOAT32, x_shape, 2, &inputs));
    CHECK(ember_tensor_from_data(y, EMBER_INT64, y_shape, 1, &targets));

    /* train_loader */
    ember_dataloader *train_loader;
    CHECK(ember_dataloader_new(inputs, targets, BATCH, true, &train_loader));

    for (int epoch = 0; epoch < EPOCHS; epoch++) {
        double total = 0;
        int batches = 0;
        ember_tensor *data, *target;
        for (;;) {
            CHECK(ember_dataloader_next(train_loader, &data, &target));
            if (data == NULL) break;                            /* end of epoch */
            ember_tensor *output, *loss;
            CHECK(ember_module_forward(model, data, &output));  /* forward pass */
            CHECK(ember_cross_entropy(output, target, &loss));  /* loss */
            CHECK(ember_tensor_backward(loss, NULL));           /* backward pass */
            CHECK(ember_optimizer_step(optimizer));             /* update */
            CHECK(ember_optimizer_zero_grad(optimizer));        /* reset gradients */
            double value;
            CHECK(ember_tensor_item(loss, &value));
            total += value;
            batches++;
            ember_tensor_free(output); ember_tensor_free(loss);
            ember_tensor_free(data); ember_tensor_free(target);
        }
        printf("epoch %2d  loss %.4f\n", epoch + 1, total / batches);
    }

    /* accuracy on the training set, without recording a graph */
    bool was_enabled = ember_set_grad_enabled(false);
    ember_tensor *logits, *predicted;
    CHECK(ember_module_forward(model, inputs, &logits));
    CHECK(ember_argmax_dim(logits, 1, false, &predicted));
    static int64_t p[N];
    CHECK(ember_tensor_copy_to(predicted, p, sizeof p));
    int correct = 0;
    for (int i = 0; i < N; i++) correct += p[i] == y[i];
    printf("accuracy %.3f\n", (double)correct / N);
    ember_set_grad_enabled(was_enabled);

    ember_tensor_free(logits); ember_tensor_free(predicted);
    ember_tensor_free(inputs); ember_tensor_free(targets);
    ember_dataloader_free(train_loader);
    ember_optimizer_free(optimizer);
    ember_module_free(model);
    return correct * 10 >= N * 9 ? 0 : 1;
}
