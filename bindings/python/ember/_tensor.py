"""The Tensor class: a handle to an ember_tensor, released when Python drops it,
with torch's attributes, conversions and creation functions. The operations
(methods and ember.xxx functions) are added by _ops.py."""

from __future__ import annotations

import array
import builtins
import math
from ctypes import byref, c_double, c_int64, c_void_p
from typing import Any, List, Optional, Sequence, Tuple, Union

from . import _dtype as D
from ._dtype import as_dtype, dtype
from ._errors import InvalidArgumentError, StateError
from ._ffi import C, check, int64_array, raise_status

__all__ = [
    "Tensor", "Size", "device", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "rand", "randn",
    "randint", "arange", "linspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
    "randn_like", "randint_like", "manual_seed", "is_tensor", "numel",
]

_new = object.__new__
_free = C.ember_tensor_free
_ndim = C.ember_tensor_ndim
_shape_fn = C.ember_tensor_shape
_dtype_fn = C.ember_tensor_dtype
_BY_CODE = D.BY_CODE

Number = Union[int, float, builtins.bool]


class Size(tuple):
    """A tensor's shape (torch.Size): a tuple of ints."""

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n


class device:
    """Where a tensor lives (torch.device). Ember computes on the CPU only."""

    __slots__ = ("type", "index")

    def __init__(self, type: Union[str, "device"] = "cpu", index: Optional[int] = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        kind = str(type).split(":")[0]
        if kind != "cpu":
            raise InvalidArgumentError(f"ember runs on the CPU only; got device {type!r}")
        self.type = "cpu"
        self.index = index

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"

    def __eq__(self, other: Any) -> builtins.bool:
        return isinstance(other, device) or other == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")


CPU = device("cpu")


def _check_device(dev: Any) -> None:
    if dev is not None:
        device(dev)


class Tensor:
    """An n-dimensional array that may carry an autograd history (torch.Tensor).

    A Tensor owns one ember_tensor handle and releases it exactly once when
    Python drops it. Make tensors with ember.tensor, ember.zeros, ember.randn,
    ...; every op of the C API is a method with torch's name and keywords
    (``x.sum(dim=1, keepdim=True)``) and a function (``ember.sum(x, 1)``)."""

    __slots__ = ("_h", "__weakref__")

    def __new__(cls, *args: Any, **kwargs: Any) -> "Tensor":
        if cls is Tensor:
            # torch.Tensor(2, 3) makes an uninitialised float tensor; ember.Tensor(data) copies data.
            if len(args) == 1 and not isinstance(args[0], int):
                return tensor(args[0], dtype=D.float32)
            return zeros(*args)
        return _new(cls)

    def __del__(self, _free: Any = _free) -> None:
        try:
            h = self._h
        except AttributeError:
            return
        if h:
            self._h = None
            _free(h)

    # ------------------------------------------------------------------ metadata

    @property
    def shape(self) -> Size:
        """The size of each dimension (torch.Tensor.shape)."""
        h = self._h
        n = _ndim(h)
        if n < 0:
            raise_status(2)
        buf = (c_int64 * 12)()
        st = _shape_fn(h, buf, 12)
        if st:
            raise_status(st)
        return Size(buf[:n])

    @property
    def dtype(self) -> dtype:
        """The element type (ember.float32, ember.float64, ember.int64 or ember.bool)."""
        code = _dtype_fn(self._h)
        if code < 0:
            raise_status(2)
        return _BY_CODE[code]

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self.shape)

    def dim(self) -> int:
        """The number of dimensions (torch.Tensor.dim)."""
        return len(self.shape)

    ndimension = dim

    def size(self, dim: Optional[int] = None) -> Union[Size, int]:
        """The shape, or the size of dimension ``dim`` (negative counts from the end)."""
        if dim is None:
            return self.shape
        n = C.ember_tensor_size(self._h, operator_index(dim))
        if n < 0:
            from ._ffi import last_error
            raise IndexError(last_error())
        return n

    def numel(self) -> int:
        """The number of elements (torch.Tensor.numel)."""
        n = C.ember_tensor_numel(self._h)
        if n < 0:
            raise_status(2)
        return n

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def is_floating_point(self) -> builtins.bool:
        """Whether the dtype is float32 or float64."""
        return self.dtype.is_floating_point

    def is_contiguous(self) -> builtins.bool:
        """Whether the elements are row-major without gaps."""
        return builtins.bool(C.ember_tensor_is_contiguous(self._h))

    @property
    def device(self) -> device:
        """Always the CPU."""
        return CPU

    is_cuda = False

    def cpu(self) -> "Tensor":
        """The tensor itself (ember computes on the CPU)."""
        return self

    @property
    def requires_grad(self) -> builtins.bool:
        """Whether gradients are recorded for this tensor."""
        return builtins.bool(C.ember_tensor_requires_grad(self._h))

    @requires_grad.setter
    def requires_grad(self, flag: builtins.bool) -> None:
        check(C.ember_tensor_set_requires_grad(self._h, builtins.bool(flag)))

    def requires_grad_(self, requires_grad: builtins.bool = True) -> "Tensor":
        """Marks the tensor as a leaf whose gradient is wanted; returns self."""
        check(C.ember_tensor_set_requires_grad(self._h, builtins.bool(requires_grad)))
        return self

    @property
    def is_leaf(self) -> builtins.bool:
        """Whether the tensor was made by the user rather than recorded by an op."""
        return builtins.bool(C.ember_tensor_is_leaf(self._h))

    @property
    def grad(self) -> Optional["Tensor"]:
        """The accumulated gradient, or None (torch.Tensor.grad). Each access
        returns a new handle to the same gradient tensor."""
        out = c_void_p()
        st = C.ember_tensor_grad(self._h, byref(out))
        if st:
            raise_status(st)
        return _wrap(out.value) if out.value else None

    @grad.setter
    def grad(self, value: Optional["Tensor"]) -> None:
        check(C.ember_tensor_zero_grad(self._h))
        if value is not None:
            # The C API has no setter: on a leaf, backward(value) accumulates exactly value into the cleared grad.
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
            check(C.ember_autograd_backward((c_void_p * 1)(self._h), 1, (c_void_p * 1)(value._h), False, False))

    @property
    def data(self) -> "Tensor":
        """The tensor cut off from autograd, sharing storage (torch.Tensor.data)."""
        return self.detach()

    @data.setter
    def data(self, value: "Tensor") -> None:
        # torch swaps the storage; ember copies the values in (shapes must match).
        prev = C.ember_set_grad_enabled(False)
        try:
            source = _as_tensor_like(value, self)
            check(C.ember_copy_(self._h, source._h))
        finally:
            C.ember_set_grad_enabled(prev)

    def detach(self) -> "Tensor":
        """A tensor sharing storage, cut off from the graph (torch.Tensor.detach)."""
        out = c_void_p()
        st = C.ember_detach(self._h, byref(out))
        if st:
            raise_status(st)
        return _wrap(out.value)

    def zero_grad_(self) -> None:
        """Clears the accumulated gradient (sets .grad to None)."""
        check(C.ember_tensor_zero_grad(self._h))

    # ------------------------------------------------------------------ values

    def item(self) -> Number:
        """The value of a one-element tensor as a Python number (torch.Tensor.item)."""
        code = _dtype_fn(self._h)
        if code == 2:
            out = c_int64()
            st = C.ember_tensor_item_int64(self._h, byref(out))
            if st:
                raise_status(st)
            return out.value
        out = c_double()
        st = C.ember_tensor_item(self._h, byref(out))
        if st:
            raise_status(st)
        return builtins.bool(out.value) if code == 3 else out.value

    def _flat_values(self) -> array.array:
        """Every element, row-major, in an array.array of the matching type."""
        dt = self.dtype
        n = self.numel()
        if dt is D.bool_:
            buf = bytearray(n)
            raw = (ctypes_char * n).from_buffer(buf) if n else None
            check(C.ember_tensor_copy_to(self._h, raw, n))
            return array.array("b", buf)
        values = array.array(dt.format, bytes(n * dt.itemsize))
        addr = values.buffer_info()[0] if n else None
        check(C.ember_tensor_copy_to(self._h, addr, n * dt.itemsize))
        return values

    def tolist(self) -> Any:
        """The elements as (nested) Python lists of numbers (torch.Tensor.tolist)."""
        values = self._flat_values()
        shape = self.shape
        if self.dtype is D.bool_:
            flat: List[Any] = [builtins.bool(v) for v in values]
        else:
            flat = values.tolist()
        if not shape:
            return flat[0]
        return _nest(flat, shape)

    def numpy(self, *, force: builtins.bool = False) -> Any:
        """A numpy array sharing this tensor's memory (torch.Tensor.numpy), through
        DLPack; writes on either side are seen on the other. Refused for a tensor
        that requires grad, as torch does (use detach()), unless ``force``."""
        import numpy as np
        if self.requires_grad:
            if not force:
                raise StateError("Can't call numpy() on Tensor that requires grad. "
                                 "Use tensor.detach().numpy() instead.", 6)
            source = self.detach()
        else:
            source = self
        try:
            return np.from_dlpack(source)
        except (BufferError, TypeError, ValueError, RuntimeError):
            # numpy too old for DLPack (or for this dtype): a copy
            arr = np.empty(self.shape, dtype=self.dtype.numpy_name)
            check(C.ember_tensor_copy_to(self._h, arr.ctypes.data if arr.size else None, arr.nbytes))
            return arr

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        arr = self.numpy(force=True)
        return arr if dtype is None else arr.astype(dtype)

    def __int__(self) -> int:
        return int(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __index__(self) -> int:
        if self.dtype not in (D.int64, D.bool_) or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> builtins.bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self.item())

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __iter__(self) -> Any:
        shape = self.shape
        if not shape:
            raise TypeError("iteration over a 0-d tensor")
        select = C.ember_select
        h = self._h
        for i in range(shape[0]):
            out = c_void_p()
            check(select(h, 0, i, byref(out)))
            yield _wrap(out.value)

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element: Any) -> builtins.bool:
        return builtins.bool((self == element).any().item())

    #: numpy defers binary operators to Tensor's reflected ones (as with torch).
    __array_priority__ = 1000

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        return format(str(self), spec)

    def __repr__(self) -> str:
        from ._format import tensor_repr
        return tensor_repr(self)

    # ------------------------------------------------------------------ pickling and copying

    def __reduce__(self) -> Any:
        data = self._flat_values().tobytes()
        return (_rebuild, (self.dtype.code, tuple(self.shape), data, self.requires_grad and self.is_leaf,
                           type(self).__name__ == "Parameter"))

    def __deepcopy__(self, memo: dict) -> "Tensor":
        rebuild, args = self.__reduce__()
        copy = rebuild(*args)
        memo[id(self)] = copy
        return copy

    # ------------------------------------------------------------------ devices and types

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """The tensor converted to a dtype (torch.Tensor.to(dtype)); a device must be the CPU.
        Accepts ``to(dtype)``, ``to("cpu")``, ``to(other_tensor)``, ``to(device, dtype)``
        and the keywords ``dtype``, ``device``, ``copy``."""
        target = kwargs.pop("dtype", None)
        _check_device(kwargs.pop("device", None))
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                target = a.dtype
            elif isinstance(a, (str, device)) and str(a).split(":")[0] in ("cpu", "cuda", "mps", "meta"):
                _check_device(a)
            elif a is not None:
                target = as_dtype(a)
        if target is None or as_dtype(target) is self.dtype:
            return self.clone() if copy else self
        out = c_void_p()
        st = C.ember_to_dtype(self._h, as_dtype(target).code, byref(out))
        if st:
            raise_status(st)
        result = _wrap(out.value)
        return result.clone() if copy and result.dtype is self.dtype else result

    def type(self, dtype: Any = None) -> Any:
        """Without an argument the type's name ("ember.FloatTensor"); with a dtype, the converted tensor."""
        if dtype is None:
            return {"float32": "ember.FloatTensor", "float64": "ember.DoubleTensor", "int64": "ember.LongTensor",
                    "bool": "ember.BoolTensor"}[self.dtype.name]
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        """The tensor converted to ``other``'s dtype."""
        return self.to(other.dtype)

    def float(self) -> "Tensor":
        """Converted to float32."""
        return self.to(D.float32)

    def double(self) -> "Tensor":
        """Converted to float64."""
        return self.to(D.float64)

    def long(self) -> "Tensor":
        """Converted to int64."""
        return self.to(D.int64)

    def int(self) -> "Tensor":
        """Converted to int64 (ember has no int32)."""
        return self.to(D.int64)

    def bool(self) -> "Tensor":
        """Converted to bool."""
        return self.to(D.bool_)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: builtins.bool = False) -> "Tensor":
        """A new tensor from ``data`` with this tensor's dtype by default."""
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: builtins.bool = False) -> "Tensor":
        """Zeros with this tensor's dtype by default."""
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: builtins.bool = False) -> "Tensor":
        """Ones with this tensor's dtype by default."""
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size: Sequence[int], fill_value: Number, dtype: Any = None,
                 requires_grad: builtins.bool = False) -> "Tensor":
        """A filled tensor with this tensor's dtype by default."""
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, requires_grad: builtins.bool = False) -> "Tensor":
        """As new_zeros (ember's empty tensors are zero-filled)."""
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)


import ctypes as _ctypes  # noqa: E402

ctypes_char = _ctypes.c_char


def _nest(flat: List[Any], shape: Sequence[int]) -> Any:
    """Row-major ``flat`` values as nested lists of ``shape``."""
    if len(shape) == 1:
        return flat
    if 0 in shape:
        def empty(dims: Sequence[int]) -> Any:
            return [] if dims[0] == 0 or len(dims) == 1 else [empty(dims[1:]) for _ in range(dims[0])]
        return empty(shape)
    for size in reversed(shape[1:]):
        flat = [flat[i:i + size] for i in range(0, len(flat), size)]
    return flat


def _wrap(h: int) -> Tensor:
    """A Tensor owning the new handle ``h``."""
    t = _new(Tensor)
    t._h = h
    return t


def _retain(h: int) -> int:
    """A new handle to the tensor behind ``h``."""
    out = c_void_p()
    check(C.ember_tensor_retain(h, byref(out)))
    return out.value


def _rebuild(code: int, shape: Tuple[int, ...], data: bytes, requires_grad: builtins.bool,
             is_parameter: builtins.bool = False) -> Tensor:
    """Unpickles a tensor (see Tensor.__reduce__)."""
    t = _from_bytes(data, _BY_CODE[code], shape)
    if is_parameter:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _from_bytes(data: Any, dt: dtype, shape: Sequence[int]) -> Tensor:
    """A tensor copied from a bytes-like buffer of row-major elements."""
    n = 1
    for s in shape:
        n *= s
    if len(data) != n * dt.itemsize:
        raise InvalidArgumentError(f"{len(data)} bytes do not hold {n} elements of {dt.name}")
    buf = (ctypes_char * len(data)).from_buffer_copy(data) if len(data) else None
    out = c_void_p()
    st = C.ember_tensor_from_data(buf, dt.code, int64_array(shape), len(shape), byref(out))
    if st:
        raise_status(st)
    return _wrap(out.value)


def _from_address(address: Optional[int], dt: dtype, shape: Sequence[int]) -> Tensor:
    """A tensor copied from ``address`` (row-major elements of ``dt``)."""
    out = c_void_p()
    st = C.ember_tensor_from_data(address, dt.code, int64_array(shape), len(shape), byref(out))
    if st:
        raise_status(st)
    return _wrap(out.value)


# ---------------------------------------------------------------------- creation

def _size(size: Tuple[Any, ...]) -> Tuple[int, ...]:
    """torch's size arguments: ``f(2, 3)`` or ``f((2, 3))`` or ``f([2, 3])``."""
    if len(size) == 1 and not isinstance(size[0], (int, Tensor)):
        size = tuple(size[0])
    return tuple(operator_index(s) for s in size)


def operator_index(value: Any) -> int:
    import operator
    return operator.index(value)


def _finish(t: Tensor, requires_grad: builtins.bool) -> Tensor:
    if requires_grad:
        check(C.ember_tensor_set_requires_grad(t._h, True))
    return t


def _shape_call(fn: Any, size: Tuple[int, ...], dt: dtype) -> Tensor:
    out = c_void_p()
    st = fn(int64_array(size), len(size), dt.code, byref(out))
    if st:
        raise_status(st)
    return _wrap(out.value)


def zeros(*size: Any, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """A tensor of zeros (torch.zeros): ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    _check_device(device)
    return _finish(_shape_call(C.ember_tensor_zeros, _size(size), as_dtype(dtype or D.float32)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """An uninitialised tensor in torch (torch.empty); ember's is zero-filled."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device)


def ones(*size: Any, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """A tensor of ones (torch.ones)."""
    _check_device(device)
    return _finish(_shape_call(C.ember_tensor_ones, _size(size), as_dtype(dtype or D.float32)), requires_grad)


def _scalar_dtype(value: Any) -> dtype:
    if isinstance(value, builtins.bool):
        return D.bool_
    if isinstance(value, int):
        return D.int64
    return D.float32


def full(size: Sequence[int], fill_value: Number, *, dtype: Any = None, requires_grad: builtins.bool = False,
         device: Any = None) -> Tensor:
    """A tensor with every element ``fill_value`` (torch.full); the dtype follows
    the value (bool, int64 or float32) unless given."""
    _check_device(device)
    size = _size((size,)) if not isinstance(size, int) else (size,)
    dt = as_dtype(dtype) if dtype is not None else _scalar_dtype(fill_value)
    out = c_void_p()
    st = C.ember_tensor_full(int64_array(size), len(size), float(fill_value), dt.code, byref(out))
    if st:
        raise_status(st)
    return _finish(_wrap(out.value), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: builtins.bool = False, generator: Any = None,
         device: Any = None) -> Tensor:
    """Samples from U[0, 1) (torch.rand), torch's numbers for the same seed."""
    _no_generator(generator)
    _check_device(device)
    return _finish(_shape_call(C.ember_tensor_rand, _size(size), as_dtype(dtype or D.float32)), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: builtins.bool = False, generator: Any = None,
          device: Any = None) -> Tensor:
    """Samples from N(0, 1) (torch.randn), torch's numbers for the same seed."""
    _no_generator(generator)
    _check_device(device)
    return _finish(_shape_call(C.ember_tensor_randn, _size(size), as_dtype(dtype or D.float32)), requires_grad)


def _no_generator(generator: Any) -> None:
    if generator is not None:
        raise InvalidArgumentError("ember draws from its global generator only; seed it with ember.manual_seed")


def randint(*args: Any, size: Any = None, dtype: Any = None, requires_grad: builtins.bool = False,
            generator: Any = None, device: Any = None) -> Tensor:
    """Integers drawn uniformly from [low, high) (torch.randint(low=0, high, size)):
    ``randint(10, (3,))`` or ``randint(2, 10, (3,))``; int64 unless ``dtype`` says otherwise."""
    _no_generator(generator)
    _check_device(device)
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing its size")
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint(low=0, high, size): expected one or two bounds")
    shape = _size((size,))
    out = c_void_p()
    st = C.ember_tensor_randint(int(low), int(high), int64_array(shape), len(shape), byref(out))
    if st:
        raise_status(st)
    t = _wrap(out.value)
    if dtype is not None and as_dtype(dtype) is not D.int64:
        t = t.to(dtype)
    return _finish(t, requires_grad)


def arange(start: Number, end: Optional[Number] = None, step: Number = 1, *, dtype: Any = None,
           requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """[start, start + step, ...) stopping before ``end`` (torch.arange); int64 when
    every bound is an int, float32 otherwise, unless ``dtype`` is given."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, int) or (isinstance(v, Tensor) and v.dtype is D.int64) for v in (start, end, step))
        dt = D.int64 if integral else D.float32
    else:
        dt = as_dtype(dtype)
    out = c_void_p()
    st = C.ember_tensor_arange(float(start), float(end), float(step), dt.code, byref(out))
    if st:
        raise_status(st)
    return _finish(_wrap(out.value), requires_grad)


def linspace(start: Number, end: Number, steps: int, *, dtype: Any = None, requires_grad: builtins.bool = False,
             device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive (torch.linspace)."""
    _check_device(device)
    out = c_void_p()
    st = C.ember_tensor_linspace(float(start), float(end), int(steps), as_dtype(dtype or D.float32).code, byref(out))
    if st:
        raise_status(st)
    return _finish(_wrap(out.value), requires_grad)


def eye(n: int, m: Optional[int] = None, *, dtype: Any = None, requires_grad: builtins.bool = False,
        device: Any = None) -> Tensor:
    """An n x m matrix with ones on the diagonal (torch.eye)."""
    _check_device(device)
    out = c_void_p()
    st = C.ember_tensor_eye(int(n), int(n if m is None else m), as_dtype(dtype or D.float32).code, byref(out))
    if st:
        raise_status(st)
    return _finish(_wrap(out.value), requires_grad)


def _like(fn: Any, input: Tensor) -> Tensor:
    out = c_void_p()
    st = fn(input._h, byref(out))
    if st:
        raise_status(st)
    return _wrap(out.value)


def zeros_like(input: Tensor, *, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """Zeros with ``input``'s shape and dtype (torch.zeros_like)."""
    _check_device(device)
    if dtype is not None and as_dtype(dtype) is not input.dtype:
        return zeros(input.shape, dtype=dtype, requires_grad=requires_grad)
    return _finish(_like(C.ember_zeros_like, input), requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """As zeros_like (ember's empty tensors are zero-filled)."""
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad, device=device)


def ones_like(input: Tensor, *, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """Ones with ``input``'s shape and dtype (torch.ones_like)."""
    _check_device(device)
    if dtype is not None and as_dtype(dtype) is not input.dtype:
        return ones(input.shape, dtype=dtype, requires_grad=requires_grad)
    return _finish(_like(C.ember_ones_like, input), requires_grad)


def full_like(input: Tensor, fill_value: Number, *, dtype: Any = None, requires_grad: builtins.bool = False,
              device: Any = None) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and dtype (torch.full_like)."""
    _check_device(device)
    if dtype is not None and as_dtype(dtype) is not input.dtype:
        return full(input.shape, fill_value, dtype=dtype, requires_grad=requires_grad)
    out = c_void_p()
    st = C.ember_full_like(input._h, float(fill_value), byref(out))
    if st:
        raise_status(st)
    return _finish(_wrap(out.value), requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """U[0, 1) samples with ``input``'s shape and dtype (torch.rand_like)."""
    _check_device(device)
    if dtype is not None and as_dtype(dtype) is not input.dtype:
        return rand(input.shape, dtype=dtype, requires_grad=requires_grad)
    return _finish(_like(C.ember_rand_like, input), requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """N(0, 1) samples with ``input``'s shape and dtype (torch.randn_like)."""
    _check_device(device)
    if dtype is not None and as_dtype(dtype) is not input.dtype:
        return randn(input.shape, dtype=dtype, requires_grad=requires_grad)
    return _finish(_like(C.ember_randn_like, input), requires_grad)


def randint_like(input: Tensor, low: int = 0, high: Optional[int] = None, *, dtype: Any = None) -> Tensor:
    """Integers from [low, high) with ``input``'s shape (torch.randint_like)."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)


def manual_seed(seed: int) -> None:
    """Seeds the global generator (torch.manual_seed): random tensors, layer
    initialisation, dropout and data-loader shuffling then match torch's."""
    C.ember_manual_seed(int(seed) & 0xFFFFFFFFFFFFFFFF)


def is_tensor(obj: Any) -> builtins.bool:
    """Whether ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return input.numel()


# ---------------------------------------------------------------------- from Python data

def _flatten(data: Any) -> Tuple[List[Any], Tuple[int, ...]]:
    """Nested sequences of numbers as a flat list and a shape."""
    if isinstance(data, Tensor):
        return data.tolist() if data.ndim == 0 else data._flat_values().tolist(), tuple(data.shape)
    if not isinstance(data, (list, tuple)):
        if hasattr(data, "shape") and hasattr(data, "tolist") and getattr(data, "ndim", 0) > 0:
            data = data.tolist()
        else:
            return [data], ()
    shape = [len(data)]
    level = list(data)
    while level and all(isinstance(x, (list, tuple)) or (isinstance(x, Tensor) and x.ndim > 0) for x in level):
        nested = [x.tolist() if isinstance(x, Tensor) else x for x in level]
        size = len(nested[0])
        if any(len(x) != size for x in nested):
            raise InvalidArgumentError(f"expected sequence of length {size} at dim {len(shape)} (got {[len(x) for x in nested]})")
        shape.append(size)
        level = [y for x in nested for y in x]
    for x in level:
        if isinstance(x, (list, tuple)):
            raise InvalidArgumentError("ragged nested sequence: every row must have the same length")
    return level, tuple(shape)


def _infer_dtype(values: List[Any]) -> dtype:
    if not values:
        return D.float32
    all_bool = True
    for v in values:
        if isinstance(v, Tensor):
            d = v.dtype
            if d.is_floating_point:
                return D.float32 if d is D.float32 else D.float64
            all_bool = all_bool and d is D.bool_
        elif isinstance(v, builtins.bool):
            continue
        elif isinstance(v, int):
            all_bool = False
        elif isinstance(v, float):
            return D.float32
        else:
            type_name = type(v).__name__
            if "float" in type_name:
                return D.float32
            if "bool" in type_name:
                continue
            if "int" in type_name:
                all_bool = False
                continue
            raise TypeError(f"ember.tensor: cannot make a tensor of {type_name} values")
    return D.bool_ if all_bool else D.int64


def _from_values(values: List[Any], shape: Tuple[int, ...], dt: dtype) -> Tensor:
    n = len(values)
    if dt is D.bool_:
        data = bytes(1 if v else 0 for v in values)
        buf = (ctypes_char * n).from_buffer_copy(data) if n else None
        return _from_address(_ctypes.addressof(buf) if n else None, dt, shape)
    if dt is D.int64:
        converted = []
        for v in values:
            if isinstance(v, float):
                if not math.isfinite(v):
                    raise InvalidArgumentError(f"cannot convert {v} to int64")
                v = int(v)
            converted.append(int(v))
        values = converted
    else:
        values = [float(v) for v in values]
    arr = array.array(dt.format, values)
    return _from_address(arr.buffer_info()[0] if n else None, dt, shape)


def tensor(data: Any, *, dtype: Any = None, requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data`` (torch.tensor): a number, nested
    lists or tuples of numbers, a numpy array or a Tensor. The dtype is inferred
    as torch does (bool, int64, or float32 when any value is a float) unless given.
    numpy arrays of other types are converted (int32 -> int64, float16 -> float32)."""
    _check_device(device)
    if isinstance(data, Tensor):
        t = data.detach().to(dtype or data.dtype).clone()
        return _finish(t, requires_grad)
    if type(data).__module__ == "numpy" and hasattr(data, "dtype"):
        t = _from_numpy_any(data, dtype)
        return _finish(t, requires_grad)
    values, shape = _flatten(data)
    dt = as_dtype(dtype) if dtype is not None else _infer_dtype(values)
    values = [v.item() if isinstance(v, Tensor) else v for v in values]
    return _finish(_from_values(values, shape, dt), requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` itself if it is a Tensor of the dtype, else a new tensor (torch.as_tensor)."""
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or as_dtype(dtype) is data.dtype else data.to(dtype)
    return tensor(data, dtype=dtype)


_NUMPY_CONVERSIONS = {"int8": "int64", "int16": "int64", "int32": "int64", "uint8": "int64", "uint16": "int64",
                      "uint32": "int64", "float16": "float32"}


def _from_numpy_any(arr: Any, dtype: Any = None) -> Tensor:
    import numpy as np
    arr = np.asarray(arr)
    name = arr.dtype.name
    name = _NUMPY_CONVERSIONS.get(name, name)
    if dtype is not None:
        name = as_dtype(dtype).numpy_name
    dt = as_dtype(name)
    arr = np.asarray(arr, dtype=dt.numpy_name, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    return _from_address(arr.ctypes.data if arr.size else None, dt, arr.shape)


def from_numpy(ndarray: Any) -> Tensor:
    """A tensor sharing a numpy array's memory (torch.from_numpy), through DLPack:
    float32, float64, int64 or bool. Read-only, negatively strided or misaligned
    arrays are copied (ember tensors are writable and must not write there)."""
    import numpy as np
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.name not in ("float32", "float64", "int64", "bool"):
        raise TypeError(f"can't convert np.ndarray of type numpy.{ndarray.dtype.name}. The only supported types are: "
                        "float64, float32, int64, and bool.")
    if ndarray.dtype.byteorder not in ("=", "|") or not ndarray.flags.writeable:
        return _from_numpy_any(ndarray)
    from ._dlpack import from_dlpack
    try:
        return from_dlpack(ndarray)
    except (BufferError, TypeError, ValueError, RuntimeError):
        return _from_numpy_any(ndarray)


def _as_tensor_like(value: Any, like: Tensor) -> Tensor:
    """``value`` as a tensor; Python numbers get ``like``'s dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float)):
        return full((), value, dtype=like.dtype)
    return tensor(value, dtype=like.dtype)
