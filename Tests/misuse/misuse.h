/* The misuse suite's shared pieces: every case runs in a forked child (see
   runner.c), calls the C API with something wrong and checks the exact status,
   the message (it starts with the function's name and contains a fragment
   naming the problem) and that the out-parameters were cleared. A case
   returns 0 when everything was as expected; a crash, a hang or an abort of
   the child is a failure the runner reports.

   Hand-written cases are `CASE(name) { ... }` in Tests/misuse/cases_*.c;
   tools/gen_misuse.py finds them, generates the handle-misuse cases from
   api.json (NULL, freed, wrong-kind and stray handles for every handle
   parameter of every function) and writes the table the runner walks. */
#ifndef EMBER_MISUSE_H
#define EMBER_MISUSE_H

#include <ember.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Cases --------------------------------------------------------------- */

#define CASE(name) int misuse_##name(void)

typedef struct {
    const char *name;       /* "tensor/zeros_absurd_size", "handle/ember_add/a/freed" */
    int (*run)(int variant);
    int variant;
    const char *known_bug;  /* a library bug this case shows (a comment "KNOWN BUG: ..." before the CASE), or NULL */
} misuse_case;

extern const misuse_case misuse_cases[];
extern const size_t misuse_case_count;

/* ---- Checks ---------------------------------------------------------------- */

/* Something that is not an Ember handle nor NULL: out-parameters are preset to
   it, so a function that leaves one untouched on failure is caught. */
extern char misuse_sentinel_byte;
#define SENTINEL ((void *)&misuse_sentinel_byte)

/* Prints "file:line: what" to stderr and returns 1, so that `return FAILED(...)` fails the case. */
int misuse_fail(const char *file, int line, const char *format, ...);
#define FAILED(...) misuse_fail(__FILE__, __LINE__, __VA_ARGS__)

/* Status `got` of `call` (its source text; the function is the name before
   the first '(') must be `want`, and the last error must start with
   "<function>: " and contain `fragment` (NULL: any message). 1 if so. */
int misuse_check(const char *call, ember_status got, ember_status want, const char *fragment, const char *file, int line);

/* The last error must start with "<function>: " and contain `fragment`. */
int misuse_check_message(const char *function, const char *fragment, const char *file, int line);

/* The call fails with `status` and a message containing `fragment`. */
#define FAILS(call, status, fragment) do { \
    ember_status s_ = (call); \
    if (!misuse_check(#call, s_, status, fragment, __FILE__, __LINE__)) return 1; } while (0)

/* As FAILS, with `out` preset to SENTINEL before the call and required to be NULL after. */
#define FAILS_OUT(out, call, status, fragment) do { \
    ember_status s_; \
    (out) = SENTINEL; \
    s_ = (call); \
    if (!misuse_check(#call, s_, status, fragment, __FILE__, __LINE__)) return 1; \
    if ((out) != NULL) return FAILED("%s: out-parameter '%s' is not NULL after a failure", #call, #out); } while (0)

/* As FAILS_OUT for a call through a helper of the case: `function` is the
   Ember function whose name the message must start with. */
#define FAILS_OUT_IN(function, out, call, status, fragment) do { \
    ember_status s_; \
    (out) = SENTINEL; \
    s_ = (call); \
    if (!misuse_check(function "(" #call ")", s_, status, fragment, __FILE__, __LINE__)) return 1; \
    if ((out) != NULL) return FAILED("%s: out-parameter '%s' is not NULL after a failure", #call, #out); } while (0)

/* The call succeeds (for cases whose setup, or whose point, is a success). */
#define OK(call) do { \
    ember_status s_ = (call); \
    if (s_ != EMBER_OK) return FAILED("%s -> %s: %s", #call, ember_status_name(s_), ember_last_error()); } while (0)

#define EXPECT(cond) do { if (!(cond)) return FAILED("expected %s (last error: %s)", #cond, ember_last_error()); } while (0)

/* The last error names `function` and contains `fragment` (for queries and frees). */
#define MESSAGE(function, fragment) do { \
    if (!misuse_check_message(function, fragment, __FILE__, __LINE__)) return 1; } while (0)

/* ---- Things to misuse ---------------------------------------------------------- */

/* A shape as the two arguments `const int64_t *shape, int64_t ndim`: SHAPE(2, 3). */
#define SHAPE(...) (const int64_t[]){__VA_ARGS__}, (int64_t)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
/* Values for a new tensor: VALUES(1, 2, 3). */
#define VALUES(...) ((const double[]){__VA_ARGS__})

/* A new tensor of `dtype` with values from `values` (converted; NULL: zeros),
   or a failed case (the child exits) if that fails. T_F32(VALUES(1, 2), SHAPE(2)). */
ember_tensor *misuse_tensor(ember_dtype dtype, const double *values, const int64_t *shape, int64_t ndim);
#define T_F32(values, ...) misuse_tensor(EMBER_FLOAT32, values, __VA_ARGS__)
#define T_F64(values, ...) misuse_tensor(EMBER_FLOAT64, values, __VA_ARGS__)
#define T_I64(values, ...) misuse_tensor(EMBER_INT64, values, __VA_ARGS__)
#define T_BOOL(values, ...) misuse_tensor(EMBER_BOOL, values, __VA_ARGS__)
/* A 0-dim tensor. */
ember_tensor *misuse_scalar(ember_dtype dtype, double value);

/* Linear(in, out) and the 10-5-2 seed network; exit on failure. */
ember_module *misuse_linear(int64_t in, int64_t out);
ember_module *misuse_seed_network(void);

/* The handles every generated case draws from, made afresh in each child. */
enum { KIND_TENSOR, KIND_MODULE, KIND_OPTIMIZER, KIND_DATALOADER, KIND_FUNCTION, KIND_SCHEDULER, KIND_STATE_DICT, KIND_COUNT };
enum { BAD_NULL, BAD_FREED, BAD_WRONG_KIND, BAD_STRAY, BAD_COUNT };

typedef struct {
    ember_tensor *tensor, *tensor2;   /* float32 (2, 2) */
    ember_module *module;             /* Linear(2, 2) */
    ember_optimizer *optimizer;       /* SGD over module */
    ember_dataloader *dataloader;     /* over (4, 2) float32 and (4) int64 */
    ember_function *function;         /* a custom function (identity) */
    ember_scheduler *scheduler, *scheduler2; /* StepLR and ExponentialLR of optimizer */
#ifdef EMBER_IO_H
    ember_state_dict *state_dict;     /* holding one tensor, "w" */
#endif
    void *freed[KIND_COUNT];          /* a freed handle of each kind */
} misuse_pool;

extern misuse_pool pool;
void misuse_make_pool(void);

/* The valid pool handle of a kind, and a bad one for a variant. */
void *misuse_valid(int kind);
void *misuse_bad(int kind, int variant);
/* The kind whose handle a BAD_WRONG_KIND variant passes for `kind`. */
int misuse_wrong_kind(int kind);
/* The message fragment a bad handle gives: "argument 'x' is NULL", "element 1 of 'tensors' is a module handle, ...". */
const char *misuse_handle_fragment(int kind, int variant, const char *param, int element);
/* Whether the pool handle of `kind` still works (a wrong-kind free must not have released it). */
int misuse_alive(int kind);

/* Checks for generated cases. */
int misuse_expect_status(const char *function, ember_status got, int kind, int variant, const char *param, int element);
int misuse_expect_message(const char *function, int kind, int variant, const char *param, int element);
int misuse_expect_marker(const char *function);

/* Sets the last error to a marker, so a check can tell whether a call set it. */
void misuse_mark(void);

/* Callbacks of every type: they succeed (returning nothing), or fail. */
ember_status misuse_hook_ok(const ember_tensor *grad, void *user_data, ember_tensor **replacement);
ember_status misuse_forward_identity(const ember_tensor *const *inputs, int64_t count, void *user_data, ember_tensor **output);
ember_status misuse_backward_identity(const ember_tensor *grad_output, const ember_tensor *const *inputs, int64_t count,
                                      void *user_data, ember_tensor **grad_inputs);
ember_status misuse_module_forward_identity(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                            ember_tensor **outputs, int64_t capacity, int64_t *n_outputs);
ember_status misuse_closure_ok(void *user_data, double *loss);
ember_status misuse_lambda_one(int64_t epoch, int64_t group, void *user_data, double *factor);
/* A destroy callback that counts its calls in misuse_destroyed. */
void misuse_destroy(void *user_data);
extern int misuse_destroyed;

#endif /* EMBER_MISUSE_H */
