"""``motionbase render`` and ``motionbase gallery``."""

from ..viz import register

__all__ = ["register"]
