"""How well a repair worked, against the clean motion: position error, jitter, foot skating, bone lengths."""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from ..metrics.physics import foot_skating, jitter_m_s3
from ..skeleton.definition import get_skeleton
from .vertical import LEGS, excursion

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


def rise_kept(truth: np.ndarray, out: np.ndarray, fps: float = 20.0, min_m: float = 0.1) -> tuple[float, int]:
    """Jumps kept: the mean over the truth's jumps (peaks of its root's excursion above standing height,
    :func:`motionbase.prior.vertical.excursion`, higher than ``min_m``, 0.5 s apart) of ``out``'s excursion
    at the same frames / the truth's; and how many jumps the truth has."""
    e, got = excursion(truth[:, 0, 1], fps), excursion(out[:, 0, 1], fps)
    peaks, _ = find_peaks(e, height=min_m, distance=max(1, int(round(0.5 * fps))))
    return (float(np.mean(got[peaks] / e[peaks])) if len(peaks) else float("nan")), int(len(peaks))


def depth_kept(truth: np.ndarray, out: np.ndarray, fps: float = 20.0) -> float:
    """Crouch kept: ``out``'s deepest descent of the root below its own standing height during the truth's
    crouch (frames deeper than half the truth's deepest), as a fraction of the truth's deepest."""
    e, got = excursion(truth[:, 0, 1], fps), excursion(out[:, 0, 1], fps)
    frames = e < 0.5 * e.min()
    return float(got[frames].min() / e[frames].min())


def knee_flexion_deg(joints: np.ndarray) -> np.ndarray:
    """(T,) mean over both legs of 180 - the hip-knee-ankle angle (0: straight legs)."""
    out = []
    for hip, knee, ankle, _ in LEGS:
        u, v = joints[:, hip] - joints[:, knee], joints[:, ankle] - joints[:, knee]
        cos = (u * v).sum(-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-12)
        out.append(180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    return np.mean(out, axis=0)
