/* Misuse of ember/shape.h: element counts that differ, dims out of range or
   repeated, bad permutations, indices out of range (negative, huge, of the
   wrong dtype or rank), empty and NULL lists, slices with bad steps, split
   capacities too small, absurd repeats and pads, bad dtypes. */
#define _POSIX_C_SOURCE 200809L
#include "misuse.h"

#include <unistd.h>

#include <math.h>
#include <string.h>

CASE(reshape_count_mismatch) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    FAILS_OUT(out, ember_reshape(x, SHAPE(4, 2), &out), EMBER_ERR_SHAPE, "[4, 2]");
    FAILS_OUT(out, ember_view(x, SHAPE(7), &out), EMBER_ERR_SHAPE, "[7]");
    FAILS_OUT(out, ember_reshape(x, SHAPE(-1, 4), &out), EMBER_ERR_SHAPE, "[-1, 4]");
    return 0;
}

CASE(reshape_bad_sizes) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    FAILS_OUT(out, ember_reshape(x, SHAPE(-1, -1), &out), EMBER_ERR_INVALID_ARGUMENT, "only one dimension can be inferred");
    FAILS_OUT(out, ember_reshape(x, SHAPE(-2, -3), &out), EMBER_ERR_INVALID_ARGUMENT, "invalid shape dimension -2");
    FAILS_OUT(out, ember_reshape(x, SHAPE(INT64_MAX, INT64_MAX), &out), EMBER_ERR_SHAPE, "9223372036854775807");
    FAILS_OUT(out, ember_reshape(x, NULL, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "'shape' is NULL");
    FAILS_OUT(out, ember_reshape(x, SHAPE(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6), &out), EMBER_ERR_INVALID_ARGUMENT, "ndim 13");
    return 0;
}

/* -1 with a zero-size dim cannot be inferred (torch: "cannot reshape tensor of 0 elements"). */
CASE(reshape_infer_with_zero) {
    ember_tensor *x = T_F32(NULL, SHAPE(0, 3)), *out;
    FAILS_OUT(out, ember_reshape(x, SHAPE(0, -1), &out), EMBER_ERR_SHAPE, "shape [0, -1] is invalid for input of size 0");
    return 0;
}

CASE(view_of_transposed) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *t, *out;
    OK(ember_transpose(x, 0, 1, &t));
    FAILS_OUT(out, ember_view(t, SHAPE(6), &out), EMBER_ERR_SHAPE, "use reshape instead");
    return 0;
}

CASE(transpose_permute_bad_dims) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    const int64_t rep[] = {0, 0}, far[] = {0, 5}, three[] = {0, 1, 2};
    FAILS_OUT(out, ember_transpose(x, 0, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_transpose(x, INT64_MIN, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "-9223372036854775808");
    FAILS_OUT(out, ember_permute(x, rep, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "more than once");
    FAILS_OUT(out, ember_permute(x, far, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "5");
    FAILS_OUT(out, ember_permute(x, three, 3, &out), EMBER_ERR_INVALID_ARGUMENT, "3");
    FAILS_OUT(out, ember_permute(x, NULL, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    return 0;
}

CASE(expand_incompatible) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    FAILS_OUT(out, ember_expand(x, SHAPE(4, 3), &out), EMBER_ERR_SHAPE, "[4, 3]");
    FAILS_OUT(out, ember_expand(x, SHAPE(3), &out), EMBER_ERR_SHAPE, "[3]");
    FAILS_OUT(out, ember_broadcast_to(x, SHAPE(2, 4), &out), EMBER_ERR_SHAPE, "[2, 4]");
    FAILS_OUT(out, ember_expand_as(x, pool.tensor, &out), EMBER_ERR_SHAPE, "[2, 2]");
    FAILS_OUT(out, ember_expand(x, SHAPE(-2, 3), &out), EMBER_ERR_SHAPE, "-2");
    return 0;
}

/* A view whose element count overflows: expanded to sizes that multiply past int64. */
CASE(expand_to_absurd_sizes) {
    ember_tensor *x = T_F32(NULL, SHAPE(1, 1)), *out;
    FAILS_OUT(out, ember_expand(x, SHAPE(INT64_MAX, INT64_MAX), &out), EMBER_ERR_OUT_OF_MEMORY, "than can be addressed");
    return 0;
}

CASE(flatten_unflatten_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3, 4)), *s = misuse_scalar(EMBER_FLOAT32, 1), *out;
    FAILS_OUT(out, ember_flatten(x, 2, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "start_dim");
    FAILS_OUT(out, ember_flatten(x, 0, 3, &out), EMBER_ERR_INVALID_ARGUMENT, "3");
    FAILS_OUT(out, ember_unflatten(x, 1, SHAPE(2, 2), &out), EMBER_ERR_SHAPE, "[2, 2]");
    FAILS_OUT(out, ember_unflatten(x, 1, NULL, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "sizes");
    FAILS_OUT(out, ember_unflatten(s, 0, SHAPE(1), &out), EMBER_ERR_INVALID_ARGUMENT, "0-dim");
    FAILS_OUT(out, ember_unflatten(x, 9, SHAPE(3), &out), EMBER_ERR_INVALID_ARGUMENT, "9");
    return 0;
}

CASE(squeeze_unsqueeze_bad_dims) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 1)), *x12 = T_F32(NULL, SHAPE(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)), *out;
    const int64_t rep[] = {1, -1};
    FAILS_OUT(out, ember_squeeze_dim(x, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_squeeze_dims(x, rep, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "more than once");
    FAILS_OUT(out, ember_unsqueeze(x, 4, &out), EMBER_ERR_INVALID_ARGUMENT, "4");
    FAILS_OUT(out, ember_unsqueeze(x12, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "12");
    return 0;
}

CASE(movedim_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3, 4)), *out;
    const int64_t src[] = {0, 1}, dst1[] = {2}, rep[] = {0, 0}, far[] = {7};
    FAILS_OUT(out, ember_movedim(x, src, 2, dst1, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_movedim(x, rep, 2, src, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "more than once");
    FAILS_OUT(out, ember_movedim(x, far, 1, dst1, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "7");
    return 0;
}

CASE(narrow_out_of_range) {
    ember_tensor *x = T_F32(NULL, SHAPE(5)), *s = misuse_scalar(EMBER_FLOAT32, 1), *out;
    FAILS_OUT(out, ember_narrow(x, 0, 3, 3, &out), EMBER_ERR_INVALID_ARGUMENT, "3");
    FAILS_OUT(out, ember_narrow(x, 0, 0, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_narrow(x, 0, 6, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "6");
    FAILS_OUT(out, ember_narrow(x, 0, INT64_MAX, INT64_MAX, &out), EMBER_ERR_INVALID_ARGUMENT, "9223372036854775807");
    FAILS_OUT(out, ember_narrow(x, 0, INT64_MIN, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "-9223372036854775808");
    FAILS_OUT(out, ember_narrow(s, 0, 0, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "0-dim");
    return 0;
}

CASE(slice_bad_steps_and_dims) {
    ember_tensor *x = T_F32(NULL, SHAPE(5)), *out;
    FAILS_OUT(out, ember_slice(x, 0, 0, 5, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "step");
    FAILS_OUT(out, ember_slice(x, 0, 0, 5, -1, &out), EMBER_ERR_INVALID_ARGUMENT, "step");
    FAILS_OUT(out, ember_slice(x, 1, 0, 5, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "1");
    return 0;
}

/* Python's clamping: any start and stop, however far out, is a valid slice. */
CASE(slice_extreme_bounds_clamp) {
    ember_tensor *x = T_F32(VALUES(0, 1, 2, 3, 4), SHAPE(5)), *out;
    OK(ember_slice(x, 0, INT64_MIN, EMBER_END, 1, &out));
    EXPECT(ember_tensor_numel(out) == 5);
    OK(ember_slice(x, 0, INT64_MAX, INT64_MIN, 1, &out));
    EXPECT(ember_tensor_numel(out) == 0);
    OK(ember_slice(x, 0, -2, EMBER_END, INT64_MAX, &out));
    EXPECT(ember_tensor_numel(out) == 1);
    return 0;
}

CASE(select_out_of_range) {
    ember_tensor *x = T_F32(NULL, SHAPE(3, 2)), *out;
    FAILS_OUT(out, ember_select(x, 0, 3, &out), EMBER_ERR_INVALID_ARGUMENT, "3");
    FAILS_OUT(out, ember_select(x, 0, -4, &out), EMBER_ERR_INVALID_ARGUMENT, "-4");
    FAILS_OUT(out, ember_select(x, 0, INT64_MIN, &out), EMBER_ERR_INVALID_ARGUMENT, "-9223372036854775808");
    FAILS_OUT(out, ember_select(x, 2, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    return 0;
}

CASE(index_select_bad_index) {
    ember_tensor *x = T_F32(NULL, SHAPE(3, 2)), *f = T_F32(VALUES(0), SHAPE(1)), *big = T_I64(VALUES(0, 3), SHAPE(2)),
                 *neg = T_I64(VALUES(-1), SHAPE(1)), *two = T_I64(NULL, SHAPE(1, 1)), *out;
    FAILS_OUT(out, ember_index_select(x, 0, f, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_index_select(x, 0, big, &out), EMBER_ERR_INVALID_ARGUMENT, "3");
    FAILS_OUT(out, ember_index_select(x, 0, neg, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_index_select(x, 0, two, &out), EMBER_ERR_SHAPE, "[1, 1]");
    FAILS_OUT(out, ember_index_select(x, 5, big, &out), EMBER_ERR_INVALID_ARGUMENT, "5");
    return 0;
}

CASE(gather_scatter_bad_index) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 2)), *big = T_I64(VALUES(0, 9, 0, 0), SHAPE(2, 2)), *huge = T_I64(NULL, SHAPE(2, 2)),
                 *rank = T_I64(NULL, SHAPE(4)), *f = T_F32(NULL, SHAPE(2, 2)), *ok = T_I64(NULL, SHAPE(2, 2)),
                 *d = T_F64(NULL, SHAPE(2, 2)), *out;
    const int64_t extreme[4] = {INT64_MIN, INT64_MAX, 0, 0};
    OK(ember_tensor_copy_from(huge, extreme, sizeof extreme));
    FAILS_OUT(out, ember_gather(x, 1, big, &out), EMBER_ERR_INVALID_ARGUMENT, "9");
    FAILS_OUT(out, ember_gather(x, 1, huge, &out), EMBER_ERR_INVALID_ARGUMENT, "-9223372036854775808");
    FAILS_OUT(out, ember_gather(x, 0, rank, &out), EMBER_ERR_SHAPE, "[4]");
    FAILS_OUT(out, ember_gather(x, 0, f, &out), EMBER_ERR_DTYPE, "int64");
    FAILS_OUT(out, ember_scatter(x, 1, big, x, &out), EMBER_ERR_INVALID_ARGUMENT, "9");
    FAILS_OUT(out, ember_scatter(x, 1, ok, d, &out), EMBER_ERR_DTYPE, "float64");
    FAILS_OUT(out, ember_scatter_add(x, 0, huge, x, &out), EMBER_ERR_INVALID_ARGUMENT, "index -9223372036854775808 is out of bounds");
    FAILS_OUT(out, ember_scatter_value(x, 0, big, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "9");
    FAILS_OUT(out, ember_take_along_dim(x, big, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "9");
    FAILS_OUT(out, ember_take_along_dim_flat(x, huge, &out), EMBER_ERR_INVALID_ARGUMENT, "index -9223372036854775808");
    return 0;
}

CASE(index_add_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(3, 2)), *idx = T_I64(VALUES(0, 5), SHAPE(2)), *src = T_F32(NULL, SHAPE(2, 2)),
                 *bad_src = T_F32(NULL, SHAPE(2, 3)), *ok = T_I64(VALUES(0, 1), SHAPE(2)), *out;
    FAILS_OUT(out, ember_index_add(x, 0, idx, src, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "5");
    FAILS_OUT(out, ember_index_add(x, 0, ok, bad_src, 1, &out), EMBER_ERR_SHAPE, "[2, 3]");
    return 0;
}

CASE(masked_select_bad_mask) {
    ember_tensor *m = T_BOOL(NULL, SHAPE(3)), *out;
    FAILS_OUT(out, ember_masked_select(pool.tensor, pool.tensor2, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_masked_select(pool.tensor, m, &out), EMBER_ERR_SHAPE, "[3]");
    return 0;
}

CASE(cat_stack_bad_lists) {
    const ember_tensor *list[2];
    ember_tensor *out, *v = T_F32(NULL, SHAPE(3)), *s = misuse_scalar(EMBER_FLOAT32, 1);
    list[0] = pool.tensor;
    list[1] = v;
    FAILS_OUT(out, ember_cat(list, 0, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "empty");
    FAILS_OUT(out, ember_cat(list, -1, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_cat(NULL, 2, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    FAILS_OUT(out, ember_cat(list, 2, 0, &out), EMBER_ERR_SHAPE, "got 2 at position 0 and 1 at position 1");
    FAILS_OUT(out, ember_stack(list, 2, 0, &out), EMBER_ERR_SHAPE, "[3]");
    FAILS_OUT(out, ember_stack(list, 0, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "empty");
    FAILS_OUT(out, ember_cat(list, 1, 5, &out), EMBER_ERR_INVALID_ARGUMENT, "5");
    FAILS_OUT(out, ember_stack(list, 1, 4, &out), EMBER_ERR_INVALID_ARGUMENT, "4");
    list[0] = s;
    FAILS_OUT(out, ember_cat(list, 1, 0, &out), EMBER_ERR_SHAPE, "zero-dimensional tensor");
    return 0;
}

CASE(split_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(5, 2)), *outs[8];
    int64_t count = 7;
    int i;
    for (i = 0; i < 8; i++) outs[i] = SENTINEL;
    FAILS(ember_split(x, 2, 0, outs, 2, &count), EMBER_ERR_INVALID_ARGUMENT, "capacity 2");
    EXPECT(count == 0 && outs[0] == SENTINEL && outs[1] == SENTINEL);   /* nothing written */
    FAILS(ember_split(x, -1, 0, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS(ember_split(x, 0, 0, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "split_size");
    FAILS(ember_split(x, 2, 3, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "3");
    FAILS(ember_split(x, 2, 0, outs, 8, NULL), EMBER_ERR_INVALID_ARGUMENT, "'count' is NULL");
    FAILS(ember_split(x, 2, 0, outs, -5, &count), EMBER_ERR_INVALID_ARGUMENT, "capacity -5");
    return 0;
}

CASE(split_sizes_and_chunk_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(5)), *outs[8];
    int64_t count = 7;
    const int64_t sizes[] = {2, 2}, neg[] = {6, -1}, huge[] = {INT64_MAX, INT64_MAX};
    FAILS(ember_split_sizes(x, sizes, 2, 0, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "5");
    EXPECT(count == 0);
    FAILS(ember_split_sizes(x, neg, 2, 0, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS(ember_split_sizes(x, huge, 2, 0, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "9223372036854775807");
    FAILS(ember_split_sizes(x, NULL, 2, 0, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "NULL");
    FAILS(ember_chunk(x, 0, 0, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "chunks");
    FAILS(ember_chunk(x, -3, 0, outs, 8, &count), EMBER_ERR_INVALID_ARGUMENT, "chunks");
    OK(ember_chunk(x, INT64_MAX, 0, NULL, 0, &count));        /* as many pieces as entries */
    EXPECT(count == 5);
    return 0;
}

CASE(flip_roll_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    const int64_t rep[] = {0, 0}, far[] = {2}, shifts[] = {1, 2}, one[] = {0};
    FAILS_OUT(out, ember_flip(x, rep, 2, &out), EMBER_ERR_INVALID_ARGUMENT, "more than once");
    FAILS_OUT(out, ember_flip(x, far, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_roll(x, shifts, 2, one, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    FAILS_OUT(out, ember_roll(x, shifts, 1, far, 1, &out), EMBER_ERR_INVALID_ARGUMENT, "2");
    return 0;
}

/* Shifts far beyond the size wrap around; INT64_MIN must not overflow. */
CASE(roll_extreme_shifts) {
    ember_tensor *x = T_F32(VALUES(0, 1, 2), SHAPE(3)), *out;
    const int64_t big[] = {INT64_MIN}, zero[] = {0};
    float v[3];
    OK(ember_roll(x, big, 1, zero, 1, &out));
    OK(ember_tensor_copy_to(out, v, sizeof v));
    EXPECT(v[0] + v[1] + v[2] == 3);
    OK(ember_roll(x, big, 1, NULL, 0, &out));
    return 0;
}

CASE(repeat_tile_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(2, 3)), *out;
    FAILS_OUT(out, ember_repeat(x, SHAPE(2), &out), EMBER_ERR_INVALID_ARGUMENT, "repeat");
    FAILS_OUT(out, ember_repeat(x, SHAPE(2, -1), &out), EMBER_ERR_INVALID_ARGUMENT, "-1");
    FAILS_OUT(out, ember_tile(x, SHAPE(-3), &out), EMBER_ERR_INVALID_ARGUMENT, "-3");
    FAILS_OUT(out, ember_repeat(x, SHAPE(1000000000, 1000000000), &out), EMBER_ERR_OUT_OF_MEMORY, "needs more bytes than can be addressed");
    FAILS_OUT(out, ember_repeat(x, SHAPE(100000, 100000), &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(out, ember_repeat(x, SHAPE(INT64_MAX, INT64_MAX), &out), EMBER_ERR_OUT_OF_MEMORY, "than can be addressed");
    FAILS_OUT(out, ember_tile(x, SHAPE(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), &out), EMBER_ERR_INVALID_ARGUMENT, "13");
    return 0;
}

CASE(pad_bad) {
    ember_tensor *x = T_F32(NULL, SHAPE(1, 2, 3)), *b = T_BOOL(NULL, SHAPE(1, 2, 3)), *out;
    FAILS_OUT(out, ember_pad(x, SHAPE(1, 1, 1), "constant", 0, &out), EMBER_ERR_INVALID_ARGUMENT, "padding length must be divisible by 2, got 3");
    FAILS_OUT(out, ember_pad(x, SHAPE(1, 1, 1, 1, 1, 1, 1, 1), "constant", 0, &out), EMBER_ERR_INVALID_ARGUMENT, "8");
    FAILS_OUT(out, ember_pad(x, SHAPE(1, 1), "mirror", 0, &out), EMBER_ERR_INVALID_ARGUMENT, "mirror");
    FAILS_OUT(out, ember_pad(x, SHAPE(1, 1), NULL, 0, &out), EMBER_ERR_INVALID_ARGUMENT, "'mode' is NULL");
    FAILS_OUT(out, ember_pad(x, SHAPE(1, 1), "reflect", 1, &out), EMBER_ERR_INVALID_ARGUMENT, "value");
    FAILS_OUT(out, ember_pad(x, SHAPE(3, 3), "reflect", 0, &out), EMBER_ERR_SHAPE, "3");
    FAILS_OUT(out, ember_pad(b, SHAPE(1, 1), "replicate", 0, &out), EMBER_ERR_DTYPE, "bool");
    FAILS_OUT(out, ember_pad(x, SHAPE(-4, 0), "constant", 0, &out), EMBER_ERR_SHAPE, "-4");
    return 0;
}

CASE(pad_absurd) {
    ember_tensor *x = T_F32(NULL, SHAPE(1, 2, 3)), *out;
    FAILS_OUT(out, ember_pad(x, SHAPE(1000000000000000LL, 0), "constant", 0, &out), EMBER_ERR_OUT_OF_MEMORY, "cannot allocate");
    FAILS_OUT(out, ember_pad(x, SHAPE(INT64_MAX, INT64_MAX), "constant", 0, &out), EMBER_ERR_INVALID_ARGUMENT, "is out of range");
    FAILS_OUT(out, ember_pad(x, SHAPE(INT64_MIN, 0), "constant", 0, &out), EMBER_ERR_INVALID_ARGUMENT, "padding (-9223372036854775808, 0) is out of range");
    return 0;
}

CASE(to_dtype_out_of_range) {
    ember_tensor *out;
    FAILS_OUT(out, ember_to_dtype(pool.tensor, (ember_dtype)9, &out), EMBER_ERR_DTYPE, "not a valid ember_dtype (9)");
    FAILS_OUT(out, ember_to_dtype(pool.tensor, EMBER_DTYPE_INVALID, &out), EMBER_ERR_DTYPE, "not a valid ember_dtype");
    return 0;
}

/* float -> int64 conversion of NaN and infinity must not trap. */
CASE(to_dtype_non_finite_to_int64) {
    ember_tensor *x = T_F32(VALUES(1e30, NAN, -INFINITY), SHAPE(3)), *out;
    OK(ember_to_dtype(x, EMBER_INT64, &out));
    EXPECT(ember_tensor_numel(out) == 3);
    return 0;
}

/* A tensor without elements may have a dim of 2^62 (as in torch). Splitting
   it must not build 2^62 views before finding that the caller has room for 4:
   the count is arithmetic. (The case gives itself 5 seconds.) */
CASE(split_of_huge_empty_dim) {
    ember_tensor *x, *pieces[4];
    int64_t count = 7;
    alarm(5);
    OK(ember_tensor_zeros(SHAPE(0, (int64_t)1 << 62), EMBER_FLOAT32, &x));
    FAILS(ember_split(x, 1, 1, pieces, 4, &count), EMBER_ERR_INVALID_ARGUMENT, "capacity 4");
    EXPECT(count == 0);
    OK(ember_split(x, 1, 1, NULL, 0, &count));
    EXPECT(count == (int64_t)1 << 62);
    OK(ember_chunk(x, INT64_MAX, 0, NULL, 0, &count));       /* an empty dim: `chunks` empty views */
    EXPECT(count == INT64_MAX);
    return 0;
}
