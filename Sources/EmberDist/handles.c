/* Handles: entries of a slot table, never pointers, so that NULL, stale,
   double-freed and wrong-kind handles are reported instead of crashing --
   the scheme libember uses ([kind:8][generation:24][slot+1:32]). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "internal.h"

typedef struct slot {
    void *object;       /* NULL when free */
    uint32_t generation;
    uint8_t kind;
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot *slots;
static size_t slot_count, slot_capacity;

static const char *kind_name(handle_kind kind) {
    switch (kind) {
    case KIND_GROUP: return "ember_dist_group";
    case KIND_DDP: return "ember_ddp";
    case KIND_SAMPLER: return "ember_dist_sampler";
    }
    return "handle";
}

void *handle_new(handle_kind kind, void *object) {
    pthread_mutex_lock(&lock);
    size_t index = slot_count;
    for (size_t i = 0; i < slot_count; i++) {
        if (!slots[i].object) { index = i; break; }
    }
    if (index == slot_count) {
        if (slot_count == slot_capacity) {
            size_t capacity = slot_capacity ? slot_capacity * 2 : 16;
            if (capacity > UINT32_MAX - 1) { pthread_mutex_unlock(&lock); return NULL; }
            slot *grown = realloc(slots, capacity * sizeof *grown);
            if (!grown) { pthread_mutex_unlock(&lock); return NULL; }
            slots = grown;
            slot_capacity = capacity;
        }
        slots[slot_count].generation = 0;
        slot_count++;
    }
    slot *s = &slots[index];
    s->object = object;
    s->kind = (uint8_t)kind;
    s->generation = (s->generation + 1) & 0xffffffu;
    uint64_t value = ((uint64_t)kind << 56) | ((uint64_t)s->generation << 32) | (uint64_t)(index + 1);
    pthread_mutex_unlock(&lock);
    return (void *)(uintptr_t)value;
}

/* The slot of a valid handle of `kind`, with the lock held; NULL otherwise (lock released). */
static slot *lookup(const void *handle, handle_kind kind) {
    uint64_t value = (uint64_t)(uintptr_t)handle;
    uint64_t index = value & 0xffffffffu;
    uint32_t generation = (uint32_t)((value >> 32) & 0xffffffu);
    uint8_t k = (uint8_t)(value >> 56);
    pthread_mutex_lock(&lock);
    if (handle && k == (uint8_t)kind && index >= 1 && index <= slot_count) {
        slot *s = &slots[index - 1];
        if (s->object && s->kind == (uint8_t)kind && s->generation == generation) return s;
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

void *handle_get(const void *handle, handle_kind kind, const char *fn, const char *arg) {
    slot *s = lookup(handle, kind);
    if (!s) {
        if (!handle) fail(EMBER_ERR_INVALID_HANDLE, "%s: `%s` is NULL", fn, arg);
        else fail(EMBER_ERR_INVALID_HANDLE, "%s: `%s` is not a live %s handle (freed, or of another kind)", fn, arg,
                  kind_name(kind));
        return NULL;
    }
    void *object = s->object;
    pthread_mutex_unlock(&lock);
    return object;
}

void *handle_release(const void *handle, handle_kind kind) {
    slot *s = lookup(handle, kind);
    if (!s) return NULL;
    void *object = s->object;
    s->object = NULL;
    pthread_mutex_unlock(&lock);
    return object;
}

ember_status fail(ember_status status, const char *fmt, ...) {
    char message[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    ember_set_last_error(message);
    return status;
}

ember_status wrap(ember_status status, const char *fn) {
    if (status == EMBER_OK) return status;
    return fail(status, "%s: %s", fn, ember_last_error());
}
