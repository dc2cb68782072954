"""Captions claim only what the motion shows: Froude + sustained flight, the noise floor, claims with
confidences, LMM cross-check (real Bandai-Namco mocap from the package samples)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from motionbase.clip import Captions, Clip, ClipMeta
from motionbase.formats.bvh import load_bvh
from motionbase.pipeline.caption.claims import kinematic_claims
from motionbase.pipeline.caption.crosscheck import contradictions
from motionbase.pipeline.caption.kinematics_summary import SummaryConfig, is_run, summarize_motion
from motionbase.pipeline.caption.noise_floor import calibrated_config, clip_noise, load_noise_floor, motion_kind

SAMPLES = Path(__file__).resolve().parents[1] / "src/motionbase/assets/samples"


def _joints(name: str) -> np.ndarray:
    return load_bvh(SAMPLES / f"dataset-2_{name}.bvh", fps=20.0).joints_m.astype(np.float64)


def test_walk_and_run_from_froude_number():
    walk, run = (summarize_motion(_joints(n), 20.0) for n in ("walk_normal_013", "run_active_048"))
    assert walk.locomotion == "walk" and 0.1 < walk.froude < 0.3  # 1.2 m/s on 0.80 m legs
    assert run.locomotion == "run" and run.froude > 1.0 and run.flight_phases >= 2


def test_single_noisy_flight_frames_do_not_make_a_walker_run():
    j = _joints("walk_normal_013")
    fast = j.copy()
    fast[:, :, [0, 2]] = j[0, 0, [0, 2]] + (j[:, :, [0, 2]] - j[0, 0, [0, 2]]) * 1.3  # 1.55 m/s: Fr 0.3
    noisy = fast.copy()
    noisy[::9, :, 1] += 0.08  # a whole-body pop every 9th frame: both feet "off" for one frame
    s = summarize_motion(noisy, 20.0)
    assert s.locomotion == "walk" and s.flight_phases == 0
    cfg = SummaryConfig()
    assert not is_run(0.3, 1, 10, cfg) and is_run(0.3, 5, 10, cfg) and is_run(0.6, 0, 10, cfg)
    assert not is_run(0.2, 10, 10, cfg)  # too slow to be a run however the feet look


def test_noise_floor_is_measured_and_raises_video_thresholds_only():
    floor = load_noise_floor("video")
    assert {"raise_elevation_moving", "raise_overhead_m", "raise_rise_moving", "raise_rise", "jump_rise_m",
            "kick_height", "raise_min_s"} <= set(floor)
    video, mocap = calibrated_config(kind="video"), calibrated_config(kind="mocap")
    assert video.raise_rise_moving >= floor["raise_rise_moving"] and video.raise_min_s > SummaryConfig().raise_min_s
    assert video.jump_rise_m > SummaryConfig().jump_rise_m
    assert mocap == SummaryConfig()
    assert motion_kind({"visibility": "[1.0]"}) == "video" and motion_kind({}, "bandai-namco-2") == "mocap"


def test_clear_gestures_stay_above_the_video_noise_floor():
    cfg = calibrated_config(kind="video")
    wave = summarize_motion(_joints("wave-right-hand_youthful_016"), 20.0, config=cfg)
    assert [a.side for a in wave.arms] == ["right"] and wave.arms[0].waves
    walk = clip_noise(_joints("walk_normal_013"), 20.0, cfg=cfg)
    assert max(walk["raise_rise_moving"]) < cfg.raise_rise and walk["jump_rise_m"][0] < cfg.jump_rise_m


def test_claims_carry_confidences_scaled_by_visibility():
    s = summarize_motion(_joints("walk_normal_013"), 20.0)
    seen = kinematic_claims(s, SummaryConfig())
    assert seen[0]["claim"] == "walk" and seen[0]["confidence"] > 0.9
    hidden = kinematic_claims(s, SummaryConfig(), np.full(22, 0.3))
    assert hidden[0]["confidence"] < 0.35
    run = kinematic_claims(summarize_motion(_joints("run_active_048"), 20.0), SummaryConfig())
    assert run[0]["claim"] == "run" and run[0]["confidence"] > 0.9
    assert all(0.0 <= c["confidence"] <= 1.0 for c in seen + hidden + run)


def test_lmm_contradictions_are_flagged():
    walk = summarize_motion(_joints("walk_normal_013"), 20.0)
    assert contradictions("A person jogs forward.", walk) == ["caption says run; motion says walk"]
    assert contradictions("A person walks forward at a steady pace.", walk) == []
    wave = summarize_motion(_joints("wave-right-hand_youthful_016"), 20.0)
    flagged = contradictions("Someone waves the left hand.", wave)
    assert len(flagged) == 1 and "left hand" in flagged[0]
    assert contradictions("Someone waves the right hand above the head.", wave) == []
    turn = summarize_motion(load_bvh(Path(__file__).parent / "data/bvh/bandai/dataset-2/"
                                     "dataset-2_walk-turn-left_exhausted_038.bvh", fps=20.0).joints_m, 20.0)
    assert any("turn right" in c for c in contradictions("A person walks and turns right.", turn))


def test_process_labels_store_claims_and_contradictions():
    from motionbase.pipeline.process import claim_labels

    clip = Clip(joints_m=_joints("walk_normal_013").astype(np.float32), fps=20.0,
                captions=Captions(whole=["A person runs fast."]), meta=ClipMeta(id="c", source="video"))
    labels = claim_labels(clip, "lmm")
    assert json.loads(labels["claims"])[0]["claim"] == "walk"
    assert json.loads(labels["lmm_contradictions"]) == ["caption says run; motion says walk"]
    assert "lmm_contradictions" not in claim_labels(clip, "rules")
