"""Contact-aware clean-up, no learning: the steps of :mod:`.visibility`, :mod:`.floor`, :mod:`.contact` and
:mod:`.footlock` in order, on one clip.

1. occluded joints filled from their trusted frames (visibility below ``min_visibility`` is not trusted);
2. a visibility-weighted Gaussian on the root-relative pose (``sigma_pose_s``) and the root path
   (``sigma_root_s``), then rigid bones (:func:`..clean.enforce_bone_lengths` with the clip's own lengths);
3. the clip's floor re-estimated and put at y = 0;
4. per-foot contacts with hysteresis;
5. feet locked during contact by leg IK, the root lowered where a planted foot is out of reach, nothing
   below the floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...config import Config
from ...skeleton import SMPL22, Skeleton
from ..clean import CleanConfig, clip_bone_lengths, enforce_bone_lengths, smooth
from .contact import ContactConfig, foot_contacts
from .floor import FloorConfig, put_on_floor
from .footlock import FootLockConfig, lock_feet
from .visibility import VisibilityConfig, fill_occluded


@dataclass(frozen=True)
class CleanupConfig(Config):
    visibility: VisibilityConfig = field(default_factory=VisibilityConfig)
    sigma_pose_s: float = 0.05
    sigma_root_s: float = 0.1
    floor: FloorConfig = field(default_factory=FloorConfig)
    contact: ContactConfig = field(default_factory=ContactConfig)
    footlock: FootLockConfig = field(default_factory=FootLockConfig)


@dataclass
class Cleaned:
    """joints (T, J, 3) with the floor at y = 0; contacts (T, 2) left/right; filled (T, J) joints filled from
    neighbours; floor_shift_m the floor height found (subtracted)."""

    joints: np.ndarray
    contacts: np.ndarray
    filled: np.ndarray
    floor_shift_m: float


def smooth_and_fix(joints: np.ndarray, weights: np.ndarray, fps: float, config: CleanupConfig,
                   skeleton: Skeleton = SMPL22) -> np.ndarray:
    """Step 2: weighted smoothing, then rigid bones with the clip's weighted-median lengths."""
    sm = smooth(joints, weights, fps, CleanConfig(sigma_pose_s=config.sigma_pose_s,
                                                  sigma_root_s=config.sigma_root_s))
    return enforce_bone_lengths(sm, clip_bone_lengths(sm, weights, skeleton), skeleton)


def contact_cleanup(joints: np.ndarray, visibility: np.ndarray | None, fps: float,
                    config: CleanupConfig = CleanupConfig(), skeleton: Skeleton = SMPL22, *,
                    fill: bool = True) -> Cleaned:
    """All five steps (``fill=False`` skips step 1, for motion a prior has already repaired)."""
    j = np.asarray(joints, dtype=np.float64)
    filled = np.zeros(j.shape[:2], dtype=bool)
    if fill:
        j, filled = fill_occluded(j, visibility, fps, config.visibility)
    weights = np.ones(j.shape[:2]) if visibility is None else np.where(filled, 0.05, np.clip(visibility, 0.05, 1.0))
    j = smooth_and_fix(j, weights, fps, config, skeleton)
    j, shift = put_on_floor(j, fps, config.floor, skeleton)
    contacts = foot_contacts(j, fps, config.contact, skeleton)
    j = lock_feet(j, contacts, fps, config.footlock, skeleton)
    return Cleaned(j, contacts, filled, shift)
