"""torch's indexing on ember tensors: x[i], x[a:b:c], x[None], x[..., i],
x[mask], x[index_tensor], and assignment through them.

Basic indexing (ints, slices, None, Ellipsis) gives views sharing storage, as
in torch. Advanced indexing (int64 tensors, lists, bool masks) gives copies,
with torch's (numpy's) placement of the indexed dims: where the first indexed
dim was when the indexed dims are adjacent, in front otherwise."""

from __future__ import annotations

import builtins
import operator
from ctypes import byref, c_void_p
from typing import Any, List, Tuple

from . import _dtype as D
from . import _ops as ops
from ._ffi import C, raise_status
from ._tensor import Tensor, _wrap, arange, tensor

EMBER_END = 2 ** 63 - 1


def _select(x: Tensor, dim: int, index: int, size: int) -> Tensor:
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of bounds for dimension {dim} with size {size}")
    out = c_void_p()
    st = C.ember_select(x._h, dim, index, byref(out))
    if st:
        raise_status(st)
    return _wrap(out.value)


def _slice(x: Tensor, dim: int, s: slice) -> Tensor:
    step = 1 if s.step is None else operator.index(s.step)
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start = 0 if s.start is None else operator.index(s.start)
    stop = EMBER_END if s.stop is None else operator.index(s.stop)
    out = c_void_p()
    st = C.ember_slice(x._h, dim, start, stop, step, byref(out))
    if st:
        raise_status(st)
    return _wrap(out.value)


def _is_advanced(item: Any) -> bool:
    return isinstance(item, (Tensor, list)) or (hasattr(item, "dtype") and hasattr(item, "shape")
                                                 and getattr(item, "ndim", 0) > 0)


def _as_index(item: Any) -> Tensor:
    if isinstance(item, Tensor):
        t = item
    else:
        t = tensor(item)
        if t.numel() == 0 and t.dtype is D.float32:
            t = t.to(D.int64)
    if t.dtype is not D.int64 and t.dtype is not D.bool_:
        raise IndexError("tensors used as indices must be long, int or bool tensors")
    return t


def _normalize(key: Any, ndim: int) -> List[Any]:
    """The key as a list of per-dim items with Ellipsis expanded."""
    if not isinstance(key, tuple):
        key = (key,)
    items = [(_as_index(k) if _is_advanced(k) else k) for k in key]
    consumed = 0
    ellipses = 0
    for k in items:
        if k is None:
            continue
        if k is Ellipsis:
            ellipses += 1
        elif isinstance(k, Tensor) and k.dtype is D.bool_:
            consumed += builtins.max(k.ndim, 1) if k.ndim else 0
        elif isinstance(k, (int, slice, Tensor)) or hasattr(k, "__index__"):
            consumed += 1
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or bool tensors are "
                             f"valid indices (got {type(k).__name__})")
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out: List[Any] = []
    for k in items:
        if k is Ellipsis:
            out.extend([slice(None)] * (ndim - consumed))
        else:
            out.append(k)
    return out


def _basic(x: Tensor, items: List[Any]) -> Tuple[Tensor, List[Tuple[int, Tensor]]]:
    """Applies ints, slices and None; returns the view and the advanced indices
    as (dim in the view, int64 index tensor), bool masks already turned into
    int indices over their merged dims."""
    dim = 0
    advanced: List[Tuple[int, Tensor]] = []
    for k in items:
        if k is None:
            x = ops.unsqueeze(x, dim)
            dim += 1
        elif isinstance(k, slice):
            if not (k.start is None and k.stop is None and k.step is None):
                x = _slice(x, dim, k)
            dim += 1
        elif isinstance(k, Tensor):
            if k.dtype is D.bool_:
                if k.ndim == 0:
                    x = ops.unsqueeze(x, dim)
                    if not k.item():
                        x = _slice(x, dim, slice(0, 0))
                    dim += 1
                    continue
                mshape = tuple(k.shape)
                xshape = tuple(x.shape[dim:dim + len(mshape)])
                if mshape != xshape:
                    raise IndexError(f"The shape of the mask {list(mshape)} at index {dim} does not match the shape "
                                     f"of the indexed tensor {list(xshape)}")
                if len(mshape) > 1:
                    x = ops.flatten(x, dim, dim + len(mshape) - 1)
                flat_mask = ops.reshape(k, (-1,))
                positions = ops.masked_select(arange(flat_mask.numel()), flat_mask)
                advanced.append((dim, positions))
            else:
                advanced.append((dim, k))
            dim += 1
        else:
            index = operator.index(k)
            x = _select(x, dim, index, x.shape[dim])
    return x, advanced


def getitem(x: Tensor, key: Any) -> Tensor:
    """x[key] with torch's semantics."""
    tp = type(key)
    if tp is int:
        shape = x.shape
        if not shape:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` to convert a 0-dim tensor to a number")
        return _select(x, 0, key, shape[0])
    if tp is slice:
        if not x.shape:
            raise IndexError("slicing a 0-dim tensor")
        return _slice(x, 0, key)
    items = _normalize(key, x.ndim)
    view, advanced = _basic(x, items)
    if not advanced:
        return view if view is not x else ops.view(x, tuple(x.shape))
    return _advanced(view, advanced)


def _advanced(x: Tensor, advanced: List[Tuple[int, Tensor]]) -> Tensor:
    shape = list(x.shape)
    dims = [d for d, _ in advanced]
    indices = []
    for d, idx in advanced:
        size = shape[d]
        neg = ops.lt(idx, 0)
        if ops.any(neg).item():
            idx = ops.add(idx, ops.mul(neg.to(D.int64), size))
        indices.append(idx)
    index_shape = ops.broadcast_shapes(*(i.shape for i in indices))
    if len(advanced) == 1:
        d, idx = dims[0], indices[0]
        flat = ops.reshape(idx, (-1,))
        out = ops.index_select(x, d, flat)
        return ops.reshape(out, tuple(shape[:d]) + tuple(index_shape) + tuple(shape[d + 1:]))
    adjacent = dims == list(range(dims[0], dims[0] + len(dims)))
    rest = [i for i in range(len(shape)) if i not in dims]
    moved = ops.permute(x, dims + rest)
    sizes = [shape[d] for d in dims]
    merged = ops.reshape(moved, (-1,) + tuple(shape[i] for i in rest))
    linear = None
    stride = 1
    for size, idx in zip(reversed(sizes), reversed(indices)):
        bad = ops.logical_or(ops.lt(idx, 0), ops.ge(idx, size))
        if ops.any(bad).item():
            value = ops.masked_select(idx, bad)[0].item()
            raise IndexError(f"index {value} is out of bounds for dimension with size {size}")
        term = ops.mul(idx, stride) if stride != 1 else idx
        linear = term if linear is None else ops.add(linear, term)
        stride *= size
    linear = ops.broadcast_to(linear, index_shape)
    out = ops.index_select(merged, 0, ops.reshape(linear, (-1,)))
    out = ops.reshape(out, tuple(index_shape) + tuple(shape[i] for i in rest))
    if adjacent and dims[0] > 0:
        k = len(index_shape)
        out = ops.movedim(out, list(range(k)), list(range(dims[0], dims[0] + k)))
    return out


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """x[key] = value with torch's semantics: basic keys write through a view;
    advanced keys (and tensors that require grad) scatter into a copy that is
    then written back with copy_, which autograd records."""
    items = _normalize(key, x.ndim)
    simple = not builtins.any(isinstance(k, Tensor) for k in items)
    if simple and not (x.requires_grad and C.ember_is_grad_enabled()):
        view, _ = _basic(x, items)
        if isinstance(value, Tensor):
            ops.copy_(view, value)
        elif isinstance(value, (int, float)):
            ops.fill_(view, value)
        else:
            ops.copy_(view, tensor(value, dtype=x.dtype))
        return
    if (len(items) == 1 and isinstance(items[0], Tensor) and items[0].dtype is D.bool_
            and tuple(items[0].shape) == tuple(x.shape) and not isinstance(value, Tensor)):
        ops.copy_(x, ops.masked_fill(x, items[0], value))
        return
    positions = getitem(ops.reshape(arange(x.numel()), tuple(x.shape)), key)
    if isinstance(value, Tensor):
        values = value.to(x.dtype)
    else:
        values = tensor(value, dtype=x.dtype)
    values = ops.broadcast_to(values, positions.shape)
    flat = ops.reshape(x, (-1,))
    updated = ops.scatter(flat, 0, ops.reshape(positions, (-1,)), ops.reshape(values, (-1,)))
    ops.copy_(x, ops.reshape(updated, tuple(x.shape)))


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
