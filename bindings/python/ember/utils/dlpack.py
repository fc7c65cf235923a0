"""torch.utils.dlpack: to_dlpack / from_dlpack."""

from .._dlpack import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
