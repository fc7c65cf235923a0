/* Misuse of ember/optim.h, ember/sched.h and ember/data.h: bad learning
   rates and options (unknown names, values torch rejects, NaN), steps without
   gradients, inconsistent options, closures that fail, parameter lists that
   are empty, repeated, of integers or of non-leaves, state that does not fit;
   schedulers with bad arguments, callbacks that fail, stepped the wrong way;
   data loaders with bad batch sizes, shapes and options. */
#include "misuse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static ember_optimizer *sgd(ember_module *m) {
    ember_optimizer *o = NULL;
    if (ember_sgd_new(m, 0.1, &o) != EMBER_OK) return NULL;
    return o;
}

/* One forward and backward of the seed network on ones. */
static int train_step(ember_module *m) {
    ember_tensor *x = T_F32(NULL, SHAPE(4, 10)), *y = T_I64(VALUES(0, 1, 0, 1), SHAPE(4)), *out = NULL, *loss = NULL;
    int ok = ember_module_forward(m, x, &out) == EMBER_OK && ember_cross_entropy(out, y, &loss) == EMBER_OK &&
             ember_tensor_backward(loss, NULL) == EMBER_OK;
    ember_tensor_free(x); ember_tensor_free(y); ember_tensor_free(out); ember_tensor_free(loss);
    return ok;
}

/* ---- Optimizers -------------------------------------------------------------- */

CASE(optimizer_bad_learning_rates) {
    ember_module *m = misuse_linear(2, 2);
    ember_optimizer *o;
    FAILS_OUT(o, ember_sgd_new(m, -0.1, &o), EMBER_ERR_INVALID_ARGUMENT, "SGD: invalid learning rate: -0.1");
    FAILS_OUT(o, ember_adam_new(m, NAN, &o), EMBER_ERR_INVALID_ARGUMENT, "Adam: lr must be a number, got NaN");
    FAILS_OUT(o, ember_rmsprop_new(m, INFINITY, &o), EMBER_ERR_INVALID_ARGUMENT, "RMSprop: invalid learning rate: inf");
    FAILS_OUT(o, ember_lbfgs_new(m, -INFINITY, &o), EMBER_ERR_INVALID_ARGUMENT, "LBFGS: invalid learning rate: -inf");
    return 0;
}

CASE(optimizer_over_module_without_parameters) {
    ember_module *r;
    ember_optimizer *o;
    OK(ember_relu_new(&r));
    FAILS_OUT(o, ember_sgd_new(r, 0.1, &o), EMBER_ERR_INVALID_ARGUMENT, "empty parameter list");
    FAILS_OUT(o, ember_adamw_new(r, 0.1, &o), EMBER_ERR_INVALID_ARGUMENT, "empty parameter list");
    return 0;
}

CASE(optimizer_set_bad_names) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    double v = 7;
    FAILS(ember_optimizer_set(o, "beta1", 0.9), EMBER_ERR_INVALID_ARGUMENT, "lr, momentum");
    FAILS(ember_optimizer_set(o, NULL, 0.9), EMBER_ERR_INVALID_ARGUMENT, "'name' is NULL");
    FAILS(ember_optimizer_set(o, "", 0.9), EMBER_ERR_INVALID_ARGUMENT, "momentum");
    FAILS(ember_optimizer_get(o, "Momentum", &v), EMBER_ERR_INVALID_ARGUMENT, "momentum");
    EXPECT(v == 0);
    FAILS(ember_optimizer_get(o, "lr", NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

CASE(optimizer_set_bad_values) {
    ember_module *m = misuse_linear(2, 2);
    ember_optimizer *o = sgd(m), *a;
    double lr = 0;
    OK(ember_adam_new(m, 0.1, &a));
    FAILS(ember_optimizer_set(o, "momentum", -1), EMBER_ERR_INVALID_ARGUMENT, "momentum");
    FAILS(ember_optimizer_set(o, "nesterov", 2), EMBER_ERR_INVALID_ARGUMENT, "nesterov");
    FAILS(ember_optimizer_set(o, "nesterov", 0.5), EMBER_ERR_INVALID_ARGUMENT, "nesterov");
    FAILS(ember_optimizer_set(o, "lr", NAN), EMBER_ERR_INVALID_ARGUMENT, "lr");
    FAILS(ember_optimizer_set(o, "weight_decay", -1e-3), EMBER_ERR_INVALID_ARGUMENT, "weight_decay");
    FAILS(ember_optimizer_set(a, "beta1", 1.0), EMBER_ERR_INVALID_ARGUMENT, "beta");
    FAILS(ember_optimizer_set(a, "beta2", -0.1), EMBER_ERR_INVALID_ARGUMENT, "beta");
    FAILS(ember_optimizer_set(a, "eps", -1), EMBER_ERR_INVALID_ARGUMENT, "eps");
    FAILS(ember_optimizer_set(a, "amsgrad", NAN), EMBER_ERR_INVALID_ARGUMENT, "amsgrad");
    OK(ember_optimizer_get(o, "lr", &lr));                   /* unchanged by the failures */
    EXPECT(lr == 0.1);
    return 0;
}

CASE(optimizer_step_without_gradients) {
    ember_module *m = misuse_seed_network();
    ember_optimizer *o = sgd(m), *a;
    ember_tensor *w;
    float before[50], after[50];
    OK(ember_module_parameter(m, "0.weight", &w));
    OK(ember_tensor_copy_to(w, before, sizeof before));
    OK(ember_optimizer_step(o));
    OK(ember_adam_new(m, 0.1, &a));
    OK(ember_optimizer_step(a));
    OK(ember_optimizer_zero_grad(o));
    OK(ember_tensor_copy_to(w, after, sizeof after));
    EXPECT(memcmp(before, after, sizeof before) == 0);
    return 0;
}

CASE(optimizer_inconsistent_options) {
    ember_module *m = misuse_seed_network();
    ember_optimizer *o = sgd(m);
    ember_tensor *w;
    float before[50], after[50];
    EXPECT(train_step(m));
    OK(ember_module_parameter(m, "0.weight", &w));
    OK(ember_tensor_copy_to(w, before, sizeof before));
    OK(ember_optimizer_set(o, "nesterov", 1));               /* without momentum */
    FAILS(ember_optimizer_step(o), EMBER_ERR_INVALID_ARGUMENT, "Nesterov momentum requires a momentum and zero dampening");
    OK(ember_tensor_copy_to(w, after, sizeof after));
    EXPECT(memcmp(before, after, sizeof before) == 0);       /* nothing updated */
    return 0;
}

/* Gradients of NaN and infinity: the step runs (as in torch), the weights become NaN. */
CASE(optimizer_step_with_nan_gradients) {
    ember_module *m = misuse_linear(2, 1);
    ember_optimizer *o;
    ember_tensor *x = T_F32(VALUES(NAN, 1), SHAPE(1, 2)), *y, *s, *w;
    float v[2];
    OK(ember_adam_new(m, 0.1, &o));
    OK(ember_module_forward(m, x, &y));
    OK(ember_sum(y, &s));
    OK(ember_tensor_backward(s, NULL));
    OK(ember_optimizer_step(o));
    OK(ember_module_parameter(m, "weight", &w));
    OK(ember_tensor_copy_to(w, v, sizeof v));
    EXPECT(isnan(v[0]));
    return 0;
}

CASE(lbfgs_needs_a_closure) {
    ember_module *m = misuse_linear(2, 2);
    ember_optimizer *o;
    double loss = 7;
    OK(ember_lbfgs_new(m, 1, &o));
    FAILS(ember_optimizer_step(o), EMBER_ERR_INVALID_ARGUMENT, "closure");
    FAILS(ember_optimizer_step_closure(o, NULL, NULL, &loss), EMBER_ERR_INVALID_ARGUMENT, "closure");
    return 0;
}

static ember_status closure_fails(void *user_data, double *loss) {
    (void)user_data; (void)loss;
    ember_set_last_error("the closure has had enough");
    return EMBER_ERR_STATE;
}

static ember_status closure_minus_one(void *user_data, double *loss) {
    (void)user_data; (void)loss;
    ember_set_last_error("closure minus one");
    return (ember_status)-1;
}

static ember_status closure_nan(void *user_data, double *loss) {
    (void)user_data;
    *loss = NAN;
    return EMBER_OK;
}

CASE(closure_failures) {
    ember_module *m = misuse_linear(2, 2);
    ember_optimizer *o, *l;
    double loss = 7;
    o = sgd(m);
    OK(ember_lbfgs_new(m, 1, &l));
    FAILS(ember_optimizer_step_closure(o, closure_fails, NULL, &loss), EMBER_ERR_STATE, "the closure has had enough");
    FAILS(ember_optimizer_step_closure(l, closure_fails, NULL, &loss), EMBER_ERR_STATE, "the closure failed");
    OK(ember_optimizer_step_closure(l, closure_nan, NULL, &loss));   /* a NaN loss is a value */
    EXPECT(isnan(loss));
    return 0;
}

CASE(closure_returns_minus_one) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    double loss = 7;
    FAILS(ember_optimizer_step_closure(o, closure_minus_one, NULL, &loss), EMBER_ERR_INTERNAL, "closure minus one");
    return 0;
}

CASE(optimizer_new_bad_lists) {
    ember_optimizer *o;
    ember_tensor *w = T_F32(NULL, SHAPE(2)), *i = T_I64(NULL, SHAPE(2)), *y;
    const ember_tensor *list[2];
    list[0] = w;
    list[1] = w;
    FAILS_OUT(o, ember_optimizer_new("SGD", list, 0, "lr=0.1", &o), EMBER_ERR_INVALID_ARGUMENT, "empty");
    FAILS_OUT(o, ember_optimizer_new("SGD", list, 2, "lr=0.1", &o), EMBER_ERR_INVALID_ARGUMENT, "appear in more than one parameter group");
    FAILS_OUT(o, ember_optimizer_new("SGD", NULL, 2, "lr=0.1", &o), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    FAILS_OUT(o, ember_optimizer_new("SGD", list, -2, "lr=0.1", &o), EMBER_ERR_INVALID_ARGUMENT, "-2");
    list[0] = i;
    FAILS_OUT(o, ember_optimizer_new("Adam", list, 1, NULL, &o), EMBER_ERR_DTYPE, "int64");
    OK(ember_tensor_set_requires_grad(w, true));
    OK(ember_exp(w, &y));
    list[0] = y;
    FAILS_OUT(o, ember_optimizer_new("Adam", list, 1, NULL, &o), EMBER_ERR_INVALID_ARGUMENT, "leaf");
    return 0;
}

CASE(optimizer_new_bad_types_and_args) {
    ember_optimizer *o;
    const ember_tensor *list[1];
    list[0] = pool.tensor;
    FAILS_OUT(o, ember_optimizer_new("Sgd", list, 1, NULL, &o), EMBER_ERR_INVALID_ARGUMENT, "SGD");
    FAILS_OUT(o, ember_optimizer_new(NULL, list, 1, NULL, &o), EMBER_ERR_INVALID_ARGUMENT, "'type' is NULL");
    FAILS_OUT(o, ember_optimizer_new("Adam", list, 1, "betas=(0.9)", &o), EMBER_ERR_INVALID_ARGUMENT, "betas");
    FAILS_OUT(o, ember_optimizer_new("Adam", list, 1, "betas=(2, 0.9)", &o), EMBER_ERR_INVALID_ARGUMENT, "beta");
    FAILS_OUT(o, ember_optimizer_new("SGD", list, 1, "lr=-1", &o), EMBER_ERR_INVALID_ARGUMENT, "learning rate");
    FAILS_OUT(o, ember_optimizer_new("SGD", list, 1, "lr=0.1, speed=3", &o), EMBER_ERR_INVALID_ARGUMENT, "speed");
    FAILS_OUT(o, ember_optimizer_new("LBFGS", list, 1, "line_search_fn='fast'", &o), EMBER_ERR_INVALID_ARGUMENT, "fast");
    FAILS_OUT(o, ember_optimizer_new("SGD", list, 1, "lr=(", &o), EMBER_ERR_INVALID_ARGUMENT, "ember_optimizer_new");
    return 0;
}

CASE(param_groups_bad) {
    ember_module *m = misuse_linear(2, 2);
    ember_optimizer *o = sgd(m), *l;
    ember_tensor *w, *extra = T_F32(NULL, SHAPE(2));
    const ember_tensor *list[1];
    double v = 7;
    OK(ember_module_parameter(m, "weight", &w));
    list[0] = w;
    FAILS(ember_optimizer_add_param_group(o, list, 1, NULL), EMBER_ERR_INVALID_ARGUMENT, "appear in more than one parameter group");
    list[0] = extra;
    FAILS(ember_optimizer_add_param_group(o, list, 1, "0.5"), EMBER_ERR_INVALID_ARGUMENT, "positional");
    FAILS(ember_optimizer_add_param_group(o, list, 1, "colour=2"), EMBER_ERR_INVALID_ARGUMENT, "colour");
    OK(ember_lbfgs_new(m, 1, &l));
    FAILS(ember_optimizer_add_param_group(l, list, 1, NULL), EMBER_ERR_INVALID_ARGUMENT, "LBFGS");
    FAILS(ember_optimizer_set_group(o, 1, "lr", 0.1), EMBER_ERR_INVALID_ARGUMENT, "group index 1 is out of range");
    FAILS(ember_optimizer_set_group(o, -1, "lr", 0.1), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS(ember_optimizer_get_group(o, INT64_MAX, "lr", &v), EMBER_ERR_INVALID_ARGUMENT, "9223372036854775807");
    EXPECT(v == 0);
    EXPECT(ember_optimizer_param_group_count(o) == 1);       /* the failed additions added nothing */
    return 0;
}

CASE(optimizer_state_bad) {
    ember_module *m = misuse_seed_network();
    ember_optimizer *o;
    ember_tensor *t, *wrong = T_F32(NULL, SHAPE(3)), *d = misuse_scalar(EMBER_FLOAT64, 0.1);
    char name[4];
    const char *names[1];
    const ember_tensor *tensors[1];
    OK(ember_adam_new(m, 0.1, &o));
    EXPECT(train_step(m));
    OK(ember_optimizer_step(o));
    FAILS_OUT(t, ember_optimizer_state_at(o, ember_optimizer_state_count(o), NULL, 0, &t), EMBER_ERR_INVALID_ARGUMENT, "index");
    FAILS_OUT(t, ember_optimizer_state_at(o, -1, NULL, 0, &t), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(t, ember_optimizer_state_at(o, 0, name, sizeof name, &t), EMBER_ERR_INVALID_ARGUMENT, "needs");
    names[0] = "state.0.exp_avg";
    tensors[0] = wrong;
    FAILS(ember_optimizer_load_state(o, names, tensors, 1), EMBER_ERR_INVALID_ARGUMENT, "state.0.exp_avg");
    names[0] = "param_groups.7.lr";
    tensors[0] = d;
    FAILS(ember_optimizer_load_state(o, names, tensors, 1), EMBER_ERR_INVALID_ARGUMENT, "param_groups.7.lr");
    FAILS(ember_optimizer_load_state(o, NULL, tensors, 1), EMBER_ERR_INVALID_ARGUMENT, "names");
    names[0] = NULL;
    FAILS(ember_optimizer_load_state(o, names, tensors, 1), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    FAILS(ember_optimizer_load_state(o, names, tensors, -1), EMBER_ERR_INVALID_ARGUMENT, "-1");
    return 0;
}

/* Steps are float32 values (as torch keeps them), loaded as they are: a NaN
   step loads, and the next step runs (the weights become NaN) without a trap. */
CASE(optimizer_load_state_nan_step) {
    ember_module *m = misuse_linear(2, 2);
    ember_optimizer *o;
    int64_t n, i;
    char name[64];
    const char *names[32];
    const ember_tensor *tensors[32];
    ember_tensor *v[32];
    OK(ember_adam_new(m, 0.1, &o));
    {
        ember_tensor *x = T_F32(NULL, SHAPE(1, 2)), *y, *s;
        OK(ember_module_forward(m, x, &y));
        OK(ember_sum(y, &s));
        OK(ember_tensor_backward(s, NULL));
        OK(ember_optimizer_step(o));
    }
    n = ember_optimizer_state_count(o);
    EXPECT(n > 0 && n <= 32);
    for (i = 0; i < n; i++) {
        OK(ember_optimizer_state_at(o, i, name, sizeof name, &v[i]));
        names[i] = strcpy(malloc(strlen(name) + 1), name);
        tensors[i] = v[i];
        if (!strcmp(name, "state.0.step")) OK(ember_fill_(v[i], NAN));
    }
    OK(ember_optimizer_load_state(o, names, tensors, n));
    {
        ember_tensor *x = T_F32(VALUES(1, 1), SHAPE(1, 2)), *y, *s, *w;
        float v[4];
        OK(ember_module_forward(m, x, &y));
        OK(ember_sum(y, &s));
        OK(ember_tensor_backward(s, NULL));
        OK(ember_optimizer_step(o));
        OK(ember_module_parameter(m, "weight", &w));
        OK(ember_tensor_copy_to(w, v, sizeof v));
        EXPECT(isnan(v[0]));
    }
    return 0;
}

CASE(clip_grad_bad) {
    ember_module *m = misuse_seed_network();
    ember_tensor *w;
    const ember_tensor *list[1];
    double total = 7;
    EXPECT(train_step(m));
    OK(ember_module_parameter(m, "0.weight", &w));
    list[0] = w;
    FAILS(ember_clip_grad_norm_(list, 1, NAN, 2, false, &total), EMBER_ERR_INVALID_ARGUMENT, "max_norm");
    EXPECT(total == 0);
    FAILS(ember_clip_grad_norm_(list, 1, 1, NAN, false, &total), EMBER_ERR_INVALID_ARGUMENT, "norm_type");
    FAILS(ember_clip_grad_norm_(list, 1, 1, 2, false, NULL), EMBER_ERR_INVALID_ARGUMENT, "'total_norm' is NULL");
    FAILS(ember_clip_grad_value_(list, 1, NAN), EMBER_ERR_INVALID_ARGUMENT, "clip_value");
    FAILS(ember_clip_grad_norm_(list, -1, 1, 2, false, &total), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS(ember_module_clip_grad_norm_(m, NAN, 2, false, &total), EMBER_ERR_INVALID_ARGUMENT, "max_norm");
    return 0;
}

CASE(clip_grad_nonfinite_total) {
    ember_module *m = misuse_linear(2, 1);
    ember_tensor *x = T_F32(VALUES(INFINITY, 1), SHAPE(1, 2)), *y, *s, *w, *g;
    double total = 7;
    float before[2], after[2];
    OK(ember_module_forward(m, x, &y));
    OK(ember_sum(y, &s));
    OK(ember_tensor_backward(s, NULL));
    OK(ember_module_parameter(m, "weight", &w));
    OK(ember_tensor_grad(w, &g));
    OK(ember_tensor_copy_to(g, before, sizeof before));
    FAILS(ember_module_clip_grad_norm_(m, 1, 2, true, &total), EMBER_ERR_INVALID_ARGUMENT, "non-finite");
    OK(ember_tensor_copy_to(g, after, sizeof after));
    EXPECT(memcmp(before, after, sizeof before) == 0);       /* nothing changed */
    OK(ember_module_clip_grad_norm_(m, 1, 2, false, &total));
    EXPECT(isinf(total));
    return 0;
}

/* ---- Schedulers ------------------------------------------------------------- */

CASE(scheduler_constructors_bad) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    ember_scheduler *s;
    const int64_t milestones[] = {3, 1};
    FAILS_OUT(s, ember_steplr_new(o, 0, 0.1, &s), EMBER_ERR_INVALID_ARGUMENT, "step_size");
    FAILS_OUT(s, ember_steplr_new(o, -5, 0.1, &s), EMBER_ERR_INVALID_ARGUMENT, "step_size");
    FAILS_OUT(s, ember_multisteplr_new(o, NULL, 2, 0.1, &s), EMBER_ERR_INVALID_ARGUMENT, "milestones");
    FAILS_OUT(s, ember_multisteplr_new(o, milestones, -1, 0.1, &s), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(s, ember_constantlr_new(o, 2, 5, &s), EMBER_ERR_INVALID_ARGUMENT, "between 0 and 1, got 2.0");
    FAILS_OUT(s, ember_linearlr_new(o, 0, 1, 5, &s), EMBER_ERR_INVALID_ARGUMENT, "Starting multiplicative factor");
    FAILS_OUT(s, ember_linearlr_new(o, 0.5, NAN, 5, &s), EMBER_ERR_INVALID_ARGUMENT, "Ending multiplicative factor");
    FAILS_OUT(s, ember_cosineannealinglr_new(o, 0, 0, &s), EMBER_ERR_INVALID_ARGUMENT, "T_max");
    FAILS_OUT(s, ember_cosineannealingwarmrestarts_new(o, 0, 1, 0, &s), EMBER_ERR_INVALID_ARGUMENT, "T_0");
    FAILS_OUT(s, ember_cosineannealingwarmrestarts_new(o, 5, 0, 0, &s), EMBER_ERR_INVALID_ARGUMENT, "T_mult");
    FAILS_OUT(s, ember_onecyclelr_new(o, 0.1, 0, &s), EMBER_ERR_INVALID_ARGUMENT, "total_steps");
    FAILS_OUT(s, ember_reducelronplateau_new(o, "sideways", 0.1, 5, &s), EMBER_ERR_INVALID_ARGUMENT, "sideways");
    FAILS_OUT(s, ember_reducelronplateau_new(o, "min", 1.5, 5, &s), EMBER_ERR_INVALID_ARGUMENT, "Factor should be < 1.0, got 1.5");
    FAILS_OUT(s, ember_polynomiallr_new(o, 5, NAN, &s), EMBER_ERR_INVALID_ARGUMENT, "power");
    return 0;
}

CASE(scheduler_new_bad) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    ember_scheduler *s;
    FAILS_OUT(s, ember_scheduler_new(o, "StepLr", "step_size=1", &s), EMBER_ERR_INVALID_ARGUMENT, "StepLR");
    FAILS_OUT(s, ember_scheduler_new(o, NULL, NULL, &s), EMBER_ERR_INVALID_ARGUMENT, "'type' is NULL");
    FAILS_OUT(s, ember_scheduler_new(o, "StepLR", NULL, &s), EMBER_ERR_INVALID_ARGUMENT, "step_size");
    FAILS_OUT(s, ember_scheduler_new(o, "StepLR", "step_size=1, gamma='fast'", &s), EMBER_ERR_INVALID_ARGUMENT, "gamma");
    FAILS_OUT(s, ember_scheduler_new(o, "MultiStepLR", "milestones=[1, [2]]", &s), EMBER_ERR_INVALID_ARGUMENT, "milestones");
    FAILS_OUT(s, ember_scheduler_new(o, "OneCycleLR", "max_lr=[0.1, 0.2], total_steps=10", &s), EMBER_ERR_INVALID_ARGUMENT, "max_lr");
    return 0;
}

CASE(scheduler_stepped_wrong) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    ember_scheduler *plateau, *step, *cycle;
    OK(ember_reducelronplateau_new(o, NULL, 0.1, 1, &plateau));
    FAILS(ember_scheduler_step(plateau), EMBER_ERR_INVALID_ARGUMENT, "ember_scheduler_step_metric");
    OK(ember_steplr_new(o, 1, 0.5, &step));
    FAILS(ember_scheduler_step_metric(step, 1), EMBER_ERR_INVALID_ARGUMENT, "ReduceLROnPlateau");
    OK(ember_scheduler_step_metric(plateau, NAN));            /* a NaN metric is a value */
    OK(ember_onecyclelr_new(o, 0.1, 2, &cycle));
    OK(ember_scheduler_step(cycle));
    OK(ember_scheduler_step(cycle));
    FAILS(ember_scheduler_step(cycle), EMBER_ERR_INVALID_ARGUMENT, "total");
    return 0;
}

CASE(scheduler_after_new_group) {
    ember_module *m = misuse_linear(2, 2);
    ember_optimizer *o = sgd(m);
    ember_scheduler *s;
    ember_tensor *extra = T_F32(NULL, SHAPE(2));
    const ember_tensor *list[1];
    OK(ember_steplr_new(o, 1, 0.5, &s));
    list[0] = extra;
    OK(ember_optimizer_add_param_group(o, list, 1, NULL));
    FAILS(ember_scheduler_step(s), EMBER_ERR_STATE, "group");
    return 0;
}

static ember_status lambda_fails(int64_t epoch, int64_t group, void *user_data, double *factor) {
    (void)group; (void)user_data; (void)factor;
    if (epoch == 0) ember_set_last_error("no factor for epoch 0");
    else ember_set_last_error("no factor later either");
    return EMBER_ERR_STATE;
}

static ember_status lambda_fails_later(int64_t epoch, int64_t group, void *user_data, double *factor) {
    (void)group; (void)user_data;
    *factor = 1;
    if (epoch < 2) return EMBER_OK;
    ember_set_last_error("epoch 2 is too late");
    return EMBER_ERR_IO;
}

static ember_status lambda_minus_one(int64_t epoch, int64_t group, void *user_data, double *factor) {
    (void)epoch; (void)group; (void)user_data; (void)factor;
    ember_set_last_error("lambda minus one");
    return (ember_status)-1;
}

CASE(lambda_scheduler_failures) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    ember_scheduler *s;
    double lr = 0;
    misuse_destroyed = 0;
    FAILS_OUT(s, ember_lambdalr_new(o, lambda_fails, NULL, misuse_destroy, &s), EMBER_ERR_STATE, "no factor for epoch 0");
    EXPECT(misuse_destroyed == 1);                            /* destroyed at once on failure */
    FAILS_OUT(s, ember_multiplicativelr_new(o, NULL, NULL, misuse_destroy, &s), EMBER_ERR_INVALID_ARGUMENT, "lr_lambda");
    EXPECT(misuse_destroyed == 2);
    OK(ember_lambdalr_new(o, lambda_fails_later, NULL, misuse_destroy, &s));
    OK(ember_scheduler_step(s));
    FAILS(ember_scheduler_step(s), EMBER_ERR_IO, "epoch 2 is too late");
    OK(ember_optimizer_get(o, "lr", &lr));
    EXPECT(lr == 0.1);                                        /* nothing changed */
    ember_scheduler_free(s);
    EXPECT(misuse_destroyed == 3);
    return 0;
}

CASE(lambda_returns_minus_one) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    ember_scheduler *s;
    FAILS_OUT(s, ember_lambdalr_new(o, lambda_minus_one, NULL, NULL, &s), EMBER_ERR_INTERNAL, "lambda minus one");
    return 0;
}

CASE(sequential_and_chained_bad) {
    ember_optimizer *o = sgd(misuse_linear(2, 2)), *o2 = sgd(misuse_linear(2, 2));
    ember_scheduler *a, *b, *other, *plateau, *s, *list[2];
    const int64_t milestones[] = {2, 3};
    OK(ember_steplr_new(o, 1, 0.5, &a));
    OK(ember_exponentiallr_new(o, 0.9, &b));
    OK(ember_steplr_new(o2, 1, 0.5, &other));
    OK(ember_reducelronplateau_new(o, NULL, 0.1, 1, &plateau));
    list[0] = a;
    list[1] = b;
    FAILS_OUT(s, ember_sequentiallr_new(o, list, 2, milestones, 2, &s), EMBER_ERR_INVALID_ARGUMENT, "milestone");
    FAILS_OUT(s, ember_sequentiallr_new(o, list, 0, milestones, 0, &s), EMBER_ERR_INVALID_ARGUMENT, "ember_sequentiallr_new");
    list[1] = other;
    FAILS_OUT(s, ember_sequentiallr_new(o, list, 2, milestones, 1, &s), EMBER_ERR_INVALID_ARGUMENT, "optimizer");
    FAILS_OUT(s, ember_chainedscheduler_new(list, 2, &s), EMBER_ERR_INVALID_ARGUMENT, "optimizer");
    list[1] = plateau;
    FAILS_OUT(s, ember_sequentiallr_new(o, list, 2, milestones, 1, &s), EMBER_ERR_INVALID_ARGUMENT, "ReduceLROnPlateau");
    FAILS_OUT(s, ember_chainedscheduler_new(NULL, 2, &s), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    return 0;
}

CASE(scheduler_get_set_bad) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    ember_scheduler *s;
    double v = 7, lrs[1];
    int64_t count = 7;
    OK(ember_steplr_new(o, 1, 0.5, &s));
    FAILS(ember_scheduler_get(s, "gama", &v), EMBER_ERR_INVALID_ARGUMENT, "gamma");
    EXPECT(v == 0);
    FAILS(ember_scheduler_set(s, "last_epoch", 5), EMBER_ERR_INVALID_ARGUMENT, "read-only");
    FAILS(ember_scheduler_set(s, "step_size", 0), EMBER_ERR_INVALID_ARGUMENT, "step_size");
    FAILS(ember_scheduler_set(s, "step_size", NAN), EMBER_ERR_INVALID_ARGUMENT, "step_size");
    FAILS(ember_scheduler_set(s, "step_size", 1e300), EMBER_ERR_INVALID_ARGUMENT, "step_size");
    FAILS(ember_scheduler_set(s, NULL, 1), EMBER_ERR_INVALID_ARGUMENT, "'name' is NULL");
    FAILS(ember_scheduler_get_last_lr(s, lrs, 0, &count), EMBER_ERR_INVALID_ARGUMENT, "capacity");
    EXPECT(count == 0);
    FAILS(ember_scheduler_get_last_lr(s, lrs, 1, NULL), EMBER_ERR_INVALID_ARGUMENT, "'count' is NULL");
    return 0;
}

CASE(scheduler_state_bad) {
    ember_optimizer *o = sgd(misuse_linear(2, 2));
    ember_scheduler *s;
    ember_tensor *t, *nan = misuse_scalar(EMBER_FLOAT64, NAN), *big = misuse_scalar(EMBER_INT64, 0);
    const char *names[1];
    const ember_tensor *tensors[1];
    const int64_t huge = INT64_MAX;
    OK(ember_steplr_new(o, 1, 0.5, &s));
    FAILS_OUT(t, ember_scheduler_state_at(s, 999, NULL, 0, &t), EMBER_ERR_INVALID_ARGUMENT, "999");
    names[0] = "gamma";
    tensors[0] = nan;
    FAILS(ember_scheduler_load_state(s, names, tensors, 1), EMBER_ERR_INVALID_ARGUMENT, "ember_scheduler_load_state");
    OK(ember_tensor_copy_from(big, &huge, sizeof huge));
    names[0] = "last_epoch";
    tensors[0] = big;
    FAILS(ember_scheduler_load_state(s, names, tensors, 1), EMBER_ERR_INVALID_ARGUMENT, "last_epoch");
    FAILS(ember_scheduler_load_state(s, NULL, tensors, 1), EMBER_ERR_INVALID_ARGUMENT, "names");
    return 0;
}

/* ---- Data loader ---------------------------------------------------------------- */

CASE(dataloader_bad_construction) {
    ember_tensor *x = T_F32(NULL, SHAPE(4, 2)), *y3 = T_I64(NULL, SHAPE(3)), *s = misuse_scalar(EMBER_FLOAT32, 1);
    ember_dataloader *l;
    FAILS_OUT(l, ember_dataloader_new(x, x, 0, false, &l), EMBER_ERR_INVALID_ARGUMENT, "batch_size");
    FAILS_OUT(l, ember_dataloader_new(x, x, -1, false, &l), EMBER_ERR_INVALID_ARGUMENT, "batch_size");
    FAILS_OUT(l, ember_dataloader_new(x, x, INT64_MIN, true, &l), EMBER_ERR_INVALID_ARGUMENT, "batch_size");
    FAILS_OUT(l, ember_dataloader_new(x, y3, 2, false, &l), EMBER_ERR_SHAPE, "4 rows");
    FAILS_OUT(l, ember_dataloader_new(s, s, 1, false, &l), EMBER_ERR_SHAPE, "need a first (sample) dimension, got shapes [] and []");
    FAILS(ember_dataloader_new(x, x, 2, false, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

/* A batch larger than the data set: one short batch, or none with drop_last. */
CASE(dataloader_huge_batch) {
    ember_tensor *x = T_F32(NULL, SHAPE(4, 2)), *bx, *by;
    ember_dataloader *l;
    double len = 7;
    OK(ember_dataloader_new(x, x, INT64_MAX, true, &l));
    OK(ember_dataloader_get(l, "len", &len));
    EXPECT(len == 1);
    OK(ember_dataloader_next(l, &bx, &by));
    EXPECT(ember_tensor_size(bx, 0) == 4);
    OK(ember_dataloader_set(l, "drop_last", 1));
    OK(ember_dataloader_next(l, &bx, &by));                  /* the end of the first epoch */
    EXPECT(bx == NULL && by == NULL);
    OK(ember_dataloader_next(l, &bx, &by));                  /* a new epoch with nothing in it */
    EXPECT(bx == NULL && by == NULL);
    return 0;
}

CASE(dataloader_options_bad) {
    double v = 7;
    FAILS(ember_dataloader_set(pool.dataloader, "shuffle", 1), EMBER_ERR_INVALID_ARGUMENT, "read-only");
    FAILS(ember_dataloader_set(pool.dataloader, "drop_last", 2), EMBER_ERR_INVALID_ARGUMENT, "drop_last");
    FAILS(ember_dataloader_set(pool.dataloader, "drop_last", NAN), EMBER_ERR_INVALID_ARGUMENT, "drop_last");
    FAILS(ember_dataloader_set(pool.dataloader, "batchsize", 1), EMBER_ERR_INVALID_ARGUMENT, "drop_last, batch_size");
    FAILS(ember_dataloader_set(pool.dataloader, NULL, 1), EMBER_ERR_INVALID_ARGUMENT, "'name' is NULL");
    FAILS(ember_dataloader_get(pool.dataloader, "length", &v), EMBER_ERR_INVALID_ARGUMENT, "len");
    EXPECT(v == 0);
    FAILS(ember_dataloader_get(pool.dataloader, "len", NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

CASE(dataloader_next_null_outs) {
    ember_tensor *bx = SENTINEL, *by = SENTINEL;
    FAILS(ember_dataloader_next(pool.dataloader, NULL, &by), EMBER_ERR_INVALID_ARGUMENT, "'inputs' is NULL");
    EXPECT(by == NULL);
    FAILS(ember_dataloader_next(pool.dataloader, &bx, NULL), EMBER_ERR_INVALID_ARGUMENT, "'targets' is NULL");
    EXPECT(bx == NULL);
    return 0;
}

/* The loader keeps its tensors: freeing them, and writing into them, is safe. */
CASE(dataloader_outlives_its_tensors) {
    ember_tensor *x = T_F32(VALUES(1, 2, 3, 4), SHAPE(4)), *bx, *by;
    ember_dataloader *l;
    float v[2];
    OK(ember_dataloader_new(x, x, 2, false, &l));
    ember_tensor_free(x);
    OK(ember_dataloader_next(l, &bx, &by));
    OK(ember_tensor_copy_to(bx, v, sizeof v));
    EXPECT(v[0] == 1 && v[1] == 2);
    return 0;
}
