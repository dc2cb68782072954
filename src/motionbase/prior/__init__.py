"""A learned motion prior that repairs noisy pose estimates, and the measured noise model it is trained with.

``load_default_prior().repair(joints_m, visibility)``; see docs/PRIOR.md. The names below are loaded on first
use (PEP 562), so the numpy-only modules (:mod:`.ik`, :mod:`.vertical`) import without torch.
"""

from __future__ import annotations

from importlib import import_module

_WHERE = {"MotionPrior": "model", "PriorConfig": "model", "PriorUnavailable": "model", "load_default_prior": "model",
          "NoiseModel": "noise", "corrupt": "noise", "load_noise_model": "noise"}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
