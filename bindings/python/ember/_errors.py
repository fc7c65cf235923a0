"""The exceptions the binding raises: one class per ember_status, each
carrying the C library's message (ember_last_error())."""

from __future__ import annotations

__all__ = [
    "EmberError", "InvalidArgumentError", "InvalidHandleError", "ShapeError", "DTypeError",
    "OutOfMemoryError", "StateError", "EmberIOError", "InternalError", "error_for_status",
]

EMBER_OK = 0
EMBER_ERR_INVALID_ARGUMENT = 1
EMBER_ERR_INVALID_HANDLE = 2
EMBER_ERR_SHAPE = 3
EMBER_ERR_DTYPE = 4
EMBER_ERR_OUT_OF_MEMORY = 5
EMBER_ERR_STATE = 6
EMBER_ERR_IO = 7
EMBER_ERR_INTERNAL = 8


class EmberError(RuntimeError):
    """A call into libember failed. ``status`` is the C ``ember_status`` code and
    ``str(error)`` the library's message, which names the function, the argument
    and the values involved. A RuntimeError, as torch's errors are."""

    status: int = EMBER_ERR_INTERNAL

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgumentError(EmberError, ValueError):
    """EMBER_ERR_INVALID_ARGUMENT: a value out of range or malformed (an index, a name, an option)."""

    status = EMBER_ERR_INVALID_ARGUMENT


class InvalidHandleError(EmberError):
    """EMBER_ERR_INVALID_HANDLE: a NULL, freed or wrong-kind handle."""

    status = EMBER_ERR_INVALID_HANDLE


class ShapeError(EmberError):
    """EMBER_ERR_SHAPE: shapes that do not fit together."""

    status = EMBER_ERR_SHAPE


class DTypeError(EmberError, TypeError):
    """EMBER_ERR_DTYPE: a dtype the operation does not support, or dtypes that disagree."""

    status = EMBER_ERR_DTYPE


class OutOfMemoryError(EmberError, MemoryError):
    """EMBER_ERR_OUT_OF_MEMORY: an allocation failed or a size overflows."""

    status = EMBER_ERR_OUT_OF_MEMORY


class StateError(EmberError):
    """EMBER_ERR_STATE: the object is in the wrong state (a freed graph, an in-place
    write into a leaf that requires grad, ...)."""

    status = EMBER_ERR_STATE


class EmberIOError(EmberError, OSError):
    """EMBER_ERR_IO: a file could not be read or written, or is malformed."""

    status = EMBER_ERR_IO


class InternalError(EmberError):
    """EMBER_ERR_INTERNAL: a bug in Ember; please report it with the message."""

    status = EMBER_ERR_INTERNAL


_BY_STATUS = {
    EMBER_ERR_INVALID_ARGUMENT: InvalidArgumentError,
    EMBER_ERR_INVALID_HANDLE: InvalidHandleError,
    EMBER_ERR_SHAPE: ShapeError,
    EMBER_ERR_DTYPE: DTypeError,
    EMBER_ERR_OUT_OF_MEMORY: OutOfMemoryError,
    EMBER_ERR_STATE: StateError,
    EMBER_ERR_IO: EmberIOError,
    EMBER_ERR_INTERNAL: InternalError,
}


def error_for_status(status: int, message: str) -> EmberError:
    """The exception for a failing ``ember_status`` with the library's message."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return EmberError(f"unknown status {status}: {message}", status)
    return cls(message, status)
