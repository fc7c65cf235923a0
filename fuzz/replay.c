/* A driver for the fuzz harnesses without libFuzzer: `make fuzz-smoke` (in
   `make test`) links it with fuzz/api_fuzz.c against the release library and
   runs every input file given (the committed corpus) and then COUNT inputs of
   random bytes from a fixed seed, so the harness keeps building and the
   library survives random call sequences between the real fuzzing runs
   (`make fuzz`, which needs a coverage-instrumented build).

   Usage: replay [-n COUNT] [-s SEED] [FILE...]   (a failure aborts, as under libFuzzer;
   the input that was running is then written to replay-crash-N, which
   `replay replay-crash-N` or the libFuzzer build reproduces) */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Optional in a harness, as under libFuzzer (safetensors_fuzz.c has none). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[1024];
static size_t current_size;
static long current_index = -1;

/* On a crash: save the input that caused it, then die of the same signal. */
static void on_crash(int sig) {
    /* Only async-signal-safe calls: the crash may be inside malloc. */
    char name[64];
    int fd;
    snprintf(name, sizeof name, "replay-crash-%ld", current_index);
    fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, buf, current_size) < 0) { /* nothing more to do in a dying process */ }
        close(fd);
    }
    if (write(2, "replay: an input died of a signal; saved as ", 44) < 0 || write(2, name, strlen(name)) < 0 || write(2, "\n", 1) < 0) {}
    signal(sig, SIG_DFL);
    raise(sig);
}

/* splitmix64: the inputs are the same on every run. */
static uint64_t next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv) {
    long count = 2000, i, files = 0;
    uint64_t seed = 9;
    int a;
    static const int signals[] = {SIGILL, SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGTRAP};
    for (a = 0; a < (int)(sizeof signals / sizeof signals[0]); a++) signal(signals[a], on_crash);
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (a = 1; a < argc; a++) {
        FILE *f;
        size_t n;
        if (!strcmp(argv[a], "-n") && a + 1 < argc) { count = atol(argv[++a]); continue; }
        if (!strcmp(argv[a], "-s") && a + 1 < argc) { seed = (uint64_t)atol(argv[++a]); continue; }
        f = fopen(argv[a], "rb");
        if (!f) { perror(argv[a]); return 2; }
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        current_size = n;
        LLVMFuzzerTestOneInput(buf, n);
        files++;
    }
    for (i = 0; i < count; i++) {
        size_t n = (size_t)(next(&seed) % sizeof buf), k;
        for (k = 0; k < n; k++) buf[k] = (uint8_t)next(&seed);
        current_size = n;
        current_index = i;
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz-smoke: %ld corpus files and %ld random inputs ran clean\n", files, count);
    return 0;
}
