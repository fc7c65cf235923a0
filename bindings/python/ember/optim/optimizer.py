"""Optimizers (torch.optim): every C optimizer over Python parameter lists,
with torch's constructors, param_groups (lists of dicts), state_dict and
load_state_dict (which also takes torch's optimizer state dicts), and
step(closure)."""

from __future__ import annotations

import math
import re
from ctypes import byref, c_char_p, c_double, c_void_p
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from .. import _dtype as D
from .._errors import InvalidArgumentError
from .._ffi import (C, CLOSURE, check, cstr, handle_array, raise_status, report_exception, userdata_drop,
                    userdata_get, userdata_new)
from .._grad_mode import enable_grad
from .._tensor import Tensor, _wrap, full, tensor

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS"]

_BOOLS = {"nesterov", "amsgrad", "maximize", "centered", "decoupled_weight_decay"}
_INTS = {"max_iter", "max_eval", "history_size"}
#: torch keywords the C optimizers have no use for (ember's update is always one fused pass).
_IGNORED = {"foreach", "fused", "capturable", "differentiable"}
_free = C.ember_optimizer_free
_step = C.ember_optimizer_step
_zero_grad = C.ember_optimizer_zero_grad


def _format(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_format(v) for v in value) + ")"
    if isinstance(value, Tensor):
        return repr(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgumentError(f"an optimizer option must be finite, got {value}")
    return repr(value)


def _options_string(options: Dict[str, Any]) -> str:
    return ", ".join(f"{k}={_format(v)}" for k, v in options.items()
                     if k not in _IGNORED and not (k in ("max_eval", "line_search_fn") and v is None))


def _to_c(name: str, value: Any) -> List[Tuple[str, float]]:
    """A torch option as the C library's named doubles."""
    if name == "betas":
        return [("beta1", float(value[0])), ("beta2", float(value[1]))]
    if name == "line_search_fn":
        if value not in (None, "strong_wolfe", 0, 1):
            raise InvalidArgumentError(f"line_search_fn must be None or 'strong_wolfe', got {value!r}")
        return [("line_search_fn", 1.0 if value in ("strong_wolfe", 1) else 0.0)]
    if isinstance(value, Tensor):
        value = value.item()
    return [(name, float(value))]


def _from_c(name: str, value: float) -> Any:
    if name in _BOOLS:
        return bool(value)
    if name in _INTS:
        return int(value)
    if name == "line_search_fn":
        return "strong_wolfe" if value else None
    return value


def _name_at(fn: Any, h: int, index: int, want: bool) -> Tuple[str, Optional[int]]:
    from ..nn.modules.module import _name_at as name_at
    return name_at(fn, h, index, want)


class _ParamGroup(dict):
    """One of ``optimizer.param_groups``: a dict whose option entries read and
    write the C optimizer's group (so schedulers and code that sets
    ``group["lr"]`` act on it); other keys are kept in Python, as torch's."""

    def __init__(self, optimizer: "Optimizer", index: int, params: List[Tensor]) -> None:
        super().__init__()
        self._optimizer = optimizer
        self._index = index
        dict.__setitem__(self, "params", params)

    def _c_names(self) -> List[str]:
        return self._optimizer._option_names(self._index)

    def _torch_names(self) -> List[str]:
        names = []
        for n in self._c_names():
            if n == "beta1":
                names.append("betas")
            elif n != "beta2":
                names.append(n)
        return names

    def __getitem__(self, key: str) -> Any:
        if key == "params" or dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        opt = self._optimizer
        if key == "betas":
            return (opt._get(self._index, "beta1"), opt._get(self._index, "beta2"))
        if key in self._c_names():
            return _from_c(key, opt._get(self._index, key))
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "params":
            dict.__setitem__(self, key, list(value))
            return
        names = self._c_names()
        if key == "betas" or key in names:
            for name, v in _to_c(key, value):
                check(C.ember_optimizer_set_group(self._optimizer._h, self._index, cstr(name), v))
            return
        dict.__setitem__(self, key, value)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._torch_names()

    def keys(self) -> List[str]:  # type: ignore[override]
        return ["params"] + self._torch_names() + [k for k in dict.keys(self) if k != "params"]

    def __iter__(self) -> Any:
        return iter(self.keys())

    def items(self) -> List[Tuple[str, Any]]:  # type: ignore[override]
        return [(k, self[k]) for k in self.keys()]

    def values(self) -> List[Any]:  # type: ignore[override]
        return [self[k] for k in self.keys()]

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return repr(dict(self.items()))


@CLOSURE
def _closure_trampoline(user_data: int, loss: Any) -> int:
    entry = userdata_get(user_data)
    try:
        closure, box = entry
        with enable_grad():
            value = closure()
        if not box:
            box.append(value)
        loss[0] = float(value.item() if isinstance(value, Tensor) else value)
        return 0
    except BaseException as e:  # nothing may escape into C
        return report_exception(e, "the optimizer's closure")


class Optimizer:
    """The base of the optimizers (torch.optim.Optimizer): a C optimizer
    (ember_optimizer_new) over the given parameters. ``params`` is an
    iterable of tensors or of dicts (param groups) with per-group options."""

    _type = ""

    def __init__(self, params: Union[Iterable[Tensor], Iterable[Dict[str, Any]]], defaults: Dict[str, Any]) -> None:
        object.__setattr__(self, "_h", None)
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise InvalidArgumentError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = {k: v for k, v in defaults.items() if k not in _IGNORED}
        first = groups[0]
        plist = self._param_list(first["params"])
        out = c_void_p()
        st = C.ember_optimizer_new(cstr(self._type), handle_array(p._h for p in plist), len(plist),
                                   cstr(_options_string(self.defaults)), byref(out))
        if st:
            raise_status(st)
        self._h = out.value
        self._names_cache: Dict[int, Tuple[int, List[str]]] = {}
        self.param_groups: List[_ParamGroup] = [_ParamGroup(self, 0, plist)]
        for key, value in first.items():
            if key != "params":
                self.param_groups[0][key] = value
        for group in groups[1:]:
            self.add_param_group(group)

    def __del__(self, _free: Any = _free) -> None:
        h = self.__dict__.get("_h")
        if h:
            self._h = None
            _free(h)

    @staticmethod
    def _param_list(params: Any) -> List[Tensor]:
        plist = [params] if isinstance(params, Tensor) else list(params)
        for p in plist:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
        return plist

    # ------------------------------------------------------------------ options

    def _get(self, group: int, name: str) -> float:
        out = c_double()
        check(C.ember_optimizer_get_group(self._h, group, cstr(name), byref(out)))
        return out.value

    def _state_names(self) -> List[str]:
        return [_name_at(C.ember_optimizer_state_at, self._h, i, False)[0]
                for i in range(C.ember_optimizer_state_count(self._h))]

    def _option_names(self, group: int) -> List[str]:
        count = C.ember_optimizer_state_count(self._h)
        cached = self._names_cache.get(group)
        if cached is not None and cached[0] == count:
            return cached[1]
        prefix = f"param_groups.{group}."
        names = [n[len(prefix):] for n in self._state_names() if n.startswith(prefix) and n != prefix + "params"]
        self._names_cache[group] = (count, names)
        return names

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Adds a group of parameters with its own options (torch's add_param_group)."""
        plist = self._param_list(param_group["params"])
        options = {k: v for k, v in param_group.items() if k != "params" and k not in _IGNORED}
        c_options = {k: v for k, v in options.items() if k in self.defaults}
        extra = {k: v for k, v in options.items() if k not in self.defaults}
        check(C.ember_optimizer_add_param_group(self._h, handle_array(p._h for p in plist), len(plist),
                                                cstr(_options_string(c_options))))
        group = _ParamGroup(self, C.ember_optimizer_param_group_count(self._h) - 1, plist)
        for key, value in extra.items():
            group[key] = value
        self.param_groups.append(group)

    # ------------------------------------------------------------------ steps

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the gradients of the parameters (torch's zero_grad); with
        ``set_to_none=False`` fills them with zeros instead."""
        if set_to_none:
            st = _zero_grad(self._h)
            if st:
                raise_status(st)
            return
        for group in self.param_groups:
            for p in dict.__getitem__(group, "params"):
                g = p.grad
                if g is not None:
                    g.zero_()

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One update of every parameter with a gradient (torch's step()); with a
        closure (needed by LBFGS) the closure re-evaluates the loss, as often as
        the method needs, and its first result is returned."""
        if closure is None:
            st = _step(self._h)
            if st:
                raise_status(st)
            return None
        box: List[Any] = []
        key = userdata_new((closure, box))
        try:
            loss = c_double()
            check(C.ember_optimizer_step_closure(self._h, _closure_trampoline, key, byref(loss)))
        finally:
            userdata_drop(key)
        return box[0] if box else None

    # ------------------------------------------------------------------ state

    def _params(self) -> List[Tensor]:
        return [p for g in self.param_groups for p in dict.__getitem__(g, "params")]

    def _raw_state(self) -> List[Tuple[str, Tensor]]:
        out = []
        for i in range(C.ember_optimizer_state_count(self._h)):
            name, h = _name_at(C.ember_optimizer_state_at, self._h, i, True)
            out.append((name, _wrap(h)))
        return out

    @staticmethod
    def _nest_state(entries: Dict[str, Tensor]) -> Dict[str, Any]:
        """{"old_dirs.0": t0, "old_dirs.1": t1} -> {"old_dirs": [t0, t1]} (LBFGS's lists)."""
        out: Dict[str, Any] = {}
        lists: Dict[str, Dict[int, Tensor]] = {}
        for key, value in entries.items():
            m = re.fullmatch(r"(\w+)\.(\d+)", key)
            if m:
                lists.setdefault(m.group(1), {})[int(m.group(2))] = value
            else:
                out[key] = value
        for key, items in lists.items():
            out[key] = [items[i] for i in sorted(items)]
        return out

    def state_dict(self) -> Dict[str, Any]:
        """torch's optimizer state dict: {"state": {index: {key: tensor}}, "param_groups":
        [{option: value, ..., "params": [indices]}]} (copies of the current state)."""
        state: Dict[int, Dict[str, Tensor]] = {}
        groups: Dict[int, Dict[str, Any]] = {}
        for name, t in self._raw_state():
            kind, index, key = name.split(".", 2)
            if kind == "state":
                state.setdefault(int(index), {})[key] = t
            else:
                group = groups.setdefault(int(index), {})
                if key == "params":
                    group["params"] = [int(v) for v in t.tolist()]
                elif key in ("beta1", "beta2"):
                    group.setdefault("betas", [0.0, 0.0])[0 if key == "beta1" else 1] = t.item()
                else:
                    group[key] = _from_c(key, t.item())
        param_groups = []
        for g in sorted(groups):
            group = groups[g]
            if "betas" in group:
                group["betas"] = tuple(group["betas"])
            extra = {k: v for k, v in dict.items(self.param_groups[g]) if k != "params"}
            params = group.pop("params", [])
            group.update(extra)
            group["params"] = params
            param_groups.append(group)
        return {"state": {i: self._nest_state(s) for i, s in sorted(state.items())}, "param_groups": param_groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restores a state dict from state_dict() -- or from torch's optimizer of
        the same class and groups -- replacing the whole state (strict, all or nothing)."""
        current = {name: t for name, t in self._raw_state()}
        names: List[str] = []
        tensors: List[Tensor] = []

        def add(name: str, value: Any, dtype: D.dtype) -> None:
            if isinstance(value, Tensor):
                t = value if name.startswith("state.") and value.ndim > 0 else value.to(dtype)
            else:
                t = full((), float(value), dtype=dtype)
            names.append(name)
            tensors.append(t)

        params = self._params()
        for index, entries in state_dict.get("state", {}).items():
            index = int(index)
            for key, value in entries.items():
                values = value if isinstance(value, (list, tuple)) else [value]
                keys = [f"{key}.{k}" for k in range(len(values))] if isinstance(value, (list, tuple)) else [key]
                for k, v in zip(keys, values):
                    name = f"state.{index}.{k}"
                    existing = current.get(name)
                    if existing is not None:
                        dtype = existing.dtype
                    elif k in ("func_evals", "n_iter"):
                        dtype = D.int64
                    elif k == "step" or k == "mu_product":
                        dtype = D.float32
                    elif isinstance(v, Tensor):
                        dtype = v.dtype
                    else:
                        dtype = D.float64
                    if isinstance(v, Tensor) and v.ndim > 0 and index < len(params) and k not in (
                            "d", "prev_flat_grad") and not k.startswith(("old_dirs", "old_stps")):
                        v = v.to(params[index].dtype)
                    add(name, v, dtype)
        for g, group in enumerate(state_dict.get("param_groups", [])):
            options = self._option_names(g) if g < len(self.param_groups) else []
            for name in options:
                if name in ("beta1", "beta2"):
                    if "betas" in group:
                        value = group["betas"][0 if name == "beta1" else 1]
                    elif name in group:
                        value = group[name]
                    else:
                        value = self._get(g, name)
                elif name in group:
                    value = _to_c(name, group[name])[0][1]
                else:
                    value = self._get(g, name)
                add(f"param_groups.{g}.{name}", value, D.float64)
            names.append(f"param_groups.{g}.params")
            tensors.append(tensor([int(i) for i in group.get("params", [])], dtype=D.int64))
        name_array = (c_char_p * max(len(names), 1))(*[cstr(n) for n in names])
        check(C.ember_optimizer_load_state(self._h, name_array, handle_array(t._h for t in tensors), len(tensors)))
        for g, group in enumerate(state_dict.get("param_groups", [])):
            if g < len(self.param_groups):
                for key, value in group.items():
                    if key != "params" and key not in self.param_groups[g]._torch_names() and key not in _IGNORED:
                        dict.__setitem__(self.param_groups[g], key, value)

    @property
    def state(self) -> Dict[Tensor, Dict[str, Any]]:
        """The per-parameter state (torch's optimizer.state), as copies keyed by parameter."""
        params = self._params()
        by_index = self.state_dict()["state"]
        return {params[i]: entries for i, entries in by_index.items() if i < len(params)}

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group.keys() if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _optimizer(type_name: str, doc: str, signature: List[Tuple[str, Any]]) -> type:
    """An optimizer class with torch's constructor for C optimizer ``type_name``."""
    names = [n for n, _ in signature]

    def __init__(self: Optimizer, params: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{type_name}() takes at most {len(names) + 1} positional arguments")
        values = dict(signature)
        for name, value in zip(names, args):
            values[name] = value
        for name, value in kwargs.items():
            if name not in values and name not in _IGNORED:
                raise TypeError(f"{type_name}.__init__() got an unexpected keyword argument '{name}'")
            values[name] = value
        Optimizer.__init__(self, params, values)

    import inspect
    P = inspect.Parameter
    __init__.__signature__ = inspect.Signature(
        [P("self", P.POSITIONAL_ONLY), P("params", P.POSITIONAL_OR_KEYWORD)]
        + [P(n, P.POSITIONAL_OR_KEYWORD, default=v) for n, v in signature])
    text = ", ".join(f"{n}={v!r}" for n, v in signature)
    return type(type_name, (Optimizer,), {
        "_type": type_name, "__init__": __init__, "__module__": __name__,
        "__doc__": f"{doc} (torch.optim.{type_name}(params, {text})). Options are read and set through "
                   "param_groups; torch's foreach/fused/capturable/differentiable are accepted and ignored.",
    })


_BETAS = (0.9, 0.999)
SGD = _optimizer("SGD", "Stochastic gradient descent with momentum, dampening, Nesterov and weight decay",
                 [("lr", 1e-3), ("momentum", 0.0), ("dampening", 0.0), ("weight_decay", 0.0), ("nesterov", False),
                  ("maximize", False)])
Adam = _optimizer("Adam", "Adam", [("lr", 1e-3), ("betas", _BETAS), ("eps", 1e-8), ("weight_decay", 0.0),
                                   ("amsgrad", False), ("maximize", False), ("decoupled_weight_decay", False)])
AdamW = _optimizer("AdamW", "Adam with decoupled weight decay",
                   [("lr", 1e-3), ("betas", _BETAS), ("eps", 1e-8), ("weight_decay", 1e-2), ("amsgrad", False),
                    ("maximize", False)])
RMSprop = _optimizer("RMSprop", "RMSprop", [("lr", 1e-2), ("alpha", 0.99), ("eps", 1e-8), ("weight_decay", 0.0),
                                            ("momentum", 0.0), ("centered", False), ("maximize", False)])
Adagrad = _optimizer("Adagrad", "Adagrad", [("lr", 1e-2), ("lr_decay", 0.0), ("weight_decay", 0.0),
                                            ("initial_accumulator_value", 0.0), ("eps", 1e-10), ("maximize", False)])
Adadelta = _optimizer("Adadelta", "Adadelta", [("lr", 1.0), ("rho", 0.9), ("eps", 1e-6), ("weight_decay", 0.0),
                                               ("maximize", False)])
Adamax = _optimizer("Adamax", "Adamax", [("lr", 2e-3), ("betas", _BETAS), ("eps", 1e-8), ("weight_decay", 0.0),
                                         ("maximize", False)])
NAdam = _optimizer("NAdam", "NAdam", [("lr", 2e-3), ("betas", _BETAS), ("eps", 1e-8), ("weight_decay", 0.0),
                                      ("momentum_decay", 4e-3), ("decoupled_weight_decay", False), ("maximize", False)])
RAdam = _optimizer("RAdam", "RAdam", [("lr", 1e-3), ("betas", _BETAS), ("eps", 1e-8), ("weight_decay", 0.0),
                                      ("decoupled_weight_decay", False), ("maximize", False)])
LBFGS = _optimizer("LBFGS", "L-BFGS; step() needs a closure",
                   [("lr", 1.0), ("max_iter", 20), ("max_eval", None), ("tolerance_grad", 1e-7),
                    ("tolerance_change", 1e-9), ("history_size", 100), ("line_search_fn", None)])
