"""Containers: Sequential (a C Sequential, whose forward is one C call),
ModuleList, ModuleDict, ParameterList and ParameterDict."""

from __future__ import annotations

from collections import OrderedDict
from ctypes import byref, c_void_p
from typing import Any, Iterable, Iterator, Mapping, Optional, Tuple, Union

from ..._ffi import C, check
from ..._ops import _out_tensor
from ..._tensor import Tensor
from ..parameter import Parameter
from .layers import _hooked_builtins, builtin
from .module import Module, _addindent, _new_custom, _sequential_new

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]

_module_forward = C.ember_module_forward


@builtin("Sequential")
class Sequential(Module):
    """Applies its children in order (torch.nn.Sequential): ``Sequential(m1, m2, ...)``
    or ``Sequential(OrderedDict(name=module, ...))``.

    Positional children make a C Sequential (ember_sequential_new/append): its
    forward is a single C call that runs every built-in child in C and calls
    back into Python only for Python modules. Named children (an OrderedDict),
    or a subclass that overrides forward, make a Python-driven one."""

    def __init__(self, *args: Any) -> None:
        self._init_state()
        named = len(args) == 1 and isinstance(args[0], OrderedDict)
        c_backed = not named and type(self).forward is Sequential.forward
        if c_backed:
            h = _sequential_new()
        else:
            h = _new_custom(self, type(self).__name__)
        object.__setattr__(self, "_h", h)
        object.__setattr__(self, "_bh", h)
        object.__setattr__(self, "_c_sequential", c_backed)
        if named:
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for module in args:
                self.append(module)

    @classmethod
    def _from_handle(cls, h: int, type_name: str) -> "Sequential":
        obj = super()._from_handle(h, type_name)
        object.__setattr__(obj, "_c_sequential", True)
        return obj

    def append(self, module: Module) -> "Sequential":
        """Adds ``module`` at the end, under the next index; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if self._c_sequential:
            check(C.ember_sequential_append(self._h, module._handles()[0]))
            self._modules[str(len(self._modules))] = module
        else:
            self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "Sequential":
        """Appends every module of ``modules``; returns self."""
        for m in modules:
            self.append(m)
        return self

    def forward(self, input: Any) -> Any:
        """Each child applied in turn to the previous one's output."""
        if self.__dict__["_c_sequential"] and not _hooked_builtins[0] and isinstance(input, Tensor):
            out = c_void_p()
            return _out_tensor(_module_forward(self._h, input._h, byref(out)), out)
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx: Union[int, slice]) -> Any:
        if isinstance(idx, slice):
            items = list(self._modules.items())[idx]
            if self._c_sequential:
                return type(self)(*[m for _, m in items])
            return type(self)(OrderedDict(items))
        values = list(self._modules.values())
        if not -len(values) <= idx < len(values):
            raise IndexError(f"index {idx} is out of range")
        return values[idx]

    def __setitem__(self, idx: int, module: Module) -> None:
        keys = list(self._modules.keys())
        self.register_module(keys[idx], module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


Sequential._builtin_forward = Sequential.forward


class ModuleList(Module):
    """A list of modules registered as children "0", "1", ... (torch.nn.ModuleList)."""

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        """Adds ``module`` at the end; returns self."""
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Appends every module of ``modules``; returns self."""
        for m in modules:
            self.append(m)
        return self

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __getitem__(self, idx: Union[int, slice]) -> Any:
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return type(self)(values[idx])
        if not -len(values) <= idx < len(values):
            raise IndexError(f"index {idx} is out of range")
        return values[idx]

    def __setitem__(self, idx: int, module: Module) -> None:
        keys = list(self._modules.keys())
        self.register_module(keys[idx], module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __repr__(self) -> str:
        # torch's: runs of identical children print once, "(0-2): 3 x Layer(...)"
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        spans, blocks = [[0, 0]], [reprs[0]]
        for i, r in enumerate(reprs[1:], 1):
            if r == blocks[-1]:
                spans[-1][1] += 1
                continue
            spans.append([i, i])
            blocks.append(r)
        lines = []
        for (start, end), block in zip(spans, blocks):
            local = f"({start}): {block}" if start == end else f"({start}-{end}): {end - start + 1} x {block}"
            lines.append(_addindent(local, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


ModuleList._builtin_forward = ModuleList.forward
builtin("ModuleList")(ModuleList)


class ModuleDict(Module):
    """A dict of modules registered as children by key (torch.nn.ModuleDict)."""

    def __init__(self, modules: Optional[Union[Mapping[str, Module], Iterable[Tuple[str, Module]]]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self) -> Iterable[Tuple[str, Module]]:
        """(key, module) pairs."""
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        """The modules."""
        return self._modules.values()

    def pop(self, key: str) -> Module:
        """Removes and returns the module at ``key``."""
        return self._modules.pop(key)

    def update(self, modules: Union[Mapping[str, Module], Iterable[Tuple[str, Module]]]) -> None:
        """Adds or replaces modules from a mapping or (key, module) pairs."""
        items = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in items:
            self[key] = module


ModuleDict._builtin_forward = ModuleDict.forward


class ParameterList(Module):
    """A list of parameters registered as "0", "1", ... (torch.nn.ParameterList)."""

    def __init__(self, values: Optional[Iterable[Any]] = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def append(self, value: Any) -> "ParameterList":
        """Adds a parameter (a tensor is made a Parameter); returns self."""
        if not isinstance(value, Parameter):
            value = Parameter(value)
        self.register_parameter(str(len(self._parameters)), value)
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        """Appends every value; returns self."""
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, idx: int) -> Parameter:
        values = list(self._parameters.values())
        return values[idx]

    def __setitem__(self, idx: int, value: Any) -> None:
        keys = list(self._parameters.keys())
        self.register_parameter(keys[idx], value if isinstance(value, Parameter) else Parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def extra_repr(self) -> str:
        lines = []
        for k, p in self._parameters.items():
            size = "x".join(str(s) for s in p.shape)
            lines.append(f"({k}): Parameter containing: [ember.{p.dtype.name} of size {size}]")
        return "\n".join(lines)


class ParameterDict(Module):
    """A dict of parameters registered by key (torch.nn.ParameterDict)."""

    def __init__(self, parameters: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__()
        if parameters is not None:
            for key, value in parameters.items():
                self[key] = value

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, value if isinstance(value, Parameter) else Parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> Iterable[str]:
        """The keys."""
        return self._parameters.keys()

    def items(self) -> Iterable[Tuple[str, Parameter]]:
        """(key, parameter) pairs."""
        return self._parameters.items()

    def values(self) -> Iterable[Parameter]:
        """The parameters."""
        return self._parameters.values()
