"""The floor under one clip: the height the supporting foot rests at, and a shift that puts it at y = 0.

A lifted video clip's floor comes from a camera calibration (:mod:`..ground`) shared by everyone in the
video; per person it is often off by centimetres (depth error, a person on a kerb). Here the floor is
re-estimated from the clip itself: in every frame the lowest foot joint is (in walking, standing,
running) the one on the floor or about to touch it, so a low percentile of the per-frame lowest foot
height, over frames where that foot is slow, is the floor. A person who never touches the floor (a clip
spent in the air) has no slow foot; then the lowest per-frame foot height is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...config import Config
from ...skeleton import SMPL22, Skeleton


@dataclass(frozen=True)
class FloorConfig(Config):
    percentile: float = 20.0  # of the per-frame lowest foot height over slow frames
    slow_m_s: float = 0.6  # a foot slower than this (horizontal) may be on the floor
    sole_m: float = 0.0  # height of the foot joint (ball of the foot) standing flat (Bandai mocap: 0-1 cm)


def foot_indices(skeleton: Skeleton = SMPL22) -> tuple[list[int], list[int]]:
    """([left ankle, left foot], [right ankle, right foot]) joint indices."""
    return ([skeleton.index("left_ankle"), skeleton.index("left_foot")],
            [skeleton.index("right_ankle"), skeleton.index("right_foot")])


def horizontal_speed(points: np.ndarray, fps: float) -> np.ndarray:
    """(T, ..., 3) -> (T, ...) horizontal speed (m/s), central differences, edges one-sided."""
    p = np.asarray(points, dtype=np.float64)[..., [0, 2]]
    if len(p) < 2:
        return np.zeros(p.shape[:-1])
    return np.linalg.norm(np.gradient(p, axis=0), axis=-1) * fps


def floor_height(joints: np.ndarray, fps: float, config: FloorConfig = FloorConfig(),
                 skeleton: Skeleton = SMPL22) -> float:
    """The clip's floor height (metres along Y) under the foot joints."""
    j = np.asarray(joints, dtype=np.float64)
    toes = [foot_indices(skeleton)[0][1], foot_indices(skeleton)[1][1]]
    h = j[:, toes, 1]  # (T, 2)
    slow = horizontal_speed(j[:, toes], fps) < config.slow_m_s
    low = np.where(slow, h, np.inf).min(axis=1)
    low = low[np.isfinite(low)]
    if len(low) < max(3, 0.1 * len(j)):
        low = h.min(axis=1)
    return float(np.percentile(low, config.percentile)) - config.sole_m


def put_on_floor(joints: np.ndarray, fps: float, config: FloorConfig = FloorConfig(),
                 skeleton: Skeleton = SMPL22) -> tuple[np.ndarray, float]:
    """Joints shifted so the clip's floor is y = 0, and the shift applied (metres, subtracted from Y)."""
    h = floor_height(joints, fps, config, skeleton)
    out = np.array(joints, dtype=np.float64)
    out[..., 1] -= h
    return out, h
