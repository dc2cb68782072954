"""Per-window canonical frame for the prior: pelvis over the origin (x, z), facing +Z; missing joints filled.

The floor height (y) is kept: feet floating or sinking is one of the things the prior repairs.
"""

from __future__ import annotations

import numpy as np

VIS_THRESHOLD = 0.5  # a joint with visibility below this is treated as missing (its position is ignored)
L_HIP, R_HIP, L_SHOULDER, R_SHOULDER = 1, 2, 16, 17


def fill_missing(joints: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """(T, J, 3) with (T, J) visibility -> joints whose unseen entries are interpolated in time from seen
    frames (held at the ends); a joint never seen takes the pelvis position (or the origin if that is unseen)."""
    out = joints.copy()
    seen = visibility >= VIS_THRESHOLD
    t = np.arange(len(joints))
    for k in range(joints.shape[1]):
        s = seen[:, k]
        if s.all():
            continue
        if s.any():
            for c in range(3):
                out[:, k, c] = np.interp(t, t[s], joints[s, k, c])
        else:
            out[:, k] = out[:, 0] if k != 0 else 0.0
    return out


def window_frame(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(origin (3,), rotation (3, 3)) that map world -> canonical: ``(x - origin) @ rotation.T``."""
    across = (joints[:, L_HIP] - joints[:, R_HIP] + joints[:, L_SHOULDER] - joints[:, R_SHOULDER]).mean(0)
    forward = np.cross(across, [0.0, 1.0, 0.0])
    yaw = np.arctan2(forward[0], forward[2]) if np.hypot(forward[0], forward[2]) > 1e-6 else 0.0
    c, s = np.cos(-yaw), np.sin(-yaw)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    origin = np.array([joints[:, 0, 0].mean(), 0.0, joints[:, 0, 2].mean()])
    return origin, rot


def to_canonical(joints: np.ndarray, origin: np.ndarray, rot: np.ndarray) -> np.ndarray:
    return (joints - origin) @ rot.T


def from_canonical(joints: np.ndarray, origin: np.ndarray, rot: np.ndarray) -> np.ndarray:
    return joints @ rot + origin
