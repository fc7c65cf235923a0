/* Data-parallel training is the same training as one process on the whole
   batch: R ranks with per-rank batch B reach, after 50 SGD steps, the
   parameters one process reaches with batch R * B (to 1e-5), whatever the
   bucket size, with gradient accumulation (no_sync), and with
   find_unused_parameters. Each rank also runs the one-process reference
   itself (no wrapper), so one mpirun checks both. Run under mpirun; any
   number of ranks (make test uses 2). */
#include "dist_test.h"

enum { IN = 20, HIDDEN = 64, CLASSES = 5, B = 16, STEPS = 50, MAXR = 8 };

static float xs[STEPS][MAXR * B][IN];
static int64_t ys[STEPS][MAXR * B];
static int world, rank_;

/* The same data on every rank: a fixed linear-congruential stream. */
static void make_data(void) {
    uint64_t state = 12345;
    for (int s = 0; s < STEPS; s++)
        for (int i = 0; i < world * B; i++) {
            float sum = 0;
            for (int j = 0; j < IN; j++) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                xs[s][i][j] = (float)((double)(state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
                sum += xs[s][i][j] * (float)(j % 3 - 1);
            }
            ys[s][i] = (int64_t)((sum > 0) + 2 * (xs[s][i][0] > 0.3f) + (xs[s][i][1] > 0.8f)) % CLASSES;
        }
}

static ember_module *make_model(void) {
    ember_manual_seed(0);
    ember_module *model, *layer;
    OK(ember_sequential_new(&model));
    OK(ember_linear_new(IN, HIDDEN, true, &layer));  OK(ember_sequential_append(model, layer)); ember_module_free(layer);
    OK(ember_relu_new(&layer));                      OK(ember_sequential_append(model, layer)); ember_module_free(layer);
    OK(ember_linear_new(HIDDEN, HIDDEN, true, &layer)); OK(ember_sequential_append(model, layer)); ember_module_free(layer);
    OK(ember_relu_new(&layer));                      OK(ember_sequential_append(model, layer)); ember_module_free(layer);
    OK(ember_linear_new(HIDDEN, CLASSES, true, &layer)); OK(ember_sequential_append(model, layer)); ember_module_free(layer);
    return model;
}

static ember_optimizer *make_sgd(ember_module *model) {
    ember_optimizer *opt;
    OK(ember_sgd_new(model, 0.1, &opt));
    OK(ember_optimizer_set(opt, "momentum", 0.9));
    OK(ember_optimizer_set(opt, "weight_decay", 1e-4));
    return opt;
}

/* Loss of rows [first, first + count) of step s's batch. */
static ember_tensor *loss_of(ember_module *model, ember_ddp *ddp, int s, int first, int count) {
    const int64_t xshape[] = {count, IN}, yshape[] = {count};
    ember_tensor *x, *y, *logits, *loss;
    OK(ember_tensor_from_data(xs[s][first], EMBER_FLOAT32, xshape, 2, &x));
    OK(ember_tensor_from_data(&ys[s][first], EMBER_INT64, yshape, 1, &y));
    if (ddp) OK(ember_ddp_forward(ddp, x, &logits));
    else OK(ember_module_forward(model, x, &logits));
    OK(ember_cross_entropy(logits, y, &loss));
    ember_tensor_free(x);
    ember_tensor_free(y);
    ember_tensor_free(logits);
    return loss;
}

/* One process, batch world * B (with `micro` backwards of it per step when accumulating). */
static ember_module *train_reference(int micro) {
    ember_module *model = make_model();
    ember_optimizer *opt = make_sgd(model);
    for (int s = 0; s < STEPS; s += micro) {
        OK(ember_optimizer_zero_grad(opt));
        for (int m = 0; m < micro; m++) {
            ember_tensor *loss = loss_of(model, NULL, s + m, 0, world * B);
            OK(ember_tensor_backward(loss, NULL));
            ember_tensor_free(loss);
        }
        OK(ember_optimizer_step(opt));
    }
    ember_optimizer_free(opt);
    return model;
}

typedef struct config {
    const char *name;
    double bucket_cap_mb;
    int micro;          /* backwards per optimizer step (no_sync on all but the last) */
    int find_unused;
} config;

static ember_module *train_ddp(ember_dist_group *g, const config *c, double *buckets, double *early, double *bytes) {
    ember_module *model = make_model();
    /* Ranks other than 0 start from other weights: the wrapper must replace them with rank 0's. */
    if (rank_ != 0) {
        ember_tensor *w;
        OK(ember_module_parameter(model, "0.weight", &w));
        bool was = ember_set_grad_enabled(false);
        OK(ember_fill_(w, 0.5));
        ember_set_grad_enabled(was);
        ember_tensor_free(w);
    }
    ember_ddp *ddp;
    OK(ember_ddp_new(g, model, &ddp));
    if (c->bucket_cap_mb > 0) OK(ember_ddp_set(ddp, "bucket_cap_mb", c->bucket_cap_mb));
    OK(ember_ddp_set(ddp, "find_unused_parameters", c->find_unused));
    ember_optimizer *opt = make_sgd(model);
    for (int s = 0; s < STEPS; s += c->micro) {
        OK(ember_optimizer_zero_grad(opt));
        for (int m = 0; m < c->micro; m++) {
            OK(ember_ddp_set(ddp, "no_sync", m < c->micro - 1));
            ember_tensor *loss = loss_of(model, ddp, s + m, rank_ * B, B);
            OK(ember_ddp_backward(ddp, loss));
            ember_tensor_free(loss);
        }
        OK(ember_optimizer_step(opt));
    }
    OK(ember_ddp_get(ddp, "buckets", buckets));
    OK(ember_ddp_get(ddp, "early_buckets", early));
    OK(ember_ddp_get(ddp, "bytes_per_step", bytes));
    double steps;
    OK(ember_ddp_get(ddp, "steps", &steps));
    EXPECT((int)steps == STEPS / c->micro);
    ember_optimizer_free(opt);
    ember_ddp_free(ddp);
    return model;
}

/* The largest |a - b| over all parameters, and whether every rank holds exactly the same values. */
static double compare(ember_dist_group *g, ember_module *a, ember_module *b, int *identical_across_ranks) {
    double worst = 0;
    *identical_across_ranks = 1;
    int64_t n = ember_module_parameter_count(a);
    for (int64_t i = 0; i < n; i++) {
        ember_tensor *pa, *pb, *hi, *lo;
        char name[64];
        OK(ember_module_parameter_at(a, i, name, sizeof name, &pa));
        OK(ember_module_parameter(b, name, &pb));
        int64_t count = ember_tensor_numel(pa);
        float *va = malloc(sizeof(float) * (size_t)count), *vb = malloc(sizeof(float) * (size_t)count);
        float *vh = malloc(sizeof(float) * (size_t)count), *vl = malloc(sizeof(float) * (size_t)count);
        OK(ember_tensor_copy_to(pa, va, sizeof(float) * (size_t)count));
        OK(ember_tensor_copy_to(pb, vb, sizeof(float) * (size_t)count));
        for (int64_t k = 0; k < count; k++) {
            double d = fabs((double)va[k] - (double)vb[k]);
            if (d > worst || d != d) worst = d;
        }
        OK(ember_tensor_from_data(va, EMBER_FLOAT32, (const int64_t[]){count}, 1, &hi));
        OK(ember_tensor_from_data(va, EMBER_FLOAT32, (const int64_t[]){count}, 1, &lo));
        OK(ember_dist_all_reduce(g, hi, EMBER_DIST_MAX));
        OK(ember_dist_all_reduce(g, lo, EMBER_DIST_MIN));
        OK(ember_tensor_copy_to(hi, vh, sizeof(float) * (size_t)count));
        OK(ember_tensor_copy_to(lo, vl, sizeof(float) * (size_t)count));
        if (memcmp(vh, vl, sizeof(float) * (size_t)count) != 0) *identical_across_ranks = 0;
        free(va); free(vb); free(vh); free(vl);
        ember_tensor_free(pa); ember_tensor_free(pb); ember_tensor_free(hi); ember_tensor_free(lo);
    }
    return worst;
}

/* A parameter with a gradient on some ranks only gets the average everywhere
   (the others count as zero); with find_unused_parameters, one no rank used
   keeps no grad. Rank 0 uses the whole model, the others only layer 0. */
static void test_unused(ember_dist_group *g) {
    for (int find_unused = 0; find_unused <= 1; find_unused++) {
        ember_module *model = make_model(), *first;
        ember_ddp *ddp;
        OK(ember_ddp_new(g, model, &ddp));
        OK(ember_ddp_set(ddp, "find_unused_parameters", find_unused));
        OK(ember_module_child(model, "0", &first));
        const int64_t xshape[] = {B, IN};
        ember_tensor *x, *out, *loss, *grad, *sum_;
        OK(ember_tensor_from_data(xs[0][0], EMBER_FLOAT32, xshape, 2, &x));
        if (rank_ == 0) OK(ember_module_forward(model, x, &out));
        else OK(ember_module_forward(first, x, &out));
        OK(ember_mean(out, &loss));
        OK(ember_ddp_backward(ddp, loss));
        /* 4.bias: d mean(logits) / d bias = 1 / CLASSES on rank 0, nothing elsewhere. */
        OK(ember_module_parameter(model, "4.bias", &out));
        OK(ember_tensor_grad(out, &grad));
        EXPECT(grad != NULL);
        if (grad) {
            float v[CLASSES];
            OK(ember_tensor_copy_to(grad, v, sizeof v));
            EXPECT(fabs(v[0] - 1.0 / CLASSES / world) < 1e-7);
        }
        ember_tensor_free(grad);
        ember_tensor_free(out);
        OK(ember_module_zero_grad(model));
        ember_tensor_free(loss);
        /* Now no rank uses layer 4. */
        OK(ember_module_forward(first, x, &out));
        OK(ember_sum(out, &sum_));
        OK(ember_ddp_backward(ddp, sum_));
        ember_tensor_free(out);
        OK(ember_module_parameter(model, "4.bias", &out));
        OK(ember_tensor_grad(out, &grad));
        EXPECT(find_unused ? grad == NULL : grad != NULL);
        ember_tensor_free(grad);
        ember_tensor_free(out);
        ember_tensor_free(sum_);
        ember_tensor_free(x);
        ember_module_free(first);
        ember_ddp_free(ddp);
        ember_module_free(model);
    }
}

/* A second backward before finishing is an error that names the parameter. */
static void test_misuse(ember_dist_group *g) {
    ember_module *model = make_model();
    ember_ddp *ddp;
    OK(ember_ddp_new(g, model, &ddp));
    ember_tensor *loss = loss_of(model, ddp, 0, rank_ * B, B), *loss2 = loss_of(model, ddp, 1, rank_ * B, B);
    OK(ember_tensor_backward(loss, NULL));
    FAILS(ember_tensor_backward(loss2, NULL), EMBER_ERR_STATE, "second gradient before ember_ddp_finish_backward");
    FAILS(ember_ddp_set(ddp, "bucket_cap_mb", 1), EMBER_ERR_STATE, "between a backward");
    OK(ember_ddp_finish_backward(ddp));
    FAILS(ember_ddp_set(ddp, "bucket_cap_mb", 0), EMBER_ERR_INVALID_ARGUMENT, "positive");
    FAILS(ember_ddp_set(ddp, "no_sync", 2), EMBER_ERR_INVALID_ARGUMENT, "0 or 1");
    FAILS(ember_ddp_set(ddp, "bucket_size", 1), EMBER_ERR_INVALID_ARGUMENT, "first_bucket_cap_mb, broadcast_buffers");
    double v;
    FAILS(ember_ddp_get(ddp, "bucket_bytes.9", &v), EMBER_ERR_INVALID_ARGUMENT, "buckets 0 .. 0");
    OK(ember_ddp_get(ddp, "bucket_bytes.0", &v));
    EXPECT(v > 0);
    ember_module *m;
    OK(ember_ddp_module(ddp, &m));
    EXPECT(ember_module_parameter_count(m) == 6);
    ember_module_free(m);
    ember_tensor_free(loss);
    ember_tensor_free(loss2);
    ember_ddp_free(ddp);
    ember_ddp_free(ddp);    /* double free: a no-op */
    /* The wrapper removed its hooks: the module trains locally again. */
    loss = loss_of(model, NULL, 0, 0, B);
    loss2 = loss_of(model, NULL, 1, 0, B);
    OK(ember_tensor_backward(loss, NULL));
    OK(ember_tensor_backward(loss2, NULL));
    ember_tensor_free(loss);
    ember_tensor_free(loss2);
    ember_module_free(model);
}

static float buffer_value(ember_module *m, const char *name) {
    ember_tensor *b;
    float v[HIDDEN];
    OK(ember_module_buffer(m, name, &b));
    OK(ember_tensor_copy_to(b, v, sizeof v));
    ember_tensor_free(b);
    return v[0];
}

static void set_buffer(ember_module *m, const char *name, float value) {
    ember_tensor *b;
    OK(ember_module_buffer(m, name, &b));
    OK(ember_fill_(b, value));
    ember_tensor_free(b);
}

/* Buffers (batch-norm statistics) come from rank 0 at construction and before
   each ember_ddp_forward while "broadcast_buffers" is on. */
static void test_buffers(ember_dist_group *g) {
    ember_module *model, *layer;
    OK(ember_module_new("Sequential", "", &model));
    OK(ember_module_new("Linear", "20, 64", &layer)); OK(ember_sequential_append(model, layer)); ember_module_free(layer);
    OK(ember_module_new("BatchNorm1d", "64", &layer)); OK(ember_sequential_append(model, layer)); ember_module_free(layer);
    if (rank_ != 0) set_buffer(model, "1.running_var", 3);
    ember_ddp *ddp;
    OK(ember_ddp_new(g, model, &ddp));
    EXPECT(buffer_value(model, "1.running_var") == 1);
    OK(ember_module_train(model, false));
    if (rank_ != 0) set_buffer(model, "1.running_mean", 5);
    const int64_t xshape[] = {B, IN};
    ember_tensor *x, *out;
    OK(ember_tensor_from_data(xs[0][0], EMBER_FLOAT32, xshape, 2, &x));
    OK(ember_ddp_forward(ddp, x, &out));
    EXPECT(buffer_value(model, "1.running_mean") == 0);
    ember_tensor_free(out);
    OK(ember_ddp_set(ddp, "broadcast_buffers", 0));
    if (rank_ != 0) set_buffer(model, "1.running_mean", 5);
    OK(ember_ddp_forward(ddp, x, &out));
    EXPECT(buffer_value(model, "1.running_mean") == (rank_ != 0 ? 5 : 0));
    ember_tensor_free(out);
    ember_tensor_free(x);
    ember_ddp_free(ddp);
    ember_module_free(model);
}

int main(void) {
    ember_set_num_threads(1);
    ember_dist_group *g;
    OK(ember_dist_init(&g));
    OK(ember_dist_group_set(g, "timeout", 120));
    my_rank = rank_ = (int)ember_dist_rank(g);
    world = (int)ember_dist_world_size(g);
    if (world > MAXR) { fprintf(stderr, "at most %d ranks\n", MAXR); return 2; }
    make_data();

    const config configs[] = {
        {"one bucket (25 MB)", 0, 1, 0},
        {"4 KB buckets", 0.004, 1, 0},
        {"4 KB buckets, find_unused_parameters", 0.004, 1, 1},
        {"accumulation over 2 backwards (no_sync)", 0.004, 2, 0},
    };
    ember_module *reference = train_reference(1), *reference2 = train_reference(2);
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        const config *c = &configs[i];
        double buckets, early, bytes;
        ember_module *model = train_ddp(g, c, &buckets, &early, &bytes);
        int identical;
        double diff = compare(g, model, c->micro == 1 ? reference : reference2, &identical);
        if (my_rank == 0)
            printf("%-42s %d ranks x batch %d vs 1 process x batch %d: max |diff| %.3g after %d steps; %g buckets, "
                   "%g started during backward, %g bytes/step\n",
                   c->name, world, B, world * B, diff, STEPS, buckets, early, bytes);
        EXPECT(diff <= 1e-5);
        EXPECT(identical);
        int64_t param_bytes = 4 * (IN * HIDDEN + HIDDEN + HIDDEN * HIDDEN + HIDDEN + HIDDEN * CLASSES + CLASSES);
        EXPECT((int64_t)bytes == param_bytes + (c->find_unused ? 6 : 0));
        if (c->bucket_cap_mb > 0) {
            EXPECT(buckets >= 3);
            /* All but the last bucket start inside backward, overlapping the earlier layers' gradients. */
            EXPECT(early >= (buckets - 1) * (STEPS / c->micro));
        } else {
            EXPECT(buckets == 1);
        }
        ember_module_free(model);
    }
    ember_module_free(reference);
    ember_module_free(reference2);
    test_unused(g);
    test_misuse(g);
    test_buffers(g);
    return dist_test_done(g, "test_ddp");
}
