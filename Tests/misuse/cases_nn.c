/* Misuse of ember/nn.h: bad type names and constructor strings for
   ember_module_new, inputs of the wrong shape, containers misused (appending
   to a non-Sequential, cycles), parameter lookups by bad names and indices,
   too-small name and summary buffers, bad registrations, custom forwards that
   fail or return the wrong number of outputs. */
#include "misuse.h"

#include <stdlib.h>
#include <string.h>

CASE(module_new_unknown_type) {
    ember_module *m;
    FAILS_OUT(m, ember_module_new("Linaer", "1, 2", &m), EMBER_ERR_INVALID_ARGUMENT, "Linear");
    FAILS_OUT(m, ember_module_new(NULL, "1, 2", &m), EMBER_ERR_INVALID_ARGUMENT, "'type' is NULL");
    FAILS_OUT(m, ember_module_new("", NULL, &m), EMBER_ERR_INVALID_ARGUMENT, "Linear");
    FAILS(ember_module_new("ReLU", NULL, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

CASE(module_new_bad_argument_values) {
    ember_module *m;
    FAILS_OUT(m, ember_module_new("Linear", "10, five", &m), EMBER_ERR_INVALID_ARGUMENT, "five");
    FAILS_OUT(m, ember_module_new("Linear", "10", &m), EMBER_ERR_INVALID_ARGUMENT, "out_features");
    FAILS_OUT(m, ember_module_new("Linear", "10, 5, bias=Maybe", &m), EMBER_ERR_INVALID_ARGUMENT, "Maybe");
    FAILS_OUT(m, ember_module_new("Linear", "10, 5, colour=1", &m), EMBER_ERR_INVALID_ARGUMENT, "colour");
    FAILS_OUT(m, ember_module_new("Linear", "-1, 5", &m), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(m, ember_module_new("Linear", "10, 5, bias=True, bias=False", &m), EMBER_ERR_INVALID_ARGUMENT, "bias");
    FAILS_OUT(m, ember_module_new("Linear", "10, 5, 1, 2, 3, 4", &m), EMBER_ERR_INVALID_ARGUMENT, "Linear");
    FAILS_OUT(m, ember_module_new("Linear", "nan, 5", &m), EMBER_ERR_INVALID_ARGUMENT, "nan");
    FAILS_OUT(m, ember_module_new("Linear", "2.5, 5", &m), EMBER_ERR_INVALID_ARGUMENT, "2.5");
    FAILS_OUT(m, ember_module_new("Dropout", "p=1.5", &m), EMBER_ERR_INVALID_ARGUMENT, "1.5");
    FAILS_OUT(m, ember_module_new("Conv2d", "1, 16, kernel_size=3, padding='bogus'", &m), EMBER_ERR_INVALID_ARGUMENT, "bogus");
    return 0;
}

CASE(module_new_malformed_syntax) {
    ember_module *m;
    FAILS_OUT(m, ember_module_new("Linear", "((", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    FAILS_OUT(m, ember_module_new("Linear", "10, 5, bias=", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    FAILS_OUT(m, ember_module_new("Linear", "'unterminated", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    FAILS_OUT(m, ember_module_new("Linear", "10,, 5", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    FAILS_OUT(m, ember_module_new("Linear", "=5", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    FAILS_OUT(m, ember_module_new("Linear", "10, 5)", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    FAILS_OUT(m, ember_module_new("Linear", "\xff\xfe, 5", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    FAILS_OUT(m, ember_module_new("Linear", "1e999, 5", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    FAILS_OUT(m, ember_module_new("Linear", "99999999999999999999999, 5", &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    return 0;
}

/* Nesting the parser 100,000 tuples deep must not overflow the stack. */
CASE(module_new_deeply_nested_args) {
    ember_module *m;
    size_t depth = 100000, i;
    char *args = malloc(2 * depth + 16);
    EXPECT(args != NULL);
    for (i = 0; i < depth; i++) args[i] = '(';
    strcpy(args + depth, "1");
    for (i = 0; i < depth; i++) args[depth + 1 + i] = ')';
    args[2 * depth + 1] = 0;
    FAILS_OUT(m, ember_module_new("Conv2d", args, &m), EMBER_ERR_INVALID_ARGUMENT, "ember_module_new");
    free(args);
    return 0;
}

CASE(module_new_absurd_sizes) {
    ember_module *m;
    FAILS_OUT(m, ember_module_new("Linear", "1000000000, 1000000000", &m), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate 4000000000000000000 bytes");
    FAILS_OUT(m, ember_module_new("Embedding", "1000000000000000, 1000000000000000", &m), EMBER_ERR_OUT_OF_MEMORY, "ember_module_new");
    FAILS_OUT(m, ember_linear_new(2000000000, 2000000000, true, &m), EMBER_ERR_OUT_OF_MEMORY, "needs more bytes than can be addressed");
    FAILS_OUT(m, ember_linear_new(1000000000, 1000000000, false, &m), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(m, ember_linear_new(INT64_MAX, 1, true, &m), EMBER_ERR_INVALID_ARGUMENT, "in_features");
    OK(ember_linear_new(0, 3, true, &m));                    /* as torch's nn.Linear(0, 3): zero-element weights */
    return 0;
}

CASE(forward_wrong_input_shape) {
    ember_module *m = misuse_seed_network();
    ember_tensor *x = T_F32(NULL, SHAPE(3, 4)), *i = T_I64(NULL, SHAPE(3, 10)), *out;
    FAILS_OUT(out, ember_module_forward(m, x, &out), EMBER_ERR_SHAPE, "[3, 4]");
    FAILS_OUT(out, ember_module_forward(m, i, &out), EMBER_ERR_DTYPE, "int64");
    FAILS(ember_module_forward(m, x, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
    return 0;
}

CASE(sequential_misuse) {
    ember_module *seq, *inner, *lin = misuse_linear(2, 2);
    OK(ember_sequential_new(&seq));
    OK(ember_sequential_new(&inner));
    FAILS(ember_sequential_append(lin, seq), EMBER_ERR_INVALID_ARGUMENT, "not a Sequential");
    FAILS(ember_sequential_append(seq, seq), EMBER_ERR_INVALID_ARGUMENT, "cycle");
    OK(ember_sequential_append(seq, inner));
    FAILS(ember_sequential_append(inner, seq), EMBER_ERR_INVALID_ARGUMENT, "which would make a cycle");
    return 0;
}

/* An empty Sequential is the identity, as in torch. */
CASE(sequential_empty_forward) {
    ember_module *seq;
    ember_tensor *out;
    OK(ember_sequential_new(&seq));
    OK(ember_module_forward(seq, pool.tensor, &out));
    EXPECT(ember_tensor_numel(out) == 4);
    return 0;
}

CASE(parameter_lookup_bad) {
    ember_module *m = misuse_seed_network();
    ember_tensor *p;
    char name[4];
    FAILS_OUT(p, ember_module_parameter(m, "0.weights", &p), EMBER_ERR_INVALID_ARGUMENT, "0.weight");
    FAILS_OUT(p, ember_module_parameter(m, NULL, &p), EMBER_ERR_INVALID_ARGUMENT, "'name' is NULL");
    FAILS_OUT(p, ember_module_parameter(m, "", &p), EMBER_ERR_INVALID_ARGUMENT, "0.weight");
    FAILS_OUT(p, ember_module_parameter_at(m, 4, NULL, 0, &p), EMBER_ERR_INVALID_ARGUMENT, "index 4");
    FAILS_OUT(p, ember_module_parameter_at(m, -1, NULL, 0, &p), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(p, ember_module_parameter_at(m, INT64_MIN, NULL, 0, &p), EMBER_ERR_INVALID_ARGUMENT, "-9223372036854775808");
    FAILS_OUT(p, ember_module_parameter_at(m, 0, name, sizeof name, &p), EMBER_ERR_INVALID_ARGUMENT, "needs 9 bytes");
    FAILS_OUT(p, ember_module_parameter_at(m, 0, NULL, 16, &p), EMBER_ERR_INVALID_ARGUMENT, "'name' is NULL");
    FAILS_OUT(p, ember_module_buffer(m, "running_mean", &p), EMBER_ERR_INVALID_ARGUMENT, "running_mean");
    FAILS_OUT(p, ember_module_buffer_at(m, 0, NULL, 0, &p), EMBER_ERR_INVALID_ARGUMENT, "index 0");
    return 0;
}

CASE(child_lookup_bad) {
    ember_module *m = misuse_seed_network(), *c;
    FAILS_OUT(c, ember_module_child(m, "3", &c), EMBER_ERR_INVALID_ARGUMENT, "\"0\"");
    FAILS_OUT(c, ember_module_child(m, "0.1", &c), EMBER_ERR_INVALID_ARGUMENT, "0.1");
    FAILS_OUT(c, ember_module_child(m, "..", &c), EMBER_ERR_INVALID_ARGUMENT, "..");
    FAILS_OUT(c, ember_module_child(m, NULL, &c), EMBER_ERR_INVALID_ARGUMENT, "'name' is NULL");
    return 0;
}

CASE(summary_buffer_too_small) {
    ember_module *m = misuse_seed_network();
    char buf[8] = "xxxxxxx";
    size_t length = 7;
    FAILS(ember_module_summary(m, buf, sizeof buf, &length), EMBER_ERR_INVALID_ARGUMENT, "buf_size is 8 but the text needs");
    EXPECT(buf[0] == 'x');                                    /* nothing written */
    OK(ember_module_summary(m, NULL, 0, &length));            /* a query */
    EXPECT(length > 20);
    FAILS(ember_module_summary(m, NULL, 64, &length), EMBER_ERR_INVALID_ARGUMENT, "'buf' is NULL");
    return 0;
}

CASE(register_bad_names) {
    ember_module *m = misuse_linear(2, 2), *c = misuse_linear(2, 2);
    ember_tensor *p = T_F32(NULL, SHAPE(2));
    FAILS(ember_module_register_module(m, "a.b", c), EMBER_ERR_INVALID_ARGUMENT, "a.b");
    FAILS(ember_module_register_module(m, "", c), EMBER_ERR_INVALID_ARGUMENT, "empty");
    FAILS(ember_module_register_module(m, NULL, c), EMBER_ERR_INVALID_ARGUMENT, "'name' is NULL");
    FAILS(ember_module_register_module(m, "self", m), EMBER_ERR_INVALID_ARGUMENT, "cycle");
    FAILS(ember_module_register_parameter(m, "x.y", p), EMBER_ERR_INVALID_ARGUMENT, "x.y");
    FAILS(ember_module_register_buffer(m, "", p), EMBER_ERR_INVALID_ARGUMENT, "empty");
    return 0;
}

CASE(register_parameter_bad_tensors) {
    ember_module *m = misuse_linear(2, 2);
    ember_tensor *i = T_I64(NULL, SHAPE(2)), *x = T_F32(NULL, SHAPE(2)), *y;
    FAILS(ember_module_register_parameter(m, "p", i), EMBER_ERR_DTYPE, "int64");
    OK(ember_tensor_set_requires_grad(x, true));
    OK(ember_exp(x, &y));
    FAILS(ember_module_register_parameter(m, "q", y), EMBER_ERR_STATE, "leaf");
    return 0;
}

static ember_status custom_fails(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                 ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)self; (void)inputs; (void)n_inputs; (void)user_data; (void)outputs; (void)capacity; (void)n_outputs;
    ember_set_last_error("custom forward refuses");
    return EMBER_ERR_SHAPE;
}

static ember_status custom_too_many(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                    ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)self; (void)inputs; (void)n_inputs; (void)user_data; (void)outputs;
    *n_outputs = capacity + 1;
    return EMBER_OK;
}

static ember_status custom_negative(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                    ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)self; (void)inputs; (void)n_inputs; (void)user_data; (void)outputs; (void)capacity;
    *n_outputs = -3;
    return EMBER_OK;
}

static ember_status custom_none(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)self; (void)inputs; (void)n_inputs; (void)user_data; (void)outputs; (void)capacity;
    *n_outputs = 0;
    return EMBER_OK;
}

static ember_status custom_claims_one_writes_none(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs,
                                                  void *user_data, ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)self; (void)inputs; (void)n_inputs; (void)user_data; (void)outputs; (void)capacity;
    *n_outputs = 1;
    return EMBER_OK;
}

static ember_status custom_minus_one(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                     ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)self; (void)inputs; (void)n_inputs; (void)user_data; (void)outputs; (void)capacity; (void)n_outputs;
    ember_set_last_error("custom minus one");
    return (ember_status)-1;
}

/* Frees the module it is running in (a borrowed handle): nothing breaks. */
static ember_status custom_frees_self(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                      ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    ember_module_free(self);
    return misuse_module_forward_identity(NULL, inputs, n_inputs, user_data, outputs, capacity, n_outputs);
}

static ember_status run_custom(ember_module_forward_fn fn, ember_tensor **out) {
    ember_module *m = NULL;
    ember_status s = ember_module_custom_new("Custom", fn, NULL, NULL, &m);
    if (s != EMBER_OK) return s;
    s = ember_module_forward(m, pool.tensor, out);
    ember_module_free(m);
    return s;
}

CASE(custom_module_forward_failures) {
    ember_tensor *out;
    FAILS_OUT_IN("ember_module_forward", out, run_custom(custom_fails, &out), EMBER_ERR_SHAPE,
                 "the forward of module 'Custom' failed (EMBER_ERR_SHAPE): custom forward refuses");
    FAILS_OUT_IN("ember_module_forward", out, run_custom(custom_too_many, &out), EMBER_ERR_INVALID_ARGUMENT, "reported 17 outputs");
    FAILS_OUT_IN("ember_module_forward", out, run_custom(custom_negative, &out), EMBER_ERR_INVALID_ARGUMENT, "reported -3 outputs");
    FAILS_OUT_IN("ember_module_forward", out, run_custom(custom_none, &out), EMBER_ERR_INVALID_ARGUMENT, "output");
    FAILS_OUT_IN("ember_module_forward", out, run_custom(custom_claims_one_writes_none, &out), EMBER_ERR_INVALID_ARGUMENT,
                 "output 0 is NULL");
    return 0;
}

CASE(custom_module_forward_returns_minus_one) {
    ember_tensor *out;
    FAILS_OUT_IN("ember_module_forward", out, run_custom(custom_minus_one, &out), EMBER_ERR_INTERNAL, "custom minus one");
    return 0;
}

CASE(custom_module_frees_itself) {
    ember_tensor *out;
    OK(run_custom(custom_frees_self, &out));
    EXPECT(ember_tensor_numel(out) == 4);
    return 0;
}

CASE(custom_module_new_bad) {
    ember_module *m;
    FAILS_OUT(m, ember_module_custom_new("C", NULL, NULL, NULL, &m), EMBER_ERR_INVALID_ARGUMENT, "'forward' is NULL");
    FAILS_OUT(m, ember_module_custom_new(NULL, misuse_module_forward_identity, NULL, NULL, &m), EMBER_ERR_INVALID_ARGUMENT, "type_name");
    return 0;
}

CASE(forward_multi_capacity) {
    ember_module *lstm;
    ember_tensor *x = T_F32(NULL, SHAPE(5, 1, 3)), *outs[3];
    const ember_tensor *in[1];
    int64_t n = 7;
    OK(ember_module_new("LSTM", "3, 4", &lstm));
    in[0] = x;
    outs[0] = outs[1] = outs[2] = SENTINEL;
    FAILS(ember_module_forward_multi(lstm, in, 1, outs, 2, &n), EMBER_ERR_INVALID_ARGUMENT, "capacity 2");
    EXPECT(n == 0 && outs[0] == SENTINEL);
    FAILS(ember_module_forward_multi(lstm, in, 1, outs, 3, NULL), EMBER_ERR_INVALID_ARGUMENT, "'n_outputs' is NULL");
    FAILS(ember_module_forward_multi(lstm, in, -1, outs, 3, &n), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS(ember_module_forward_multi(lstm, NULL, 1, outs, 3, &n), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    OK(ember_module_forward_multi(lstm, in, 1, NULL, 0, &n));
    EXPECT(n == 3);
    return 0;
}

/* ember_module_forward on a module with several outputs. */
CASE(forward_of_multi_output_module) {
    ember_module *lstm;
    ember_tensor *x = T_F32(NULL, SHAPE(5, 1, 3)), *out;
    OK(ember_module_new("LSTM", "3, 4", &lstm));
    FAILS_OUT(out, ember_module_forward(lstm, x, &out), EMBER_ERR_INVALID_ARGUMENT, "LSTM returns 3 outputs; use the forward that returns several");
    return 0;
}

CASE(module_free_inside_container) {
    ember_module *seq, *lin = misuse_linear(2, 2);
    ember_tensor *out;
    OK(ember_sequential_new(&seq));
    OK(ember_sequential_append(seq, lin));
    ember_module_free(lin);
    ember_module_free(lin);                                   /* a double free: reported, harmless */
    MESSAGE("ember_module_free", "freed");
    OK(ember_module_forward(seq, pool.tensor, &out));
    EXPECT(ember_tensor_numel(out) == 4);
    return 0;
}
