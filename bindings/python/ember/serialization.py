"""Saving and loading (torch.save / torch.load and more) on the C library's
safetensors support (ember/io.h).

``ember.save(obj, f)`` writes one safetensors file. A flat dict of tensors
(a state dict) is written as ``safetensors.torch.save_file`` writes it (plus
the dict's key order in the metadata), so either library reads the other's
files. Anything else made of tensors,
numbers, strings, None, dtypes, lists, tuples and dicts (an optimizer's
state_dict, a dict of several state dicts, a single tensor) is written the
same way, with its tensors under their paths ("optimizer.state.0.exp_avg")
and the structure as JSON in the metadata entry "ember.python". Unlike
torch's pickles, loading never runs code (torch's weights_only=True).

Also here: model files (architecture and weights, ember.save_model /
ember.load_model), training checkpoints that resume bit for bit, and the
generator state (ember.get_rng_state / set_rng_state)."""

from __future__ import annotations

import contextlib
import json
import os
from collections import OrderedDict
from ctypes import byref, c_size_t, c_void_p, create_string_buffer
from typing import Any, BinaryIO, Dict, Iterator, List, Optional, Tuple, Union

from . import _dtype as D
from ._errors import EmberIOError
from ._ffi import C, check, cstr, raise_status
from ._tensor import Tensor, _wrap

__all__ = ["save", "load", "save_model", "load_model", "save_checkpoint", "load_checkpoint", "checkpoint_state_dict",
           "restore_checkpoint", "get_rng_state", "set_rng_state", "rng_preserved"]

FileLike = Union[str, os.PathLike, BinaryIO]
_STRUCTURE_KEY = "ember.python"


# ---------------------------------------------------------------------- state dict handles

def _name_at(fn: Any, h: int, index: int, want: bool) -> Tuple[str, Optional[int]]:
    from .nn.modules.module import _name_at as name_at
    return name_at(fn, h, index, want)


def _state_dict_items(sd: int) -> List[Tuple[str, Tensor]]:
    """The (name, tensor) entries of a C state dict, in order."""
    items = []
    for i in range(C.ember_state_dict_count(sd)):
        name, h = _name_at(C.ember_state_dict_at, sd, i, True)
        items.append((name, _wrap(h)))
    return items


def _new_state_dict(items: List[Tuple[str, Tensor]], metadata: Optional[Dict[str, str]] = None) -> int:
    """A new C state dict holding ``items`` (the caller frees it)."""
    out = c_void_p()
    check(C.ember_state_dict_new(byref(out)))
    sd = out.value
    try:
        for name, t in items:
            check(C.ember_state_dict_set(sd, cstr(name), t._h))
        for key, value in (metadata or {}).items():
            check(C.ember_state_dict_set_metadata(sd, cstr(key), cstr(value)))
    except BaseException:
        C.ember_state_dict_free(sd)
        raise
    return sd


def _metadata(sd: int) -> Dict[str, str]:
    out = {}
    for i in range(C.ember_state_dict_metadata_count(sd)):
        size = 256
        while True:
            buf = create_string_buffer(size)
            st = C.ember_state_dict_metadata_key_at(sd, i, buf, size)
            if st == 0:
                break
            if size > 1 << 20:
                raise_status(st)
            size *= 8
        key = buf.value
        length = c_size_t()
        check(C.ember_state_dict_get_metadata(sd, key, None, 0, byref(length)))
        value = create_string_buffer(length.value + 1)
        check(C.ember_state_dict_get_metadata(sd, key, value, length.value + 1, byref(length)))
        out[key.decode()] = value.value.decode("utf-8")
    return out


def _is_path(f: Any) -> bool:
    return isinstance(f, (str, bytes, os.PathLike))


def _write(sd: int, f: FileLike) -> None:
    if _is_path(f):
        check(C.ember_state_dict_save(sd, cstr(os.fsdecode(f))))
        return
    size = c_size_t()
    check(C.ember_state_dict_save_buffer(sd, None, 0, byref(size)))
    buf = create_string_buffer(size.value)
    check(C.ember_state_dict_save_buffer(sd, buf, size.value, byref(size)))
    f.write(buf.raw[:size.value])


def _read(f: Union[FileLike, bytes]) -> int:
    out = c_void_p()
    if isinstance(f, (bytes, bytearray, memoryview)):
        data = bytes(f)
        check(C.ember_state_dict_load_buffer(data, len(data), byref(out)))
    elif _is_path(f):
        check(C.ember_state_dict_load(cstr(os.fsdecode(f)), byref(out)))
    else:
        data = f.read()
        check(C.ember_state_dict_load_buffer(data, len(data), byref(out)))
    return out.value


# ---------------------------------------------------------------------- save / load

class _Encoder:
    def __init__(self) -> None:
        self.tensors: List[Tuple[str, Tensor]] = []
        self.names: Dict[int, str] = {}
        self.used: set = set()

    def name(self, path: str) -> str:
        name = path or "tensor"
        if name in self.used:
            i = 1
            while f"{name}#{i}" in self.used:
                i += 1
            name = f"{name}#{i}"
        self.used.add(name)
        return name

    def encode(self, obj: Any, path: str) -> Any:
        if isinstance(obj, Tensor):
            name = self.names.get(id(obj))
            if name is None:
                name = self.names[id(obj)] = self.name(path)
                self.tensors.append((name, obj))
            entry: Dict[str, Any] = {"$tensor": name}
            if type(obj).__name__ == "Parameter":
                entry["parameter"] = True
            if obj.requires_grad and obj.is_leaf:
                entry["requires_grad"] = True
            return entry
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, D.dtype):
            return {"$dtype": obj.name}
        if isinstance(obj, dict):
            items = [[self.encode(k, f"{path}.{k}" if path else str(k)), self.encode(v, f"{path}.{k}" if path else str(k))]
                     for k, v in obj.items()]
            return {"$dict": items, "ordered": isinstance(obj, OrderedDict)}
        if isinstance(obj, tuple):
            return {"$tuple": [self.encode(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]
        raise TypeError(f"ember.save stores tensors, numbers, strings, None, dtypes and lists, tuples and dicts of "
                        f"them; got {type(obj).__name__} at {path or 'the top level'}")


def _decode(obj: Any, tensors: Dict[str, Tensor]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "$tensor" in obj:
        t = tensors[obj["$tensor"]]
        if obj.get("parameter"):
            from .nn.parameter import Parameter
            return Parameter(t, requires_grad=bool(obj.get("requires_grad")))
        if obj.get("requires_grad"):
            t.requires_grad_(True)
        return t
    if "$dtype" in obj:
        return D.as_dtype(obj["$dtype"])
    if "$tuple" in obj:
        return tuple(_decode(v, tensors) for v in obj["$tuple"])
    if "$dict" in obj:
        pairs = [(_hashable(_decode(k, tensors)), _decode(v, tensors)) for k, v in obj["$dict"]]
        return OrderedDict(pairs) if obj.get("ordered") else dict(pairs)
    raise EmberIOError(f"malformed {_STRUCTURE_KEY} metadata: {obj!r}", 7)


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _is_flat_state_dict(obj: Any) -> bool:
    return (isinstance(obj, dict) and bool(obj) and all(isinstance(k, str) for k in obj)
            and all(type(v) is Tensor and not v.requires_grad for v in obj.values())
            and len({id(v) for v in obj.values()}) == len(obj))


def save(obj: Any, f: FileLike, metadata: Optional[Dict[str, str]] = None) -> None:
    """Saves tensors, state dicts and nested containers of them to a path or a
    binary file object (torch.save), as one safetensors file (see the module
    docstring). ``metadata`` adds string entries to the file's metadata."""
    meta = {"format": "pt"}
    meta.update(metadata or {})
    if _is_flat_state_dict(obj):
        items = list(obj.items())
        # safetensors sorts tensors by dtype and name; the order of the dict is kept here
        meta[_STRUCTURE_KEY] = json.dumps({"$flat": True, "ordered": isinstance(obj, OrderedDict),
                                           "order": [k for k, _ in items]})
    else:
        encoder = _Encoder()
        structure = encoder.encode(obj, "")
        items = encoder.tensors
        meta[_STRUCTURE_KEY] = json.dumps(structure)
    sd = _new_state_dict(items, meta)
    try:
        _write(sd, f)
    finally:
        C.ember_state_dict_free(sd)


def load(f: Union[FileLike, bytes], map_location: Any = None, weights_only: bool = True, mmap: Any = None) -> Any:
    """Loads what ember.save wrote (torch.load), from a path, a binary file object
    or bytes. A safetensors file from elsewhere (safetensors.torch.save_file)
    loads as an OrderedDict of its tensors, in file order. Files are mapped:
    aligned tensors view the file without a copy."""
    from ._tensor import _check_device
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        _check_device(map_location)
    sd = _read(f)
    try:
        items = _state_dict_items(sd)
        meta = _metadata(sd)
    finally:
        C.ember_state_dict_free(sd)
    tensors = dict(items)
    structure = meta.get(_STRUCTURE_KEY)
    if structure is None:
        return OrderedDict(items)
    decoded = json.loads(structure)
    if isinstance(decoded, dict) and decoded.get("$flat"):
        ordered = [(k, tensors[k]) for k in decoded["order"]]
        return OrderedDict(ordered) if decoded.get("ordered") else dict(ordered)
    return _decode(decoded, tensors)


# ---------------------------------------------------------------------- model files

def save_model(model: Any, f: Union[str, os.PathLike]) -> None:
    """Writes a model of built-in layers -- architecture and weights -- to one
    file (ember_module_save) that ember.load_model rebuilds without its Python
    code (torch: saving a TorchScript module). A Python subclass of Module
    cannot be saved this way (its forward is Python code): save its state_dict."""
    check(C.ember_module_save(model._handles()[0], cstr(os.fsdecode(f))))


def load_model(f: Union[FileLike, bytes]) -> Any:
    """Rebuilds a model saved by ember.save_model, from a path, a file object or bytes."""
    from .nn.modules.module import module_from_handle
    out = c_void_p()
    if _is_path(f):
        check(C.ember_module_load(cstr(os.fsdecode(f)), byref(out)))
    else:
        data = bytes(f) if isinstance(f, (bytes, bytearray, memoryview)) else f.read()
        check(C.ember_module_load_buffer(data, len(data), byref(out)))
    return module_from_handle(out.value)


def _copy_builtin(model: Any) -> int:
    """A new C module rebuilt from a built-in module through a temporary model file
    (the generator is left as it was); for copying layers the C library made."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "module.ember")
        check(C.ember_module_save(model._handles()[0], cstr(path)))
        out = c_void_p()
        check(C.ember_module_load(cstr(path), byref(out)))
    return out.value


# ---------------------------------------------------------------------- checkpoints

def _handles(model: Any, optimizer: Any, scheduler: Any, loader: Any) -> Tuple[Any, Any, Any, Any]:
    m = model._handles()[0] if model is not None else None
    o = optimizer._h if optimizer is not None else None
    s = scheduler._h if scheduler is not None else None
    if loader is not None and getattr(loader, "_c_loader", None) is None:
        raise TypeError("only a DataLoader over a TensorDataset of two tensors has checkpointable C state")
    d = loader._c_loader._h if loader is not None else None
    return m, o, s, d


def _resume(loader: Any) -> None:
    """The next iteration of a restored loader continues the restored epoch."""
    if loader is not None:
        loader._c_loader.in_epoch = False


def save_checkpoint(f: Union[str, os.PathLike], model: Any = None, optimizer: Any = None, scheduler: Any = None,
                    loader: Any = None) -> None:
    """Writes a training checkpoint: the model's state, the optimizer's, the
    scheduler's, the data loader's position and the generator (ember_checkpoint_save).
    load_checkpoint into objects made the same way resumes the run bit for bit."""
    check(C.ember_checkpoint_save(cstr(os.fsdecode(f)), *_handles(model, optimizer, scheduler, loader)))


def load_checkpoint(f: Union[str, os.PathLike], model: Any = None, optimizer: Any = None, scheduler: Any = None,
                    loader: Any = None) -> None:
    """Restores a checkpoint into the objects given (ember_checkpoint_load); all or nothing."""
    check(C.ember_checkpoint_load(cstr(os.fsdecode(f)), *_handles(model, optimizer, scheduler, loader)))
    _resume(loader)


def checkpoint_state_dict(model: Any = None, optimizer: Any = None, scheduler: Any = None,
                          loader: Any = None) -> "OrderedDict[str, Tensor]":
    """The checkpoint as a dict of tensors ("model.0.weight", "optimizer.state.0.exp_avg",
    "generator.state", ...), e.g. to add entries before ember.save."""
    out = c_void_p()
    check(C.ember_checkpoint_state_dict(*_handles(model, optimizer, scheduler, loader), byref(out)))
    try:
        items = _state_dict_items(out.value)
        meta = _metadata(out.value)
    finally:
        C.ember_state_dict_free(out.value)
    result = OrderedDict(items)
    result.metadata = meta  # type: ignore[attr-defined]
    return result


def restore_checkpoint(state: Dict[str, Tensor], model: Any = None, optimizer: Any = None, scheduler: Any = None,
                       loader: Any = None, metadata: Optional[Dict[str, str]] = None) -> None:
    """Restores a checkpoint dict made by checkpoint_state_dict (ember_checkpoint_restore)."""
    meta = dict(getattr(state, "metadata", None) or {})
    meta.update(metadata or {})
    sd = _new_state_dict(list(state.items()), meta)
    try:
        check(C.ember_checkpoint_restore(sd, *_handles(model, optimizer, scheduler, loader)))
        _resume(loader)
    finally:
        C.ember_state_dict_free(sd)


# ---------------------------------------------------------------------- generator state

def get_rng_state() -> Tensor:
    """The global generator's full state (torch.get_rng_state): torch's 5056 bytes
    as a 632-element int64 tensor (``.numpy().view(numpy.uint8)`` is torch's ByteTensor)."""
    out = c_void_p()
    check(C.ember_generator_get_state(byref(out)))
    return _wrap(out.value)


def set_rng_state(new_state: Tensor) -> None:
    """Sets the global generator's state (torch.set_rng_state), from get_rng_state's
    tensor or torch's 5056-byte state viewed as int64."""
    check(C.ember_generator_set_state(new_state._h))


@contextlib.contextmanager
def rng_preserved() -> Iterator[None]:
    """Runs a block and then puts the global generator back as it was (a plain
    block with a library that cannot save the generator state)."""
    from ._ffi import missing
    if "ember_generator_get_state" in missing:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
