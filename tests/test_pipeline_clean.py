"""Cleaning lifted joints (motionbase.pipeline.clean) on real mocap with added noise and dropouts."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.formats.bvh import load_bvh
from motionbase.pipeline import clean
from motionbase.pipeline.clean import CleanConfig
from motionbase.skeleton import SMPL22, bone_lengths

from .conftest import DATA


@pytest.fixture(scope="module")
def walk() -> np.ndarray:
    return load_bvh(DATA / "bvh/bandai/dataset-2/dataset-2_walk-turn-left_exhausted_038.bvh").joints_m


def mpjpe(a, b) -> float:
    return float(np.linalg.norm(a - b, axis=-1).mean())


def accel_error(a, b) -> float:
    """Mean distance between the joints' accelerations (metres per frame^2): jitter, as video pose papers
    measure it."""
    return mpjpe(np.diff(a, 2, axis=0), np.diff(b, 2, axis=0))


def test_good_runs_bridge_short_gaps_and_drop_short_runs():
    good = np.ones(100, dtype=bool)
    good[30:34] = False  # 4 frames (0.2 s at 20 fps): bridged
    good[60:75] = False  # 15 frames (0.75 s): splits
    good[90:] = False
    runs = clean.good_runs(good, 20.0, CleanConfig(max_gap_s=0.5, min_seconds=0.5))
    assert runs == [(0, 60), (75, 90)]
    assert clean.good_runs(good, 20.0, CleanConfig(max_gap_s=0.5, min_seconds=1.0)) == [(0, 60)]
    assert clean.good_runs(np.zeros(10, bool), 20.0) == []


def test_fill_gaps_interpolates_linearly():
    x = np.arange(10.0)[:, None, None] * np.ones((1, 2, 3))
    good = np.ones(10, dtype=bool)
    good[[0, 4, 5, 9]] = False
    y = x.copy()
    y[~good] = 1e6
    filled = clean.fill_gaps(y, good)
    np.testing.assert_allclose(filled[1:9], x[1:9])
    np.testing.assert_allclose(filled[0], x[1])  # held at the ends
    np.testing.assert_allclose(filled[9], x[8])


def test_clean_track_recovers_mocap_from_noise_and_dropouts(walk):
    """Noise as the lifting makes it: 2 cm per joint on the root-relative pose and 5 cm on the whole body's
    position per frame; 5 frames where the pose was lost (garbage, zero confidence) and a flickering foot.
    The cleaned clip has half the error, a tenth of the jitter and rigid bones near the mocap's."""
    rng = np.random.default_rng(0)
    rel = rng.normal(0.0, 0.02, walk.shape)
    rel[:, 0] = 0.0  # the pose is root-relative
    noisy = walk + rel + rng.normal(0.0, 0.05, (len(walk), 1, 3))
    conf = np.full(walk.shape[:2], 0.9)
    noisy[20:25] = rng.normal(0.0, 5.0, (5, 22, 3))
    conf[20:25] = 0.0
    conf[::3, SMPL22.index("left_foot")] = 0.3
    runs, notes = clean.clean_track(noisy, conf, 20.0)
    assert not notes and len(runs) == 1 and (runs[0].start, runs[0].stop) == (0, len(walk))
    out = runs[0].joints
    seen = conf[:, 0] > 0
    assert mpjpe(out[seen], walk[seen]) < 0.5 * mpjpe(noisy[seen], walk[seen])
    assert accel_error(out[:18], walk[:18]) < 0.1 * accel_error(noisy[:18], walk[:18])
    assert mpjpe(out[20:25], walk[20:25]) < 0.10  # bridged (linearly) through the 0.25 s lost
    lengths = bone_lengths(out, SMPL22)
    assert lengths.std(axis=0).max() < 1e-9  # rigid
    mocap = bone_lengths(walk, SMPL22).mean(0)
    assert np.abs(lengths[0] - mocap)[1:].max() < 0.03


def test_enforce_bone_lengths_is_exact_and_moves_little(walk):
    target = bone_lengths(walk, SMPL22).mean(0)
    rng = np.random.default_rng(2)
    noisy = walk + rng.normal(0.0, 0.01, walk.shape)
    out = clean.enforce_bone_lengths(noisy, target)
    np.testing.assert_allclose(bone_lengths(out, SMPL22)[:, 1:], np.broadcast_to(target[1:], (len(walk), 21)),
                               rtol=1e-9)
    assert mpjpe(out, noisy) < 0.015  # a small correction, not a re-posing
    rigid = clean.enforce_bone_lengths(walk, bone_lengths(walk, SMPL22)[0])  # already rigid: unchanged
    np.testing.assert_allclose(rigid, walk, atol=1e-3)


def test_rejections_name_their_reason(walk):
    conf = np.full(walk.shape[:2], 0.9)
    low = conf.copy()
    low[:, SMPL22.index("left_ankle")] = low[:, SMPL22.index("right_ankle")] = 0.1
    low[:, SMPL22.index("left_knee")] = 0.1
    runs, notes = clean.clean_track(walk, low, 20.0)
    assert runs == [] and "knees and ankles" in notes[0]

    garbage = walk + np.random.default_rng(1).normal(0.0, 0.1, walk.shape)  # every joint off by 10 cm a frame
    runs, notes = clean.clean_track(garbage, conf, 20.0)
    assert runs == [] and "bone lengths vary" in notes[0]

    fast = walk.copy()
    fast[:, :, 0] += np.arange(len(walk))[:, None] * 1.0  # 20 m/s sideways
    runs, notes = clean.clean_track(fast, conf, 20.0)
    assert runs == [] and "m/s" in notes[0]


def test_long_gap_splits_a_track(walk):
    joints = np.concatenate([walk, walk])
    conf = np.full(joints.shape[:2], 0.9)
    conf[55:75] = 0.0  # 1 s lost
    runs, _ = clean.clean_track(joints, conf, 20.0, CleanConfig(min_seconds=2.0))
    assert [(r.start, r.stop) for r in runs] == [(0, 55), (75, 126)]
