"""``motionbase evaluator train``."""

from ..evaluate.evaluator_cli import register

__all__ = ["register"]
