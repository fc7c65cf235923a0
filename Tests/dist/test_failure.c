/* A rank that dies or hangs makes the others fail with EMBER_ERR_IO within
   the group's timeout instead of hanging. Run with 2 ranks by
   Tests/dist/run_failure.sh:

     test_failure die    rank 1 exits abruptly (_exit) in the middle of training;
                         rank 0's next gradient all-reduce must fail in time
     test_failure hang   rank 1 stops calling collectives (sleeps); rank 0's
                         barrier must fail in time

   Rank 0 prints "test_failure MODE: PASS ..." when it failed as it should. */
#define _POSIX_C_SOURCE 200809L
#include "dist_test.h"
#include <time.h>
#include <unistd.h>

static const double TIMEOUT = 2.0;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static ember_module *make_model(void) {
    ember_manual_seed(0);
    ember_module *model;
    OK(ember_module_new("Sequential", "", &model));
    const char *layers[][2] = {{"Linear", "32, 256"}, {"ReLU", ""}, {"Linear", "256, 10"}};
    for (int i = 0; i < 3; i++) {
        ember_module *layer;
        OK(ember_module_new(layers[i][0], layers[i][1], &layer));
        OK(ember_sequential_append(model, layer));
        ember_module_free(layer);
    }
    return model;
}

/* The call failed as it should: IO, in time, with a useful message; later calls fail at once. */
static void expect_failure(ember_dist_group *g, ember_status status, double elapsed, const char *mode) {
    char message[1024];
    snprintf(message, sizeof message, "%s", ember_last_error());
    EXPECT(status == EMBER_ERR_IO);
    EXPECT(elapsed < TIMEOUT + 2.0);
    EXPECT(strstr(message, "timed out") || strstr(message, "failed"));
    double failed;
    OK(ember_dist_group_get(g, "failed", &failed));
    EXPECT(failed == 1);
    double t0 = now();
    FAILS(ember_dist_barrier(g), EMBER_ERR_IO, "unusable after an earlier communication failure");
    EXPECT(now() - t0 < 0.5);
    if (failures == 0)
        printf("test_failure %s: PASS: rank 0 got %s after %.2f s (timeout %.1f s): %s\n", mode, ember_status_name(status),
               elapsed, TIMEOUT, message);
    else
        printf("test_failure %s: FAIL (%d): status %s after %.2f s: %s\n", mode, failures, ember_status_name(status),
               elapsed, message);
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "die";
    ember_set_num_threads(1);
    ember_dist_group *g;
    OK(ember_dist_init(&g));
    my_rank = (int)ember_dist_rank(g);
    if (ember_dist_world_size(g) != 2) { fprintf(stderr, "run with 2 ranks\n"); return 2; }
    OK(ember_dist_group_set(g, "timeout", TIMEOUT));

    if (strcmp(mode, "hang") == 0) {
        OK(ember_dist_barrier(g));
        if (my_rank == 1) {
            sleep((unsigned)TIMEOUT + 3);
            _exit(0);
        }
        double t0 = now();
        ember_status status = ember_dist_barrier(g);
        expect_failure(g, status, now() - t0, mode);
        fflush(stdout);
        _exit(failures ? 1 : 0);
    }

    ember_module *model = make_model();
    ember_ddp *ddp;
    OK(ember_ddp_new(g, model, &ddp));
    ember_optimizer *opt;
    OK(ember_sgd_new(model, 0.01, &opt));
    const int64_t xshape[] = {64, 32}, yshape[] = {64};
    ember_tensor *x, *y;
    OK(ember_tensor_randn(xshape, 2, EMBER_FLOAT32, &x));
    OK(ember_tensor_randint(0, 10, yshape, 1, &y));
    for (int step = 0; step < 10; step++) {
        if (step == 5 && my_rank == 1) {
            fprintf(stderr, "[rank 1] exiting abruptly at step %d\n", step);
            _exit(3);
        }
        ember_tensor *logits, *loss;
        OK(ember_ddp_forward(ddp, x, &logits));
        OK(ember_cross_entropy(logits, y, &loss));
        OK(ember_optimizer_zero_grad(opt));
        double t0 = now();
        ember_status status = ember_ddp_backward(ddp, loss);
        double elapsed = now() - t0;
        ember_tensor_free(logits);
        ember_tensor_free(loss);
        if (status != EMBER_OK) {
            EXPECT(step == 5);
            expect_failure(g, status, elapsed, mode);
            /* Every later call on the wrapper fails at once too. */
            FAILS(ember_ddp_finish_backward(ddp), EMBER_ERR_IO, "unusable");
            ember_ddp_free(ddp);
            ember_optimizer_free(opt);
            ember_module_free(model);
            ember_tensor_free(x);
            ember_tensor_free(y);
            ember_dist_group_free(g);   /* does not finalise MPI after a failure */
            fflush(stdout);
            _exit(failures ? 1 : 0);
        }
        OK(ember_optimizer_step(opt));
    }
    printf("test_failure %s: FAIL: rank %d trained to the end without an error\n", mode, my_rank);
    return 1;
}
