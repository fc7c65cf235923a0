/* Misuse of ember/init.h and ember/inplace.h: initialisers on tensors
   without fans, unknown modes and nonlinearities, bad bounds and deviations,
   random fills of integers; in-place writes into leaves that require grad,
   into views of them, into expanded tensors, that change the shape or the
   dtype, and values that do not fit. */
#include "misuse.h"

#include <math.h>

/* ---- Initialisers ----------------------------------------------------------- */

CASE(init_fans_need_two_dims) {
    ember_tensor *v = T_F32(NULL, SHAPE(4));
    FAILS(ember_init_kaiming_uniform_(v, 0, "fan_in", "relu"), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS(ember_init_xavier_normal_(v, 1), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS(ember_init_orthogonal_(v, 1), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS(ember_init_eye_(T_F32(NULL, SHAPE(2, 2, 2))), EMBER_ERR_INVALID_ARGUMENT, "2");
    return 0;
}

CASE(init_unknown_names) {
    ember_tensor *w = T_F32(NULL, SHAPE(3, 2));
    FAILS(ember_init_kaiming_uniform_(w, 0, "fan_both", "relu"), EMBER_ERR_INVALID_ARGUMENT, "fan_both");
    FAILS(ember_init_kaiming_normal_(w, 0, "fan_in", "swish"), EMBER_ERR_INVALID_ARGUMENT, "swish");
    return 0;
}

CASE(init_bad_parameters) {
    ember_tensor *w = T_F32(NULL, SHAPE(3, 2));
    FAILS(ember_init_normal_(w, 0, -1), EMBER_ERR_INVALID_ARGUMENT, "std");
    FAILS(ember_init_trunc_normal_(w, 0, 1, 2, -2), EMBER_ERR_INVALID_ARGUMENT, "a");
    FAILS(ember_init_trunc_normal_(w, 0, 0, -2, 2), EMBER_ERR_INVALID_ARGUMENT, "std");
    FAILS(ember_init_uniform_(w, 1, -1), EMBER_ERR_INVALID_ARGUMENT, "1");
    return 0;
}

/* trunc_normal_ rejection-samples: an interval the distribution never reaches
   must not loop forever (torch clamps instead of looping). */
CASE(init_trunc_normal_unreachable_interval) {
    ember_tensor *w = T_F32(NULL, SHAPE(8));
    float v[8];
    int i;
    OK(ember_init_trunc_normal_(w, 0, 1, 50, 60));
    OK(ember_tensor_copy_to(w, v, sizeof v));
    for (i = 0; i < 8; i++) EXPECT(v[i] >= 50 && v[i] <= 60);
    return 0;
}

CASE(init_random_fill_of_integers) {
    ember_tensor *i = T_I64(NULL, SHAPE(2, 2));
    FAILS(ember_init_uniform_(i, 0, 1), EMBER_ERR_DTYPE, "int64");
    FAILS(ember_init_normal_(i, 0, 1), EMBER_ERR_DTYPE, "int64");
    FAILS(ember_init_xavier_uniform_(i, 1), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(calculate_gain_bad) {
    double g = 7;
    FAILS(ember_calculate_gain(NULL, NULL, &g), EMBER_ERR_INVALID_ARGUMENT, "'nonlinearity' is NULL");
    FAILS(ember_calculate_gain("swish", NULL, &g), EMBER_ERR_INVALID_ARGUMENT, "swish");
    EXPECT(g == 0);
    FAILS(ember_calculate_gain("relu", NULL, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

CASE(init_of_empty_tensors_is_a_no_op) {
    ember_tensor *e = T_F32(NULL, SHAPE(0, 3));
    OK(ember_init_kaiming_uniform_(e, 0, NULL, NULL));
    OK(ember_init_orthogonal_(e, 1));
    OK(ember_init_uniform_(e, 0, 1));
    return 0;
}

/* ---- In-place ops --------------------------------------------------------- */

CASE(inplace_on_leaf_requiring_grad) {
    ember_tensor *w = T_F32(VALUES(1, 2), SHAPE(2)), *v;
    OK(ember_tensor_set_requires_grad(w, true));
    FAILS(ember_add_scalar_(w, 1), EMBER_ERR_STATE, "leaf");
    FAILS(ember_zero_(w), EMBER_ERR_STATE, "leaf");
    FAILS(ember_copy_(w, w), EMBER_ERR_STATE, "leaf");
    OK(ember_select(w, 0, 0, &v));
    FAILS(ember_fill_(v, 3), EMBER_ERR_STATE, "view");
    ember_set_grad_enabled(false);                            /* as optimizers do */
    OK(ember_add_scalar_(w, 1));
    return 0;
}

CASE(inplace_shape_and_dtype) {
    ember_tensor *t = T_F32(NULL, SHAPE(2)), *big = T_F32(NULL, SHAPE(3, 2)), *i = T_I64(VALUES(1, 2), SHAPE(2)),
                 *f = T_F32(VALUES(0.5, 0.5), SHAPE(2));
    FAILS(ember_add_(t, big, 1), EMBER_ERR_SHAPE, "[3, 2]");
    FAILS(ember_mul_(i, f), EMBER_ERR_DTYPE, "int64");
    FAILS(ember_div_(i, i), EMBER_ERR_DTYPE, "int64");
    FAILS(ember_div_scalar_(i, 2), EMBER_ERR_DTYPE, "int64");
    FAILS(ember_add_scalar_(i, 0.5), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(inplace_into_expanded) {
    ember_tensor *t = T_F32(VALUES(1, 2), SHAPE(1, 2)), *e;
    OK(ember_expand(t, SHAPE(3, 2), &e));
    FAILS(ember_add_scalar_(e, 1), EMBER_ERR_STATE, "expanded");
    FAILS(ember_uniform_(e, 0, 1), EMBER_ERR_STATE, "expanded");
    FAILS(ember_init_constant_(e, 1), EMBER_ERR_STATE, "expanded");
    return 0;
}

CASE(inplace_values_that_do_not_fit) {
    ember_tensor *i = T_I64(VALUES(1, 2), SHAPE(2)), *f = T_F32(NULL, SHAPE(2));
    FAILS(ember_fill_(i, NAN), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS(ember_fill_(i, 1e300), EMBER_ERR_INVALID_ARGUMENT, "int64");
    FAILS(ember_uniform_(i, 0, 1), EMBER_ERR_DTYPE, "int64");
    FAILS(ember_normal_(f, 0, -1), EMBER_ERR_INVALID_ARGUMENT, "std");
    FAILS(ember_uniform_(f, 1, 0), EMBER_ERR_INVALID_ARGUMENT, "from");
    return 0;
}

/* Writing a tensor a graph saved makes that graph's backward fail, not lie. */
CASE(inplace_after_save_fails_backward) {
    ember_tensor *x = T_F64(VALUES(1, 2), SHAPE(2)), *y, *e, *s;
    OK(ember_tensor_set_requires_grad(x, true));
    OK(ember_mul_scalar(x, 2, &y));
    OK(ember_exp(y, &e));                                       /* saves its output e */
    OK(ember_sum(e, &s));
    OK(ember_mul_scalar_(e, 3));
    FAILS(ember_tensor_backward(s, NULL), EMBER_ERR_STATE, "has been modified by an in-place operation");
    return 0;
}
