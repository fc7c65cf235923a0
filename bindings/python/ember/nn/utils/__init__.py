"""torch.nn.utils: gradient clipping and flattening parameters to a vector."""

from __future__ import annotations

from ctypes import byref, c_double
from typing import Iterable, List, Union

from ... import _ops as ops
from ..._ffi import C, check, handle_array
from ..._tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _list(parameters: Union[Tensor, Iterable[Tensor]]) -> List[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters: Union[Tensor, Iterable[Tensor]], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: object = None) -> Tensor:
    """Scales the gradients so that their joint norm is at most ``max_norm``
    (torch.nn.utils.clip_grad_norm_); returns the total norm before clipping."""
    params = _list(parameters)
    total = c_double()
    if norm_type == "inf":
        norm_type = float("inf")
    check(C.ember_clip_grad_norm_(handle_array(p._h for p in params), len(params), float(max_norm), float(norm_type),
                                  bool(error_if_nonfinite), byref(total)))
    from ..._tensor import full
    return full((), total.value)


def clip_grad_value_(parameters: Union[Tensor, Iterable[Tensor]], clip_value: float, foreach: object = None) -> None:
    """Clamps every gradient element into [-clip_value, clip_value] (torch.nn.utils.clip_grad_value_)."""
    params = _list(parameters)
    check(C.ember_clip_grad_value_(handle_array(p._h for p in params), len(params), float(clip_value)))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined into one vector (torch.nn.utils.parameters_to_vector)."""
    return ops.cat([ops.reshape(p, (-1,)) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies slices of ``vec`` into the parameters (torch.nn.utils.vector_to_parameters)."""
    from ..._grad_mode import no_grad
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(ops.reshape(ops.narrow(vec, 0, offset, n), tuple(p.shape)))
            offset += n
