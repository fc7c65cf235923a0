"""Element types, with torch's names (ember.float32, ember.int64, ...)."""

from __future__ import annotations

import builtins
from typing import Any

__all__ = ["dtype", "float32", "float64", "int64", "bool_", "get_default_dtype", "as_dtype"]


class dtype:
    """An element type (torch.dtype): ``ember.float32``, ``ember.float64``,
    ``ember.int64`` or ``ember.bool``. ``code`` is the C ``ember_dtype`` value."""

    __slots__ = ("name", "code", "itemsize", "is_floating_point", "format", "numpy_name")

    def __init__(self, name: str, code: int, itemsize: int, is_floating_point: builtins.bool, fmt: str,
                 numpy_name: str) -> None:
        self.name = name
        self.code = code
        self.itemsize = itemsize
        self.is_floating_point = is_floating_point
        self.format = fmt          # the struct / array module format character
        self.numpy_name = numpy_name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self) -> Any:
        return (_by_code, (self.code,))

    @property
    def is_signed(self) -> builtins.bool:
        """Whether the type holds negative values (torch.dtype.is_signed)."""
        return self is not bool_


float32 = dtype("float32", 0, 4, True, "f", "float32")
float64 = dtype("float64", 1, 8, True, "d", "float64")
int64 = dtype("int64", 2, 8, False, "q", "int64")
bool_ = dtype("bool", 3, 1, False, "?", "bool")

DTYPES = (float32, float64, int64, bool_)
BY_CODE = {d.code: d for d in DTYPES}
_NAMES = {"float32": float32, "float": float32, "float64": float64, "double": float64, "int64": int64, "long": int64,
          "bool": bool_}


def _by_code(code: int) -> dtype:
    return BY_CODE[code]


def get_default_dtype() -> dtype:
    """The floating type tensors get when none is given (torch.get_default_dtype): float32."""
    return float32


def as_dtype(value: Any) -> dtype:
    """``value`` as an ember dtype: a dtype, its name ("float32", "long", ...), a
    Python type (float, int, bool), a numpy dtype or a torch dtype."""
    if isinstance(value, dtype):
        return value
    if value is builtins.float:
        return float32
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool_
    name = value if isinstance(value, str) else str(value)
    name = name.replace("torch.", "").replace("ember.", "")
    found = _NAMES.get(name)
    if found is None:
        try:  # a numpy dtype or scalar type
            import numpy as np
            found = _NAMES.get(np.dtype(value).name)
        except Exception:
            found = None
    if found is None:
        from ._errors import DTypeError
        raise DTypeError(f"ember has no dtype {value!r}; the dtypes are float32, float64, int64 and bool")
    return found
