/* Misuse of ember/tensor.h: bad shapes, negative, overflowing and absurd
   sizes, bad dtypes, NULL data and out-parameters, too-small buffers, values
   that do not fit, random sources given impossible probabilities. */
#include "misuse.h"

#include <math.h>
#include <string.h>

static const float four[4] = {1, 2, 3, 4};

/* ---- Shapes and sizes ------------------------------------------------------ */

CASE(from_data_null_data) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_from_data(NULL, EMBER_FLOAT32, SHAPE(2, 2), &out), EMBER_ERR_INVALID_ARGUMENT, "data is NULL");
    return 0;
}

CASE(from_data_null_data_empty_is_fine) {
    ember_tensor *out;
    OK(ember_tensor_from_data(NULL, EMBER_FLOAT32, SHAPE(0, 3), &out));
    EXPECT(ember_tensor_numel(out) == 0 && ember_tensor_ndim(out) == 2);
    return 0;
}

CASE(from_data_null_shape) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_from_data(four, EMBER_FLOAT32, NULL, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "'shape' is NULL");
    return 0;
}

CASE(from_data_negative_ndim) {
    ember_tensor *out;
    const int64_t s[] = {4};
    FAILS_OUT(out, ember_tensor_from_data(four, EMBER_FLOAT32, s, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "ndim must be >= 0, got -1");
    return 0;
}

CASE(from_data_too_many_dims) {
    ember_tensor *out;
    const int64_t s[13] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4};
    FAILS_OUT(out, ember_tensor_from_data(four, EMBER_FLOAT32, s, 13, &out), EMBER_ERR_INVALID_ARGUMENT, "ndim 13");
    return 0;
}

CASE(from_data_ndim_int64_max) {
    ember_tensor *out;
    const int64_t s[] = {4};
    FAILS_OUT(out, ember_tensor_from_data(four, EMBER_FLOAT32, s, INT64_MAX, &out), EMBER_ERR_INVALID_ARGUMENT, "maximum of 12");
    return 0;
}

CASE(from_data_dtype_out_of_range) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_from_data(four, (ember_dtype)4, SHAPE(4), &out), EMBER_ERR_DTYPE, "not a valid ember_dtype (4)");
    FAILS_OUT(out, ember_tensor_from_data(four, (ember_dtype)-1, SHAPE(4), &out), EMBER_ERR_DTYPE, "not a valid ember_dtype");
    FAILS_OUT(out, ember_tensor_from_data(four, (ember_dtype)0x7fffffff, SHAPE(4), &out), EMBER_ERR_DTYPE, "not a valid ember_dtype");
    return 0;
}

CASE(from_data_null_out) {
    FAILS(ember_tensor_from_data(four, EMBER_FLOAT32, SHAPE(4), NULL), EMBER_ERR_INVALID_ARGUMENT, "argument 'out' is NULL");
    return 0;
}

CASE(zeros_negative_size) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(2, -3), EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "negative size -3");
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(INT64_MIN), EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "negative size");
    return 0;
}

/* 1e15 elements: 4 PB of float32. */
CASE(zeros_absurd_size) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(1000000000000000LL), EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(out, ember_tensor_ones(SHAPE(1000000, 1000000, 1000), EMBER_FLOAT64, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    return 0;
}

/* Larger than the 4 GiB the runner allows the child, but addressable: the
   allocation itself fails, which must be a status too. */
CASE(zeros_allocation_fails) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(2000000000LL), EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(out, ember_tensor_rand(SHAPE(3000000000LL), EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    return 0;
}

CASE(zeros_size_product_overflows) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(INT64_MAX, 2), EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, "than can be addressed");
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(1LL << 32, 1LL << 32), EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY,
              "than can be addressed");
    /* The element count fits, the byte count does not. */
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(1LL << 62), EMBER_FLOAT64, &out), EMBER_ERR_OUT_OF_MEMORY, "bytes than can be addressed");
    return 0;
}

/* No elements: the other sizes may be huge, as in torch, and nothing overflows. */
CASE(zeros_empty_with_huge_sizes) {
    ember_tensor *out, *sum;
    double v = -1;
    OK(ember_tensor_zeros(SHAPE(0, INT64_MAX), EMBER_FLOAT32, &out));
    EXPECT(ember_tensor_numel(out) == 0 && ember_tensor_size(out, 1) == INT64_MAX);
    OK(ember_sum(out, &sum));
    OK(ember_tensor_item(sum, &v));
    EXPECT(v == 0);
    /* As torch (numel: integer multiplication overflow), sizes whose product
       overflows before the 0 is reached are refused. */
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(INT64_MAX, INT64_MAX, 0), EMBER_FLOAT64, &out), EMBER_ERR_OUT_OF_MEMORY,
              "more elements than can be addressed");
    return 0;
}

CASE(full_int64_value_does_not_fit) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_full(SHAPE(2), NAN, EMBER_INT64, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(out, ember_tensor_full(SHAPE(2), INFINITY, EMBER_INT64, &out), EMBER_ERR_INVALID_ARGUMENT, "inf");
    FAILS_OUT(out, ember_tensor_full(SHAPE(2), 1e300, EMBER_INT64, &out), EMBER_ERR_INVALID_ARGUMENT, "int64");
    return 0;
}

CASE(full_float_nan_and_inf_are_values) {
    ember_tensor *out;
    float v[2];
    OK(ember_tensor_full(SHAPE(2), NAN, EMBER_FLOAT32, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(isnan(v[0]) && isnan(v[1]));
    OK(ember_tensor_full(SHAPE(2), -INFINITY, EMBER_FLOAT32, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(isinf(v[0]) && v[0] < 0);
    return 0;
}

CASE(rand_integer_dtypes) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_rand(SHAPE(2), EMBER_INT64, &out), EMBER_ERR_DTYPE, "float");
    FAILS_OUT(out, ember_tensor_randn(SHAPE(2), EMBER_BOOL, &out), EMBER_ERR_DTYPE, "float");
    FAILS_OUT(out, ember_tensor_randn(SHAPE(2), (ember_dtype)17, &out), EMBER_ERR_DTYPE, "not a valid ember_dtype (17)");
    return 0;
}

CASE(arange_bad_steps) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_arange(0, 10, 0, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "step");
    FAILS_OUT(out, ember_tensor_arange(0, 10, -1, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "step");
    FAILS_OUT(out, ember_tensor_arange(0, 10, NAN, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    return 0;
}

CASE(arange_non_finite_bounds) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_arange(0, INFINITY, 1, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "inf");
    FAILS_OUT(out, ember_tensor_arange(NAN, 1, 1, EMBER_FLOAT64, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    return 0;
}

CASE(arange_absurd_length) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_arange(0, 1e18, 1e-3, EMBER_FLOAT64, &out), EMBER_ERR_OUT_OF_MEMORY, "too many");
    FAILS_OUT(out, ember_tensor_arange(-1e300, 1e300, 1, EMBER_FLOAT64, &out), EMBER_ERR_OUT_OF_MEMORY, "too many");
    return 0;
}

CASE(linspace_bad_steps) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_linspace(0, 1, -1, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "steps");
    FAILS_OUT(out, ember_tensor_linspace(0, 1, INT64_MIN, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "steps");
    FAILS_OUT(out, ember_tensor_linspace(0, 1, 1000000000000000LL, EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    return 0;
}

CASE(linspace_bad_dtype_and_bounds) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_linspace(0, 1, 3, EMBER_BOOL, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_tensor_linspace(0, 1e300, 3, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "float32");
    FAILS_OUT(out, ember_tensor_linspace(0, 1e300, 3, EMBER_INT64, &out), EMBER_ERR_INVALID_ARGUMENT, "int64");
    return 0;
}

CASE(eye_bad_sizes) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_eye(-1, 2, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_tensor_eye(2, -1, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_tensor_eye(100000000, 100000000, EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(out, ember_tensor_eye(INT64_MAX, INT64_MAX, EMBER_FLOAT32, &out), EMBER_ERR_OUT_OF_MEMORY, "than can be addressed");
    FAILS_OUT(out, ember_tensor_eye(2, 2, (ember_dtype)9, &out), EMBER_ERR_DTYPE, "not a valid ember_dtype (9)");
    return 0;
}

CASE(randint_bad_range) {
    ember_tensor *out;
    FAILS_OUT(out, ember_tensor_randint(5, 5, SHAPE(2), &out), EMBER_ERR_INVALID_ARGUMENT, "5");
    FAILS_OUT(out, ember_tensor_randint(5, -5, SHAPE(2), &out), EMBER_ERR_INVALID_ARGUMENT, "-5");
    FAILS_OUT(out, ember_tensor_randint(0, 10, SHAPE(-2), &out), EMBER_ERR_INVALID_ARGUMENT, "negative size -2");
    return 0;
}

/* The widest range there is: high - low overflows int64 (torch takes it as an unsigned range). */
CASE(randint_full_int64_range) {
    ember_tensor *out;
    int64_t v[64];
    int i, distinct = 0;
    OK(ember_tensor_randint(INT64_MIN, INT64_MAX, SHAPE(64), &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    for (i = 0; i < 64; i++) { EXPECT(v[i] != INT64_MAX); distinct += i > 0 && v[i] != v[i - 1]; }
    EXPECT(distinct > 60);
    OK(ember_tensor_randint(INT64_MAX - 1, INT64_MAX, SHAPE(4), &out));
    OK(ember_tensor_copy_to(out, v, 4 * sizeof *v));
    EXPECT(v[0] == INT64_MAX - 1 && v[3] == INT64_MAX - 1);
    return 0;
}

CASE(like_functions_bad_dtype) {
    ember_tensor *i = T_I64(VALUES(1, 2), SHAPE(2)), *out;
    FAILS_OUT(out, ember_rand_like(i, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_randn_like(i, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_full_like(i, NAN, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(out, ember_full_like(i, 1e30, &out), EMBER_ERR_INVALID_ARGUMENT, "int64");
    return 0;
}

CASE(bernoulli_bad_probabilities) {
    ember_tensor *p = T_F32(VALUES(0.5, 1.5), SHAPE(2)), *n = T_F32(VALUES(0.5, NAN), SHAPE(2)), *i = T_I64(VALUES(0, 1), SHAPE(2)), *out;
    FAILS_OUT(out, ember_bernoulli(p, &out), EMBER_ERR_INVALID_ARGUMENT, "1.5");
    FAILS_OUT(out, ember_bernoulli(n, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(out, ember_bernoulli(i, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(bernoulli_p_out_of_range) {
    ember_tensor *x = T_F32(NULL, SHAPE(3)), *out;
    FAILS_OUT(out, ember_bernoulli_p(x, 1.5, &out), EMBER_ERR_INVALID_ARGUMENT, "1.5");
    FAILS_OUT(out, ember_bernoulli_p(x, -0.1, &out), EMBER_ERR_INVALID_ARGUMENT, "-0.1");
    FAILS_OUT(out, ember_bernoulli_p(x, NAN, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    return 0;
}

CASE(multinomial_bad_weights) {
    ember_tensor *neg = T_F32(VALUES(0.5, -1), SHAPE(2)), *nan = T_F32(VALUES(NAN, 1), SHAPE(2)),
                 *inf = T_F32(VALUES(INFINITY, 1), SHAPE(2)), *zero = T_F32(VALUES(0, 0, 1, 1), SHAPE(2, 2)), *out;
    FAILS_OUT(out, ember_multinomial(neg, 1, true, &out), EMBER_ERR_INVALID_ARGUMENT, "element < 0 (-1.0 in row 0)");
    FAILS_OUT(out, ember_multinomial(nan, 1, true, &out), EMBER_ERR_INVALID_ARGUMENT, "`nan`");
    FAILS_OUT(out, ember_multinomial(inf, 1, true, &out), EMBER_ERR_INVALID_ARGUMENT, "`inf`");
    FAILS_OUT(out, ember_multinomial(zero, 1, true, &out), EMBER_ERR_INVALID_ARGUMENT, "sum of probabilities <= 0");
    return 0;
}

CASE(multinomial_bad_counts_and_shapes) {
    ember_tensor *p = T_F32(VALUES(1, 1, 1), SHAPE(3)), *p3 = T_F32(NULL, SHAPE(1, 1, 3)), *i = T_I64(VALUES(1, 1), SHAPE(2)), *out;
    FAILS_OUT(out, ember_multinomial(p, 0, true, &out), EMBER_ERR_INVALID_ARGUMENT, "num_samples");
    FAILS_OUT(out, ember_multinomial(p, -3, true, &out), EMBER_ERR_INVALID_ARGUMENT, "num_samples");
    FAILS_OUT(out, ember_multinomial(p, 4, false, &out), EMBER_ERR_INVALID_ARGUMENT, "replacement");
    FAILS_OUT(out, ember_multinomial(p, INT64_MAX, true, &out), EMBER_ERR_OUT_OF_MEMORY, "than can be addressed");
    FAILS_OUT(out, ember_multinomial(p3, 1, true, &out), EMBER_ERR_SHAPE, "[1, 1, 3]");
    FAILS_OUT(out, ember_multinomial(i, 1, true, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(one_hot_bad_indices) {
    ember_tensor *f = T_F32(VALUES(0, 1), SHAPE(2)), *neg = T_I64(VALUES(0, -1), SHAPE(2)), *big = T_I64(VALUES(0, 5), SHAPE(2)),
                 *empty = T_I64(NULL, SHAPE(0)), *out;
    FAILS_OUT(out, ember_one_hot(f, 3, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_one_hot(neg, 3, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_one_hot(big, 3, &out), EMBER_ERR_INVALID_ARGUMENT, "5");
    FAILS_OUT(out, ember_one_hot(empty, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "empty");
    return 0;
}

CASE(one_hot_absurd_classes) {
    ember_tensor *i = T_I64(VALUES(0, 1), SHAPE(2)), *huge = T_I64(VALUES(0, 999999999999999LL), SHAPE(2)), *out;
    FAILS_OUT(out, ember_one_hot(i, 1000000000000000LL, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(out, ember_one_hot(huge, -1, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(out, ember_one_hot(i, -7, &out), EMBER_ERR_INVALID_ARGUMENT, "-7");
    return 0;
}

/* ---- Element access ---------------------------------------------------------- */

CASE(copy_to_too_small_and_null) {
    ember_tensor *t = T_F32(VALUES(1, 2, 3, 4), SHAPE(2, 2));
    float small[3] = {-1, -1, -1};
    FAILS(ember_tensor_copy_to(t, small, sizeof small), EMBER_ERR_INVALID_ARGUMENT, "dst_bytes is 12 but the tensor needs 16 bytes");
    EXPECT(small[0] == -1 && small[2] == -1);                 /* nothing written */
    FAILS(ember_tensor_copy_to(t, NULL, 16), EMBER_ERR_INVALID_ARGUMENT, "'dst' is NULL");
    FAILS(ember_tensor_copy_to(t, small, 0), EMBER_ERR_INVALID_ARGUMENT, "dst_bytes is 0");
    return 0;
}

CASE(copy_from_size_mismatch) {
    ember_tensor *t = T_F32(NULL, SHAPE(2, 2));
    FAILS(ember_tensor_copy_from(t, four, 12), EMBER_ERR_INVALID_ARGUMENT, "src_bytes is 12 but the tensor holds exactly 16 bytes");
    FAILS(ember_tensor_copy_from(t, four, 20), EMBER_ERR_INVALID_ARGUMENT, "src_bytes is 20");
    FAILS(ember_tensor_copy_from(t, four, (size_t)-1), EMBER_ERR_INVALID_ARGUMENT, "src_bytes");
    FAILS(ember_tensor_copy_from(t, NULL, 16), EMBER_ERR_INVALID_ARGUMENT, "'src' is NULL");
    return 0;
}

CASE(copy_from_into_expanded_view) {
    ember_tensor *t = T_F32(VALUES(1, 2), SHAPE(1, 2)), *e;
    const float v[6] = {1, 2, 3, 4, 5, 6};
    OK(ember_expand(t, SHAPE(3, 2), &e));
    FAILS(ember_tensor_copy_from(e, v, sizeof v), EMBER_ERR_STATE, "expanded");
    return 0;
}

CASE(item_of_many_elements) {
    ember_tensor *t = T_F32(VALUES(1, 2), SHAPE(2)), *empty = T_F32(NULL, SHAPE(0));
    double v = 7;
    int64_t i = 7;
    FAILS(ember_tensor_item(t, &v), EMBER_ERR_SHAPE, "2 elements");
    EXPECT(v == 0);
    FAILS(ember_tensor_item(empty, &v), EMBER_ERR_SHAPE, "0 elements");
    FAILS(ember_tensor_item_int64(t, &i), EMBER_ERR_SHAPE, "2 elements");
    EXPECT(i == 0);
    FAILS(ember_tensor_item(t, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

CASE(item_int64_of_non_finite_and_huge) {
    ember_tensor *n = misuse_scalar(EMBER_FLOAT64, NAN), *inf = misuse_scalar(EMBER_FLOAT32, -INFINITY),
                 *big = misuse_scalar(EMBER_FLOAT64, 1e19);
    int64_t i = 7;
    FAILS(ember_tensor_item_int64(n, &i), EMBER_ERR_INVALID_ARGUMENT, "nan");
    EXPECT(i == 0);
    FAILS(ember_tensor_item_int64(inf, &i), EMBER_ERR_INVALID_ARGUMENT, "-inf");
    FAILS(ember_tensor_item_int64(big, &i), EMBER_ERR_INVALID_ARGUMENT, "int64");
    return 0;
}

CASE(size_dim_out_of_range) {
    ember_tensor *t = T_F32(NULL, SHAPE(2, 3)), *s = misuse_scalar(EMBER_FLOAT32, 1);
    EXPECT(ember_tensor_size(t, 2) == -1);
    MESSAGE("ember_tensor_size", "2");
    EXPECT(ember_tensor_size(t, -3) == -1);
    EXPECT(ember_tensor_size(t, INT64_MIN) == -1);
    EXPECT(ember_tensor_size(t, INT64_MAX) == -1);
    EXPECT(ember_tensor_size(s, 0) == -1);
    MESSAGE("ember_tensor_size", "no dimensions");
    EXPECT(ember_tensor_size(t, -1) == 3);
    return 0;
}

CASE(shape_buffer_too_small) {
    ember_tensor *t = T_F32(NULL, SHAPE(2, 3, 4));
    int64_t dims[3] = {-1, -1, -1};
    FAILS(ember_tensor_shape(t, dims, 2), EMBER_ERR_INVALID_ARGUMENT, "capacity 2 is smaller than the tensor's 3 dimensions");
    EXPECT(dims[0] == -1);
    FAILS(ember_tensor_shape(t, dims, -1), EMBER_ERR_INVALID_ARGUMENT, "capacity -1");
    FAILS(ember_tensor_shape(t, NULL, 3), EMBER_ERR_INVALID_ARGUMENT, "'shape' is NULL");
    return 0;
}

CASE(retain_null_out) {
    FAILS(ember_tensor_retain(pool.tensor, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

/* A retained handle and the original are independent: freeing one leaves the other. */
CASE(retain_then_free_both) {
    ember_tensor *t = T_F32(VALUES(1, 2), SHAPE(2)), *r;
    OK(ember_tensor_retain(t, &r));
    ember_tensor_free(t);
    EXPECT(ember_tensor_numel(r) == 2);
    ember_tensor_free(r);
    misuse_mark();
    EXPECT(ember_tensor_numel(r) == -1);
    MESSAGE("ember_tensor_numel", "freed");
    return 0;
}

/* A handle's slot is reused after a free: the old handle must not reach the new tensor. */
CASE(stale_handle_after_slot_reuse) {
    ember_tensor *a = T_F32(VALUES(1), SHAPE(1)), *b;
    ember_tensor_free(a);
    b = T_F32(VALUES(1, 2, 3), SHAPE(3));
    EXPECT(a != b);
    EXPECT(ember_tensor_numel(a) == -1);
    MESSAGE("ember_tensor_numel", "freed");
    EXPECT(ember_tensor_numel(b) == 3);
    return 0;
}

/* Free after free after free, thousands of times: the generation counter must
   keep telling old handles from new ones. */
CASE(many_generations_of_one_slot) {
    ember_tensor *first = T_F32(NULL, SHAPE(1)), *t = first;
    int i;
    ember_tensor_free(first);
    for (i = 0; i < 20000; i++) {
        t = T_F32(NULL, SHAPE(1));
        ember_tensor_free(t);
    }
    EXPECT(ember_tensor_numel(first) == -1 && ember_tensor_numel(t) == -1);
    return 0;
}
