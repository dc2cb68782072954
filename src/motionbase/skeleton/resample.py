"""Resample motion in time: linear interpolation for positions, slerp for rotations.

Target frame k sits at source time k * src_fps / dst_fps (in source frames), so the first frame is
kept and the clip never extends past its last source frame. When the ratio is a whole number
(120 -> 20 fps) every target frame lands exactly on a source frame and the result is an exact
subsample; otherwise (30 -> 20 fps) it interpolates between the two neighbouring frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError
from .quaternion import slerp


@dataclass(frozen=True)
class ResamplePlan:
    """Where each target frame falls among the source frames.

    lo, hi: (N,) source frame indices either side; w: (N,) weight of ``hi`` in [0, 1).
    """

    lo: np.ndarray
    hi: np.ndarray
    w: np.ndarray

    @property
    def num_frames(self) -> int:
        return int(self.lo.shape[0])

    def needed_frames(self) -> np.ndarray:
        """Sorted source frames that carry a non-zero weight (the only ones worth computing)."""
        return np.unique(np.concatenate([self.lo, self.hi[self.w > 0]]))

    def restricted_to(self, frames: np.ndarray) -> "ResamplePlan":
        """The same plan, indexing into an array that holds only the source ``frames`` (sorted)."""
        lo = np.searchsorted(frames, self.lo)
        hi = np.where(self.w > 0, np.searchsorted(frames, self.hi), lo)  # hi unused where w == 0
        return ResamplePlan(lo, hi, self.w)


def resample_plan(num_frames: int, src_fps: float, dst_fps: float) -> ResamplePlan:
    """Plan for ``num_frames`` source frames at ``src_fps`` resampled to ``dst_fps``.

    The target has floor((num_frames - 1) * dst_fps / src_fps) + 1 frames.
    """
    if num_frames < 1 or not (src_fps > 0 and dst_fps > 0):
        raise ShapeError(f"cannot resample {num_frames} frame(s) from {src_fps} to {dst_fps} fps")
    ratio = src_fps / dst_fps
    count = int(np.floor((num_frames - 1) / ratio + 1e-9)) + 1
    t = np.arange(count) * ratio
    lo = np.floor(t + 1e-9).astype(np.int64)
    w = t - lo
    w[np.abs(w) < 1e-9] = 0.0
    lo = np.minimum(lo, num_frames - 1)
    hi = np.minimum(lo + 1, num_frames - 1)
    return ResamplePlan(lo, hi, np.clip(w, 0.0, 1.0))


def resample_linear(x: np.ndarray, plan: ResamplePlan) -> np.ndarray:
    """(F, ...) positions -> (N, ...) by linear interpolation along axis 0."""
    w = plan.w.reshape((-1,) + (1,) * (x.ndim - 1))
    return x[plan.lo] * (1.0 - w) + x[plan.hi] * w


def resample_quats(q: np.ndarray, plan: ResamplePlan) -> np.ndarray:
    """(F, ..., 4) unit (w, x, y, z) quaternions -> (N, ..., 4) by slerp along axis 0 (shortest path)."""
    w = plan.w.reshape((-1,) + (1,) * (q.ndim - 2))
    return slerp(q[plan.lo], q[plan.hi], np.broadcast_to(w, q[plan.lo].shape[:-1]))


def resample_positions(x: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Convenience: (F, ...) positions at ``src_fps`` -> (N, ...) at ``dst_fps`` (linear)."""
    return resample_linear(x, resample_plan(x.shape[0], src_fps, dst_fps))
