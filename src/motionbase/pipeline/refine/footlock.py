"""Foot locking: a foot in contact stays put, no foot goes through the floor, the root sits where the legs
can reach.

For each contact (:mod:`.contact`) the ball of the foot is pinned to one point on the floor (the median of
its positions during the contact, at height ``sole_m``), and released when the hip has moved
``stance_radius`` leg lengths away from it (the next part of the contact is a new step); the pin fades in and out over ``blend_s`` so the
foot does not jump. Outside contacts a foot joint below the floor (or an ankle below ``ankle_min_m``) is
raised to it. If a pinned foot is out of the leg's reach the whole body is lowered until it is in reach
(root height consistent with the legs; the drop is smoothed, and fades out with the pins' weight, so a body
with no foot near a contact, in flight, is not pulled down). Between two stances a step apart the foot
is in the air: its ball is kept above a half-sine swing of ``swing_clearance_m`` (measured on mocap walks). Each leg is then re-posed by two-bone IK
(:mod:`.ik`): hip fixed, thigh and shin keep their lengths, the foot segment moves rigidly with the ankle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from ...config import Config
from ...skeleton import SMPL22, Skeleton
from .contact import runs_of
from .floor import foot_indices
from ...prior.ik import two_bone_ik


@dataclass(frozen=True)
class FootLockConfig(Config):
    sole_m: float = 0.0  # height of the foot joint when planted (Bandai mocap: 0-1 cm)
    ankle_min_m: float = 0.05  # an ankle is never lower than this (Bandai mocap: 7.5 cm standing)
    blend_s: float = 0.1
    reach: float = 0.995  # a pinned ankle may be at most this fraction of thigh + shin from the hip
    drop_smooth_s: float = 0.1
    stance_radius: float = 0.5  # a pin is released when the hip is this many leg lengths away (horizontally)
    swing_clearance_m: float = 0.10  # a stepping foot's ball rises at least this high mid-swing (Bandai
    # walks, 420 swings: median peak 0.117 m, 10th percentile 0.107 m)
    min_step_m: float = 0.15  # ... when it lands this far from where it took off


def _stances(toe: np.ndarray, hip: np.ndarray, contact: np.ndarray, radius_m: float) -> list[tuple[int, int]]:
    """Contact runs split where the hip has moved more than ``radius_m`` (horizontally) from the foot's
    median position so far: a planted foot is left behind when the leg is stretched (toe-off), and a
    contact the estimate made too long becomes consecutive steps instead of an unreachable pin."""
    out = []
    for a, b in runs_of(contact):
        start = a
        for t in range(a + 1, b):
            pin = np.median(toe[start:t + 1][:, [0, 2]], axis=0)
            if np.linalg.norm(hip[t, [0, 2]] - pin) > radius_m:
                out.append((start, t))
                start = t
        out.append((start, b))
    return out


def _pin_offsets(toe: np.ndarray, stances: list[tuple[int, int]], blend: int,
                 sole_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) offset moving the toe onto its stance's pin, faded over ``blend`` frames outside stances,
    and (T,) the pin's weight (1 in contact, 0 far from any)."""
    T = len(toe)
    off, weight = np.zeros((T, 3)), np.zeros(T)
    for a, b in stances:
        pin = np.array([np.median(toe[a:b, 0]), sole_m, np.median(toe[a:b, 2])])
        off[a:b] = pin - toe[a:b]
        weight[a:b] = 1.0
        for k in range(1, blend + 1):  # fade: the edge's offset, shrinking linearly
            w = 1.0 - k / (blend + 1)
            for t, edge in ((a - k, a), (b - 1 + k, b - 1)):
                if 0 <= t < T and w > weight[t]:
                    off[t], weight[t] = (pin - toe[edge]) * w, w
    return off, weight


def _swing_floor(toe: np.ndarray, stances: list[tuple[int, int]], config: FootLockConfig) -> np.ndarray:
    """(T,) lowest height of the ball of the foot between two stances that are a step apart: a half sine
    of ``swing_clearance_m`` (a foot that travels is in the air; a foot sliding on the floor is skating)."""
    low = np.full(len(toe), -np.inf)
    for (_, b), (a, _) in zip(stances[:-1], stances[1:]):
        if a - b < 1 or np.linalg.norm(np.median(toe[a:a + 3, [0, 2]], 0) - np.median(toe[max(b - 3, 0):b, [0, 2]], 0)) \
                < config.min_step_m:
            continue
        phase = (np.arange(b, a) - b + 1) / (a - b + 1)
        low[b:a] = config.sole_m + config.swing_clearance_m * np.sin(np.pi * phase)
    return low


def lock_feet(joints: np.ndarray, contacts: np.ndarray, fps: float, config: FootLockConfig = FootLockConfig(),
              skeleton: Skeleton = SMPL22) -> np.ndarray:
    """(T, J, 3) joints (floor at y = 0) and (T, 2) contacts -> joints with locked, non-penetrating feet."""
    j = np.array(joints, dtype=np.float64)
    T = len(j)
    legs = []
    for s, (ankle, toe) in enumerate(foot_indices(skeleton)):
        knee, hip = skeleton.parents[ankle], skeleton.parents[skeleton.parents[ankle]]
        thigh = float(np.median(np.linalg.norm(j[:, knee] - j[:, hip], axis=-1)))
        shin = float(np.median(np.linalg.norm(j[:, ankle] - j[:, knee], axis=-1)))
        stances = _stances(j[:, toe], j[:, hip], contacts[:, s], config.stance_radius * (thigh + shin))
        off, w = _pin_offsets(j[:, toe], stances, max(0, int(round(config.blend_s * fps))), config.sole_m)
        legs.append((hip, knee, ankle, toe, thigh, shin, off, w, _swing_floor(j[:, toe], stances, config)))
    # lower the body where a pinned ankle is out of reach
    drop = np.zeros(T)
    for hip, _, ankle, _, thigh, shin, off, w, _ in legs:
        d = j[:, ankle] + off - j[:, hip]
        length = config.reach * (thigh + shin)
        dxz2 = (d[:, [0, 2]] ** 2).sum(-1)
        need = -d[:, 1] - np.sqrt(np.maximum(length ** 2 - dxz2, 0.0))
        drop = np.maximum(drop, np.where(w >= 1.0, np.maximum(need, 0.0), 0.0))  # only planted feet pull
    if drop.any():
        n = max(1, int(round(config.drop_smooth_s * fps)))
        drop = gaussian_filter1d(maximum_filter1d(drop, 2 * n + 1), n / 2, mode="nearest")
        drop *= np.maximum.reduce([leg[7] for leg in legs])  # not in flight: a jump keeps its height
        j[..., 1] -= drop[:, None]
    for hip, knee, ankle, toe, thigh, shin, off, w, swing in legs:
        target = j[:, ankle] + off  # pinned frames: the pin itself, whatever the body's drop
        target[:, 1] += w * drop
        foot = j[:, toe] - j[:, ankle]
        # no penetration: ankle above ankle_min, ball of the foot above the sole height
        target[:, 1] = np.maximum.reduce([target[:, 1], np.full(T, config.ankle_min_m),
                                          config.sole_m - foot[:, 1], swing - foot[:, 1]])
        new_knee, new_ankle = two_bone_ik(j[:, hip], j[:, knee], j[:, ankle], target, thigh, shin)
        j[:, knee], j[:, ankle], j[:, toe] = new_knee, new_ankle, new_ankle + foot
    return j
