/* What handle validation costs per call (`make handle-cost`; not a test).

   Every export looks its handles up in a slot table under a mutex and
   checks kind and generation. This measures, best of several runs:
   - a call with no handle (ember_get_num_threads: an atomic load), the floor;
   - ember_tensor_numel on a live handle: one lookup, and the difference from
     the floor is the validation;
   - ember_tensor_numel on a freed handle: the rejection, which formats a message;
   - the 64-float add of the per-op goal (ember_add + ember_tensor_free: two
     lookups, one insert, one remove);
   - ember_tensor_numel from 2 threads at once on different tensors, which
     contend for the one table lock.

   Usage: handle_cost [MILLIONS_OF_CALLS]   (default 5) */
#define _POSIX_C_SOURCE 200809L
#include <ember.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long calls = 5000000;
static volatile int64_t sink;

static double time_numel(ember_tensor *t, long n) {
    double t0 = now();
    long i;
    for (i = 0; i < n; i++) sink += ember_tensor_numel(t);
    return (now() - t0) / (double)n;
}

static double time_floor(long n) {
    double t0 = now();
    long i;
    for (i = 0; i < n; i++) sink += ember_get_num_threads();
    return (now() - t0) / (double)n;
}

static double time_add(ember_tensor *a, ember_tensor *b, long n) {
    double t0 = now();
    long i;
    for (i = 0; i < n; i++) {
        ember_tensor *c = NULL;
        if (ember_add(a, b, &c) != EMBER_OK) { fprintf(stderr, "ember_add: %s\n", ember_last_error()); exit(1); }
        ember_tensor_free(c);
    }
    return (now() - t0) / (double)n;
}

typedef struct { ember_tensor *t; double seconds; } job;

static void *contend(void *arg) {
    job *j = arg;
    j->seconds = time_numel(j->t, calls);
    return NULL;
}

static double best(double a, double b) { return a < b ? a : b; }

int main(int argc, char **argv) {
    const int64_t n64[] = {64};
    ember_tensor *a, *b, *dead;
    double floor_ns = 1e9, numel_ns = 1e9, dead_ns = 1e9, add_ns = 1e9, contended_ns = 1e9;
    int r;
    if (argc > 1) calls = (long)(atof(argv[1]) * 1e6);
    ember_set_num_threads(1);
    if (ember_tensor_ones(n64, 1, EMBER_FLOAT32, &a) || ember_tensor_ones(n64, 1, EMBER_FLOAT32, &b) ||
        ember_tensor_ones(n64, 1, EMBER_FLOAT32, &dead)) return 1;
    ember_tensor_free(dead);
    for (r = 0; r < 5; r++) {
        pthread_t t1, t2;
        job j1, j2;
        floor_ns = best(floor_ns, time_floor(calls) * 1e9);
        numel_ns = best(numel_ns, time_numel(a, calls) * 1e9);
        dead_ns = best(dead_ns, time_numel(dead, calls / 20) * 1e9);
        add_ns = best(add_ns, time_add(a, b, calls / 10) * 1e9);
        j1.t = a;
        j2.t = b;
        pthread_create(&t1, NULL, contend, &j1);
        pthread_create(&t2, NULL, contend, &j2);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
        contended_ns = best(contended_ns, (j1.seconds + j2.seconds) / 2 * 1e9);
    }
    printf("call with no handle (ember_get_num_threads):        %6.1f ns\n", floor_ns);
    printf("ember_tensor_numel, live handle:                    %6.1f ns  (validation: %.1f ns)\n", numel_ns, numel_ns - floor_ns);
    printf("ember_tensor_numel, freed handle (error path):      %6.1f ns\n", dead_ns);
    printf("ember_add of 64 floats + ember_tensor_free:         %6.1f ns\n", add_ns);
    printf("ember_tensor_numel, 2 threads at once (per call):   %6.1f ns\n", contended_ns);
    ember_tensor_free(a);
    ember_tensor_free(b);
    return 0;
}
