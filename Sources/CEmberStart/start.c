/*
 * Runs when libember loads (and in the Swift test binaries).
 *
 * OpenBLAS's pthreads build starts a pool of threads as soon as it is loaded,
 * one per core, and each polls for work with sched_yield for about 2^28
 * cycles (a tenth of a second or more) before it sleeps. Ember never hands
 * OpenBLAS more than one thread (it splits products across its own workers,
 * see BLASSetup), so that polling only competes with Ember's threads for the
 * cores: on a two-core machine it slowed the first tenth of a second of every
 * program by a third. The pool is stopped here, at load; OpenBLAS starts it
 * again by itself if the host program later asks it for more threads.
 *
 * Looked up by name, so that a BLAS without these entry points (OpenBLAS's
 * serial or OpenMP builds) is left alone.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include "ember_start.h"

static int ran;

__attribute__((constructor)) static void quiet_blas_threads(void) {
    void *set = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    void *shutdown = dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (set) ((void (*)(int))set)(1);
    if (shutdown) ((int (*)(void))shutdown)();
    ran = 1;
}

/* Not part of the C API (the export list keeps it local). */
int quiet_blas_threads_ran(void) { return ran; }
