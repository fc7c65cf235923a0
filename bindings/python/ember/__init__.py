"""Ember from Python: PyTorch's core API over libember, through ctypes.

    import ember
    import ember.nn as nn
    import ember.optim as optim

    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward(); optimizer.step(); optimizer.zero_grad()

Names, arguments, defaults and numbers are torch's: with the same seed, the
layers, random tensors and data-loader batches are torch's. See README.md.
"""

from __future__ import annotations

import math as _math

from . import _ffi
from ._dtype import bool_ as bool  # noqa: A001 - torch.bool
from ._dtype import dtype, float32, float64, get_default_dtype, int64
from ._errors import (DTypeError, EmberError, EmberIOError, InternalError, InvalidArgumentError, InvalidHandleError,
                      OutOfMemoryError, ShapeError, StateError)
from ._grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ._tensor import (Size, Tensor, arange, as_tensor, device, empty, empty_like, eye, from_numpy, full, full_like,
                      is_tensor, linspace, manual_seed, numel, ones, ones_like, rand, rand_like, randint,
                      randint_like, randn, randn_like, tensor, zeros, zeros_like)
from ._ops import *  # noqa: F401,F403 - every op, with torch's names
from ._ops import __all__ as _op_names
from . import _indexing  # noqa: F401 - installs Tensor.__getitem__/__setitem__
from . import autograd
from ._dlpack import from_dlpack
from . import serialization
from .serialization import (checkpoint_state_dict, get_rng_state, load, load_checkpoint, load_model,
                            restore_checkpoint, save, save_checkpoint, save_model, set_rng_state)
from . import nn, optim, utils

float = float32  # noqa: A001 - torch.float
double = float64
long = int64

#: The binding's version (the library's is ember.library_version()).
__version__ = "0.1.0"
pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan

#: The loaded shared object.
library_path = _ffi.library_path


def library_version() -> str:
    """The version string libember reports (ember_version())."""
    return _ffi.library_version


def set_num_threads(threads: int) -> None:
    """How many threads kernels and BLAS may use (torch.set_num_threads); process-wide."""
    _ffi.C.ember_set_num_threads(int(threads))


def get_num_threads() -> int:
    """The number of threads kernels may use (torch.get_num_threads)."""
    return int(_ffi.C.ember_get_num_threads())


def empty_cache() -> int:
    """Gives the tensor memory Ember keeps for reuse back to the system and
    returns how many bytes that was (ember_empty_cache; torch.cuda.empty_cache
    for host memory). The cache holds released blocks above 4 KiB, per size, up
    to EMBER_CACHE_MB mebibytes (default 256; 0 turns it off)."""
    return int(_ffi.C.ember_empty_cache())


def dtype_name(d: dtype) -> str:
    """The library's name for a dtype (ember_dtype_name)."""
    return _ffi.C.ember_dtype_name(d.code).decode()


def status_name(status: int) -> str:
    """The library's name for a status code ("EMBER_ERR_SHAPE") (ember_status_name)."""
    return _ffi.C.ember_status_name(int(status)).decode()


__all__ = list(_op_names) + [
    "Tensor", "Size", "device", "dtype", "float32", "float64", "int64", "bool", "float", "double", "long",
    "tensor", "as_tensor", "from_numpy", "from_dlpack", "zeros", "ones", "empty", "full", "rand", "randn", "randint",
    "arange", "linspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
    "randint_like", "manual_seed", "is_tensor", "numel", "get_default_dtype", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "inference_mode", "save", "load", "save_model", "load_model",
    "save_checkpoint", "load_checkpoint", "checkpoint_state_dict", "restore_checkpoint", "get_rng_state",
    "set_rng_state", "serialization", "autograd", "nn", "optim", "utils",
    "EmberError", "InvalidArgumentError", "InvalidHandleError", "ShapeError", "DTypeError", "OutOfMemoryError",
    "StateError", "EmberIOError", "InternalError", "set_num_threads", "get_num_threads", "empty_cache", "library_version",
    "dtype_name", "status_name", "pi", "e", "inf", "nan",
]
