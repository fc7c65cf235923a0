/* A libFuzzer harness for the C API: the input bytes are read as a program --
   a sequence of API calls with arguments -- over small pools of live handles
   (tensors, modules, optimizers, schedulers, data loaders, custom
   functions). Calls create objects, run ops, backpropagate, step optimizers,
   free things, and misuse them: NULL, freed and wrong-kind handles, bad
   shapes, dims, dtypes, NaN, extreme integers, fuzzed strings for module,
   optimizer and einsum arguments, callbacks that fail.

   What counts as a bug (the harness aborts, libFuzzer saves the input):
   a crash, a trap, a hang, an ASan report or a leak (the harness side is
   built with -fsanitize=fuzzer,address; the library with coverage), a status
   outside ember_status, EMBER_ERR_INTERNAL, a failure without a message
   naming the function, an out-parameter left set after a failure, a handle
   that a success did not deliver.

   make fuzz FUZZ_TIME=600  (see mk/hardening.mk); reproduce a crash with
   .build-fuzz/api_fuzz CRASH_FILE. */
#include <ember.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sizes the library refuses (above 2 GiB) come back as NULL from the
   allocator instead of an ASan report, so they become EMBER_ERR_OUT_OF_MEMORY
   as they would in production. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1:max_allocation_size_mb=2048:detect_leaks=1"; }

/* ---- Reading the input --------------------------------------------------------- */

typedef struct { const uint8_t *p; size_t n; } input;

static uint8_t u8(input *in) {
    uint8_t b;
    if (in->n == 0) return 0;
    b = *in->p++;
    in->n--;
    return b;
}

/* Mostly small integers, sometimes the extremes (all refused before any allocation). */
static int64_t small_int(input *in) {
    static const int64_t extremes[] = {INT64_MIN, INT64_MAX, -1, 0, (int64_t)1 << 62, -((int64_t)1 << 62), 13, -13};
    uint8_t b = u8(in);
    if (b >= 248) return extremes[b - 248];
    return (int64_t)(b % 9) - 2;                            /* -2 .. 6 */
}

static int64_t size_int(input *in) {
    uint8_t b = u8(in);
    if (b >= 250) return b == 250 ? -1 : b == 251 ? INT64_MAX : b == 252 ? INT64_MIN : b == 253 ? ((int64_t)1 << 62) : 0;
    return b % 5;                                            /* 0 .. 4 */
}

static double number(input *in) {
    static const double table[] = {0, 1, -1, 0.5, 2, -0.5, 0.1, 1e-3, 3, 10, 1e300, -1e300, 1e-300, 0.999, -2, 0};
    uint8_t b = u8(in);
    if (b == 255) return NAN;
    if (b == 254) return INFINITY;
    if (b == 253) return -INFINITY;
    return table[b % 16];
}

static ember_dtype dtype(input *in) {
    uint8_t b = u8(in);
    if (b >= 250) return b == 250 ? (ember_dtype)4 : b == 251 ? EMBER_DTYPE_INVALID : (ember_dtype)0x7fffffff;
    return (ember_dtype)(b % 4);
}

static int64_t shape(input *in, int64_t *s) {
    int64_t nd = u8(in) % 5, i;
    for (i = 0; i < 16; i++) s[i] = 1;
    for (i = 0; i < nd; i++) s[i] = size_int(in);
    if (u8(in) == 255) return 13;                            /* too many dims (s has room for 16) */
    return nd;
}

static int64_t dims(input *in, int64_t *d) {
    int64_t n = u8(in) % 4, i;
    for (i = 0; i < n; i++) d[i] = small_int(in);
    return n;
}

/* A NUL-terminated string of up to 48 bytes from the input, or one from `table`. */
static const char *string(input *in, const char *const *table, size_t count, char *buf) {
    uint8_t b = u8(in);
    size_t n, i;
    if (table && b < 200) return table[b % count];
    if (b == 255) return NULL;
    n = u8(in) % 48;
    for (i = 0; i < n; i++) buf[i] = (char)u8(in);
    buf[n] = 0;
    return buf;
}

/* ---- The oracle -------------------------------------------------------------------- */

static void bug(const char *what, const char *function, ember_status s) {
    fprintf(stderr, "api_fuzz: %s: %s returned %d (%s), last error \"%s\"\n", what, function, (int)s, ember_status_name(s),
            ember_last_error());
    abort();
}

/* Checks a status and, on failure, the message and the out-parameters. */
static int trace = -1;   /* API_FUZZ_TRACE=1: print every checked call and its status (to reproduce a crash) */

static ember_status check(const char *function, ember_status s, void **outs, int nouts) {
    int i;
    if (trace < 0) trace = getenv("API_FUZZ_TRACE") != NULL;
    if (trace) fprintf(stderr, "api_fuzz: %s -> %s%s%s\n", function, ember_status_name(s), s ? ": " : "", s ? ember_last_error() : "");
    if ((unsigned)s > (unsigned)EMBER_ERR_INTERNAL) bug("a status that is not an ember_status", function, s);
    if (s == EMBER_ERR_INTERNAL) bug("an internal error", function, s);
    if (s != EMBER_OK) {
        size_t n = strlen(function);
        if (strncmp(ember_last_error(), function, n) != 0 || ember_last_error()[n] != ':')
            bug("a failure whose message does not name the function", function, s);
        for (i = 0; i < nouts; i++)
            if (outs[i] != NULL) bug("an out-parameter left set after a failure", function, s);
    }
    return s;
}

#define CHECK(fn, call, ...) check(fn, (call), (void *[]){__VA_ARGS__}, (int)(sizeof((void *[]){__VA_ARGS__}) / sizeof(void *)))

/* ---- Pools ------------------------------------------------------------------------ */

#define NT 12
#define NM 4
#define NO 3
#define NS 3
#define NL 2
#define NF 2

static ember_tensor *tensors[NT];
static ember_module *modules[NM];
static ember_optimizer *optimizers[NO];
static ember_scheduler *schedulers[NS];
static ember_dataloader *loaders[NL];
static ember_function *functions[NF];
static ember_tensor *dead_tensor;
static ember_module *dead_module;
static int hook_calls;
static char stray[8];

/* A tensor argument: usually a live one, sometimes NULL, a freed handle, a
   handle of another kind or not a handle at all. */
static ember_tensor *tensor_arg(input *in) {
    uint8_t b = u8(in);
    if (b < 240) return tensors[b % NT];
    switch (b % 4) {
    case 0: return NULL;
    case 1: return dead_tensor;
    case 2: return (ember_tensor *)(void *)modules[0];
    default: return (ember_tensor *)(void *)stray;
    }
}

static ember_module *module_arg(input *in) {
    uint8_t b = u8(in);
    if (b < 245) return modules[b % NM];
    return b % 3 == 0 ? NULL : b % 3 == 1 ? dead_module : (ember_module *)(void *)tensors[0];
}

static ember_optimizer *optimizer_arg(input *in) {
    uint8_t b = u8(in);
    if (b < 250) return optimizers[b % NO];
    return b % 2 ? NULL : (ember_optimizer *)(void *)schedulers[0];
}

static ember_scheduler *scheduler_arg(input *in) {
    uint8_t b = u8(in);
    return b < 250 ? schedulers[b % NS] : (ember_scheduler *)(void *)optimizers[0];
}

/* Releases a tensor or module handle, clearing its gradients first half of
   the time (by a bit of the handle, so a run stays reproducible), so both orders are
   exercised; neither may leak (see ember_tensor_backward_ex). */
static void drop_tensor(ember_tensor *t) {
    if (t && ((uintptr_t)t >> 4) % 2 && ember_tensor_zero_grad(t) != EMBER_OK) { /* not a leaf: nothing to clear */ }
    ember_tensor_free(t);
}

static void drop_module(ember_module *m) {
    if (m && ((uintptr_t)m >> 4) % 2 && ember_module_zero_grad(m) != EMBER_OK) { /* cannot fail for a live module */ }
    ember_module_free(m);
}

/* Keeps a result in the pool (in place of a random slot's tensor); results
   above 4096 elements are dropped, so sizes cannot compound from step to step. */
static void put_tensor(input *in, ember_tensor *t) {
    int slot = u8(in) % NT;
    if (!t) return;
    if (ember_tensor_numel(t) > 4096) {
        drop_tensor(t);
        return;
    }
    if (tensors[slot] && !dead_tensor) {
        dead_tensor = tensors[slot];
        drop_tensor(dead_tensor);                      /* keep one freed handle for misuse */
    } else {
        drop_tensor(tensors[slot]);
    }
    tensors[slot] = t;
}

static void put_module(input *in, ember_module *m) {
    int slot = u8(in) % NM;
    if (!m) return;
    drop_module(modules[slot]);
    modules[slot] = m;
}

static void put_optimizer(input *in, ember_optimizer *o) {
    int slot = u8(in) % NO;
    if (!o) return;
    ember_optimizer_free(optimizers[slot]);
    optimizers[slot] = o;
}

static void put_scheduler(input *in, ember_scheduler *s) {
    int slot = u8(in) % NS;
    if (!s) return;
    ember_scheduler_free(schedulers[slot]);
    schedulers[slot] = s;
}

static void reset(void) {
    int i;
    for (i = 0; i < NT; i++) { drop_tensor(tensors[i]); tensors[i] = NULL; }
    for (i = 0; i < NS; i++) { ember_scheduler_free(schedulers[i]); schedulers[i] = NULL; }
    for (i = 0; i < NO; i++) { ember_optimizer_free(optimizers[i]); optimizers[i] = NULL; }
    for (i = 0; i < NL; i++) { ember_dataloader_free(loaders[i]); loaders[i] = NULL; }
    for (i = 0; i < NF; i++) { ember_function_free(functions[i]); functions[i] = NULL; }
    for (i = 0; i < NM; i++) { drop_module(modules[i]); modules[i] = NULL; }
    dead_tensor = NULL;
    dead_module = NULL;
}

/* ---- Callbacks ------------------------------------------------------------------- */

/* user_data selects the behaviour: 0 succeed, 1 fail, 2 replace with a wrong shape, 3 fail with another status. */
static ember_status hook(const ember_tensor *grad, void *user_data, ember_tensor **replacement) {
    int mode = (int)(intptr_t)user_data;
    const int64_t s[] = {7};
    hook_calls++;
    (void)grad;
    if (mode == 1) { ember_set_last_error("hook failed"); return EMBER_ERR_IO; }
    if (mode == 2) return ember_tensor_zeros(s, 1, EMBER_FLOAT32, replacement);
    if (mode == 3) return EMBER_ERR_OUT_OF_MEMORY;
    return EMBER_OK;
}

static ember_status fn_forward(const ember_tensor *const *inputs, int64_t count, void *user_data, ember_tensor **output) {
    if (count < 1) { ember_set_last_error("no inputs"); return EMBER_ERR_INVALID_ARGUMENT; }
    if ((intptr_t)user_data == 1) { ember_set_last_error("forward failed"); return EMBER_ERR_SHAPE; }
    return ember_mul(inputs[0], inputs[count - 1], output);
}

static ember_status fn_backward(const ember_tensor *grad_output, const ember_tensor *const *inputs, int64_t count, void *user_data,
                                ember_tensor **grad_inputs) {
    int64_t i;
    if ((intptr_t)user_data == 2) { ember_set_last_error("backward failed"); return EMBER_ERR_DTYPE; }
    for (i = 0; i < count; i++) {
        ember_status s = ember_mul(grad_output, inputs[count - 1 - i], &grad_inputs[i]);
        if (s != EMBER_OK) return s;
    }
    return EMBER_OK;
}

static ember_status closure(void *user_data, double *loss) {
    (void)user_data;
    *loss = 1;
    return EMBER_OK;
}

static ember_status lr_lambda(int64_t epoch, int64_t group, void *user_data, double *factor) {
    (void)group;
    if ((intptr_t)user_data == 1 && epoch > 1) { ember_set_last_error("lambda failed"); return EMBER_ERR_STATE; }
    *factor = 1.0 / (double)(epoch + 1);
    return EMBER_OK;
}

static ember_status custom_forward(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                   ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)self; (void)user_data;
    if (n_inputs < 1 || capacity < 1) return EMBER_ERR_INVALID_ARGUMENT;
    *n_outputs = 1;
    return ember_relu(inputs[0], &outputs[0]);
}

/* ---- Op tables --------------------------------------------------------------------- */

typedef ember_status (*unary_fn)(const ember_tensor *, ember_tensor **);
typedef ember_status (*binary_fn)(const ember_tensor *, const ember_tensor *, ember_tensor **);
typedef ember_status (*scalar_fn)(const ember_tensor *, double, ember_tensor **);
typedef ember_status (*dim_fn)(const ember_tensor *, int64_t, ember_tensor **);
typedef ember_status (*dimk_fn)(const ember_tensor *, int64_t, bool, ember_tensor **);
typedef ember_status (*dims_fn)(const ember_tensor *, const int64_t *, int64_t, bool, ember_tensor **);
typedef ember_status (*shape_fn)(const ember_tensor *, const int64_t *, int64_t, ember_tensor **);
typedef ember_status (*inplace_fn)(ember_tensor *, double);
typedef ember_status (*inplace2_fn)(ember_tensor *, const ember_tensor *);

#define F(f) {#f, (void (*)(void))f}
typedef struct { const char *name; void (*fn)(void); } named;

static const named unary[] = {
    F(ember_neg), F(ember_abs), F(ember_sign), F(ember_square), F(ember_exp), F(ember_expm1), F(ember_log), F(ember_log1p),
    F(ember_log2), F(ember_sqrt), F(ember_rsqrt), F(ember_reciprocal), F(ember_sin), F(ember_cos), F(ember_tan), F(ember_tanh),
    F(ember_sigmoid), F(ember_erf), F(ember_logit), F(ember_floor), F(ember_ceil), F(ember_round), F(ember_relu), F(ember_relu6),
    F(ember_selu), F(ember_gelu), F(ember_gelu_tanh), F(ember_silu), F(ember_mish), F(ember_logical_not), F(ember_sum),
    F(ember_mean), F(ember_prod), F(ember_max), F(ember_min), F(ember_amax), F(ember_amin), F(ember_argmax), F(ember_argmin),
    F(ember_logsumexp), F(ember_all), F(ember_any), F(ember_squeeze), F(ember_contiguous), F(ember_clone), F(ember_detach),
    F(ember_zeros_like), F(ember_ones_like), F(ember_rand_like), F(ember_randn_like), F(ember_bernoulli), F(ember_tensor_retain),
};
static const named binary[] = {
    F(ember_add), F(ember_sub), F(ember_mul), F(ember_div), F(ember_maximum), F(ember_minimum), F(ember_atan2), F(ember_pow),
    F(ember_eq), F(ember_ne), F(ember_lt), F(ember_le), F(ember_gt), F(ember_ge), F(ember_logical_and), F(ember_logical_or),
    F(ember_logical_xor), F(ember_floor_divide), F(ember_remainder), F(ember_matmul), F(ember_mm), F(ember_bmm), F(ember_mv),
    F(ember_dot), F(ember_outer), F(ember_cross_entropy), F(ember_mse_loss), F(ember_expand_as), F(ember_masked_select),
    F(ember_embedding), F(ember_take_along_dim_flat),
};
static const named scalar[] = {
    F(ember_add_scalar), F(ember_sub_scalar), F(ember_mul_scalar), F(ember_div_scalar), F(ember_floor_divide_scalar),
    F(ember_remainder_scalar), F(ember_pow_scalar), F(ember_clamp_min), F(ember_clamp_max), F(ember_leaky_relu), F(ember_elu),
    F(ember_logit_eps), F(ember_eq_scalar), F(ember_lt_scalar), F(ember_ge_scalar), F(ember_full_like), F(ember_bernoulli_p),
    F(ember_var), F(ember_std), F(ember_norm),
};
static const named with_dim[] = {
    F(ember_cumsum), F(ember_cumprod), F(ember_softmax), F(ember_log_softmax), F(ember_squeeze_dim), F(ember_unsqueeze),
    F(ember_tril), F(ember_triu), F(ember_one_hot),
};
static const named with_dimk[] = {F(ember_prod_dim), F(ember_argmax_dim), F(ember_argmin_dim)};
static const named with_dims[] = {F(ember_sum_dim), F(ember_mean_dim), F(ember_amax_dim), F(ember_amin_dim), F(ember_logsumexp_dim),
                                  F(ember_all_dim), F(ember_any_dim)};
static const named with_shape[] = {F(ember_reshape), F(ember_view), F(ember_expand), F(ember_broadcast_to), F(ember_permute),
                                   F(ember_flip), F(ember_repeat), F(ember_tile), F(ember_squeeze_dims)};
static const named inplace[] = {F(ember_add_scalar_), F(ember_mul_scalar_), F(ember_div_scalar_), F(ember_clamp_min_),
                                F(ember_clamp_max_), F(ember_fill_), F(ember_init_constant_), F(ember_init_xavier_uniform_),
                                F(ember_init_xavier_normal_), F(ember_init_orthogonal_)};
static const named inplace2[] = {F(ember_mul_), F(ember_div_), F(ember_copy_)};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(in, table) (&(table)[u8(in) % COUNT(table)])

static const char *const module_types[] = {"Linear", "ReLU", "Sequential", "Conv2d", "BatchNorm1d", "LayerNorm", "Embedding",
                                           "Dropout", "LSTM", "GRU", "MultiheadAttention", "Tanh", "GELU", "Flatten",
                                           "CrossEntropyLoss", "MaxPool2d"};
static const char *const module_args[] = {"2, 2", "4, 3, bias=False", "", "1, 2, kernel_size=2", "4", "(4,)", "6, 2", "p=0.5",
                                          "2, 3", "2, 2, batch_first=True", "4, 2", "kernel_size=2", "2, 3, num_layers=2",
                                          "start_dim=0", "reduction='sum'", "3, 3, bidirectional=True"};
static const char *const option_names[] = {"lr", "momentum", "nesterov", "weight_decay", "dampening", "beta1", "beta2", "eps",
                                           "amsgrad", "maximize", "alpha", "centered", "lr_decay", "rho"};
static const char *const optimizer_types[] = {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
                                              "LBFGS"};
static const char *const optimizer_args[] = {"lr=0.1", "lr=0.01, momentum=0.9, nesterov=True", "betas=(0.8, 0.9), amsgrad=True", "",
                                             "lr=1, line_search_fn='strong_wolfe'", "weight_decay=0.1, maximize=True"};
static const char *const scheduler_types[] = {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "OneCycleLR",
                                              "ReduceLROnPlateau", "LinearLR", "ConstantLR", "PolynomialLR",
                                              "CosineAnnealingWarmRestarts"};
static const char *const scheduler_args[] = {"step_size=2", "milestones=[1, 3]", "gamma=0.9", "T_max=3", "max_lr=0.1, total_steps=5",
                                             "mode='max'", "start_factor=0.5, total_iters=2", "factor=0.5", "total_iters=3", "T_0=2"};
static const char *const reductions[] = {"mean", "sum", "none", "batchmean"};
static const char *const equations[] = {"ij,jk->ik", "ii->i", "ij->", "i,i->", "bij,bjk->bik", "...ij->...ji", "ij", "i,j->ij"};
static const char *const modes[] = {"constant", "reflect", "replicate", "circular", "nearest", "bilinear", "nearest-exact"};

/* ---- The interpreter ------------------------------------------------------------- */

static void step(input *in) {
    ember_tensor *out = NULL, *out2 = NULL;
    int64_t s[16], d[16], n;
    char buf[64];
    uint8_t op = u8(in);
    switch (op % 64) {
    case 0: { /* creation from a shape */
        ember_dtype dt = dtype(in);
        n = shape(in, s);
        switch (u8(in) % 6) {
        case 0: CHECK("ember_tensor_zeros", ember_tensor_zeros(s, n, dt, &out), out); break;
        case 1: CHECK("ember_tensor_ones", ember_tensor_ones(s, n, dt, &out), out); break;
        case 2: CHECK("ember_tensor_rand", ember_tensor_rand(s, n, dt, &out), out); break;
        case 3: CHECK("ember_tensor_randn", ember_tensor_randn(s, n, dt, &out), out); break;
        case 4: CHECK("ember_tensor_full", ember_tensor_full(s, n, number(in), dt, &out), out); break;
        default: CHECK("ember_tensor_randint", ember_tensor_randint(small_int(in), small_int(in), s, n, &out), out); break;
        }
        put_tensor(in, out);
        break;
    }
    case 1: { /* from data: the bytes themselves */
        uint8_t raw[64 * 8];
        size_t i;
        ember_dtype dt = dtype(in);
        n = shape(in, s);
        for (i = 0; i < sizeof raw; i++) raw[i] = u8(in);
        if (dt == EMBER_BOOL) for (i = 0; i < sizeof raw; i++) raw[i] &= 1;
        if (n <= 4 && s[0] >= 0 && s[0] <= 4) {
            int64_t count = 1, k;
            for (k = 0; k < n; k++) count *= s[k] >= 0 && s[k] <= 4 ? s[k] : 0;
            if (count <= 64) CHECK("ember_tensor_from_data", ember_tensor_from_data(raw, dt, s, n, &out), out);
        }
        put_tensor(in, out);
        break;
    }
    case 2:
        CHECK("ember_tensor_arange", ember_tensor_arange(number(in), number(in) * 4, number(in), dtype(in), &out), out);
        put_tensor(in, out);
        break;
    case 3:
        CHECK("ember_tensor_eye", ember_tensor_eye(size_int(in), size_int(in), dtype(in), &out), out);
        put_tensor(in, out);
        break;
    case 4:
        CHECK("ember_tensor_linspace", ember_tensor_linspace(number(in), number(in), size_int(in), dtype(in), &out), out);
        put_tensor(in, out);
        break;
    case 5: case 6: case 7: case 8: {
        const named *f = PICK(in, unary);
        CHECK(f->name, ((unary_fn)f->fn)(tensor_arg(in), &out), out);
        put_tensor(in, out);
        break;
    }
    case 9: case 10: case 11: case 12: {
        const named *f = PICK(in, binary);
        ember_tensor *a = tensor_arg(in), *b = tensor_arg(in);
        CHECK(f->name, ((binary_fn)f->fn)(a, b, &out), out);
        put_tensor(in, out);
        break;
    }
    case 13: case 14: {
        const named *f = PICK(in, scalar);
        ember_tensor *a = tensor_arg(in);
        CHECK(f->name, ((scalar_fn)f->fn)(a, number(in), &out), out);
        put_tensor(in, out);
        break;
    }
    case 15: {
        const named *f = PICK(in, with_dim);
        ember_tensor *a = tensor_arg(in);
        CHECK(f->name, ((dim_fn)f->fn)(a, small_int(in), &out), out);
        put_tensor(in, out);
        break;
    }
    case 16: {
        const named *f = PICK(in, with_dimk);
        ember_tensor *a = tensor_arg(in);
        int64_t dim = small_int(in);
        CHECK(f->name, ((dimk_fn)f->fn)(a, dim, u8(in) & 1, &out), out);
        put_tensor(in, out);
        break;
    }
    case 17: {
        const named *f = PICK(in, with_dims);
        ember_tensor *a = tensor_arg(in);
        n = dims(in, d);
        CHECK(f->name, ((dims_fn)f->fn)(a, d, n, u8(in) & 1, &out), out);
        put_tensor(in, out);
        break;
    }
    case 18: case 19: {
        const named *f = PICK(in, with_shape);
        ember_tensor *a = tensor_arg(in);
        n = shape(in, s);
        CHECK(f->name, ((shape_fn)f->fn)(a, s, n, &out), out);
        put_tensor(in, out);
        break;
    }
    case 20: {
        const named *f = PICK(in, inplace);
        ember_tensor *a = tensor_arg(in);
        CHECK(f->name, ((inplace_fn)f->fn)(a, number(in)));
        break;
    }
    case 21: {
        const named *f = PICK(in, inplace2);
        ember_tensor *a = tensor_arg(in), *b = tensor_arg(in);
        CHECK(f->name, ((inplace2_fn)f->fn)(a, b));
        break;
    }
    case 22: { /* views with single dims */
        ember_tensor *a = tensor_arg(in);
        int64_t x = small_int(in), y = small_int(in), z = small_int(in);
        switch (u8(in) % 6) {
        case 0: CHECK("ember_transpose", ember_transpose(a, x, y, &out), out); break;
        case 1: CHECK("ember_narrow", ember_narrow(a, x, y, z, &out), out); break;
        case 2: CHECK("ember_slice", ember_slice(a, x, y, u8(in) & 1 ? EMBER_END : z, small_int(in), &out), out); break;
        case 3: CHECK("ember_select", ember_select(a, x, y, &out), out); break;
        case 4: CHECK("ember_flatten", ember_flatten(a, x, y, &out), out); break;
        default: CHECK("ember_unflatten", ember_unflatten(a, x, s, shape(in, s), &out), out); break;
        }
        put_tensor(in, out);
        break;
    }
    case 23: { /* indexing */
        ember_tensor *a = tensor_arg(in), *idx = tensor_arg(in), *src = tensor_arg(in);
        int64_t dim = small_int(in);
        switch (u8(in) % 6) {
        case 0: CHECK("ember_index_select", ember_index_select(a, dim, idx, &out), out); break;
        case 1: CHECK("ember_gather", ember_gather(a, dim, idx, &out), out); break;
        case 2: CHECK("ember_scatter", ember_scatter(a, dim, idx, src, &out), out); break;
        case 3: CHECK("ember_scatter_add", ember_scatter_add(a, dim, idx, src, &out), out); break;
        case 4: CHECK("ember_index_add", ember_index_add(a, dim, idx, src, number(in), &out), out); break;
        default: CHECK("ember_take_along_dim", ember_take_along_dim(a, idx, dim, &out), out); break;
        }
        put_tensor(in, out);
        break;
    }
    case 24: { /* lists */
        const ember_tensor *list[4];
        ember_tensor *pieces[4] = {NULL, NULL, NULL, NULL};
        int64_t count = u8(in) % 5, i, got = 0;
        ember_status st;
        for (i = 0; i < 4; i++) list[i] = tensor_arg(in);
        switch (u8(in) % 5) {
        case 0: CHECK("ember_cat", ember_cat(list, count, small_int(in), &out), out); break;
        case 1: CHECK("ember_stack", ember_stack(list, count, small_int(in), &out), out); break;
        case 2: CHECK("ember_einsum", ember_einsum(string(in, equations, COUNT(equations), buf), list, count, &out), out); break;
        case 3:
            st = CHECK("ember_split", ember_split(list[0], small_int(in), small_int(in), pieces, 4, &got));
            if (st == EMBER_OK) for (i = 0; i < got; i++) put_tensor(in, pieces[i]);
            break;
        default: {
            int64_t chunks = small_int(in);
            st = CHECK("ember_chunk", ember_chunk(list[0], chunks, small_int(in), pieces, 4, &got));
            if (st == EMBER_OK) for (i = 0; i < got; i++) put_tensor(in, pieces[i]);
            break;
        }
        }
        put_tensor(in, out);
        break;
    }
    case 25: { /* selection and clamps */
        ember_tensor *a = tensor_arg(in), *b = tensor_arg(in), *c = tensor_arg(in);
        double x = number(in), y = number(in);
        switch (u8(in) % 7) {
        case 0: CHECK("ember_where", ember_where(a, b, c, &out), out); break;
        case 1: CHECK("ember_masked_fill", ember_masked_fill(a, b, x, &out), out); break;
        case 2: CHECK("ember_clamp", ember_clamp(a, x, y, &out), out); break;
        case 3: CHECK("ember_hardtanh", ember_hardtanh(a, x, y, &out), out); break;
        case 4: CHECK("ember_softplus", ember_softplus(a, x, y, &out), out); break;
        case 5: CHECK("ember_lerp", ember_lerp(a, b, x, &out), out); break;
        default: CHECK("ember_addcmul", ember_addcmul(a, b, c, x, &out), out); break;
        }
        put_tensor(in, out);
        break;
    }
    case 26: { /* losses */
        ember_tensor *a = tensor_arg(in), *b = tensor_arg(in), *w = u8(in) & 1 ? tensor_arg(in) : NULL;
        const char *r = string(in, reductions, COUNT(reductions), buf);
        switch (u8(in) % 6) {
        case 0: CHECK("ember_cross_entropy_ex", ember_cross_entropy_ex(a, b, w, small_int(in), r, number(in), &out), out); break;
        case 1: CHECK("ember_nll_loss", ember_nll_loss(a, b, w, small_int(in), r, &out), out); break;
        case 2: CHECK("ember_binary_cross_entropy", ember_binary_cross_entropy(a, b, w, r, &out), out); break;
        case 3: CHECK("ember_binary_cross_entropy_with_logits", ember_binary_cross_entropy_with_logits(a, b, w, NULL, r, &out), out); break;
        case 4: CHECK("ember_huber_loss", ember_huber_loss(a, b, r, number(in), &out), out); break;
        default: CHECK("ember_kl_div", ember_kl_div(a, b, r, u8(in) & 1, &out), out); break;
        }
        put_tensor(in, out);
        break;
    }
    case 27: { /* convolution and pooling on small images */
        ember_tensor *x = tensor_arg(in), *w = tensor_arg(in), *b = u8(in) & 1 ? tensor_arg(in) : NULL;
        int64_t st[2] = {small_int(in), small_int(in)}, pd[2] = {small_int(in), small_int(in)}, k[2] = {small_int(in), small_int(in)};
        int64_t groups = small_int(in);
        switch (u8(in) % 6) {
        case 0: CHECK("ember_conv2d", ember_conv2d(x, w, b, st, pd, NULL, groups, &out), out); break;
        case 1: CHECK("ember_conv1d", ember_conv1d(x, w, b, st, pd, NULL, groups, &out), out); break;
        case 2: CHECK("ember_max_pool2d", ember_max_pool2d(x, k, st, pd, NULL, u8(in) & 1, &out), out); break;
        case 3: CHECK("ember_avg_pool2d", ember_avg_pool2d(x, k, st, pd, u8(in) & 1, u8(in) & 1, NULL, &out), out); break;
        case 4: CHECK("ember_adaptive_avg_pool2d", ember_adaptive_avg_pool2d(x, k, &out), out); break;
        default: CHECK("ember_conv_transpose2d", ember_conv_transpose2d(x, w, b, st, pd, NULL, groups, NULL, &out), out); break;
        }
        put_tensor(in, out);
        break;
    }
    case 28: { /* normalisation, padding, interpolation, attention */
        ember_tensor *x = tensor_arg(in), *a = tensor_arg(in), *b = tensor_arg(in);
        n = dims(in, d);
        switch (u8(in) % 6) {
        case 0: CHECK("ember_batch_norm", ember_batch_norm(x, NULL, NULL, a, b, u8(in) & 1, number(in), number(in), &out), out); break;
        case 1: CHECK("ember_group_norm", ember_group_norm(x, small_int(in), a, b, number(in), &out), out); break;
        case 2: CHECK("ember_layer_norm", ember_layer_norm(x, d, n, a, b, number(in), &out), out); break;
        case 3: CHECK("ember_pad", ember_pad(x, d, n, string(in, modes, COUNT(modes), buf), number(in), &out), out); break;
        case 4: CHECK("ember_interpolate_size", ember_interpolate_size(x, d, n, string(in, modes, COUNT(modes), buf), u8(in) & 1, &out), out); break;
        default: CHECK("ember_scaled_dot_product_attention", ember_scaled_dot_product_attention(x, a, b, NULL, 0, u8(in) & 1, &out), out); break;
        }
        put_tensor(in, out);
        break;
    }
    case 29: { /* two results */
        ember_tensor *a = tensor_arg(in);
        int64_t dim = small_int(in);
        if (u8(in) & 1) CHECK("ember_max_dim", ember_max_dim(a, dim, u8(in) & 1, &out, &out2), out, out2);
        else CHECK("ember_min_dim", ember_min_dim(a, dim, u8(in) & 1, &out, &out2), out, out2);
        put_tensor(in, out);
        put_tensor(in, out2);
        break;
    }
    case 30: CHECK("ember_to_dtype", ember_to_dtype(tensor_arg(in), dtype(in), &out), out); put_tensor(in, out); break;
    case 31: { /* element access */
        ember_tensor *a = tensor_arg(in);
        uint8_t bytes[256] = {0};
        double v = 0;
        int64_t iv = 0, sh[16];
        switch (u8(in) % 6) {
        case 0: CHECK("ember_tensor_copy_to", ember_tensor_copy_to(a, bytes, u8(in))); break;
        case 1: CHECK("ember_tensor_copy_from", ember_tensor_copy_from(a, bytes, u8(in))); break;
        case 2: CHECK("ember_tensor_item", ember_tensor_item(a, &v)); break;
        case 3: CHECK("ember_tensor_item_int64", ember_tensor_item_int64(a, &iv)); break;
        case 4: CHECK("ember_tensor_shape", ember_tensor_shape(a, sh, small_int(in))); break;
        default:
            (void)ember_tensor_numel(a); (void)ember_tensor_ndim(a); (void)ember_tensor_size(a, small_int(in));
            (void)ember_tensor_dtype(a); (void)ember_tensor_is_contiguous(a); (void)ember_tensor_is_leaf(a);
            break;
        }
        break;
    }
    /* ---- autograd ---- */
    case 32: case 33:
        CHECK("ember_tensor_set_requires_grad", ember_tensor_set_requires_grad(tensor_arg(in), u8(in) % 4 != 0));
        break;
    case 34: case 35: {
        ember_tensor *t = tensor_arg(in), *g = u8(in) & 1 ? tensor_arg(in) : NULL;
        if (u8(in) & 1) {
            CHECK("ember_tensor_backward", ember_tensor_backward(t, g));
        } else {
            bool retain = u8(in) & 1, create = u8(in) & 1;
            CHECK("ember_tensor_backward_ex", ember_tensor_backward_ex(t, g, retain, create));
        }
        break;
    }
    case 36: CHECK("ember_tensor_grad", ember_tensor_grad(tensor_arg(in), &out), out); put_tensor(in, out); break;
    case 37: CHECK("ember_tensor_zero_grad", ember_tensor_zero_grad(tensor_arg(in))); break;
    case 38: {
        const ember_tensor *outs[2], *ins[2];
        ember_tensor *grads[2] = {NULL, NULL};
        ember_status st;
        outs[0] = tensor_arg(in); outs[1] = tensor_arg(in);
        ins[0] = tensor_arg(in); ins[1] = tensor_arg(in);
        st = CHECK("ember_autograd_grad", ember_autograd_grad(outs, 1 + (u8(in) & 1), NULL, ins, 1 + (u8(in) & 1), u8(in) & 1,
                                                              u8(in) & 1, u8(in) & 1, grads), grads[0], grads[1]);
        if (st == EMBER_OK) { put_tensor(in, grads[0]); put_tensor(in, grads[1]); }
        break;
    }
    case 39: {
        int64_t id = 0;
        ember_tensor *t = tensor_arg(in);
        if (u8(in) & 1) CHECK("ember_tensor_register_hook", ember_tensor_register_hook(t, hook, (void *)(intptr_t)(u8(in) % 4), NULL, &id));
        else CHECK("ember_tensor_remove_hook", ember_tensor_remove_hook(t, small_int(in)));
        break;
    }
    case 40: {
        int slot = u8(in) % NF;
        ember_function *fn = NULL;
        if (u8(in) & 1) {
            CHECK("ember_function_new", ember_function_new("Fuzz", fn_forward, fn_backward, (void *)(intptr_t)(u8(in) % 3), NULL, &fn), fn);
            if (fn) { ember_function_free(functions[slot]); functions[slot] = fn; }
        } else {
            const ember_tensor *list[2];
            list[0] = tensor_arg(in); list[1] = tensor_arg(in);
            CHECK("ember_function_apply", ember_function_apply(functions[slot], list, 1 + (u8(in) & 1), &out), out);
            put_tensor(in, out);
        }
        break;
    }
    case 41: { bool on = u8(in) & 1; ember_set_grad_enabled(on); if (ember_is_grad_enabled() != on) bug("grad mode", "ember_set_grad_enabled", EMBER_OK); break; }
    case 42: ember_set_detect_anomaly(u8(in) & 1); break;
    /* ---- nn ---- */
    case 43: case 44: {
        ember_module *m = NULL;
        const char *type = string(in, module_types, COUNT(module_types), buf);
        char args_buf[64];
        CHECK("ember_module_new", ember_module_new(type, string(in, module_args, COUNT(module_args), args_buf), &m), m);
        put_module(in, m);
        break;
    }
    case 45: {
        ember_module *m = NULL;
        switch (u8(in) % 4) {
        case 0: CHECK("ember_linear_new", ember_linear_new(size_int(in), size_int(in), u8(in) & 1, &m), m); break;
        case 1: CHECK("ember_sequential_new", ember_sequential_new(&m), m); break;
        case 2: CHECK("ember_relu_new", ember_relu_new(&m), m); break;
        default: CHECK("ember_module_custom_new", ember_module_custom_new("Fuzz", custom_forward, NULL, NULL, &m), m); break;
        }
        put_module(in, m);
        break;
    }
    case 46: case 47: {
        ember_module *m = module_arg(in);
        CHECK("ember_module_forward", ember_module_forward(m, tensor_arg(in), &out), out);
        put_tensor(in, out);
        break;
    }
    case 48: {
        ember_module *m = module_arg(in), *c = module_arg(in), *child = NULL;
        char name[16];
        size_t length = 0;
        char text[512];
        switch (u8(in) % 8) {
        case 0: CHECK("ember_sequential_append", ember_sequential_append(m, c)); break;
        case 1: CHECK("ember_module_parameter_at", ember_module_parameter_at(m, small_int(in), name, u8(in) % 17, &out), out); break;
        case 2: CHECK("ember_module_summary", ember_module_summary(m, text, u8(in) & 1 ? sizeof text : 8, &length)); break;
        case 3: CHECK("ember_module_train", ember_module_train(m, u8(in) & 1)); break;
        case 4: CHECK("ember_module_zero_grad", ember_module_zero_grad(m)); break;
        case 5: CHECK("ember_module_register_module", ember_module_register_module(m, string(in, NULL, 0, buf), c)); break;
        case 6: CHECK("ember_module_child", ember_module_child(m, u8(in) & 1 ? "0" : "1", &child), child); put_module(in, child); break;
        default: CHECK("ember_module_set_requires_grad", ember_module_set_requires_grad(m, u8(in) & 1)); break;
        }
        put_tensor(in, out);
        break;
    }
    case 49: {
        ember_module *m = module_arg(in);
        const ember_tensor *list[3];
        ember_tensor *outs[4] = {NULL, NULL, NULL, NULL};
        int64_t got = 0, i;
        list[0] = tensor_arg(in); list[1] = tensor_arg(in); list[2] = tensor_arg(in);
        if (CHECK("ember_module_forward_multi", ember_module_forward_multi(m, list, 1 + u8(in) % 3, outs, 4, &got)) == EMBER_OK)
            for (i = 0; i < got; i++) put_tensor(in, outs[i]);
        break;
    }
    /* ---- optim ---- */
    case 50: {
        ember_optimizer *o = NULL;
        ember_module *m = module_arg(in);
        double lr = number(in);
        switch (u8(in) % 4) {
        case 0: CHECK("ember_sgd_new", ember_sgd_new(m, lr, &o), o); break;
        case 1: CHECK("ember_adam_new", ember_adam_new(m, lr, &o), o); break;
        case 2: CHECK("ember_rmsprop_new", ember_rmsprop_new(m, lr, &o), o); break;
        default: CHECK("ember_lbfgs_new", ember_lbfgs_new(m, lr, &o), o); break;
        }
        put_optimizer(in, o);
        break;
    }
    case 51: {
        ember_optimizer *o = NULL;
        const ember_tensor *list[3];
        char args_buf[64];
        const char *type = string(in, optimizer_types, COUNT(optimizer_types), buf);
        list[0] = tensor_arg(in); list[1] = tensor_arg(in); list[2] = tensor_arg(in);
        CHECK("ember_optimizer_new",
              ember_optimizer_new(type, list, u8(in) % 4, string(in, optimizer_args, COUNT(optimizer_args), args_buf), &o), o);
        put_optimizer(in, o);
        break;
    }
    case 52: case 53: {
        ember_optimizer *o = optimizer_arg(in);
        double v = 0, loss = 0;
        switch (u8(in) % 6) {
        case 0: CHECK("ember_optimizer_set", ember_optimizer_set(o, string(in, option_names, COUNT(option_names), buf), number(in))); break;
        case 1: CHECK("ember_optimizer_get", ember_optimizer_get(o, string(in, option_names, COUNT(option_names), buf), &v)); break;
        case 2: CHECK("ember_optimizer_step", ember_optimizer_step(o)); break;
        case 3: CHECK("ember_optimizer_zero_grad", ember_optimizer_zero_grad(o)); break;
        case 4: CHECK("ember_optimizer_step_closure", ember_optimizer_step_closure(o, closure, NULL, &loss)); break;
        default: {
            char name[64];
            ember_tensor *value = NULL;
            CHECK("ember_optimizer_state_at", ember_optimizer_state_at(o, small_int(in), name, sizeof name, &value), value);
            put_tensor(in, value);
            break;
        }
        }
        break;
    }
    case 54: {
        const ember_tensor *list[2];
        double total = 0;
        list[0] = tensor_arg(in); list[1] = tensor_arg(in);
        if (u8(in) & 1) CHECK("ember_clip_grad_norm_", ember_clip_grad_norm_(list, u8(in) % 3, number(in), number(in), u8(in) & 1, &total));
        else CHECK("ember_clip_grad_value_", ember_clip_grad_value_(list, u8(in) % 3, number(in)));
        break;
    }
    /* ---- schedulers ---- */
    case 55: {
        ember_scheduler *sc = NULL;
        ember_optimizer *o = optimizer_arg(in);
        char args_buf[64];
        switch (u8(in) % 4) {
        case 0: {
            const char *type = string(in, scheduler_types, COUNT(scheduler_types), buf);
            CHECK("ember_scheduler_new", ember_scheduler_new(o, type, string(in, scheduler_args, COUNT(scheduler_args), args_buf), &sc), sc);
            break;
        }
        case 1: CHECK("ember_steplr_new", ember_steplr_new(o, small_int(in), number(in), &sc), sc); break;
        case 2: CHECK("ember_lambdalr_new", ember_lambdalr_new(o, lr_lambda, (void *)(intptr_t)(u8(in) & 1), NULL, &sc), sc); break;
        default: CHECK("ember_onecyclelr_new", ember_onecyclelr_new(o, number(in), small_int(in), &sc), sc); break;
        }
        put_scheduler(in, sc);
        break;
    }
    case 56: {
        ember_scheduler *sc = scheduler_arg(in);
        double lrs[4], v = 0;
        int64_t count = 0;
        switch (u8(in) % 4) {
        case 0: CHECK("ember_scheduler_step", ember_scheduler_step(sc)); break;
        case 1: CHECK("ember_scheduler_step_metric", ember_scheduler_step_metric(sc, number(in))); break;
        case 2: CHECK("ember_scheduler_get_last_lr", ember_scheduler_get_last_lr(sc, lrs, u8(in) % 5, &count)); break;
        default: CHECK("ember_scheduler_set", ember_scheduler_set(sc, u8(in) & 1 ? "gamma" : "step_size", number(in))); (void)v; break;
        }
        break;
    }
    case 57: {
        ember_scheduler *list[2], *sc = NULL;
        int64_t milestones[1] = {small_int(in)};
        list[0] = scheduler_arg(in); list[1] = scheduler_arg(in);
        if (u8(in) & 1) CHECK("ember_chainedscheduler_new", ember_chainedscheduler_new(list, 2, &sc), sc);
        else CHECK("ember_sequentiallr_new", ember_sequentiallr_new(optimizer_arg(in), list, 2, milestones, 1, &sc), sc);
        put_scheduler(in, sc);
        break;
    }
    /* ---- data ---- */
    case 58: {
        int slot = u8(in) % NL;
        ember_dataloader *l = NULL;
        ember_tensor *x = tensor_arg(in), *y = tensor_arg(in);
        CHECK("ember_dataloader_new", ember_dataloader_new(x, y, small_int(in), u8(in) & 1, &l), l);
        if (l) { ember_dataloader_free(loaders[slot]); loaders[slot] = l; }
        break;
    }
    case 59: {
        ember_dataloader *l = loaders[u8(in) % NL];
        if (u8(in) & 1) {
            CHECK("ember_dataloader_next", ember_dataloader_next(l, &out, &out2), out, out2);
            put_tensor(in, out);
            put_tensor(in, out2);
        } else {
            CHECK("ember_dataloader_set", ember_dataloader_set(l, u8(in) & 1 ? "drop_last" : string(in, NULL, 0, buf), number(in)));
        }
        break;
    }
    /* ---- frees and misuse ---- */
    case 60: {
        uint8_t which = u8(in);
        int slot = u8(in);
        switch (which % 5) {
        case 0: drop_tensor(tensors[slot % NT]); tensors[slot % NT] = NULL; break;
        case 1: drop_module(modules[slot % NM]); modules[slot % NM] = NULL; break;
        case 2: ember_optimizer_free(optimizers[slot % NO]); optimizers[slot % NO] = NULL; break;
        case 3: ember_scheduler_free(schedulers[slot % NS]); schedulers[slot % NS] = NULL; break;
        default: ember_tensor_free(dead_tensor); ember_module_free((ember_module *)(void *)tensors[slot % NT]); break;
        }
        break;
    }
    case 61: { /* a module freed while still referenced by the pool (for misuse later) */
        int slot = u8(in) % NM;
        if (modules[slot]) {
            drop_module(modules[slot]);
            dead_module = modules[slot];
            modules[slot] = NULL;
        }
        break;
    }
    case 62: {
        double g = 0;
        CHECK("ember_calculate_gain", ember_calculate_gain(string(in, NULL, 0, buf), NULL, &g));
        CHECK("ember_init_kaiming_uniform_", ember_init_kaiming_uniform_(tensor_arg(in), number(in), "fan_in", string(in, NULL, 0, buf)));
        break;
    }
    default:
        ember_manual_seed((uint64_t)u8(in));
        break;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    ember_set_num_threads(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input in;
    int steps = 0;
    in.p = data;
    in.n = size;
    ember_manual_seed(0);
    ember_set_grad_enabled(true);
    ember_set_detect_anomaly(false);
    hook_calls = 0;
    while (in.n > 0 && steps++ < 200) step(&in);
    reset();
    ember_set_grad_enabled(true);
    ember_set_detect_anomaly(false);
    return 0;
}
