"""torch.nn.init: in-place initialisers drawing from the global generator in
torch's order (the same values as torch for the same seed). Each returns the
tensor, as torch's do."""

from __future__ import annotations

from ctypes import byref, c_double
from typing import Optional

from .._ffi import C, check, cstr
from .._tensor import Tensor

__all__ = ["uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_", "eye_", "kaiming_uniform_",
           "kaiming_normal_", "xavier_uniform_", "xavier_normal_", "orthogonal_", "calculate_gain"]


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Samples from U(a, b) (torch.nn.init.uniform_)."""
    check(C.ember_init_uniform_(tensor._h, float(a), float(b)))
    return tensor


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Samples from N(mean, std^2) (torch.nn.init.normal_)."""
    check(C.ember_init_normal_(tensor._h, float(mean), float(std)))
    return tensor


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0) -> Tensor:
    """Samples from N(mean, std^2) truncated to [a, b] (torch.nn.init.trunc_normal_)."""
    check(C.ember_init_trunc_normal_(tensor._h, float(mean), float(std), float(a), float(b)))
    return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Every element ``val`` (torch.nn.init.constant_)."""
    check(C.ember_init_constant_(tensor._h, float(val)))
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Every element 0 (torch.nn.init.zeros_)."""
    check(C.ember_init_zeros_(tensor._h))
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    """Every element 1 (torch.nn.init.ones_)."""
    check(C.ember_init_ones_(tensor._h))
    return tensor


def eye_(tensor: Tensor) -> Tensor:
    """The identity in a 2-D tensor (torch.nn.init.eye_)."""
    check(C.ember_init_eye_(tensor._h))
    return tensor


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform initialisation (torch.nn.init.kaiming_uniform_)."""
    check(C.ember_init_kaiming_uniform_(tensor._h, float(a), cstr(mode), cstr(nonlinearity)))
    return tensor


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal initialisation (torch.nn.init.kaiming_normal_)."""
    check(C.ember_init_kaiming_normal_(tensor._h, float(a), cstr(mode), cstr(nonlinearity)))
    return tensor


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform initialisation (torch.nn.init.xavier_uniform_)."""
    check(C.ember_init_xavier_uniform_(tensor._h, float(gain)))
    return tensor


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal initialisation (torch.nn.init.xavier_normal_)."""
    check(C.ember_init_xavier_normal_(tensor._h, float(gain)))
    return tensor


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix times gain (torch.nn.init.orthogonal_)."""
    check(C.ember_init_orthogonal_(tensor._h, float(gain)))
    return tensor


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The recommended gain for a nonlinearity (torch.nn.init.calculate_gain)."""
    out = c_double()
    p = None if param is None else byref(c_double(float(param)))
    check(C.ember_calculate_gain(cstr(nonlinearity), p, byref(out)))
    return out.value
