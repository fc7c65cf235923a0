/* Misuse of ember/elementwise.h: shapes that do not broadcast, dtypes an op
   does not take, integer division by zero, unknown rounding modes, values
   that do not fit, NULL out-parameters; NaN and infinity as inputs (values,
   not errors). */
#include "misuse.h"

#include <math.h>

CASE(add_shapes_do_not_broadcast) {
    ember_tensor *a = T_F32(NULL, SHAPE(2, 3)), *b = T_F32(NULL, SHAPE(4)), *out;
    FAILS_OUT(out, ember_add(a, b, &out), EMBER_ERR_SHAPE, "[2, 3]");
    FAILS_OUT(out, ember_mul(b, a, &out), EMBER_ERR_SHAPE, "[4]");
    FAILS_OUT(out, ember_maximum(a, b, &out), EMBER_ERR_SHAPE, "[2, 3]");
    FAILS_OUT(out, ember_atan2(a, b, &out), EMBER_ERR_SHAPE, "[2, 3]");
    return 0;
}

CASE(binary_null_out) {
    FAILS(ember_add(pool.tensor, pool.tensor2, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    FAILS(ember_exp(pool.tensor, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    FAILS(ember_add_scalar(pool.tensor, 1, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    FAILS(ember_where(pool.tensor, pool.tensor, pool.tensor, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

CASE(bool_arithmetic_refused) {
    ember_tensor *b = T_BOOL(VALUES(1, 0), SHAPE(2)), *out;
    FAILS_OUT(out, ember_sub(b, b, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_neg(b, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_abs(b, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_floor(b, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_relu(b, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_pow(b, b, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_remainder(b, b, &out), EMBER_ERR_DTYPE, "bool");
    return 0;
}

CASE(integer_division_by_zero) {
    ember_tensor *a = T_I64(VALUES(7, 8), SHAPE(2)), *z = T_I64(VALUES(1, 0), SHAPE(2)), *out;
    FAILS_OUT(out, ember_div_mode(a, z, "trunc", &out), EMBER_ERR_INVALID_ARGUMENT, "division by zero");
    FAILS_OUT(out, ember_div_mode(a, z, "floor", &out), EMBER_ERR_INVALID_ARGUMENT, "division by zero");
    FAILS_OUT(out, ember_floor_divide(a, z, &out), EMBER_ERR_INVALID_ARGUMENT, "division by zero");
    FAILS_OUT(out, ember_remainder(a, z, &out), EMBER_ERR_INVALID_ARGUMENT, "division by zero");
    FAILS_OUT(out, ember_floor_divide_scalar(a, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "division by zero");
    FAILS_OUT(out, ember_remainder_scalar(a, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "division by zero");
    FAILS_OUT(out, ember_div_scalar_mode(a, 0, "trunc", &out), EMBER_ERR_INVALID_ARGUMENT, "division by zero");
    return 0;
}

/* INT64_MIN / -1 overflows: it must not trap (torch wraps). */
CASE(integer_division_overflow) {
    ember_tensor *a = T_I64(NULL, SHAPE(1)), *m = T_I64(VALUES(-1), SHAPE(1)), *out;
    const int64_t min = INT64_MIN;
    int64_t v = 0;
    OK(ember_tensor_copy_from(a, &min, sizeof min));
    OK(ember_div_mode(a, m, "trunc", &out));
    OK(ember_tensor_copy_to(out, &v, sizeof v));
    EXPECT(v == INT64_MIN);
    OK(ember_floor_divide(a, m, &out));
    OK(ember_remainder(a, m, &out));
    OK(ember_tensor_copy_to(out, &v, sizeof v));
    EXPECT(v == 0);
    return 0;
}

CASE(unknown_rounding_mode) {
    ember_tensor *out;
    FAILS_OUT(out, ember_div_mode(pool.tensor, pool.tensor2, "round", &out), EMBER_ERR_INVALID_ARGUMENT, "round");
    FAILS_OUT(out, ember_div_scalar_mode(pool.tensor, 2, "", &out), EMBER_ERR_INVALID_ARGUMENT, "rounding_mode");
    return 0;
}

CASE(pow_integer_negative_exponent) {
    ember_tensor *a = T_I64(VALUES(2, 3), SHAPE(2)), *out;
    FAILS_OUT(out, ember_pow_scalar(a, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "negative");
    return 0;
}

CASE(activations_need_floating) {
    ember_tensor *i = T_I64(VALUES(1, -1), SHAPE(2)), *out;
    FAILS_OUT(out, ember_leaky_relu(i, 0.01, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_gelu(i, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_elu(i, 1, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_softplus(i, 1, 20, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(hardtanh_bounds_reversed) {
    ember_tensor *out;
    FAILS_OUT(out, ember_hardtanh(pool.tensor, 1, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "min_val");
    return 0;
}

CASE(where_condition_not_bool) {
    ember_tensor *c = T_BOOL(VALUES(1, 0), SHAPE(2)), *x = T_F32(NULL, SHAPE(3)), *out;
    FAILS_OUT(out, ember_where(pool.tensor, pool.tensor, pool.tensor2, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_where(c, x, x, &out), EMBER_ERR_SHAPE, "[2]");
    return 0;
}

CASE(masked_fill_value_does_not_fit) {
    ember_tensor *i = T_I64(VALUES(1, 2), SHAPE(2)), *m = T_BOOL(VALUES(1, 0), SHAPE(2)), *f = T_F32(NULL, SHAPE(2)), *out;
    FAILS_OUT(out, ember_masked_fill(i, m, NAN, &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(out, ember_masked_fill(i, m, INFINITY, &out), EMBER_ERR_INVALID_ARGUMENT, "inf");
    FAILS_OUT(out, ember_masked_fill(f, m, 1e300, &out), EMBER_ERR_INVALID_ARGUMENT, "1e+300");
    FAILS_OUT(out, ember_masked_fill(f, f, 1, &out), EMBER_ERR_DTYPE, "bool");
    return 0;
}

CASE(lerp_and_addcdiv_dtypes) {
    ember_tensor *f = T_F32(NULL, SHAPE(2)), *d = T_F64(NULL, SHAPE(2)), *i = T_I64(VALUES(1, 2), SHAPE(2)), *out;
    FAILS_OUT(out, ember_lerp(f, d, 0.5, &out), EMBER_ERR_DTYPE, "float64");
    FAILS_OUT(out, ember_addcdiv(f, i, i, 1, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_addcmul(T_BOOL(NULL, SHAPE(2)), T_BOOL(NULL, SHAPE(2)), T_BOOL(NULL, SHAPE(2)), 1, &out), EMBER_ERR_DTYPE,
              "bool");
    return 0;
}

CASE(lerp_tensor_weight_shape) {
    ember_tensor *a = T_F32(NULL, SHAPE(2, 2)), *w = T_F32(NULL, SHAPE(3)), *out;
    FAILS_OUT(out, ember_lerp_tensor(a, a, w, &out), EMBER_ERR_SHAPE, "[3]");
    return 0;
}

/* NaN and infinity are values, not errors: every unary op takes them. */
CASE(nan_and_inf_inputs_are_values) {
    ember_tensor *x = T_F32(VALUES(NAN, INFINITY, -INFINITY, -1), SHAPE(4)), *out;
    float v[4];
    OK(ember_exp(x, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(isnan(v[0]) && isinf(v[1]) && v[2] == 0);
    OK(ember_log(x, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(isnan(v[0]) && isinf(v[1]) && isnan(v[2]) && isnan(v[3]));
    OK(ember_sqrt(x, &out));
    OK(ember_sigmoid(x, &out));
    OK(ember_tanh(x, &out));
    OK(ember_gelu(x, &out));
    OK(ember_softplus(x, 1, 20, &out));
    OK(ember_logit(x, &out));
    OK(ember_clamp(x, -1, 1, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(isnan(v[0]) && v[1] == 1 && v[2] == -1);
    OK(ember_round(x, &out));
    OK(ember_sign(x, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(v[0] == 0 && v[1] == 1);
    return 0;
}

CASE(nan_scalars_and_bounds) {
    ember_tensor *x = T_F32(VALUES(1, 2), SHAPE(2)), *i = T_I64(VALUES(1, 2), SHAPE(2)), *out;
    float v[2];
    OK(ember_clamp(x, NAN, NAN, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(isnan(v[0]) && isnan(v[1]));
    OK(ember_add_scalar(i, NAN, &out));                       /* int64 with a float scalar: float32 */
    EXPECT(ember_tensor_dtype(out) == EMBER_FLOAT32);
    OK(ember_mul_scalar(i, 1e300, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(isinf(v[0]));
    OK(ember_pow_scalar(x, NAN, &out));
    OK(ember_div_scalar(x, 0, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(isinf(v[0]));
    return 0;
}

/* int64 overflow wraps (as torch), it does not trap. */
CASE(integer_overflow_wraps) {
    ember_tensor *a = T_I64(NULL, SHAPE(1)), *out;
    const int64_t max = INT64_MAX;
    int64_t v = 0;
    OK(ember_tensor_copy_from(a, &max, sizeof max));
    OK(ember_add_scalar(a, 1, &out));
    OK(ember_tensor_copy_to(out, &v, sizeof v));
    EXPECT(v == INT64_MIN);
    OK(ember_mul(a, a, &out));
    OK(ember_square(a, &out));
    OK(ember_neg(a, &out));
    OK(ember_abs(out, &out));
    OK(ember_pow_scalar(a, 3, &out));
    OK(ember_add_scalar(a, 9.3e18, &out));                    /* a scalar beyond int64: float32, as torch */
    EXPECT(ember_tensor_dtype(out) == EMBER_FLOAT32);
    return 0;
}

CASE(comparisons_broadcast_errors) {
    ember_tensor *a = T_F32(NULL, SHAPE(2, 3)), *b = T_F32(NULL, SHAPE(2)), *out;
    FAILS_OUT(out, ember_eq(a, b, &out), EMBER_ERR_SHAPE, "[2, 3]");
    FAILS_OUT(out, ember_logical_and(a, b, &out), EMBER_ERR_SHAPE, "[2, 3]");
    FAILS_OUT(out, ember_lt(b, a, &out), EMBER_ERR_SHAPE, "[2]");
    return 0;
}
