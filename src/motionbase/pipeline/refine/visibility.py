"""Occluded joints are filled, not trusted: per joint, frames seen with low visibility are replaced.

MediaPipe reports a visibility per landmark (mapped to SMPL-22 by :func:`..lift.smpl22_confidence`).
A joint hidden behind another person or the body itself still gets a position, often a confident-looking
guess that flips or drifts. Here each joint's root-relative trajectory keeps only its frames with
visibility ``>= min_visibility``; the others are interpolated from the nearest trusted frames of that joint
(held at the clip's ends), then a visibility-weighted Gaussian blends the seams. A joint never trusted
in the clip keeps its estimate (nothing better is known) and is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...config import Config
from ..clean import weighted_gaussian


@dataclass(frozen=True)
class VisibilityConfig(Config):
    min_visibility: float = 0.5
    sigma_s: float = 0.05  # seam blending
    root: int = 0


def fill_occluded(joints: np.ndarray, visibility: np.ndarray | None, fps: float,
                  config: VisibilityConfig = VisibilityConfig()) -> tuple[np.ndarray, np.ndarray]:
    """(T, J, 3) joints and (T, J) visibility -> (filled joints, (T, J) bool: the frames that were filled)."""
    j = np.array(joints, dtype=np.float64)
    if visibility is None:
        return j, np.zeros(j.shape[:2], dtype=bool)
    vis = np.asarray(visibility, dtype=np.float64)
    trusted = vis >= config.min_visibility
    root = j[:, config.root:config.root + 1]
    rel = j - root
    t = np.arange(len(j))
    filled = np.zeros(j.shape[:2], dtype=bool)
    for k in range(j.shape[1]):
        if k == config.root or trusted[:, k].all() or not trusted[:, k].any():
            continue
        known = np.flatnonzero(trusted[:, k])
        for c in range(3):
            rel[:, k, c] = np.interp(t, known, rel[known, k, c])
        filled[:, k] = ~trusted[:, k]
    w = np.where(filled, 0.05, 1.0)[..., None]
    rel = weighted_gaussian(rel, w, config.sigma_s * fps) * filled[..., None] + rel * ~filled[..., None]
    return rel + root, filled
