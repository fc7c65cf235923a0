"""nn.Module: the base of every layer, with torch's registration, traversal,
state dicts, modes, hooks and printing.

Design. Every Module owns a C module handle, so that modules compose across
the language boundary in both directions:

* A built-in layer (Linear, Conv2d, LSTM, ...) wraps the handle
  ember_module_new(type, args) gives; its parameters, buffers and children
  are the C module's own tensors and sub-modules (handles to the live ones).
* A Python subclass of Module is a C *custom* module
  (ember_module_custom_new) whose forward callback calls the Python object:
  when a C container (a C-backed nn.Sequential) runs it, C calls back into
  Python, and an exception there is caught, reported to C as a failing
  status and raised again from the outer Python call.
* Assigning a Parameter, a Module or a buffer to an attribute registers it
  both in the Python dicts (``_parameters``, ``_buffers``, ``_modules``, the
  source of truth for traversal and identity) and in the C tree
  (ember_module_register_*), so C-side operations -- state_dict, load_state_dict,
  zero_grad, train/eval, checkpoints, summaries -- see the same tree with
  torch's dotted names.

Optimizers take parameter lists (``model.parameters()``), which are the same
C tensors either way, so they train built-in and Python modules alike.

Handles are released by ``__del__`` exactly once. A custom module's callback
reaches its Python object through a weak reference: the Python object is
kept alive by its owner (a variable, or its parent's ``_modules``), never by C."""

from __future__ import annotations

import ast
import re
import weakref
from collections import OrderedDict, namedtuple
from ctypes import byref, c_size_t, c_void_p, create_string_buffer
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from ... import _dtype as D
from ..._dtype import as_dtype
from ..._errors import InvalidArgumentError, StateError
from ..._ffi import (C, MODULE_FORWARD, check, cstr, destroy_callback, raise_status, report_exception, userdata_drop, userdata_get, userdata_new)
from ..._tensor import Tensor, _check_device, _retain, _wrap
from ..parameter import Parameter, _parameter_from_handle

__all__ = ["Module", "RemovableHandle"]

_module_free = C.ember_module_free
_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


# ---------------------------------------------------------------------- C helpers

def _summary(h: int) -> str:
    """ember_module_summary: the module tree as torch prints it."""
    length = c_size_t()
    check(C.ember_module_summary(h, None, 0, byref(length)))
    buf = create_string_buffer(length.value + 1)
    check(C.ember_module_summary(h, buf, length.value + 1, byref(length)))
    return buf.value.decode("utf-8", "replace")


def _name_at(fn: Any, h: int, index: int, want: bool) -> Tuple[str, Optional[int]]:
    """(name, new handle or None) of the index-th entry of a *_at enumeration."""
    size = 128
    while True:
        buf = create_string_buffer(size)
        out = c_void_p()
        st = fn(h, index, buf, size, byref(out) if want else None)
        if st == 0:
            return buf.value.decode(), out.value
        if size >= 1 << 20:
            raise_status(st)
        size *= 8


_CHILD = re.compile(r"^  \(([^)]+)\): (?:(\d+) x )?(\w+)")


def _direct_children(summary: str) -> List[Tuple[str, str]]:
    """(name, type) of the direct children in a summary, with ModuleList's
    grouped runs "(0-1): 2 x Layer(" expanded."""
    children = []
    for line in summary.split("\n")[1:]:
        m = _CHILD.match(line)
        if not m:
            continue
        name, type_name = m.group(1), m.group(3)
        if m.group(2) and re.fullmatch(r"\d+-\d+", name):
            lo, hi = (int(x) for x in name.split("-"))
            children.extend((str(i), type_name) for i in range(lo, hi + 1))
        else:
            children.append((name, type_name))
    return children


def _own_extra_repr(summary: str) -> str:
    """The part of a one-line summary between its parentheses (torch's extra_repr)."""
    first = summary.split("\n")[0]
    start = first.find("(")
    if "\n" not in summary and first.endswith(")"):
        return first[start + 1:-1]
    return ""


def _parse_attributes(extra: str) -> Dict[str, Any]:
    """The name=value pairs of an extra_repr whose values are Python literals."""
    out = {}
    for part in re.split(r",\s*(?=\w+=)", extra):
        if "=" in part:
            key, _, value = part.partition("=")
            try:
                out[key.strip()] = ast.literal_eval(value.strip())
            except (ValueError, SyntaxError):
                pass
    return out


#: Python classes of the built-in C module types, by C type name (filled by layers.py).
BUILTIN_CLASSES: Dict[str, type] = {}


def module_from_handle(h: int) -> "Module":
    """A Python wrapper (of the matching class) owning the C module handle ``h``."""
    type_name = _summary(h).split("(")[0]
    cls = BUILTIN_CLASSES.get(type_name)
    if cls is None:
        from .layers import _GenericBuiltin
        cls = _GenericBuiltin
    return cls._from_handle(h, type_name)


# ---------------------------------------------------------------------- the forward callback

def _flatten_outputs(result: Any) -> List[Tensor]:
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        flat: List[Tensor] = []
        for item in result:
            flat.extend(_flatten_outputs(item))
        return flat
    raise TypeError(f"a module run by the C library must return tensors, got {type(result).__name__}")


@MODULE_FORWARD
def _module_forward(self_h: int, inputs: Any, n_inputs: int, user_data: int, outputs: Any, capacity: int,
                    n_outputs: Any) -> int:
    ref = userdata_get(user_data)
    module = ref() if ref is not None else None
    try:
        if module is None:
            raise StateError("the Python object of this custom module is gone", 6)
        args = [_wrap(_retain(inputs[i])) for i in range(n_inputs)]
        results = _flatten_outputs(module(*args))
        if len(results) > capacity:
            raise InvalidArgumentError(f"{type(module).__name__}.forward returned {len(results)} tensors; "
                                       f"at most {capacity} can be passed back")
        for i, t in enumerate(results):
            outputs[i] = _retain(t._h)
        n_outputs[0] = len(results)
        return 0
    except BaseException as e:  # nothing may escape into C
        return report_exception(e, f"{type(module).__name__}.forward")


def _module_new(type_name: str, args: str) -> int:
    """A new built-in C module: ember_module_new(type_name, args)'s handle."""
    out = c_void_p()
    check(C.ember_module_new(cstr(type_name), cstr(args), byref(out)))
    return out.value


def _sequential_new() -> int:
    """A new empty C Sequential: ember_sequential_new's handle."""
    out = c_void_p()
    check(C.ember_sequential_new(byref(out)))
    return out.value


def _new_custom(obj: "Module", type_name: str) -> int:
    """A C custom module whose forward calls ``obj`` (held weakly)."""
    key = userdata_new(weakref.ref(obj))
    out = c_void_p()
    st = C.ember_module_custom_new(cstr(type_name), _module_forward, key, destroy_callback, byref(out))
    if st:
        userdata_drop(key)
        raise_status(st)
    return out.value


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class RemovableHandle:
    """Removes a forward hook when ``remove()`` is called (or on leaving a with block)."""

    def __init__(self, hooks: Dict[int, Callable], key: int) -> None:
        self._hooks = hooks
        self.id = key

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


_hook_ids = iter(range(1, 1 << 62))


class Module:
    """The base of every network (torch.nn.Module). Subclass it, assign layers
    and Parameters as attributes in ``__init__`` (after ``super().__init__()``)
    and define ``forward``; call the module to run it::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(10, 5)
                self.fc2 = nn.Linear(5, 2)

            def forward(self, x):
                return self.fc2(ember.relu(self.fc1(x)))
    """

    _version = 1
    dump_patches = False
    _builtin_forward: Any = None

    # ------------------------------------------------------------------ construction

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        self._init_state()
        h = _new_custom(self, type(self).__name__)
        object.__setattr__(self, "_h", h)
        object.__setattr__(self, "_bh", h)

    def _init_state(self) -> None:
        sa = object.__setattr__
        if "_parameters" in self.__dict__:
            return
        sa(self, "_h", None)
        sa(self, "_bh", None)
        sa(self, "_parameters", OrderedDict())
        sa(self, "_buffers", OrderedDict())
        sa(self, "_non_persistent_buffers_set", set())
        sa(self, "_modules", OrderedDict())
        sa(self, "_forward_hooks", OrderedDict())
        sa(self, "_forward_pre_hooks", OrderedDict())

    def __del__(self, _free: Any = _module_free) -> None:
        d = self.__dict__
        h, bh = d.get("_h"), d.get("_bh")
        d["_h"] = d["_bh"] = None
        if h:
            _free(h)
        if bh and bh != h:
            _free(bh)

    # ------------------------------------------------------------------ wrapping C modules

    @classmethod
    def _from_handle(cls, h: int, type_name: str) -> "Module":
        """A wrapper of class ``cls`` owning the C module handle ``h``, with
        wrappers for its parameters, buffers and children."""
        obj = cls.__new__(cls)
        obj._init_state()
        obj._adopt(h, type_name)
        for key, value in _parse_attributes(_own_extra_repr(_summary(h))).items():
            if key not in obj.__dict__ and not hasattr(type(obj), key):
                object.__setattr__(obj, key, value)
        return obj

    def _adopt(self, h: int, type_name: str) -> None:
        """Takes ownership of a built-in C module: ``_bh`` is it; ``_h`` too, unless
        this Python class overrides forward -- then ``_h`` is a custom module
        calling that forward, holding the built-in one's tensors and children."""
        sa = object.__setattr__
        sa(self, "_bh", h)
        sa(self, "_type", type_name)
        builtin_forward = type(self)._builtin_forward
        overridden = builtin_forward is not None and type(self).forward is not builtin_forward
        sa(self, "_h", _new_custom(self, type(self).__name__) if overridden else h)
        self._populate(register=overridden)

    def _populate(self, register: bool) -> None:
        bh = self._bh
        for i in range(C.ember_module_parameter_count(bh)):
            name, _ = _name_at(C.ember_module_parameter_at, bh, i, False)
            if "." not in name:
                _, ph = _name_at(C.ember_module_parameter_at, bh, i, True)
                self._parameters[name] = _parameter_from_handle(ph)
                if register:
                    check(C.ember_module_register_parameter(self._h, cstr(name), ph))
        for i in range(C.ember_module_buffer_count(bh)):
            name, _ = _name_at(C.ember_module_buffer_at, bh, i, False)
            if "." not in name:
                _, th = _name_at(C.ember_module_buffer_at, bh, i, True)
                self._buffers[name] = _wrap(th)
                if register:
                    check(C.ember_module_register_buffer(self._h, cstr(name), th))
        for name, _ in _direct_children(_summary(bh)):
            out = c_void_p()
            check(C.ember_module_child(bh, cstr(name), byref(out)))
            child = module_from_handle(out.value)
            self._modules[name] = child
            if register:
                check(C.ember_module_register_module(self._h, cstr(name), child._h))

    def _handles(self) -> List[int]:
        """The C handles of this module: one, or two for a subclass of a built-in
        layer that overrides forward (the custom module and the built-in one)."""
        h, bh = self.__dict__.get("_h"), self.__dict__.get("_bh")
        if h is None:
            raise AttributeError(f"{type(self).__name__}: Module.__init__() was not called")
        return [h] if bh == h or bh is None else [h, bh]

    # ------------------------------------------------------------------ attributes

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(ember.nn.Parameter or None expected)")
            params[name] = None
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            self.register_module(name, value)
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(ember.nn.Module or None expected)")
            modules[name] = None
            return
        buffers = d.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(ember.Tensor or None expected)")
            self.register_buffer(name, value, persistent=name not in self._non_persistent_buffers_set)
            return
        object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            d[key].pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                # The C tree keeps its entry (the C API has no unregister); it is None here, as torch's del.
                del store[name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> List[str]:
        keys = list(super().__dir__())
        for key in ("_parameters", "_buffers", "_modules"):
            keys += list(self.__dict__.get(key, {}))
        return sorted(set(keys))

    # ------------------------------------------------------------------ registration

    @staticmethod
    def _check_name(name: str, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f'{kind} name can\'t contain "." and can\'t be empty')

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Adds a parameter under ``name`` (torch.nn.Module.register_parameter);
        None reserves the name."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(ember.nn.Parameter or None required)")
        for h in self._handles():
            check(C.ember_module_register_parameter(h, cstr(name), param._h))
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        """Adds a buffer: state saved with the module but not trained
        (torch.nn.Module.register_buffer). Non-persistent buffers stay out of the state dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(ember.Tensor or None required)")
        if name in self.__dict__:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and persistent:
            for h in self._handles():
                check(C.ember_module_register_buffer(h, cstr(name), tensor._h))
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_module(self, name: str, module: Optional["Module"]) -> None:
        """Adds a child module (torch.nn.Module.register_module / add_module)."""
        if "_modules" not in self.__dict__:
            raise AttributeError("cannot assign module before Module.__init__() call")
        self._check_name(name, "module")
        if module is not None:
            if not isinstance(module, Module):
                raise TypeError(f"{type(module).__name__} is not a Module subclass")
            check(C.ember_module_register_module(self._handles()[0], cstr(name), module._handles()[0]))
        self._modules[name] = module

    add_module = register_module

    # ------------------------------------------------------------------ calling

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if d["_forward_pre_hooks"] or d["_forward_hooks"]:
            for hook in list(d["_forward_pre_hooks"].values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
            output = self.forward(*args, **kwargs)
            for hook in list(d["_forward_hooks"].values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
            return output
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args)`` runs before forward; it may return new args."""
        key = next(_hook_ids)
        self._forward_pre_hooks[key] = hook
        return RemovableHandle(self._forward_pre_hooks, key)

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args, output)`` runs after forward; it may return a new output."""
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # ------------------------------------------------------------------ traversal

    def named_modules(self, memo: Optional[Set[int]] = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, "Module"]]:
        """Every module of the tree with its dotted name, this one first ("")."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        """Every module of the tree, this one first."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """The direct children with their names."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator["Module"]:
        """The direct children."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, key: str, prefix: str, recurse: bool, remove_duplicate: bool) -> Iterator[Tuple[str, Any]]:
        memo: Set[int] = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[key].items():
                if value is None or (remove_duplicate and id(value) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """(state_dict name, Parameter) for every parameter, shared ones once (torch's order)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of the tree, for an optimizer: ``optim.SGD(model.parameters(), lr=0.1)``."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        """(name, buffer) for every buffer of the tree."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer of the tree."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        """The module at a dotted path ("" is this one)."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            child = module._modules.get(item)
            if child is None:
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        param = module._parameters.get(name)
        if param is None:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        buf = module._buffers.get(name)
        if buf is None:
            raise AttributeError(f"{module._get_name()} has no buffer `{name}`")
        return buf

    # ------------------------------------------------------------------ state

    def state_dict(self, *, destination: Optional[Dict[str, Any]] = None, prefix: str = "",
                   keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """Parameters and persistent buffers by dotted name, in torch's order
        (torch's state_dict): detached tensors sharing memory with the module's,
        or with ``keep_vars`` the Parameter and buffer objects themselves."""
        out = OrderedDict() if destination is None else destination
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            dot = "." if module_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[module_prefix + dot + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    out[module_prefix + dot + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict: Dict[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """Copies values into the parameters and buffers by name (torch's
        load_state_dict): with ``strict`` every key must match, and nothing is
        changed unless all do (torch's error message lists every problem). dtypes
        are converted as torch converts them. Returns (missing_keys, unexpected_keys)."""
        expected = self.state_dict(keep_vars=True)
        if assign:
            return self._assign_state(state_dict, expected, strict)
        from ..._tensor import tensor
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict if k not in expected]
        mismatched = []
        updates = []
        for name, value in state_dict.items():
            target = expected.get(name)
            if target is None:
                continue
            if not isinstance(value, Tensor):
                value = tensor(value)
            if tuple(value.shape) != tuple(target.shape):
                mismatched.append(f"size mismatch for {name}: copying a param with shape ember.Size({list(value.shape)}) "
                                  f"from checkpoint, the shape in current model is ember.Size({list(target.shape)}).")
                continue
            updates.append((target, value))
        errors = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        errors += mismatched
        if errors and (strict or mismatched):
            raise InvalidArgumentError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                                       + "\n\t".join(errors), 1)
        from ..._grad_mode import no_grad
        with no_grad():
            for target, value in updates:
                check(C.ember_copy_(target._h, value._h))
        return _IncompatibleKeys(missing, unexpected)

    def _assign_state(self, state_dict: Dict[str, Any], expected: Dict[str, Tensor], strict: bool) -> Any:
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict if k not in expected]
        if strict and (missing or unexpected):
            raise InvalidArgumentError(f"Error(s) in loading state_dict for {self._get_name()}: missing keys "
                                       f"{missing}, unexpected keys {unexpected}")
        for name, value in state_dict.items():
            if name not in expected:
                continue
            module_path, _, leaf = name.rpartition(".")
            module = self.get_submodule(module_path)
            if leaf in module._parameters:
                setattr(module, leaf, Parameter(value, requires_grad=expected[name].requires_grad))
            else:
                module.register_buffer(leaf, value)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes and gradients

    @property
    def training(self) -> bool:
        """Whether the module is in training mode."""
        h = self.__dict__.get("_bh")
        return bool(C.ember_module_is_training(h)) if h else True

    @training.setter
    def training(self, mode: bool) -> None:
        for h in self._handles():
            check(C.ember_module_train(h, bool(mode)))

    def train(self, mode: bool = True) -> "Module":
        """Training (True) or evaluation mode for the whole tree (torch's train()); returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            for h in module._handles():
                check(C.ember_module_train(h, mode))
        return self

    def eval(self) -> "Module":
        """Evaluation mode (torch's eval()); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Freezes (False) or unfreezes every parameter (torch's requires_grad_)."""
        check(C.ember_module_set_requires_grad(self._handles()[0], bool(requires_grad)))
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the parameters' gradients (torch's zero_grad): sets them to None,
        or with ``set_to_none=False`` fills them with zeros."""
        if set_to_none:
            check(C.ember_module_zero_grad(self._handles()[0]))
            return
        for p in self.parameters():
            g = p.grad
            if g is not None:
                g.zero_()

    # ------------------------------------------------------------------ dtypes and devices

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Converts floating parameters and buffers to a dtype (torch's module.to(dtype));
        a device must be the CPU. Parameters are replaced by converted ones (torch
        keeps the objects), so make the optimizer after converting."""
        target = kwargs.pop("dtype", None)
        _check_device(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        for a in args:
            if isinstance(a, Tensor):
                target = a.dtype
            elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps", "meta"):
                _check_device(a)
            elif a is not None and not isinstance(a, str) or (isinstance(a, str) and a in ("float32", "float64")):
                try:
                    target = as_dtype(a)
                except Exception:
                    _check_device(a)
        if target is not None:
            target = as_dtype(target)
            if not target.is_floating_point:
                raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={target}")
            self._convert(target)
        return self

    def _convert(self, dt: D.dtype) -> None:
        from ..._grad_mode import no_grad
        with no_grad():
            for module in self.modules():
                for name, p in list(module._parameters.items()):
                    if p is not None and p.dtype.is_floating_point and p.dtype is not dt:
                        module.register_parameter(name, Parameter(p.detach().to(dt), requires_grad=p.requires_grad))
                for name, b in list(module._buffers.items()):
                    if b is not None and b.dtype.is_floating_point and b.dtype is not dt:
                        module.register_buffer(name, b.to(dt), persistent=name not in module._non_persistent_buffers_set)

    def float(self) -> "Module":
        """Floating parameters and buffers to float32."""
        return self.to(D.float32)

    def double(self) -> "Module":
        """Floating parameters and buffers to float64."""
        return self.to(D.float64)

    def cpu(self) -> "Module":
        """The module itself (ember computes on the CPU)."""
        return self

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Calls ``fn`` on every child (recursively) then on this module (torch's apply)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ printing

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """What the repr prints between the parentheses; subclasses may override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append("(" + key + "): " + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def summary(self) -> str:
        """The C library's view of the tree (ember_module_summary)."""
        return _summary(self._handles()[0])

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Module":
        """A copy with its own C modules and tensors (copy.deepcopy(model), as torch
        allows): built-in layers are rebuilt from their constructor arguments
        (without drawing from the global generator) or, for layers that came out
        of the C library, through a model file; then every value is copied."""
        import copy
        from ..._grad_mode import no_grad
        if id(self) in memo:
            return memo[id(self)]
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        new._init_state()
        d = self.__dict__
        builtin = d.get("_type") is not None and type(self)._builtin_forward is not None and not isinstance(
            d.get("_c_sequential"), bool)
        if builtin:
            from ...serialization import rng_preserved
            args = d.get("_ctor_args")
            if args is not None:
                with rng_preserved():
                    h = _module_new(d["_type"], args)
                object.__setattr__(new, "_ctor_args", args)
                new._adopt(h, d["_type"])
            else:
                from ...serialization import _copy_builtin
                new._adopt(_copy_builtin(self), d["_type"])
            with no_grad():
                for (name, mine), (_, theirs) in zip(self.state_dict(keep_vars=True).items(),
                                                     new.state_dict(keep_vars=True).items()):
                    theirs.copy_(mine)
                    if mine.requires_grad != theirs.requires_grad and theirs.is_leaf:
                        theirs.requires_grad_(mine.requires_grad)
            for name, p in self._parameters.items():
                if p is not None and id(p) in memo:
                    new.register_parameter(name, memo[id(p)])   # a parameter tied elsewhere stays tied
                elif p is not None:
                    memo[id(p)] = new._parameters[name]
            new.train(self.training)
            skip = {"_h", "_bh", "_type", "_ctor_args", "_parameters", "_buffers", "_modules",
                    "_non_persistent_buffers_set"}
        else:
            if isinstance(d.get("_c_sequential"), bool) and d["_c_sequential"]:
                h = _sequential_new()
            else:
                h = _new_custom(new, type(self).__name__)
            object.__setattr__(new, "_h", h)
            object.__setattr__(new, "_bh", h)
            if "_c_sequential" in d:
                object.__setattr__(new, "_c_sequential", d["_c_sequential"])
            for name, p in self._parameters.items():
                new.register_parameter(name, None if p is None else copy.deepcopy(p, memo))
            for name, b in self._buffers.items():
                new.register_buffer(name, None if b is None else copy.deepcopy(b, memo),
                                    persistent=name not in self._non_persistent_buffers_set)
            for name, m in self._modules.items():
                child = None if m is None else copy.deepcopy(m, memo)
                if d.get("_c_sequential"):
                    check(C.ember_sequential_append(h, child._handles()[0]))
                    new._modules[name] = child
                else:
                    new.register_module(name, child)
            new.train(self.training)
            skip = {"_h", "_bh", "_parameters", "_buffers", "_modules", "_non_persistent_buffers_set",
                    "_c_sequential"}
        for key, value in d.items():
            if key in skip:
                continue
            if key in ("_forward_hooks", "_forward_pre_hooks"):
                object.__setattr__(new, key, OrderedDict(value))
            else:
                object.__setattr__(new, key, copy.deepcopy(value, memo))
        return new

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(f"cannot pickle {type(self).__name__}: save its state_dict() with ember.save, "
                        "or a built-in model with ember.save_model")
