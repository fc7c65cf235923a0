"""torch.nn.functional over the C API: activations, losses, convolution,
pooling, resampling, normalisation, dropout, embedding, attention, padding."""

from __future__ import annotations

from ctypes import byref, c_void_p
from typing import Any, Optional, Sequence, Union

from .. import _ops as ops
from .._errors import InvalidArgumentError
from .._ffi import C, cstr, double_array, int64_array
from .._ops import _call1, _call2, _out_tensor, log_softmax, relu, selu, sigmoid, softmax, tanh
from .._tensor import Tensor, _wrap

__all__ = [
    "relu", "relu_", "relu6", "elu", "selu", "leaky_relu", "gelu", "silu", "mish", "softplus", "hardtanh", "sigmoid",
    "tanh", "softmax", "log_softmax", "softmin", "logsigmoid", "normalize", "linear", "dropout", "embedding",
    "one_hot", "pad", "layer_norm", "batch_norm", "group_norm", "conv1d", "conv2d", "conv_transpose2d", "max_pool1d",
    "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "interpolate", "upsample", "scaled_dot_product_attention",
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity", "pairwise_distance",
]

IntOrPair = Union[int, Sequence[int]]
_REDUCTIONS = {"mean": b"mean", "sum": b"sum", "none": b"none", "batchmean": b"batchmean"}


def _reduction(reduction: str, size_average: Optional[bool] = None, reduce: Optional[bool] = None) -> bytes:
    """The reduction string as bytes, or torch's legacy one from size_average and reduce."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    value = _REDUCTIONS.get(reduction)
    return value if value is not None else reduction.encode()


def _h(t: Optional[Tensor]) -> Optional[int]:
    return None if t is None else t._h


def _tuple(value: Any, n: int) -> Any:
    """An int or tuple argument as a C int64 array of ``n`` values (None stays NULL)."""
    if value is None:
        return None
    if isinstance(value, int):
        return int64_array([value] * n)
    values = list(value)
    if len(values) == 1 and n > 1:
        values = values * n
    return int64_array(values)


def _pool_stride(stride: Any, n: int) -> Any:
    """A pooling stride as _tuple does it; None or [] (the kernel size) stays NULL."""
    return _tuple(stride, n) if stride not in (None, []) else None


# ---------------------------------------------------------------------- activations

def relu_(input: Tensor) -> Tensor:
    """relu in place (torch.nn.functional.relu_)."""
    return ops.relu_(input)


def _maybe_inplace(input: Tensor, result: Tensor, inplace: bool) -> Tensor:
    return ops.copy_(input, result) if inplace else result


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) (F.relu6)."""
    return _maybe_inplace(input, _call1(C.ember_relu6, input._h), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (e^x - 1) (F.elu)."""
    return _maybe_inplace(input, _call1(C.ember_elu, input._h, float(alpha)), inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x (F.leaky_relu)."""
    return _maybe_inplace(input, _call1(C.ember_leaky_relu, input._h, float(negative_slope)), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (F.gelu); approximate='tanh' for the tanh form."""
    if approximate == "none":
        return _call1(C.ember_gelu, input._h)
    if approximate == "tanh":
        return _call1(C.ember_gelu_tanh, input._h)
    raise InvalidArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (F.silu)."""
    return _maybe_inplace(input, _call1(C.ember_silu, input._h), inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) (F.mish)."""
    return _maybe_inplace(input, _call1(C.ember_mish, input._h), inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta (F.softplus)."""
    return _call1(C.ember_softplus, input._h, float(beta), float(threshold))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val] (F.hardtanh)."""
    return _maybe_inplace(input, _call1(C.ember_hardtanh, input._h, float(min_val), float(max_val)), inplace)


def softmin(input: Tensor, dim: Optional[int] = None, dtype: Any = None) -> Tensor:
    """softmax(-x) (F.softmin)."""
    return softmax(ops.neg(input), dim, dtype)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x) (F.logsigmoid)."""
    return ops.neg(softplus(ops.neg(input)))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along ``dim`` (F.normalize)."""
    n = ops.clamp_min(ops.norm(input, p, dim, keepdim=True), eps)
    return ops.div(input, ops.expand_as(n, input))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / max(||x1|| ||x2||, eps) along ``dim`` (F.cosine_similarity)."""
    num = ops.sum(ops.mul(x1, x2), dim)
    den = ops.clamp_min(ops.mul(ops.norm(x1, 2, dim), ops.norm(x2, 2, dim)), eps)
    return ops.div(num, den)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (F.pairwise_distance)."""
    return ops.norm(ops.add(ops.sub(x1, x2), eps), p, -1, keepdim)


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x W^T + b (F.linear)."""
    out = ops.matmul(input, ops.t(weight) if weight.ndim == 2 else weight)
    return ops.add(out, bias) if bias is not None else out


# ---------------------------------------------------------------------- dropout, embedding, padding

def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes elements with probability p and scales the rest by 1 / (1 - p) when
    training (F.dropout), with torch's mask for the same seed."""
    out = _call1(C.ember_dropout, input._h, float(p), bool(training))
    return ops.copy_(input, out) if inplace and training else out


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` for the int64 indices in ``input`` (F.embedding)."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise InvalidArgumentError("embedding: max_norm, scale_grad_by_freq and sparse are not supported by ember")
    if padding_idx is None:
        return _call1(C.ember_embedding, input._h, weight._h)
    return _call1(C.ember_embedding_padding_idx, input._h, weight._h, int(padding_idx))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor with a trailing dim of size num_classes, 1 at each index (F.one_hot)."""
    return _call1(C.ember_one_hot, tensor._h, int(num_classes))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pads the last dims (F.pad): pad = (left, right, top, bottom, ...); mode
    'constant', 'reflect', 'replicate' or 'circular'."""
    pads = list(pad)
    return _call1(C.ember_pad, input._h, int64_array(pads), len(pads), cstr(mode), float(value or 0.0))


# ---------------------------------------------------------------------- normalisation

def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Normalises over the last dims (F.layer_norm)."""
    shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
    return _call1(C.ember_layer_norm, input._h, int64_array(shape), len(shape), _h(weight), _h(bias), float(eps))


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation (F.batch_norm); updates the running statistics in place when training."""
    return _call1(C.ember_batch_norm, input._h, _h(running_mean), _h(running_var), _h(weight), _h(bias),
                  bool(training), float(momentum), float(eps))


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Group normalisation (F.group_norm)."""
    return _call1(C.ember_group_norm, input._h, int(num_groups), _h(weight), _h(bias), float(eps))


# ---------------------------------------------------------------------- convolution and pooling

def _conv(n: int, fn: Any, fn_padding: Any, input: Tensor, weight: Tensor, bias: Optional[Tensor], stride: IntOrPair,
          padding: Union[IntOrPair, str], dilation: IntOrPair, groups: int) -> Tensor:
    """conv1d (n = 1) and conv2d (n = 2): ``fn`` with numeric padding, ``fn_padding`` with 'same' or 'valid'."""
    head = (input._h, weight._h, _h(bias), _tuple(stride, n))
    if isinstance(padding, str):
        return _call1(fn_padding, *head, cstr(padding), _tuple(dilation, n), int(groups))
    return _call1(fn, *head, _tuple(padding, n), _tuple(dilation, n), int(groups))


def conv1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: IntOrPair = 1,
           padding: Union[IntOrPair, str] = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """1-D convolution (F.conv1d); padding may be 'same' or 'valid'."""
    return _conv(1, C.ember_conv1d, C.ember_conv1d_padding, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: IntOrPair = 1,
           padding: Union[IntOrPair, str] = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """2-D convolution (F.conv2d); padding may be 'same' or 'valid'."""
    return _conv(2, C.ember_conv2d, C.ember_conv2d_padding, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: IntOrPair = 1,
                     padding: IntOrPair = 0, output_padding: IntOrPair = 0, groups: int = 1,
                     dilation: IntOrPair = 1) -> Tensor:
    """Transposed 2-D convolution (F.conv_transpose2d)."""
    return _call1(C.ember_conv_transpose2d, input._h, weight._h, _h(bias), _tuple(stride, 2), _tuple(padding, 2),
                  _tuple(output_padding, 2), int(groups), _tuple(dilation, 2))


def _max_pool(n: int, fn: Any, fn_with_indices: Any, input: Tensor, kernel_size: IntOrPair,
              stride: Optional[IntOrPair], padding: IntOrPair, dilation: IntOrPair, ceil_mode: bool,
              return_indices: bool) -> Any:
    """max_pool1d (n = 1) and max_pool2d (n = 2): ``fn``, or ``fn_with_indices`` for (values, indices)."""
    args = (input._h, _tuple(kernel_size, n), _pool_stride(stride, n), _tuple(padding, n), _tuple(dilation, n),
            bool(ceil_mode))
    if return_indices:
        return _call2(fn_with_indices, *args)
    return _call1(fn, *args)


def max_pool1d(input: Tensor, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None, padding: IntOrPair = 0,
               dilation: IntOrPair = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-D max pooling (F.max_pool1d); with return_indices the pair (values, indices)."""
    return _max_pool(1, C.ember_max_pool1d, C.ember_max_pool1d_with_indices, input, kernel_size, stride, padding,
                     dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None, padding: IntOrPair = 0,
               dilation: IntOrPair = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-D max pooling (F.max_pool2d); with return_indices the pair (values, indices)."""
    return _max_pool(2, C.ember_max_pool2d, C.ember_max_pool2d_with_indices, input, kernel_size, stride, padding,
                     dilation, ceil_mode, return_indices)


def avg_pool2d(input: Tensor, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None, padding: IntOrPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """2-D average pooling (F.avg_pool2d)."""
    divisor = None if divisor_override is None else int64_array([divisor_override])
    return _call1(C.ember_avg_pool2d, input._h, _tuple(kernel_size, 2), _pool_stride(stride, 2), _tuple(padding, 2),
                  bool(ceil_mode), bool(count_include_pad), divisor)


def adaptive_avg_pool2d(input: Tensor, output_size: Union[int, Sequence[Optional[int]]]) -> Tensor:
    """Adaptive average pooling to ``output_size`` (F.adaptive_avg_pool2d); None keeps a size."""
    if isinstance(output_size, int):
        size = [output_size, output_size]
    else:
        size = list(output_size)
        for i, s in enumerate(size):
            if s is None:
                size[i] = input.shape[-2 + i]
    return _call1(C.ember_adaptive_avg_pool2d, input._h, int64_array(size))


def interpolate(input: Tensor, size: Optional[IntOrPair] = None, scale_factor: Union[float, Sequence[float], None] = None,
                mode: str = "nearest", align_corners: Optional[bool] = None,
                recompute_scale_factor: Optional[bool] = None, antialias: bool = False) -> Tensor:
    """Resamples the spatial dims to ``size`` or by ``scale_factor`` (F.interpolate);
    modes 'nearest', 'nearest-exact' and 'bilinear'."""
    if antialias:
        raise InvalidArgumentError("interpolate: antialias is not supported by ember")
    if (size is None) == (scale_factor is None):
        raise InvalidArgumentError("interpolate: exactly one of size and scale_factor must be given")
    if size is not None:
        sizes = [size] if isinstance(size, int) else list(size)
        return _call1(C.ember_interpolate_size, input._h, int64_array(sizes), len(sizes), cstr(mode),
                      bool(align_corners))
    scales = [scale_factor] if isinstance(scale_factor, (int, float)) else list(scale_factor)
    return _call1(C.ember_interpolate_scale, input._h, double_array(float(s) for s in scales), len(scales), cstr(mode),
                  bool(align_corners), bool(recompute_scale_factor))


upsample = interpolate


# ---------------------------------------------------------------------- attention

def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Optional[Tensor] = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T / sqrt(E) + mask) v (F.scaled_dot_product_attention)."""
    if enable_gqa:
        raise InvalidArgumentError("scaled_dot_product_attention: enable_gqa is not supported by ember")
    if scale is None:
        return _call1(C.ember_scaled_dot_product_attention, query._h, key._h, value._h, _h(attn_mask),
                      float(dropout_p), bool(is_causal))
    return _call1(C.ember_scaled_dot_product_attention_scale, query._h, key._h, value._h, _h(attn_mask),
                  float(dropout_p), bool(is_causal), float(scale))


# ---------------------------------------------------------------------- losses

def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                  ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim, then the negative log-likelihood of the
    targets (class indices or probabilities) (F.cross_entropy)."""
    out = c_void_p()
    if (weight is None and ignore_index == -100 and reduction == "mean" and not label_smoothing
            and size_average is None and reduce is None):
        # The common case: the fused kernel (ember_cross_entropy). It refuses what
        # it does not cover (ignored -100 targets, probabilities, more dims); the
        # general form then decides, as torch would.
        if C.ember_cross_entropy(input._h, target._h, byref(out)) == 0:
            return _wrap(out.value)
    red = _reduction(reduction, size_average, reduce)
    return _out_tensor(C.ember_cross_entropy_ex(input._h, target._h, None if weight is None else weight._h,
                                                int(ignore_index), red, float(label_smoothing), byref(out)), out)


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
             ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of log-probabilities (F.nll_loss)."""
    return _call1(C.ember_nll_loss, input._h, target._h, _h(weight), int(ignore_index),
                  _reduction(reduction, size_average, reduce))


def mse_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
             reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced (F.mse_loss)."""
    red = _reduction(reduction, size_average, reduce)
    if red == b"mean":
        return _call1(C.ember_mse_loss, input._h, target._h)
    return _call1(C.ember_mse_loss_ex, input._h, target._h, red)


def l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
            reduction: str = "mean") -> Tensor:
    """|input - target|, reduced (F.l1_loss)."""
    return _call1(C.ember_l1_loss, input._h, target._h, _reduction(reduction, size_average, reduce))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """The smooth L1 loss (F.smooth_l1_loss)."""
    return _call1(C.ember_smooth_l1_loss, input._h, target._h, _reduction(reduction, size_average, reduce), float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """The Huber loss (F.huber_loss)."""
    if weight is not None:
        raise InvalidArgumentError("huber_loss: weight is not supported by ember")
    return _call1(C.ember_huber_loss, input._h, target._h, _reduction(reduction), float(delta))


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities (F.binary_cross_entropy)."""
    return _call1(C.ember_binary_cross_entropy, input._h, target._h, _h(weight),
                  _reduction(reduction, size_average, reduce))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                                     reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> Tensor:
    """Binary cross-entropy on logits, computed stably (F.binary_cross_entropy_with_logits)."""
    return _call1(C.ember_binary_cross_entropy_with_logits, input._h, target._h, _h(weight), _h(pos_weight),
                  _reduction(reduction, size_average, reduce))


def kl_div(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """The KL divergence of log-probabilities ``input`` from ``target`` (F.kl_div)."""
    return _call1(C.ember_kl_div, input._h, target._h, _reduction(reduction, size_average, reduce), bool(log_target))
