/*
 * libFuzzer harness for Ember's safetensors loader (issue 6).
 *
 * Every input is given to ember_state_dict_load_buffer (the safetensors
 * reader: header length, JSON, dtypes, shapes, offsets) and to
 * ember_module_load_buffer (model files: the architecture JSON in the
 * metadata, module construction, weights). Malformed input must come back as
 * a status -- never a crash, an out-of-bounds access (AddressSanitizer) or a
 * leak. For inputs that load, it checks that the library's output is stable:
 * reading every tensor works, and the file Ember writes for the state dict
 * reads back and writes the same bytes again.
 *
 * Build and run: make fuzz-safetensors (see mk/io.mk); make fuzz (mk/hardening.mk)
 * runs it with the other harnesses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"

/* A finding: the property failed. libFuzzer saves the input. */
static void fail(const char *what) {
    fprintf(stderr, "safetensors_fuzz: %s: %s\n", what, ember_last_error());
    abort();
}

/* Writes the state dict's safetensors bytes into a new buffer (NULL on failure). */
static uint8_t *serialize(const ember_state_dict *sd, size_t *size) {
    if (ember_state_dict_save_buffer(sd, NULL, 0, size) != EMBER_OK) return NULL;
    uint8_t *bytes = malloc(*size ? *size : 1);
    if (!bytes) return NULL;
    if (ember_state_dict_save_buffer(sd, bytes, *size, size) != EMBER_OK) {
        free(bytes);
        return NULL;
    }
    return bytes;
}

static void check_state_dict(ember_state_dict *sd) {
    int64_t n = ember_state_dict_count(sd);
    if (n < 0) fail("count of a loaded state dict");
    for (int64_t i = 0; i < n; i++) {
        char name[256];
        ember_tensor *t = NULL;
        /* Names may be longer than the buffer: that is a reported error, then read without one. */
        if (ember_state_dict_at(sd, i, name, sizeof name, &t) != EMBER_OK &&
            ember_state_dict_at(sd, i, NULL, 0, &t) != EMBER_OK) fail("an entry of a loaded state dict");
        int64_t count = ember_tensor_numel(t);
        if (count < 0) fail("numel of a loaded tensor");
        size_t bytes = (size_t)count * 8;
        void *values = malloc(bytes ? bytes : 1);
        if (values && ember_tensor_copy_to(t, values, bytes) != EMBER_OK) fail("reading a loaded tensor");
        free(values);
        ember_tensor_free(t);
    }
    size_t size = 0, again_size = 0;
    uint8_t *bytes = serialize(sd, &size);
    if (!bytes) fail("writing a loaded state dict");
    ember_state_dict *again = NULL;
    if (ember_state_dict_load_buffer(bytes, size, &again) != EMBER_OK) fail("reading what Ember wrote");
    uint8_t *bytes2 = serialize(again, &again_size);
    if (!bytes2 || again_size != size || memcmp(bytes, bytes2, size) != 0) fail("writing is not stable");
    free(bytes);
    free(bytes2);
    ember_state_dict_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ember_state_dict *sd = NULL;
    if (ember_state_dict_load_buffer(data, size, &sd) == EMBER_OK) {
        check_state_dict(sd);
        ember_state_dict_free(sd);
    } else if (sd != NULL) {
        fail("a failed load returned a state dict");
    }
    ember_module *m = NULL;
    if (ember_module_load_buffer(data, size, &m) == EMBER_OK) {
        if (ember_module_parameter_count(m) < 0) fail("a loaded module");
        ember_module_free(m);
    } else if (m != NULL) {
        fail("a failed load returned a module");
    }
    return 0;
}
