"""Tensor printing in torch's format (torch/_tensor_str.py): 4 decimals,
integer mode for whole floats, scientific mode for wide ranges, 80 columns,
summaries with "..." above 1000 elements."""

from __future__ import annotations

import math
from typing import Any, List

from . import _dtype as D

PRECISION = 4
LINEWIDTH = 80
EDGEITEMS = 3
THRESHOLD = 1000


class _Formatter:
    def __init__(self, values: List[Any], floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not floating:
            for v in values:
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
        if not finite:
            return
        lo, hi = min(finite), max(finite)
        nonzero = [v for v in values if math.isfinite(v) and v != 0]
        self.int_mode = all(v == math.ceil(v) for v in nonzero)
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                widths = [len(f"{v:.{PRECISION}e}") for v in nonzero]
            else:
                widths = [len(f"{v:.0f}") + 1 for v in nonzero]
        elif hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
            self.sci_mode = True
            widths = [len(f"{v:.{PRECISION}e}") for v in nonzero]
        else:
            widths = [len(f"{v:.{PRECISION}f}") for v in nonzero]
        self.max_width = max([self.max_width] + widths)

    def format(self, value: Any) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRECISION}f}"
        else:
            text = str(value)
        return (self.max_width - len(text)) * " " + text


def _summarized(x: Any) -> Any:
    """torch's get_summarized_data: the first and last EDGEITEMS entries of every long dim."""
    from . import _ops as ops
    if x.ndim == 0:
        return x
    n = x.shape[0]
    if x.ndim == 1:
        return ops.cat([x[:EDGEITEMS], x[n - EDGEITEMS:]]) if n > 2 * EDGEITEMS else x
    rows = list(range(EDGEITEMS)) + list(range(n - EDGEITEMS, n)) if n > 2 * EDGEITEMS else range(n)
    return ops.stack([_summarized(x[i]) for i in rows])


def _flatten(nested: Any) -> List[Any]:
    if not isinstance(nested, list):
        return [nested]
    out: List[Any] = []
    for item in nested:
        out.extend(_flatten(item))
    return out


def _vector(values: List[Any], full_size: int, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((LINEWIDTH - indent) / element_length)))
    if summarize and full_size > 2 * EDGEITEMS:
        data = [fmt.format(v) for v in values[:EDGEITEMS]] + [" ..."] + [fmt.format(v) for v in values[-EDGEITEMS:]]
    else:
        data = [fmt.format(v) for v in values]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: Any, shape: List[int], indent: int, summarize: bool, fmt: _Formatter) -> str:
    if not shape:
        return fmt.format(values)
    if len(shape) == 1:
        return _vector(values, shape[0], indent, summarize, fmt)
    dim = len(shape)
    if summarize and shape[0] > 2 * EDGEITEMS:
        parts = ([_nested(v, shape[1:], indent + 1, summarize, fmt) for v in values[:EDGEITEMS]] + ["..."]
                 + [_nested(v, shape[1:], indent + 1, summarize, fmt) for v in values[-EDGEITEMS:]])
    else:
        parts = [_nested(v, shape[1:], indent + 1, summarize, fmt) for v in values]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text: str, suffixes: List[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_str(x: Any, indent: int) -> str:
    """The bracketed values of ``x`` as torch prints them."""
    from ._grad_mode import no_grad
    with no_grad():
        x = x.detach()
        summarize = x.numel() > THRESHOLD
        data = _summarized(x) if summarize else x
        values = data.tolist()
    floating = x.dtype.is_floating_point
    fmt = _Formatter(_flatten(values), floating)
    return _nested(values, list(x.shape), indent, summarize, fmt)


def tensor_repr(x: Any, prefix: str = "tensor(") -> str:
    """torch's repr of a tensor: ``tensor([1., 2.], requires_grad=True)``."""
    indent = len(prefix)
    suffixes: List[str] = []
    if x.numel() == 0:
        if x.ndim != 1:
            suffixes.append("size=" + str(tuple(x.shape)))
        if x.dtype is not D.float32:
            suffixes.append(f"dtype=ember.{x.dtype.name}")
        body = "[]"
    else:
        if x.dtype is D.float64:
            suffixes.append("dtype=ember.float64")
        body = tensor_str(x, indent)
    if x.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
