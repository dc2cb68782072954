"""Keep jumps and crouches: restore the large vertical excursions of the root that the prior flattens.

The prior was trained on Bandai-Namco mocap, which has no jumps; it lowers the peaks of real jumps (CMU
01_01: by up to 40 % on noisy input). The noise it was trained to remove cannot make a large, coherent rise
of the whole body: the measured vertical noise is a few centimetres (floor offset, depth drift seen through
the camera's pitch, white jitter). So where the input's root, smoothed over ``sigma_s``, rises more than
``low_m`` above its own local standing height (a rolling median over ``baseline_s``), the output is shifted up
by the difference between the input's and the output's excursions, fully from ``high_m`` on (a linear ramp in
between, then smoothed so the shift adds no jerk). The whole body moves with the root (feet off the floor in
flight stay so); the pose is the prior's (:func:`keep_vertical_excursion`).

Downward excursions (a squat, a crouch; CMU 131_01's 35 cm crouch kept only 0.84 of its depth clean, 0.60-0.71
after the whole refine step) are restored by the same rule mirrored (:func:`keep_crouch_depth`), but not by a
whole-body shift, which would push the feet into the floor: the body above the legs is lowered and each leg is
re-bent by two-bone IK (:mod:`.ik`) so the ankles and feet stay exactly where they were (knee and hip flexion
grow with the root's descent, a planted foot stays planted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter, minimum_filter1d

from ..config import Config
from .ik import two_bone_ik


@dataclass(frozen=True)
class VerticalConfig(Config):
    sigma_s: float = 0.1  # smoothing of the root heights compared (removes white jitter)
    baseline_s: float = 2.5  # rolling median window: the local standing height
    low_m: float = 0.05  # excursion above which the input is trusted (3x the measured vertical noise)
    high_m: float = 0.10  # ... fully from here on
    agree_low: float = 0.15  # the prior's own excursion must keep this fraction of the input's ...
    agree_high: float = 0.3  # ... (fully trusted from here on): a rise the prior removed entirely was noise
    weight_sigma_s: float = 0.05  # smoothing of the blend weight


def excursion(height: np.ndarray, fps: float, config: VerticalConfig = VerticalConfig()) -> np.ndarray:
    """(T,) root height -> its smoothed height above the rolling median (the local standing height)."""
    h = gaussian_filter1d(np.asarray(height, dtype=np.float64), max(config.sigma_s * fps, 1e-6), mode="nearest")
    size = max(1, int(round(config.baseline_s * fps)) | 1)
    return h - median_filter(h, size=size, mode="nearest")


def _restore(before: np.ndarray, after: np.ndarray, fps: float, config: VerticalConfig, sign: float,
             root: int = 0) -> np.ndarray:
    """(T,) how far (>= 0) to move ``after``'s root along ``sign`` (+1 up, -1 down) so that its excursion from
    its standing height matches the input's, where the input's is large and the prior kept part of it."""
    e_in = sign * excursion(before[:, root, 1], fps, config)
    e_out = sign * excursion(after[:, root, 1], fps, config)
    w = np.clip((e_in - config.low_m) / (config.high_m - config.low_m), 0.0, 1.0)
    kept = e_out / np.maximum(e_in, 1e-6)
    w = w * np.clip((kept - config.agree_low) / (config.agree_high - config.agree_low), 0.0, 1.0)
    w = gaussian_filter1d(w, max(config.weight_sigma_s * fps, 1e-6), mode="nearest")
    return np.maximum(w * (e_in - e_out), 0.0)


def keep_vertical_excursion(before: np.ndarray, after: np.ndarray, fps: float,
                            config: VerticalConfig = VerticalConfig(), root: int = 0,
                            free: np.ndarray | None = None) -> np.ndarray:
    """Input joints ``before`` and the prior's ``after`` (T, J, 3), Y up -> ``after`` shifted up per frame
    where the input's root rises well above its standing height (see the module docstring). ``free`` (T,)
    in [0, 1] scales the shift per frame (the refine step passes 0 where a foot is planted, so a contact
    stays on the floor)."""
    b = np.asarray(before, dtype=np.float64)
    a = np.asarray(after, dtype=np.float64)
    if len(a) < 3:
        return a.copy()
    dy = _restore(b, a, fps, config, 1.0, root)
    if free is not None:
        dy = dy * np.clip(np.asarray(free, dtype=np.float64), 0.0, 1.0)
    out = a.copy()
    out[..., 1] += dy[:, None]
    return out


# SMPL-22 legs: (hip, knee, ankle, ball of the foot)
LEGS = ((1, 4, 7, 10), (2, 5, 8, 11))


def feet_down(joints: np.ndarray, fps: float, config: VerticalConfig = VerticalConfig()) -> np.ndarray:
    """(T,) in [0, 1]: 1 where the lower foot (ankle or ball, smoothed over ``sigma_s``) is within ``low_m``
    of the local floor (its own rolling minimum over ``baseline_s``), 0 from ``high_m`` above it (in the air)."""
    j = np.asarray(joints, dtype=np.float64)
    low = gaussian_filter1d(j[:, [leg[k] for leg in LEGS for k in (2, 3)], 1].min(axis=1),
                            max(config.sigma_s * fps, 1e-6), mode="nearest")
    size = max(1, int(round(config.baseline_s * fps)) | 1)
    above = low - minimum_filter1d(low, size, mode="nearest")
    return np.clip((config.high_m - above) / (config.high_m - config.low_m), 0.0, 1.0)


def lower_keeping_feet(joints: np.ndarray, drop: np.ndarray, legs=LEGS) -> np.ndarray:
    """(T, J, 3) joints and (T,) drop >= 0 (metres) -> the body lowered by ``drop`` with each leg re-bent by
    two-bone IK so its ankle and foot stay where they were (thigh and shin keep the clip's median lengths;
    a target closer than the folded leg can reach is left as near as it gets)."""
    j = np.asarray(joints, dtype=np.float64)
    out = j.copy()
    out[..., 1] -= np.asarray(drop, dtype=np.float64)[:, None]
    for hip, knee, ankle, toe in legs:
        thigh = float(np.median(np.linalg.norm(j[:, knee] - j[:, hip], axis=-1)))
        shin = float(np.median(np.linalg.norm(j[:, ankle] - j[:, knee], axis=-1)))
        out[:, knee], out[:, ankle] = two_bone_ik(out[:, hip], out[:, knee], out[:, ankle], j[:, ankle], thigh, shin)
        out[:, toe] = out[:, ankle] + (j[:, toe] - j[:, ankle])
    return out


def keep_crouch_depth(before: np.ndarray, after: np.ndarray, fps: float,
                      config: VerticalConfig = VerticalConfig(), root: int = 0,
                      standing: np.ndarray | None = None) -> np.ndarray:
    """Input joints ``before`` and the repaired ``after`` (T, J, 3), Y up -> ``after`` lowered per frame where
    the input's root sinks well below its standing height and the repair kept part of that descent, by the
    depth the repair lost; the legs are re-bent so the feet do not move (:func:`lower_keeping_feet`).
    ``standing`` (T,) in [0, 1] scales the drop per frame: a body in flight (falling back from a jump) is not
    pulled down. The refine step passes its planted feet; by default (:func:`feet_down`) a frame stands when
    the lower foot of ``after`` is near its local floor."""
    b = np.asarray(before, dtype=np.float64)
    a = np.asarray(after, dtype=np.float64)
    if len(a) < 3:
        return a.copy()
    standing = feet_down(a, fps, config) if standing is None else np.asarray(standing, dtype=np.float64)
    drop = _restore(b, a, fps, config, -1.0, root) * np.clip(standing, 0.0, 1.0)
    return lower_keeping_feet(a, drop) if drop.max() > 1e-6 else a.copy()
