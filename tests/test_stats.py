"""Normalisation stats: HumanML3D's cal_mean_variance, the T2M evaluator's variant, stamps and files.

Golden data: HumanML3D's own Mean.npy / Std.npy (tests/data/humanml3d, computed on the full dataset).
"""

import json

import numpy as np
import pytest
import torch

from motionbase.errors import CheckpointError, ShapeError
from motionbase.features.layout import HML3D_LAYOUT
from motionbase.features.stats import FeatureStats, compute_stats, std_groups

from .conftest import DATA, load_hml

NAMES = ["000000", "000612", "012314"]
HML_MEAN = np.load(DATA / "humanml3d" / "Mean.npy")
HML_STD = np.load(DATA / "humanml3d" / "Std.npy")


def hml_stats(**kw) -> FeatureStats:
    return FeatureStats(HML_MEAN, HML_STD, **kw)


def test_groups_are_humanml3ds():
    assert [(g.start, g.stop) for g in std_groups(HML3D_LAYOUT)] == [
        (0, 1), (1, 3), (3, 4), (4, 67), (67, 193), (193, 259), (259, 263)]


def test_reference_std_is_constant_within_each_group_and_only_there():
    values = []
    for g in std_groups(HML3D_LAYOUT):
        assert np.all(HML_STD[g] == HML_STD[g.start]), g
        values.append(float(HML_STD[g.start]))
    # seven distinct scales: root yaw, root XZ and root height are not pooled together
    assert len(set(values)) == 7
    assert values == pytest.approx([0.012826, 0.016927, 0.153766, 0.122244, 0.299692, 0.019470, 0.355933], rel=1e-4)


def test_reference_contact_std_is_not_divided_by_feat_bias():
    # Foot contacts are 0/1, so each column's std is sqrt(p (1 - p)) with p its mean; HumanML3D's Std.npy
    # holds their average (divided by 1.0): 0.352 from Mean.npy vs 0.356 stored (the two files come from
    # slightly different data versions). Divided by feat_bias 5 it would be 0.07.
    p = HML_MEAN[259:263].astype(np.float64)
    assert np.sqrt(p * (1 - p)).mean() == pytest.approx(HML_STD[259], rel=0.02)


def humanml3d_mean_variance(data: np.ndarray, joints_num: int = 22):
    """HumanML3D's cal_mean_variance.py, transcribed (on an already concatenated array)."""
    Mean = data.mean(axis=0)
    Std = data.std(axis=0)
    Std[0:1] = Std[0:1].mean() / 1.0
    Std[1:3] = Std[1:3].mean() / 1.0
    Std[3:4] = Std[3:4].mean() / 1.0
    Std[4: 4 + (joints_num - 1) * 3] = Std[4: 4 + (joints_num - 1) * 3].mean() / 1.0
    Std[4 + (joints_num - 1) * 3: 4 + (joints_num - 1) * 9] = Std[4 + (joints_num - 1) * 3: 4 + (joints_num - 1) * 9].mean() / 1.0
    Std[4 + (joints_num - 1) * 9: 4 + (joints_num - 1) * 9 + joints_num * 3] = \
        Std[4 + (joints_num - 1) * 9: 4 + (joints_num - 1) * 9 + joints_num * 3].mean() / 1.0
    Std[4 + (joints_num - 1) * 9 + joints_num * 3:] = Std[4 + (joints_num - 1) * 9 + joints_num * 3:].mean() / 1.0
    return Mean, Std


def test_compute_stats_matches_humanml3d_script_and_skips_nan_clips():
    arrays = [load_hml(n, "new_joint_vecs") for n in NAMES]
    bad = arrays[1].copy()
    bad[3, 100] = np.nan
    skipped = []
    stats = compute_stats([arrays[0], bad, arrays[2], arrays[1]], data_version="fixture", skipped=skipped)
    assert skipped == [1]
    mean, std = humanml3d_mean_variance(np.concatenate(arrays).astype(np.float64))
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(stats.std, std, rtol=1e-6)
    assert stats.kind == "humanml3d" and stats.dim == 263 and stats.data_version == "fixture"


def test_t2m_evaluator_kind_scales_root_and_contacts_by_feat_bias():
    arrays = [load_hml(n, "new_joint_vecs") for n in NAMES]
    hml = compute_stats(arrays)
    t2m = compute_stats(arrays, kind="t2m_evaluator")
    assert t2m.kind == "t2m_evaluator"
    np.testing.assert_array_equal(t2m.mean, hml.mean)
    ratio = hml.std.astype(np.float64) / t2m.std
    np.testing.assert_allclose(ratio[:4], 5.0, rtol=1e-6)
    np.testing.assert_allclose(ratio[259:], 5.0, rtol=1e-6)
    np.testing.assert_allclose(ratio[4:259], 1.0)
    assert hml_stats().to_kind("t2m_evaluator").std[0] == pytest.approx(HML_STD[0] / 5)
    np.testing.assert_allclose(t2m.to_kind("humanml3d").std, hml.std, rtol=1e-6)


def test_normalize_numpy_and_torch():
    stats = hml_stats()
    feats = load_hml("012314", "new_joint_vecs")
    z = stats.normalize(feats)
    assert z.dtype == np.float32 and z.shape == feats.shape
    # a frame with the left ankle on the ground: contact 1 -> (1 - mean) / std
    row = int(np.argmax(feats[:, 259] == 1.0))
    assert feats[row, 259] == 1.0
    assert z[row, 259] == pytest.approx((1.0 - HML_MEAN[259]) / HML_STD[259])
    np.testing.assert_allclose(stats.denormalize(z), feats, atol=1e-6)
    t = torch.tensor(feats)
    zt = stats.normalize(t)
    assert isinstance(zt, torch.Tensor) and zt.dtype == torch.float32
    np.testing.assert_allclose(zt.numpy(), z, atol=1e-6)
    np.testing.assert_allclose(stats.denormalize(zt.double()).numpy(), feats, atol=1e-6)
    with pytest.raises(ShapeError, match="262 columns"):
        stats.normalize(feats[:, :262])


def test_save_load_round_trip(tmp_path):
    stats = hml_stats(data_version="humanml3d@9176e8f")
    stats.save(tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["stats.json", "stats.safetensors"]
    meta = json.loads((tmp_path / "ckpt" / "stats.json").read_text())
    assert meta["stamp"] == stats.stamp and meta["kind"] == "humanml3d" and meta["dim"] == 263
    back = FeatureStats.load(tmp_path / "ckpt")
    assert back == stats and back.stamp == stats.stamp
    np.testing.assert_array_equal(back.std, HML_STD)
    back.check_compatible(stats)


def test_load_errors(tmp_path):
    with pytest.raises(CheckpointError, match="stats.json: normalisation stats missing"):
        FeatureStats.load(tmp_path)
    d = hml_stats().save(tmp_path / "s")
    meta = json.loads((d / "stats.json").read_text())
    meta["data_version"] = "edited"
    (d / "stats.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="do not match the stamp"):
        FeatureStats.load(d)
    (d / "stats.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="stats.safetensors: cannot read"):
        FeatureStats.load(d)
    (d / "stats.json").write_text("{")
    with pytest.raises(CheckpointError, match="stats.json: not a stats.json"):
        FeatureStats.load(d)


def test_check_compatible_names_what_differs():
    a = hml_stats(data_version="v1")
    with pytest.raises(CheckpointError, match=r"kind 'humanml3d' vs 't2m_evaluator'.*std differs at column 0"):
        a.check_compatible(a.to_kind("t2m_evaluator"))
    with pytest.raises(CheckpointError, match=r"data_version 'v1' vs 'v2'") as err:
        a.check_compatible(hml_stats(data_version="v2"))
    assert "mean" not in str(err.value)
    mean = HML_MEAN.copy()
    mean[42] += 1e-3
    with pytest.raises(CheckpointError, match=r"mean differs at column 42"):
        a.check_compatible(FeatureStats(mean, HML_STD, data_version="v1"))
    assert FeatureStats(mean, HML_STD, data_version="v1").stamp != a.stamp
    with pytest.raises(CheckpointError, match=r"evaluator needs 't2m_evaluator'"):
        a.require_kind("t2m_evaluator", user="evaluator")
    a.to_kind("t2m_evaluator").require_kind("t2m_evaluator")


def test_invalid_stats():
    with pytest.raises(ShapeError, match=r"mean has shape \(262,\)"):
        FeatureStats(HML_MEAN[:262], HML_STD)
    std = HML_STD.copy()
    std[7] = 0
    with pytest.raises(ShapeError, match="not positive at column 7"):
        FeatureStats(HML_MEAN, std)
    with pytest.raises(ShapeError, match="unknown stats kind"):
        FeatureStats(HML_MEAN, HML_STD, kind="zscore")
    const = np.zeros((10, 263), np.float32)
    with pytest.raises(ShapeError, match="constant in columns 0:1"):
        compute_stats([const])
    with pytest.raises(ShapeError, match=r"feature array 0 has shape \(10, 262\)"):
        compute_stats([const[:, :262]])
