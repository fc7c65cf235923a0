/* The misuse suite's runner: each case runs in a forked child, with an
   address-space limit (so an absurd allocation that the library does not
   refuse fails instead of swapping) and a time limit. The suite fails if a
   child is killed by a signal (a crash, an abort, a trap, the time limit) or
   exits with anything but 0 (a check failed; it printed why).

   A case marked as showing a known library bug (KNOWN BUG in its source)
   that fails, even by a crash, is reported as XFAIL and does not fail the
   suite; one that passes is an XPASS, which fails it (the bug is fixed:
   remove the mark).

   Usage: misuse [-v] [-l] [-s] [-j JOBS] [FILTER...]
     FILTER  run only the cases whose name contains one of these strings
     -l      list the cases instead of running them
     -v      print every case as it passes
     -s      strict: a known bug fails the suite too
     -j      children run at once (default 2) */
#define _POSIX_C_SOURCE 200809L
#include "misuse.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Under a sanitizer, which reserves terabytes of shadow memory, there is no
   address-space limit: ASAN_OPTIONS=max_allocation_size_mb=... bounds the
   allocations instead (see mk/hardening.mk). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define MISUSE_SANITIZED 1
#endif
#endif
#ifndef MISUSE_SANITIZED
#define MISUSE_SANITIZED 0
#endif

char misuse_sentinel_byte;
misuse_pool pool;
int misuse_destroyed;
static const char *current_case = "";
static char stray_object[16];

/* ---- Checks ------------------------------------------------------------- */

int misuse_fail(const char *file, int line, const char *format, ...) {
    va_list ap;
    fprintf(stderr, "  %s: %s:%d: ", current_case, file, line);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static const char *function_of(const char *call, char *buf, size_t size) {
    size_t n = 0;
    while (call[n] && call[n] != '(' && call[n] != ' ' && n + 1 < size) { buf[n] = call[n]; n++; }
    buf[n] = 0;
    return buf;
}

int misuse_check_message(const char *function, const char *fragment, const char *file, int line) {
    const char *message = ember_last_error();
    size_t n = strlen(function);
    if (strncmp(message, function, n) != 0 || strncmp(message + n, ": ", 2) != 0) {
        misuse_fail(file, line, "the message \"%s\" does not start with \"%s: \"", message, function);
        return 0;
    }
    if (fragment && !strstr(message, fragment)) {
        misuse_fail(file, line, "the message \"%s\" does not contain \"%s\"", message, fragment);
        return 0;
    }
    return 1;
}

int misuse_check(const char *call, ember_status got, ember_status want, const char *fragment, const char *file, int line) {
    char function[128];
    function_of(call, function, sizeof function);
    if (got != want) {
        misuse_fail(file, line, "%s -> %s, expected %s (message: \"%s\")", call, ember_status_name(got), ember_status_name(want),
                    got == EMBER_OK ? "" : ember_last_error());
        return 0;
    }
    if (want == EMBER_OK) return 1;
    return misuse_check_message(function, fragment, file, line);
}

void misuse_mark(void) { ember_set_last_error("misuse: marker"); }

int misuse_expect_marker(const char *function) {
    if (strcmp(ember_last_error(), "misuse: marker") != 0)
        return misuse_fail(__FILE__, __LINE__, "%s(NULL) changed the last error to \"%s\"; a NULL handle is a no-op", function,
                           ember_last_error()), 0;
    return 1;
}

/* ---- Things to misuse ---------------------------------------------------- */

static void setup_failed(const char *what) {
    fprintf(stderr, "  %s: setup failed: %s: %s\n", current_case, what, ember_last_error());
    fflush(NULL);
    _exit(3);
}

ember_tensor *misuse_tensor(ember_dtype dtype, const double *values, const int64_t *shape, int64_t ndim) {
    int64_t n = 1, i;
    ember_tensor *t = NULL, *d = NULL;
    double *data;
    for (i = 0; i < ndim; i++) n *= shape[i];
    data = calloc((size_t)(n > 0 ? n : 1), sizeof *data);
    if (!data) setup_failed("calloc");
    if (values) for (i = 0; i < n; i++) data[i] = values[i];
    if (ember_tensor_from_data(data, EMBER_FLOAT64, shape, ndim, &d) != EMBER_OK) setup_failed("ember_tensor_from_data");
    if (ember_to_dtype(d, dtype, &t) != EMBER_OK) setup_failed("ember_to_dtype");
    ember_tensor_free(d);
    free(data);
    return t;
}

ember_tensor *misuse_scalar(ember_dtype dtype, double value) { return misuse_tensor(dtype, &value, NULL, 0); }

ember_module *misuse_linear(int64_t in, int64_t out) {
    ember_module *m = NULL;
    if (ember_linear_new(in, out, true, &m) != EMBER_OK) setup_failed("ember_linear_new");
    return m;
}

ember_module *misuse_seed_network(void) {
    ember_module *seq = NULL, *a = misuse_linear(10, 5), *r = NULL, *b = misuse_linear(5, 2);
    if (ember_sequential_new(&seq) != EMBER_OK || ember_relu_new(&r) != EMBER_OK || ember_sequential_append(seq, a) != EMBER_OK ||
        ember_sequential_append(seq, r) != EMBER_OK || ember_sequential_append(seq, b) != EMBER_OK)
        setup_failed("the seed network");
    ember_module_free(a); ember_module_free(r); ember_module_free(b);
    return seq;
}

ember_status misuse_hook_ok(const ember_tensor *grad, void *user_data, ember_tensor **replacement) {
    (void)grad; (void)user_data; (void)replacement;
    return EMBER_OK;
}

ember_status misuse_forward_identity(const ember_tensor *const *inputs, int64_t count, void *user_data, ember_tensor **output) {
    (void)user_data;
    if (count < 1) { ember_set_last_error("misuse_forward_identity: no input"); return EMBER_ERR_INVALID_ARGUMENT; }
    return ember_clone(inputs[0], output);
}

ember_status misuse_backward_identity(const ember_tensor *grad_output, const ember_tensor *const *inputs, int64_t count,
                                      void *user_data, ember_tensor **grad_inputs) {
    (void)inputs; (void)count; (void)user_data;
    return ember_clone(grad_output, &grad_inputs[0]);
}

ember_status misuse_module_forward_identity(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                            ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)self; (void)user_data;
    if (n_inputs < 1 || capacity < 1) { ember_set_last_error("identity: needs one input"); return EMBER_ERR_INVALID_ARGUMENT; }
    *n_outputs = 1;
    return ember_clone(inputs[0], &outputs[0]);
}

ember_status misuse_closure_ok(void *user_data, double *loss) {
    (void)user_data;
    *loss = 1;
    return EMBER_OK;
}

ember_status misuse_lambda_one(int64_t epoch, int64_t group, void *user_data, double *factor) {
    (void)epoch; (void)group; (void)user_data;
    *factor = 1;
    return EMBER_OK;
}

void misuse_destroy(void *user_data) {
    (void)user_data;
    misuse_destroyed++;
}

void misuse_make_pool(void) {
    ember_tensor *x, *y, *dead_tensor;
    ember_module *dead_module;
    ember_optimizer *dead_optimizer;
    ember_dataloader *dead_loader;
    ember_function *dead_function;
    ember_scheduler *dead_scheduler;
#ifdef EMBER_IO_H
    ember_state_dict *dead_state_dict;
#endif
    memset(&pool, 0, sizeof pool);
    pool.tensor = T_F32(VALUES(1, 2, 3, 4), SHAPE(2, 2));
    pool.tensor2 = T_F32(VALUES(5, 6, 7, 8), SHAPE(2, 2));
    pool.module = misuse_linear(2, 2);
    if (ember_sgd_new(pool.module, 0.1, &pool.optimizer) != EMBER_OK) setup_failed("ember_sgd_new");
    x = T_F32(NULL, SHAPE(4, 2));
    y = T_I64(VALUES(0, 1, 0, 1), SHAPE(4));
    if (ember_dataloader_new(x, y, 2, false, &pool.dataloader) != EMBER_OK) setup_failed("ember_dataloader_new");
    if (ember_function_new("Identity", misuse_forward_identity, misuse_backward_identity, NULL, NULL, &pool.function) != EMBER_OK)
        setup_failed("ember_function_new");
    if (ember_steplr_new(pool.optimizer, 1, 0.5, &pool.scheduler) != EMBER_OK) setup_failed("ember_steplr_new");
    if (ember_exponentiallr_new(pool.optimizer, 0.9, &pool.scheduler2) != EMBER_OK) setup_failed("ember_exponentiallr_new");
    ember_tensor_free(x);
    ember_tensor_free(y);
#ifdef EMBER_IO_H
    if (ember_state_dict_new(&pool.state_dict) != EMBER_OK || ember_state_dict_set(pool.state_dict, "w", pool.tensor) != EMBER_OK)
        setup_failed("the state dict");
#endif

    /* One freed handle of each kind, made last so that no later handle reuses their slots. */
    dead_tensor = T_F32(NULL, SHAPE(1));
    dead_module = misuse_linear(1, 1);
    if (ember_sgd_new(dead_module, 0.1, &dead_optimizer) != EMBER_OK) setup_failed("ember_sgd_new");
    x = T_F32(NULL, SHAPE(2));
    if (ember_dataloader_new(x, x, 1, false, &dead_loader) != EMBER_OK) setup_failed("ember_dataloader_new");
    if (ember_function_new("Dead", misuse_forward_identity, misuse_backward_identity, NULL, NULL, &dead_function) != EMBER_OK)
        setup_failed("ember_function_new");
    if (ember_steplr_new(dead_optimizer, 1, 0.5, &dead_scheduler) != EMBER_OK) setup_failed("ember_steplr_new");
    ember_tensor_free(x);
#ifdef EMBER_IO_H
    if (ember_state_dict_new(&dead_state_dict) != EMBER_OK) setup_failed("ember_state_dict_new");
    pool.freed[KIND_STATE_DICT] = dead_state_dict;
    ember_state_dict_free(dead_state_dict);
#endif
    pool.freed[KIND_TENSOR] = dead_tensor;
    pool.freed[KIND_MODULE] = dead_module;
    pool.freed[KIND_OPTIMIZER] = dead_optimizer;
    pool.freed[KIND_DATALOADER] = dead_loader;
    pool.freed[KIND_FUNCTION] = dead_function;
    pool.freed[KIND_SCHEDULER] = dead_scheduler;
    ember_scheduler_free(dead_scheduler);
    ember_function_free(dead_function);
    ember_dataloader_free(dead_loader);
    ember_optimizer_free(dead_optimizer);
    ember_module_free(dead_module);
    ember_tensor_free(dead_tensor);
}

void *misuse_valid(int kind) {
    switch (kind) {
    case KIND_TENSOR: return pool.tensor;
    case KIND_MODULE: return pool.module;
    case KIND_OPTIMIZER: return pool.optimizer;
    case KIND_DATALOADER: return pool.dataloader;
    case KIND_FUNCTION: return pool.function;
#ifdef EMBER_IO_H
    case KIND_STATE_DICT: return pool.state_dict;
#endif
    default: return pool.scheduler;
    }
}

/* Each kind is mistaken for a neighbour: a module where a tensor goes, a
   scheduler where an optimizer goes, and so on. */
int misuse_wrong_kind(int kind) {
    static const int wrong[KIND_COUNT] = {KIND_MODULE, KIND_TENSOR, KIND_SCHEDULER, KIND_TENSOR, KIND_MODULE, KIND_OPTIMIZER, KIND_TENSOR};
    return wrong[kind];
}

void *misuse_bad(int kind, int variant) {
    switch (variant) {
    case BAD_NULL: return NULL;
    case BAD_FREED: return pool.freed[kind];
    case BAD_WRONG_KIND: return misuse_valid(misuse_wrong_kind(kind));
    default: return stray_object;
    }
}

static const char *noun(int kind) {
    static const char *nouns[KIND_COUNT] = {"tensor", "module", "optimizer", "data loader", "function", "scheduler", "state dict"};
    return nouns[kind];
}

const char *misuse_handle_fragment(int kind, int variant, const char *param, int element) {
    static char buf[256];
    char subject[96];
    if (element >= 0) snprintf(subject, sizeof subject, "element %d of '%s'", element, param);
    else snprintf(subject, sizeof subject, "argument '%s'", param);
    switch (variant) {
    case BAD_NULL: snprintf(buf, sizeof buf, "%s is NULL", subject); break;
    case BAD_FREED: snprintf(buf, sizeof buf, "%s is a %s handle that has been freed", subject, noun(kind)); break;
    case BAD_WRONG_KIND:
        snprintf(buf, sizeof buf, "%s is a %s handle, not a %s handle", subject, noun(misuse_wrong_kind(kind)), noun(kind));
        break;
    default: snprintf(buf, sizeof buf, "%s is not an Ember handle", subject); break;
    }
    return buf;
}

int misuse_expect_message(const char *function, int kind, int variant, const char *param, int element) {
    return misuse_check_message(function, misuse_handle_fragment(kind, variant, param, element), __FILE__, __LINE__);
}

int misuse_expect_status(const char *function, ember_status got, int kind, int variant, const char *param, int element) {
    if (got != EMBER_ERR_INVALID_HANDLE) {
        misuse_fail(__FILE__, __LINE__, "%s with %s -> %s (\"%s\"), expected EMBER_ERR_INVALID_HANDLE", function,
                    misuse_handle_fragment(kind, variant, param, element), ember_status_name(got),
                    got == EMBER_OK ? "" : ember_last_error());
        return 0;
    }
    return misuse_expect_message(function, kind, variant, param, element);
}

int misuse_alive(int kind) {
    switch (kind) {
    case KIND_TENSOR: return ember_tensor_numel(pool.tensor) == 4;
    case KIND_MODULE: return ember_module_parameter_count(pool.module) == 2;
    case KIND_OPTIMIZER: return ember_optimizer_param_group_count(pool.optimizer) == 1;
    case KIND_DATALOADER: {
        double len = 0;
        return ember_dataloader_get(pool.dataloader, "len", &len) == EMBER_OK && len == 2;
    }
    case KIND_FUNCTION: {
        ember_tensor *out = NULL;
        const ember_tensor *in[1];
        int ok;
        in[0] = pool.tensor;
        ok = ember_function_apply(pool.function, in, 1, &out) == EMBER_OK;
        ember_tensor_free(out);
        return ok;
    }
#ifdef EMBER_IO_H
    case KIND_STATE_DICT: return ember_state_dict_count(pool.state_dict) == 1;
#endif
    default: return ember_scheduler_state_count(pool.scheduler) > 0;
    }
}

/* ---- Running ------------------------------------------------------------- */

static int matches(const char *name, int nfilters, char **filters) {
    int i;
    if (nfilters == 0) return 1;
    for (i = 0; i < nfilters; i++) if (strstr(name, filters[i])) return 1;
    return 0;
}

typedef struct { pid_t pid; size_t index; } running;

static void run_child(const misuse_case *c) {
    struct rlimit limit;
    int result;
    current_case = c->name;
    /* 4 GiB of address space (a soft limit, which a case may lift): the library
       and BLAS need far less; an allocation the library should have refused
       fails here instead of swapping. */
    if (!MISUSE_SANITIZED && getrlimit(RLIMIT_AS, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > ((rlim_t)4 << 30) ? (rlim_t)4 << 30 : limit.rlim_max;
        setrlimit(RLIMIT_AS, &limit);
    }
    alarm(60);
    ember_set_num_threads(2);
    misuse_make_pool();
    misuse_mark();
    result = c->run(c->variant);
    fflush(NULL);
    _exit(result == 0 ? 0 : 1);
}

static size_t xfails;

/* 1 if the case counts as a failure of the suite. */
static int report(const misuse_case *c, int status, int verbose, int strict, double seconds) {
    int passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const char *label = c->known_bug && !strict ? "XFAIL" : "FAIL ";
    if (passed && c->known_bug) {
        fprintf(stderr, "XPASS %s: it passes, so the known bug is fixed; remove its KNOWN BUG mark (%s)\n", c->name, c->known_bug);
        return 1;
    }
    if (passed) {
        if (verbose) printf("  ok    %s (%.0f ms)\n", c->name, seconds * 1e3);
        return 0;
    }
    if (WIFSIGNALED(status))
        fprintf(stderr, "%s %s: the child was killed by signal %d (%s)%s\n", label, c->name, WTERMSIG(status), strsignal(WTERMSIG(status)),
                WTERMSIG(status) == SIGALRM ? ": it hung" : "");
    else
        fprintf(stderr, "%s %s: exit status %d\n", label, c->name, WEXITSTATUS(status));
    if (c->known_bug) fprintf(stderr, "      known bug: %s\n", c->known_bug);
    if (c->known_bug && !strict) {
        xfails++;
        return 0;
    }
    return 1;
}

static double now(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

int main(int argc, char **argv) {
    int verbose = 0, list = 0, strict = 0, jobs = 2, nfilters = 0, failures = 0, active = 0, i;
    char **filters = calloc((size_t)argc, sizeof *filters);
    running slots[64];
    double started[64], t0 = now();
    size_t next = 0, ran = 0, generated = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) verbose = 1;
        else if (!strcmp(argv[i], "-l")) list = 1;
        else if (!strcmp(argv[i], "-s")) strict = 1;
        else if (!strcmp(argv[i], "-j") && i + 1 < argc) jobs = atoi(argv[++i]);
        else filters[nfilters++] = argv[i];
    }
    if (jobs < 1) jobs = 1;
    if (jobs > 64) jobs = 64;
    if (list) {
        for (next = 0; next < misuse_case_count; next++)
            if (matches(misuse_cases[next].name, nfilters, filters)) printf("%s\n", misuse_cases[next].name);
        free(filters);
        return 0;
    }
    fflush(NULL);
    for (;;) {
        while (active < jobs && next < misuse_case_count) {
            const misuse_case *c = &misuse_cases[next];
            pid_t pid;
            if (!matches(c->name, nfilters, filters)) { next++; continue; }
            pid = fork();
            if (pid < 0) { perror("fork"); return 2; }
            if (pid == 0) run_child(c);
            slots[active].pid = pid;
            slots[active].index = next;
            started[active] = now();
            active++;
            next++;
        }
        if (active == 0) break;
        {
            int status, k;
            pid_t pid = waitpid(-1, &status, 0);
            if (pid < 0) { perror("waitpid"); return 2; }
            for (k = 0; k < active; k++) {
                if (slots[k].pid != pid) continue;
                failures += report(&misuse_cases[slots[k].index], status, verbose, strict, now() - started[k]);
                ran++;
                if (!strncmp(misuse_cases[slots[k].index].name, "handle/", 7)) generated++;
                slots[k] = slots[active - 1];
                started[k] = started[active - 1];
                active--;
                break;
            }
        }
    }
    free(filters);
    printf("misuse: %zu cases (%zu handle cases generated from api.json, %zu hand-written) in %.1f s: ", ran, generated,
           ran - generated, now() - t0);
    if (failures) printf("%d FAILED", failures);
    else printf("all passed");
    if (xfails) printf(" (%zu known bug%s: XFAIL)", xfails, xfails == 1 ? "" : "s");
    printf("\n");
    return failures ? 1 : 0;
}
