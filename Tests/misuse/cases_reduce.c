/* Misuse of ember/reduce.h: dims out of range or repeated, NULL dims with a
   count, negative and absurd counts, empty reductions without an identity,
   dtypes a reduction does not take, NaN norms. */
#include "misuse.h"

#include <math.h>

CASE(sum_dim_out_of_range) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    const int64_t two[] = {2}, minus3[] = {-3}, huge[] = {INT64_MAX}, tiny[] = {INT64_MIN};
    FAILS_OUT(out, ember_sum_dim(x, two, 1, false, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_sum_dim(x, minus3, 1, false, &out), EMBER_ERR_INVALID_ARGUMENT, "-3");
    FAILS_OUT(out, ember_mean_dim(x, huge, 1, false, &out), EMBER_ERR_INVALID_ARGUMENT, "9223372036854775807");
    FAILS_OUT(out, ember_mean_dim(x, tiny, 1, true, &out), EMBER_ERR_INVALID_ARGUMENT, "-9223372036854775808");
    return 0;
}

CASE(sum_dim_repeated) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    const int64_t dims[] = {1, -1};
    FAILS_OUT(out, ember_sum_dim(x, dims, 2, false, &out), EMBER_ERR_INVALID_ARGUMENT, "dim 1 appears more than once in [1, -1]");
    FAILS_OUT(out, ember_amax_dim(x, dims, 2, false, &out), EMBER_ERR_INVALID_ARGUMENT, "more than once");
    FAILS_OUT(out, ember_logsumexp_dim(x, dims, 2, false, &out), EMBER_ERR_INVALID_ARGUMENT, "more than once");
    return 0;
}

CASE(sum_dim_bad_lists) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    const int64_t dims[13] = {0};
    FAILS_OUT(out, ember_sum_dim(x, NULL, 1, false, &out), EMBER_ERR_INVALID_ARGUMENT, "'dims' is NULL");
    FAILS_OUT(out, ember_sum_dim(x, dims, -1, false, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_var_dim(x, dims, 13, 1, false, &out), EMBER_ERR_INVALID_ARGUMENT, "13");
    FAILS_OUT(out, ember_norm_dim(x, 2, dims, INT64_MAX, false, &out), EMBER_ERR_INVALID_ARGUMENT, "9223372036854775807");
    return 0;
}

CASE(mean_var_norm_of_integers) {
    ember_tensor *i = T_I64(VALUES(1, 2), SHAPE(2)), *out;
    FAILS_OUT(out, ember_mean(i, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_var(i, 1, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_std(i, 1, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_norm(i, 2, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(max_of_empty) {
    ember_tensor *e = T_F32(NULL, SHAPE(0)), *e2 = T_F32(NULL, SHAPE(2, 0)), *v, *ix;
    FAILS_OUT(v, ember_max(e, &v), EMBER_ERR_INVALID_ARGUMENT, "empty");
    FAILS_OUT(v, ember_amin(e, &v), EMBER_ERR_INVALID_ARGUMENT, "non-zero size");
    FAILS_OUT(v, ember_argmax(e, &v), EMBER_ERR_INVALID_ARGUMENT, "empty");
    ix = SENTINEL;
    FAILS_OUT(v, ember_max_dim(e2, 1, false, &v, &ix), EMBER_ERR_INVALID_ARGUMENT, "expected reduction dim 1 to have a non-zero size");
    EXPECT(ix == NULL);
    FAILS_OUT(v, ember_norm(e, INFINITY, &v), EMBER_ERR_INVALID_ARGUMENT, "cannot compute the inf norm over dim 0 of size 0");
    return 0;
}

CASE(empty_reductions_with_identity) {
    ember_tensor *e = T_F32(NULL, SHAPE(0)), *out;
    double v = 7;
    OK(ember_sum(e, &out));
    OK(ember_tensor_item(out, &v));
    EXPECT(v == 0);
    OK(ember_prod(e, &out));
    OK(ember_tensor_item(out, &v));
    EXPECT(v == 1);
    OK(ember_mean(e, &out));
    OK(ember_tensor_item(out, &v));
    EXPECT(isnan(v));
    OK(ember_logsumexp(e, &out));
    OK(ember_tensor_item(out, &v));
    EXPECT(isinf(v) && v < 0);
    return 0;
}

CASE(max_dim_null_outs) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *v = SENTINEL, *ix = SENTINEL;
    FAILS(ember_max_dim(x, 0, false, &v, NULL), EMBER_ERR_INVALID_ARGUMENT, "'indices' is NULL");
    EXPECT(v == NULL);
    FAILS(ember_min_dim(x, 0, false, NULL, &ix), EMBER_ERR_INVALID_ARGUMENT, "'values' is NULL");
    EXPECT(ix == NULL);
    ix = SENTINEL;
    FAILS_OUT(v, ember_max_dim(x, 5, false, &v, &ix), EMBER_ERR_INVALID_ARGUMENT, "5");
    EXPECT(ix == NULL);
    return 0;
}

CASE(argmin_of_bool) {
    ember_tensor *b = T_BOOL(VALUES(1, 0), SHAPE(2)), *out;
    FAILS_OUT(out, ember_argmin(b, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_argmin_dim(b, 0, false, &out), EMBER_ERR_DTYPE, "bool");
    return 0;
}

CASE(norm_nan_p) {
    ember_tensor *out;
    FAILS_OUT(out, ember_norm(pool.tensor, NAN, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(out, ember_norm_dim(pool.tensor, NAN, NULL, 0, false, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    return 0;
}

CASE(single_dim_reductions_out_of_range) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *s = misuse_scalar(EMBER_FLOAT32, 1), *out;
    FAILS_OUT(out, ember_prod_dim(x, 2, false, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_argmax_dim(x, -3, false, &out), EMBER_ERR_INVALID_ARGUMENT, "-3");
    FAILS_OUT(out, ember_cumsum(x, INT64_MIN, &out), EMBER_ERR_INVALID_ARGUMENT, "-9223372036854775808");
    FAILS_OUT(out, ember_cumprod(x, INT64_MAX, &out), EMBER_ERR_INVALID_ARGUMENT, "9223372036854775807");
    FAILS_OUT(out, ember_softmax(x, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_log_softmax(x, -3, &out), EMBER_ERR_INVALID_ARGUMENT, "-3");
    FAILS_OUT(out, ember_softmax(s, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "1");
    return 0;
}

CASE(softmax_of_integers) {
    ember_tensor *i = T_I64(VALUES(1, 2), SHAPE(2)), *out;
    FAILS_OUT(out, ember_softmax(i, 0, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_log_softmax(i, 0, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(all_any_dims_out_of_range) {
    ember_tensor *x = T_BOOL(NULL, SHAPE(2, 3)), *out;
    const int64_t bad[] = {3}, rep[] = {0, 0};
    FAILS_OUT(out, ember_all_dim(x, bad, 1, false, &out), EMBER_ERR_INVALID_ARGUMENT, "3");
    FAILS_OUT(out, ember_any_dim(x, rep, 2, false, &out), EMBER_ERR_INVALID_ARGUMENT, "more than once");
    return 0;
}

/* Reductions over NaN and infinity give values, never errors. */
CASE(reductions_of_nan_and_inf) {
    ember_tensor *x = T_F32(VALUES(NAN, INFINITY, -INFINITY, 1), SHAPE(2, 2)), *out, *ix;
    double v = 0;
    OK(ember_sum(x, &out));
    OK(ember_tensor_item(out, &v));
    EXPECT(isnan(v));
    OK(ember_max(x, &out));
    OK(ember_tensor_item(out, &v));
    EXPECT(isnan(v));
    OK(ember_max_dim(x, 1, false, &out, &ix));
    OK(ember_softmax(x, 1, &out));
    OK(ember_logsumexp_dim(x, SHAPE(1), false, &out));
    OK(ember_var(x, 1, &out));
    OK(ember_norm(x, 0, &out));
    OK(ember_cumprod(x, 0, &out));
    return 0;
}
