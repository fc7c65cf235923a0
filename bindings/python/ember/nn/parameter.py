"""nn.Parameter: a tensor that is a module's trainable weight."""

from __future__ import annotations

from ctypes import byref, c_void_p
from typing import Any, Optional

from .._ffi import C, check, raise_status
from .._tensor import Tensor, _new, zeros

__all__ = ["Parameter", "is_parameter"]


class Parameter(Tensor):
    """A leaf tensor that requires grad and registers itself as a parameter when
    assigned to a Module attribute (torch.nn.Parameter). ``Parameter(t)`` shares
    ``t``'s storage (it is ``t.detach()`` made to require grad)."""

    __slots__ = ()

    def __new__(cls, data: Optional[Tensor] = None, requires_grad: bool = True) -> "Parameter":
        if data is None:
            data = zeros(0)
        out = c_void_p()
        st = C.ember_detach(data._h, byref(out))
        if st:
            raise_status(st)
        p = _new(cls)
        p._h = out.value
        if requires_grad and data.dtype.is_floating_point:
            check(C.ember_tensor_set_requires_grad(p._h, True))
        return p

    def __init__(self, data: Optional[Tensor] = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        from .._format import tensor_repr
        return "Parameter containing:\n" + tensor_repr(self)

    def __reduce__(self) -> Any:
        return Tensor.__reduce__(self)


def _parameter_from_handle(h: int) -> Parameter:
    """A Parameter owning the handle ``h`` of a live module parameter."""
    p = _new(Parameter)
    p._h = h
    return p


def is_parameter(obj: Any) -> bool:
    """Whether ``obj`` is a Parameter."""
    return isinstance(obj, Parameter)
