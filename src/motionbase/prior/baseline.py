"""Classical repair, the baseline the prior is measured against: the video pipeline's clean-up
(confidence-weighted Gaussian smoothing of root and pose, then one length per bone for the clip)."""

from __future__ import annotations

import numpy as np

from ..pipeline.clean import CleanConfig, clip_bone_lengths, enforce_bone_lengths, smooth
from .canon import fill_missing


def classical_repair(joints: np.ndarray, visibility: np.ndarray, fps: float = 20.0,
                     config: CleanConfig = CleanConfig()) -> np.ndarray:
    """Gap-fill unseen joints, smooth (pipeline sigmas), enforce the clip's median bone lengths."""
    j = fill_missing(np.asarray(joints, dtype=np.float64), visibility)
    s = smooth(j, visibility, fps, config)
    return enforce_bone_lengths(s, clip_bone_lengths(s, visibility))
