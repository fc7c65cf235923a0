"""Every tensor operation of the C API with torch's name and keywords, as an
ember.xxx function and a Tensor method, plus Tensor's operators.

Each op is one precomputed ctypes call: the function objects are bound once
(argtypes and restype set in _ffi), arguments are passed as ints and floats,
and results are wrapped without any per-call lookups or formatting."""

from __future__ import annotations

import builtins
import collections
import math
import operator
from ctypes import byref, c_int64, c_void_p
from typing import Any, List, Optional, Sequence, Tuple, Union

from . import _dtype as D
from ._errors import InvalidArgumentError
from ._ffi import C, check, cstr, handle_array, int64_array, raise_status
from ._tensor import Size, Tensor, _size, _wrap, full, tensor

_new = object.__new__
Number = Union[int, float, bool]
TensorOrNumber = Union[Tensor, int, float, bool]
Dims = Union[int, Sequence[int], None]
EMBER_END = 2 ** 63 - 1

#: torch.return_types: the (values, indices) pairs of max(dim=...) and min(dim=...).
max_return = collections.namedtuple("max", ["values", "indices"])
min_return = collections.namedtuple("min", ["values", "indices"])


def _t(x: Any) -> Tensor:
    """``x`` as a Tensor (numbers and nested lists are converted)."""
    if isinstance(x, Tensor):
        return x
    return tensor(x)


def _scalar(x: Any) -> Any:
    """``x`` as a Python number if it is one (numpy scalars included), else None."""
    tp = type(x)
    if tp is float or tp is int or tp is bool:
        if tp is int and not -9007199254740992 <= x <= 9007199254740992:
            return None  # too large for a double: goes through an int64 tensor
        return x
    if isinstance(x, Tensor) or not hasattr(x, "__float__") or hasattr(x, "__len__"):
        return None
    if hasattr(x, "dtype") and getattr(x, "ndim", 0) == 0:  # a numpy scalar
        kind = x.dtype.kind
        return builtins.bool(x) if kind == "b" else int(x) if kind in "iu" else float(x)
    return float(x) if isinstance(x, float) else None


def _scalar_tensor(value: Any, like: Tensor) -> Tensor:
    """A 0-dim tensor holding a Python number, typed as torch types a wrapped
    number next to ``like`` (so that reflected ops promote as torch's do)."""
    dt = like.dtype
    if isinstance(value, builtins.bool):
        target = dt
    elif isinstance(value, int):
        target = dt if dt is not D.bool_ else D.int64
    else:
        target = dt if dt.is_floating_point else D.float32
    return full((), value, dtype=target)


def _other(other: Any, like: Tensor) -> Tensor:
    if isinstance(other, Tensor):
        return other
    s = _scalar(other)
    if s is not None or isinstance(other, int):
        return _scalar_tensor(other, like)
    return tensor(other)


def _dimlist(dim: Dims) -> Tuple[Any, int]:
    """(int64 array, count) for a dim argument: an int or a sequence of ints."""
    if isinstance(dim, int) or isinstance(dim, Tensor):
        return (c_int64 * 1)(operator.index(dim)), 1
    dims = [operator.index(d) for d in dim]
    return (c_int64 * builtins.max(len(dims), 1))(*dims), len(dims)


def _out_tensor(st: int, out: c_void_p) -> Tensor:
    """The new tensor a C call returned in ``out``, or the exception for its
    failing status ``st``. The hot paths (elementwise ops, matmul, module
    forward) make their C call inline and end with this, skipping _call1's *args."""
    if st:
        raise_status(st)
    t = _new(Tensor)
    t._h = out.value
    return t


def _call1(fn: Any, *args: Any) -> Tensor:
    """Calls ``fn(*args, &out)`` and wraps the new tensor."""
    out = c_void_p()
    return _out_tensor(fn(*args, byref(out)), out)


def _call2(fn: Any, *args: Any) -> Tuple[Tensor, Tensor]:
    a, b = c_void_p(), c_void_p()
    st = fn(*args, byref(a), byref(b))
    if st:
        raise_status(st)
    return _wrap(a.value), _wrap(b.value)


def _list_call(fn: Any, *args: Any) -> Tuple[Tensor, ...]:
    """For the split family: asks for the count, then the handles."""
    count = c_int64()
    check(fn(*args, None, 0, byref(count)))
    n = count.value
    outs = (c_void_p * builtins.max(n, 1))()
    check(fn(*args, outs, n, byref(count)))
    return tuple(_wrap(outs[i]) for i in range(count.value))


# ---------------------------------------------------------------------- unary elementwise

def _unary(cfn: Any, name: str, doc: str) -> Any:
    def op(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            input = _t(input)
        out = c_void_p()
        return _out_tensor(cfn(input._h, byref(out)), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


neg = _unary(C.ember_neg, "neg", "-input (torch.neg).")
negative = neg
abs = _unary(C.ember_abs, "abs", "|input| (torch.abs).")
absolute = abs
sign = _unary(C.ember_sign, "sign", "-1, 0 or 1 by the sign of each element (torch.sign).")
square = _unary(C.ember_square, "square", "input * input (torch.square).")
exp = _unary(C.ember_exp, "exp", "e^input (torch.exp).")
expm1 = _unary(C.ember_expm1, "expm1", "e^input - 1 (torch.expm1).")
log = _unary(C.ember_log, "log", "Natural logarithm (torch.log).")
log1p = _unary(C.ember_log1p, "log1p", "ln(1 + input) (torch.log1p).")
log2 = _unary(C.ember_log2, "log2", "Base-2 logarithm (torch.log2).")
sqrt = _unary(C.ember_sqrt, "sqrt", "Square root (torch.sqrt).")
rsqrt = _unary(C.ember_rsqrt, "rsqrt", "1 / sqrt(input) (torch.rsqrt).")
reciprocal = _unary(C.ember_reciprocal, "reciprocal", "1 / input (torch.reciprocal).")
sin = _unary(C.ember_sin, "sin", "Sine (torch.sin).")
cos = _unary(C.ember_cos, "cos", "Cosine (torch.cos).")
tan = _unary(C.ember_tan, "tan", "Tangent (torch.tan).")
tanh = _unary(C.ember_tanh, "tanh", "Hyperbolic tangent (torch.tanh).")
sigmoid = _unary(C.ember_sigmoid, "sigmoid", "1 / (1 + e^-input) (torch.sigmoid).")
erf = _unary(C.ember_erf, "erf", "The error function (torch.erf).")
floor = _unary(C.ember_floor, "floor", "Rounded down (torch.floor).")
ceil = _unary(C.ember_ceil, "ceil", "Rounded up (torch.ceil).")
relu = _unary(C.ember_relu, "relu", "max(input, 0) (torch.relu).")
selu = _unary(C.ember_selu, "selu", "SELU with torch's constants (torch.selu).")
logical_not = _unary(C.ember_logical_not, "logical_not", "Whether each element is zero (torch.logical_not).")
_round_half_even = _unary(C.ember_round, "round", "Rounded to the nearest integer, halves to even (torch.round).")


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Rounded to the nearest integer, halves to even (torch.round); with ``decimals``,
    to that many decimal places (computed as round(x * 10^d) / 10^d, as torch does)."""
    if decimals == 0:
        return _round_half_even(input)
    scale = 10.0 ** decimals
    return div(_round_half_even(mul(input, scale)), scale)


def logit(input: Tensor, eps: Optional[float] = None) -> Tensor:
    """log(p / (1 - p)) (torch.logit); with ``eps``, p is first clamped to [eps, 1 - eps]."""
    if eps is None:
        return _call1(C.ember_logit, input._h)
    return _call1(C.ember_logit_eps, input._h, float(eps))


def isnan(input: Tensor) -> Tensor:
    """Whether each element is NaN (torch.isnan)."""
    return ne(input, input)


def isinf(input: Tensor) -> Tensor:
    """Whether each element is +-infinity (torch.isinf)."""
    if not input.dtype.is_floating_point:
        return _zeros_bool(input)
    return eq(abs(input), math.inf)


def isfinite(input: Tensor) -> Tensor:
    """Whether each element is neither infinite nor NaN (torch.isfinite)."""
    if not input.dtype.is_floating_point:
        return logical_not(_zeros_bool(input))
    return logical_and(eq(input, input), ne(abs(input), math.inf))


def _zeros_bool(input: Tensor) -> Tensor:
    from ._tensor import zeros
    return zeros(input.shape, dtype=D.bool_)


# ---------------------------------------------------------------------- binary elementwise

def _binary(tfn: Any, sfn: Any, name: str, doc: str) -> Any:
    """A tensor-tensor op with a fast path for a Python scalar second operand."""
    def op(input: Tensor, other: TensorOrNumber) -> Tensor:
        try:
            h = input._h
        except AttributeError:
            return op(_other(input, other) if isinstance(other, Tensor) else _t(input), other)
        out = c_void_p()
        tp = type(other)
        if tp is Tensor:
            st = tfn(h, other._h, byref(out))
        elif (tp is float or tp is int) and -9007199254740992 <= other <= 9007199254740992:
            st = sfn(h, other, byref(out))
        elif isinstance(other, Tensor):
            st = tfn(h, other._h, byref(out))
        else:
            s = _scalar(other)
            if s is not None:
                st = sfn(h, s, byref(out))
            else:
                keep = _other(other, input)  # alive until the call returns
                st = tfn(h, keep._h, byref(out))
        return _out_tensor(st, out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


_add = _binary(C.ember_add, C.ember_add_scalar, "add", "")
_sub = _binary(C.ember_sub, C.ember_sub_scalar, "sub", "")
mul = _binary(C.ember_mul, C.ember_mul_scalar, "mul", "input * other, broadcasting (torch.mul).")
multiply = mul
_true_div = _binary(C.ember_div, C.ember_div_scalar, "div", "")
eq = _binary(C.ember_eq, C.ember_eq_scalar, "eq", "input == other elementwise, a bool tensor (torch.eq).")
ne = _binary(C.ember_ne, C.ember_ne_scalar, "ne", "input != other elementwise (torch.ne).")
lt = _binary(C.ember_lt, C.ember_lt_scalar, "lt", "input < other elementwise (torch.lt).")
le = _binary(C.ember_le, C.ember_le_scalar, "le", "input <= other elementwise (torch.le).")
gt = _binary(C.ember_gt, C.ember_gt_scalar, "gt", "input > other elementwise (torch.gt).")
ge = _binary(C.ember_ge, C.ember_ge_scalar, "ge", "input >= other elementwise (torch.ge).")
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge
remainder = _binary(C.ember_remainder, C.ember_remainder_scalar, "remainder",
                    "input mod other with the sign of other, as Python's % (torch.remainder).")
floor_divide = _binary(C.ember_floor_divide, C.ember_floor_divide_scalar, "floor_divide",
                       "input / other rounded down (torch.floor_divide); not differentiable.")


def add(input: TensorOrNumber, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """input + alpha * other, broadcasting (torch.add)."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _add(input, other)


def sub(input: TensorOrNumber, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """input - alpha * other, broadcasting (torch.sub)."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _sub(input, other)


subtract = sub


def div(input: TensorOrNumber, other: TensorOrNumber, *, rounding_mode: Optional[str] = None) -> Tensor:
    """input / other (torch.div): true division, or rounded with rounding_mode
    "trunc" or "floor"."""
    if rounding_mode is None:
        return _true_div(input, other)
    input = _t(input)
    s = _scalar(other)
    if s is not None:
        return _call1(C.ember_div_scalar_mode, input._h, s, cstr(rounding_mode))
    other = _other(other, input)
    return _call1(C.ember_div_mode, input._h, other._h, cstr(rounding_mode))


divide = true_divide = div


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """The larger of two tensors elementwise (torch.maximum)."""
    other = _other(other, input)
    return _call1(C.ember_maximum, input._h, other._h)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """The smaller of two tensors elementwise (torch.minimum)."""
    other = _other(other, input)
    return _call1(C.ember_minimum, input._h, other._h)


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point (other, input) (torch.atan2)."""
    other = _other(other, input)
    return _call1(C.ember_atan2, input._h, other._h)


arctan2 = atan2


def pow(input: TensorOrNumber, exponent: TensorOrNumber) -> Tensor:
    """input ** exponent (torch.pow): tensor and tensor, tensor and number, or number and tensor."""
    if not isinstance(input, Tensor):
        s = _scalar(input)
        if s is None:
            return pow(_t(input), exponent)
        exponent = _t(exponent)
        return _call1(C.ember_pow_scalar_base, float(s), exponent._h)
    s = _scalar(exponent)
    if s is not None:
        return _call1(C.ember_pow_scalar, input._h, s)
    exponent = _other(exponent, input)
    return _call1(C.ember_pow, input._h, exponent._h)


def _float_power(input: TensorOrNumber, exponent: TensorOrNumber) -> Tensor:
    """input ** exponent computed in float64 (torch.float_power)."""
    a = input.to(D.float64) if isinstance(input, Tensor) else input
    b = exponent.to(D.float64) if isinstance(exponent, Tensor) else exponent
    return pow(a, b)


float_power = _float_power


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
    """input + value * tensor1 * tensor2 (torch.addcmul)."""
    return _call1(C.ember_addcmul, input._h, tensor1._h, tensor2._h, float(value))


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
    """input + value * tensor1 / tensor2 (torch.addcdiv)."""
    return _call1(C.ember_addcdiv, input._h, tensor1._h, tensor2._h, float(value))


def lerp(input: Tensor, end: Tensor, weight: TensorOrNumber) -> Tensor:
    """input + weight * (end - input) (torch.lerp), with a number or tensor weight."""
    if isinstance(weight, Tensor):
        return _call1(C.ember_lerp_tensor, input._h, end._h, weight._h)
    return _call1(C.ember_lerp, input._h, end._h, float(weight))


def clamp(input: Tensor, min: Optional[TensorOrNumber] = None, max: Optional[TensorOrNumber] = None) -> Tensor:
    """input clamped to [min, max] (torch.clamp); either bound may be None or a tensor."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, _other(min, input))
        if max is not None:
            out = minimum(out, _other(max, input))
        return out
    if min is None and max is None:
        raise InvalidArgumentError("clamp: at least one of 'min' or 'max' must not be None")
    if max is None:
        return _call1(C.ember_clamp_min, input._h, float(min))
    if min is None:
        return _call1(C.ember_clamp_max, input._h, float(max))
    return _call1(C.ember_clamp, input._h, float(min), float(max))


clip = clamp


def clamp_min(input: Tensor, min: Number) -> Tensor:
    """max(input, min) (torch.clamp_min)."""
    return _call1(C.ember_clamp_min, input._h, float(min))


def clamp_max(input: Tensor, max: Number) -> Tensor:
    """min(input, max) (torch.clamp_max)."""
    return _call1(C.ember_clamp_max, input._h, float(max))


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    """Both nonzero (torch.logical_and)."""
    other = _other(other, input)
    return _call1(C.ember_logical_and, input._h, other._h)


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    """Either nonzero (torch.logical_or)."""
    other = _other(other, input)
    return _call1(C.ember_logical_or, input._h, other._h)


def logical_xor(input: Tensor, other: Tensor) -> Tensor:
    """Exactly one nonzero (torch.logical_xor)."""
    other = _other(other, input)
    return _call1(C.ember_logical_xor, input._h, other._h)


def where(condition: Tensor, input: Optional[TensorOrNumber] = None,
          other: Optional[TensorOrNumber] = None) -> Any:
    """input where condition holds, else other (torch.where); numbers are allowed for
    input and other. ``where(condition)`` is ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = tensor(input)
    if not isinstance(input, Tensor):
        input = _scalar_tensor(input, other)
    if not isinstance(other, Tensor):
        other = _scalar_tensor(other, input)
    return _call1(C.ember_where, condition._h, input._h, other._h)


def masked_fill(input: Tensor, mask: Tensor, value: TensorOrNumber) -> Tensor:
    """input with ``value`` wherever the bool mask holds (torch.Tensor.masked_fill)."""
    if isinstance(value, Tensor):
        value = value.item()
    return _call1(C.ember_masked_fill, input._h, mask._h, float(value))


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether both tensors have the same shape and elements (torch.equal)."""
    if input.shape != other.shape:
        return False
    return builtins.bool(all(eq(input, other)).item())


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise (torch.isclose)."""
    other = _other(other, input)
    close = le(abs(sub(input, other)), add(mul(abs(other), rtol), atol))
    close = logical_or(close, eq(input, other))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(input), isnan(other)))
    return close


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element is close (torch.allclose)."""
    return builtins.bool(all(isclose(input, other, rtol, atol, equal_nan)).item())


# ---------------------------------------------------------------------- reductions

def _reduce(full: Any, over_dims: Any, input: Tensor, dim: Dims, keepdim: bool, dtype: Any = None) -> Tensor:
    """``full(input)`` over every element when ``dim`` is None, else
    ``over_dims(input, dims, n, keepdim)`` over the dims in ``dim`` (an int or a
    sequence); ``input`` is first converted to ``dtype`` when one is given."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        return _call1(full, input._h)
    dims, n = _dimlist(dim)
    return _call1(over_dims, input._h, dims, n, keepdim)


def _reduce_one(full: Any, along: Any, input: Tensor, dim: Optional[int], keepdim: bool,
                dtype: Any = None) -> Tensor:
    """As _reduce, for the ops that take a single int ``dim``: ``along(input, dim, keepdim)``."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        return _call1(full, input._h)
    return _call1(along, input._h, operator.index(dim), keepdim)


def _reduce_empty_is_all(full: Any, over_dims: Any, input: Tensor, dim: Dims, keepdim: bool) -> Tensor:
    """_reduce for amax and amin, where an empty ``dim`` (their default, or None) means every dim."""
    if dim is None or dim == () or dim == []:
        if not keepdim:
            return _call1(full, input._h)
        dim = tuple(range(input.ndim))
    return _reduce(full, over_dims, input, dim, keepdim)


def sum(input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum of all elements, or over ``dim`` (an int or a tuple) (torch.sum)."""
    return _reduce(C.ember_sum, C.ember_sum_dim, input, dim, keepdim, dtype)


def mean(input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of all elements, or over ``dim`` (torch.mean); floating tensors only."""
    return _reduce(C.ember_mean, C.ember_mean_dim, input, dim, keepdim, dtype)


def prod(input: Tensor, dim: Optional[int] = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The product of all elements, or along ``dim`` (torch.prod)."""
    return _reduce_one(C.ember_prod, C.ember_prod_dim, input, dim, keepdim, dtype)


def max(input: Tensor, dim: Union[int, Tensor, None] = None, keepdim: bool = False) -> Any:
    """The largest element (torch.max(input)); with ``dim`` the pair (values, indices)
    along it; with a tensor, the elementwise maximum (torch.max(input, other))."""
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return _call1(C.ember_max, input._h)
    return max_return(*_call2(C.ember_max_dim, input._h, operator.index(dim), keepdim))


def min(input: Tensor, dim: Union[int, Tensor, None] = None, keepdim: bool = False) -> Any:
    """The smallest element; with ``dim`` the pair (values, indices) (torch.min)."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return _call1(C.ember_min, input._h)
    return min_return(*_call2(C.ember_min_dim, input._h, operator.index(dim), keepdim))


def amax(input: Tensor, dim: Dims = (), keepdim: bool = False) -> Tensor:
    """The largest values over ``dim`` (all dims when empty) (torch.amax)."""
    return _reduce_empty_is_all(C.ember_amax, C.ember_amax_dim, input, dim, keepdim)


def amin(input: Tensor, dim: Dims = (), keepdim: bool = False) -> Tensor:
    """The smallest values over ``dim`` (all dims when empty) (torch.amin)."""
    return _reduce_empty_is_all(C.ember_amin, C.ember_amin_dim, input, dim, keepdim)


def argmax(input: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """The index of the largest element, flattened or along ``dim`` (torch.argmax)."""
    return _reduce_one(C.ember_argmax, C.ember_argmax_dim, input, dim, keepdim)


def argmin(input: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
    """The index of the smallest element, flattened or along ``dim`` (torch.argmin)."""
    return _reduce_one(C.ember_argmin, C.ember_argmin_dim, input, dim, keepdim)


def _correction(dim: Any, unbiased: Any, correction: Any) -> Tuple[Any, float]:
    if isinstance(dim, bool):  # torch's legacy var(input, unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, float(correction)


def _reduce_corrected(full: Any, over_dims: Any, input: Tensor, dim: Any, unbiased: Any, keepdim: bool,
                      correction: Any) -> Tensor:
    """var and std: _reduce with the correction (Bessel's by default) passed after the dims."""
    dim, corr = _correction(dim, unbiased, correction)
    if dim is None:
        return _call1(full, input._h, corr)
    dims, n = _dimlist(dim)
    return _call1(over_dims, input._h, dims, n, corr, keepdim)


def var(input: Tensor, dim: Dims = None, unbiased: Optional[bool] = None, keepdim: bool = False, *,
        correction: Optional[Number] = None) -> Tensor:
    """The variance over all elements or ``dim`` (torch.var); correction 1 (Bessel's) by default."""
    return _reduce_corrected(C.ember_var, C.ember_var_dim, input, dim, unbiased, keepdim, correction)


def std(input: Tensor, dim: Dims = None, unbiased: Optional[bool] = None, keepdim: bool = False, *,
        correction: Optional[Number] = None) -> Tensor:
    """The standard deviation over all elements or ``dim`` (torch.std)."""
    return _reduce_corrected(C.ember_std, C.ember_std_dim, input, dim, unbiased, keepdim, correction)


def var_mean(input: Tensor, dim: Dims = None, unbiased: Optional[bool] = None, keepdim: bool = False, *,
             correction: Optional[Number] = None) -> Tuple[Tensor, Tensor]:
    """(var, mean) (torch.var_mean)."""
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim if not isinstance(dim, bool) else None, keepdim))


def std_mean(input: Tensor, dim: Dims = None, unbiased: Optional[bool] = None, keepdim: bool = False, *,
             correction: Optional[Number] = None) -> Tuple[Tensor, Tensor]:
    """(std, mean) (torch.std_mean)."""
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim if not isinstance(dim, bool) else None, keepdim))


def logsumexp(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over ``dim``, or every element (torch.logsumexp)."""
    return _reduce(C.ember_logsumexp, C.ember_logsumexp_dim, input, dim, keepdim)


def norm(input: Tensor, p: Union[float, str, None] = "fro", dim: Dims = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """The p-norm over every element or ``dim`` (torch.norm): p a number, inf,
    -inf, 0, or 'fro' (= 2)."""
    if dtype is not None:
        input = input.to(dtype)
    if p is None or p == "fro":
        p = 2.0
    if isinstance(p, str):
        raise InvalidArgumentError(f"norm: p={p!r} is not supported; use a number, inf or 'fro'")
    if dim is None:
        return _call1(C.ember_norm, input._h, float(p))
    dims, n = _dimlist(dim)
    return _call1(C.ember_norm_dim, input._h, float(p), dims, n, keepdim)


def all(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:
    """Whether every element (over ``dim``) is nonzero, a bool tensor (torch.all)."""
    return _reduce(C.ember_all, C.ember_all_dim, input, dim, keepdim)


def any(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:
    """Whether some element (over ``dim``) is nonzero, a bool tensor (torch.any)."""
    return _reduce(C.ember_any, C.ember_any_dim, input, dim, keepdim)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The cumulative sum along ``dim`` (torch.cumsum)."""
    if dtype is not None:
        input = input.to(dtype)
    return _call1(C.ember_cumsum, input._h, operator.index(dim))


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The cumulative product along ``dim`` (torch.cumprod)."""
    if dtype is not None:
        input = input.to(dtype)
    return _call1(C.ember_cumprod, input._h, operator.index(dim))


def _softmax_along(fn: Any, input: Tensor, dim: Optional[int], dtype: Any) -> Tensor:
    """softmax and log_softmax: ``fn`` along ``dim``, by default torch's legacy
    choice for the number of dims, after the conversion to ``dtype``."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return _call1(fn, input._h, operator.index(dim))


def softmax(input: Tensor, dim: Optional[int] = None, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (torch.softmax)."""
    return _softmax_along(C.ember_softmax, input, dim, dtype)


def log_softmax(input: Tensor, dim: Optional[int] = None, dtype: Any = None) -> Tensor:
    """log(softmax(x)) along ``dim`` (torch.log_softmax)."""
    return _softmax_along(C.ember_log_softmax, input, dim, dtype)


# ---------------------------------------------------------------------- linear algebra

def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product with torch.matmul's rules (1-D, 2-D and batched)."""
    out = c_void_p()
    return _out_tensor(C.ember_matmul(input._h, other._h, byref(out)), out)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """[n, k] x [k, m] (torch.mm)."""
    return _call1(C.ember_mm, input._h, mat2._h)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched [b, n, k] x [b, k, m] (torch.bmm)."""
    return _call1(C.ember_bmm, input._h, mat2._h)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix times vector (torch.mv)."""
    return _call1(C.ember_mv, input._h, vec._h)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """The inner product of two 1-D tensors (torch.dot)."""
    return _call1(C.ember_dot, input._h, other._h)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors (torch.outer)."""
    return _call1(C.ember_outer, input._h, vec2._h)


ger = outer


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (torch.einsum): ``einsum("ij,jk->ik", a, b)``; the operands
    may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _call1(C.ember_einsum, cstr(equation), handle_array(o._h for o in operands), len(operands))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (torch.tril)."""
    return _call1(C.ember_tril, input._h, int(diagonal))


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (torch.triu)."""
    return _call1(C.ember_triu, input._h, int(diagonal))


# ---------------------------------------------------------------------- shape and indexing

def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    """The same elements with a new shape, a view when possible (torch.reshape)."""
    shape = _size((shape,)) if not isinstance(shape, int) else (shape,)
    return _call1(C.ember_reshape, input._h, int64_array(shape), len(shape))


def view(input: Tensor, *shape: Any) -> Tensor:
    """A view with a new shape (torch.Tensor.view); fails when the strides do not allow one."""
    shape = _size(shape)
    return _call1(C.ember_view, input._h, int64_array(shape), len(shape))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with two dims swapped (torch.transpose)."""
    return _call1(C.ember_transpose, input._h, operator.index(dim0), operator.index(dim1))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """The transpose of a matrix; 0-D and 1-D tensors unchanged (torch.t)."""
    if input.ndim < 2:
        return input
    if input.ndim > 2:
        raise InvalidArgumentError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1)


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    """A view with the dims reordered (torch.permute)."""
    dims = _size((dims,))
    return _call1(C.ember_permute, input._h, int64_array(dims), len(dims))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims start_dim..end_dim merged into one (torch.flatten)."""
    return _call1(C.ember_flatten, input._h, int(start_dim), int(end_dim))


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (torch.ravel)."""
    return flatten(input)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Dim ``dim`` split into ``sizes`` (torch.unflatten)."""
    sizes = tuple(sizes)
    return _call1(C.ember_unflatten, input._h, int(dim), int64_array(sizes), len(sizes))


def squeeze(input: Tensor, dim: Dims = None) -> Tensor:
    """Size-1 dims removed: all of them, one, or a tuple of them (torch.squeeze)."""
    if dim is None:
        return _call1(C.ember_squeeze, input._h)
    if isinstance(dim, int):
        return _call1(C.ember_squeeze_dim, input._h, dim)
    dims, n = _dimlist(dim)
    return _call1(C.ember_squeeze_dims, input._h, dims, n)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A size-1 dim inserted at ``dim`` (torch.unsqueeze)."""
    return _call1(C.ember_unsqueeze, input._h, operator.index(dim))


def movedim(input: Tensor, source: Dims, destination: Dims) -> Tensor:
    """Dims moved from ``source`` to ``destination`` (torch.movedim)."""
    s, ns = _dimlist(source)
    d, nd = _dimlist(destination)
    return _call1(C.ember_movedim, input._h, s, ns, d, nd)


moveaxis = movedim


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Size-1 dims broadcast to ``sizes`` without copying (torch.Tensor.expand)."""
    sizes = _size(sizes)
    return _call1(C.ember_expand, input._h, int64_array(sizes), len(sizes))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input`` expanded to ``other``'s shape (torch.Tensor.expand_as)."""
    return _call1(C.ember_expand_as, input._h, other._h)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """``input`` broadcast to ``size`` (torch.broadcast_to)."""
    size = _size((size,))
    return _call1(C.ember_broadcast_to, input._h, int64_array(size), len(size))


def broadcast_shapes(*shapes: Sequence[int]) -> Size:
    """The shape tensors of these shapes broadcast to (torch.broadcast_shapes)."""
    result: List[int] = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        n = builtins.max(len(result), len(shape))
        a = [1] * (n - len(result)) + result
        b = [1] * (n - len(shape)) + list(shape)
        merged = []
        for x, y in zip(a, b):
            if x != y and x != 1 and y != 1:
                raise InvalidArgumentError(f"shapes {tuple(result)} and {tuple(shape)} do not broadcast")
            merged.append(y if x == 1 else x)
        result = merged
    return Size(result)


def broadcast_tensors(*tensors: Tensor) -> Tuple[Tensor, ...]:
    """The tensors expanded to their common shape (torch.broadcast_tensors)."""
    shape = broadcast_shapes(*(x.shape for x in tensors))
    return tuple(broadcast_to(x, shape) for x in tensors)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` entries of ``dim`` from ``start``, a view (torch.narrow)."""
    return _call1(C.ember_narrow, input._h, int(dim), int(start), int(length))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` of ``dim``, which is removed (torch.select)."""
    return _call1(C.ember_select, input._h, int(dim), operator.index(index))


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries at the int64 ``index`` along ``dim`` (torch.index_select)."""
    index = _t(index)
    return _call1(C.ember_index_select, input._h, int(dim), index._h)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim 0, and so on (torch.gather)."""
    return _call1(C.ember_gather, input._h, int(dim), index._h)


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor) or ``value`` (a number) written at
    ``index`` along ``dim`` (torch.scatter)."""
    if src is None:
        src = value
    if isinstance(src, Tensor):
        return _call1(C.ember_scatter, input._h, int(dim), index._h, src._h)
    return _call1(C.ember_scatter_value, input._h, int(dim), index._h, float(src))


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """As scatter, adding ``src`` where indices repeat (torch.scatter_add)."""
    return _call1(C.ember_scatter_add, input._h, int(dim), index._h, src._h)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Number = 1) -> Tensor:
    """A copy with alpha * source added at ``index`` along ``dim`` (torch.index_add)."""
    return _call1(C.ember_index_add, input._h, int(dim), index._h, source._h, float(alpha))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The entries where the bool mask holds, as a 1-D tensor (torch.masked_select)."""
    return _call1(C.ember_masked_select, input._h, mask._h)


def take_along_dim(input: Tensor, indices: Tensor, dim: Optional[int] = None) -> Tensor:
    """The entries at ``indices`` along ``dim``, or of the flattened tensor (torch.take_along_dim)."""
    if dim is None:
        return _call1(C.ember_take_along_dim_flat, input._h, indices._h)
    return _call1(C.ember_take_along_dim, input._h, indices._h, int(dim))


def take(input: Tensor, index: Tensor) -> Tensor:
    """The entries of the flattened tensor at ``index``, shaped as ``index`` (torch.take)."""
    index = _t(index)
    return reshape(take_along_dim(input, flatten(index)), index.shape)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors joined along ``dim`` (torch.cat)."""
    tensors = list(tensors)
    return _call1(C.ember_cat, handle_array(x._h for x in tensors), len(tensors), int(dim))


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors joined along a new dim (torch.stack)."""
    tensors = list(tensors)
    return _call1(C.ember_stack, handle_array(x._h for x in tensors), len(tensors), int(dim))


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Joined along dim 1 (dim 0 for 1-D tensors) (torch.hstack)."""
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Joined along dim 0, 1-D tensors as rows (torch.vstack)."""
    return cat([x.unsqueeze(0) if x.ndim == 1 else x for x in tensors], 0)


def split(tensor: Tensor, split_size_or_sections: Union[int, Sequence[int]], dim: int = 0) -> Tuple[Tensor, ...]:
    """Views of ``split_size`` entries (or of the listed sizes) along ``dim`` (torch.split)."""
    if isinstance(split_size_or_sections, int):
        return _list_call(C.ember_split, tensor._h, split_size_or_sections, int(dim))
    sizes = list(split_size_or_sections)
    return _list_call(C.ember_split_sizes, tensor._h, int64_array(sizes), len(sizes), int(dim))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> Tuple[Tensor, ...]:
    """At most ``chunks`` views along ``dim`` (torch.chunk)."""
    return _list_call(C.ember_chunk, input._h, int(chunks), int(dim))


def unbind(input: Tensor, dim: int = 0) -> Tuple[Tensor, ...]:
    """The slices along ``dim``, which is removed (torch.unbind)."""
    return tuple(select(input, dim, i) for i in range(input.shape[dim]))


def flip(input: Tensor, dims: Dims) -> Tensor:
    """A copy with the entries reversed along ``dims`` (torch.flip)."""
    d, n = _dimlist(dims)
    return _call1(C.ember_flip, input._h, d, n)


def fliplr(input: Tensor) -> Tensor:
    """Reversed along dim 1 (torch.fliplr)."""
    return flip(input, [1])


def flipud(input: Tensor) -> Tensor:
    """Reversed along dim 0 (torch.flipud)."""
    return flip(input, [0])


def roll(input: Tensor, shifts: Dims, dims: Dims = None) -> Tensor:
    """Entries shifted along ``dims``, wrapping around (torch.roll); without dims, flattened."""
    s, ns = _dimlist(shifts)
    if dims is None:
        return _call1(C.ember_roll, input._h, s, ns, None, 0)
    d, nd = _dimlist(dims)
    return _call1(C.ember_roll, input._h, s, ns, d, nd)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """``input`` tiled sizes[d] times along each dim (torch.Tensor.repeat)."""
    sizes = _size(sizes)
    return _call1(C.ember_repeat, input._h, int64_array(sizes), len(sizes))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """As repeat, with leading 1s added when there are fewer reps than dims (torch.tile)."""
    dims = _size((dims,)) if not isinstance(dims, int) else (dims,)
    return _call1(C.ember_tile, input._h, int64_array(dims), len(dims))


def contiguous(input: Tensor) -> Tensor:
    """A row-major copy, or the tensor itself if it already is (torch.Tensor.contiguous)."""
    return _call1(C.ember_contiguous, input._h)


def clone(input: Tensor) -> Tensor:
    """A copy with its own storage that stays in the graph (torch.clone)."""
    return _call1(C.ember_clone, input._h)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements (torch.nonzero): an (n, ndim) int64
    tensor, or with ``as_tuple`` one 1-D tensor per dim."""
    from ._tensor import arange
    shape = input.shape
    mask = ne(input, 0) if input.dtype is not D.bool_ else input
    positions = masked_select(arange(input.numel()), reshape(mask, (-1,)))
    coords = []
    rest = positions
    for size in reversed(shape):
        coords.append(remainder(rest, size))
        rest = floor_divide(rest, size)
    coords.reverse()
    if as_tuple:
        return tuple(coords) if shape else (positions,)
    if not shape:
        return reshape(positions, (-1, 0))
    return stack(coords, 1)


def argwhere(input: Tensor) -> Tensor:
    """nonzero(input) (torch.argwhere)."""
    return nonzero(input)


def count_nonzero(input: Tensor, dim: Dims = None) -> Tensor:
    """The number of nonzero elements, over ``dim`` (torch.count_nonzero)."""
    return sum(ne(input, 0), dim)


# ---------------------------------------------------------------------- random

def bernoulli(input: Tensor, p: Optional[float] = None) -> Tensor:
    """0s and 1s, each 1 with the probability in ``input`` (or ``p``) (torch.bernoulli)."""
    if p is None:
        return _call1(C.ember_bernoulli, input._h)
    return _call1(C.ember_bernoulli_p, input._h, float(p))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False) -> Tensor:
    """Category indices drawn from the weights of each row (torch.multinomial)."""
    return _call1(C.ember_multinomial, input._h, int(num_samples), builtins.bool(replacement))


# ---------------------------------------------------------------------- in place

def _operand(other: Any, like: Tensor) -> Tuple[Optional[Tensor], Any]:
    """The second operand of an in-place op: (tensor, None), or (None, number)
    for a Python number, which goes to the op's scalar form."""
    if isinstance(other, Tensor):
        return other, None
    s = _scalar(other)
    if s is None:
        return _other(other, like), None
    return None, s


def _inplace(name: str, doc: str, tfn: Any, sfn: Any) -> Any:
    def op(self: Tensor, other: TensorOrNumber) -> Tensor:
        t, s = _operand(other, self)
        if t is None:
            check(sfn(self._h, s))
        else:
            check(tfn(self._h, t._h))
        return self
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


mul_ = _inplace("mul_", "self *= other in place; returns self (torch.Tensor.mul_).", C.ember_mul_, C.ember_mul_scalar_)
div_ = _inplace("div_", "self /= other in place; returns self (torch.Tensor.div_).", C.ember_div_, C.ember_div_scalar_)


def add_(self: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """self += alpha * other in place; returns self (torch.Tensor.add_)."""
    t, s = _operand(other, self)
    if t is None:
        check(C.ember_add_scalar_(self._h, s * alpha if alpha != 1 else s))
    else:
        check(C.ember_add_(self._h, t._h, float(alpha)))
    return self


def sub_(self: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """self -= alpha * other in place; returns self (torch.Tensor.sub_)."""
    t, s = _operand(other, self)
    if t is None:
        check(C.ember_add_scalar_(self._h, -(s * alpha)))
    else:
        check(C.ember_sub_(self._h, t._h, float(alpha)))
    return self


def clamp_(self: Tensor, min: Optional[Number] = None, max: Optional[Number] = None) -> Tensor:
    """Clamps in place; returns self (torch.Tensor.clamp_)."""
    if min is None and max is None:
        raise InvalidArgumentError("clamp_: at least one of 'min' or 'max' must not be None")
    if max is None:
        check(C.ember_clamp_min_(self._h, float(min)))
    elif min is None:
        check(C.ember_clamp_max_(self._h, float(max)))
    else:
        check(C.ember_clamp_(self._h, float(min), float(max)))
    return self


clip_ = clamp_


def clamp_min_(self: Tensor, min: Number) -> Tensor:
    """Clamps to at least ``min`` in place (torch.Tensor.clamp_min_)."""
    check(C.ember_clamp_min_(self._h, float(min)))
    return self


def clamp_max_(self: Tensor, max: Number) -> Tensor:
    """Clamps to at most ``max`` in place (torch.Tensor.clamp_max_)."""
    check(C.ember_clamp_max_(self._h, float(max)))
    return self


def zero_(self: Tensor) -> Tensor:
    """Sets every element to 0 (torch.Tensor.zero_)."""
    check(C.ember_zero_(self._h))
    return self


def fill_(self: Tensor, value: TensorOrNumber) -> Tensor:
    """Sets every element to ``value`` (torch.Tensor.fill_)."""
    if isinstance(value, Tensor):
        value = value.item()
    check(C.ember_fill_(self._h, float(value)))
    return self


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copies ``src`` (broadcast, converted) into self (torch.Tensor.copy_). A numpy
    array of the same dtype and shape is copied straight from its memory."""
    if not isinstance(src, Tensor) and type(src).__module__ == "numpy" and hasattr(src, "ctypes"):
        import numpy as np
        if src.dtype.name == self.dtype.numpy_name and tuple(src.shape) == tuple(self.shape):
            arr = np.ascontiguousarray(src)
            check(C.ember_tensor_copy_from(self._h, arr.ctypes.data if arr.size else None, arr.nbytes))
            return self
    src = _other(src, self)
    check(C.ember_copy_(self._h, src._h))
    return self


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fills with U[a, b) samples from the global generator (torch.Tensor.uniform_)."""
    check(C.ember_uniform_(self._h, float(a), float(b)))
    return self


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fills with N(mean, std) samples from the global generator (torch.Tensor.normal_)."""
    check(C.ember_normal_(self._h, float(mean), float(std)))
    return self


def _via_copy(name: str, fn: Any) -> Any:
    def op(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return copy_(self, fn(self, *args, **kwargs))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In-place {name[:-1]}: self.copy_(self.{name[:-1]}(...)); returns self (torch.Tensor.{name})."
    return op


masked_fill_ = _via_copy("masked_fill_", masked_fill)
relu_ = _via_copy("relu_", relu)
neg_ = _via_copy("neg_", neg)
exp_ = _via_copy("exp_", exp)
sqrt_ = _via_copy("sqrt_", sqrt)
abs_ = _via_copy("abs_", abs)
pow_ = _via_copy("pow_", pow)
sigmoid_ = _via_copy("sigmoid_", sigmoid)
tanh_ = _via_copy("tanh_", tanh)
scatter_ = _via_copy("scatter_", scatter)
scatter_add_ = _via_copy("scatter_add_", scatter_add)
index_add_ = _via_copy("index_add_", index_add)


# ---------------------------------------------------------------------- operators

def _binop(fn: Any) -> Any:
    def op(self: Tensor, other: Any) -> Any:
        if isinstance(other, Tensor) or _scalar(other) is not None or isinstance(other, int):
            return fn(self, other)
        return NotImplemented
    op.__name__ = fn.__name__
    return op


def _reflected(name: str, fn: Any) -> Any:
    """``number OP tensor``: fn(number as a tensor typed like self, self)."""
    def op(self: Tensor, other: Any) -> Any:
        if _scalar(other) is None and not isinstance(other, int):
            return NotImplemented
        return fn(_scalar_tensor(other, self), self)
    op.__name__ = op.__qualname__ = name
    return op


_rsub = _reflected("_rsub", _sub)
_rdiv = _reflected("_rdiv", _true_div)
_rfloordiv = _reflected("_rfloordiv", floor_divide)
_rmod = _reflected("_rmod", remainder)


def _rpow(self: Tensor, other: Any) -> Any:
    s = _scalar(other)
    if s is None:
        return NotImplemented
    return _call1(C.ember_pow_scalar_base, float(s), self._h)


def _bool_only(name: str, fn: Any) -> Any:
    def op(self: Tensor, other: Any) -> Any:
        other = _other(other, self) if not isinstance(other, Tensor) else other
        if self.dtype is not D.bool_ or other.dtype is not D.bool_:
            from ._errors import DTypeError
            raise DTypeError(f"the {name} operator is defined for bool tensors only (ember has no bitwise integer ops)")
        return fn(self, other)
    return op


def _invert(self: Tensor) -> Tensor:
    if self.dtype is not D.bool_:
        from ._errors import DTypeError
        raise DTypeError("~ is defined for bool tensors only (ember has no bitwise integer ops)")
    return logical_not(self)


def _add_op(self: Tensor, other: Any) -> Any:
    out = c_void_p()
    tp = type(other)
    if tp is Tensor:
        st = C.ember_add(self._h, other._h, byref(out))
    elif (tp is float or tp is int) and -9007199254740992 <= other <= 9007199254740992:
        st = C.ember_add_scalar(self._h, other, byref(out))
    elif isinstance(other, Tensor) or _scalar(other) is not None or isinstance(other, int):
        return _add(self, other)
    else:
        return NotImplemented
    return _out_tensor(st, out)


def _iop(fn: Any) -> Any:
    def op(self: Tensor, other: Any) -> Tensor:
        return fn(self, other)
    return op


_OPERATORS = {
    "__add__": _add_op, "__radd__": _add_op,
    "__sub__": _binop(_sub), "__rsub__": _rsub,
    "__mul__": _binop(mul), "__rmul__": _binop(mul),
    "__truediv__": _binop(_true_div), "__rtruediv__": _rdiv,
    "__floordiv__": _binop(floor_divide), "__rfloordiv__": _rfloordiv,
    "__mod__": _binop(remainder), "__rmod__": _rmod,
    "__pow__": _binop(pow), "__rpow__": _rpow,
    "__matmul__": matmul,
    "__eq__": _binop(eq), "__ne__": _binop(ne), "__lt__": _binop(lt), "__le__": _binop(le),
    "__gt__": _binop(gt), "__ge__": _binop(ge),
    "__and__": _bool_only("&", logical_and), "__rand__": _bool_only("&", logical_and),
    "__or__": _bool_only("|", logical_or), "__ror__": _bool_only("|", logical_or),
    "__xor__": _bool_only("^", logical_xor), "__rxor__": _bool_only("^", logical_xor),
    "__invert__": _invert, "__neg__": neg, "__pos__": lambda self: self, "__abs__": abs,
    "__iadd__": add_, "__isub__": sub_, "__imul__": _iop(mul_), "__itruediv__": _iop(div_),
}


# ---------------------------------------------------------------------- methods

def _method_reshape(self: Tensor, *shape: Any) -> Tensor:
    """The same elements with a new shape (torch.Tensor.reshape): ``x.reshape(2, 3)``."""
    return reshape(self, _size(shape))


def _method_permute(self: Tensor, *dims: Any) -> Tensor:
    """A view with the dims reordered (torch.Tensor.permute): ``x.permute(1, 0)``."""
    return permute(self, _size(dims))


def _method_flip(self: Tensor, *dims: Any) -> Tensor:
    """Reversed along ``dims`` (torch.Tensor.flip)."""
    return flip(self, _size(dims))


def _method_tile(self: Tensor, *dims: Any) -> Tensor:
    """torch.Tensor.tile."""
    return tile(self, _size(dims))


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    """A view with ``other``'s shape."""
    return view(self, other.shape)


def _reshape_as(self: Tensor, other: Tensor) -> Tensor:
    """The same elements with ``other``'s shape."""
    return reshape(self, other.shape)


def _backward(self: Tensor, gradient: Optional[Tensor] = None, retain_graph: Optional[bool] = None,
              create_graph: bool = False) -> None:
    """Accumulates d(self)/d(leaf) into every leaf's .grad (torch.Tensor.backward).
    ``gradient`` is d(loss)/d(self), needed when self has more than one element;
    the graph is freed afterwards unless ``retain_graph`` (implied by ``create_graph``)."""
    grad = None if gradient is None else _other(gradient, self)
    g = None if grad is None else grad._h
    if retain_graph is None:
        retain_graph = create_graph
    if not retain_graph and not create_graph:
        st = C.ember_tensor_backward(self._h, g)
    else:
        st = C.ember_tensor_backward_ex(self._h, g, builtins.bool(retain_graph), builtins.bool(create_graph))
    if st:
        raise_status(st)


def _T(self: Tensor) -> Tensor:
    n = self.ndim
    if n < 2:
        return self
    return permute(self, tuple(range(n - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    return transpose(self, -2, -1)


_METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "floor_divide": floor_divide, "remainder": remainder, "maximum": maximum,
    "minimum": minimum, "atan2": atan2, "arctan2": atan2, "pow": pow, "float_power": float_power,
    "addcmul": addcmul, "addcdiv": addcdiv, "lerp": lerp, "neg": neg, "negative": neg, "abs": abs,
    "absolute": abs, "sign": sign, "square": square, "exp": exp, "expm1": expm1, "log": log, "log1p": log1p,
    "log2": log2, "sqrt": sqrt, "rsqrt": rsqrt, "reciprocal": reciprocal, "sin": sin, "cos": cos, "tan": tan,
    "tanh": tanh, "sigmoid": sigmoid, "erf": erf, "logit": logit, "floor": floor, "ceil": ceil, "round": round,
    "clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max, "relu": relu,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "not_equal": ne, "less": lt, "less_equal": le,
    "greater": gt, "greater_equal": ge, "logical_and": logical_and, "logical_or": logical_or,
    "logical_xor": logical_xor, "logical_not": logical_not, "where": lambda self, condition, other: where(condition, self, other),
    "masked_fill": masked_fill, "equal": equal, "isclose": isclose, "allclose": allclose, "isnan": isnan,
    "isinf": isinf, "isfinite": isfinite,
    "sum": sum, "mean": mean, "prod": prod, "max": max, "min": min, "amax": amax, "amin": amin,
    "argmax": argmax, "argmin": argmin, "var": var, "std": std, "logsumexp": logsumexp, "norm": norm,
    "all": all, "any": any, "cumsum": cumsum, "cumprod": cumprod, "softmax": softmax, "log_softmax": log_softmax,
    "matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "outer": outer, "ger": outer, "tril": tril,
    "triu": triu,
    "reshape": _method_reshape, "view": view, "view_as": _view_as, "reshape_as": _reshape_as,
    "transpose": transpose, "swapaxes": transpose, "swapdims": transpose, "t": t, "permute": _method_permute,
    "flatten": flatten, "ravel": ravel, "unflatten": unflatten, "squeeze": squeeze, "unsqueeze": unsqueeze,
    "movedim": movedim, "moveaxis": movedim, "expand": expand, "expand_as": expand_as,
    "broadcast_to": broadcast_to, "narrow": narrow, "select": select, "index_select": index_select,
    "gather": gather, "scatter": scatter, "scatter_add": scatter_add, "index_add": index_add,
    "masked_select": masked_select, "take_along_dim": take_along_dim, "take": take, "split": split,
    "chunk": chunk, "unbind": unbind, "flip": _method_flip, "fliplr": fliplr, "flipud": flipud, "roll": roll,
    "repeat": repeat, "tile": _method_tile, "contiguous": contiguous, "clone": clone, "nonzero": nonzero,
    "argwhere": argwhere, "count_nonzero": count_nonzero, "bernoulli": bernoulli, "multinomial": multinomial,
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "clamp_": clamp_, "clip_": clamp_,
    "clamp_min_": clamp_min_, "clamp_max_": clamp_max_, "zero_": zero_, "fill_": fill_, "copy_": copy_,
    "uniform_": uniform_, "normal_": normal_, "masked_fill_": masked_fill_, "relu_": relu_, "neg_": neg_,
    "exp_": exp_, "sqrt_": sqrt_, "abs_": abs_, "pow_": pow_, "sigmoid_": sigmoid_, "tanh_": tanh_,
    "scatter_": scatter_, "scatter_add_": scatter_add_, "index_add_": index_add_,
    "backward": _backward, "var_mean": var_mean, "std_mean": std_mean,
}

for _name, _fn in {**_OPERATORS, **_METHODS}.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(_T, doc="The dims reversed (torch.Tensor.T); a matrix's transpose.")
Tensor.mT = property(_mT, doc="The last two dims swapped (torch.Tensor.mT).")
Tensor.__hash__ = lambda self: id(self)

__all__ = sorted(n for n, v in list(globals().items())
                 if not n.startswith("_") and callable(v) and getattr(v, "__module__", None) == __name__
                 and n not in ("max_return", "min_return"))
