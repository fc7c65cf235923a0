/* Checks shared by the distributed tests: each rank counts its own failures,
   prefixed with its rank; main ends with dist_test_done. Plain C99. */
#ifndef EMBER_DIST_TEST_H
#define EMBER_DIST_TEST_H

#include <ember_dist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static int my_rank = -1;

#define EXPECT(cond) do { if (!(cond)) { \
    fprintf(stderr, "[rank %d] %s:%d: expected %s (last error: %s)\n", my_rank, __FILE__, __LINE__, #cond, \
            ember_last_error()); \
    failures++; } } while (0)
#define OK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "[rank %d] %s:%d: %s -> %s: %s\n", my_rank, __FILE__, __LINE__, #call, ember_status_name(s_), \
            ember_last_error()); \
    exit(1); } } while (0)
#define FAILS(call, status, fragment) do { ember_status s_ = (call); \
    if (s_ != (status) || strstr(ember_last_error(), (fragment)) == NULL) { \
        fprintf(stderr, "[rank %d] %s:%d: %s -> %s \"%s\", expected %s with \"%s\"\n", my_rank, __FILE__, __LINE__, \
                #call, ember_status_name(s_), ember_last_error(), #status, fragment); \
        failures++; } } while (0)

/* Every rank's failure count summed, so that all ranks agree on the verdict. */
static inline int dist_test_done(ember_dist_group *g, const char *name) {
    const int64_t one[] = {1};
    int64_t mine = failures;
    ember_tensor *t;
    OK(ember_tensor_from_data(&mine, EMBER_INT64, one, 1, &t));
    OK(ember_dist_all_reduce(g, t, EMBER_DIST_SUM));
    int64_t total;
    OK(ember_tensor_item_int64(t, &total));
    ember_tensor_free(t);
    if (my_rank == 0) {
        if (total == 0) printf("%s: all checks passed on %lld ranks\n", name, (long long)ember_dist_world_size(g));
        else printf("%s: %lld failures\n", name, (long long)total);
    }
    ember_dist_group_free(g);
    return total == 0 ? 0 : 1;
}

#endif
