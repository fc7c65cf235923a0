/* Threads: what the header documents as thread-safe, exercised from several
   threads at once (run by `make stress` in plain builds and by `make tsan`
   under ThreadSanitizer).

   1. Independent training: THREADS copies of the seed network (10-5-2, SGD
      with momentum, cross-entropy, a data loader), each with its own data,
      trained at once on THREADS threads. Every loss of every step must equal,
      bit for bit, the loss of the same training run alone on one thread:
      calls on different objects do not interfere.
   2. The global generator is locked: THREADS threads drawing rand tensors at
      once draw exactly the numbers one thread draws after the same seed (the
      same multiset: no draw lost, none repeated); manual_seed racing draws
      does not crash.
   3. Grad mode and the last error are per thread: each thread sets its own
      and finds it unchanged while the others change theirs.
   4. Handles: tensors created and freed from many threads at once, freed on
      another thread than the one that made them, stale handles reported on
      every thread; modules and optimizers too.
   5. The worker pool: THREADS threads run kernels big enough to be split
      over the pool (ember_set_num_threads(2)) at once -- elementwise,
      reductions, matmul and their backward -- and get, bit for bit, the
      results of the same calls made alone.

   Usage: stress [ROUNDS]   (ROUNDS scales parts 2-4; default 1) */
#define _POSIX_C_SOURCE 200809L
#include <ember.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define SAMPLES 256
#define EPOCHS 40
#define BATCH 16
#define STEPS (EPOCHS * (SAMPLES / BATCH))

static int failures = 0;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int rounds = 1;

static void failed(const char *file, int line, const char *what) {
    pthread_mutex_lock(&report_lock);
    fprintf(stderr, "%s:%d: %s (last error on this thread: %s)\n", file, line, what, ember_last_error());
    failures++;
    pthread_mutex_unlock(&report_lock);
}

#define EXPECT(cond) do { if (!(cond)) failed(__FILE__, __LINE__, "expected " #cond); } while (0)
#define OK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { failed(__FILE__, __LINE__, #call); return NULL; } } while (0)
#define OK_MAIN(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { failed(__FILE__, __LINE__, #call); exit(1); } } while (0)

static void run_threads(void *(*fn)(void *), void **args, int n) {
    pthread_t threads[64];
    int i;
    for (i = 0; i < n; i++)
        if (pthread_create(&threads[i], NULL, fn, args[i]) != 0) { perror("pthread_create"); exit(1); }
    for (i = 0; i < n; i++) pthread_join(threads[i], NULL);
}

/* ---- 1. Independent training -------------------------------------------------- */

static pthread_barrier_t start_line;
static int use_start_line;

typedef struct {
    ember_module *model;
    ember_tensor *x, *y;
    double losses[STEPS];
    double accuracy;
} job;

static ember_module *seed_network(void) {
    ember_module *seq = NULL, *a = NULL, *r = NULL, *b = NULL;
    if (ember_sequential_new(&seq) || ember_linear_new(10, 5, true, &a) || ember_relu_new(&r) || ember_linear_new(5, 2, true, &b) ||
        ember_sequential_append(seq, a) || ember_sequential_append(seq, r) || ember_sequential_append(seq, b)) {
        failed(__FILE__, __LINE__, "the seed network");
        exit(1);
    }
    ember_module_free(a); ember_module_free(r); ember_module_free(b);
    return seq;
}

/* The model and data of job i, the same every time it is made. */
static void make_job(job *j, int i) {
    const int64_t xs[] = {SAMPLES, 10}, ys[] = {SAMPLES};
    memset(j, 0, sizeof *j);
    ember_manual_seed(1000 + (uint64_t)i);
    j->model = seed_network();
    OK_MAIN(ember_tensor_randn(xs, 2, EMBER_FLOAT32, &j->x));
    OK_MAIN(ember_tensor_randint(0, 2, ys, 1, &j->y));
}

static void *train(void *arg) {
    job *j = arg;
    ember_optimizer *opt = NULL;
    ember_dataloader *loader = NULL;
    ember_tensor *out = NULL, *pred = NULL, *eq = NULL, *correct = NULL;
    int step = 0, e;
    double hits = 0;
    OK(ember_sgd_new(j->model, 0.05, &opt));
    OK(ember_optimizer_set(opt, "momentum", 0.9));
    OK(ember_dataloader_new(j->x, j->y, BATCH, false, &loader));
    if (use_start_line) pthread_barrier_wait(&start_line);   /* all start at once */
    for (e = 0; e < EPOCHS; e++) {
        for (;;) {
            ember_tensor *bx = NULL, *by = NULL, *logits = NULL, *loss = NULL;
            OK(ember_dataloader_next(loader, &bx, &by));
            if (!bx) break;
            OK(ember_module_forward(j->model, bx, &logits));
            OK(ember_cross_entropy(logits, by, &loss));
            OK(ember_tensor_backward(loss, NULL));
            OK(ember_optimizer_step(opt));
            OK(ember_optimizer_zero_grad(opt));
            if (step < STEPS) OK(ember_tensor_item(loss, &j->losses[step]));
            step++;
            ember_tensor_free(bx); ember_tensor_free(by); ember_tensor_free(logits); ember_tensor_free(loss);
        }
    }
    EXPECT(step == STEPS);
    /* Evaluation with grad mode off on this thread only. */
    EXPECT(ember_set_grad_enabled(false));
    OK(ember_module_forward(j->model, j->x, &out));
    EXPECT(!ember_tensor_requires_grad(out));
    OK(ember_argmax_dim(out, 1, false, &pred));
    OK(ember_eq(pred, j->y, &eq));
    OK(ember_to_dtype(eq, EMBER_FLOAT32, &correct));
    ember_tensor_free(eq);
    OK(ember_sum(correct, &eq));
    OK(ember_tensor_item(eq, &hits));
    j->accuracy = hits / SAMPLES;
    ember_set_grad_enabled(true);
    ember_tensor_free(out); ember_tensor_free(pred); ember_tensor_free(eq); ember_tensor_free(correct);
    ember_dataloader_free(loader);
    ember_optimizer_free(opt);
    return NULL;
}

static void free_job(job *j) {
    ember_module_free(j->model);
    ember_tensor_free(j->x);
    ember_tensor_free(j->y);
}

static void test_independent_training(void) {
    static job alone[THREADS], together[THREADS];
    void *args[THREADS];
    int i, k;
    for (i = 0; i < THREADS; i++) {
        make_job(&alone[i], i);
        train(&alone[i]);                                    /* one at a time: the reference */
    }
    for (i = 0; i < THREADS; i++) {
        make_job(&together[i], i);
        args[i] = &together[i];
    }
    pthread_barrier_init(&start_line, NULL, THREADS);
    use_start_line = 1;
    run_threads(train, args, THREADS);
    use_start_line = 0;
    pthread_barrier_destroy(&start_line);
    for (i = 0; i < THREADS; i++) {
        for (k = 0; k < STEPS; k++)
            if (memcmp(&alone[i].losses[k], &together[i].losses[k], sizeof(double)) != 0) {
                char what[160];
                snprintf(what, sizeof what, "job %d step %d: loss %.9g alone but %.9g on threads", i, k, alone[i].losses[k],
                         together[i].losses[k]);
                failed(__FILE__, __LINE__, what);
                break;
            }
        EXPECT(together[i].losses[STEPS - 1] < together[i].losses[0]);   /* it learned something */
        EXPECT(alone[i].accuracy == together[i].accuracy);
        free_job(&alone[i]);
        free_job(&together[i]);
    }
    printf("stress: %d seed networks trained at once, %d steps each: every loss equals the single-thread run's\n", THREADS, STEPS);
}

/* ---- 2. The global generator --------------------------------------------------- */

#define DRAWS 200
#define DRAW_SIZE 37

typedef struct { float values[DRAWS * DRAW_SIZE]; int count; } draws;

static void *draw(void *arg) {
    draws *d = arg;
    const int64_t n[] = {DRAW_SIZE};
    int i;
    for (i = 0; i < d->count; i++) {
        ember_tensor *t = NULL;
        OK(ember_tensor_rand(n, 1, EMBER_FLOAT32, &t));
        OK(ember_tensor_copy_to(t, &d->values[i * DRAW_SIZE], DRAW_SIZE * sizeof(float)));
        ember_tensor_free(t);
    }
    return NULL;
}

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static void *reseed(void *arg) {
    int i;
    (void)arg;
    for (i = 0; i < DRAWS; i++) ember_manual_seed((uint64_t)i);
    return NULL;
}

static void test_generator(void) {
    static draws serial, parallel[THREADS];
    static float all[THREADS * DRAWS * DRAW_SIZE];
    void *args[THREADS + 1];
    int i, per = DRAWS / THREADS;
    ember_manual_seed(7);
    serial.count = per * THREADS;
    draw(&serial);
    ember_manual_seed(7);
    for (i = 0; i < THREADS; i++) {
        parallel[i].count = per;
        args[i] = &parallel[i];
    }
    run_threads(draw, args, THREADS);
    for (i = 0; i < THREADS; i++) memcpy(&all[i * per * DRAW_SIZE], parallel[i].values, (size_t)per * DRAW_SIZE * sizeof(float));
    qsort(serial.values, (size_t)per * THREADS * DRAW_SIZE, sizeof(float), compare_floats);
    qsort(all, (size_t)per * THREADS * DRAW_SIZE, sizeof(float), compare_floats);
    EXPECT(memcmp(serial.values, all, (size_t)per * THREADS * DRAW_SIZE * sizeof(float)) == 0);
    /* Seeding while others draw: no crash, numbers in [0, 1). */
    for (i = 0; i < THREADS; i++) args[i] = &parallel[i];
    args[THREADS] = NULL;
    {
        pthread_t seeder;
        pthread_create(&seeder, NULL, reseed, NULL);
        run_threads(draw, args, THREADS);
        pthread_join(seeder, NULL);
    }
    for (i = 0; i < per * DRAW_SIZE; i++) EXPECT(parallel[0].values[i] >= 0 && parallel[0].values[i] < 1);
    printf("stress: %d threads drawing from the global generator drew exactly the numbers of one thread\n", THREADS);
}

/* ---- 3. Grad mode and the last error ----------------------------------------------- */

static pthread_barrier_t barrier;

static void *per_thread_state(void *arg) {
    int me = (int)(intptr_t)arg, i;
    bool mine = me % 2 == 0;
    char expected[64];
    const int64_t bad[] = {-1 - me};
    ember_tensor *x = NULL, *y = NULL, *out = NULL;
    const int64_t two[] = {2};
    OK(ember_tensor_ones(two, 1, EMBER_FLOAT32, &x));
    OK(ember_tensor_set_requires_grad(x, true));
    snprintf(expected, sizeof expected, "negative size %d", -1 - me);
    for (i = 0; i < 200 * rounds; i++) {
        ember_set_grad_enabled(mine);
        EXPECT(ember_tensor_zeros(bad, 1, EMBER_FLOAT32, &out) == EMBER_ERR_INVALID_ARGUMENT);
        if (i % 50 == 0) pthread_barrier_wait(&barrier);     /* let the others change theirs */
        EXPECT(ember_is_grad_enabled() == mine);
        EXPECT(strstr(ember_last_error(), expected) != NULL);
        OK(ember_mul(x, x, &y));
        EXPECT(ember_tensor_requires_grad(y) == mine);        /* a graph is recorded only where grad mode is on */
        ember_tensor_free(y);
    }
    ember_set_grad_enabled(true);
    ember_tensor_free(x);
    return NULL;
}

static void test_per_thread_state(void) {
    void *args[THREADS];
    int i;
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (i = 0; i < THREADS; i++) args[i] = (void *)(intptr_t)i;
    run_threads(per_thread_state, args, THREADS);
    pthread_barrier_destroy(&barrier);
    printf("stress: grad mode and the last error stayed per thread on %d threads\n", THREADS);
}

/* ---- 4. Handles from many threads ------------------------------------------------- */

#define HANDOFF 512

typedef struct { ember_tensor *made[HANDOFF]; int me; } handoff;

static void *churn(void *arg) {
    handoff *h = arg;
    const int64_t one[] = {3};
    ember_tensor *keep[8], *stale = NULL;
    int i, k;
    for (k = 0; k < 8; k++) OK(ember_tensor_full(one, 1, (double)(h->me * 10 + k), EMBER_FLOAT64, &keep[k]));
    for (i = 0; i < 2000 * rounds; i++) {
        ember_tensor *t = NULL, *r = NULL;
        OK(ember_tensor_zeros(one, 1, EMBER_FLOAT32, &t));
        OK(ember_tensor_retain(t, &r));
        ember_tensor_free(t);
        EXPECT(ember_tensor_numel(r) == 3);
        ember_tensor_free(r);
        if (i == 0) stale = r;
        EXPECT(ember_tensor_numel(stale) == -1);             /* a handle freed on this thread stays dead */
        if (i % 64 == 0) {
            ember_module *m = NULL;
            ember_optimizer *o = NULL;
            OK(ember_linear_new(3, 2, true, &m));
            OK(ember_sgd_new(m, 0.1, &o));
            ember_optimizer_free(o);
            ember_module_free(m);
            EXPECT(ember_module_parameter_count(m) == -1);
        }
    }
    for (k = 0; k < 8; k++) {                              /* the long-lived ones were never disturbed */
        double v[3];
        EXPECT(ember_tensor_copy_to(keep[k], v, sizeof v) == EMBER_OK && v[2] == h->me * 10 + k);
        ember_tensor_free(keep[k]);
    }
    /* Make handles for the next thread to free. */
    for (i = 0; i < HANDOFF; i++) OK(ember_tensor_full(one, 1, (double)i, EMBER_FLOAT32, &h->made[i]));
    return NULL;
}

static void *free_others(void *arg) {
    handoff *h = arg;
    int i;
    for (i = 0; i < HANDOFF; i++) {
        float v[3];
        EXPECT(ember_tensor_copy_to(h->made[i], v, sizeof v) == EMBER_OK && v[0] == (float)i);
        ember_tensor_free(h->made[i]);
        EXPECT(ember_tensor_numel(h->made[i]) == -1);
    }
    return NULL;
}

static void test_handles(void) {
    static handoff h[THREADS];
    void *args[THREADS];
    int i;
    for (i = 0; i < THREADS; i++) {
        h[i].me = i;
        args[i] = &h[i];
    }
    run_threads(churn, args, THREADS);
    for (i = 0; i < THREADS; i++) args[i] = &h[(i + 1) % THREADS];   /* freed by another thread */
    run_threads(free_others, args, THREADS);
    printf("stress: handles made and freed on %d threads at once (and freed on other threads) stayed consistent\n", THREADS);
}

/* ---- 5. The worker pool ---------------------------------------------------------------- */

#define POOL_N 256   /* 256 x 256 = 65,536 elements: above the parallel grain */

typedef struct { ember_tensor *x; double out[3]; } pooled;

/* exp(x).sum(), (x @ x).mean() and the sum of d/dx sum(relu(x) * x), each
   through kernels that Parallel.forEach splits over the worker pool. */
static void *pool_work(void *arg) {
    pooled *p = arg;
    int r;
    for (r = 0; r < rounds * 4; r++) {
        ember_tensor *e = NULL, *s = NULL, *m = NULL, *mm = NULL, *leaf = NULL, *a = NULL, *b = NULL, *l = NULL, *g = NULL, *gs = NULL;
        OK(ember_exp(p->x, &e));
        OK(ember_sum(e, &s));
        OK(ember_tensor_item(s, &p->out[0]));
        OK(ember_matmul(p->x, p->x, &m));
        OK(ember_mean(m, &mm));
        OK(ember_tensor_item(mm, &p->out[1]));
        OK(ember_clone(p->x, &leaf));
        OK(ember_tensor_set_requires_grad(leaf, true));
        OK(ember_relu(leaf, &a));
        OK(ember_mul(a, leaf, &b));
        OK(ember_sum(b, &l));
        OK(ember_tensor_backward(l, NULL));
        OK(ember_tensor_grad(leaf, &g));
        OK(ember_sum(g, &gs));
        OK(ember_tensor_item(gs, &p->out[2]));
        ember_tensor_free(gs); ember_tensor_free(g); ember_tensor_free(l); ember_tensor_free(b); ember_tensor_free(a);
        ember_tensor_free(leaf); ember_tensor_free(mm); ember_tensor_free(m); ember_tensor_free(s); ember_tensor_free(e);
    }
    return NULL;
}

static void test_worker_pool(void) {
    static pooled alone, together[THREADS];
    void *args[THREADS];
    const int64_t shape[] = {POOL_N, POOL_N};
    int64_t threads = ember_get_num_threads();
    int i;
    ember_set_num_threads(2);
    ember_manual_seed(11);
    OK_MAIN(ember_tensor_randn(shape, 2, EMBER_FLOAT32, &alone.x));
    pool_work(&alone);
    for (i = 0; i < THREADS; i++) {
        OK_MAIN(ember_clone(alone.x, &together[i].x));   /* one object per thread, as the header asks */
        args[i] = &together[i];
    }
    run_threads(pool_work, args, THREADS);
    for (i = 0; i < THREADS; i++) {
        EXPECT(memcmp(together[i].out, alone.out, sizeof alone.out) == 0);
        ember_tensor_free(together[i].x);
    }
    ember_tensor_free(alone.x);
    ember_set_num_threads(threads);
    printf("stress: %d threads sharing the 2-thread worker pool computed exactly the results of one\n", THREADS);
}

int main(int argc, char **argv) {
    if (argc > 1) rounds = atoi(argv[1]) > 0 ? atoi(argv[1]) : 1;
    test_independent_training();
    test_generator();
    test_per_thread_state();
    test_handles();
    test_worker_pool();
    if (failures) {
        fprintf(stderr, "stress: %d failure(s)\n", failures);
        return 1;
    }
    printf("stress: all passed\n");
    return 0;
}
