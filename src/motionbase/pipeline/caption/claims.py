"""Every kinematic claim a caption makes, with a confidence, for the manifest.

A claim is what the rules captioner asserts (``walk``, ``run``, ``jump``, ``turn left``, ``raise left
hand``, ``wave right hand``, ``kick left leg``, ``squat``, ``still``) and a confidence in [0, 1]: how far
the measurement is past its decision threshold (a logistic of the margin, in units of ``scale``; for a
hand raise, the rise above the arm's rest less the clip's noise floor, in units of the noise's spread
measured on walkers, times how long it is held; for a wave, the better of that and its swing count), times
how well the joints the claim reads were seen (their mean visibility; 1 for mocap). A claim just over a
threshold, or read from joints the camera barely saw, gets a low confidence, and a user filtering the
store can drop it. Stored as ``labels["claims"]``: a JSON list of ``{"claim", "confidence"}``.
"""

from __future__ import annotations

import json

import numpy as np

from ...skeleton import SMPL22
from .kinematics_summary import MotionSummary, SummaryConfig

_LEGS = [SMPL22.index(f"{s}_{p}") for s in ("left", "right") for p in ("hip", "knee", "ankle", "foot")]
_ARM = {s: [SMPL22.index(f"{s}_{p}") for p in ("shoulder", "elbow", "wrist")] for s in ("left", "right")}


def _sure(margin: float, scale: float) -> float:
    return float(1.0 / (1.0 + np.exp(-margin / scale)))


def _seen(visibility: np.ndarray | None, joints: list[int]) -> float:
    return 1.0 if visibility is None else float(np.clip(np.mean(visibility[joints]), 0.0, 1.0))


def kinematic_claims(s: MotionSummary, cfg: SummaryConfig, visibility: np.ndarray | None = None) -> list[dict]:
    """Claims of a summary, each ``{"claim": str, "confidence": float}``; visibility: (22,) per joint."""
    legs = _seen(visibility, _LEGS)
    out: list[tuple[str, float]] = []
    if s.static:
        out.append(("still", 1.0))
    if s.locomotion in ("walk", "run"):
        # run vs walk: distance of the Froude number from the boundary that decided it (log scale)
        boundary = cfg.run_froude if s.locomotion == "walk" or s.froude >= cfg.run_froude else cfg.jog_froude
        margin = np.log(max(s.froude, 1e-6) / boundary) * (1 if s.locomotion == "run" else -1)
        out.append((s.locomotion, _sure(margin, 0.25) * legs))
    elif s.locomotion == "jump":
        out.append(("jump", _sure(len(s.jumps) - 1.5, 0.5) * legs))
    for j in s.jumps if s.locomotion != "jump" else []:
        out.append(("jump", _sure(j.size - cfg.jump_rise_m, 0.03) * legs))
    for t in s.turns:
        out.append((f"turn {'left' if t.size > 0 else 'right'}", _sure(abs(t.size) - cfg.turn_deg, 15.0)))
    for a in s.arms:
        seen = _seen(visibility, _ARM[a.side])
        what = f"wave {a.side} hand" if a.waves else f"raise {a.side} hand"
        held = _sure(a.span.end_s - a.span.start_s - cfg.raise_min_s, 0.2)
        # margin of the rise over the clip's noise floor, in units of the walkers' rise spread; a wave
        # claimed without a rise event (the hand up all clip long) rests on its swings alone
        rise = _sure(a.rise - a.rise_floor, cfg.raise_rise_scale) if a.rise > a.rise_floor else 0.0
        swings = _sure(a.wave_swings - cfg.wave_min_swings + 0.5, 2.0) if a.waves else 0.0
        out.append((what, max(rise, swings) * held * seen))
    for leg in s.legs:
        out.append((f"{leg.kind} {leg.side} leg", _sure(leg.height_m - cfg.kick_height, 0.1) * legs))
    for _ in s.squats:
        out.append(("squat", legs))
    return [{"claim": c, "confidence": round(float(p), 3)} for c, p in out]


def claims_json(claims: list[dict]) -> str:
    return json.dumps(claims, sort_keys=True)
