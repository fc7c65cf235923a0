/* The checks shared by the C tests (test_api.c, test_io.c): EXPECT counts a
   failure and goes on, OK stops the test when a call fails, FAILS expects a
   status and a fragment of the last error message. main reports `failures`.
   Plain C99. */
#ifndef EMBER_TESTS_C_CHECK_H
#define EMBER_TESTS_C_CHECK_H

#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define EXPECT(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: expected %s (last error: %s)\n", __FILE__, __LINE__, #cond, ember_last_error()); \
    failures++; } } while (0)
#define OK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call, ember_status_name(s_), ember_last_error()); \
    exit(1); } } while (0)
#define FAILS(call, status, fragment) do { ember_status s_ = (call); \
    if (s_ != (status) || strstr(ember_last_error(), (fragment)) == NULL) { \
        fprintf(stderr, "%s:%d: %s -> %s \"%s\", expected %s with \"%s\"\n", __FILE__, __LINE__, #call, \
                ember_status_name(s_), ember_last_error(), #status, fragment); \
        failures++; } } while (0)

#endif
