/* Loading a large safetensors file: through the memory map (ember_state_dict_load,
   tensors view the file) against reading it into memory and parsing a copy
   (fread + ember_state_dict_load_buffer). Prints the time to load, the time
   to first touch every value (a sum), and the process's resident memory.

       bench_io_load [MiB]      (default 1024; the file goes to $TMPDIR or /tmp)

   Run by `make bench-io`. The file is in the page cache when it is loaded
   (it was just written), which is the case a server restarting sees. */
#define _POSIX_C_SOURCE 200809L
#include <ember.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OK(call) do { ember_status s_ = (call); if (s_ != EMBER_OK) { \
    fprintf(stderr, "%s -> %s: %s\n", #call, ember_status_name(s_), ember_last_error()); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Resident memory in MiB (VmRSS). */
static double rss_mib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kib = atof(line + 6);
    if (f) fclose(f);
    return kib / 1024;
}

static double sum_all(const ember_state_dict *sd) {
    double total = 0;
    for (int64_t i = 0; i < ember_state_dict_count(sd); i++) {
        ember_tensor *t, *s;
        double v;
        OK(ember_state_dict_at(sd, i, NULL, 0, &t));
        OK(ember_sum(t, &s));
        OK(ember_tensor_item(s, &v));
        total += v;
        ember_tensor_free(s);
        ember_tensor_free(t);
    }
    return total;
}

int main(int argc, char **argv) {
    int64_t mib = argc > 1 ? atoll(argv[1]) : 1024;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/ember-bench-io-%ld.safetensors", dir, (long)getpid());

    /* Eight float32 tensors of mib/8 MiB each, as a model's layers. */
    ember_state_dict *sd;
    OK(ember_state_dict_new(&sd));
    const int64_t shape[] = {mib * 1024 * 1024 / 8 / 4 / 1024, 1024};
    for (int i = 0; i < 8; i++) {
        char name[32];
        ember_tensor *t;
        snprintf(name, sizeof name, "layers.%d.weight", i);
        OK(ember_tensor_ones(shape, 2, EMBER_FLOAT32, &t));
        OK(ember_state_dict_set(sd, name, t));
        ember_tensor_free(t);
    }
    double t0 = now();
    OK(ember_state_dict_save(sd, path));
    double save = now() - t0;
    ember_state_dict_free(sd);
    printf("file: %lld MiB in 8 tensors, saved in %.3f s\n", (long long)mib, save);

    double base = rss_mib();
    t0 = now();
    OK(ember_state_dict_load(path, &sd));
    double load = now() - t0;
    double rss_after_load = rss_mib() - base;
    t0 = now();
    double total = sum_all(sd);
    double touch = now() - t0;
    printf("mmap:          load %8.3f ms   first pass over the values %7.3f s   resident +%.0f MiB after load, +%.0f MiB after the pass (sum %.0f)\n",
           load * 1e3, touch, rss_after_load, rss_mib() - base, total);
    ember_state_dict_free(sd);

    base = rss_mib();
    t0 = now();
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = malloc((size_t)size);
    if (!bytes || fread(bytes, 1, (size_t)size, f) != (size_t)size) { fprintf(stderr, "cannot read %s\n", path); return 1; }
    fclose(f);
    double read = now() - t0;
    OK(ember_state_dict_load_buffer(bytes, (size_t)size, &sd));
    double parse = now() - t0;
    double rss_after_copy = rss_mib() - base;
    free(bytes);
    t0 = now();
    total = sum_all(sd);
    touch = now() - t0;
    printf("read + copy:   load %8.3f ms (read %.3f ms)   first pass over the values %7.3f s   resident +%.0f MiB after load (file buffer and copy)\n",
           parse * 1e3, read * 1e3, touch, rss_after_copy);
    ember_state_dict_free(sd);
    unlink(path);
    return 0;
}
