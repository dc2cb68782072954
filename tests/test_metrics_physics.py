"""Foot skating (GMD's definition), jitter and floor penetration: hand-built motions and real HumanML3D joints."""

import numpy as np
import pytest

from motionbase.errors import ShapeError
from motionbase.metrics import floor_penetration, foot_skating, jitter_m_s3, plausibility

from .conftest import load_hml

FPS = 20.0


def sliding_pose(frames: int, speed_m_s: float, toe_height_m: float) -> np.ndarray:
    """A rigid pose translating along +X; every joint at 1 m except the toes (10, 11)."""
    x = np.zeros((frames, 22, 3))
    x[:, :, 1] = 1.0
    x[:, [10, 11], 1] = toe_height_m
    x[:, :, 0] = np.arange(frames)[:, None] * speed_m_s / FPS
    return x


def test_skating_by_hand():
    # toes 2 cm high, 1 m/s: every step is in contact and above 0.5 m/s, even the zero-padded end windows
    # (3/5 of 1 m/s = 0.6 m/s) -> ratio 1
    r = foot_skating(sliding_pose(21, 1.0, 0.02), FPS)
    assert r["skating_ratio"] == 1.0
    assert r["contact_speed_m_s"] == pytest.approx(1.0)
    # at 0.7 m/s the first and last steps' windows average 3/5 * 0.7 = 0.42 < 0.5: 18 of 20 steps skate
    assert foot_skating(sliding_pose(21, 0.7, 0.02), FPS)["skating_ratio"] == pytest.approx(18 / 20)
    # toes 20 cm above the floor are not in contact: no skating at any speed
    assert foot_skating(sliding_pose(21, 1.0, 0.2), FPS)["skating_ratio"] == 0.0
    # slower than the threshold: no skating
    assert foot_skating(sliding_pose(21, 0.3, 0.02), FPS)["skating_ratio"] == 0.0


def test_skating_on_real_motion():
    joints = load_hml("012314", "new_joints").astype(np.float64)
    clean = foot_skating(joints, FPS)["skating_ratio"]
    slid = joints.copy()
    slid[:, :, 0] += np.arange(len(joints))[:, None] * 0.1  # the whole body drifts at 2 m/s
    assert clean < 0.2
    assert foot_skating(slid, FPS)["skating_ratio"] > 0.9


def test_jitter_by_hand():
    # x(t) = c t^3 along X for every joint: the third finite difference of a cubic is exact, jerk = 6c
    t = np.arange(30) / FPS
    x = np.zeros((30, 22, 3))
    x[:, :, 0] = 0.5 * t[:, None] ** 3
    assert jitter_m_s3(x, FPS) == pytest.approx(3.0)
    x[:, :, 0] = 2.0 * t[:, None]  # constant velocity: no jerk
    assert jitter_m_s3(x, FPS) == pytest.approx(0.0, abs=1e-9)


def test_jitter_detects_noise_on_real_motion():
    joints = load_hml("000000", "new_joints").astype(np.float64)
    noisy = joints + np.random.default_rng(0).normal(scale=0.01, size=joints.shape)
    assert jitter_m_s3(noisy, FPS) > 5 * jitter_m_s3(joints, FPS)


def test_floor_penetration_by_hand():
    x = np.ones((10, 22, 3))
    x[:, 0, 1] = 0.0
    x[[2, 5, 7], 0, 1] = -0.01  # 1 cm below the floor in 3 of 10 frames
    x[4, 0, 1] = -0.004  # within the 5 mm tolerance
    r = floor_penetration(x)
    assert r["penetration_m"] == pytest.approx((3 * 0.01 + 0.004) / 10)
    assert r["penetration_max_m"] == pytest.approx(0.01)
    assert r["penetration_ratio"] == pytest.approx(0.3)
    assert floor_penetration(x, floor_m=-0.02)["penetration_m"] == 0.0


def test_real_motion_is_on_the_floor_and_plausibility_aggregates():
    clips = [load_hml(n, "new_joints") for n in ("000000", "012314")]
    report = plausibility(clips, FPS)
    assert report["penetration_m"] == 0.0  # HumanML3D puts the lowest joint at y = 0
    assert report["jitter_m_s3"] == pytest.approx(np.mean([jitter_m_s3(c, FPS) for c in clips]))
    assert set(report) == {"skating_ratio", "contact_speed_m_s", "jitter_m_s3", "penetration_m",
                           "penetration_max_m", "penetration_ratio"}


def test_physics_bad_input():
    good = load_hml("000000", "new_joints")
    bad = good.copy()
    bad[12, 3, 1] = np.nan
    with pytest.raises(ShapeError, match="motion 1: NaN/inf at row 12"):
        plausibility([good, bad], FPS)
    with pytest.raises(ShapeError, match=r"trailing dimensions \(22, 3\)"):
        jitter_m_s3(good[:, :21], FPS)
    with pytest.raises(ShapeError, match="at least 4"):
        jitter_m_s3(good[:3], FPS)
    with pytest.raises(ShapeError, match="no motions"):
        plausibility([], FPS)
