"""Hand raises and waves as events above the arm's own rest, with a noise floor measured on walkers
(real Bandai-Namco takes: tests/data and the package samples; see tests/data/SOURCES.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from motionbase.features.mirror import mirror_joints
from motionbase.formats.bvh import load_bvh
from motionbase.pipeline.caption.claims import kinematic_claims
from motionbase.pipeline.caption.kinematics_summary import (SummaryConfig, _Frame, arm_trace, rise_floor,
                                                            summarize_motion)
from motionbase.pipeline.caption.noise_floor import (ARM_QUANTILE, MARGINS, NOISE_FLOOR_JSON, calibrated_config,
                                                     clip_noise, floor_of, load_noise_floor, summarize_noise)
from motionbase.skeleton import SMPL22

from .conftest import DATA

SAMPLES = Path(__file__).resolve().parents[1] / "src/motionbase/assets/samples"
GESTURES = DATA / "bvh" / "bandai" / "gestures"
VIDEO = calibrated_config(kind="video")


def _joints(path: Path) -> np.ndarray:
    return load_bvh(path, fps=20.0).joints_m.astype(np.float64)


@pytest.fixture(scope="module")
def takes() -> dict[str, np.ndarray]:
    return {"raise_left": _joints(DATA / "bvh/bandai/handedness/dataset-2_raise-up-left-hand_normal_001.bvh"),
            "raise_right_shoulder": _joints(GESTURES / "dataset-2_raise-up-right-hand_feminine_012.bvh"),
            "wave_left_elderly": _joints(GESTURES / "dataset-2_wave-left-hand_elderly_009.bvh"),
            "walk": _joints(SAMPLES / "dataset-2_walk_normal_013.bvh"),
            "walk_turn": _joints(DATA / "bvh/bandai/dataset-2/dataset-2_walk-turn-left_exhausted_038.bvh")}


def _sides(joints: np.ndarray, cfg: SummaryConfig = VIDEO, visibility: np.ndarray | None = None) -> list[tuple]:
    return [(a.side, a.waves) for a in summarize_motion(joints, 20.0, config=cfg, visibility=visibility).arms]


def test_gestures_near_shoulder_height_are_claimed_on_video_thresholds(takes):
    """The old video floor (the max of one pedestrian) hid these: a raise to the face, an elderly wave."""
    assert _sides(takes["raise_left"]) == [("left", False)]
    assert _sides(takes["raise_right_shoulder"]) == [("right", False)]
    assert _sides(takes["wave_left_elderly"]) == [("left", True)]
    (arm,) = summarize_motion(takes["raise_right_shoulder"], 20.0, config=VIDEO).arms
    assert arm.rise > arm.rise_floor and arm.span.end_s - arm.span.start_s >= VIDEO.raise_min_s
    assert arm.span.size < 0.05  # the wrist stays about level with the shoulder: an absolute floor misses it


def test_walkers_claim_no_raise(takes):
    for name in ("walk", "walk_turn"):
        assert _sides(takes[name]) == [] and _sides(takes[name], SummaryConfig()) == []


def _hold_arm_up(joints: np.ndarray, side: str, frames: slice) -> np.ndarray:
    """The arm of ``side`` held straight up from the shoulder (bone lengths kept) during ``frames``."""
    out = joints.copy()
    s, e, w = (SMPL22.index(f"{side}_{p}") for p in ("shoulder", "elbow", "wrist"))
    upper = np.linalg.norm(joints[:, e] - joints[:, s], axis=-1, keepdims=True)
    fore = np.linalg.norm(joints[:, w] - joints[:, e], axis=-1, keepdims=True)
    up = np.array([0.0, 1.0, 0.0])
    out[frames, e] = joints[frames, s] + upper[frames] * up
    out[frames, w] = out[frames, e] + fore[frames] * up
    return out


def test_a_hand_held_up_all_clip_long_is_posture_not_a_raise(takes):
    """A walker carrying something high the whole clip has no rise event; one who lifts it mid-walk does."""
    walk = takes["walk"]
    carried = _hold_arm_up(walk, "right", slice(None))
    assert _sides(carried) == [] and _sides(carried, SummaryConfig()) == []
    t = len(walk)
    lifted = _hold_arm_up(walk, "right", slice(t // 2, t))
    assert _sides(lifted) == [("right", False)]


def test_unseen_wrists_are_no_evidence(takes):
    raise_left = takes["raise_left"]
    seen = np.ones(raise_left.shape[:2])
    assert _sides(raise_left, visibility=seen) == [("left", False)]
    hidden = seen.copy()
    hidden[:, SMPL22.index("left_wrist")] = 0.1  # the pose model never saw the wrist: it was filled ...
    assert _sides(raise_left, visibility=hidden) == [("left", False)]  # ... but the seen elbow shows the raise
    hidden[:, SMPL22.index("left_elbow")] = 0.1  # neither seen: no evidence (tests/test_caption_elbow_evidence.py)
    assert _sides(raise_left, visibility=hidden) == []
    with pytest.raises(Exception, match="visibility has shape"):
        summarize_motion(raise_left, 20.0, visibility=seen[:-1])


def test_which_hand_is_the_persons_side_whatever_the_facing(takes):
    """Facing the camera or away (a rotation about the vertical) keeps the side; a mirrored person
    (left and right joints swapped) uses the other hand."""
    for name, side in (("raise_right_shoulder", "right"), ("wave_left_elderly", "left")):
        j = takes[name]
        for deg in (90.0, 180.0, 270.0):
            a = np.radians(deg)
            rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
            assert [s for s, _ in _sides(j @ rot.T)] == [side]
        other = "left" if side == "right" else "right"
        assert [s for s, _ in _sides(mirror_joints(j))] == [other]


def test_raise_confidence_grows_with_the_margin_over_the_floor(takes):
    j = takes["raise_right_shoulder"]
    lo = kinematic_claims(summarize_motion(j, 20.0, config=VIDEO), VIDEO)
    hi = kinematic_claims(summarize_motion(j, 20.0, config=replace(VIDEO, raise_rise=VIDEO.raise_rise - 0.2)),
                          replace(VIDEO, raise_rise=VIDEO.raise_rise - 0.2))
    conf = {c["claim"]: c["confidence"] for c in lo}
    assert 0.5 < conf["raise right hand"] < {c["claim"]: c["confidence"] for c in hi}["raise right hand"]
    clear = kinematic_claims(summarize_motion(takes["raise_left"], 20.0, config=VIDEO), VIDEO)
    assert {c["claim"]: c["confidence"] for c in clear}["raise left hand"] > conf["raise right hand"]


# ---------------------------------------------------------------- the noise floor computation


def test_noise_floor_is_a_robust_quantile_not_the_outlier():
    """One walker holding a wrist high must not set the floor: 19 quiet clips and one outlier."""
    quiet = [{"raise_elevation_moving": [-0.6 + 0.01 * i, -0.7], "raise_overhead_m": [-0.3, -0.3],
              "raise_rise_moving": [0.2 + 0.01 * i, 0.25], "raise_jitter": [0.003, 0.003],
              "jump_rise_m": [0.0], "kick_height": [0.2]} for i in range(19)]
    outlier = {**quiet[0], "raise_elevation_moving": [0.45, -0.7], "raise_rise_moving": [1.3, 0.2]}
    summary = summarize_noise(quiet + [outlier])
    floor = floor_of(summary)
    assert floor["raise_rise_moving"] == pytest.approx(np.percentile([v for c in quiet + [outlier]
                                                                     for v in c["raise_rise_moving"]], ARM_QUANTILE))
    assert floor["raise_rise_moving"] < 0.5 and summary["raise_rise_moving"]["max"] == 1.3
    swing = summarize_noise(quiet)
    assert floor_of(summary, swing)["raise_rise"] == pytest.approx(
        floor["raise_rise_moving"] - swing["raise_rise_moving"][f"p{ARM_QUANTILE:g}"])


def test_shipped_noise_floor_is_what_the_code_computes_from_its_sources():
    data = json.loads(NOISE_FLOOR_JSON.read_text())
    video_src = next(v for k, v in data["sources"].items() if k.startswith("video walkers"))
    swing_src = next(v for k, v in data["sources"].items() if k.startswith("mocap walks, video window"))
    assert data["floor_by_kind"]["video"] == pytest.approx(floor_of(video_src, swing_src))
    floor, cfg = load_noise_floor("video"), VIDEO
    assert cfg.raise_min_s == floor["raise_min_s"] == data["raise_min_s"]["video"]
    for key in ("raise_rise_moving", "raise_rise", "raise_elevation_moving"):
        assert getattr(cfg, key) == pytest.approx(max(getattr(SummaryConfig(), key), floor[key] + MARGINS[key]))
    # the floor is below the loudest walker: the quantile, not the max
    assert floor["raise_rise_moving"] < video_src["raise_rise_moving"]["max"]


def test_clip_noise_of_a_real_walk_and_the_jitter_term(takes):
    walk = takes["walk"]
    noise = clip_noise(walk, 20.0, cfg=VIDEO)
    assert len(noise["raise_rise_moving"]) == 2 and len(noise["jump_rise_m"]) == 1
    assert max(noise["raise_elevation_moving"]) < -0.2  # a mocap walker's wrists stay well below the shoulders
    assert 0.02 < max(noise["raise_rise_moving"]) < VIDEO.raise_rise  # arm swing held 0.5 s: under both floors
    rng = np.random.default_rng(0)
    shaky = walk + rng.normal(0.0, 0.01, walk.shape)  # 1 cm white noise on every joint
    f_clean, f_shaky = (_Frame(j, 20.0, SMPL22, VIDEO) for j in (walk, shaky))
    clean, noisy = arm_trace(f_clean, 1), arm_trace(f_shaky, 1)
    assert noisy.jitter > clean.jitter
    assert float(rise_floor(noisy, VIDEO)) > float(rise_floor(clean, VIDEO)) >= VIDEO.raise_rise
