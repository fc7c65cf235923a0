"""The Module classes of ember.nn."""

from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layer_names
from .loss import *  # noqa: F401,F403
from .loss import __all__ as _loss_names
from .module import Module

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"] + list(
    _layer_names) + list(_loss_names)
