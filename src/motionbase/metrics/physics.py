"""Physical plausibility of a motion from its joints alone: foot skating, jitter, floor penetration.

The paper (§5.4) shows that FID and MM-Dist can prefer worse motions; these checks need no evaluator and
should be reported for every generated motion. Input: joints (T, J, 3) in metres, Y up, at ``fps``. The floor
is the plane y = ``floor_m`` (HumanML3D puts the lowest joint of each clip at y = 0). Joints, not a body
mesh, are used: heights are those of the ankle/toe joints, a few centimetres above the sole.

* **Foot skating** (Guided Motion Diffusion, Karunratanakul et al. 2023, ``calculate_skating_ratio``): a toe is
  in contact between frames t and t+1 when it is below ``height_m`` (5 cm) in both; it skates when its
  horizontal speed exceeds ``speed_m_s`` (0.5 m/s) both at that step and in a 5-step moving average (zero
  padded at the ends, as ``uniform_filter1d(mode="constant")``). The ratio is the share of steps in which
  either toe skates. We also report the mean horizontal speed of toes in contact.
* **Jitter**: mean magnitude of the third finite difference of joint positions, times fps³ (m/s³) — the mean
  jerk; pose-estimation papers report the same quantity in units of 10 m/s³.
* **Floor penetration**: per frame, how far the lowest joint is below the floor; mean depth over frames (m),
  the deepest frame, and the share of frames deeper than ``tolerance_m`` (5 mm, PhysDiff's tolerance).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..errors import ShapeError
from ..skeleton import SMPL22, Skeleton
from .checks import check_array

SKATE_HEIGHT_M = 0.05
SKATE_SPEED_M_S = 0.5
SKATE_WINDOW = 5
PENETRATION_TOLERANCE_M = 0.005


def _check_motion(joints_m, skeleton: Skeleton, min_frames: int, name: str = "joints") -> np.ndarray:
    return check_array(joints_m, name, 3, min_rows=min_frames, last_dims=(skeleton.num_joints, 3))


def toe_joints(skeleton: Skeleton) -> tuple[int, int]:
    """The last joint of each foot chain (SMPL-22: left_foot 10, right_foot 11), as GMD uses."""
    return skeleton.feet_left[-1], skeleton.feet_right[-1]


def foot_skating(joints_m, fps: float, skeleton: Skeleton = SMPL22, *, height_m: float = SKATE_HEIGHT_M,
                 speed_m_s: float = SKATE_SPEED_M_S, window: int = SKATE_WINDOW,
                 floor_m: float = 0.0) -> dict[str, float]:
    """GMD's skating ratio and the mean horizontal speed (m/s) of toes in contact (see module docstring)."""
    x = _check_motion(joints_m, skeleton, 2)
    toes = x[:, list(toe_joints(skeleton))]  # (T, 2, 3)
    speed = np.linalg.norm(toes[1:, :, [0, 2]] - toes[:-1, :, [0, 2]], axis=-1) * fps  # (T-1, 2)
    speed_avg = uniform_filter1d(speed, size=window, axis=0, mode="constant", origin=0)
    height = toes[:, :, 1] - floor_m
    contact = (height[:-1] < height_m) & (height[1:] < height_m)
    skating = contact & (speed > speed_m_s) & (speed_avg > speed_m_s)
    return {
        "skating_ratio": float(skating.any(axis=1).mean()),
        "contact_speed_m_s": float(speed[contact].mean()) if contact.any() else 0.0,
    }


def jitter_m_s3(joints_m, fps: float, skeleton: Skeleton = SMPL22) -> float:
    """Mean jerk magnitude |d³x/dt³| over frames and joints, in m/s³ (needs at least 4 frames)."""
    x = _check_motion(joints_m, skeleton, 4)
    jerk = np.diff(x, n=3, axis=0) * fps ** 3
    return float(np.linalg.norm(jerk, axis=-1).mean())


def floor_penetration(joints_m, skeleton: Skeleton = SMPL22, *, floor_m: float = 0.0,
                      tolerance_m: float = PENETRATION_TOLERANCE_M) -> dict[str, float]:
    """Depth of the lowest joint below the floor: mean over frames, max, share of frames deeper than tolerance."""
    x = _check_motion(joints_m, skeleton, 1)
    depth = np.clip(floor_m - x[:, :, 1].min(axis=1), 0.0, None)
    return {
        "penetration_m": float(depth.mean()),
        "penetration_max_m": float(depth.max()),
        "penetration_ratio": float((depth > tolerance_m).mean()),
    }


def plausibility(motions_m: Sequence[np.ndarray], fps: float, skeleton: Skeleton = SMPL22, *,
                 floor_m: float = 0.0) -> dict[str, float]:
    """All physical checks for a set of motions, each (T_i, J, 3) m: per-motion values averaged over motions."""
    if len(motions_m) == 0:
        raise ShapeError("no motions to check; expected at least one (T, J, 3) array")
    rows = []
    for i, x in enumerate(motions_m):
        x = _check_motion(x, skeleton, 4, name=f"motion {i}")
        row = {**foot_skating(x, fps, skeleton, floor_m=floor_m),
               "jitter_m_s3": jitter_m_s3(x, fps, skeleton),
               **floor_penetration(x, skeleton, floor_m=floor_m)}
        rows.append(row)
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
