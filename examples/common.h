/* Helpers shared by the examples: error checking, a live progress line with
   loss, rate and ETA, and a CSV loss curve. Plain C99 (plus POSIX clocks). */
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

#endif
