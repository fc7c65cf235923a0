/* Misuse of ember/base.h: statuses and dtypes out of range, absurd thread
   counts, extreme seeds, NULL and huge last-error messages. */
#define _POSIX_C_SOURCE 200809L
#include "misuse.h"

#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CASE(status_name_out_of_range) {
    EXPECT(!strcmp(ember_status_name((ember_status)99), "unknown status"));
    EXPECT(!strcmp(ember_status_name((ember_status)-1), "unknown status"));
    EXPECT(!strcmp(ember_status_name((ember_status)0x7fffffff), "unknown status"));
    EXPECT(!strcmp(ember_status_name(EMBER_ERR_INTERNAL), "EMBER_ERR_INTERNAL"));
    return 0;
}

CASE(dtype_name_out_of_range) {
    EXPECT(!strcmp(ember_dtype_name((ember_dtype)4), "invalid"));
    EXPECT(!strcmp(ember_dtype_name(EMBER_DTYPE_INVALID), "invalid"));
    EXPECT(!strcmp(ember_dtype_name((ember_dtype)0x7fffffff), "invalid"));
    EXPECT(!strcmp(ember_dtype_name(EMBER_BOOL), "bool"));
    return 0;
}

CASE(num_threads_below_one_counts_as_one) {
    ember_set_num_threads(0);
    EXPECT(ember_get_num_threads() == 1);
    ember_set_num_threads(-5);
    EXPECT(ember_get_num_threads() == 1);
    ember_set_num_threads(INT64_MIN);
    EXPECT(ember_get_num_threads() == 1);
    return 0;
}

/* An absurd thread count must not try to start that many threads: a large
   elementwise op, a reduction and a BLAS product still run and give the right
   numbers. (OpenBLAS reserves address space per thread: the runner's 4 GiB
   limit is lifted here.) */
CASE(num_threads_absurd) {
    ember_tensor *x, *y = NULL, *s = NULL, *m = NULL;
    double total = 0;
    const int64_t n[] = {1 << 20};
    struct rlimit limit;
    if (getrlimit(RLIMIT_AS, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_AS, &limit);
    }
    ember_set_num_threads(INT64_MAX);
    EXPECT(ember_get_num_threads() >= 1 && ember_get_num_threads() <= 1024);
    OK(ember_tensor_ones(n, 1, EMBER_FLOAT32, &x));
    OK(ember_mul_scalar(x, 2, &y));
    OK(ember_sum(y, &s));
    OK(ember_tensor_item(s, &total));
    EXPECT(total == 2.0 * (1 << 20));
    ember_set_num_threads(1 << 20);
    OK(ember_add(x, y, &s));
    OK(ember_tensor_ones(SHAPE(256, 256), EMBER_FLOAT32, &x));
    OK(ember_matmul(x, x, &m));
    OK(ember_sum(m, &s));
    OK(ember_tensor_item(s, &total));
    EXPECT(total == 256.0 * 256 * 256);
    return 0;
}

CASE(seed_extremes_are_deterministic) {
    ember_tensor *a, *b;
    float av[8], bv[8];
    ember_manual_seed(UINT64_MAX);
    OK(ember_tensor_rand(SHAPE(8), EMBER_FLOAT32, &a));
    ember_manual_seed(UINT64_MAX);
    OK(ember_tensor_rand(SHAPE(8), EMBER_FLOAT32, &b));
    OK(ember_tensor_copy_to(a, av, sizeof av));
    OK(ember_tensor_copy_to(b, bv, sizeof bv));
    EXPECT(memcmp(av, bv, sizeof av) == 0);
    EXPECT(av[0] >= 0 && av[0] < 1);
    return 0;
}

CASE(set_last_error_null_and_huge) {
    size_t n = (size_t)1 << 20;
    char *big = malloc(n + 1);
    EXPECT(big != NULL);
    memset(big, 'e', n);
    big[n] = 0;
    ember_set_last_error(NULL);
    EXPECT(!strcmp(ember_last_error(), ""));
    ember_set_last_error(big);
    big[0] = 'X';                                        /* the library keeps a copy */
    EXPECT(strlen(ember_last_error()) == n && ember_last_error()[0] == 'e');
    free(big);
    ember_set_last_error("short");
    EXPECT(!strcmp(ember_last_error(), "short"));
    return 0;
}

/* A successful call leaves the last error alone; a failing one replaces it. */
CASE(last_error_survives_success) {
    ember_tensor *out;
    ember_set_last_error("before");
    OK(ember_tensor_zeros(SHAPE(2), EMBER_FLOAT32, &out));
    EXPECT(!strcmp(ember_last_error(), "before"));
    FAILS_OUT(out, ember_tensor_zeros(SHAPE(-2), EMBER_FLOAT32, &out), EMBER_ERR_INVALID_ARGUMENT, "negative size -2");
    return 0;
}

CASE(grad_mode_toggle_returns_previous) {
    EXPECT(ember_is_grad_enabled());
    EXPECT(ember_set_grad_enabled(false) == true);
    EXPECT(ember_set_grad_enabled(false) == false);
    EXPECT(!ember_is_grad_enabled());
    EXPECT(ember_set_grad_enabled(true) == false);
    EXPECT(ember_is_grad_enabled());
    return 0;
}

CASE(version_is_static) {
    const char *v = ember_version();
    char expected[64];
    sprintf(expected, "%d.%d.%d", EMBER_VERSION_MAJOR, EMBER_VERSION_MINOR, EMBER_VERSION_PATCH);
    EXPECT(v != NULL && v == ember_version());
    EXPECT(!strcmp(v, expected));
    return 0;
}
