"""ember.nn: modules, layers, losses, functional ops and initialisers, with
torch.nn's names and signatures. See nn/modules/module.py for how Python
subclasses of Module and the C modules fit together."""

from . import functional, init, utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _module_names
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "utils"] + list(_module_names)
