"""Refinement of a lifted, cleaned clip into motion a mocap user would accept (issue 11).

``refine="none"``: the cleaned joints as they are. ``"cleanup"``: contact-aware clean-up, no learning
(:mod:`.cleanup`). ``"prior"``: occluded joints filled, the learned motion prior (:mod:`.prior_step`), then
the contact clean-up last (a prior may reintroduce foot skating). Every mode returns joints with the
floor at y = 0 and the per-foot contacts it found.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ...errors import MotionbaseError
from ...prior.vertical import keep_crouch_depth as restore_crouch
from ...prior.vertical import keep_vertical_excursion
from ...skeleton import SMPL22, Skeleton
from .cleanup import Cleaned, CleanupConfig, contact_cleanup
from .contact import foot_contacts
from .prior_step import repair_with_prior
from .visibility import fill_occluded

REFINE_MODES = ("none", "cleanup", "prior")


def check_mode(mode: str) -> str:
    if mode not in REFINE_MODES:
        raise MotionbaseError(f"refine must be one of {', '.join(REFINE_MODES)}; got {mode!r}")
    return mode


def refine_motion(joints: np.ndarray, visibility: np.ndarray | None, fps: float, mode: str,
                  config: CleanupConfig = CleanupConfig(), skeleton: Skeleton = SMPL22) -> Cleaned:
    """One clip's joints (T, J, 3), floor near y = 0, visibility (T, J) or None -> :class:`Cleaned`."""
    check_mode(mode)
    j = np.asarray(joints, dtype=np.float64)
    if mode == "none":
        return Cleaned(j, foot_contacts(j, fps, config.contact, skeleton), np.zeros(j.shape[:2], bool), 0.0)
    if mode == "cleanup":
        return contact_cleanup(j, visibility, fps, config, skeleton)

    filled_j, filled = fill_occluded(j, visibility, fps, config.visibility)
    vis = None if visibility is None else np.where(filled, 0.0, visibility)
    out = contact_cleanup(repair_with_prior(filled_j, vis), None, fps, config, skeleton, fill=False)
    out.joints = keep_flight_height(filled_j, out, fps)
    out.joints = keep_crouch_depth(filled_j, out, fps)
    out.filled = filled
    return out


def keep_flight_height(before: np.ndarray, cleaned: Cleaned, fps: float) -> np.ndarray:
    """The clean-up's smoothing and foot locking lower short jumps again: restore the input's large upward
    root excursions (:func:`motionbase.prior.vertical.keep_vertical_excursion`) on frames where no foot is
    planted (faded over 0.1 s around contacts). The shift is upward only, so nothing goes below the floor."""
    free = np.clip(1.0 - 2.0 * _planted(cleaned, fps), 0.0, 1.0)
    return keep_vertical_excursion(before, cleaned.joints, fps, free=free)


def _planted(cleaned: Cleaned, fps: float) -> np.ndarray:
    """(T,) in [0, 1]: a foot is planted (the clean-up's contacts, faded over 0.05 s)."""
    return gaussian_filter1d(cleaned.contacts.any(axis=1).astype(np.float64), 0.05 * fps, mode="nearest")


def keep_crouch_depth(before: np.ndarray, cleaned: Cleaned, fps: float) -> np.ndarray:
    """The clean-up's smoothing and foot lock (which straightens the legs to reach its pins) make squats and
    crouches shallower again: restore the input's large downward root excursions on frames with a planted
    foot by lowering the body and re-bending the legs, feet (and so their pins and the floor) untouched
    (:func:`motionbase.prior.vertical.keep_crouch_depth`)."""
    return restore_crouch(before, cleaned.joints, fps, standing=np.clip(2.0 * _planted(cleaned, fps), 0.0, 1.0))


__all__ = ["REFINE_MODES", "Cleaned", "CleanupConfig", "check_mode", "contact_cleanup", "refine_motion"]
