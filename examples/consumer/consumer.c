/* A small program built against an installed Ember, with CMake
 * (find_package(ember) and ember::ember; see CMakeLists.txt) or with
 * pkg-config. It checks that the header and the library it loaded agree on
 * the version, then fits y = 2 x0 - x1 + 0.5 x2 + 1 with one Linear layer,
 * MSELoss and SGD, and exits 0 if the fit is close. */
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s failed: %s: %s\n", #call, ember_status_name(s_), ember_last_error()); \
    exit(1); } } while (0)

#define STR_(x) #x
#define STR(x) STR_(x)

int main(void) {
    const char *header = STR(EMBER_VERSION_MAJOR) "." STR(EMBER_VERSION_MINOR) "." STR(EMBER_VERSION_PATCH);
    if (strcmp(header, ember_version()) != 0) {
        fprintf(stderr, "header version %s but library version %s\n", header, ember_version());
        return 1;
    }

    ember_manual_seed(0);
    enum { N = 64 };
    float x[N * 3], y[N];
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 3; j++) x[i * 3 + j] = (float)((i * 7 + j * 13) % 17) / 8.0f - 1.0f;
        y[i] = 2 * x[i * 3] - x[i * 3 + 1] + 0.5f * x[i * 3 + 2] + 1;
    }
    const int64_t xs[] = {N, 3}, ys[] = {N, 1};
    ember_tensor *inputs, *targets;
    CHECK(ember_tensor_from_data(x, EMBER_FLOAT32, xs, 2, &inputs));
    CHECK(ember_tensor_from_data(y, EMBER_FLOAT32, ys, 2, &targets));

    ember_module *model;
    ember_optimizer *opt;
    CHECK(ember_linear_new(3, 1, true, &model));
    CHECK(ember_sgd_new(model, 0.1, &opt));

    double first = 0, last = 0;
    for (int step = 0; step < 200; step++) {
        ember_tensor *out, *loss;
        CHECK(ember_module_forward(model, inputs, &out));
        CHECK(ember_mse_loss(out, targets, &loss));
        CHECK(ember_optimizer_zero_grad(opt));
        CHECK(ember_tensor_backward(loss, NULL));
        CHECK(ember_optimizer_step(opt));
        CHECK(ember_tensor_item(loss, &last));
        if (step == 0) first = last;
        ember_tensor_free(out);
        ember_tensor_free(loss);
    }
    printf("ember %s: mse %.6f -> %.6f\n", ember_version(), first, last);

    ember_optimizer_free(opt);
    ember_module_free(model);
    ember_tensor_free(inputs);
    ember_tensor_free(targets);
    return last < 1e-3 && last < first ? 0 : 1;
}
