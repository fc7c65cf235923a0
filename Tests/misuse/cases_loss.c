/* Misuse of ember/loss.h and ember/norm.h: shapes that do not pair up, class
   indices out of range, bad reductions, probabilities outside [0, 1], NaN
   inputs, weights that require grad; batch and group norm with bad channels,
   statistics, groups and eps. */
#include "misuse.h"

#include <math.h>

/* ---- Losses -------------------------------------------------------------- */

CASE(cross_entropy_target_out_of_range) {
    ember_tensor *logits = T_F32(NULL, SHAPE(3, 2)), *t = T_I64(VALUES(0, 1, 2), SHAPE(3)), *neg = T_I64(VALUES(0, -5, 1), SHAPE(3)),
                 *out;
    FAILS_OUT(out, ember_cross_entropy(logits, t, &out), EMBER_ERR_INVALID_ARGUMENT, "target 2 is out of bounds");
    FAILS_OUT(out, ember_cross_entropy(logits, neg, &out), EMBER_ERR_INVALID_ARGUMENT, "-5");
    FAILS_OUT(out, ember_nll_loss(logits, t, NULL, -100, "mean", &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    return 0;
}

CASE(cross_entropy_shapes_and_dtypes) {
    ember_tensor *logits = T_F32(NULL, SHAPE(3, 2)), *t4 = T_I64(NULL, SHAPE(4)), *tf = T_F32(NULL, SHAPE(3)),
                 *il = T_I64(NULL, SHAPE(3, 2)), *t3 = T_I64(NULL, SHAPE(3)), *out;
    FAILS_OUT(out, ember_cross_entropy(logits, t4, &out), EMBER_ERR_SHAPE, "[4]");
    FAILS_OUT(out, ember_cross_entropy(logits, tf, &out), EMBER_ERR_DTYPE, "expected int64 class indices as target, got float32");
    FAILS_OUT(out, ember_cross_entropy(il, t3, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(loss_bad_reduction) {
    ember_tensor *out;
    FAILS_OUT(out, ember_mse_loss_ex(pool.tensor, pool.tensor2, "average", &out), EMBER_ERR_INVALID_ARGUMENT, "average");
    FAILS_OUT(out, ember_l1_loss(pool.tensor, pool.tensor2, "", &out), EMBER_ERR_INVALID_ARGUMENT, "mean");
    FAILS_OUT(out, ember_kl_div(pool.tensor, pool.tensor2, "batchmeans", false, &out), EMBER_ERR_INVALID_ARGUMENT, "batchmean");
    return 0;
}

CASE(cross_entropy_ex_bad_options) {
    ember_tensor *logits = T_F32(NULL, SHAPE(3, 2)), *t = T_I64(VALUES(0, 1, 0), SHAPE(3)), *w = T_F32(VALUES(1, 1), SHAPE(2)),
                 *w3 = T_F32(NULL, SHAPE(3)), *out;
    FAILS_OUT(out, ember_cross_entropy_ex(logits, t, NULL, -100, "mean", 2, &out), EMBER_ERR_INVALID_ARGUMENT, "label_smoothing");
    FAILS_OUT(out, ember_cross_entropy_ex(logits, t, NULL, -100, "mean", NAN, &out), EMBER_ERR_INVALID_ARGUMENT, "label_smoothing");
    FAILS_OUT(out, ember_cross_entropy_ex(logits, t, w3, -100, "mean", 0, &out), EMBER_ERR_SHAPE, "[3]");
    OK(ember_tensor_set_requires_grad(w, true));
    FAILS_OUT(out, ember_cross_entropy_ex(logits, t, w, -100, "mean", 0, &out), EMBER_ERR_INVALID_ARGUMENT, "this input cannot require grad");
    return 0;
}

CASE(bce_probabilities_outside_unit) {
    ember_tensor *x = T_F32(VALUES(0.5, 1.5), SHAPE(2)), *n = T_F32(VALUES(0.5, NAN), SHAPE(2)), *t = T_F32(VALUES(0, 1), SHAPE(2)),
                 *bt = T_F32(VALUES(0, 2), SHAPE(2)), *d = T_F64(VALUES(0, 1), SHAPE(2)), *out;
    FAILS_OUT(out, ember_binary_cross_entropy(x, t, NULL, "mean", &out), EMBER_ERR_INVALID_ARGUMENT, "1.5");
    FAILS_OUT(out, ember_binary_cross_entropy(n, t, NULL, "mean", &out), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(out, ember_binary_cross_entropy(t, bt, NULL, "mean", &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_binary_cross_entropy(t, d, NULL, "mean", &out), EMBER_ERR_DTYPE, "float64");
    return 0;
}

CASE(smooth_l1_huber_bad_parameters) {
    ember_tensor *out;
    FAILS_OUT(out, ember_smooth_l1_loss(pool.tensor, pool.tensor2, "mean", -1, &out), EMBER_ERR_INVALID_ARGUMENT, "beta");
    FAILS_OUT(out, ember_huber_loss(pool.tensor, pool.tensor2, "mean", 0, &out), EMBER_ERR_INVALID_ARGUMENT, "delta");
    FAILS_OUT(out, ember_huber_loss(pool.tensor, pool.tensor2, "mean", NAN, &out), EMBER_ERR_INVALID_ARGUMENT, "delta");
    return 0;
}

CASE(mse_shapes_and_dtypes) {
    ember_tensor *a = T_F32(NULL, SHAPE(2, 3)), *b = T_F32(NULL, SHAPE(4)), *i = T_I64(NULL, SHAPE(2, 2)), *out;
    FAILS_OUT(out, ember_mse_loss(a, b, &out), EMBER_ERR_SHAPE, "[2, 3]");
    FAILS_OUT(out, ember_kl_div(i, i, "mean", false, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

/* A NaN in the input is a value: the loss is NaN, not an error. */
CASE(losses_of_nan_inputs) {
    ember_tensor *x = T_F32(VALUES(NAN, 1), SHAPE(1, 2)), *t = T_I64(VALUES(0), SHAPE(1)), *out;
    double v = 0;
    OK(ember_cross_entropy(x, t, &out));
    OK(ember_tensor_item(out, &v));
    EXPECT(isnan(v));
    OK(ember_mse_loss(x, x, &out));
    OK(ember_tensor_item(out, &v));
    EXPECT(isnan(v));
    return 0;
}

/* ---- Normalisation ---------------------------------------------------------- */

CASE(batch_norm_bad_shapes) {
    ember_tensor *x1 = T_F32(NULL, SHAPE(4)), *x = T_F32(VALUES(1, 2, 3, 4, 5, 6, 7, 8), SHAPE(4, 2)), *w3 = T_F32(NULL, SHAPE(3)),
                 *out;
    FAILS_OUT(out, ember_batch_norm(x1, NULL, NULL, NULL, NULL, true, 0.1, 1e-5, &out), EMBER_ERR_SHAPE, "[4]");
    FAILS_OUT(out, ember_batch_norm(x, NULL, NULL, w3, NULL, true, 0.1, 1e-5, &out), EMBER_ERR_SHAPE, "[3]");
    return 0;
}

CASE(batch_norm_bad_statistics) {
    ember_tensor *x = T_F32(VALUES(1, 2), SHAPE(1, 2)), *x2 = T_F32(VALUES(1, 2, 3, 4), SHAPE(2, 2)), *rm = T_F32(NULL, SHAPE(2)),
                 *rv = T_F32(VALUES(1, 1), SHAPE(2)), *out;
    FAILS_OUT(out, ember_batch_norm(x, NULL, NULL, NULL, NULL, true, 0.1, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, "more than 1 value");
    FAILS_OUT(out, ember_batch_norm(x2, NULL, NULL, NULL, NULL, false, 0.1, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, "running");
    FAILS_OUT(out, ember_batch_norm(x2, rm, NULL, NULL, NULL, true, 0.1, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, "running");
    FAILS_OUT(out, ember_batch_norm(x2, rm, rv, NULL, NULL, true, 0.1, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "eps");
    FAILS_OUT(out, ember_batch_norm(x2, rm, rv, NULL, NULL, false, 0.1, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "eps");
    return 0;
}

CASE(batch_norm_integer_input) {
    ember_tensor *x = T_I64(NULL, SHAPE(2, 2)), *out;
    FAILS_OUT(out, ember_batch_norm(x, NULL, NULL, NULL, NULL, true, 0.1, 1e-5, &out), EMBER_ERR_DTYPE, "int64");
    return 0;
}

CASE(group_norm_bad_groups) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 6, 3)), *w = T_F32(NULL, SHAPE(5)), *out;
    FAILS_OUT(out, ember_group_norm(x, 4, NULL, NULL, 1e-5, &out), EMBER_ERR_SHAPE, "4");
    FAILS_OUT(out, ember_group_norm(x, 0, NULL, NULL, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, "num_groups");
    FAILS_OUT(out, ember_group_norm(x, -2, NULL, NULL, 1e-5, &out), EMBER_ERR_INVALID_ARGUMENT, "num_groups");
    FAILS_OUT(out, ember_group_norm(x, 3, w, NULL, 1e-5, &out), EMBER_ERR_SHAPE, "[5]");
    OK(ember_group_norm(x, 3, NULL, NULL, -1, &out));      /* torch does not check group_norm's eps either */
    return 0;
}
