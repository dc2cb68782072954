"""Keep jumps: restore the large upward excursions of the root that the prior flattens.

The prior was trained on Bandai-Namco mocap, which has no jumps; it lowers the peaks of real jumps (CMU
01_01: by up to 40 % on noisy input). The noise it was trained to remove cannot make a large, coherent rise
of the whole body: the measured vertical noise is a few centimetres (floor offset, depth drift seen through
the camera's pitch, white jitter). So where the input's root, smoothed over ``sigma_s``, rises more than
``low_m`` above its own local standing height (a rolling median over ``baseline_s``), the output is shifted up
by the difference between the input's and the output's excursions, fully from ``high_m`` on (a linear ramp in
between, then smoothed so the shift adds no jerk). The whole body moves with the root (feet off the floor in
flight stay so); the pose is the prior's. Only upward excursions are restored: a crouch or squat keeps its
feet on the floor, and a downward whole-body shift would push them into it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

from ..config import Config


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
    e_in = excursion(b[:, root, 1], fps, config)
    e_out = excursion(a[:, root, 1], fps, config)
    w = np.clip((e_in - config.low_m) / (config.high_m - config.low_m), 0.0, 1.0)
    kept = e_out / np.maximum(e_in, 1e-6)
    w = w * np.clip((kept - config.agree_low) / (config.agree_high - config.agree_low), 0.0, 1.0)
    w = gaussian_filter1d(w, max(config.weight_sigma_s * fps, 1e-6), mode="nearest")
    dy = np.maximum(w * (e_in - e_out), 0.0)
    if free is not None:
        dy = dy * np.clip(np.asarray(free, dtype=np.float64), 0.0, 1.0)
    out = a.copy()
    out[..., 1] += dy[:, None]
    return out
