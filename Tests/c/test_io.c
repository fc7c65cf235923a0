/* ember/io.h and ember/dlpack.h from C: a model file torch and safetensors
   wrote runs here without Python; Ember's own model files, state dicts,
   checkpoints that resume bit for bit, malformed files, and DLPack in both
   directions with the deleter called once. Run from the repository root (make
   c-tests, make memcheck, which also checks that nothing leaks).
   Built with -std=c99 -pedantic -Wall -Wextra -Werror. */
#define _POSIX_C_SOURCE 200809L
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define TORCH_MLP "Tests/Fixtures/io/mlp.safetensors"

static char path_a[64], path_b[64];

/* The whole file at `path` (malloc'd), its size in *size. */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(1); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)n);
    if (!bytes || fread(bytes, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
    fclose(f);
    *size = (size_t)n;
    return bytes;
}

static void forward4(ember_module *m, const ember_tensor *x, float out[8]) {
    ember_tensor *y;
    OK(ember_module_forward(m, x, &y));
    EXPECT(ember_tensor_ndim(y) == 2 && ember_tensor_size(y, 0) == 4 && ember_tensor_size(y, 1) == 2);
    OK(ember_tensor_copy_to(y, out, 8 * sizeof(float)));
    ember_tensor_free(y);
}

/* A model torch trained and safetensors wrote, rebuilt with one call; the same
   weights loaded by name into a module built in C give the same outputs. */
static void test_model_files(void) {
    ember_module *loaded, *built, *relu, *fc1, *fc2, *again;
    ember_tensor *x;
    const int64_t shape[] = {4, 10};
    OK(ember_module_load(TORCH_MLP, &loaded));
    EXPECT(!ember_module_is_training(loaded));
    OK(ember_tensor_randn(shape, 2, EMBER_FLOAT32, &x));
    float a[8], b[8], c[8];
    forward4(loaded, x, a);

    OK(ember_sequential_new(&built));
    OK(ember_linear_new(10, 5, true, &fc1));
    OK(ember_relu_new(&relu));
    OK(ember_linear_new(5, 2, true, &fc2));
    OK(ember_sequential_append(built, fc1));
    OK(ember_sequential_append(built, relu));
    OK(ember_sequential_append(built, fc2));
    ember_module_free(fc1); ember_module_free(relu); ember_module_free(fc2);
    ember_state_dict *sd;
    OK(ember_state_dict_load(TORCH_MLP, &sd));
    char report[256];
    size_t length = 1;
    OK(ember_module_load_state_dict(built, sd, true, report, sizeof report, &length));
    EXPECT(length == 0 && report[0] == '\0');
    forward4(built, x, b);
    EXPECT(memcmp(a, b, sizeof a) == 0);

    /* Ember's own model file of the module built in C. */
    OK(ember_module_save(built, path_a));
    OK(ember_module_load(path_a, &again));
    forward4(again, x, c);
    EXPECT(memcmp(a, c, sizeof a) == 0);
    ember_module_free(again);

    /* Without its architecture it is a plain state dict, not a model file; a
       module of other shapes is told what does not fit, strict or not. */
    OK(ember_state_dict_set_metadata(sd, "ember.architecture", NULL));
    OK(ember_state_dict_save(sd, path_b));
    ember_module *none = (ember_module *)1;
    FAILS(ember_module_load(path_b, &none), EMBER_ERR_IO, "holds no architecture");
    EXPECT(none == NULL);
    ember_module *wide;
    OK(ember_module_new("Linear", "10, 7", &wide));
    FAILS(ember_module_load_state_dict(wide, sd, true, NULL, 0, NULL), EMBER_ERR_INVALID_ARGUMENT, "Unexpected key(s)");
    OK(ember_module_load_state_dict(wide, sd, false, report, sizeof report, &length));
    EXPECT(strstr(report, "Missing key(s) in state_dict: \"weight\", \"bias\".") != NULL);
    ember_module_free(wide);

    ember_state_dict_free(sd);
    ember_tensor_free(x);
    ember_module_free(built);
    ember_module_free(loaded);
}

/* Every prefix of a valid file, and a few damaged headers, are IO errors. */
static void test_malformed_files(void) {
    size_t size;
    unsigned char *bytes = read_file(TORCH_MLP, &size);
    for (size_t n = 0; n < size; n += (n < 64 ? 1 : 97)) {
        ember_state_dict *sd = (ember_state_dict *)1;
        if (ember_state_dict_load_buffer(bytes, n, &sd) != EMBER_ERR_IO || sd != NULL) {
            fprintf(stderr, "a %zu-byte prefix: %s\n", n, ember_last_error());
            failures++;
        }
    }
    unsigned char *copy = malloc(size);
    memcpy(copy, bytes, size);
    ember_state_dict *sd;
    copy[7] = 0x7f; /* an absurd header length */
    FAILS(ember_state_dict_load_buffer(copy, size, &sd), EMBER_ERR_IO, "exceeds the limit");
    memcpy(copy, bytes, size);
    copy[8] = '[';  /* not an object */
    FAILS(ember_state_dict_load_buffer(copy, size, &sd), EMBER_ERR_IO, "not a valid safetensors file");
    FILE *f = fopen(path_b, "wb");
    fwrite(bytes, 1, size - 1, f);
    fclose(f);
    FAILS(ember_state_dict_load(path_b, &sd), EMBER_ERR_IO, "past the end of the data section");
    FAILS(ember_state_dict_load("no/such/file.safetensors", &sd), EMBER_ERR_IO, "cannot open");
    ember_module *m;
    FAILS(ember_module_load(path_b, &m), EMBER_ERR_IO, "not a valid safetensors file");
    free(copy);
    free(bytes);
}

/* One training step of the regression below; the loss's bits in *loss. */
static void step(ember_module *m, ember_optimizer *opt, ember_scheduler *sched, ember_dataloader *loader, double *loss) {
    ember_tensor *x = NULL, *y = NULL, *out, *l;
    OK(ember_dataloader_next(loader, &x, &y));
    if (!x) OK(ember_dataloader_next(loader, &x, &y)); /* the epoch ended: the next one starts */
    OK(ember_module_forward(m, x, &out));
    OK(ember_mse_loss(out, y, &l));
    OK(ember_optimizer_zero_grad(opt));
    OK(ember_tensor_backward(l, NULL));
    OK(ember_optimizer_step(opt));
    OK(ember_scheduler_step(sched));
    OK(ember_tensor_item(l, loss));
    ember_tensor_free(x); ember_tensor_free(y); ember_tensor_free(out); ember_tensor_free(l);
}

/* A run with dropout, Adam, StepLR and a shuffling loader: saved after 5
   steps, continued for 7, then restored into fresh objects and continued for
   7 again -- the same losses, bit for bit. */
static void run(int restore, double losses[7]) {
    ember_manual_seed(7);
    const int64_t xs[] = {20, 3}, ys[] = {20, 1};
    ember_tensor *inputs, *targets;
    OK(ember_tensor_randn(xs, 2, EMBER_FLOAT32, &inputs));
    OK(ember_tensor_randn(ys, 2, EMBER_FLOAT32, &targets));
    ember_module *m, *fc1, *drop, *fc2;
    OK(ember_sequential_new(&m));
    OK(ember_module_new("Linear", "3, 8", &fc1));
    OK(ember_module_new("Dropout", "p=0.3", &drop));
    OK(ember_module_new("Linear", "8, 1", &fc2));
    OK(ember_sequential_append(m, fc1));
    OK(ember_sequential_append(m, drop));
    OK(ember_sequential_append(m, fc2));
    ember_module_free(fc1); ember_module_free(drop); ember_module_free(fc2);
    ember_optimizer *opt;
    ember_scheduler *sched;
    ember_dataloader *loader;
    OK(ember_adam_new(m, 0.01, &opt));
    OK(ember_steplr_new(opt, 3, 0.5, &sched));
    OK(ember_dataloader_new(inputs, targets, 6, true, &loader));
    double loss;
    if (restore) {
        OK(ember_checkpoint_load(path_a, m, opt, sched, loader));
    } else {
        for (int i = 0; i < 5; i++) step(m, opt, sched, loader, &loss);
        OK(ember_checkpoint_save(path_a, m, opt, sched, loader));
    }
    for (int i = 0; i < 7; i++) step(m, opt, sched, loader, &losses[i]);
    ember_dataloader_free(loader); ember_scheduler_free(sched); ember_optimizer_free(opt);
    ember_module_free(m); ember_tensor_free(inputs); ember_tensor_free(targets);
}

static void test_checkpoints(void) {
    double straight[7], resumed[7];
    run(0, straight);
    ember_manual_seed(99); /* the checkpoint restores the generator */
    run(1, resumed);
    EXPECT(memcmp(straight, resumed, sizeof straight) == 0);

    /* A checkpoint for another optimizer class is refused; nothing changes. */
    ember_module *lin;
    ember_optimizer *sgd;
    OK(ember_module_new("Linear", "3, 8", &lin));
    OK(ember_sgd_new(lin, 0.1, &sgd));
    FAILS(ember_checkpoint_load(path_a, NULL, sgd, NULL, NULL), EMBER_ERR_INVALID_ARGUMENT, "optimizer is a Adam");
    FAILS(ember_checkpoint_load(TORCH_MLP, lin, NULL, NULL, NULL), EMBER_ERR_IO, "not an Ember checkpoint");
    ember_optimizer_free(sgd);
    ember_module_free(lin);
}

static int producer_deleted = 0;
static void producer_deleter(DLManagedTensorVersioned *self) { producer_deleted++; free(self->manager_ctx); free(self); }

static void test_dlpack(void) {
    /* Export: the consumer writes through the structure and Ember sees it. */
    const double values[] = {1, 2, 3, 4, 5, 6};
    const int64_t shape[] = {2, 3};
    ember_tensor *t, *tt, *s;
    OK(ember_tensor_from_data(values, EMBER_FLOAT64, shape, 2, &t));
    OK(ember_transpose(t, 0, 1, &tt));
    DLManagedTensorVersioned *out;
    OK(ember_to_dlpack_versioned(tt, &out));
    EXPECT(out->version.major == 1 && out->flags == 0 && out->dl_tensor.ndim == 2);
    EXPECT(out->dl_tensor.device.device_type == kDLCPU && out->dl_tensor.dtype.code == kDLFloat && out->dl_tensor.dtype.bits == 64);
    EXPECT(out->dl_tensor.shape[0] == 3 && out->dl_tensor.strides[0] == 1 && out->dl_tensor.strides[1] == 3);
    ember_tensor_free(tt);
    ember_tensor_free(t); /* the structure keeps the memory alive */
    double *p = (double *)((char *)out->dl_tensor.data + out->dl_tensor.byte_offset);
    EXPECT(p[1 * 1 + 0 * 3] == 2);
    /* Import what was exported: the same memory, no copy. */
    ember_tensor *back;
    OK(ember_from_dlpack_versioned(out, &back));
    p[0] = 100;
    OK(ember_sum(back, &s));
    double total;
    OK(ember_tensor_item(s, &total));
    EXPECT(total == 100 + 2 + 3 + 4 + 5 + 6);
    ember_tensor_free(s);
    ember_tensor_free(back);

    /* A producer's memory, viewed until the last Ember tensor is gone. */
    DLManagedTensorVersioned *mine = calloc(1, sizeof *mine);
    float *data = calloc(4, sizeof(float));
    static int64_t four[] = {4};
    mine->version.major = 1;
    mine->version.minor = 1;
    mine->manager_ctx = data;
    mine->deleter = producer_deleter;
    mine->dl_tensor.data = data;
    mine->dl_tensor.device.device_type = kDLCPU;
    mine->dl_tensor.ndim = 1;
    mine->dl_tensor.dtype.code = kDLFloat;
    mine->dl_tensor.dtype.bits = 32;
    mine->dl_tensor.dtype.lanes = 1;
    mine->dl_tensor.shape = four;
    mine->dl_tensor.device.device_type = kDLCUDA;
    FAILS(ember_from_dlpack_versioned(mine, &t), EMBER_ERR_INVALID_ARGUMENT, "kDLCUDA");
    EXPECT(producer_deleted == 0); /* a failed import takes nothing */
    mine->dl_tensor.device.device_type = kDLCPU;
    OK(ember_from_dlpack_versioned(mine, &t));
    const float ones[] = {1, 1, 1, 1};
    OK(ember_tensor_copy_from(t, ones, sizeof ones));
    EXPECT(data[3] == 1);
    ember_tensor_free(t);
    /* Released at the latest by the next call that exchanges a tensor. */
    OK(ember_tensor_zeros(four, 1, EMBER_FLOAT32, &t));
    OK(ember_to_dlpack_versioned(t, &out));
    out->deleter(out);
    ember_tensor_free(t);
    EXPECT(producer_deleted == 1);

    DLManagedTensor *legacy;
    OK(ember_tensor_ones(four, 1, EMBER_INT64, &t));
    OK(ember_to_dlpack(t, &legacy));
    EXPECT(legacy->dl_tensor.dtype.code == kDLInt && ((int64_t *)legacy->dl_tensor.data)[2] == 1);
    legacy->deleter(legacy);
    ember_tensor_free(t);
}

static void test_generator_state(void) {
    ember_tensor *state, *a, *b;
    const int64_t n[] = {5};
    ember_manual_seed(3);
    OK(ember_generator_get_state(&state));
    EXPECT(ember_tensor_numel(state) == 632 && ember_tensor_dtype(state) == EMBER_INT64);
    OK(ember_tensor_randn(n, 1, EMBER_FLOAT64, &a));
    OK(ember_generator_set_state(state));
    OK(ember_tensor_randn(n, 1, EMBER_FLOAT64, &b));
    double x[5], y[5];
    OK(ember_tensor_copy_to(a, x, sizeof x));
    OK(ember_tensor_copy_to(b, y, sizeof y));
    EXPECT(memcmp(x, y, sizeof x) == 0);
    FAILS(ember_generator_set_state(a), EMBER_ERR_INVALID_ARGUMENT, "632 elements");
    ember_tensor_free(state); ember_tensor_free(a); ember_tensor_free(b);
}

int main(void) {
    snprintf(path_a, sizeof path_a, "/tmp/ember-test-io-%ld-a.safetensors", (long)getpid());
    snprintf(path_b, sizeof path_b, "/tmp/ember-test-io-%ld-b.safetensors", (long)getpid());
    test_model_files();
    test_malformed_files();
    test_checkpoints();
    test_dlpack();
    test_generator_state();
    unlink(path_a);
    unlink(path_b);
    if (failures) {
        fprintf(stderr, "test_io: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_io: all passed\n");
    return 0;
}
