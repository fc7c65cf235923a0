/* Helpers shared by the examples: error checking, a live progress line with
   loss, rate and ETA, a CSV loss curve, and the digits data set's loader,
   model and held-out accuracy. Plain C99 (plus POSIX clocks and popen). */
#ifndef EMBER_EXAMPLES_COMMON_H
#define EMBER_EXAMPLES_COMMON_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L  /* clock_gettime, isatty, fileno, popen */
#endif

#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Stops the example with the library's message when a call fails. */
#define CHECK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s:%d: %s failed (%s): %s\n", __FILE__, __LINE__, #call, ember_status_name(s_), \
            ember_last_error()); \
    exit(1); } } while (0)

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A progress line redrawn in place on a terminal ("\r"), or printed every
   `every` steps when the output is a file or a pipe. */
typedef struct progress {
    const char *label;
    long total;
    double start;
    double last_draw;
    int tty;
} progress;

static progress progress_start(const char *label, long total) {
    progress p;
    p.label = label;
    p.total = total;
    p.start = seconds_now();
    p.last_draw = 0;
    p.tty = isatty(fileno(stdout));
    return p;
}

/* Shows step `done` of `total` with the running loss, the rate and the time left. */
static void progress_update(progress *p, long done, double loss, const char *unit) {
    double now = seconds_now(), elapsed = now - p->start;
    int last = done == p->total;
    if (p->tty) {
        if (!last && now - p->last_draw < 0.1) return;
    } else if (!last && done % (p->total / 10 > 0 ? p->total / 10 : 1) != 0) {
        return;
    }
    p->last_draw = now;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
    printf("%s%s %ld/%ld  loss %.4f  %.1f %s/s  ETA %.1fs%s", p->tty ? "\r" : "", p->label, done, p->total, loss,
           rate, unit, eta, p->tty && !last ? "   " : "\n");
    fflush(stdout);
}

/* A CSV file for the loss curve: a header line, then one row per call. */
static FILE *csv_open(const char *path, const char *header) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fprintf(f, "%s\n", header);
    return f;
}

/* The handwritten digits of digits_cnn.c and dist_digits.c (UCI, 8x8 images;
   see examples/data/README.md). */
enum { DIGITS_SAMPLES = 1797, DIGITS_PIXELS = 64, DIGITS_CLASSES = 10 };

/* Reads the gzip-compressed CSV through gzip(1): 64 pixel values 0..16, then the
   label, into images (scaled to 0..1) and labels. The file is ordered by
   writer; shuffle (a fixed permutation, so every run and every rank gets the
   same one) so that the held-out set is a random sample of the same
   distribution. Exits with a message on a file it cannot read.
   Inline only so that the examples that do not call it build with -Werror
   (an unused plain static function is a warning). */
static inline void load_digits(const char *path, float images[][DIGITS_PIXELS], int64_t labels[]) {
    char command[1024];
    snprintf(command, sizeof command, "gzip -dc '%s'", path);
    FILE *f = popen(command, "r");
    if (!f) { fprintf(stderr, "cannot run gzip on %s\n", path); exit(1); }
    for (int i = 0; i < DIGITS_SAMPLES; i++) {
        for (int j = 0; j < DIGITS_PIXELS; j++) {
            int v;
            if (fscanf(f, "%d,", &v) != 1) { fprintf(stderr, "%s: bad pixel at sample %d\n", path, i); exit(1); }
            images[i][j] = (float)v / 16.0f;
        }
        long label;
        if (fscanf(f, "%ld", &label) != 1 || label < 0 || label >= DIGITS_CLASSES) {
            fprintf(stderr, "%s: bad label at sample %d\n", path, i);
            exit(1);
        }
        labels[i] = label;
    }
    pclose(f);
    unsigned long state = 2024;
    for (int i = DIGITS_SAMPLES - 1; i > 0; i--) {
        state = state * 6364136223846793005UL + 1442695040888963407UL;
        int j = (int)((state >> 33) % (unsigned long)(i + 1));
        float pixels[DIGITS_PIXELS];
        memcpy(pixels, images[i], sizeof pixels);
        memcpy(images[i], images[j], sizeof pixels);
        memcpy(images[j], pixels, sizeof pixels);
        int64_t l = labels[i];
        labels[i] = labels[j];
        labels[j] = l;
    }
}

/* The CNN of digits_cnn.c and dist_digits.c: conv(1->16) relu pool
   conv(16->32) relu pool flatten linear(128->64) relu linear(64->10).
   Inline for the same reason as load_digits. */
static inline ember_module *make_digits_model(void) {
    static const char *layers[][2] = {
        {"Conv2d", "1, 16, kernel_size=3, padding=1"}, {"ReLU", ""}, {"MaxPool2d", "2"},
        {"Conv2d", "16, 32, kernel_size=3, padding=1"}, {"ReLU", ""}, {"MaxPool2d", "2"},
        {"Flatten", ""}, {"Linear", "128, 64"}, {"ReLU", ""}, {"Linear", "64, 10"},
    };
    ember_module *model;
    CHECK(ember_module_new("Sequential", "", &model));
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        ember_module *layer;
        CHECK(ember_module_new(layers[i][0], layers[i][1], &layer));
        CHECK(ember_sequential_append(model, layer));
        ember_module_free(layer);
    }
    return model;
}

/* The fraction of the n test images x whose predicted class is the label in
   y, computed in eval mode without gradients; the model is left training. */
static inline double digits_accuracy(ember_module *model, ember_tensor *x, const int64_t *y, int64_t n) {
    bool was = ember_set_grad_enabled(false);
    CHECK(ember_module_train(model, false));
    ember_tensor *logits, *predicted;
    CHECK(ember_module_forward(model, x, &logits));
    CHECK(ember_argmax_dim(logits, 1, false, &predicted));
    int64_t *p = malloc(sizeof *p * (size_t)n);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
    CHECK(ember_tensor_copy_to(predicted, p, sizeof *p * (size_t)n));
    int64_t correct = 0;
    for (int64_t i = 0; i < n; i++) correct += p[i] == y[i];
    free(p);
    ember_tensor_free(logits);
    ember_tensor_free(predicted);
    CHECK(ember_module_train(model, true));
    ember_set_grad_enabled(was);
    return (double)correct / (double)n;
}

#endif
