"""How well a repair worked, against the clean motion: position error, jitter, foot skating, bone lengths."""

from __future__ import annotations

import numpy as np

from ..metrics.physics import foot_skating, jitter_m_s3
from ..skeleton.definition import get_skeleton

SKEL = get_skeleton("smpl22")


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """(T, 22, 3) -> (T, 21) bone lengths (metres)."""
    return np.linalg.norm(joints[:, 1:] - joints[:, list(SKEL.parents[1:])], axis=-1)


def repair_metrics(pred: np.ndarray, clean: np.ndarray, fps: float = 20.0) -> dict[str, float]:
    """MPJPE (global and root-aligned, mm), jerk (m/s^3), toe skating ratio, mean bone-length error (mm)."""
    pred = np.asarray(pred, dtype=np.float64)
    clean = np.asarray(clean, dtype=np.float64)
    err = np.linalg.norm(pred - clean, axis=-1)
    rel = np.linalg.norm((pred - pred[:, :1]) - (clean - clean[:, :1]), axis=-1)
    return {
        "mpjpe_mm": float(err.mean() * 1000),
        "mpjpe_root_aligned_mm": float(rel.mean() * 1000),
        "jerk_m_s3": jitter_m_s3(pred, fps) if len(pred) >= 4 else float("nan"),
        "skating_ratio": foot_skating(pred, fps)["skating_ratio"] if len(pred) >= 2 else float("nan"),
        "bone_error_mm": float(np.abs(bone_lengths(pred) - bone_lengths(clean)).mean() * 1000),
    }
