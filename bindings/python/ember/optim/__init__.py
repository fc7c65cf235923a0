"""ember.optim: torch.optim's optimizers and learning-rate schedulers."""

from . import lr_scheduler
from .optimizer import SGD, LBFGS, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, Optimizer, RAdam, RMSprop

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS",
           "lr_scheduler"]
