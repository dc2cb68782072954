"""The noise floor of gesture and jump detection, measured on real people who neither gesture nor jump.

A raised hand, a jump or a kick is claimed only when it stands above what noise and ordinary arm swing
produce in clips of people standing still and walking: mocap walks (clean motion, natural arm swing) and
refined video clips of pedestrians (the noise our pose estimates add). For each such clip (and arm) we
measure the largest *sustained* value of each quantity the detectors threshold, counting for the arms
only frames that saw the arm (per-frame visibility; filled frames are no evidence; where only the elbow was
seen, the elevation the upper arm allows: :func:`~.kinematics_summary.arm_trace`):

* ``raise_elevation_moving``: wrist height above the shoulder in arm lengths (-1 hanging, 0 level, +1 up),
  the minimum over any ``raise_min_s`` window, maximised over the clip (walkers: it applies while travelling);
* ``raise_overhead_m``: how far the wrist is above the head joint (metres), sustained the same way;
* ``raise_rise_moving``: how far the elevation rises above the arm's own rest in the clip (its 10th percentile),
  sustained the same way: a hand raise is an *event*, so a hand held up all clip long rises by nothing.
  Walkers' values apply while travelling; people who stand have no arm swing, and their floor
  ``raise_rise`` is the video walkers' quantile less that of clean mocap walks (arm swing alone);
* ``raise_jitter``: the trunk's jitter (median |second difference| of the shoulder height above the pelvis,
  arm lengths per frame^2), to which
  a clip's own jitter is compared (:func:`~.kinematics_summary.rise_floor`);
* ``jump_rise_m``: how far the pelvis rises above its standing height while both feet are off the floor;
* ``kick_height``: foot height above the floor in leg lengths, sustained over ``kick_min_s``.

The noise floor is a property of the measurement, so it is kept per kind of motion: ``video`` (the
pipeline's refined pose estimates of walkers: their noise) and ``mocap`` (clean walks: the arm swing
ceiling, recorded for reference). The arm floors are a robust quantile (:data:`ARM_QUANTILE`) of the
per-arm values, not the maximum: one pedestrian who carries something high must not deafen the detector
for everyone (the rise-above-rest rule is what keeps such a person from being captioned as raising a
hand). Only video clips get raised thresholds (:func:`calibrated_config`): the larger of the built-in
default and the measured quantile plus a margin, with the sustained window the measurement used
(``raise_min_s``, :data:`VIDEO_RAISE_MIN_S`); jumps and kicks keep the measured maximum plus a margin.
Mocap keeps the built-in thresholds, whose arm-swing rules were written for clean motion; so do still
images (not measured). ``scripts/measure_caption_noise_floor.py`` writes the measurements to
``assets/caption/noise_floor.json`` (package data) with the clips they came from; nothing in it is
typed by hand.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.ndimage import minimum_filter1d

from ...skeleton import SMPL22, Skeleton
from .kinematics_summary import SummaryConfig, _Frame, arm_trace

NOISE_FLOOR_JSON = Path(__file__).resolve().parents[2] / "assets" / "caption" / "noise_floor.json"
MARGINS = {"raise_elevation_moving": 0.25, "raise_overhead_m": 0.03, "raise_rise_moving": 0.1, "raise_rise": 0.1,
           "jump_rise_m": 0.03,
           "kick_height": 0.05}
# raise_elevation_moving: a raise is *well* above the shoulder: a quarter of an arm over the walkers' quantile
ARM_KEYS = ("raise_elevation_moving", "raise_overhead_m", "raise_rise_moving")
ARM_QUANTILE = 95.0  # per-arm values of walkers: the floor is this percentile (not the max)
VIDEO_RAISE_MIN_S = 0.5  # a raise on video must be held this long (noise holds a wrist up for 0.2 s)


def _sustained_max(x: np.ndarray, n: int) -> float:
    """Largest value held for ``n`` frames: max over t of the min over a window of n frames."""
    if len(x) == 0:
        return float("-inf")
    n = max(1, min(n, len(x)))
    return float(minimum_filter1d(x, n, mode="nearest").max())


def clip_noise(joints: np.ndarray, fps: float, skeleton: Skeleton = SMPL22,
               cfg: SummaryConfig = SummaryConfig(), visibility: np.ndarray | None = None) -> dict[str, list[float]]:
    """The sustained quantities of one clip (see the module docstring): per arm (left, right) for the
    ``raise_*`` keys, one value for the others. ``visibility`` (T, J): frames that did not see a wrist
    do not count for it. The window is ``cfg.raise_min_s``."""
    j = np.asarray(joints, dtype=np.float64)
    f = _Frame(j, fps, skeleton, cfg, None if visibility is None else np.asarray(visibility, dtype=np.float64))
    out: dict[str, list[float]] = {k: [] for k in (*ARM_KEYS, "raise_jitter")}
    n = f.frames(cfg.raise_min_s)
    for s in range(2):
        t = arm_trace(f, s)
        hidden = np.where(t.seen, 0.0, -np.inf)
        hand_hidden = hidden if t.wrist_seen is None else np.where(t.wrist_seen, 0.0, -np.inf)
        out["raise_elevation_moving"].append(_sustained_max(t.elevation + hidden, n))
        out["raise_overhead_m"].append(_sustained_max(j[:, f.ix.wrist[s], 1] - j[:, f.ix.head, 1] + hand_hidden, n))
        out["raise_rise_moving"].append(_sustained_max(t.rise + hidden, n))
        out["raise_jitter"].append(t.jitter)
    airborne = (~f.contact).all(axis=1)
    rise = np.where(airborne, f.pelvis_h - f.stand_h, -np.inf)
    out["jump_rise_m"] = [max(_sustained_max(rise, f.frames(cfg.jump_min_s)), 0.0)]
    out["kick_height"] = [max(_sustained_max(f.foot_h[:, s] / f.leg_m, f.frames(cfg.kick_min_s)) for s in range(2))]
    return out


def summarize_noise(clips: list[dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    """Per quantity over all clips (and arms): n, p50, the floor's quantile, p99, max (finite values only)."""
    out = {}
    for k in clips[0]:
        x = np.array([v for c in clips for v in c[k] if np.isfinite(v)])
        out[k] = {"n": int(len(x)), "p50": float(np.median(x)),
                  f"p{ARM_QUANTILE:g}": float(np.percentile(x, ARM_QUANTILE)),
                  "p99": float(np.percentile(x, 99)), "max": float(x.max())}
    return out


def floor_of(summary: dict[str, dict[str, float]],
             swing: dict[str, dict[str, float]] | None = None) -> dict[str, float]:
    """The floor values of one kind from :func:`summarize_noise`: arm quantities at ``ARM_QUANTILE``,
    jumps and kicks at the maximum; plus ``raise_rise_scale`` (the rise's spread, (p95 - p50) / 1.645,
    a robust sigma) and ``raise_jitter_ref`` (the median trunk jitter). With ``swing`` (clean mocap walks
    measured with the same window: arm swing alone), also ``raise_rise`` for people who stand: the walkers'
    rise quantile less the arm swing's, i.e. what estimation noise adds."""
    q = f"p{ARM_QUANTILE:g}"
    out = {k: summary[k][q] for k in ARM_KEYS}
    out.update({k: summary[k]["max"] for k in ("jump_rise_m", "kick_height")})
    out["raise_rise_scale"] = (summary["raise_rise_moving"][q] - summary["raise_rise_moving"]["p50"]) / 1.645
    out["raise_jitter_ref"] = summary["raise_jitter"]["p50"]
    if swing is not None:
        out["raise_rise"] = max(0.0, summary["raise_rise_moving"][q] - swing["raise_rise_moving"][q])
    return out


KINDS = ("video", "mocap")


def load_noise_floor(kind: str = "video", path: Path = NOISE_FLOOR_JSON) -> dict[str, float] | None:
    """The measured floor (``{"raise_elevation_moving": ..., "raise_min_s": ...}``, see :func:`floor_of`) for motion of
    one ``kind`` (``video``: pose estimates, ``mocap``: motion capture), or None when no measurement ships."""
    if kind not in KINDS:
        raise ValueError(f"noise floor kind {kind!r}; expected one of {KINDS}")
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return {k: float(v) for k, v in {**data["floor_by_kind"][kind], "raise_min_s": data["raise_min_s"][kind]}.items()}


def motion_kind(labels: dict[str, str], source: str = "", static: bool = False) -> str:
    """``video`` for moving clips made by the video pipeline (they carry per-joint visibility, or their source
    is ``video``), else ``mocap``. Still images were not measured (no walkers in them): defaults apply."""
    return "video" if not static and ("visibility" in labels or source == "video") else "mocap"


def calibrated_config(base: SummaryConfig = SummaryConfig(), floor: dict[str, float] | None = None, *,
                      kind: str = "video") -> SummaryConfig:
    """``base`` with each noise-floor threshold raised to the measured floor (of ``kind``) plus its margin,
    the raise window set to the one the floor was measured with, the rise's spread (for the claims'
    confidences) and the walkers' jitter (to scale a clip's floor by its own jitter) filled in.
    Video pose estimates are noisier than mocap, so the same gesture needs a larger margin to be claimed."""
    if kind == "mocap" and floor is None:
        return base  # mocap has no estimation noise; its arm swing is handled by the detectors themselves
    floor = load_noise_floor(kind) if floor is None else floor
    if not floor:
        return base
    raised = {k: max(getattr(base, k), floor[k] + MARGINS[k]) for k in MARGINS if k in floor}
    extra = {k: floor[k] for k in ("raise_rise_scale", "raise_jitter_ref") if k in floor}
    if "raise_min_s" in floor:
        extra["raise_min_s"] = max(base.raise_min_s, floor["raise_min_s"])
    return replace(base, **raised, **extra)
