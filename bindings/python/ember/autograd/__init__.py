"""Reverse-mode automatic differentiation (torch.autograd): backward over
several roots, grad(), gradient hooks, custom Functions and anomaly
detection. Custom Functions and hooks are C callbacks into Python; an
exception raised in them never crosses into C: it is caught, reported to the
library (ember_set_last_error and a failing status) and raised again from
the Python call that ran the graph."""

from __future__ import annotations

from ctypes import byref, c_int64, c_void_p
from typing import Any, Optional, Sequence, Tuple, Union

from .._errors import InvalidArgumentError
from .._ffi import (C, FUNCTION_BACKWARD, FUNCTION_FORWARD, GRAD_HOOK, check, cstr, destroy_callback, handle_array,
                    raise_status, report_exception, userdata_drop, userdata_get, userdata_new)
from .._tensor import Tensor, _retain, _wrap

__all__ = ["backward", "grad", "Function", "FunctionCtx", "set_detect_anomaly", "detect_anomaly",
           "is_anomaly_enabled", "RemovableHandle"]

Tensors = Union[Tensor, Sequence[Tensor]]


def _as_list(tensors: Any) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _grad_list(grads: Any, n: int) -> Any:
    if grads is None:
        return None
    grads = _as_list(grads) if not isinstance(grads, Tensor) else [grads]
    if len(grads) != n:
        raise InvalidArgumentError(f"got {len(grads)} gradients for {n} tensors")
    return handle_array(None if g is None else g._h for g in grads)


def backward(tensors: Tensors, grad_tensors: Optional[Tensors] = None, retain_graph: Optional[bool] = None,
             create_graph: bool = False) -> None:
    """Backpropagates from several roots at once (torch.autograd.backward),
    accumulating into the leaves' .grad."""
    roots = _as_list(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    check(C.ember_autograd_backward(handle_array(t._h for t in roots), len(roots), _grad_list(grad_tensors, len(roots)),
                                    bool(retain_graph), bool(create_graph)))


def grad(outputs: Tensors, inputs: Tensors, grad_outputs: Optional[Tensors] = None,
         retain_graph: Optional[bool] = None, create_graph: bool = False,
         allow_unused: Optional[bool] = None) -> Tuple[Optional[Tensor], ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, without touching
    any .grad (torch.autograd.grad); an unused input gives None with ``allow_unused``."""
    outs, ins = _as_list(outputs), _as_list(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    results = (c_void_p * max(len(ins), 1))()
    check(C.ember_autograd_grad(handle_array(t._h for t in outs), len(outs), _grad_list(grad_outputs, len(outs)),
                                handle_array(t._h for t in ins), len(ins), bool(retain_graph), bool(create_graph),
                                bool(allow_unused), results))
    return tuple(_wrap(results[i]) if results[i] else None for i in range(len(ins)))


# ---------------------------------------------------------------------- anomaly detection

def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (torch.is_anomaly_enabled)."""
    return bool(C.ember_is_anomaly_enabled())


class set_detect_anomaly:
    """Turns anomaly detection on or off now (torch.autograd.set_detect_anomaly):
    the first NaN or infinity a backward function produces stops the backward
    with a StateError naming it. As a context manager it restores the old setting."""

    def __init__(self, mode: bool) -> None:
        self.prev = is_anomaly_enabled()
        C.ember_set_detect_anomaly(bool(mode))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        C.ember_set_detect_anomaly(self.prev)


class detect_anomaly:
    """A context manager with anomaly detection on (torch.autograd.detect_anomaly)."""

    def __enter__(self) -> None:
        self.prev = is_anomaly_enabled()
        C.ember_set_detect_anomaly(True)

    def __exit__(self, *exc: Any) -> None:
        C.ember_set_detect_anomaly(self.prev)


# ---------------------------------------------------------------------- hooks

class RemovableHandle:
    """What register_hook returns: ``remove()`` unregisters the hook."""

    def __init__(self, tensor: Tensor, hook_id: int) -> None:
        self._tensor = tensor
        self.id = hook_id

    def remove(self) -> None:
        """Unregisters the hook (a second call does nothing)."""
        if self._tensor is not None:
            check(C.ember_tensor_remove_hook(self._tensor._h, self.id))
            self._tensor = None

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


@GRAD_HOOK
def _hook_trampoline(grad_handle: int, user_data: int, replacement: Any) -> int:
    try:
        hook = userdata_get(user_data)
        result = hook(_wrap(_retain(grad_handle)))
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(f"a gradient hook must return a Tensor or None, got {type(result).__name__}")
            replacement[0] = _retain(result._h)
        return 0
    except BaseException as e:  # nothing may escape into C
        return report_exception(e, f"gradient hook {getattr(userdata_get(user_data), '__name__', 'hook')}")


def register_hook(self: Tensor, hook: Any) -> RemovableHandle:
    """Registers ``hook(grad) -> Tensor or None``, called with the gradient
    flowing into this tensor during backward; a returned tensor replaces the
    gradient (torch.Tensor.register_hook). The tensor must require grad."""
    key = userdata_new(hook)
    hook_id = c_int64()
    st = C.ember_tensor_register_hook(self._h, _hook_trampoline, key, destroy_callback, byref(hook_id))
    if st:
        userdata_drop(key)
        raise_status(st)
    return RemovableHandle(_wrap(_retain(self._h)), hook_id.value)


Tensor.register_hook = register_hook


# ---------------------------------------------------------------------- custom functions

class FunctionCtx:
    """The ``ctx`` of a custom Function: ``save_for_backward(*tensors)`` in forward,
    ``saved_tensors`` and ``needs_input_grad`` in backward; other attributes may be
    set freely to pass values from forward to backward."""

    def __init__(self) -> None:
        self.needs_input_grad: Tuple[bool, ...] = ()
        self._to_save: Tuple[Any, ...] = ()
        self._saved: Tuple[Any, ...] = ()
        self._live_inputs: Optional[list] = None

    def save_for_backward(self, *tensors: Optional[Tensor]) -> None:
        """Keeps tensors (inputs, outputs or intermediates) for backward."""
        self._to_save = tensors

    @property
    def saved_tensors(self) -> Tuple[Optional[Tensor], ...]:
        """The tensors given to save_for_backward; an input is the live input of the graph."""
        out = []
        for kind, value in self._saved:
            if kind == "input" and self._live_inputs is not None:
                out.append(self._live_inputs[value])
            else:
                out.append(value)
        return tuple(out)

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Accepted for torch compatibility; a Function has one output, whose
        gradient backward receives in any case."""

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for torch compatibility: gradients always arrive as tensors."""


class _Application:
    """One call of Function.apply: the class, its ctx and the arguments."""

    __slots__ = ("cls", "ctx", "args", "positions", "tensors")

    def __init__(self, cls: type, ctx: FunctionCtx, args: tuple, positions: list) -> None:
        self.cls, self.ctx, self.args, self.positions = cls, ctx, args, positions
        self.tensors = [args[i] for i in positions]


def _uses_setup_context(cls: type) -> bool:
    return getattr(cls, "setup_context", None) is not getattr(Function, "setup_context")


@FUNCTION_FORWARD
def _function_forward(inputs: Any, count: int, user_data: int, output: Any) -> int:
    app = userdata_get(user_data)
    try:
        cls, ctx = app.cls, app.ctx
        if _uses_setup_context(cls):
            result = cls.forward(*app.args)
            cls.setup_context(ctx, app.args, result)
        else:
            result = cls.forward(ctx, *app.args)
        if not isinstance(result, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return one Tensor (ember Functions have one output), "
                            f"got {type(result).__name__}")
        if any(result is t for t in app.tensors):
            result = result.clone()
        saved = []
        for t in ctx._to_save:
            if t is None:
                saved.append(("value", None))
                continue
            position = next((j for j, x in enumerate(app.tensors) if x is t), None)
            # Inputs are taken from the graph at backward time; anything else is kept
            # detached, so that the graph never owns a reference back to itself.
            saved.append(("input", position) if position is not None else ("value", t.detach()))
        ctx._saved = tuple(saved)
        ctx._to_save = ()
        output[0] = _retain(result._h)
        return 0
    except BaseException as e:
        return report_exception(e, f"{getattr(app, 'cls', Function).__name__}.forward")


@FUNCTION_BACKWARD
def _function_backward(grad_output: int, inputs: Any, count: int, user_data: int, grad_inputs: Any) -> int:
    app = userdata_get(user_data)
    try:
        if app is None:
            raise RuntimeError("the Function's Python state is gone")
        ctx = app.ctx
        ctx._live_inputs = [_wrap(_retain(inputs[i])) for i in range(count)]
        try:
            grads = app.cls.backward(ctx, _wrap(_retain(grad_output)))
        finally:
            ctx._live_inputs = None
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(app.args):
            raise InvalidArgumentError(f"{app.cls.__name__}.backward returned {len(grads)} gradients, "
                                       f"expected {len(app.args)} (one per forward argument)")
        for j, position in enumerate(app.positions):
            g = grads[position]
            if g is not None:
                if not isinstance(g, Tensor):
                    raise TypeError(f"{app.cls.__name__}.backward: gradient {position} is a "
                                    f"{type(g).__name__}, not a Tensor")
                grad_inputs[j] = _retain(g._h)
        return 0
    except BaseException as e:
        return report_exception(e, f"{getattr(app, 'cls', Function).__name__}.backward")


class Function:
    """A differentiable op written in Python (torch.autograd.Function)::

        class Exp(ember.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                y, = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)

    It runs through the C API's custom functions (ember_function_new and
    ember_function_apply): forward runs with grad mode off, backward is called
    by the C backward engine. A Function returns one tensor. torch's style
    with a separate ``setup_context(ctx, inputs, output)`` works too."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Tensor:  # pragma: no cover - overridden
        raise NotImplementedError("a Function subclass must define forward")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Tensor) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError("a Function subclass must define backward")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: Tuple[Any, ...], output: Tensor) -> None:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Runs the function on ``args`` (tensors and other values), recording it in the graph."""
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        app = _Application(cls, ctx, args, positions)
        key = userdata_new(app)
        fn = c_void_p()
        st = C.ember_function_new(cstr(cls.__name__), _function_forward, _function_backward, key, destroy_callback,
                                  byref(fn))
        if st:
            userdata_drop(key)
            raise_status(st)
        try:
            out = c_void_p()
            st = C.ember_function_apply(fn.value, handle_array(t._h for t in app.tensors), len(app.tensors), byref(out))
            if st:
                raise_status(st)
            return _wrap(out.value)
        finally:
            C.ember_function_free(fn.value)
