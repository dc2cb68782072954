"""Issue 16, point 3: augmentation, the trajectory loss, windowed MPJPE and the unseen-action split."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from motionbase.errors import StoreError
from motionbase.features.humanml3d import features_to_joints, recover_root
from motionbase.features.layout import FeatureLayout
from motionbase.features.mirror import mirror_features
from motionbase.tokenizer import MotionTokenizer
from motionbase.tokenizer.augment import AugmentConfig, augment_window, retime
from motionbase.tokenizer.config import TokenizerConfig, TokenizerLossConfig
from motionbase.tokenizer.evaluate import window_bounds, windowed_mpjpe_mm
from motionbase.tokenizer.holdout import contents, holdout_split
from motionbase.tokenizer.losses import TokenizerLoss, trajectory_error
from motionbase.tokenizer.run import TokenizerRunConfig
from motionbase.tokenizer.windows import StoreWindows

from .tokenizer_support import tiny_store

LAYOUT = FeatureLayout()
ROOT = Path(__file__).resolve().parents[1]


def walking(rows: int, vx: float = 0.0, vz: float = 0.05, height: float = 0.9) -> np.ndarray:
    """Features of a rigid body gliding at a constant root velocity (m/frame, root frame), facing +Z."""
    f = np.zeros((rows, LAYOUT.dim), np.float32)
    f[:, 1], f[:, 2], f[:, 3] = vx, vz, height
    f[:, LAYOUT.slices["ric"]] = np.tile(np.linspace(-0.5, 0.5, 63, dtype=np.float32), (rows, 1))
    return f


# --- trajectory loss --------------------------------------------------------------------------------------------

def test_trajectory_error_value_and_gradient():
    # a root x-velocity error of d m/frame puts the root d*t metres off at frame t: mean over T frames d(T-1)/2
    T, d = 9, 0.01
    target = torch.from_numpy(walking(T))[None]
    recon = target.clone()
    recon[..., 1] += d
    recon.requires_grad_(True)
    err = trajectory_error(recon, target, None, LAYOUT)
    assert float(err.detach()) == pytest.approx(d * (T - 1) / 2, rel=1e-4)
    err.backward()
    g = recon.grad[0]
    assert torch.all(g[:-1, 1] > 0)               # pushes the root velocity back down ...
    assert torch.all(g[:-1, 1][:-1] > g[:-1, 1][1:])  # ... early frames more: their error lasts longer
    assert float(g[-1, 1]) == 0.0                 # the last row's velocity moves no recovered frame
    assert float(g[:, LAYOUT.slices["ric"]].abs().sum()) == 0.0
    # masked-out frames do not count
    mask = torch.zeros(1, T, dtype=torch.bool)
    mask[0, :3] = True
    assert float(trajectory_error(recon.detach(), target, mask, LAYOUT)) == pytest.approx(d * 1.0, rel=1e-4)  # (0+1+2)/3


def test_trajectory_term_in_the_tokenizer_loss():
    cfg = TokenizerConfig(method="lfq", encoder="2d", grouping="body", width=8, depth=1, codebook_size=16)
    weights = TokenizerLossConfig(trajectory_loss_weight=2.0)
    tok = MotionTokenizer(cfg)
    loss = TokenizerLoss(cfg, weights)
    out = tok(torch.from_numpy(walking(16))[None])
    total, logs = loss(tok, out)
    assert logs["trajectory"] > 0
    expected = sum(loss.weights()[k] * v for k, v in logs.items() if k != "total")
    assert logs["total"] == pytest.approx(expected, rel=1e-5)
    assert "trajectory" not in TokenizerLoss(cfg, weights.replace(trajectory_loss_weight=0.0))(tok, out)[1]


# --- augmentation -----------------------------------------------------------------------------------------------

def real_features(rows: int = 80) -> np.ndarray:
    from .test_store_fixtures import real_clips

    _, feats = real_clips(1)
    return np.asarray(feats[0][:rows], np.float32)


def test_mirror_twice_is_identity_and_the_window_is_mirrored():
    f = real_features()
    np.testing.assert_allclose(mirror_features(mirror_features(f)), f, atol=0)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    w = augment_window(f, 32, rng_a, AugmentConfig(mirror_prob=1.0))
    rng_b.random()
    start = int(rng_b.integers(0, len(f) - 32 + 1))
    np.testing.assert_allclose(w, mirror_features(f[start:start + 32]))
    assert not np.allclose(w, f[start:start + 32])


def test_retime_speed_one_is_identity_and_speed_two_matches_the_motion_twice_as_fast():
    f = real_features()
    np.testing.assert_array_equal(retime(f, 1.0), f)
    # uniform motion: the re-timed root passes the source's positions of frame 2k at frame k
    walk = walking(41, vx=0.01, vz=0.04)
    fast = retime(walk, 2.0)
    assert len(fast) == 21
    _, root_src = recover_root(walk.astype(np.float64))
    _, root_fast = recover_root(fast.astype(np.float64))
    np.testing.assert_allclose(root_fast, root_src[::2], atol=1e-6)
    # non-velocity columns are read at the source times; contacts from the nearest row
    np.testing.assert_allclose(retime(f, 2.0)[:, 4:67], f[::2, 4:67][:len(retime(f, 2.0))], atol=1e-6)
    half = retime(f, 0.5)
    np.testing.assert_allclose(half[1, 4:67], (f[0, 4:67] + f[1, 4:67]) / 2, atol=1e-6)
    np.testing.assert_allclose(half[1, :3], f[0, :3] / 2, atol=1e-6)  # half of the change from frame 0 to 1
    np.testing.assert_allclose(retime(f, 2.0)[3, :3], f[6, :3] + f[7, :3], atol=1e-6)  # frames 6 -> 8
    assert set(np.unique(half[:, LAYOUT.slices["contact"]])) <= {0.0, 1.0}


def test_retimed_real_walk_keeps_its_trajectory():
    # a real clip at 2x: the joints recovered at frame k are the source's at frame 2k (heading and distance are
    # integrated, not sampled; sampling put a Bandai walk 0.94 m off)
    f = real_features(100).astype(np.float64)
    j = features_to_joints(f, LAYOUT)
    fast = features_to_joints(retime(f, 2.0), LAYOUT)
    err = np.linalg.norm(fast - j[::2][:len(fast)], axis=-1).mean()
    assert np.linalg.norm(j[-1, 0, [0, 2]] - j[0, 0, [0, 2]]) > 0.15   # the clip does travel
    assert err < 0.005, err    # 1.8 mm; sampled velocities x 2: 10 mm


def test_store_windows_unaugmented_unchanged_and_augmented_reproducible(tmp_path):
    store = tiny_store(tmp_path / "store")
    plain = StoreWindows(store, window=24, batch_size=4, seed=1)
    inactive = StoreWindows(store, window=24, batch_size=4, seed=1, augment=AugmentConfig())
    for step in (0, 5):
        a, b = plain.batch(step), inactive.batch(step)
        assert torch.equal(a["features"], b["features"]) and torch.equal(a["mask"], b["mask"])
    aug = AugmentConfig(mirror_prob=0.5, speed_range=(0.67, 1.5))
    x = StoreWindows(store, window=24, batch_size=4, seed=1, augment=aug).batch(2)
    y = StoreWindows(store, window=24, batch_size=4, seed=1, augment=aug).batch(2)
    assert torch.equal(x["features"], y["features"])
    assert not torch.equal(x["features"], plain.batch(2)["features"])
    assert torch.isfinite(x["features"]).all() and x["mask"].any(dim=1).all()


def test_augment_config_in_run_json():
    run = TokenizerRunConfig.from_dict({"data": {"mirror_prob": 0.5, "speed_range": [0.8, 1.25]}})
    assert run.data.augment() == AugmentConfig(0.5, (0.8, 1.25))
    from motionbase.errors import CheckpointError

    with pytest.raises(CheckpointError, match="mirror_prob"):
        TokenizerRunConfig.from_dict({"data": {"mirror_prob": 2.0}})


# --- windowed MPJPE ---------------------------------------------------------------------------------------------

def test_window_bounds():
    assert window_bounds(25, 10) == [(0, 10), (10, 20), (20, 25)]
    assert window_bounds(7, 200) == [(0, 7)]


def test_windowed_global_mpjpe_hand_computed():
    # reconstruction = the clip with its root x-velocity d m/frame too high: every joint drifts d*t from the
    # window's first frame (t = 0..n-1), so a window of n frames has global error d(n-1)/2 and root-aligned 0.
    d = 0.002
    clip = walking(25)

    def drift(parts):
        out = [p.copy() for p in parts]
        for p in out:
            p[:, 1] += d
        return out

    res = windowed_mpjpe_mm([clip], drift, LAYOUT, 10)       # windows of 10, 10, 5 frames
    expected = 1000 * d * (45 + 45 + 10) / 25                # sum of t over each window / all frames
    assert res["windows"] == 3 and res["frames"] == 25
    assert res["mpjpe_mm"]["global"] == pytest.approx(expected, rel=1e-6)
    assert res["mpjpe_mm"]["root_aligned"] == pytest.approx(0.0, abs=1e-6)
    whole = windowed_mpjpe_mm([clip], drift, LAYOUT, 200)
    assert whole["mpjpe_mm"]["global"] == pytest.approx(1000 * d * 12, rel=1e-6)
    j = features_to_joints(clip.astype(np.float64), LAYOUT)
    assert j.shape == (25, 22, 3)


# --- the unseen-action split ------------------------------------------------------------------------------------

def test_holdout_split_holds_out_whole_contents(tmp_path):
    store = tiny_store(tmp_path / "store", clips=24)       # content labels walk, run, kick (clip i: subset s{i % 3})
    split = holdout_split(store, ["run"])
    assert set(contents(split.unseen)) == {"run"}
    assert len(split.unseen) == sum(c == "run" for c in contents(store))
    assert "run" not in contents(split.train) and "run" not in contents(split.in_domain)
    # a content is the clip's `content` label; until it was read from one place it was the `subset` column, which
    # files these clips the same way (run = s1): the views are the ones the subset gave
    subsets = store.manifest().column("subset").to_pylist()
    assert set(split.unseen.ids) == {i for i, s in zip(store.ids, subsets) if s == "s1"}
    assert set(split.train.ids).isdisjoint(split.unseen.ids) and set(split.train.ids).isdisjoint(split.in_domain.ids)
    assert set(split.train.ids) == {i for i in store.split("train").ids if i not in split.unseen.ids}
    assert set(split.in_domain.ids) == {i for i in store.split("test").ids if i not in split.unseen.ids}
    with pytest.raises(StoreError, match="nope"):
        holdout_split(store, ["nope"])


def test_benchmark_knows_the_shipped_recipe():
    def load(name: str, path: Path):
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod

    sys.path.insert(0, str(ROOT / "benchmarks"))  # the script imports its sibling bench_common
    bench = load("_tokenizer_generalisation", ROOT / "benchmarks" / "tokenizer_generalisation.py")
    script = load("_train_default", ROOT / "scripts" / "train_default.py")
    def plain(method: str) -> dict:  # the recipe without the benchmark's seed and progress settings
        run = bench.recipe(method, 0)
        run["train"] = {k: v for k, v in run["train"].items() if k not in ("seed", "progress")}
        return run

    assert plain(bench.DEFAULT_METHOD) == script.DEFAULTS["tokenizer"]
    assert plain(bench.BASELINE) == bench.BASE and bench.recipe("traj-code")["model"]["trajectory_code"] is True
    TokenizerRunConfig.from_dict(bench.recipe("aug+trajectory", 1))
