"""DLPack exchange (ember/dlpack.h) through Python capsules: Tensor.__dlpack__,
Tensor.__dlpack_device__ and ember.from_dlpack, so that torch.from_dlpack,
numpy.from_dlpack and ember.from_dlpack move tensors between the libraries
without copying (ember copies only what the C API documents: read-only,
negatively strided or misaligned memory).

Capsules follow the Python array API: "dltensor_versioned" (DLPack >= 1.0,
when the consumer passes max_version) or "dltensor"; a consumer renames a
capsule it takes to "used_dltensor[_versioned]", and a capsule never taken
calls the tensor's deleter when it is garbage collected."""

from __future__ import annotations

import ctypes
from ctypes import (CFUNCTYPE, POINTER, PYFUNCTYPE, Structure, c_int, c_int32, c_int64, c_uint8, c_uint16, c_uint32, c_uint64, c_void_p, py_object)
from typing import Any, Optional, Tuple

from ._errors import InvalidArgumentError
from ._ffi import C, check, raise_status
from ._tensor import Tensor, _wrap

__all__ = ["from_dlpack", "to_dlpack"]

KDLCPU = 1


class DLDevice(Structure):
    _fields_ = [("device_type", c_int32), ("device_id", c_int32)]


class DLDataType(Structure):
    _fields_ = [("code", c_uint8), ("bits", c_uint8), ("lanes", c_uint16)]


class DLTensor(Structure):
    _fields_ = [("data", c_void_p), ("device", DLDevice), ("ndim", c_int32), ("dtype", DLDataType),
                ("shape", POINTER(c_int64)), ("strides", POINTER(c_int64)), ("byte_offset", c_uint64)]


class DLManagedTensor(Structure):
    pass


DLManagedTensor._fields_ = [("dl_tensor", DLTensor), ("manager_ctx", c_void_p),
                            ("deleter", CFUNCTYPE(None, POINTER(DLManagedTensor)))]


class DLPackVersion(Structure):
    _fields_ = [("major", c_uint32), ("minor", c_uint32)]


class DLManagedTensorVersioned(Structure):
    pass


DLManagedTensorVersioned._fields_ = [("version", DLPackVersion), ("manager_ctx", c_void_p),
                                     ("deleter", CFUNCTYPE(None, POINTER(DLManagedTensorVersioned))),
                                     ("flags", c_uint64), ("dl_tensor", DLTensor)]

# Capsule names live as long as the module: a capsule keeps a pointer to its name.
_NAMES = {key: ctypes.create_string_buffer(key) for key in
          (b"dltensor", b"dltensor_versioned", b"used_dltensor", b"used_dltensor_versioned")}
_NAME_PTR = {key: ctypes.addressof(buf) for key, buf in _NAMES.items()}

_api = ctypes.pythonapi
_capsule_new = PYFUNCTYPE(py_object, c_void_p, c_void_p, c_void_p)(("PyCapsule_New", _api))
_capsule_is_valid = PYFUNCTYPE(c_int, py_object, c_void_p)(("PyCapsule_IsValid", _api))
_capsule_get = PYFUNCTYPE(c_void_p, py_object, c_void_p)(("PyCapsule_GetPointer", _api))
_capsule_set_name = PYFUNCTYPE(c_int, py_object, c_void_p)(("PyCapsule_SetName", _api))
# The destructor gets a borrowed PyObject*: these variants take it raw.
_raw_is_valid = PYFUNCTYPE(c_int, c_void_p, c_void_p)(("PyCapsule_IsValid", _api))
_raw_get = PYFUNCTYPE(c_void_p, c_void_p, c_void_p)(("PyCapsule_GetPointer", _api))


@CFUNCTYPE(None, c_void_p)
def _destroy_versioned(capsule: int) -> None:
    try:
        if _raw_is_valid(capsule, _NAME_PTR[b"dltensor_versioned"]):
            managed = ctypes.cast(_raw_get(capsule, _NAME_PTR[b"dltensor_versioned"]),
                                  POINTER(DLManagedTensorVersioned))
            if managed.contents.deleter:
                managed.contents.deleter(managed)
    except BaseException:  # a destructor must not raise
        pass


@CFUNCTYPE(None, c_void_p)
def _destroy_legacy(capsule: int) -> None:
    try:
        if _raw_is_valid(capsule, _NAME_PTR[b"dltensor"]):
            managed = ctypes.cast(_raw_get(capsule, _NAME_PTR[b"dltensor"]), POINTER(DLManagedTensor))
            if managed.contents.deleter:
                managed.contents.deleter(managed)
    except BaseException:
        pass


_DESTROY_VERSIONED = ctypes.cast(_destroy_versioned, c_void_p).value
_DESTROY_LEGACY = ctypes.cast(_destroy_legacy, c_void_p).value


def to_dlpack(tensor: Tensor, versioned: bool = False) -> Any:
    """A DLPack capsule viewing ``tensor``'s memory (torch.utils.dlpack.to_dlpack);
    the legacy "dltensor" kind unless ``versioned``."""
    out = c_void_p()
    if versioned:
        st = C.ember_to_dlpack_versioned(tensor._h, ctypes.byref(out))
        if st:
            raise_status(st)
        return _capsule_new(out.value, _NAME_PTR[b"dltensor_versioned"], _DESTROY_VERSIONED)
    st = C.ember_to_dlpack(tensor._h, ctypes.byref(out))
    if st:
        raise_status(st)
    return _capsule_new(out.value, _NAME_PTR[b"dltensor"], _DESTROY_LEGACY)


def _dlpack(self: Tensor, *, stream: Any = None, max_version: Optional[Tuple[int, int]] = None,
            dl_device: Optional[Tuple[int, int]] = None, copy: Optional[bool] = None) -> Any:
    """A DLPack capsule of this tensor (the array API's __dlpack__): versioned when
    the consumer accepts DLPack 1.x, zero-copy unless ``copy=True``."""
    if dl_device is not None and tuple(dl_device)[0] != KDLCPU:
        raise BufferError("ember tensors live on the CPU (kDLCPU)")
    if self.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    source = self.detach().clone() if copy else self
    return to_dlpack(source, versioned=max_version is not None and tuple(max_version)[0] >= 1)


def _dlpack_device(self: Tensor) -> Tuple[int, int]:
    """(kDLCPU, 0): where the tensor's memory is, for DLPack consumers."""
    return (KDLCPU, 0)


Tensor.__dlpack__ = _dlpack
Tensor.__dlpack_device__ = _dlpack_device


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor viewing the memory of any DLPack producer -- a torch tensor, a
    numpy array, another ember tensor -- or of a DLPack capsule, without
    copying (torch.from_dlpack). CPU memory only."""
    capsule = ext_tensor
    if hasattr(ext_tensor, "__dlpack__"):
        device = ext_tensor.__dlpack_device__() if hasattr(ext_tensor, "__dlpack_device__") else (KDLCPU, 0)
        if int(device[0]) != KDLCPU:
            raise InvalidArgumentError(f"from_dlpack: ember tensors live on the CPU, got a tensor on device {device}")
        try:
            capsule = ext_tensor.__dlpack__(max_version=(1, 1))
        except TypeError:  # a producer older than DLPack 1.0
            capsule = ext_tensor.__dlpack__()
    out = c_void_p()
    if _capsule_is_valid(capsule, _NAME_PTR[b"dltensor_versioned"]):
        pointer = _capsule_get(capsule, _NAME_PTR[b"dltensor_versioned"])
        check(C.ember_from_dlpack_versioned(pointer, ctypes.byref(out)))
        _capsule_set_name(capsule, _NAME_PTR[b"used_dltensor_versioned"])
    elif _capsule_is_valid(capsule, _NAME_PTR[b"dltensor"]):
        pointer = _capsule_get(capsule, _NAME_PTR[b"dltensor"])
        check(C.ember_from_dlpack(pointer, ctypes.byref(out)))
        _capsule_set_name(capsule, _NAME_PTR[b"used_dltensor"])
    else:
        raise TypeError("from_dlpack expects an object with __dlpack__ or an unused DLPack capsule")
    return _wrap(out.value)
