"""SMPL-52 (body + hands): the 623-dim feature vector both ways, mirroring, body-part groups with hands,
BVH export with finger joints, the renderer drawing hands, a 2D tokenizer with hand components."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.features.humanml3d import features_to_joints, joints_to_features
from motionbase.features.layout import FeatureLayout
from motionbase.features.mirror import mirror_features, mirror_joints
from motionbase.formats.bvh import read_bvh, write_bvh
from motionbase.skeleton import SMPL22, SMPL52, skeleton_for_joints
from motionbase.skeleton.kinematics import forward_kinematics

from .conftest import load_hml

LAYOUT = FeatureLayout(SMPL52)


def whole_body_motion(T: int = 40, seed: int = 0) -> np.ndarray:
    """A HumanML3D body (fixture 000000) with moving fingers: SMPL-52 FK, body bones from the fixture."""
    body = load_hml("000000", "new_joints")[:T].astype(np.float64)
    rng = np.random.default_rng(seed)
    q = np.cumsum(rng.normal(0.0, 0.05, (T, 52, 4)), 0)
    q[..., 0] += 1.0
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    joints = forward_kinematics(q, body[:, 0], SMPL52)
    joints[:, 22:] += (body[:, 20:22] - joints[:, 20:22]).repeat(15, axis=1)  # hands follow the wrists
    joints[:, :22] = body
    return joints


def test_layout_is_motionx_623():
    assert LAYOUT.dim == 623 and skeleton_for_joints(52) is SMPL52 and skeleton_for_joints(22) is SMPL22
    s = LAYOUT.slices
    assert (s["ric"].stop - s["ric"].start, s["rot"].stop - s["rot"].start, s["vel"].stop - s["vel"].start) == \
        (153, 306, 156)


def test_features_round_trip_exactly():
    joints = whole_body_motion()
    feats = joints_to_features(joints, SMPL52)
    assert feats.shape == (39, 623)
    back = features_to_joints(feats.astype(np.float64), LAYOUT, final_frame=True)
    np.testing.assert_allclose(joints_to_features(back, SMPL52), feats, atol=2e-5)
    # the body columns of the 623 vector are the 263 vector's (root, contacts) where they coincide
    body = joints_to_features(joints[:, :22], SMPL22)
    np.testing.assert_allclose(feats[:, :4], body[:, :4], atol=1e-5)
    np.testing.assert_allclose(feats[:, -4:], body[:, -4:])


def test_mirror_of_features_equals_features_of_mirror():
    joints = whole_body_motion(seed=1)
    a = joints_to_features(mirror_joints(joints, SMPL52), SMPL52, uniform=False)
    b = mirror_features(joints_to_features(joints, SMPL52, uniform=False), LAYOUT)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_body_groups_add_hand_components_and_cover_every_column():
    groups = LAYOUT.group_indices("body")
    assert list(groups)[-2:] == ["left_hand", "right_hand"]
    cols = np.sort(np.concatenate(list(groups.values())))
    np.testing.assert_array_equal(cols, np.arange(623))
    assert len(groups["left_hand"]) == 15 * (3 + 6 + 3)


def test_bvh_export_with_finger_joints_round_trips(tmp_path):
    joints = whole_body_motion(T=10, seed=2)
    write_bvh(tmp_path / "hands.bvh", joints, skeleton=SMPL52)
    bvh = read_bvh(tmp_path / "hands.bvh")
    assert "left_thumb3" in bvh.names and bvh.names[bvh.parents[bvh.index("right_index1")]] == "right_wrist"
    back = bvh.joint_positions()[:, [bvh.index(n) for n in SMPL52.names]] / 100.0
    assert np.abs(back - joints).max() < 1e-4


def test_renderer_draws_finger_bones_thinner():
    from motionbase.viz.render import RenderConfig, _Panel

    joints = whole_body_motion(T=3)
    panel = _Panel(joints, SMPL52, RenderConfig(), 20.0)
    assert len(panel.bones) == 51
    thin = panel.bone_widths < RenderConfig().bone_width
    assert thin.sum() == 30  # every finger bone, nothing else


def test_render_writes_a_whole_body_gif(tmp_path):
    from motionbase.viz.render import render_motion

    out = render_motion(whole_body_motion(T=6), tmp_path / "hands.gif", skeleton=SMPL52)
    assert out.stat().st_size > 1000


def test_2d_tokenizer_takes_hand_parts():
    import torch

    from motionbase.tokenizer import MotionTokenizer, preset

    torch.manual_seed(0)
    cfg = preset("lfq2d", skeleton="smpl52", feature_dim=623, grouping="body", width=16, depth=1, codebook_size=256)
    tok = MotionTokenizer(cfg)
    assert tuple(tok.part_names[-2:]) == ("left_hand", "right_hand") and tok.tokens_per_step == 8
    feats = torch.as_tensor(joints_to_features(whole_body_motion(T=33), SMPL52))
    codes = tok.encode(feats)
    assert codes.shape == (8, 8)
    assert tok.decode(codes, num_frames=32).shape == (32, 623)


def test_tokenizer_training_follows_the_store_layout(tmp_path):
    from motionbase.tokenizer import preset
    from motionbase.tokenizer.run import config_for_store
    from motionbase.data import ClipStore

    ClipStore.create(tmp_path / "s", skeleton="smpl52")
    cfg = config_for_store(preset("lfq2d", grouping="body"), tmp_path / "s")
    assert (cfg.skeleton, cfg.feature_dim, cfg.grouping) == ("smpl52", 623, "body")


def test_whole_body_store_exports_to_bvh_and_humanml3d_folders(tmp_path):
    from typer.testing import CliRunner

    from motionbase.cli import app
    from motionbase.clip import Clip, ClipMeta
    from motionbase.data import ClipStore

    store = ClipStore.create(tmp_path / "s", skeleton="smpl52")
    with store.writer() as w:
        for i in range(2):
            w.add(Clip(joints_m=whole_body_motion(T=20, seed=i).astype(np.float32), skeleton=SMPL52,
                       meta=ClipMeta(id=f"c{i}")))
    run = CliRunner().invoke
    assert run(app, ["export", "bvh", str(tmp_path / "s"), "--out", str(tmp_path / "b")]).exit_code == 0
    assert "right_thumb3" in read_bvh(tmp_path / "b" / "c0.bvh").names
    res = run(app, ["export", "humanml3d", str(tmp_path / "s"), "--out", str(tmp_path / "h")])
    assert res.exit_code == 0, res.output
    assert np.load(tmp_path / "h" / "new_joint_vecs" / "c0.npy").shape[1] == 623
    assert np.load(tmp_path / "h" / "Mean.npy").shape == (623,)


def test_2d_tokenizer_trains_on_623_dim_windows_with_joint_losses(tmp_path):
    import torch

    from motionbase.tokenizer import MotionTokenizer, preset
    from motionbase.tokenizer.train import TokenizerTrainConfig, train_tokenizer

    torch.manual_seed(0)
    torch.set_num_threads(1)
    feats = joints_to_features(whole_body_motion(T=40), SMPL52)
    stats = (feats.mean(0), feats.std(0) + 1e-3)
    cfg = preset("lfq2d", skeleton="smpl52", feature_dim=623, grouping="body", width=16, depth=1, codebook_size=64)
    windows = [torch.from_numpy(np.stack([feats[i:i + 32] for i in (0, 4)]))] * 4
    tok = train_tokenizer(cfg, iter(windows), 4, tmp_path / "t", stats=stats,
                          train=TokenizerTrainConfig(warmup_steps=0, lr=1e-3, progress=False,
                                            checkpoint_every=4, log_every=2))
    assert isinstance(tok, MotionTokenizer) and tok.encode(torch.as_tensor(feats[:32])).shape == (8, 8)
    assert (tmp_path / "t").is_dir() and tok.config.feature_dim == 623
