"""Grad mode (torch.no_grad, torch.enable_grad, torch.set_grad_enabled):
context managers that also work as decorators. Grad mode is per thread, as
in torch and the C library."""

from __future__ import annotations

import functools
from typing import Any, Callable, List, TypeVar

from ._ffi import C

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """A context manager setting grad mode on entry and restoring it on exit;
    an instance (or the class) decorates a function to run in that mode."""

    _mode = False

    def __new__(cls, *args: Any) -> Any:
        # torch allows the bare decorator form: @ember.no_grad
        if len(args) == 1 and callable(args[0]) and cls in (no_grad, enable_grad):
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self) -> None:
        self._prev: List[bool] = []

    def __enter__(self) -> None:
        self._prev.append(C.ember_set_grad_enabled(self._mode))

    def __exit__(self, *exc: Any) -> None:
        C.ember_set_grad_enabled(self._prev.pop())

    def __call__(self, func: F) -> F:
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = C.ember_set_grad_enabled(mode)
            try:
                return func(*args, **kwargs)
            finally:
                C.ember_set_grad_enabled(prev)
        return wrapper  # type: ignore[return-value]

    def clone(self) -> "_GradMode":
        return type(self)()


class no_grad(_GradMode):
    """Turns gradient recording off (torch.no_grad): ``with ember.no_grad(): ...``
    or ``@ember.no_grad()``. Ops inside build no graph."""

    _mode = False


class enable_grad(_GradMode):
    """Turns gradient recording on, e.g. inside a no_grad block (torch.enable_grad)."""

    _mode = True


class inference_mode(_GradMode):
    """torch.inference_mode: here the same as no_grad (ember has no inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._mode = not mode


class set_grad_enabled(_GradMode):
    """Sets grad mode now (torch.set_grad_enabled(mode)); used as a context
    manager it restores the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._mode = bool(mode)
        self._prev.append(C.ember_set_grad_enabled(self._mode))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        if self._prev:
            C.ember_set_grad_enabled(self._prev.pop())

    def __call__(self, func: F) -> F:
        # As a decorator it only applies to calls of the function (torch restores the mode here too).
        if self._prev:
            C.ember_set_grad_enabled(self._prev.pop())
        return super().__call__(func)

    def clone(self) -> "set_grad_enabled":
        return set_grad_enabled(self._mode)


def is_grad_enabled() -> bool:
    """Whether gradient recording is on for this thread (torch.is_grad_enabled)."""
    return bool(C.ember_is_grad_enabled())
