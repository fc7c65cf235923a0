"""Learning-rate schedulers (torch.optim.lr_scheduler) over the C schedulers
(ember/sched.h), with torch's constructors, step(), get_last_lr(), attributes
by torch's names, state_dict() and load_state_dict(). LambdaLR and
MultiplicativeLR call their Python lambdas from C; an exception there is
caught and raised again from the Python call that stepped the scheduler."""

from __future__ import annotations

import re
from ctypes import byref, c_char_p, c_double, c_int64, c_void_p
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .. import _dtype as D
from .._errors import InvalidArgumentError
from .._ffi import (C, LR_LAMBDA, check, cstr, destroy_callback, handle_array, int64_array, raise_status,
                    report_exception, userdata_get, userdata_new)
from .._tensor import Tensor, _wrap, full, tensor
from .optimizer import Optimizer, _format, _name_at

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
           "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "ReduceLROnPlateau", "LambdaLR",
           "MultiplicativeLR", "SequentialLR", "ChainedScheduler"]

_free = C.ember_scheduler_free


def _no_last_epoch(last_epoch: int) -> None:
    if last_epoch != -1:
        raise InvalidArgumentError("ember schedulers start at last_epoch=-1; to resume, load a state_dict")


class LRScheduler:
    """The base of the schedulers (torch.optim.lr_scheduler.LRScheduler): a C
    scheduler that sets its optimizer's learning rates. Numeric attributes
    (``last_epoch``, ``gamma``, ``T_max``, ...) read and write the C scheduler."""

    def __init__(self, optimizer: Optimizer, handle: int, parts: Sequence["LRScheduler"] = ()) -> None:
        object.__setattr__(self, "_h", handle)
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "_parts", list(parts))

    def __del__(self, _free: Any = _free) -> None:
        h = self.__dict__.get("_h")
        if h:
            self.__dict__["_h"] = None
            _free(h)

    @staticmethod
    def _new(optimizer: Optimizer, type_name: str, options: Dict[str, Any]) -> int:
        args = ", ".join(f"{k}={_format(list(v) if k == 'milestones' else v)}" for k, v in options.items())
        args = re.sub(r"milestones=\(([^)]*)\)", r"milestones=[\1]", args)
        out = c_void_p()
        st = C.ember_scheduler_new(optimizer._h, cstr(type_name), cstr(args), byref(out))
        if st:
            raise_status(st)
        return out.value

    def step(self, epoch: Optional[int] = None) -> None:
        """Advances one epoch and sets the optimizer's learning rates (torch's step())."""
        if epoch is not None:
            raise InvalidArgumentError("step(epoch) is deprecated in torch and not supported; call step()")
        check(C.ember_scheduler_step(self._h))

    def get_last_lr(self) -> List[float]:
        """The learning rates the last step set, one per group."""
        count = c_int64()
        check(C.ember_scheduler_get_last_lr(self._h, None, 0, byref(count)))
        lrs = (c_double * max(count.value, 1))()
        check(C.ember_scheduler_get_last_lr(self._h, lrs, count.value, byref(count)))
        return list(lrs[:count.value])

    def _entries(self) -> List[Any]:
        out = []
        for i in range(C.ember_scheduler_state_count(self._h)):
            name, h = _name_at(C.ember_scheduler_state_at, self._h, i, True)
            out.append((name, _wrap(h)))
        return out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        h = self.__dict__.get("_h")
        if h:
            if name in ("base_lrs", "_last_lr", "min_lrs"):
                values = [(int(n.rsplit(".", 1)[1]), t.item()) for n, t in self._entries()
                          if n.startswith(name + ".") and n.count(".") == 1]
                if values:
                    return [v for _, v in sorted(values)]
            out = c_double()
            if C.ember_scheduler_get(h, cstr(name), byref(out)) == 0:
                value = out.value
                return int(value) if value.is_integer() and name in _INTEGRAL else value
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and name != "optimizer" and isinstance(value, (int, float)):
            names = {n for n, _ in self._entries()}
            if name in names:
                check(C.ember_scheduler_set(self._h, cstr(name), float(value)))
                return
        object.__setattr__(self, name, value)

    def state_dict(self) -> Dict[str, Any]:
        """The scheduler's state with torch's attribute names: numbers, per-group
        lists ("base_lrs"), milestones, and a SequentialLR's or ChainedScheduler's
        parts under "_schedulers"."""
        return _nest(self._entries())

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restores state_dict() output (strict; load the optimizer's state first)."""
        current = {n: t for n, t in self._entries()}
        flat = _flatten(state_dict)
        names, tensors = [], []
        for name, value in flat:
            existing = current.get(name)
            if isinstance(value, Tensor):
                t = value
            elif existing is not None and existing.ndim == 1:
                t = tensor(list(value) if isinstance(value, (list, tuple)) else [value], dtype=existing.dtype)
            else:
                dtype = existing.dtype if existing is not None else (D.int64 if isinstance(value, int) else D.float64)
                t = full((), float(value), dtype=dtype)
            names.append(name)
            tensors.append(t)
        name_array = (c_char_p * max(len(names), 1))(*[cstr(n) for n in names])
        check(C.ember_scheduler_load_state(self._h, name_array, handle_array(t._h for t in tensors), len(tensors)))


_INTEGRAL = {"last_epoch", "_step_count", "step_size", "T_max", "T_0", "T_i", "T_cur", "T_mult", "total_iters",
             "total_steps", "num_bad_epochs", "patience", "cooldown", "cooldown_counter", "last_epoch"}


def _value(t: Tensor) -> Any:
    if t.ndim == 1:
        return t.tolist()
    return t.item()


def _nest(entries: List[Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    parts: Dict[int, List[Any]] = {}
    lists: Dict[str, Dict[int, Any]] = {}
    for name, t in entries:
        m = re.fullmatch(r"_schedulers\.(\d+)\.(.+)", name)
        if m:
            parts.setdefault(int(m.group(1)), []).append((m.group(2), t))
            continue
        m = re.fullmatch(r"(\w+)\.(\d+)", name)
        if m:
            lists.setdefault(m.group(1), {})[int(m.group(2))] = _value(t)
            continue
        out[name] = _value(t)
    for key, items in lists.items():
        out[key] = [items[i] for i in sorted(items)]
    if parts:
        out["_schedulers"] = [_nest(parts[k]) for k in sorted(parts)]
    return out


def _flatten(state: Dict[str, Any], prefix: str = "") -> List[Any]:
    out: List[Any] = []
    for key, value in state.items():
        if key == "_schedulers":
            for k, part in enumerate(value):
                out += _flatten(part, f"{prefix}_schedulers.{k}.")
        elif isinstance(value, list) and key != "milestones":
            out += [(f"{prefix}{key}.{i}", v) for i, v in enumerate(value)]
        else:
            out.append((prefix + key, value))
    return out


class StepLR(LRScheduler):
    """Multiplies the learning rates by gamma every step_size epochs (torch's StepLR)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1,
                 verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        super().__init__(optimizer, self._new(optimizer, "StepLR", {"step_size": step_size, "gamma": gamma}))


class MultiStepLR(LRScheduler):
    """Multiplies the rates by gamma at each milestone (torch's MultiStepLR)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1,
                 verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        super().__init__(optimizer, self._new(optimizer, "MultiStepLR", {"milestones": list(milestones),
                                                                         "gamma": gamma}))


class ConstantLR(LRScheduler):
    """Multiplies the rates by factor until total_iters (torch's ConstantLR)."""

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1,
                 verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        super().__init__(optimizer, self._new(optimizer, "ConstantLR", {"factor": factor, "total_iters": total_iters}))


class LinearLR(LRScheduler):
    """Scales the rates linearly from start_factor to end_factor (torch's LinearLR)."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1, verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        super().__init__(optimizer, self._new(optimizer, "LinearLR", {"start_factor": start_factor,
                                                                      "end_factor": end_factor,
                                                                      "total_iters": total_iters}))


class ExponentialLR(LRScheduler):
    """Multiplies the rates by gamma every epoch (torch's ExponentialLR)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1, verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        super().__init__(optimizer, self._new(optimizer, "ExponentialLR", {"gamma": gamma}))


class PolynomialLR(LRScheduler):
    """Decays the rates polynomially to 0 (torch's PolynomialLR)."""

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1,
                 verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        super().__init__(optimizer, self._new(optimizer, "PolynomialLR", {"total_iters": total_iters, "power": power}))


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing to eta_min over T_max epochs (torch's CosineAnnealingLR)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1,
                 verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        super().__init__(optimizer, self._new(optimizer, "CosineAnnealingLR", {"T_max": T_max, "eta_min": eta_min}))


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (torch's CosineAnnealingWarmRestarts)."""

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1,
                 verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        super().__init__(optimizer, self._new(optimizer, "CosineAnnealingWarmRestarts",
                                              {"T_0": T_0, "T_mult": T_mult, "eta_min": eta_min}))


class OneCycleLR(LRScheduler):
    """The 1cycle policy (torch's OneCycleLR); step it once per batch."""

    def __init__(self, optimizer: Optimizer, max_lr: Union[float, Sequence[float]], total_steps: Optional[int] = None,
                 epochs: Optional[int] = None, steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: Union[float, Sequence[float]] = 0.85,
                 max_momentum: Union[float, Sequence[float]] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False, last_epoch: int = -1,
                 verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        options = {"max_lr": max_lr, "total_steps": total_steps, "epochs": epochs, "steps_per_epoch": steps_per_epoch,
                   "pct_start": pct_start, "anneal_strategy": anneal_strategy, "cycle_momentum": cycle_momentum,
                   "base_momentum": base_momentum, "max_momentum": max_momentum, "div_factor": div_factor,
                   "final_div_factor": final_div_factor, "three_phase": three_phase}
        options = {k: (tuple(v) if isinstance(v, list) else v) for k, v in options.items() if v is not None}
        super().__init__(optimizer, self._new(optimizer, "OneCycleLR", options))


class ReduceLROnPlateau(LRScheduler):
    """Reduces the rates when a metric stops improving (torch's ReduceLROnPlateau);
    step it with the metric: ``scheduler.step(val_loss)``."""

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: Union[float, Sequence[float]] = 0.0, eps: float = 1e-8, verbose: Any = "deprecated") -> None:
        options = {"mode": mode, "factor": factor, "patience": patience, "threshold": threshold,
                   "threshold_mode": threshold_mode, "cooldown": cooldown,
                   "min_lr": tuple(min_lr) if isinstance(min_lr, (list, tuple)) else min_lr, "eps": eps}
        super().__init__(optimizer, self._new(optimizer, "ReduceLROnPlateau", options))

    def step(self, metrics: Any = None, epoch: Optional[int] = None) -> None:  # type: ignore[override]
        """Records the watched metric and reduces the rates if it stopped improving."""
        if metrics is None:
            raise InvalidArgumentError("ReduceLROnPlateau.step needs the metric: step(metrics)")
        if epoch is not None:
            raise InvalidArgumentError("step(metrics, epoch) is deprecated in torch and not supported")
        value = metrics.item() if isinstance(metrics, Tensor) else float(metrics)
        check(C.ember_scheduler_step_metric(self._h, value))


@LR_LAMBDA
def _lambda_trampoline(epoch: int, group: int, user_data: int, factor: Any) -> int:
    fns = userdata_get(user_data)
    try:
        fn = fns[group] if isinstance(fns, list) else fns
        factor[0] = float(fn(epoch))
        return 0
    except BaseException as e:  # nothing may escape into C
        return report_exception(e, "lr_lambda")


class _LambdaBase(LRScheduler):
    _constructor: Any = None

    def __init__(self, optimizer: Optimizer, lr_lambda: Union[Callable[[int], float], List[Callable[[int], float]]],
                 last_epoch: int = -1, verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise InvalidArgumentError(f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}")
            lr_lambda = list(lr_lambda)
        key = userdata_new(lr_lambda)
        out = c_void_p()
        # On failure the library calls destroy (releasing the key) itself.
        st = type(self)._constructor(optimizer._h, _lambda_trampoline, key, destroy_callback, byref(out))
        if st:
            raise_status(st)
        super().__init__(optimizer, out.value)
        object.__setattr__(self, "lr_lambdas", lr_lambda if isinstance(lr_lambda, list) else
                           [lr_lambda] * len(optimizer.param_groups))


class LambdaLR(_LambdaBase):
    """Sets each rate to its initial value times lr_lambda(epoch) (torch's LambdaLR)."""

    _constructor = C.ember_lambdalr_new


class MultiplicativeLR(_LambdaBase):
    """Multiplies each rate by lr_lambda(epoch) every epoch (torch's MultiplicativeLR)."""

    _constructor = C.ember_multiplicativelr_new


class SequentialLR(LRScheduler):
    """Runs schedulers one after another, switching at the milestones (torch's SequentialLR)."""

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1, verbose: Any = "deprecated") -> None:
        _no_last_epoch(last_epoch)
        parts = list(schedulers)
        out = c_void_p()
        check(C.ember_sequentiallr_new(optimizer._h, handle_array(s._h for s in parts), len(parts),
                                       int64_array(milestones), len(milestones), byref(out)))
        super().__init__(optimizer, out.value, parts)


class ChainedScheduler(LRScheduler):
    """Steps several schedulers together, each on the rates the previous set (torch's ChainedScheduler)."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optional[Optimizer] = None) -> None:
        parts = list(schedulers)
        if not parts:
            raise InvalidArgumentError("ChainedScheduler expects at least one scheduler")
        out = c_void_p()
        check(C.ember_chainedscheduler_new(handle_array(s._h for s in parts), len(parts), byref(out)))
        super().__init__(optimizer or parts[0].optimizer, out.value, parts)
