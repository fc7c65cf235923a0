/**
 * @file ember/conv.h
 * @brief Convolution, pooling and resampling (torch.nn.functional.conv1d,
 *        conv2d, conv_transpose2d, max_pool1d, max_pool2d, avg_pool2d,
 *        adaptive_avg_pool2d, interpolate).
 *
 * Layouts are torch's: (N, C, L) for the 1-D ops and (N, C, H, W) for the 2-D
 * ops. Where torch accepts an input without its batch dim -- (C, L) or
 * (C, H, W) -- so do these functions, and the result has no batch dim either
 * (interpolate always reads dim 0 as the batch, as torch does).
 *
 * Tuple arguments are `const int64_t *` arrays of fixed length: 1 value for
 * the 1-D ops, 2 values (height, width) for the 2-D ops. NULL gives torch's
 * default: stride 1 (for pooling: the kernel size, torch's stride=None),
 * padding 0, dilation 1, output_padding 0. A kernel size is required.
 *
 * Every function writes a new tensor that the caller owns into `*out` (or
 * `*values` and `*indices`), set to NULL on failure; inputs are borrowed. With
 * grad mode on and an input that requires grad, the result records its
 * gradient, and the gradients are differentiable in turn (create_graph gives
 * second and higher derivatives). Float32 and float64 tensors
 * work everywhere; int64 tensors work for convolutions and max/avg pooling
 * (as in torch); bool tensors nowhere (EMBER_ERR_DTYPE).
 *
 * Errors: EMBER_ERR_INVALID_HANDLE (NULL, freed or wrong-kind tensor handle);
 * EMBER_ERR_SHAPE with the shapes in the message (an input of the wrong rank,
 * channels that do not match the weight, a kernel larger than the padded
 * input, an output that would be empty); EMBER_ERR_INVALID_ARGUMENT (a NULL
 * `out` or kernel size, a stride or dilation below 1, a negative padding,
 * groups below 1, a padding or mode string torch does not accept, pooling
 * padding above half the kernel); EMBER_ERR_DTYPE (input, weight and bias of
 * different dtypes; an unsupported dtype). See ember/ops.h.
 */
#ifndef EMBER_CONV_H
#define EMBER_CONV_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * 1-D convolution (torch.nn.functional.conv1d): input (N, C_in, L) or
 * (C_in, L), weight (C_out, C_in / groups, kL), `bias` (C_out) or NULL.
 * `stride`, `padding` and `dilation` hold 1 value each (NULL: 1, 0, 1).
 * Output (N, C_out, L_out) with L_out = (L + 2 * padding - dilation * (kL - 1) - 1) / stride + 1.
 */
EMBER_NODISCARD ember_status ember_conv1d(const ember_tensor *input, const ember_tensor *weight, const ember_tensor *bias,
                                          const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups,
                                          ember_tensor **out);

/**
 * ember_conv1d with padding given as torch's string (the overload torch calls
 * conv1d.padding): "same" pads so that the output is as long as the input
 * (stride must be 1; an odd total padding puts the extra zero at the end, as
 * torch does), "valid" does not pad. Other strings are INVALID_ARGUMENT.
 */
EMBER_NODISCARD ember_status ember_conv1d_padding(const ember_tensor *input, const ember_tensor *weight, const ember_tensor *bias,
                                                  const int64_t *stride, const char *padding, const int64_t *dilation,
                                                  int64_t groups, ember_tensor **out);

/**
 * 2-D convolution (torch.nn.functional.conv2d): input (N, C_in, H, W) or
 * (C_in, H, W), weight (C_out, C_in / groups, kH, kW), `bias` (C_out) or
 * NULL. `stride`, `padding` and `dilation` hold 2 values each, (height,
 * width) (NULL: 1, 0, 1). Runs as packed GEMM on BLAS, the batch in chunks
 * of bounded memory, on every thread (ember_set_num_threads).
 */
EMBER_NODISCARD ember_status ember_conv2d(const ember_tensor *input, const ember_tensor *weight, const ember_tensor *bias,
                                          const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups,
                                          ember_tensor **out);

/** ember_conv2d with padding "same" or "valid" (torch's conv2d.padding); see ember_conv1d_padding. */
EMBER_NODISCARD ember_status ember_conv2d_padding(const ember_tensor *input, const ember_tensor *weight, const ember_tensor *bias,
                                                  const int64_t *stride, const char *padding, const int64_t *dilation,
                                                  int64_t groups, ember_tensor **out);

/**
 * Transposed 2-D convolution (torch.nn.functional.conv_transpose2d), with
 * torch's argument order: input (N, C_in, H, W) or (C_in, H, W), weight
 * (C_in, C_out / groups, kH, kW), `bias` (C_out) or NULL; `stride`,
 * `padding`, `output_padding` and `dilation` hold 2 values each (NULL: 1, 0,
 * 0, 1). The output is H_out = (H - 1) * stride - 2 * padding + dilation *
 * (kH - 1) + output_padding + 1 high (likewise wide); output_padding must be
 * below the stride or the dilation (INVALID_ARGUMENT), and a negative output
 * size is SHAPE.
 */
EMBER_NODISCARD ember_status ember_conv_transpose2d(const ember_tensor *input, const ember_tensor *weight, const ember_tensor *bias,
                                                    const int64_t *stride, const int64_t *padding, const int64_t *output_padding,
                                                    int64_t groups, const int64_t *dilation, ember_tensor **out);

/**
 * 1-D max pooling (torch.nn.functional.max_pool1d) over (N, C, L) or (C, L):
 * `kernel_size` (1 value, required), `stride` (NULL: the kernel size),
 * `padding` (NULL: 0; at most half the kernel), `dilation` (NULL: 1).
 * `ceil_mode` rounds the output length up, as torch does (a window that would
 * start in the right padding is dropped). Ties go to the first maximum; a NaN
 * in a window is its maximum.
 */
EMBER_NODISCARD ember_status ember_max_pool1d(const ember_tensor *input, const int64_t *kernel_size, const int64_t *stride,
                                              const int64_t *padding, const int64_t *dilation, bool ceil_mode, ember_tensor **out);

/**
 * ember_max_pool1d that also returns, in `*indices`, the int64 position of
 * each maximum within its input row (torch's return_indices=True).
 */
EMBER_NODISCARD ember_status ember_max_pool1d_with_indices(const ember_tensor *input, const int64_t *kernel_size,
                                                           const int64_t *stride, const int64_t *padding,
                                                           const int64_t *dilation, bool ceil_mode, ember_tensor **values,
                                                           ember_tensor **indices);

/**
 * 2-D max pooling (torch.nn.functional.max_pool2d) over (N, C, H, W) or
 * (C, H, W); every tuple holds 2 values; see ember_max_pool1d.
 */
EMBER_NODISCARD ember_status ember_max_pool2d(const ember_tensor *input, const int64_t *kernel_size, const int64_t *stride,
                                              const int64_t *padding, const int64_t *dilation, bool ceil_mode, ember_tensor **out);

/**
 * ember_max_pool2d that also returns, in `*indices`, the int64 position
 * h * W + w of each maximum within its (H, W) input plane.
 */
EMBER_NODISCARD ember_status ember_max_pool2d_with_indices(const ember_tensor *input, const int64_t *kernel_size,
                                                           const int64_t *stride, const int64_t *padding,
                                                           const int64_t *dilation, bool ceil_mode, ember_tensor **values,
                                                           ember_tensor **indices);

/**
 * 2-D average pooling (torch.nn.functional.avg_pool2d) over (N, C, H, W) or
 * (C, H, W): `kernel_size` (2 values, required), `stride` (NULL: the kernel
 * size), `padding` (NULL: 0). Each window's sum is divided by
 * `*divisor_override` if that pointer is not NULL (it must not point to 0),
 * else by the window size clipped to the padded input if
 * `count_include_pad`, else by the number of input elements in the window.
 */
EMBER_NODISCARD ember_status ember_avg_pool2d(const ember_tensor *input, const int64_t *kernel_size, const int64_t *stride,
                                              const int64_t *padding, bool ceil_mode, bool count_include_pad,
                                              const int64_t *divisor_override, ember_tensor **out);

/**
 * Adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d) of
 * (N, C, H, W) or (C, H, W) to `output_size` (2 values, each at least 0):
 * output cell i of OH averages input rows floor(i * H / OH) up to
 * ceil((i + 1) * H / OH) (likewise columns). Floating dtypes only.
 */
EMBER_NODISCARD ember_status ember_adaptive_avg_pool2d(const ember_tensor *input, const int64_t *output_size, ember_tensor **out);

/**
 * Resamples the spatial dims of (N, C, L) or (N, C, H, W) to `size`
 * (torch.nn.functional.interpolate(input, size=..., mode=...)): `nsize` is 1
 * (the same size for every spatial dim) or the number of spatial dims. `mode`
 * is "nearest" (torch's legacy nearest: source floor(dst * in / out)),
 * "nearest-exact" (source floor((dst + 0.5) * in / out)) or "bilinear" (4-D
 * input only). `align_corners` (bilinear only; true is INVALID_ARGUMENT for
 * the nearest modes, as in torch) maps the centres of the corner pixels onto
 * each other. Floating dtypes only.
 */
EMBER_NODISCARD ember_status ember_interpolate_size(const ember_tensor *input, const int64_t *size, int64_t nsize,
                                                    const char *mode, bool align_corners, ember_tensor **out);

/**
 * Resamples by `scale_factor` (torch.nn.functional.interpolate(input,
 * scale_factor=...)): `nscale` is 1 or the number of spatial dims; each
 * output size is floor(size * scale). As in torch, the sampling uses
 * 1 / scale_factor unless `recompute_scale_factor`, which uses input size /
 * output size instead. Modes and `align_corners` as ember_interpolate_size.
 */
EMBER_NODISCARD ember_status ember_interpolate_scale(const ember_tensor *input, const double *scale_factor, int64_t nscale,
                                                     const char *mode, bool align_corners, bool recompute_scale_factor,
                                                     ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_CONV_H */
