/**
 * @file ember/shape.h
 * @brief Views, reshaping, indexing and joining (torch.reshape, torch.cat, ...).
 *
 * Views share storage with their input as in torch: writing through one
 * (ember_tensor_copy_from) changes the other. The views are reshape (when the
 * strides allow), view, flatten (likewise), unflatten, squeeze, unsqueeze,
 * transpose, permute, movedim, expand, expand_as, broadcast_to, narrow,
 * slice, select and the results of split and chunk; the other functions
 * return new tensors. All of them work for every dtype. Index tensors must
 * be int64 (DTYPE otherwise) and masks bool; every index value is checked
 * before anything is written, and one out of range is INVALID_ARGUMENT
 * naming the value, its position in the index and the size. Gradients follow
 * torch's. See ember/ops.h.
 */
#ifndef EMBER_SHAPE_H
#define EMBER_SHAPE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The same elements with a new shape (torch.reshape): a view sharing storage
 * when the strides allow, a copy otherwise. One size may be -1 (inferred).
 * SHAPE if the element counts differ.
 */
EMBER_NODISCARD ember_status ember_reshape(const ember_tensor *x, const int64_t *shape, int64_t ndim, ember_tensor **out);
/** A view with dimensions `dim0` and `dim1` swapped (torch.transpose). */
EMBER_NODISCARD ember_status ember_transpose(const ember_tensor *x, int64_t dim0, int64_t dim1, ember_tensor **out);
/** A view with the dimensions reordered (torch.permute); `dims` is a permutation of 0..ndim-1. */
EMBER_NODISCARD ember_status ember_permute(const ember_tensor *x, const int64_t *dims, int64_t ndim, ember_tensor **out);
/**
 * A view broadcasting size-1 dimensions to `shape` without copying
 * (torch.expand); -1 keeps a size; new leading dimensions may be added.
 */
EMBER_NODISCARD ember_status ember_expand(const ember_tensor *x, const int64_t *shape, int64_t ndim, ember_tensor **out);
/**
 * The same elements with a new shape, always sharing storage (torch.Tensor.view).
 * One size may be -1 (inferred). SHAPE if the element counts differ or if the
 * strides do not allow a view (e.g. flattening a transposed tensor; use
 * ember_reshape, which copies then). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_view(const ember_tensor *x, const int64_t *shape, int64_t ndim, ember_tensor **out);

/**
 * Dimensions `start_dim` through `end_dim` merged into one (torch.flatten):
 * a view when the strides allow, a copy otherwise; a 0-dim tensor becomes
 * 1-D. Pass 0 and -1 to flatten everything. INVALID_ARGUMENT if a dim is out
 * of range or `start_dim` comes after `end_dim`. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_flatten(const ember_tensor *x, int64_t start_dim, int64_t end_dim, ember_tensor **out);

/**
 * Dimension `dim` split into `sizes[0 .. nsizes-1]` (torch.unflatten), a
 * view. One size may be -1. SHAPE if the sizes do not multiply to the size
 * of `dim`; INVALID_ARGUMENT for a 0-dim input, no sizes, a bad dim or more
 * than 12 resulting dimensions. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_unflatten(const ember_tensor *x, int64_t dim, const int64_t *sizes, int64_t nsizes, ember_tensor **out);

/** Every size-1 dimension removed (torch.squeeze), a view. The caller owns `*out`. */
EMBER_NODISCARD ember_status ember_squeeze(const ember_tensor *x, ember_tensor **out);

/**
 * Dimension `dim` removed if its size is 1, otherwise the same shape
 * (torch.squeeze(x, dim)), a view. INVALID_ARGUMENT for a dim out of range.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_squeeze_dim(const ember_tensor *x, int64_t dim, ember_tensor **out);

/**
 * The listed dimensions removed where their size is 1 (torch.squeeze(x,
 * dims)), a view. INVALID_ARGUMENT for a dim out of range or repeated.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_squeeze_dims(const ember_tensor *x, const int64_t *dims, int64_t ndims, ember_tensor **out);

/**
 * A size-1 dimension inserted at `dim`, in -(ndim+1) .. ndim (torch.unsqueeze),
 * a view. INVALID_ARGUMENT for a dim out of range or a result of more than 12
 * dimensions. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_unsqueeze(const ember_tensor *x, int64_t dim, ember_tensor **out);

/**
 * Dimensions `source[i]` moved to positions `destination[i]`, the others
 * keeping their order (torch.movedim), a view. INVALID_ARGUMENT if `nsource`
 * and `ndestination` differ, or a dim is out of range or repeated.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_movedim(const ember_tensor *x, const int64_t *source, int64_t nsource,
                                           const int64_t *destination, int64_t ndestination, ember_tensor **out);

/** `x` expanded to the shape of `other` (torch.Tensor.expand_as), a view. SHAPE as ember_expand. The caller owns `*out`. */
EMBER_NODISCARD ember_status ember_expand_as(const ember_tensor *x, const ember_tensor *other, ember_tensor **out);

/**
 * `x` broadcast to `shape` (torch.broadcast_to), a view with stride 0 along
 * stretched dimensions. SHAPE if `x` does not broadcast to `shape`.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_broadcast_to(const ember_tensor *x, const int64_t *shape, int64_t ndim, ember_tensor **out);

/**
 * `length` entries of dimension `dim` from `start` (torch.narrow), a view.
 * `start` may be negative (counting from the end). INVALID_ARGUMENT for a
 * 0-dim input, a bad dim, start outside -size .. size, a negative length or
 * start + length past the end. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_narrow(const ember_tensor *x, int64_t dim, int64_t start, int64_t length, ember_tensor **out);

/**
 * x[..., start:stop:step, ...] along `dim` (Python slicing, torch's
 * x[:, a:b:c]), a view. `start` and `stop` may be negative (counting from the
 * end) or out of range, and are clamped as Python does; ::EMBER_END as `stop`
 * runs to the end. INVALID_ARGUMENT for step <= 0, a bad dim or a 0-dim
 * input. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_slice(const ember_tensor *x, int64_t dim, int64_t start, int64_t stop, int64_t step, ember_tensor **out);

/**
 * The slice at `index` of dimension `dim`, which is removed (torch.select,
 * x[:, i]), a view. `index` may be negative. INVALID_ARGUMENT for an index
 * outside -size .. size-1 (the message gives both), a bad dim or a 0-dim
 * input. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_select(const ember_tensor *x, int64_t dim, int64_t index, ember_tensor **out);

/**
 * The entries at `index` along `dim`, copied (torch.index_select). `index` is
 * an int64 tensor with 0 or 1 dimensions. DTYPE if it is not int64; SHAPE
 * if it has more dimensions; INVALID_ARGUMENT for an index value out of range
 * (the message names the value, its position and the size). The caller owns
 * `*out`.
 */
EMBER_NODISCARD ember_status ember_index_select(const ember_tensor *x, int64_t dim, const ember_tensor *index, ember_tensor **out);

/**
 * out[i][j] = x[index[i][j]][j] for dim 0, and likewise for other dims
 * (torch.gather); the result has index's shape. `index` is int64 with x's
 * number of dimensions and no larger than x outside `dim`. DTYPE if it is not
 * int64; SHAPE for mismatched shapes; INVALID_ARGUMENT for an index value out
 * of range (value, position and size in the message). The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_gather(const ember_tensor *x, int64_t dim, const ember_tensor *index, ember_tensor **out);

/**
 * A copy of `x` with src[p] written at [p with p[dim] = index[p]] for every
 * position p of `index` (torch.scatter). `src` has x's dtype and is at least
 * as large as `index` in every dimension; `index` is int64, no larger than
 * `x` outside `dim`. Where an index repeats, the last write wins. The
 * gradient of `src` is zero where src was not read (torch fails in backward
 * when src is larger than index). DTYPE, SHAPE and INVALID_ARGUMENT as
 * ember_gather. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_scatter(const ember_tensor *x, int64_t dim, const ember_tensor *index, const ember_tensor *src, ember_tensor **out);

/** As ember_scatter, writing `value` (converted to x's dtype) instead of a source tensor (torch.scatter with value). */
EMBER_NODISCARD ember_status ember_scatter_value(const ember_tensor *x, int64_t dim, const ember_tensor *index, double value, ember_tensor **out);

/** As ember_scatter, adding src[p] instead of writing it, so repeated indices add up (torch.scatter_add). */
EMBER_NODISCARD ember_status ember_scatter_add(const ember_tensor *x, int64_t dim, const ember_tensor *index, const ember_tensor *src, ember_tensor **out);

/**
 * A copy of `x` with alpha * source[..., j, ...] added at [..., index[j], ...]
 * along `dim` (torch.index_add). `index` is int64 with 0 or 1 dimensions;
 * `source` has x's dtype and shape except along `dim`, where it has one entry
 * per index. An int64 `x` takes alpha truncated to an integer, as torch does.
 * DTYPE, SHAPE and INVALID_ARGUMENT as ember_index_select. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_index_add(const ember_tensor *x, int64_t dim, const ember_tensor *index, const ember_tensor *source,
                                             double alpha, ember_tensor **out);

/**
 * The entries of `x` where the bool `mask` is true, the two broadcast
 * together, as a 1-D copy in row-major order (torch.masked_select). DTYPE if
 * the mask is not bool; SHAPE if the shapes do not broadcast. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_masked_select(const ember_tensor *x, const ember_tensor *mask, ember_tensor **out);

/**
 * The entries of `x` at `indices` along `dim` (torch.take_along_dim(x,
 * indices, dim)): x and indices have the same number of dimensions and are
 * broadcast against each other outside `dim`; indices lie in 0 .. size-1, as
 * for ember_gather. DTYPE if `indices` is not int64; SHAPE for shapes that do
 * not broadcast; INVALID_ARGUMENT for an index out of range.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_take_along_dim(const ember_tensor *x, const ember_tensor *indices, int64_t dim, ember_tensor **out);

/**
 * torch.take_along_dim(x, indices) without dim: the entries of flattened `x`
 * at flattened `indices`, a 1-D result. Errors as ember_take_along_dim.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_take_along_dim_flat(const ember_tensor *x, const ember_tensor *indices, ember_tensor **out);

/**
 * The `count` tensors joined along `dim` (torch.cat), converted to their
 * promoted dtype. All have the same number of dimensions and the same sizes
 * outside `dim`; 1-D tensors of size 0 are skipped, as torch does.
 * INVALID_ARGUMENT for an empty list or a bad dim; SHAPE for 0-dim or
 * mismatched tensors (both shapes and positions in the message).
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_cat(const ember_tensor *const *tensors, int64_t count, int64_t dim, ember_tensor **out);

/**
 * The `count` tensors, all of one shape, joined along a new dimension `dim`
 * in -(ndim+1) .. ndim (torch.stack). INVALID_ARGUMENT for an empty list or a
 * bad dim; SHAPE for tensors of different shapes. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_stack(const ember_tensor *const *tensors, int64_t count, int64_t dim, ember_tensor **out);

/**
 * Views of `split_size` entries along `dim`, the last possibly smaller
 * (torch.split with an int). Writes up to `capacity` new handles into `outs`
 * and their number into `*count` (with `outs` NULL only the number); see
 * ember/ops.h. INVALID_ARGUMENT for a 0-dim input, a negative split_size, a
 * split_size of 0 on a non-empty dim, a bad dim or too small a capacity.
 */
EMBER_NODISCARD ember_status ember_split(const ember_tensor *x, int64_t split_size, int64_t dim,
                                         ember_tensor **outs, int64_t capacity, int64_t *count);

/**
 * Views of `split_sizes[0 .. nsizes-1]` entries along `dim` (torch.split
 * with a list), which must be non-negative and add up to the size of `dim`.
 * Results and errors as ember_split.
 */
EMBER_NODISCARD ember_status ember_split_sizes(const ember_tensor *x, const int64_t *split_sizes, int64_t nsizes, int64_t dim,
                                               ember_tensor **outs, int64_t capacity, int64_t *count);

/**
 * At most `chunks` views of ceil(size / chunks) entries along `dim`, the last
 * possibly smaller (torch.chunk). INVALID_ARGUMENT for chunks <= 0; otherwise
 * results and errors as ember_split.
 */
EMBER_NODISCARD ember_status ember_chunk(const ember_tensor *x, int64_t chunks, int64_t dim,
                                         ember_tensor **outs, int64_t capacity, int64_t *count);

/**
 * A copy with the entries reversed along each of `dims` (torch.flip).
 * INVALID_ARGUMENT for a dim out of range or repeated. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_flip(const ember_tensor *x, const int64_t *dims, int64_t ndims, ember_tensor **out);

/**
 * A copy with the entries shifted by shifts[i] along dims[i], wrapping
 * around (torch.roll); shifts on a repeated dim add up. With `ndims` 0 the
 * tensor is rolled as if flattened by a single shift (torch.roll without
 * dims). INVALID_ARGUMENT if the counts do not match or a dim is out of range.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_roll(const ember_tensor *x, const int64_t *shifts, int64_t nshifts, const int64_t *dims, int64_t ndims,
                                        ember_tensor **out);

/**
 * `x` tiled repeats[d] times along each dimension (torch.Tensor.repeat);
 * `nrepeats` may exceed x's ndim (new leading dimensions) but not fall short
 * of it. INVALID_ARGUMENT for fewer repeats than dims or a negative repeat.
 * The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_repeat(const ember_tensor *x, const int64_t *repeats, int64_t nrepeats, ember_tensor **out);

/** As ember_repeat, with `reps` padded by leading 1s when shorter than x's ndim (torch.tile). */
EMBER_NODISCARD ember_status ember_tile(const ember_tensor *x, const int64_t *reps, int64_t nreps, ember_tensor **out);

/**
 * `x` padded (torch.nn.functional.pad). `pads[0]`, `pads[1]` add entries
 * before and after the last dimension, `pads[2]`, `pads[3]` the one before it,
 * and so on; `npads` is even and at most 2 * ndim. `mode` is "constant"
 * (filled with `value`, converted to x's dtype; negative pads crop),
 * "reflect", "replicate" or "circular" (1 to 3 trailing dims of an input with
 * one or two more dims, as torch; `value` must be 0). The result is a new
 * tensor. INVALID_ARGUMENT for an odd or too long pad list, an unknown mode or
 * a value with a non-constant mode; SHAPE for pads the input cannot take
 * (reflect pads must be smaller than the size); DTYPE for reflect or
 * replicate of a bool tensor. The caller owns `*out`.
 */
EMBER_NODISCARD ember_status ember_pad(const ember_tensor *x, const int64_t *pads, int64_t npads, const char *mode, double value,
                                       ember_tensor **out);

/** A row-major copy, or a new handle to `x` itself if it is already contiguous (torch.contiguous). */
EMBER_NODISCARD ember_status ember_contiguous(const ember_tensor *x, ember_tensor **out);
/** A copy with its own storage that stays in the graph (torch.clone). */
EMBER_NODISCARD ember_status ember_clone(const ember_tensor *x, ember_tensor **out);
/** The tensor converted to `dtype` (torch.Tensor.to(dtype)); a new handle to `x` if the dtype is already `dtype`. Differentiable between floating dtypes. */
EMBER_NODISCARD ember_status ember_to_dtype(const ember_tensor *x, ember_dtype dtype, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_SHAPE_H */
