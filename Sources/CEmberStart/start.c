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
 * blas_thread_shutdown_ is not in OpenBLAS's header (and not in its serial
 * or OpenMP builds): it is looked up by name in the very library that
 * provides openblas_set_num_threads to libember, found with dladdr, so that
 * it is found also when the host loaded libember with RTLD_LOCAL (as
 * Python's ctypes does). Without it nothing is done.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include "ember_start.h"

extern void openblas_set_num_threads(int);

static int ran;

__attribute__((constructor)) static void quiet_blas_threads(void) {
    openblas_set_num_threads(1);
    Dl_info info;
    if (dladdr((void *)openblas_set_num_threads, &info) && info.dli_fname) {
        void *blas = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
        if (blas) {
            int (*shutdown)(void);
            *(void **)(&shutdown) = dlsym(blas, "blas_thread_shutdown_");
            if (shutdown) shutdown();
            dlclose(blas);
        }
    }
    ran = 1;
}

/* Not part of the C API (the export list keeps it local). */
int quiet_blas_threads_ran(void) { return ran; }
