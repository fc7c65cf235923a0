/* Misuse of ember/io.h and ember/dlpack.h: paths that cannot be read or
   written, bytes that are not safetensors, buffers too small, names that do
   not exist or are reserved, handles of one kind passed as another, NULL
   DLPack tensors. The bodies compile only when the headers have these
   sections (the cases then pass trivially). */
#include "misuse.h"

#include <string.h>

CASE(state_dict_load_bad_paths) {
#ifdef EMBER_IO_H
    ember_state_dict *sd;
    FAILS_OUT(sd, ember_state_dict_load("/nonexistent-ember-misuse/x.safetensors", &sd), EMBER_ERR_IO, "x.safetensors");
    FAILS_OUT(sd, ember_state_dict_load("/", &sd), EMBER_ERR_IO, "ember_state_dict_load");
    FAILS_OUT(sd, ember_state_dict_load(NULL, &sd), EMBER_ERR_INVALID_ARGUMENT, "'path' is NULL");
    FAILS(ember_state_dict_load("/", NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
#endif
    return 0;
}

CASE(state_dict_load_buffer_garbage) {
#ifdef EMBER_IO_H
    ember_state_dict *sd;
    static const unsigned char garbage[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    static const unsigned char short_header[12] = {40, 0, 0, 0, 0, 0, 0, 0, '{', '"', 'a', '"'};
    static const unsigned char not_json[12] = {4, 0, 0, 0, 0, 0, 0, 0, '{', '{', '{', '{'};
    FAILS_OUT(sd, ember_state_dict_load_buffer(garbage, sizeof garbage, &sd), EMBER_ERR_IO, "ember_state_dict_load_buffer");
    FAILS_OUT(sd, ember_state_dict_load_buffer(short_header, sizeof short_header, &sd), EMBER_ERR_IO, "ember_state_dict_load_buffer");
    FAILS_OUT(sd, ember_state_dict_load_buffer(not_json, sizeof not_json, &sd), EMBER_ERR_IO, "ember_state_dict_load_buffer");
    FAILS_OUT(sd, ember_state_dict_load_buffer(garbage, 3, &sd), EMBER_ERR_IO, "ember_state_dict_load_buffer");
    FAILS_OUT(sd, ember_state_dict_load_buffer(NULL, 64, &sd), EMBER_ERR_INVALID_ARGUMENT, "NULL");
#endif
    return 0;
}

CASE(state_dict_buffers_too_small) {
#ifdef EMBER_IO_H
    unsigned char buf[8];
    char name[1];
    size_t size = 7;
    ember_tensor *t;
    FAILS(ember_state_dict_save_buffer(pool.state_dict, buf, sizeof buf, &size), EMBER_ERR_INVALID_ARGUMENT, "ember_state_dict_save_buffer");
    EXPECT(size > sizeof buf);                                /* the size needed, as documented */
    FAILS(ember_state_dict_save_buffer(pool.state_dict, buf, sizeof buf, NULL), EMBER_ERR_INVALID_ARGUMENT, "size");
    FAILS_OUT(t, ember_state_dict_at(pool.state_dict, 0, name, sizeof name, &t), EMBER_ERR_INVALID_ARGUMENT, "ember_state_dict_at");
    FAILS_OUT(t, ember_state_dict_at(pool.state_dict, 1, NULL, 0, &t), EMBER_ERR_INVALID_ARGUMENT, "1");
    FAILS_OUT(t, ember_state_dict_at(pool.state_dict, -1, NULL, 0, &t), EMBER_ERR_INVALID_ARGUMENT, "-1");
#endif
    return 0;
}

CASE(state_dict_bad_names) {
#ifdef EMBER_IO_H
    ember_tensor *t;
    FAILS_OUT(t, ember_state_dict_get(pool.state_dict, "nope", &t), EMBER_ERR_INVALID_ARGUMENT, "nope");
    FAILS_OUT(t, ember_state_dict_get(pool.state_dict, NULL, &t), EMBER_ERR_INVALID_ARGUMENT, "'name' is NULL");
    FAILS(ember_state_dict_set(pool.state_dict, "__metadata__", pool.tensor), EMBER_ERR_INVALID_ARGUMENT, "__metadata__");
    FAILS(ember_state_dict_remove(pool.state_dict, "nope"), EMBER_ERR_INVALID_ARGUMENT, "nope");
    EXPECT(ember_state_dict_count(pool.state_dict) == 1);
#endif
    return 0;
}

CASE(state_dict_save_unwritable) {
#ifdef EMBER_IO_H
    FAILS(ember_state_dict_save(pool.state_dict, "/nonexistent-ember-misuse/dir/x.safetensors"), EMBER_ERR_IO, "ember_state_dict_save");
    FAILS(ember_state_dict_save(pool.state_dict, NULL), EMBER_ERR_INVALID_ARGUMENT, "'path' is NULL");
#endif
    return 0;
}

CASE(state_dict_passed_as_tensor) {
#ifdef EMBER_IO_H
    ember_tensor *out;
    FAILS_OUT(out, ember_relu((const ember_tensor *)(void *)pool.state_dict, &out), EMBER_ERR_INVALID_HANDLE,
              "argument 'x' is a state dict handle, not a tensor handle");
#endif
    return 0;
}

CASE(dlpack_null) {
#ifdef EMBER_DLPACK_H
    ember_tensor *out;
    FAILS_OUT(out, ember_from_dlpack(NULL, &out), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    FAILS_OUT(out, ember_from_dlpack_versioned(NULL, &out), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    FAILS(ember_to_dlpack(pool.tensor, NULL), EMBER_ERR_INVALID_ARGUMENT, "'out' is NULL");
#endif
    return 0;
}
