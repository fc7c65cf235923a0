/* The C API from C: values, views, autograd, errors and ownership, as a C
   caller sees them. Built with -std=c99 -pedantic -Wall -Wextra -Werror. */
#include <ember.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void test_values_and_views(void) {
    const float data[] = {1, 2, 3, 4, 5, 6};
    const int64_t shape[] = {2, 3};
    ember_tensor *a, *t, *r, *s;
    OK(ember_tensor_from_data(data, EMBER_FLOAT32, shape, 2, &a));
    OK(ember_transpose(a, 0, 1, &t));
    EXPECT(!ember_tensor_is_contiguous(t));
    EXPECT(ember_tensor_size(t, 0) == 3 && ember_tensor_size(t, -1) == 2);
    float out[6];
    OK(ember_tensor_copy_to(t, out, sizeof out));               /* row-major, whatever the strides */
    EXPECT(out[0] == 1 && out[1] == 4 && out[2] == 2 && out[5] == 6);
    const int64_t flat[] = {-1};
    OK(ember_reshape(t, flat, 1, &r));
    EXPECT(ember_tensor_numel(r) == 6);
    /* Writing through a view reaches the base: views share storage. */
    const float twos[] = {2, 2, 2, 2, 2, 2};
    OK(ember_tensor_copy_from(t, twos, sizeof twos));
    OK(ember_sum(a, &s));
    double total;
    OK(ember_tensor_item(s, &total));
    EXPECT(total == 12);
    int64_t dims[4];
    OK(ember_tensor_shape(t, dims, 4));
    EXPECT(dims[0] == 3 && dims[1] == 2);
    FAILS(ember_tensor_shape(t, dims, 1), EMBER_ERR_INVALID_ARGUMENT, "capacity 1");
    ember_tensor_free(a); ember_tensor_free(t); ember_tensor_free(r); ember_tensor_free(s);
}

static void test_broadcast_and_promotion(void) {
    const int64_t col[] = {3, 1}, row[] = {2};
    const double cv[] = {1, 2, 3};
    const float rv[] = {10, 20};
    ember_tensor *c, *r, *sum, *scaled;
    OK(ember_tensor_from_data(cv, EMBER_FLOAT64, col, 2, &c));
    OK(ember_tensor_from_data(rv, EMBER_FLOAT32, row, 1, &r));
    OK(ember_add(c, r, &sum));
    EXPECT(ember_tensor_dtype(sum) == EMBER_FLOAT64);
    EXPECT(ember_tensor_ndim(sum) == 2 && ember_tensor_size(sum, 0) == 3 && ember_tensor_size(sum, 1) == 2);
    double v[6];
    OK(ember_tensor_copy_to(sum, v, sizeof v));
    EXPECT(v[0] == 11 && v[1] == 21 && v[5] == 23);
    OK(ember_mul_scalar(r, 0.5, &scaled));
    EXPECT(ember_tensor_dtype(scaled) == EMBER_FLOAT32);
    ember_tensor_free(c); ember_tensor_free(r); ember_tensor_free(sum); ember_tensor_free(scaled);
}

static void test_autograd(void) {
    const double xv[] = {1, 2, 3};
    const int64_t shape[] = {3};
    ember_tensor *x, *y, *loss, *g;
    OK(ember_tensor_from_data(xv, EMBER_FLOAT64, shape, 1, &x));
    OK(ember_tensor_set_requires_grad(x, true));
    EXPECT(ember_tensor_requires_grad(x) && ember_tensor_is_leaf(x));
    OK(ember_exp(x, &y));
    OK(ember_sum(y, &loss));
    EXPECT(!ember_tensor_is_leaf(loss));
    OK(ember_tensor_backward_ex(loss, NULL, true, false));   /* retained: backward again */
    OK(ember_tensor_backward(loss, NULL));
    OK(ember_tensor_grad(x, &g));
    double gv[3];
    OK(ember_tensor_copy_to(g, gv, sizeof gv));
    EXPECT(fabs(gv[2] - 2 * exp(3.0)) < 1e-12);              /* d/dx sum(e^x) = e^x, twice */
    FAILS(ember_tensor_backward(loss, NULL), EMBER_ERR_STATE, "second time");
    ember_tensor_free(loss);                                  /* freeing handles never breaks the graph */

    bool previous = ember_set_grad_enabled(false);
    EXPECT(previous && !ember_is_grad_enabled());
    ember_tensor *z;
    OK(ember_mul(x, x, &z));
    EXPECT(!ember_tensor_requires_grad(z));
    ember_set_grad_enabled(previous);
    ember_tensor_free(x); ember_tensor_free(y); ember_tensor_free(g); ember_tensor_free(z);
}

static void test_seeded_generation(void) {
    const int64_t shape[] = {20};
    ember_tensor *a, *b;
    float av[20], bv[20];
    ember_manual_seed(123);
    OK(ember_tensor_randn(shape, 1, EMBER_FLOAT32, &a));
    ember_manual_seed(123);
    OK(ember_tensor_randn(shape, 1, EMBER_FLOAT32, &b));
    OK(ember_tensor_copy_to(a, av, sizeof av));
    OK(ember_tensor_copy_to(b, bv, sizeof bv));
    EXPECT(memcmp(av, bv, sizeof av) == 0);
    ember_manual_seed(0);
    ember_tensor *u;
    const int64_t one[] = {1};
    OK(ember_tensor_rand(one, 1, EMBER_FLOAT32, &u));
    float uv;
    OK(ember_tensor_copy_to(u, &uv, sizeof uv));
    EXPECT(uv == 0.49625658988952637f);                        /* torch.manual_seed(0); torch.rand(1) */
    ember_tensor_free(a); ember_tensor_free(b); ember_tensor_free(u);
}

static void test_module_iteration_and_loader(void) {
    ember_module *model, *l1, *act, *l2;
    OK(ember_sequential_new(&model));
    OK(ember_linear_new(4, 3, true, &l1));
    OK(ember_relu_new(&act));
    OK(ember_linear_new(3, 2, false, &l2));
    OK(ember_sequential_append(model, l1));
    OK(ember_sequential_append(model, act));
    OK(ember_sequential_append(model, l2));
    ember_module_free(l1); ember_module_free(act); ember_module_free(l2);
    EXPECT(ember_module_parameter_count(model) == 3);
    const char *expected[] = {"0.weight", "0.bias", "2.weight"};
    for (int64_t i = 0; i < ember_module_parameter_count(model); i++) {
        char name[32];
        ember_tensor *p;
        OK(ember_module_parameter_at(model, i, name, sizeof name, &p));
        EXPECT(strcmp(name, expected[i]) == 0);
        EXPECT(ember_tensor_requires_grad(p));
        ember_tensor_free(p);
    }
    OK(ember_module_train(model, false));
    EXPECT(!ember_module_is_training(model));

    const int64_t xs[] = {5, 4}, ys[] = {5};
    ember_tensor *x, *y;
    OK(ember_tensor_zeros(xs, 2, EMBER_FLOAT32, &x));
    OK(ember_tensor_zeros(ys, 1, EMBER_INT64, &y));
    ember_dataloader *loader;
    OK(ember_dataloader_new(x, y, 2, true, &loader));
    OK(ember_dataloader_set(loader, "drop_last", 1));
    double len;
    OK(ember_dataloader_get(loader, "len", &len));
    EXPECT(len == 2);
    int batches = 0;
    for (;;) {
        ember_tensor *bx, *by;
        OK(ember_dataloader_next(loader, &bx, &by));
        if (bx == NULL) { EXPECT(by == NULL); break; }
        EXPECT(ember_tensor_size(bx, 0) == 2);
        batches++;
        ember_tensor_free(bx); ember_tensor_free(by);
    }
    EXPECT(batches == 2);
    ember_dataloader_free(loader);
    ember_tensor_free(x); ember_tensor_free(y);
    ember_module_free(model);
}

static void test_errors_clear_out_parameters(void) {
    const int64_t a_shape[] = {2, 3}, b_shape[] = {4, 5};
    ember_tensor *a, *b, *out = (ember_tensor *)&failures;
    OK(ember_tensor_zeros(a_shape, 2, EMBER_FLOAT32, &a));
    OK(ember_tensor_zeros(b_shape, 2, EMBER_FLOAT32, &b));
    FAILS(ember_matmul(a, b, &out), EMBER_ERR_SHAPE, "[2, 3] and [4, 5]");
    EXPECT(out == NULL);
    out = (ember_tensor *)&failures;
    FAILS(ember_add(a, NULL, &out), EMBER_ERR_INVALID_HANDLE, "argument 'b' is NULL");
    EXPECT(out == NULL);
    ember_tensor_free(b);
    FAILS(ember_add(a, b, &out), EMBER_ERR_INVALID_HANDLE, "freed");
    double item = 7;
    FAILS(ember_tensor_item(a, &item), EMBER_ERR_SHAPE, "6 elements");
    EXPECT(item == 0);
    ember_tensor_free(a);
    EXPECT(strlen(ember_version()) >= 5);
}

static void test_slices_lists_and_creation(void) {
    ember_tensor *x, *tail, *pieces[4], *joined, *eye;
    const int64_t shape[] = {2, 5};
    OK(ember_tensor_arange(0, 10, 1, EMBER_FLOAT64, &x));
    ember_tensor *m;
    OK(ember_reshape(x, shape, 2, &m));
    OK(ember_slice(m, 1, 2, EMBER_END, 1, &tail));            /* m[:, 2:] */
    EXPECT(ember_tensor_size(tail, 1) == 3);
    double v[6];
    OK(ember_tensor_copy_to(tail, v, sizeof v));
    EXPECT(v[0] == 2 && v[2] == 4 && v[3] == 7);
    int64_t count = -1;
    OK(ember_split(m, 2, 1, NULL, 0, &count));                /* a query: how many pieces */
    EXPECT(count == 3);
    FAILS(ember_split(m, 2, 1, pieces, 2, &count), EMBER_ERR_INVALID_ARGUMENT, "capacity 2");
    EXPECT(count == 0);
    OK(ember_split(m, 2, 1, pieces, 4, &count));
    EXPECT(count == 3 && ember_tensor_size(pieces[2], 1) == 1);
    OK(ember_cat((const ember_tensor *const *)pieces, count, 1, &joined));
    double all[10];
    OK(ember_tensor_copy_to(joined, all, sizeof all));
    EXPECT(all[4] == 4 && all[9] == 9);
    for (int64_t i = 0; i < count; i++) ember_tensor_free(pieces[i]);
    OK(ember_tensor_eye(2, 3, EMBER_FLOAT32, &eye));
    float e[6];
    OK(ember_tensor_copy_to(eye, e, sizeof e));
    EXPECT(e[0] == 1 && e[1] == 0 && e[4] == 1 && e[5] == 0);
    ember_tensor_free(x); ember_tensor_free(m); ember_tensor_free(tail); ember_tensor_free(joined); ember_tensor_free(eye);
}

/* Freed tensor memory above 4 KiB is kept for reuse; ember_empty_cache gives it back. */
static void test_memory_cache(void) {
    const int64_t big[] = {100000};
    const char *limit = getenv("EMBER_CACHE_MB");
    int off = limit != NULL && strcmp(limit, "0") == 0;
    ember_tensor *t = NULL, *u = NULL;
    (void)ember_empty_cache();
    EXPECT(ember_empty_cache() == 0);
    OK(ember_tensor_zeros(big, 1, EMBER_FLOAT32, &t));
    ember_tensor_free(t);
    OK(ember_tensor_ones(big, 1, EMBER_FLOAT32, &u));           /* served from the kept block */
    ember_tensor *total = NULL;
    double sum = 0;
    OK(ember_sum(u, &total));
    OK(ember_tensor_item(total, &sum));
    EXPECT(sum == 100000);                                        /* ones, whatever the block held before */
    ember_tensor_free(total);
    ember_tensor_free(u);
    if (off) EXPECT(ember_empty_cache() == 0);               /* EMBER_CACHE_MB=0 (sanitizer runs): nothing kept */
    else EXPECT(ember_empty_cache() >= 400000);
    EXPECT(ember_empty_cache() == 0);
}

int main(void) {
    test_memory_cache();
    test_values_and_views();
    test_broadcast_and_promotion();
    test_autograd();
    test_seeded_generation();
    test_module_iteration_and_loader();
    test_errors_clear_out_parameters();
    test_slices_lists_and_creation();
    if (failures) { fprintf(stderr, "test_api: %d failure(s)\n", failures); return 1; }
    printf("test_api: all passed\n");
    return 0;
}
