#ifndef EMBER_START_H
#define EMBER_START_H
/* Load-time set-up of libember (see start.c): whether it has run. */
int quiet_blas_threads_ran(void);
#endif
