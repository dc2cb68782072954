"""Training-window augmentation for tokenizers, on raw HumanML3D-style feature rows (T, D).

* **mirror** — left/right swap (X -> -X, each joint with its twin): :func:`motionbase.features.mirror.mirror_features`,
  exact on the features (mirroring twice gives the input back);
* **re-timing** — the same motion played ``speed`` times faster (``speed`` < 1: slower). Output row k stands for
  source time t_k = ``k · speed``: positions, rotations and root height are linearly interpolated there; the
  per-frame quantities (root yaw velocity, root XZ velocity, joint velocities: row i is the change from frame i
  to i+1) become the source's change over [t_k, t_k + speed] — the integral of the piecewise-constant per-frame
  signal — so heading and distance travelled are kept. (Sampling them at t_k and multiplying by ``speed``
  instead aliases the gait's velocity oscillation: on a Bandai walk at 2x that put the recovered joints 0.94 m
  off the source's, against 7 mm for the integral.) Foot contacts take the nearest row. Approximate where the
  motion turns within one output step (the root-frame XZ velocity is summed across a changing heading), 6D
  rotations are not re-orthonormalised and a contact flag is not re-thresholded at the new speed.

Features carry no global yaw or position (each clip starts at the origin facing +Z, the root moves by velocities
in its own frame), so random yaw would change nothing; scaling would change bone lengths, which the uniform
HumanML3D skeleton fixes, so neither is offered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Config
from ..errors import ShapeError
from ..features.layout import FeatureLayout
from ..features.mirror import mirror_features


@dataclass(frozen=True)
class AugmentConfig(Config):
    """mirror_prob: probability that a window is mirrored; speed_range: (low, high) — each window's speed factor is
    drawn log-uniformly from it ((1, 1): no re-timing)."""

    mirror_prob: float = 0.0
    speed_range: tuple[float, float] = (1.0, 1.0)

    def check(self) -> None:
        object.__setattr__(self, "speed_range", tuple(float(v) for v in self.speed_range))
        lo, hi = self.speed_range
        if not (0.0 <= self.mirror_prob <= 1.0) or not (0 < lo <= hi):
            raise self.error(f"augmentation needs 0 <= mirror_prob <= 1 and 0 < speed low <= high, got "
                             f"mirror_prob={self.mirror_prob}, speed_range={self.speed_range}")

    @property
    def active(self) -> bool:
        return self.mirror_prob > 0 or self.speed_range != (1.0, 1.0)


def per_frame_columns(layout: FeatureLayout) -> np.ndarray:
    """Columns holding per-frame displacements (scale with playback speed): yaw velocity, root XZ velocity and the
    joint velocities."""
    vel = layout.slices["vel"]
    return np.r_[0:3, vel.start:vel.stop]


def _integral(per_frame: np.ndarray, t: np.ndarray) -> np.ndarray:
    """∫_0^t of the piecewise-constant signal that is ``per_frame[i]`` on [i, i+1) (t clipped to [0, T])."""
    x = np.asarray(per_frame, dtype=np.float64)
    cum = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
    t = np.clip(t, 0.0, len(x))
    i = np.minimum(np.floor(t).astype(int), len(x) - 1)
    return cum[i] + (t - i)[:, None] * x[i]


def retime(rows: np.ndarray, speed: float, num_rows: int | None = None,
           layout: FeatureLayout = FeatureLayout()) -> np.ndarray:
    """(T, D) raw features -> the motion at ``speed`` × the original pace: ``num_rows`` rows (default: as many as
    the source covers, ⌊(T-1)/speed⌋ + 1) read at source times 0, speed, 2·speed, … (see the module docstring)."""
    rows = np.asarray(rows)
    if rows.ndim != 2 or rows.shape[-1] != layout.dim or len(rows) == 0:
        raise ShapeError(f"retime: features have shape {rows.shape}, expected (T >= 1, {layout.dim})")
    if speed <= 0:
        raise ShapeError(f"retime: speed must be > 0, got {speed}")
    n = int(np.floor((len(rows) - 1) / speed + 1e-9)) + 1 if num_rows is None else num_rows
    t = np.minimum(np.arange(n) * speed, len(rows) - 1)
    i0 = np.floor(t).astype(int)
    i1 = np.minimum(i0 + 1, len(rows) - 1)
    w = (t - i0)[:, None]
    out = (rows[i0] * (1 - w) + rows[i1] * w).astype(rows.dtype)
    cols = per_frame_columns(layout)
    out[:, cols] = (_integral(rows[:, cols], t + speed) - _integral(rows[:, cols], t)).astype(rows.dtype)
    contact = layout.slices["contact"]
    out[:, contact] = rows[np.rint(t).astype(int), contact]
    return out


def augment_window(clip_rows: np.ndarray, window: int, rng: np.random.Generator, config: AugmentConfig,
                   layout: FeatureLayout = FeatureLayout()) -> np.ndarray:
    """A random window of up to ``window`` rows from one clip's rows, re-timed and mirrored as ``config`` draws
    (the draws come from ``rng`` in a fixed order, so a seeded generator gives a reproducible window)."""
    lo, hi = config.speed_range
    speed = float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if hi > lo else lo
    mirror = config.mirror_prob > 0 and rng.random() < config.mirror_prob
    span = min(len(clip_rows), int(np.ceil((window - 1) * speed)) + 1)   # source rows one window needs
    start = int(rng.integers(0, max(1, len(clip_rows) - span + 1)))
    src = np.asarray(clip_rows[start:start + span])
    rows = retime(src, speed, min(window, int(np.floor((len(src) - 1) / speed + 1e-9)) + 1), layout) \
        if speed != 1.0 else src[:window]
    return mirror_features(rows, layout) if mirror else rows
