/* The four training workloads of ../shared/bench/torch_reference.py, with the
   same shapes, layers, batch sizes and optimizers, through Ember's C API.

   usage: workloads [--threads N] [--only NAME] [--steps N]

   Prints, per workload, "NAME: X us/step" plus the achieved GFLOP/s (of the
   forward and backward matrix work, counted as 3x the forward
   multiply-adds x 2) and the peak RSS of the process so far. */
#define _POSIX_C_SOURCE 200809L
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, ember_last_error()); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kib(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* A Sequential of (type, args) layers. */
static ember_module *sequential(const char *layers[][2], int count) {
    ember_module *model;
    CHECK(ember_module_new("Sequential", "", &model));
    for (int i = 0; i < count; i++) {
        ember_module *layer;
        CHECK(ember_module_new(layers[i][0], layers[i][1], &layer));
        CHECK(ember_sequential_append(model, layer));
        ember_module_free(layer);
    }
    return model;
}

typedef struct workload {
    ember_module *model;
    ember_optimizer *opt;
    ember_tensor *x, *y;
    int steps;
    double forward_flops;      /* multiply-adds x 2 of one forward pass */
    int char_lm;               /* the language model reshapes its logits */
} workload;

static int steps_override;  /* --steps: fewer steps, e.g. under a profiler */

static double run(workload *w) {
    if (steps_override > 0) w->steps = steps_override;
    int warmup = w->steps / 10 > 3 ? w->steps / 10 : 3;
    double start = 0, loss_value = 0;
    for (int i = 0; i < warmup + w->steps; i++) {
        if (i == warmup) start = now();
        ember_tensor *out, *rows = NULL, *loss;
        CHECK(ember_optimizer_zero_grad(w->opt));
        CHECK(ember_module_forward(w->model, w->x, &out));
        if (w->char_lm) {
            const int64_t shape[] = {-1, 96};
            CHECK(ember_reshape(out, shape, 2, &rows));
        }
        CHECK(ember_cross_entropy(rows ? rows : out, w->y, &loss));
        CHECK(ember_tensor_backward(loss, NULL));
        CHECK(ember_optimizer_step(w->opt));
        if (i == warmup + w->steps - 1) CHECK(ember_tensor_item(loss, &loss_value));
        ember_tensor_free(out);
        ember_tensor_free(rows);
        ember_tensor_free(loss);
    }
    return (now() - start) / w->steps;
}

static void report(const char *name, workload *w) {
    double seconds = run(w);
    printf("%s: %.1f us/step  %.2f GFLOP/s  peak RSS %.1f MiB\n", name, seconds * 1e6,
           3 * w->forward_flops / seconds / 1e9, (double)peak_rss_kib() / 1024);
    fflush(stdout);
    ember_module_free(w->model);
    ember_optimizer_free(w->opt);
    ember_tensor_free(w->x);
    ember_tensor_free(w->y);
}

static ember_tensor *randint(int64_t high, const int64_t *shape, int64_t ndim) {
    ember_tensor *t;
    CHECK(ember_tensor_randint(0, high, shape, ndim, &t));
    return t;
}

static void seed_mlp(void) {
    const char *layers[][2] = {{"Linear", "10, 5"}, {"ReLU", ""}, {"Linear", "5, 2"}};
    workload w = {sequential(layers, 3), NULL, NULL, NULL, 5000, 2.0 * 32 * (10 * 5 + 5 * 2), 0};
    CHECK(ember_sgd_new(w.model, 0.01, &w.opt));
    const int64_t xs[] = {32, 10}, ys[] = {32};
    CHECK(ember_tensor_randn(xs, 2, EMBER_FLOAT32, &w.x));
    w.y = randint(2, ys, 1);
    report("seed_mlp", &w);
}

static void mnist_mlp(void) {
    const char *layers[][2] = {{"Linear", "784, 512"}, {"ReLU", ""}, {"Linear", "512, 256"}, {"ReLU", ""},
                               {"Linear", "256, 10"}};
    workload w = {sequential(layers, 5), NULL, NULL, NULL, 300, 2.0 * 128 * (784 * 512 + 512 * 256 + 256 * 10), 0};
    CHECK(ember_adam_new(w.model, 1e-3, &w.opt));
    const int64_t xs[] = {128, 784}, ys[] = {128};
    CHECK(ember_tensor_randn(xs, 2, EMBER_FLOAT32, &w.x));
    w.y = randint(10, ys, 1);
    report("mnist_mlp", &w);
}

static void lenet5(void) {
    const char *layers[][2] = {
        {"Conv2d", "1, 6, 5, padding=2"}, {"ReLU", ""}, {"MaxPool2d", "2"}, {"Conv2d", "6, 16, 5"}, {"ReLU", ""},
        {"MaxPool2d", "2"}, {"Flatten", ""}, {"Linear", "400, 120"}, {"ReLU", ""}, {"Linear", "120, 84"}, {"ReLU", ""},
        {"Linear", "84, 10"}};
    /* conv1: 28x28 outputs x 6 channels x 25 taps; conv2: 10x10 x 16 x 150 taps; then the three linears. */
    double macs = 28.0 * 28 * 6 * 25 + 10.0 * 10 * 16 * 150 + 400.0 * 120 + 120.0 * 84 + 84.0 * 10;
    workload w = {sequential(layers, 12), NULL, NULL, NULL, 100, 2.0 * 64 * macs, 0};
    CHECK(ember_sgd_new(w.model, 0.01, &w.opt));
    CHECK(ember_optimizer_set(w.opt, "momentum", 0.9));
    const int64_t xs[] = {64, 1, 28, 28}, ys[] = {64};
    CHECK(ember_tensor_randn(xs, 4, EMBER_FLOAT32, &w.x));
    w.y = randint(10, ys, 1);
    report("lenet5", &w);
}

/* torch_reference's LM: emb(x) + pos(arange(64)) -> 2 pre-norm GELU encoder layers (causal) -> head. */
static ember_status lm_forward(ember_module *self, const ember_tensor *const *inputs, int64_t n, void *user_data,
                               ember_tensor **outputs, int64_t capacity, int64_t *count) {
    (void)n; (void)user_data; (void)capacity;
    ember_module *emb, *pos, *enc, *head;
    ember_tensor *positions, *e, *p, *h, *encoded[1];
    int64_t k;
    CHECK(ember_module_child(self, "emb", &emb));
    CHECK(ember_module_child(self, "pos", &pos));
    CHECK(ember_module_child(self, "enc", &enc));
    CHECK(ember_module_child(self, "head", &head));
    ember_tensor *mask;
    CHECK(ember_module_buffer(self, "mask", &mask));
    CHECK(ember_tensor_arange(0, 64, 1, EMBER_INT64, &positions));
    CHECK(ember_module_forward(emb, inputs[0], &e));
    CHECK(ember_module_forward(pos, positions, &p));
    CHECK(ember_add(e, p, &h));
    const ember_tensor *args[2] = {h, mask};
    CHECK(ember_module_forward_multi(enc, args, 2, encoded, 1, &k));
    CHECK(ember_module_forward(head, encoded[0], &outputs[0]));
    *count = 1;
    ember_module_free(emb); ember_module_free(pos); ember_module_free(enc); ember_module_free(head);
    ember_tensor_free(mask); ember_tensor_free(positions); ember_tensor_free(e); ember_tensor_free(p);
    ember_tensor_free(h); ember_tensor_free(encoded[0]);
    return EMBER_OK;
}

static void char_transformer(void) {
    ember_module *lm, *m;
    CHECK(ember_module_custom_new("LM", lm_forward, NULL, NULL, &lm));
    CHECK(ember_module_new("Embedding", "96, 128", &m)); CHECK(ember_module_register_module(lm, "emb", m)); ember_module_free(m);
    CHECK(ember_module_new("Embedding", "64, 128", &m)); CHECK(ember_module_register_module(lm, "pos", m)); ember_module_free(m);
    CHECK(ember_module_new("TransformerEncoder", "128, 4, 512, dropout=0.0, batch_first=True, norm_first=True, "
                           "activation='gelu', num_layers=2, enable_nested_tensor=False", &m));
    CHECK(ember_module_register_module(lm, "enc", m)); ember_module_free(m);
    CHECK(ember_module_new("Linear", "128, 96", &m)); CHECK(ember_module_register_module(lm, "head", m)); ember_module_free(m);
    ember_tensor *mask;
    CHECK(ember_generate_square_subsequent_mask(64, EMBER_FLOAT32, &mask));
    CHECK(ember_module_register_buffer(lm, "mask", mask));
    ember_tensor_free(mask);
    /* Per token: per layer the QKV and output projections (4 d^2), the two
       feed-forward layers (2 * 4 d^2) and attention (2 * 64 * d); then the head. */
    double d = 128, per_token = 2 * (12 * d * d + 2 * 64 * d) + d * 96;
    workload w = {lm, NULL, NULL, NULL, 50, 2.0 * 16 * 64 * per_token, 1};
    CHECK(ember_adamw_new(lm, 3e-4, &w.opt));
    const int64_t xs[] = {16, 64}, ys[] = {16 * 64};
    w.x = randint(96, xs, 2);
    w.y = randint(96, ys, 1);
    report("char_transformer", &w);
}

int main(int argc, char **argv) {
    const char *only = NULL;
    int64_t threads = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps_override = atoi(argv[++i]);
    }
    ember_set_num_threads(threads);
    ember_manual_seed(0);
    if (!only || !strcmp(only, "seed_mlp")) seed_mlp();
    if (!only || !strcmp(only, "mnist_mlp")) mnist_mlp();
    if (!only || !strcmp(only, "lenet5")) lenet5();
    if (!only || !strcmp(only, "char_transformer")) char_transformer();
    return 0;
}
