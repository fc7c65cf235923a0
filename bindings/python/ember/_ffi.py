"""Loading libember and calling it: the library search, the version check,
one precomputed ctypes function object per C function (argtypes and restype
from the generated table _signatures.py), error translation and the C
callback types.

The library is looked for, in order:

1. ``EMBER_LIBRARY``: the path of a libember shared object (an error if it
   does not load -- no silent fallback);
2. the copy bundled into the package at install time (``ember/_lib/``);
3. the build tree next to the source (``build/lib/libember.so`` of the
   repository this file sits in), for running from a checkout;
4. the system loader (``libember.so.0`` via LD_LIBRARY_PATH, ldconfig, ...).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import itertools
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, c_bool, c_char_p, c_double, c_int, c_int64, c_size_t, c_uint64,
                    c_void_p)
from typing import Any, Callable, Dict, Optional

from ._errors import EMBER_ERR_INVALID_ARGUMENT, EmberError, error_for_status
from ._signatures import CALLBACKS, LIBRARY, SIGNATURES

#: The library versions this binding works with: the same major version and at least this minor.
REQUIRED_MAJOR = 0
REQUIRED_MINOR = 1

#: Header functions the binding deliberately does not call, with the reason.
#: tests/test_ffi.py checks that every other function of the header is called
#: somewhere in the package.
INTERNAL: Dict[str, str] = {
    "ember_linear_new": "nn.Linear is made with ember_module_new('Linear', ...), which takes torch's full signature",
    "ember_relu_new": "nn.ReLU is made with ember_module_new('ReLU', ...), which takes torch's inplace argument",
    "ember_sgd_new": "optimizers are made over parameter lists (torch's optim.X(params)) with ember_optimizer_new",
    "ember_adam_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_adamw_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_rmsprop_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_adagrad_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_adadelta_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_adamax_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_nadam_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_radam_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_lbfgs_new": "optimizers are made over parameter lists with ember_optimizer_new",
    "ember_module_clip_grad_norm_": "clip_grad_norm_ takes parameter lists, as torch's; ember_clip_grad_norm_ serves them",
    "ember_module_clip_grad_value_": "clip_grad_value_ takes parameter lists, as torch's; ember_clip_grad_value_ serves them",
    "ember_module_state_dict": "Module.state_dict() walks the Python tree (the source of truth for names, Parameter "
                               "objects and non-persistent buffers) and detaches each tensor",
    "ember_module_load_state_dict": "Module.load_state_dict() checks every key and shape in Python first (torch's "
                                    "messages, all or nothing) and copies with ember_copy_; it also casts dtypes as torch",
    "ember_module_parameter": "lookups by dotted name (get_parameter, attributes) use the Python tree, which returns "
                              "the Parameter objects themselves, as torch; wrappers are built with ember_module_parameter_at",
    "ember_module_buffer": "lookups by dotted name use the Python tree (the buffer objects themselves); wrappers are "
                           "built with ember_module_buffer_at",
    "ember_optimizer_set": "options are set per group through param_groups[g][name] (ember_optimizer_set_group), as "
                           "torch's param_groups are; the all-groups form serves C callers",
    "ember_optimizer_get": "options are read per group through param_groups[g][name] (ember_optimizer_get_group)",
    "ember_state_dict_get": "files are read whole (ember_state_dict_at), as torch.load returns every entry",
    "ember_state_dict_remove": "ember.save builds each state dict from the object being saved; nothing is removed",
    "ember_steplr_new": "schedulers are made with ember_scheduler_new, which takes every torch argument (last_epoch, ...)",
    "ember_multisteplr_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
    "ember_constantlr_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
    "ember_linearlr_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
    "ember_exponentiallr_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
    "ember_polynomiallr_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
    "ember_cosineannealinglr_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
    "ember_cosineannealingwarmrestarts_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
    "ember_onecyclelr_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
    "ember_reducelronplateau_new": "schedulers are made with ember_scheduler_new, which takes every torch argument",
}

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates() -> list:
    """Where the library may be, in search order (see the module docstring)."""
    found = sorted(glob.glob(os.path.join(_HERE, "_lib", "libember.so*")), key=len)
    repo_build = os.path.normpath(os.path.join(_HERE, "..", "..", "..", "build", "lib", "libember.so"))
    if os.path.exists(repo_build):
        found.append(repo_build)
    found.append(LIBRARY)
    system = ctypes.util.find_library("ember")
    if system:
        found.append(system)
    return found


def _load() -> ctypes.CDLL:
    explicit = os.environ.get("EMBER_LIBRARY")
    if explicit:
        try:
            return ctypes.CDLL(explicit)
        except OSError as e:
            raise ImportError(f"ember: EMBER_LIBRARY={explicit!r} could not be loaded: {e}") from e
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise ImportError("ember: libember not found; set EMBER_LIBRARY to the path of libember.so, or install it "
                      "(make install) or build it (make lib) before installing the package. Tried:\n  "
                      + "\n  ".join(errors))


lib = _load()
#: The file the library was loaded from.
library_path: str = lib._name


def _check_version() -> str:
    fn = lib.ember_version
    fn.argtypes, fn.restype = [], c_char_p
    version = fn().decode()
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        raise ImportError(f"ember: {library_path} reports an unparsable version {version!r}") from None
    if major != REQUIRED_MAJOR or minor < REQUIRED_MINOR:
        raise ImportError(f"ember: {library_path} is version {version}; this binding needs "
                          f"{REQUIRED_MAJOR}.{REQUIRED_MINOR} or a later {REQUIRED_MAJOR}.x")
    return version


library_version: str = _check_version()

_SCALARS = {"bool": c_bool, "int32": c_int, "int64": c_int64, "uint64": c_uint64, "size": c_size_t,
            "double": c_double, "void": None}


def _ctype(kind: str, ctype: str):
    if kind == "pointer":
        return c_char_p if " ".join(ctype.split()) in ("const char *", "char *") else c_void_p
    return _SCALARS[kind]


class _Functions:
    """Every C function of the header as an attribute (``C.ember_add``), a ctypes
    function object with its argtypes and restype set once."""


C: Any = _Functions()
#: Functions of the table that the loaded library does not export (an older build).
missing: list = []


def _missing_function(name: str) -> Callable:
    def call(*args: Any) -> Any:
        raise EmberError(f"{name} is not exported by {library_path} (version {library_version}); rebuild libember")
    return call


for _name, (_rkind, _rtype, _params) in SIGNATURES.items():
    try:
        _fn = getattr(lib, _name)
    except AttributeError:
        missing.append(_name)
        setattr(C, _name, _missing_function(_name))
        continue
    _fn.argtypes = [_ctype(k, t) for _, t, k in _params]
    _fn.restype = c_char_p if _rkind == "pointer" and "char" in _rtype else _SCALARS.get(_rkind, c_void_p)
    setattr(C, _name, _fn)

# --------------------------------------------------------------------------- errors

_local = threading.local()


def _pending_take(message: str) -> Optional[BaseException]:
    """The exception a Python callback raised on this thread, if the C failure now
    being reported is that callback's (its message is part of the library's)."""
    pending = getattr(_local, "pending", None)
    if pending is None:
        return None
    _local.pending = None
    exc, text = pending
    return exc if text in message else None


def last_error() -> str:
    """ember_last_error(): the message of the last failing call on this thread."""
    return C.ember_last_error().decode("utf-8", "replace")


def raise_status(status: int) -> None:
    """Raises the exception for a failing status: the Python exception a callback
    raised, if that is what failed, else the EmberError subclass for the status
    with the library's message."""
    message = last_error()
    exc = _pending_take(message)
    if exc is not None:
        raise exc
    raise error_for_status(status, message)


def check(status: int) -> None:
    """Raises unless ``status`` is EMBER_OK."""
    if status:
        raise_status(status)


def report_exception(exc: BaseException, where: str) -> int:
    """For a C callback that caught ``exc``: remembers it (so the Python caller
    that made the C call sees it again), sets the thread's last error and
    returns the status the callback must return to C."""
    if isinstance(exc, EmberError):
        status = exc.status if exc.status else EMBER_ERR_INVALID_ARGUMENT
        text = f"{where}: {exc.message}"
    else:
        status = EMBER_ERR_INVALID_ARGUMENT
        text = f"{where} raised {type(exc).__name__}: {exc}"
    _local.pending = (exc, text)
    C.ember_set_last_error(text.encode("utf-8", "replace"))
    return status


# --------------------------------------------------------------------------- callbacks

#: C callback types of the header (ember/autograd.h, nn.h, optim.h, sched.h).
GRAD_HOOK = CFUNCTYPE(c_int, c_void_p, c_void_p, POINTER(c_void_p))
FUNCTION_FORWARD = CFUNCTYPE(c_int, POINTER(c_void_p), c_int64, c_void_p, POINTER(c_void_p))
FUNCTION_BACKWARD = CFUNCTYPE(c_int, c_void_p, POINTER(c_void_p), c_int64, c_void_p, POINTER(c_void_p))
MODULE_FORWARD = CFUNCTYPE(c_int, c_void_p, POINTER(c_void_p), c_int64, c_void_p, POINTER(c_void_p), c_int64,
                           POINTER(c_int64))
CLOSURE = CFUNCTYPE(c_int, c_void_p, POINTER(c_double))
LR_LAMBDA = CFUNCTYPE(c_int, c_int64, c_int64, c_void_p, POINTER(c_double))
DESTROY = CFUNCTYPE(None, c_void_p)
CALLBACK_TYPES = {
    "ember_grad_hook": GRAD_HOOK, "ember_function_forward": FUNCTION_FORWARD,
    "ember_function_backward": FUNCTION_BACKWARD, "ember_module_forward_fn": MODULE_FORWARD,
    "ember_closure_fn": CLOSURE, "ember_lr_lambda_fn": LR_LAMBDA,
}
assert set(CALLBACK_TYPES) == set(CALLBACKS), "a callback type of the header has no ctypes prototype"

# Python objects reachable from C user_data: an integer key each, released by
# the destroy callback the library calls when it no longer needs the data.
_userdata: Dict[int, Any] = {}
_keys = itertools.count(1)
_userdata_lock = threading.Lock()


def userdata_new(obj: Any) -> int:
    """A new user_data key for ``obj`` (kept until destroy is called with it)."""
    with _userdata_lock:
        key = next(_keys)
        _userdata[key] = obj
    return key


def userdata_get(key: Optional[int]) -> Any:
    """The object registered under ``key`` (None if released)."""
    return _userdata.get(key or 0)


def userdata_drop(key: Optional[int]) -> None:
    """Releases ``key``: after a C call failed that would otherwise have taken it over."""
    _userdata.pop(key or 0, None)


@DESTROY
def _destroy(user_data: Optional[int]) -> None:
    try:
        _userdata.pop(user_data or 0, None)
    except BaseException:  # nothing may escape into C, not even at interpreter exit
        pass


#: The destroy callback to pass with every user_data key.
destroy_callback = _destroy


# --------------------------------------------------------------------------- small helpers

def int64_array(values) -> Any:
    """A C int64_t array holding ``values``."""
    values = list(values)
    return (c_int64 * len(values))(*values)


def double_array(values) -> Any:
    values = list(values)
    return (c_double * len(values))(*values)


def handle_array(handles) -> Any:
    """A C array of handles (ints) for ``const ember_x *const *`` parameters."""
    handles = list(handles)
    return (c_void_p * len(handles))(*handles)


def cstr(text: Optional[str]) -> Optional[bytes]:
    """A Python string as a C string (None stays NULL)."""
    return None if text is None else text.encode("utf-8")
