"""What a clip carries about its own trustworthiness: per-joint visibility and what refinement did.

Stored in the clip's labels (the manifest's ``labels`` JSON column; values are strings): ``refine`` (the
mode used), ``visibility`` (per SMPL-22 joint, the mean MediaPipe visibility over the clip's frames),
``occluded`` (per joint, the share of frames below the trust threshold, filled rather than trusted),
``contacts`` (share of frames with the left / right foot planted) and ``floor_shift_m``.
"""

from __future__ import annotations

import json

import numpy as np

from .cleanup import Cleaned


def resample_visibility(vis: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """(T, J) visibility at ``fps_in`` -> (T', J) at ``fps_out`` (linear), T' as :func:`resample_positions`."""
    v = np.asarray(vis, dtype=np.float64)
    if abs(fps_in - fps_out) < 1e-6 or len(v) < 2:
        return v
    n = int(np.floor((len(v) - 1) * fps_out / fps_in + 1e-9)) + 1
    t_out, t_in = np.arange(n) / fps_out, np.arange(len(v)) / fps_in
    return np.stack([np.interp(t_out, t_in, v[:, k]) for k in range(v.shape[1])], axis=1)


def _floats(x) -> str:
    return json.dumps([round(float(v), 2) for v in x])


def clip_labels(mode: str, visibility: np.ndarray | None, refined: Cleaned) -> dict[str, str]:
    """Labels (str -> str) recording the refinement and the visibility of one clip."""
    out = {"refine": mode, "contacts": _floats(refined.contacts.mean(axis=0)),
           "floor_shift_m": f"{refined.floor_shift_m:.3f}"}
    if visibility is not None:
        out["visibility"] = _floats(np.asarray(visibility).mean(axis=0))
        out["occluded"] = _floats(refined.filled.mean(axis=0) if refined.filled.any()
                                  else (np.asarray(visibility) < 0.5).mean(axis=0))
    return out


def joint_visibility(labels: dict[str, str]) -> np.ndarray | None:
    """The per-joint mean visibility stored by :func:`clip_labels`, or None (mocap, old stores)."""
    raw = labels.get("visibility")
    return None if not raw else np.asarray(json.loads(raw), dtype=np.float64)
