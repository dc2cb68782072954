"""Contact-aware clean-up (pipeline/refine), the --refine wiring, quality rejection, on real mocap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from motionbase.errors import MotionbaseError
from motionbase.formats.bvh import load_bvh
from motionbase.metrics.physics import plausibility
from motionbase.pipeline.refine import contact_cleanup, refine_motion
from motionbase.pipeline.refine.contact import count_steps, flight_episodes, foot_contacts
from motionbase.prior.ik import two_bone_ik
from motionbase.pipeline.refine.quality import reject_reason
from motionbase.pipeline.refine.visibility import fill_occluded

SAMPLES = Path(__file__).resolve().parents[1] / "src/motionbase/assets/samples"


def _joints(name: str) -> np.ndarray:
    return load_bvh(SAMPLES / f"dataset-2_{name}.bvh", fps=20.0).joints_m.astype(np.float64)


def test_two_bone_ik_reaches_and_keeps_bones():
    rng = np.random.default_rng(0)
    hip = np.zeros((50, 3)) + [0, 0.9, 0]
    knee = hip + [0, -0.4, 0.05]
    ankle = knee + [0, -0.4, -0.05]
    target = hip + rng.uniform(-0.2, 0.2, (50, 3)) + [0, -0.5, 0]  # all within reach (< 0.806 m)
    k, a = two_bone_ik(hip, knee, ankle, target, 0.4031, 0.4031)
    np.testing.assert_allclose(a, target, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(k - hip, axis=1), 0.4031, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(a - k, axis=1), 0.4031, atol=1e-6)
    assert (k[:, 2] > hip[:, 2] - 0.3).all()  # the knee keeps bending forward, as it did
    far = hip + [0, -1.2, 0]  # out of reach: the leg straightens towards it
    _, a = two_bone_ik(hip, knee, ankle, far, 0.4031, 0.4031)
    np.testing.assert_allclose(a[:, 1], 0.9 - (0.8062 - 1e-4), atol=1e-6)


def test_contacts_alternate_on_a_mocap_walk_and_a_run_has_flight():
    walk = _joints("walk_normal_013")
    c = foot_contacts(walk, 20.0)
    assert c.any(axis=1).mean() > 0.95  # a walk always has a foot down
    assert count_steps(c) >= 6 and flight_episodes(c, 2) == []
    run = _joints("run_active_048")
    assert len(flight_episodes(foot_contacts(run, 20.0, support=False), 2)) >= 2


def _video_like(joints: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mocap as a pose model gets it wrong: the floor 5 cm too high, 2 cm jitter, legs gliding with the body."""
    noisy = joints + rng.normal(0, 0.02, joints.shape)
    noisy[..., 1] -= 0.05
    feet = [7, 8, 10, 11]
    root = joints[:, :1, [0, 2]]
    for f in feet:
        noisy[:, f, [0, 2]] = 0.5 * noisy[:, f, [0, 2]] + 0.5 * (root[:, 0] + (joints[:, f, [0, 2]] - root[:, 0]).mean(0))
    return noisy


def test_cleanup_fixes_skating_penetration_and_jitter_of_a_corrupted_walk():
    walk = _joints("walk_normal_013")
    noisy = _video_like(walk, np.random.default_rng(1))
    before = plausibility([noisy], 20.0)
    out = contact_cleanup(noisy, None, 20.0)
    after, mocap = plausibility([out.joints], 20.0), plausibility([walk], 20.0)
    assert before["penetration_m"] > 0.03 and after["penetration_m"] < 0.005
    assert after["skating_ratio"] < min(0.5 * before["skating_ratio"], mocap["skating_ratio"] + 0.15)
    assert after["jitter_m_s3"] < 0.5 * before["jitter_m_s3"]
    both_off = (out.joints[:, [10, 11], 1] >= 0.05).all(axis=1).mean()
    assert both_off <= 0.05
    err_before = np.linalg.norm(noisy - walk, axis=-1).mean()
    assert np.linalg.norm(out.joints - walk, axis=-1).mean() < err_before


def _jumps_from_mocap() -> np.ndarray:
    """Three jumps in place: a standing mocap pose lifted on ballistic arcs of 0.30 m (0.5 s in the air)."""
    stand = _joints("raise-up-left-hand_normal_001")[:1]
    t = np.arange(90) / 20.0
    lift = np.zeros(90)
    for start in (0.5, 1.75, 3.0):
        u = (t - start) / 0.5
        lift = np.where((u > 0) & (u < 1), 4 * 0.30 * u * (1 - u), lift)
    j = np.repeat(stand, 90, axis=0)
    j[..., 1] += lift[:, None]
    return j


def test_a_real_jump_survives_cleanup_and_is_captioned():
    from motionbase.pipeline.caption.kinematics_summary import summarize_motion
    from motionbase.pipeline.caption.noise_floor import calibrated_config

    out = contact_cleanup(_jumps_from_mocap(), None, 20.0).joints
    s = summarize_motion(out, 20.0, config=calibrated_config(kind="video"))
    assert len(s.jumps) == 3 and all(j.size > 0.2 for j in s.jumps)


def test_occluded_joints_are_filled_not_trusted():
    walk = _joints("walk_normal_013")
    vis = np.ones(walk.shape[:2])
    bad = walk.copy()
    bad[40:50, 20] += [0.5, 0.5, 0.0]  # a wrist guessed wrong while hidden
    vis[40:50, 20] = 0.1
    filled, mask = fill_occluded(bad, vis, 20.0)
    assert mask[40:50, 20].all() and not mask[:, :20].any()
    assert np.linalg.norm(filled[40:50, 20] - walk[40:50, 20], axis=-1).max() < 0.15


def test_refine_none_keeps_joints_and_bad_mode_is_refused():
    walk = _joints("walk_normal_013")
    np.testing.assert_array_equal(refine_motion(walk, None, 20.0, "none").joints, walk)
    with pytest.raises(MotionbaseError, match="refine must be one of"):
        refine_motion(walk, None, 20.0, "smooth")
    from motionbase.pipeline.process import PipelineConfig

    with pytest.raises(MotionbaseError, match="refine must be one of"):
        PipelineConfig(refine="bogus")


def test_quality_rejects_hidden_people_and_people_cut_by_the_frame():
    vis = np.full((40, 22), 0.9)
    boxes = np.tile([100.0, 100.0, 200.0, 400.0], (40, 1))
    assert reject_reason(vis, boxes, (640, 480)) == ""
    assert "too few visible joints" in reject_reason(np.full((40, 22), 0.3), boxes, (640, 480))
    cut = boxes.copy()
    cut[:, 3] = 480.0
    assert "cut by the frame" in reject_reason(vis, cut, (640, 480))


def test_missing_prior_is_one_line_or_falls_back_when_asked(monkeypatch):
    from motionbase.pipeline import process
    from motionbase.pipeline.refine import prior_step

    def missing():
        raise prior_step.PriorMissing("--refine prior: the motion prior is not installed; install ...")

    monkeypatch.setattr(prior_step, "load_prior", missing)
    with pytest.raises(prior_step.PriorMissing, match="install"):
        process.resolve_refine(process.PipelineConfig(refine="prior"))
    mode, note = process.resolve_refine(process.PipelineConfig(refine="prior", refine_fallback=True))
    assert mode == "cleanup" and "clean-up instead" in note
    assert process.resolve_refine(process.PipelineConfig(refine="cleanup")) == ("cleanup", "")
