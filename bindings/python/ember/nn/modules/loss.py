"""Loss modules (torch.nn.CrossEntropyLoss, MSELoss, ...): C loss modules
(ember_module_new) that compute through nn.functional, with class weights as
buffers named as torch names them."""

from __future__ import annotations

from typing import Optional

from ..._tensor import Tensor
from .. import functional as F
from .layers import _Builtin, builtin

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss"]


def _legacy(size_average: Optional[bool], reduce: Optional[bool], reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


class _Loss(_Builtin):
    def _loss(self, reduction: str, extra: Optional[dict] = None) -> None:
        keywords = {"reduction": (reduction, "mean")}
        keywords.update(extra or {})
        self._build((), keywords)
        self.reduction = reduction

    def _weight(self, name: str, weight: Optional[Tensor]) -> None:
        self.register_buffer(name, weight)


@builtin("CrossEntropyLoss")
class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices or probabilities (torch.nn.CrossEntropyLoss)."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None, ignore_index: int = -100,
                 reduce: Optional[bool] = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__()
        self._loss(_legacy(size_average, reduce, reduction),
                   {"ignore_index": (ignore_index, -100), "label_smoothing": (float(label_smoothing), 0.0)})
        self._weight("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, float(label_smoothing)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` (logits) against ``target``."""
        return F.cross_entropy(input, target, self._buffers["weight"], ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


@builtin("NLLLoss")
class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (torch.nn.NLLLoss)."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None, ignore_index: int = -100,
                 reduce: Optional[bool] = None, reduction: str = "mean") -> None:
        super().__init__()
        self._loss(_legacy(size_average, reduce, reduction), {"ignore_index": (ignore_index, -100)})
        self._weight("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` (log-probabilities) against class indices ``target``."""
        return F.nll_loss(input, target, self._buffers["weight"], ignore_index=self.ignore_index,
                          reduction=self.reduction)


@builtin("MSELoss")
class MSELoss(_Loss):
    """Mean squared error (torch.nn.MSELoss)."""

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self._loss(_legacy(size_average, reduce, reduction))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """(input - target)^2, reduced."""
        return F.mse_loss(input, target, reduction=self.reduction)


@builtin("L1Loss")
class L1Loss(_Loss):
    """Mean absolute error (torch.nn.L1Loss)."""

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self._loss(_legacy(size_average, reduce, reduction))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """|input - target|, reduced."""
        return F.l1_loss(input, target, reduction=self.reduction)


@builtin("SmoothL1Loss")
class SmoothL1Loss(_Loss):
    """Smooth L1 loss (torch.nn.SmoothL1Loss)."""

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__()
        self._loss(_legacy(size_average, reduce, reduction), {"beta": (float(beta), 1.0)})
        self.beta = float(beta)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The smooth L1 loss, reduced."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


@builtin("HuberLoss")
class HuberLoss(_Loss):
    """Huber loss (torch.nn.HuberLoss)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__()
        self._loss(reduction, {"delta": (float(delta), 1.0)})
        self.delta = float(delta)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The Huber loss, reduced."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


@builtin("BCELoss")
class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (torch.nn.BCELoss)."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None, reduction: str = "mean") -> None:
        super().__init__()
        self._loss(_legacy(size_average, reduce, reduction))
        self._weight("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of probabilities ``input`` against ``target``."""
        return F.binary_cross_entropy(input, target, self._buffers["weight"], reduction=self.reduction)


@builtin("BCEWithLogitsLoss")
class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (torch.nn.BCEWithLogitsLoss)."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                 reduce: Optional[bool] = None, reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> None:
        super().__init__()
        self._loss(_legacy(size_average, reduce, reduction))
        self._weight("weight", weight)
        self._weight("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of logits ``input`` against ``target``."""
        return F.binary_cross_entropy_with_logits(input, target, self._buffers["weight"], reduction=self.reduction,
                                                  pos_weight=self._buffers["pos_weight"])


@builtin("KLDivLoss")
class KLDivLoss(_Loss):
    """Kullback-Leibler divergence (torch.nn.KLDivLoss)."""

    def __init__(self, size_average: Optional[bool] = None, reduce: Optional[bool] = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__()
        self._loss(_legacy(size_average, reduce, reduction), {"log_target": (log_target, False)})
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The divergence of log-probabilities ``input`` from ``target``."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
