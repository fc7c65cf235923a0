"""The built-in layers: each wraps a C module made with
ember_module_new(type, args), with torch's class name, constructor signature,
attributes and forward signature."""

from __future__ import annotations

import math
from ctypes import byref, c_int64, c_void_p
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ... import _dtype as D
from ..._dtype import as_dtype
from ..._errors import InvalidArgumentError
from ..._ffi import C, raise_status
from ..._ops import _call1, _out_tensor
from ..._tensor import Tensor, _check_device, _wrap, zeros
from .module import BUILTIN_CLASSES, Module, _module_new, _own_extra_repr, _summary

__all__ = [
    "Identity", "Linear", "NonDynamicallyQuantizableLinear", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool1d",
    "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Upsample", "Flatten", "Unflatten", "ReLU", "LeakyReLU", "ELU",
    "SELU", "GELU", "SiLU", "Mish", "Softplus", "Hardtanh", "ReLU6", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm", "Embedding", "Dropout", "RNN", "LSTM", "GRU",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "Transformer",
]

IntOrTuple = Union[int, Tuple[int, ...]]
_module_forward = C.ember_module_forward
_hooked_builtins = [False]  # set once a forward hook is put on a built-in layer (see Sequential.forward)


def _format_value(value: Any) -> str:
    """A constructor argument in the Python syntax ember_module_new parses."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgumentError(f"a constructor argument must be finite, got {value}")
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (tuple, list)):
        items = [_format_value(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, Tensor) and value.numel() == 1:
        return _format_value(value.item())
    if isinstance(value, D.dtype):
        raise InvalidArgumentError("a dtype is not a constructor argument here")
    raise TypeError(f"cannot pass a {type(value).__name__} as a constructor argument")


def _same(value: Any, default: Any) -> bool:
    return value is default or (type(value) is type(default) and value == default)


def builtin(type_name: str) -> Callable[[type], type]:
    """Registers a class as the Python face of a C module type."""
    def register(cls: type) -> type:
        cls._type_name = type_name
        cls._builtin_forward = cls.forward
        BUILTIN_CLASSES[type_name] = cls
        return cls
    return register


def _pair(value: Any, n: int) -> Any:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    if isinstance(value, str) or value is None:
        return value
    return (value,) * n


class _Builtin(Module):
    """A layer made by the C library (ember_module_new)."""

    _type_name = ""

    def __init__(self) -> None:
        self._init_state()

    def _build(self, positional: Sequence[Any] = (), keywords: Optional[Dict[str, Tuple[Any, Any]]] = None,
               device: Any = None, dtype: Any = None, type_name: Optional[str] = None) -> None:
        """Makes the C module from torch's arguments: ``positional`` values, then
        ``name=value`` for each keyword whose value differs from its default."""
        _check_device(device)
        type_name = type_name or self._type_name
        parts = [_format_value(v) for v in positional]
        for name, (value, default) in (keywords or {}).items():
            if not _same(value, default):
                parts.append(f"{name}={_format_value(value)}")
        args = ", ".join(parts)
        h = _module_new(type_name, args)
        object.__setattr__(self, "_ctor_args", args)
        self._adopt(h, type_name)
        if dtype is not None and as_dtype(dtype) is not D.float32:
            self.to(dtype)

    def forward(self, input: Tensor) -> Tensor:
        """Runs the C module on ``input`` (ember_module_forward)."""
        out = c_void_p()
        return _out_tensor(_module_forward(self._bh, input._h, byref(out)), out)

    def _forward_multi(self, *inputs: Tensor, capacity: int = 16) -> List[Tensor]:
        """Runs the C module on several inputs (ember_module_forward_multi)."""
        handles = (c_void_p * len(inputs))(*[t._h for t in inputs])
        outs = (c_void_p * capacity)()
        n = c_int64()
        st = C.ember_module_forward_multi(self._bh, handles, len(inputs), outs, capacity, byref(n))
        if st:
            raise_status(st)
        return [_wrap(outs[i]) for i in range(n.value)]

    def register_forward_hook(self, hook: Callable) -> Any:
        _hooked_builtins[0] = True
        return super().register_forward_hook(hook)

    def register_forward_pre_hook(self, hook: Callable) -> Any:
        _hooked_builtins[0] = True
        return super().register_forward_pre_hook(hook)

    def extra_repr(self) -> str:
        return _own_extra_repr(_summary(self._bh))

    def __repr__(self) -> str:
        text = _summary(self._bh)
        if not self._modules or all(type(m)._builtin_forward is not None for m in self._modules.values()):
            return self._get_name() + text[text.index("("):]
        return super().__repr__()


_EMPTY: List[Tensor] = []


def _empty() -> Tensor:
    """A tensor without elements: the C API's "no mask here" placeholder."""
    if not _EMPTY:
        _EMPTY.append(zeros(0))
    return _EMPTY[0]


def _optional_inputs(*tensors: Optional[Tensor]) -> List[Tensor]:
    """Optional trailing inputs of _forward_multi (masks): those up to the last
    one given, with the _empty() placeholder for each None before it."""
    given = [i for i, t in enumerate(tensors) if t is not None]
    if not given:
        return []
    return [_empty() if t is None else t for t in tensors[:given[-1] + 1]]


class _GenericBuiltin(_Builtin):
    """A C module type without a dedicated Python class."""

    def _get_name(self) -> str:
        return self.__dict__.get("_type", "Module")


_GenericBuiltin._builtin_forward = _GenericBuiltin.forward


# ---------------------------------------------------------------------- core layers

@builtin("Identity")
class Identity(_Builtin):
    """Returns its input (torch.nn.Identity); arguments are ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._build()


@builtin("Linear")
class Linear(_Builtin):
    """y = x W^T + b (torch.nn.Linear), initialised as torch does from the global generator."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self._build((in_features, out_features), {"bias": (bias, True)}, device, dtype)
        self.in_features = in_features
        self.out_features = out_features


@builtin("NonDynamicallyQuantizableLinear")
class NonDynamicallyQuantizableLinear(Linear):
    """The Linear that MultiheadAttention uses as out_proj (torch's class of that name)."""


@builtin("Flatten")
class Flatten(_Builtin):
    """Dims start_dim..end_dim merged into one (torch.nn.Flatten)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self._build((), {"start_dim": (start_dim, 1), "end_dim": (end_dim, -1)})
        self.start_dim, self.end_dim = start_dim, end_dim


@builtin("Unflatten")
class Unflatten(_Builtin):
    """Dim ``dim`` split into ``unflattened_size`` (torch.nn.Unflatten)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self._build((dim, tuple(unflattened_size)))
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)


# ---------------------------------------------------------------------- convolution and pooling

class _ConvNd(_Builtin):
    _n = 2

    def _conv(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple,
              padding: Union[IntOrTuple, str], dilation: IntOrTuple, groups: int, bias: bool, padding_mode: str,
              device: Any, dtype: Any) -> None:
        n = self._n
        self._build((in_channels, out_channels, kernel_size),
                    {"stride": (stride, 1), "padding": (padding, 0), "dilation": (dilation, 1), "groups": (groups, 1),
                     "bias": (bias, True), "padding_mode": (padding_mode, "zeros")}, device, dtype)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size, n), _pair(stride, n)
        self.padding, self.dilation = _pair(padding, n), _pair(dilation, n)
        self.groups, self.padding_mode = groups, padding_mode


@builtin("Conv1d")
class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) (torch.nn.Conv1d); padding may be 'same' or 'valid'."""

    _n = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                 padding: Union[IntOrTuple, str] = 0, dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._conv(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                   device, dtype)


@builtin("Conv2d")
class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) (torch.nn.Conv2d); padding may be 'same' or 'valid'."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                 padding: Union[IntOrTuple, str] = 0, dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._conv(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                   device, dtype)


@builtin("ConvTranspose2d")
class ConvTranspose2d(_Builtin):
    """Transposed 2-D convolution (torch.nn.ConvTranspose2d)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                 padding: IntOrTuple = 0, output_padding: IntOrTuple = 0, groups: int = 1, bias: bool = True,
                 dilation: IntOrTuple = 1, padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._build((in_channels, out_channels, kernel_size),
                    {"stride": (stride, 1), "padding": (padding, 0), "output_padding": (output_padding, 0),
                     "groups": (groups, 1), "bias": (bias, True), "dilation": (dilation, 1),
                     "padding_mode": (padding_mode, "zeros")}, device, dtype)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size, 2), _pair(stride, 2)
        self.padding, self.output_padding = _pair(padding, 2), _pair(output_padding, 2)
        self.groups, self.dilation, self.padding_mode = groups, _pair(dilation, 2), padding_mode


class _MaxPoolNd(_Builtin):
    def _pool(self, kernel_size: IntOrTuple, stride: Optional[IntOrTuple], padding: IntOrTuple,
              dilation: IntOrTuple, return_indices: bool, ceil_mode: bool) -> None:
        self._build((kernel_size,), {"stride": (stride, None), "padding": (padding, 0), "dilation": (dilation, 1),
                                     "return_indices": (return_indices, False), "ceil_mode": (ceil_mode, False)})
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        """The pooled tensor, or (values, indices) with return_indices."""
        if self.return_indices:
            values, indices = self._forward_multi(input)
            return values, indices
        return _Builtin.forward(self, input)


@builtin("MaxPool1d")
class MaxPool1d(_MaxPoolNd):
    """1-D max pooling (torch.nn.MaxPool1d)."""

    def __init__(self, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
                 dilation: IntOrTuple = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self._pool(kernel_size, stride, padding, dilation, return_indices, ceil_mode)


@builtin("MaxPool2d")
class MaxPool2d(_MaxPoolNd):
    """2-D max pooling (torch.nn.MaxPool2d)."""

    def __init__(self, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
                 dilation: IntOrTuple = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self._pool(kernel_size, stride, padding, dilation, return_indices, ceil_mode)


@builtin("AvgPool2d")
class AvgPool2d(_Builtin):
    """2-D average pooling (torch.nn.AvgPool2d)."""

    def __init__(self, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: Optional[int] = None) -> None:
        super().__init__()
        self._build((kernel_size,), {"stride": (stride, None), "padding": (padding, 0), "ceil_mode": (ceil_mode, False),
                                     "count_include_pad": (count_include_pad, True),
                                     "divisor_override": (divisor_override, None)})
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override


@builtin("AdaptiveAvgPool2d")
class AdaptiveAvgPool2d(_Builtin):
    """Adaptive average pooling to ``output_size`` (torch.nn.AdaptiveAvgPool2d)."""

    def __init__(self, output_size: IntOrTuple) -> None:
        super().__init__()
        self._build((output_size,))
        self.output_size = output_size


@builtin("Upsample")
class Upsample(_Builtin):
    """Resampling by size or scale factor (torch.nn.Upsample)."""

    def __init__(self, size: Optional[IntOrTuple] = None, scale_factor: Optional[Union[float, Tuple[float, ...]]] = None,
                 mode: str = "nearest", align_corners: Optional[bool] = None,
                 recompute_scale_factor: Optional[bool] = None) -> None:
        super().__init__()
        if isinstance(scale_factor, int):
            scale_factor = float(scale_factor)
        self._build((), {"size": (size, None), "scale_factor": (scale_factor, None), "mode": (mode, "nearest"),
                         "align_corners": (align_corners, None),
                         "recompute_scale_factor": (recompute_scale_factor, None)})
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor


# ---------------------------------------------------------------------- activations

def _activation(type_name: str, doc: str, params: Sequence[Tuple[str, Any]]) -> type:
    names = [p for p, _ in params]

    def __init__(self: _Builtin, *args: Any, **kwargs: Any) -> None:
        _Builtin.__init__(self)
        if len(args) > len(names):
            raise TypeError(f"{type_name}() takes at most {len(names)} arguments")
        values = dict(params)
        for name, value in zip(names, args):
            values[name] = value
        for name, value in kwargs.items():
            if name not in values:
                raise TypeError(f"{type_name}() got an unexpected keyword argument '{name}'")
            values[name] = value
        self._build((), {name: (values[name], default) for name, default in params})
        for name in names:
            object.__setattr__(self, name, values[name])

    import inspect
    P = inspect.Parameter
    __init__.__signature__ = inspect.Signature(
        [P("self", P.POSITIONAL_ONLY)] + [P(n, P.POSITIONAL_OR_KEYWORD, default=d) for n, d in params])
    signature = ", ".join(f"{n}={d!r}" for n, d in params)
    cls = type(type_name, (_Builtin,), {
        "__init__": __init__,
        "__doc__": f"{doc} (torch.nn.{type_name}({signature})).",
        "__module__": __name__,
    })
    return builtin(type_name)(cls)


ReLU = _activation("ReLU", "max(x, 0)", [("inplace", False)])
LeakyReLU = _activation("LeakyReLU", "x if x > 0 else negative_slope * x", [("negative_slope", 0.01), ("inplace", False)])
ELU = _activation("ELU", "x if x > 0 else alpha * (e^x - 1)", [("alpha", 1.0), ("inplace", False)])
SELU = _activation("SELU", "scale * elu(x) with torch's constants", [("inplace", False)])
GELU = _activation("GELU", "x * Phi(x)", [("approximate", "none")])
SiLU = _activation("SiLU", "x * sigmoid(x)", [("inplace", False)])
Mish = _activation("Mish", "x * tanh(softplus(x))", [("inplace", False)])
Softplus = _activation("Softplus", "log(1 + e^(beta x)) / beta", [("beta", 1.0), ("threshold", 20.0)])
Hardtanh = _activation("Hardtanh", "x clamped to [min_val, max_val]",
                       [("min_val", -1.0), ("max_val", 1.0), ("inplace", False), ("min_value", None),
                        ("max_value", None)])
ReLU6 = _activation("ReLU6", "min(max(x, 0), 6)", [("inplace", False)])
Sigmoid = _activation("Sigmoid", "1 / (1 + e^-x)", [])
Tanh = _activation("Tanh", "Hyperbolic tangent", [])
Softmax = _activation("Softmax", "exp(x) / sum(exp(x)) along dim", [("dim", None)])
LogSoftmax = _activation("LogSoftmax", "log(softmax(x)) along dim", [("dim", None)])


# ---------------------------------------------------------------------- normalisation

class _BatchNorm(_Builtin):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._build((num_features,), {"eps": (eps, 1e-5), "momentum": (momentum, 0.1), "affine": (affine, True),
                                      "track_running_stats": (track_running_stats, True)}, device, dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats


@builtin("BatchNorm1d")
class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) (torch.nn.BatchNorm1d)."""


@builtin("BatchNorm2d")
class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) (torch.nn.BatchNorm2d)."""


@builtin("GroupNorm")
class GroupNorm(_Builtin):
    """Group normalisation (torch.nn.GroupNorm)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._build((num_groups, num_channels), {"eps": (eps, 1e-5), "affine": (affine, True)}, device, dtype)
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine


@builtin("LayerNorm")
class LayerNorm(_Builtin):
    """Layer normalisation over the last dims (torch.nn.LayerNorm)."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self._build((shape,), {"eps": (eps, 1e-5), "elementwise_affine": (elementwise_affine, True),
                               "bias": (bias, True)}, device, dtype)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine


# ---------------------------------------------------------------------- embedding and dropout

@builtin("Embedding")
class Embedding(_Builtin):
    """A lookup table of embeddings (torch.nn.Embedding)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: Optional[int] = None,
                 max_norm: Optional[float] = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Optional[Tensor] = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        keywords = {"padding_idx": (padding_idx, None), "max_norm": (max_norm, None), "norm_type": (norm_type, 2.0),
                    "scale_grad_by_freq": (scale_grad_by_freq, False), "sparse": (sparse, False),
                    "_freeze": (_freeze, False)}
        if _weight is None:
            self._build((num_embeddings, embedding_dim), keywords, device, dtype)
        else:
            # torch uses the given weight without drawing an initialisation
            from ...serialization import rng_preserved
            with rng_preserved():
                self._build((num_embeddings, embedding_dim), keywords, device, dtype)
            from ..._grad_mode import no_grad
            with no_grad():
                self.weight.copy_(_weight)
            if _freeze:
                self.weight.requires_grad_(False)
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: Optional[int] = None,
                        max_norm: Optional[float] = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """An Embedding whose weight is ``embeddings`` (torch.nn.Embedding.from_pretrained)."""
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings,
                   _freeze=freeze)


@builtin("Dropout")
class Dropout(_Builtin):
    """Zeroes elements with probability p when training (torch.nn.Dropout), with torch's masks."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self._build((), {"p": (p, 0.5), "inplace": (inplace, False)})
        self.p, self.inplace = p, inplace


# ---------------------------------------------------------------------- recurrent layers

class _RNNBase(_Builtin):
    def _rnn(self, values: Dict[str, Tuple[Any, Any]], input_size: int, hidden_size: int, device: Any,
             dtype: Any) -> None:
        self._build((input_size, hidden_size), values, device, dtype)
        self.input_size, self.hidden_size = input_size, hidden_size
        for name, (value, _) in values.items():
            object.__setattr__(self, name, value)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """(output, h_n) for input and an optional initial hidden state."""
        output, h_n = self._forward_multi(*([input] if hx is None else [input, hx]))
        return output, h_n


@builtin("RNN")
class RNN(_RNNBase):
    """An Elman RNN with tanh or relu (torch.nn.RNN)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._rnn({"num_layers": (num_layers, 1), "nonlinearity": (nonlinearity, "tanh"), "bias": (bias, True),
                   "batch_first": (batch_first, False), "dropout": (float(dropout), 0.0),
                   "bidirectional": (bidirectional, False)}, input_size, hidden_size, device, dtype)


@builtin("GRU")
class GRU(_RNNBase):
    """A gated recurrent unit (torch.nn.GRU)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self._rnn({"num_layers": (num_layers, 1), "bias": (bias, True), "batch_first": (batch_first, False),
                   "dropout": (float(dropout), 0.0), "bidirectional": (bidirectional, False)},
                  input_size, hidden_size, device, dtype)


@builtin("LSTM")
class LSTM(_RNNBase):
    """A long short-term memory (torch.nn.LSTM); forward returns output, (h_n, c_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._rnn({"num_layers": (num_layers, 1), "bias": (bias, True), "batch_first": (batch_first, False),
                   "dropout": (float(dropout), 0.0), "bidirectional": (bidirectional, False),
                   "proj_size": (proj_size, 0)}, input_size, hidden_size, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None) -> Any:  # type: ignore[override]
        """(output, (h_n, c_n)) for input and optional initial states (h_0, c_0)."""
        inputs = [input] if hx is None else [input, hx[0], hx[1]]
        output, h_n, c_n = self._forward_multi(*inputs)
        return output, (h_n, c_n)


# ---------------------------------------------------------------------- attention and transformers

@builtin("MultiheadAttention")
class MultiheadAttention(_Builtin):
    """Multi-head attention (torch.nn.MultiheadAttention). The C module computes
    per-head weights; forward averages them (average_attn_weights=True, torch's
    default) or returns them as they are, and drops them for need_weights=False."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: Optional[int] = None,
                 vdim: Optional[int] = None, batch_first: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._build((embed_dim, num_heads),
                    {"dropout": (float(dropout), 0.0), "bias": (bias, True), "add_bias_kv": (add_bias_kv, False),
                     "add_zero_attn": (add_zero_attn, False), "kdim": (kdim, None), "vdim": (vdim, None),
                     "batch_first": (batch_first, False), "average_attn_weights": (False, True)}, device, dtype)
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim

    def extra_repr(self) -> str:
        return ""

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Tensor] = None,
                need_weights: bool = True, attn_mask: Optional[Tensor] = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        """(attn_output, attn_weights or None), as torch's forward."""
        if is_causal and attn_mask is None:
            raise InvalidArgumentError("Need attn_mask if specifying the is_causal hint.")
        output, weights = self._forward_multi(query, key, value, *_optional_inputs(key_padding_mask, attn_mask))
        if not need_weights:
            return output, None
        if average_attn_weights:
            from ... import _ops
            weights = _ops.mean(weights, -3)
        return output, weights


_ACTIVATIONS = {"relu": "relu", "gelu": "gelu"}


def _activation_name(activation: Any) -> str:
    if isinstance(activation, str):
        return activation
    name = getattr(activation, "__name__", None) or type(activation).__name__.lower()
    if name.lower() in _ACTIVATIONS:
        return _ACTIVATIONS[name.lower()]
    raise InvalidArgumentError(f"activation must be 'relu' or 'gelu' (or F.relu / F.gelu), got {activation!r}")


@builtin("TransformerEncoderLayer")
class TransformerEncoderLayer(_Builtin):
    """Self-attention and a feed-forward block (torch.nn.TransformerEncoderLayer)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Union[str, Callable] = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._build((d_model, nhead),
                    {"dim_feedforward": (dim_feedforward, 2048), "dropout": (float(dropout), 0.1),
                     "activation": (_activation_name(activation), "relu"), "layer_norm_eps": (layer_norm_eps, 1e-5),
                     "batch_first": (batch_first, False), "norm_first": (norm_first, False), "bias": (bias, True)},
                    device, dtype)
        self.batch_first, self.norm_first = batch_first, norm_first

    def forward(self, src: Tensor, src_mask: Optional[Tensor] = None, src_key_padding_mask: Optional[Tensor] = None,
                is_causal: bool = False) -> Tensor:
        """The encoded sequence; ``is_causal`` is a hint that src_mask is the causal mask."""
        return self._forward_multi(src, *_optional_inputs(src_mask, src_key_padding_mask))[0]


@builtin("TransformerEncoder")
class TransformerEncoder(_Builtin):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (torch.nn.TransformerEncoder);
    every copy starts from the given layer's weights, as torch deep-copies it."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Optional[Module] = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder_layer, TransformerEncoderLayer):
            raise TypeError("encoder_layer must be an ember.nn.TransformerEncoderLayer")
        if norm is not None and not isinstance(norm, LayerNorm):
            raise TypeError("norm must be None or an ember.nn.LayerNorm of d_model")
        args = encoder_layer.__dict__["_ctor_args"] + f", num_layers={int(num_layers)}"
        if norm is not None:
            args += ", norm=True"
        from ...serialization import rng_preserved
        with rng_preserved():  # torch copies the layer instead of drawing new weights
            h = _module_new("TransformerEncoder", args)
        object.__setattr__(self, "_ctor_args", args)
        self._adopt(h, "TransformerEncoder")
        state = encoder_layer.state_dict()
        for layer in self.layers:
            layer.load_state_dict(state)
            layer.train(encoder_layer.training)
        if norm is not None:
            self.norm.load_state_dict(norm.state_dict())
        self.num_layers = num_layers
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Tensor, mask: Optional[Tensor] = None, src_key_padding_mask: Optional[Tensor] = None,
                is_causal: Optional[bool] = None) -> Tensor:
        """The encoded sequence through every layer (and the final norm)."""
        return self._forward_multi(src, *_optional_inputs(mask, src_key_padding_mask))[0]


class Transformer:
    """Only torch's static helper of nn.Transformer: ember has the encoder
    (TransformerEncoder) but no encoder-decoder Transformer module."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("ember has no encoder-decoder nn.Transformer; use nn.TransformerEncoder")

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """The causal mask: -inf above the diagonal, 0 elsewhere (or a bool mask)."""
        _check_device(device)
        return _call1(C.ember_generate_square_subsequent_mask, int(sz), as_dtype(dtype or D.float32).code)
