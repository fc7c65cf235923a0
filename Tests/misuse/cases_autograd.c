/* Misuse of ember/autograd.h: backward twice, of a non-scalar, of a tensor
   that does not require grad, with a gradient of the wrong shape or dtype;
   grad of unused inputs; hooks and custom functions whose callbacks fail,
   return nothing or return the wrong thing; anomaly detection on NaN. */
#include "misuse.h"

#include <math.h>
#include <string.h>

static ember_tensor *leaf(void) {
    ember_tensor *x = T_F64(VALUES(1, 2, 3), SHAPE(3));
    if (ember_tensor_set_requires_grad(x, true) != EMBER_OK) return NULL;
    return x;
}

static ember_tensor *sum_of_squares(ember_tensor *x) {
    ember_tensor *y = NULL, *s = NULL;
    if (ember_mul(x, x, &y) != EMBER_OK || ember_sum(y, &s) != EMBER_OK) return NULL;
    ember_tensor_free(y);
    return s;
}

CASE(requires_grad_of_integers_and_non_leaves) {
    ember_tensor *i = T_I64(NULL, SHAPE(2)), *x = leaf(), *y;
    FAILS(ember_tensor_set_requires_grad(i, true), EMBER_ERR_DTYPE, "floating");
    OK(ember_exp(x, &y));
    FAILS(ember_tensor_set_requires_grad(y, false), EMBER_ERR_STATE, "use detach()");
    return 0;
}

CASE(backward_twice) {
    ember_tensor *x = leaf(), *s = sum_of_squares(x), *g;
    double v[3];
    OK(ember_tensor_backward(s, NULL));
    FAILS(ember_tensor_backward(s, NULL), EMBER_ERR_STATE, "second time");
    FAILS(ember_tensor_backward_ex(s, NULL, true, false), EMBER_ERR_STATE, "second time");
    OK(ember_tensor_grad(x, &g));                             /* the failures changed nothing */
    OK(ember_tensor_copy_to(g, v, sizeof v));
    EXPECT(v[0] == 2 && v[2] == 6);
    return 0;
}

CASE(backward_of_non_scalar) {
    ember_tensor *x = leaf(), *y, *g;
    OK(ember_exp(x, &y));
    FAILS(ember_tensor_backward(y, NULL), EMBER_ERR_SHAPE, "one element");
    OK(ember_tensor_grad(x, &g));
    EXPECT(g == NULL);
    return 0;
}

CASE(backward_without_grad) {
    ember_tensor *x = T_F32(VALUES(1), SHAPE(1)), *y;
    OK(ember_exp(x, &y));
    FAILS(ember_tensor_backward(y, NULL), EMBER_ERR_STATE, "require");
    FAILS(ember_tensor_backward(x, NULL), EMBER_ERR_STATE, "require");
    return 0;
}

CASE(backward_bad_gradient) {
    ember_tensor *x = leaf(), *y, *g2 = T_F64(NULL, SHAPE(2)), *gf = T_F32(NULL, SHAPE(3));
    OK(ember_exp(x, &y));
    FAILS(ember_tensor_backward(y, g2), EMBER_ERR_SHAPE, "[2]");
    FAILS(ember_tensor_backward(y, gf), EMBER_ERR_DTYPE, "float32");
    return 0;
}

CASE(autograd_backward_bad_lists) {
    ember_tensor *x = leaf(), *s = sum_of_squares(x);
    const ember_tensor *roots[1];
    const ember_tensor *grads[1];
    roots[0] = s;
    grads[0] = T_F64(NULL, SHAPE(2));
    FAILS(ember_autograd_backward(roots, -1, NULL, false, false), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS(ember_autograd_backward(NULL, 1, NULL, false, false), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    FAILS(ember_autograd_backward(roots, 1, grads, false, false), EMBER_ERR_SHAPE, "[2]");
    return 0;
}

CASE(autograd_grad_unused_and_not_requiring) {
    ember_tensor *x = leaf(), *z = leaf(), *c = T_F64(NULL, SHAPE(3)), *s = sum_of_squares(x), *grads[2];
    const ember_tensor *outs[1], *ins[2];
    outs[0] = s;
    ins[0] = x;
    ins[1] = z;
    grads[0] = grads[1] = SENTINEL;
    FAILS(ember_autograd_grad(outs, 1, NULL, ins, 2, true, false, false, grads), EMBER_ERR_STATE, "allow_unused");
    EXPECT(grads[0] == NULL && grads[1] == NULL);
    ins[1] = c;
    FAILS(ember_autograd_grad(outs, 1, NULL, ins, 2, true, false, true, grads), EMBER_ERR_STATE, "require");
    FAILS(ember_autograd_grad(outs, 1, NULL, ins, 1, true, false, false, NULL), EMBER_ERR_INVALID_ARGUMENT, "'grads' is NULL");
    FAILS(ember_autograd_grad(outs, 1, NULL, ins, -1, true, false, false, grads), EMBER_ERR_INVALID_ARGUMENT, "-1");
    ins[1] = z;
    OK(ember_autograd_grad(outs, 1, NULL, ins, 2, false, false, true, grads));
    EXPECT(grads[0] != NULL && grads[1] == NULL);
    FAILS(ember_autograd_grad(outs, 1, NULL, ins, 1, false, false, false, grads), EMBER_ERR_STATE, "second time");
    return 0;
}

static ember_status failing_hook(const ember_tensor *grad, void *user_data, ember_tensor **replacement) {
    (void)grad; (void)user_data; (void)replacement;
    ember_set_last_error("the hook refuses");
    return EMBER_ERR_IO;
}

static ember_status wrong_shape_hook(const ember_tensor *grad, void *user_data, ember_tensor **replacement) {
    (void)grad; (void)user_data;
    return ember_tensor_zeros(SHAPE(7), EMBER_FLOAT64, replacement);
}

static ember_status garbage_hook(const ember_tensor *grad, void *user_data, ember_tensor **replacement) {
    (void)grad; (void)user_data;
    *replacement = (ember_tensor *)user_data;                 /* not a handle */
    return EMBER_OK;
}

CASE(hook_failure_stops_backward) {
    ember_tensor *x = leaf(), *s = sum_of_squares(x), *g;
    int64_t id = -1;
    OK(ember_tensor_register_hook(x, failing_hook, NULL, NULL, &id));
    FAILS(ember_tensor_backward(s, NULL), EMBER_ERR_IO, "the hook refuses");
    OK(ember_tensor_grad(x, &g));
    EXPECT(g == NULL);
    return 0;
}

CASE(hook_wrong_replacement) {
    ember_tensor *x = leaf(), *s = sum_of_squares(x), *s2 = sum_of_squares(x);
    int64_t id = -1;
    static char not_a_handle[8];
    OK(ember_tensor_register_hook(x, wrong_shape_hook, NULL, NULL, &id));
    FAILS(ember_tensor_backward(s, NULL), EMBER_ERR_SHAPE, "[7]");
    OK(ember_tensor_remove_hook(x, id));
    OK(ember_tensor_register_hook(x, garbage_hook, not_a_handle, NULL, &id));
    FAILS(ember_tensor_backward(s2, NULL), EMBER_ERR_INVALID_HANDLE, "not an Ember handle");
    return 0;
}

CASE(hook_registration_bad) {
    ember_tensor *x = leaf(), *c = T_F64(NULL, SHAPE(2));
    int64_t id = 7;
    FAILS(ember_tensor_register_hook(x, NULL, NULL, NULL, &id), EMBER_ERR_INVALID_ARGUMENT, "hook");
    EXPECT(id == 0);
    FAILS(ember_tensor_register_hook(x, misuse_hook_ok, NULL, NULL, NULL), EMBER_ERR_INVALID_ARGUMENT, "'id' is NULL");
    FAILS(ember_tensor_register_hook(c, misuse_hook_ok, NULL, NULL, &id), EMBER_ERR_STATE, "require");
    FAILS(ember_tensor_remove_hook(x, 12345), EMBER_ERR_INVALID_ARGUMENT, "12345");
    FAILS(ember_tensor_remove_hook(x, -1), EMBER_ERR_INVALID_ARGUMENT, "-1");
    return 0;
}

/* A hook's destroy runs once, when the hook is removed. */
CASE(hook_destroy_once) {
    ember_tensor *x = leaf();
    int64_t id;
    misuse_destroyed = 0;
    OK(ember_tensor_register_hook(x, misuse_hook_ok, NULL, misuse_destroy, &id));
    OK(ember_tensor_remove_hook(x, id));
    EXPECT(misuse_destroyed == 1);
    FAILS(ember_tensor_remove_hook(x, id), EMBER_ERR_INVALID_ARGUMENT, "hook");
    ember_tensor_free(x);
    EXPECT(misuse_destroyed == 1);
    return 0;
}

static ember_status forward_fails(const ember_tensor *const *inputs, int64_t count, void *user_data, ember_tensor **output) {
    (void)inputs; (void)count; (void)user_data; (void)output;
    ember_set_last_error("my forward refuses");
    return EMBER_ERR_SHAPE;
}

static ember_status forward_returns_nothing(const ember_tensor *const *inputs, int64_t count, void *user_data, ember_tensor **output) {
    (void)inputs; (void)count; (void)user_data; (void)output;
    return EMBER_OK;
}

static ember_status forward_returns_input(const ember_tensor *const *inputs, int64_t count, void *user_data, ember_tensor **output) {
    (void)count; (void)user_data;
    *output = (ember_tensor *)inputs[0];                      /* a borrowed handle, not a new one */
    return EMBER_OK;
}

static ember_status forward_returns_bogus_status(const ember_tensor *const *inputs, int64_t count, void *user_data,
                                                 ember_tensor **output) {
    (void)inputs; (void)count; (void)user_data; (void)output;
    return (ember_status)1234;
}

/* A C convention: -1 for failure. As an ember_status it is 0xffffffff. */
static ember_status forward_returns_minus_one(const ember_tensor *const *inputs, int64_t count, void *user_data,
                                              ember_tensor **output) {
    (void)inputs; (void)count; (void)user_data; (void)output;
    ember_set_last_error("minus one");
    return (ember_status)-1;
}

static ember_status hook_returns_minus_one(const ember_tensor *grad, void *user_data, ember_tensor **replacement) {
    (void)grad; (void)user_data; (void)replacement;
    return (ember_status)-1;
}

static ember_status backward_fails(const ember_tensor *grad_output, const ember_tensor *const *inputs, int64_t count,
                                   void *user_data, ember_tensor **grad_inputs) {
    (void)grad_output; (void)inputs; (void)count; (void)user_data; (void)grad_inputs;
    ember_set_last_error("my backward refuses");
    return EMBER_ERR_DTYPE;
}

static ember_status backward_wrong_shape(const ember_tensor *grad_output, const ember_tensor *const *inputs, int64_t count,
                                         void *user_data, ember_tensor **grad_inputs) {
    (void)grad_output; (void)inputs; (void)count; (void)user_data;
    return ember_tensor_zeros(SHAPE(5), EMBER_FLOAT64, &grad_inputs[0]);
}

static ember_status apply(ember_function_forward f, ember_function_backward b, ember_tensor *x, ember_tensor **out) {
    ember_function *fn = NULL;
    const ember_tensor *in[1];
    ember_status s = ember_function_new("Custom", f, b, NULL, NULL, &fn);
    if (s != EMBER_OK) return s;
    in[0] = x;
    s = ember_function_apply(fn, in, 1, out);
    ember_function_free(fn);
    return s;
}

CASE(function_new_bad) {
    ember_function *fn;
    FAILS_OUT(fn, ember_function_new(NULL, misuse_forward_identity, misuse_backward_identity, NULL, NULL, &fn), EMBER_ERR_INVALID_ARGUMENT,
              "name");
    FAILS_OUT(fn, ember_function_new("F", NULL, misuse_backward_identity, NULL, NULL, &fn), EMBER_ERR_INVALID_ARGUMENT, "forward");
    FAILS_OUT(fn, ember_function_new("F", misuse_forward_identity, NULL, NULL, NULL, &fn), EMBER_ERR_INVALID_ARGUMENT, "backward");
    FAILS(ember_function_new("F", misuse_forward_identity, misuse_backward_identity, NULL, NULL, NULL), EMBER_ERR_INVALID_ARGUMENT,
          "'out' is NULL");
    return 0;
}

CASE(function_forward_failures) {
    ember_tensor *x = leaf(), *out;
    FAILS_OUT_IN("ember_function_apply", out, apply(forward_fails, misuse_backward_identity, x, &out), EMBER_ERR_SHAPE,
                 "the forward of function 'Custom' failed (EMBER_ERR_SHAPE): my forward refuses");
    FAILS_OUT_IN("ember_function_apply", out, apply(forward_returns_nothing, misuse_backward_identity, x, &out),
                 EMBER_ERR_INVALID_ARGUMENT, "returned EMBER_OK but no output tensor");
    FAILS_OUT_IN("ember_function_apply", out, apply(forward_returns_bogus_status, misuse_backward_identity, x, &out),
                 EMBER_ERR_INTERNAL, "failed (unknown status)");
    return 0;
}

/* A callback that returns -1 (not an ember_status) is a failure like any
   other, reported as an internal error: it must not bring the process down. */
CASE(function_forward_returns_minus_one) {
    ember_tensor *x = leaf(), *out;
    FAILS_OUT_IN("ember_function_apply", out, apply(forward_returns_minus_one, misuse_backward_identity, x, &out),
                 EMBER_ERR_INTERNAL, "minus one");
    return 0;
}

CASE(hook_returns_minus_one) {
    ember_tensor *x = leaf(), *s = sum_of_squares(x);
    int64_t id;
    OK(ember_tensor_register_hook(x, hook_returns_minus_one, NULL, NULL, &id));
    FAILS(ember_tensor_backward(s, NULL), EMBER_ERR_INTERNAL, "a gradient hook failed");
    return 0;
}

/* The forward hands back its borrowed input instead of a new handle: the
   lent handles are gone when the library adopts the output, so it is
   refused; the caller's own handle to x is untouched. */
CASE(function_forward_returns_borrowed_input) {
    ember_tensor *x = leaf(), *out;
    FAILS_OUT_IN("ember_function_apply", out, apply(forward_returns_input, misuse_backward_identity, x, &out),
                 EMBER_ERR_INVALID_HANDLE, "the tensor returned by the forward of function 'Custom' is a tensor handle that has been freed");
    EXPECT(ember_tensor_numel(x) == 3 && ember_tensor_is_leaf(x));
    return 0;
}

CASE(function_backward_failures) {
    ember_tensor *x = leaf(), *y, *s, *y2, *s2, *g;
    OK(apply(misuse_forward_identity, backward_fails, x, &y));
    OK(ember_sum(y, &s));
    FAILS(ember_tensor_backward(s, NULL), EMBER_ERR_DTYPE, "my backward refuses");
    OK(ember_tensor_grad(x, &g));
    EXPECT(g == NULL);
    OK(apply(misuse_forward_identity, backward_wrong_shape, x, &y2));
    OK(ember_sum(y2, &s2));
    FAILS(ember_tensor_backward(s2, NULL), EMBER_ERR_SHAPE, "[5]");
    return 0;
}

CASE(anomaly_detection_names_the_function) {
    ember_tensor *x = T_F64(VALUES(-1, 4), SHAPE(2)), *y, *s, *g;
    OK(ember_tensor_set_requires_grad(x, true));
    ember_set_detect_anomaly(true);
    EXPECT(ember_is_anomaly_enabled());
    OK(ember_sqrt(x, &y));                                   /* sqrt(-1) = NaN, its gradient too */
    OK(ember_sum(y, &s));
    FAILS(ember_tensor_backward(s, NULL), EMBER_ERR_STATE, "SqrtBackward0");
    OK(ember_tensor_grad(x, &g));
    EXPECT(g == NULL);
    ember_set_detect_anomaly(false);
    return 0;
}

CASE(backward_through_floor_divide) {
    ember_tensor *x = leaf(), *y, *s;
    OK(ember_floor_divide_scalar(x, 2, &y));
    OK(ember_sum(y, &s));
    FAILS(ember_tensor_backward(s, NULL), EMBER_ERR_STATE, "floor_divide");
    return 0;
}

CASE(grad_and_detach_null_out) {
    ember_tensor *x = leaf();
    FAILS(ember_tensor_grad(x, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    FAILS(ember_detach(x, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

/* A graph of 100,000 ops is freed without recursion when its last handle goes. */
CASE(deep_graph_teardown) {
    ember_tensor *x = T_F32(VALUES(1), SHAPE(1)), *y, *next;
    int i;
    OK(ember_tensor_set_requires_grad(x, true));
    OK(ember_mul_scalar(x, 1, &y));
    for (i = 0; i < 100000; i++) {
        OK(ember_add_scalar(y, 0, &next));
        ember_tensor_free(y);
        y = next;
    }
    ember_tensor_free(y);
    ember_tensor_free(x);
    return 0;
}

/* y.mul_(y) on a tensor in a graph: the gradient is that of y^2 (2y), and the
   graph is freed with its handles (valgrind and the fuzzer's LeakSanitizer
   watch for the cycle). */
CASE(inplace_mul_with_itself) {
    ember_tensor *t = T_F64(VALUES(3), SHAPE(1)), *y, *g;
    double v = 0;
    OK(ember_tensor_set_requires_grad(t, true));
    OK(ember_mul_scalar(t, 1, &y));
    OK(ember_mul_(y, y));
    OK(ember_tensor_item(y, &v));
    EXPECT(v == 9);
    OK(ember_tensor_backward(y, NULL));
    OK(ember_tensor_grad(t, &g));
    OK(ember_tensor_item(g, &v));
    EXPECT(v == 6);
    return 0;
}
