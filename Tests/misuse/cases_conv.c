/* Misuse of ember/conv.h and ember/sequence.h: inputs of the wrong rank,
   channels that do not match, strides, dilations and groups below 1,
   negative paddings, kernels larger than the input, unknown padding and
   interpolation modes, absurd output sizes; embeddings indexed out of range,
   dropout probabilities outside [0, 1], layer norm shapes, attention masks. */
#include "misuse.h"

#include <math.h>

static ember_tensor *image(void) { return T_F32(NULL, SHAPE(1, 2, 5, 5)); }
static ember_tensor *kernel(void) { return T_F32(NULL, SHAPE(3, 2, 3, 3)); }

/* ---- Convolution -------------------------------------------------------- */

CASE(conv2d_bad_ranks_and_channels) {
    ember_tensor *x2 = T_F32(NULL, SHAPE(5, 5)), *w1 = T_F32(NULL, SHAPE(3, 1, 3, 3)), *b = T_F32(NULL, SHAPE(4)), *out;
    FAILS_OUT(out, ember_conv2d(x2, kernel(), NULL, NULL, NULL, NULL, 1, &out), EMBER_ERR_SHAPE, "[5, 5]");
    FAILS_OUT(out, ember_conv2d(image(), w1, NULL, NULL, NULL, NULL, 1, &out), EMBER_ERR_SHAPE, "[3, 1, 3, 3]");
    FAILS_OUT(out, ember_conv2d(image(), kernel(), b, NULL, NULL, NULL, 1, &out), EMBER_ERR_SHAPE, "[4]");
    FAILS_OUT(out, ember_conv1d(image(), kernel(), NULL, NULL, NULL, NULL, 1, &out), EMBER_ERR_SHAPE, "[1, 2, 5, 5]");
    return 0;
}

CASE(conv2d_bad_hyperparameters) {
    ember_tensor *out;
    const int64_t zero[] = {0, 1}, neg[] = {-1, 0}, one[] = {1, 1};
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, zero, NULL, NULL, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "stride");
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, NULL, neg, NULL, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "padding");
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, NULL, NULL, zero, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "dilation");
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, one, NULL, NULL, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "groups");
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, one, NULL, NULL, -4, &out), EMBER_ERR_INVALID_ARGUMENT, "groups");
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, one, NULL, NULL, 3, &out), EMBER_ERR_SHAPE, "groups");
    return 0;
}

CASE(conv2d_kernel_larger_than_input) {
    ember_tensor *big = T_F32(NULL, SHAPE(3, 2, 7, 7)), *out;
    const int64_t dil[] = {100, 100};
    FAILS_OUT(out, ember_conv2d(image(), big, NULL, NULL, NULL, NULL, 1, &out), EMBER_ERR_SHAPE, "7");
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, NULL, NULL, dil, 1, &out), EMBER_ERR_SHAPE, "ember_conv2d");
    return 0;
}

/* Hyper-parameters so large that the output size arithmetic would overflow. */
CASE(conv2d_extreme_hyperparameters) {
    ember_tensor *out;
    const int64_t huge[] = {INT64_MAX, INT64_MAX};
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, NULL, huge, NULL, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "padding");
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, NULL, NULL, huge, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "dilation");
    OK(ember_conv2d(image(), kernel(), NULL, huge, NULL, NULL, 1, &out));     /* one output position */
    EXPECT(ember_tensor_size(out, 2) == 1 && ember_tensor_size(out, 3) == 1);
    FAILS_OUT(out, ember_conv2d(image(), kernel(), NULL, NULL, NULL, NULL, INT64_MAX, &out), EMBER_ERR_SHAPE, "groups");
    return 0;
}

CASE(conv_padding_strings) {
    ember_tensor *out;
    const int64_t two[] = {2, 2};
    FAILS_OUT(out, ember_conv2d_padding(image(), kernel(), NULL, NULL, "full", NULL, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "full");
    FAILS_OUT(out, ember_conv2d_padding(image(), kernel(), NULL, two, "same", NULL, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "stride");
    FAILS_OUT(out, ember_conv2d_padding(image(), kernel(), NULL, NULL, NULL, NULL, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "'padding' is NULL");
    return 0;
}

CASE(conv_dtypes) {
    ember_tensor *b = T_BOOL(NULL, SHAPE(1, 2, 5, 5)), *wd = T_F64(NULL, SHAPE(3, 2, 3, 3)), *out;
    FAILS_OUT(out, ember_conv2d(b, kernel(), NULL, NULL, NULL, NULL, 1, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_conv2d(image(), wd, NULL, NULL, NULL, NULL, 1, &out), EMBER_ERR_DTYPE, "float64");
    return 0;
}

CASE(conv_transpose2d_bad) {
    ember_tensor *w = T_F32(NULL, SHAPE(2, 3, 3, 3)), *out;
    const int64_t s2[] = {2, 2}, op3[] = {3, 3}, pad[] = {9, 9};
    FAILS_OUT(out, ember_conv_transpose2d(image(), w, NULL, s2, NULL, op3, 1, NULL, &out), EMBER_ERR_INVALID_ARGUMENT, "output_padding");
    FAILS_OUT(out, ember_conv_transpose2d(image(), w, NULL, NULL, pad, NULL, 1, NULL, &out), EMBER_ERR_SHAPE, "ember_conv_transpose2d");
    return 0;
}

CASE(pooling_bad) {
    ember_tensor *out, *ix;
    const int64_t k3[] = {3, 3}, k0[] = {0, 3}, pad2[] = {2, 2}, zero = 0, k9[] = {9, 9};
    FAILS_OUT(out, ember_max_pool2d(image(), NULL, NULL, NULL, NULL, false, &out), EMBER_ERR_INVALID_ARGUMENT, "kernel_size");
    FAILS_OUT(out, ember_max_pool2d(image(), k0, NULL, NULL, NULL, false, &out), EMBER_ERR_INVALID_ARGUMENT, "kernel");
    FAILS_OUT(out, ember_max_pool2d(image(), k3, NULL, pad2, NULL, false, &out), EMBER_ERR_INVALID_ARGUMENT, "half");
    FAILS_OUT(out, ember_max_pool2d(image(), k9, NULL, NULL, NULL, false, &out), EMBER_ERR_SHAPE, "ember_max_pool2d");
    FAILS_OUT(out, ember_avg_pool2d(image(), k3, NULL, NULL, false, true, &zero, &out), EMBER_ERR_INVALID_ARGUMENT, "divisor");
    ix = SENTINEL;
    FAILS_OUT(out, ember_max_pool2d_with_indices(image(), k0, NULL, NULL, NULL, false, &out, &ix), EMBER_ERR_INVALID_ARGUMENT, "kernel");
    EXPECT(ix == NULL);
    FAILS_OUT(out, ember_max_pool1d(image(), k3, NULL, NULL, NULL, false, &out), EMBER_ERR_SHAPE, "[1, 2, 5, 5]");
    return 0;
}

CASE(adaptive_pool_and_interpolate_bad) {
    ember_tensor *out, *x3 = T_F32(NULL, SHAPE(1, 2, 5));
    const int64_t neg[] = {-1, 2}, huge[] = {1000000000, 1000000000}, three[] = {3, 3, 3};
    const double nan2[] = {NAN, NAN}, zero2[] = {0, 0}, big2[] = {1e300, 1e300};
    FAILS_OUT(out, ember_adaptive_avg_pool2d(image(), neg, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_adaptive_avg_pool2d(image(), NULL, &out), EMBER_ERR_INVALID_ARGUMENT, "output_size");
    FAILS_OUT(out, ember_interpolate_size(image(), huge, 2, "nearest", false, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(out, ember_interpolate_size(image(), three, 3, "nearest", false, &out), EMBER_ERR_INVALID_ARGUMENT, "3");
    FAILS_OUT(out, ember_interpolate_size(image(), huge, 2, "cubic", false, &out), EMBER_ERR_INVALID_ARGUMENT, "cubic");
    FAILS_OUT(out, ember_interpolate_size(x3, three, 1, "bilinear", false, &out), EMBER_ERR_SHAPE, "bilinear mode needs a 4-D input");
    FAILS_OUT(out, ember_interpolate_size(image(), three, 2, "nearest", true, &out), EMBER_ERR_INVALID_ARGUMENT, "align_corners");
    FAILS_OUT(out, ember_interpolate_scale(image(), nan2, 2, "nearest", false, false, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(out, ember_interpolate_scale(image(), zero2, 2, "nearest", false, false, &out), EMBER_ERR_SHAPE, "sizes should be greater than 0");
    FAILS_OUT(out, ember_interpolate_scale(image(), big2, 2, "bilinear", false, false, &out), EMBER_ERR_INVALID_ARGUMENT,
              "scale_factor 1e+300 gives an output size that cannot be represented");
    return 0;
}

/* ---- Sequence ops ---------------------------------------------------------- */

CASE(embedding_bad) {
    ember_tensor *w = T_F32(NULL, SHAPE(4, 3)), *idx = T_I64(VALUES(0, 4), SHAPE(2)), *neg = T_I64(VALUES(-1), SHAPE(1)),
                 *f = T_F32(VALUES(0), SHAPE(1)), *w1 = T_F32(NULL, SHAPE(4)), *ok = T_I64(VALUES(1), SHAPE(1)), *out;
    FAILS_OUT(out, ember_embedding(idx, w, &out), EMBER_ERR_INVALID_ARGUMENT, "4");
    FAILS_OUT(out, ember_embedding(neg, w, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_embedding(f, w, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_embedding(ok, w1, &out), EMBER_ERR_SHAPE, "[4]");
    FAILS_OUT(out, ember_embedding_padding_idx(ok, w, 4, &out), EMBER_ERR_INVALID_ARGUMENT, "padding_idx");
    FAILS_OUT(out, ember_embedding_padding_idx(ok, w, INT64_MIN, &out), EMBER_ERR_INVALID_ARGUMENT, "padding_idx");
    return 0;
}

CASE(dropout_bad_probability) {
    ember_tensor *i = T_I64(NULL, SHAPE(2)), *out;
    FAILS_OUT(out, ember_dropout(pool.tensor, 1.5, true, &out), EMBER_ERR_INVALID_ARGUMENT, "1.5");
    FAILS_OUT(out, ember_dropout(pool.tensor, -0.5, false, &out), EMBER_ERR_INVALID_ARGUMENT, "-0.5");
    FAILS_OUT(out, ember_dropout(pool.tensor, NAN, true, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(out, ember_dropout(i, 0.5, true, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(layer_norm_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *w = T_F32(NULL, SHAPE(2)), *out;
    FAILS_OUT(out, ember_layer_norm(x, SHAPE(2), NULL, NULL, 1e-5, &out), EMBER_ERR_SHAPE, "[2]");
    FAILS_OUT(out, ember_layer_norm(x, NULL, 0, NULL, NULL, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, "at least 1-dimensional");
    FAILS_OUT(out, ember_layer_norm(x, SHAPE(3), w, NULL, 1e-5, &out), EMBER_ERR_SHAPE, "[2]");
    FAILS_OUT(out, ember_layer_norm(x, SHAPE(3), NULL, NULL, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "eps");
    FAILS_OUT(out, ember_layer_norm(x, SHAPE(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), NULL, NULL, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT,
              "13");
    return 0;
}

CASE(attention_bad) {
    ember_tensor *q = T_F32(NULL, SHAPE(2, 3, 4)), *k = T_F32(NULL, SHAPE(2, 5, 4)), *kbad = T_F32(NULL, SHAPE(2, 5, 6)),
                 *m = T_BOOL(NULL, SHAPE(3, 5)), *mbad = T_BOOL(NULL, SHAPE(4, 5)), *mi = T_I64(NULL, SHAPE(3, 5)), *out;
    FAILS_OUT(out, ember_scaled_dot_product_attention(q, kbad, k, NULL, 0, false, &out), EMBER_ERR_SHAPE, "[2, 5, 6]");
    FAILS_OUT(out, ember_scaled_dot_product_attention(q, k, k, m, 0, true, &out), EMBER_ERR_INVALID_ARGUMENT, "is_causal");
    FAILS_OUT(out, ember_scaled_dot_product_attention(q, k, k, mbad, 0, false, &out), EMBER_ERR_SHAPE, "[4, 5]");
    FAILS_OUT(out, ember_scaled_dot_product_attention(q, k, k, mi, 0, false, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_scaled_dot_product_attention(q, k, k, NULL, 2, false, &out), EMBER_ERR_INVALID_ARGUMENT, "dropout_p");
    FAILS_OUT(out, ember_scaled_dot_product_attention_scale(q, k, k, NULL, NAN, false, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "dropout_p");
    return 0;
}

CASE(causal_mask_bad) {
    ember_tensor *out;
    FAILS_OUT(out, ember_generate_square_subsequent_mask(-1, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_generate_square_subsequent_mask(4, EMBER_INT64, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_generate_square_subsequent_mask(4, (ember_dtype)42, &out), EMBER_ERR_DTYPE, "42");
    FAILS_OUT(out, ember_generate_square_subsequent_mask(INT64_MAX, EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "size must be in 0...2147483647");
    FAILS_OUT(out, ember_generate_square_subsequent_mask(1000000000, EMBER_FLOAT64, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    return 0;
}
