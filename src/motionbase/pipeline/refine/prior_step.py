"""The learned motion prior as a refinement step (``motionbase.prior``, imported only when used).

The prior (its own package and shipped model) maps noisy joints (T, 22, 3), 20 fps, with per-joint
visibility, to plausible motion. It is loaded once per process. When the package or its model is missing,
:func:`load_prior` raises :class:`PriorMissing` saying what to install; the pipeline then stops, or falls
back to the contact clean-up when asked to (``PipelineConfig.refine_fallback``).
"""

from __future__ import annotations

import numpy as np

from ...errors import MotionbaseError

_PRIOR = None


class PriorMissing(MotionbaseError):
    """The motion prior cannot be loaded (package or model missing)."""


def load_prior():
    """The default motion prior, loaded once per process; :class:`PriorMissing` with a hint if unavailable."""
    global _PRIOR
    if _PRIOR is None:
        hint = ("install motionbase with its default models (the motionbase.prior package and "
                "assets/models/prior), or use --refine cleanup (or --refine-fallback)")
        try:
            # deferred for a quick start: imports torch
            from ...prior import load_default_prior
        except ImportError as exc:
            raise PriorMissing(f"--refine prior: the motion prior is not installed ({exc}); {hint}") from None
        try:
            _PRIOR = load_default_prior()
        except MotionbaseError as exc:
            raise PriorMissing(f"--refine prior: {exc}; {hint}") from None
    return _PRIOR


def repair_with_prior(joints: np.ndarray, visibility: np.ndarray | None) -> np.ndarray:
    """(T, 22, 3) joints at 20 fps (and (T, 22) visibility) -> the prior's repaired joints (its crouch restore
    skipped: the refine step restores crouches after its contact clean-up)."""
    out = np.asarray(load_prior().repair(np.asarray(joints, dtype=np.float64), visibility=visibility, crouch=False))
    if out.shape != np.shape(joints) or not np.isfinite(out).all():
        raise MotionbaseError(f"motion prior returned {out.shape} (finite: {bool(np.isfinite(out).all())}) "
                              f"for joints {np.shape(joints)}")
    return out
