"""The noise floor of gesture and jump detection, measured on real people who neither gesture nor jump.

A raised hand, a jump or a kick is claimed only when it stands above what noise and ordinary arm swing
produce in clips of people standing still and walking: mocap walks (clean motion, natural arm swing) and
refined video clips of pedestrians (the noise our pose estimates add). For each such clip we measure the
largest *sustained* value of each quantity the detectors threshold:

* ``raise_elevation``: wrist height above the shoulder in arm lengths (-1 hanging, 0 level, +1 up),
  the minimum over any ``raise_min_s`` window, maximised over the clip and both arms;
* ``raise_overhead_m``: how far the higher wrist is above the head joint (metres), sustained the same way
  (a hand above the head counts as raised even when the arm is bent and its elevation is low);
* ``jump_rise_m``: how far the pelvis rises above its standing height while both feet are off the floor;
* ``kick_height``: foot height above the floor in leg lengths, sustained over ``kick_min_s``.

The noise floor is a property of the measurement, so it is kept per kind of motion: ``video`` (the
pipeline's refined pose estimates of walkers: their noise) and ``mocap`` (clean walks: the arm swing
ceiling, recorded for reference). Only video clips get raised thresholds: the larger of the built-in
default and the measured video maximum plus a margin (:func:`calibrated_config`); mocap keeps the built-in
thresholds, whose arm-swing rules were written for clean motion; so do still images (not measured). ``scripts/measure_caption_noise_floor.py`` writes the measurements to
``assets/caption/noise_floor.json`` (package data) (with the clips they came from); nothing in it is typed by hand.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.ndimage import minimum_filter1d

from ...skeleton import SMPL22, Skeleton
from .kinematics_summary import SummaryConfig, _Frame

NOISE_FLOOR_JSON = Path(__file__).resolve().parents[2] / "assets" / "caption" / "noise_floor.json"
MARGINS = {"raise_elevation": 0.1, "raise_overhead_m": 0.03, "jump_rise_m": 0.03, "kick_height": 0.05}


def _sustained_max(x: np.ndarray, n: int) -> float:
    """Largest value held for ``n`` frames: max over t of the min over a window of n frames."""
    if len(x) == 0:
        return float("-inf")
    n = max(1, min(n, len(x)))
    return float(minimum_filter1d(x, n, mode="nearest").max())


def clip_noise(joints: np.ndarray, fps: float, skeleton: Skeleton = SMPL22,
               cfg: SummaryConfig = SummaryConfig()) -> dict[str, float]:
    """The three sustained quantities of one clip (see the module docstring)."""
    f = _Frame(np.asarray(joints, dtype=np.float64), fps, skeleton, cfg)
    ix, j = f.ix, f.j
    elev, over = [], []
    for s in range(2):
        wrist, elbow, shoulder = j[:, ix.wrist[s]], j[:, ix.elbow[s]], j[:, ix.shoulder[s]]
        arm = float(np.median(np.linalg.norm(elbow - shoulder, axis=-1) + np.linalg.norm(wrist - elbow, axis=-1)))
        elev.append(_sustained_max((wrist[:, 1] - shoulder[:, 1]) / max(arm, 1e-6), f.frames(cfg.raise_min_s)))
        over.append(_sustained_max(wrist[:, 1] - j[:, ix.head, 1], f.frames(cfg.raise_min_s)))
    airborne = (~f.contact).all(axis=1)
    rise = np.where(airborne, f.pelvis_h - f.stand_h, -np.inf)
    jump = _sustained_max(rise, f.frames(cfg.jump_min_s))
    kick = max(_sustained_max(f.foot_h[:, s] / f.leg_m, f.frames(cfg.kick_min_s)) for s in range(2))
    return {"raise_elevation": max(elev), "raise_overhead_m": max(over), "jump_rise_m": max(jump, 0.0), "kick_height": kick}


KINDS = ("video", "mocap")


def load_noise_floor(kind: str = "video", path: Path = NOISE_FLOOR_JSON) -> dict[str, float] | None:
    """The measured maxima (``{"raise_elevation": ..., ...}``) for motion of one ``kind`` (``video``: pose
    estimates, ``mocap``: motion capture), or None when no measurement ships."""
    if kind not in KINDS:
        raise ValueError(f"noise floor kind {kind!r}; expected one of {KINDS}")
    if not path.is_file():
        return None
    return {k: float(v) for k, v in json.loads(path.read_text())["max_by_kind"][kind].items()}


def motion_kind(labels: dict[str, str], source: str = "", static: bool = False) -> str:
    """``video`` for moving clips made by the video pipeline (they carry per-joint visibility, or their source
    is ``video``), else ``mocap``. Still images were not measured (no walkers in them): defaults apply."""
    return "video" if not static and ("visibility" in labels or source == "video") else "mocap"


def calibrated_config(base: SummaryConfig = SummaryConfig(), floor: dict[str, float] | None = None, *,
                      kind: str = "video") -> SummaryConfig:
    """``base`` with each noise-floor threshold raised to the measured maximum (of ``kind``) plus its margin.
    Video pose estimates are noisier than mocap, so the same gesture needs a larger margin to be claimed."""
    if kind == "mocap" and floor is None:
        return base  # mocap has no estimation noise; its arm swing is handled by the detectors themselves
    floor = load_noise_floor(kind) if floor is None else floor
    if not floor:
        return base
    return replace(base, **{k: max(getattr(base, k), floor[k] + MARGINS[k]) for k in MARGINS if k in floor})
