"""Analytic two-bone IK for a leg: move the ankle to a target, keep hip fixed and both bone lengths.

Given hip H, knee K, ankle A and a target T for the ankle, the new knee lies in the plane through H, T
and the old knee (the leg keeps bending the way it bent), at the thigh's length from H and the shin's
length from T (law of cosines). A target out of reach is pulled onto the reachable sphere along the
hip -> target ray (the caller lowers the root first, see :mod:`motionbase.pipeline.refine.footlock`).
Vectorised over frames. Numpy only; it lives here, below the pipeline, because the prior's crouch restore
(:mod:`.vertical`) re-bends legs with it too.
"""

from __future__ import annotations

import numpy as np


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-9)


def two_bone_ik(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, target: np.ndarray,
                thigh_m: float, shin_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) hip, knee, ankle, ankle target -> (new knee, new ankle), both (T, 3)."""
    hip, knee, ankle, target = (np.asarray(x, dtype=np.float64) for x in (hip, knee, ankle, target))
    d = target - hip
    dist = np.linalg.norm(d, axis=-1, keepdims=True)
    lo, hi = abs(thigh_m - shin_m) + 1e-4, thigh_m + shin_m - 1e-4
    reach = np.clip(dist, lo, hi)
    axis = _unit(d)
    new_ankle = hip + axis * reach
    # bend direction: the old knee's offset from the hip->target axis (fallback: forward of the old leg)
    k = knee - hip
    pole = k - (k * axis).sum(-1, keepdims=True) * axis
    bad = np.linalg.norm(pole, axis=-1) < 1e-6
    if bad.any():
        alt = np.cross(axis[bad], np.array([1.0, 0.0, 0.0]))
        pole[bad] = alt
    pole = _unit(pole)
    cos_a = (thigh_m ** 2 + reach ** 2 - shin_m ** 2) / (2 * thigh_m * reach)
    cos_a = np.clip(cos_a, -1.0, 1.0)
    along, across = thigh_m * cos_a, thigh_m * np.sqrt(1.0 - cos_a ** 2)
    new_knee = hip + axis * along + pole * across
    return new_knee, new_ankle
