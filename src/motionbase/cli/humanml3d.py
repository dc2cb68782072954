"""``motionbase humanml3d check|stats|tag``."""

from ..formats.humanml3d import register

__all__ = ["register"]
