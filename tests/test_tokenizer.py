"""MotionTokenizer: shapes and rates for every method, encode/decode consistency, checkpoints, bad input,
padding of short clips. Tiny configs on a real HumanML3D clip."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from motionbase.errors import CheckpointError, ShapeError
from motionbase.tokenizer import MotionTokenizer, TokenizerConfig, preset

DATA = Path(__file__).parent / "data" / "humanml3d"
FEATS = np.load(DATA / "new_joint_vecs" / "000000.npy").astype(np.float32)  # (116, 263)
STATS = (np.load(DATA / "Mean.npy"), np.load(DATA / "Std.npy"))
TINY = {"width": 16, "depth": 1, "codebook_size": 64, "code_dim": 8, "num_quantizers": 3, "kmeans_init": False}


def tiny(name: str, **kw) -> MotionTokenizer:
    torch.manual_seed(0)
    return MotionTokenizer(preset(name, **{**TINY, **kw}), stats=STATS)


@pytest.mark.parametrize("name, S, K", [("vq", 1, 64), ("rvq", 3, 64), ("lfq1d", 1, 64), ("lfq2d", 5, 64),
                                        ("fsq", 1, 240)])
def test_shapes_rates_and_decode_matches_forward(name, S, K):
    tok = tiny(name, codebook_size=256 if name == "fsq" else 64)
    assert tok.tokens_per_step == S and tok.vocab_size == K
    assert tok.codes_per_second == pytest.approx(20 / 4) and tok.tokens_per_second == pytest.approx(5 * S)
    codes = tok.encode(FEATS)
    assert codes.shape == (29, S) and codes.dtype == torch.long
    assert int(codes.min()) >= 0 and int(codes.max()) < K
    batch = tok.encode(np.stack([FEATS[:64], FEATS[50:114]]))
    assert batch.shape == (2, 16, S)
    assert torch.equal(batch[0], tok.encode(FEATS[:64]))
    # the public decode path equals the training forward (eval mode) on the same clip
    tok.eval()
    with torch.no_grad():
        out = tok(torch.from_numpy(FEATS[None]))
    assert torch.equal(out.codes[0], codes)
    rec = tok.decode(codes, num_frames=len(FEATS))
    assert rec.shape == FEATS.shape
    assert torch.allclose(rec, tok.denormalize(out.recon[0]), atol=1e-5)
    assert torch.allclose(tok.reconstruct(FEATS), rec)


def test_body_grouping_has_six_parts_and_2d_fsq_is_possible():
    tok = tiny("lfq2d", grouping="body")
    assert tok.part_names == ("root", "torso_head", "left_arm", "right_arm", "left_leg", "right_leg")
    assert tok.encode(FEATS[:16]).shape == (4, 6) and tok.tokens_per_second == 30
    fsq2d = MotionTokenizer(TokenizerConfig(method="fsq", encoder="2d", fsq_levels=(5, 5), **{
        k: v for k, v in TINY.items() if k not in ("codebook_size",)}))
    assert fsq2d.vocab_size == 25 and fsq2d.encode(FEATS[:8]).shape == (2, 5)
    assert fsq2d.config.name == "2D-FSQ"


def test_arbitrary_codes_decode_and_bad_codes_raise():
    tok = tiny("lfq2d")
    codes = torch.randint(0, 64, (7, 5))
    out = tok.decode(codes)
    assert out.shape == (28, 263) and torch.isfinite(out).all()
    assert torch.equal(tok.decode(codes.numpy()), out)
    bad = codes.clone()
    bad[3, 2] = 64
    with pytest.raises(ShapeError, match=r"out of range \[0, 64\)"):
        tok.decode(bad)
    with pytest.raises(ShapeError, match="expected"):
        tok.decode(codes[:, :4])
    with pytest.raises(ShapeError, match="expected"):
        tok.decode(codes[:0])
    with pytest.raises(ShapeError, match="dtype"):
        tok.decode(codes.float())
    rvq = tiny("rvq")
    coarse = rvq.decode(rvq.encode(FEATS)[:, :1])  # RVQ: first layer only
    assert coarse.shape == (116, 263)


def test_save_load_round_trip(tmp_path):
    tok = tiny("vq", kmeans_init=True)
    tok.train()
    tok(torch.from_numpy(FEATS[None]))  # k-means init + EMA: the codebook is state too
    tok.eval()
    tok.save_pretrained(tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["config.json", "model.safetensors"]
    back = MotionTokenizer.from_pretrained(tmp_path / "ckpt")
    assert back.config == tok.config and back.source == str(tmp_path / "ckpt")
    for (k, a), (k2, b) in zip(tok.state_dict().items(), back.state_dict().items()):
        assert k == k2 and torch.equal(a, b), k
    assert np.allclose(back.feature_mean.numpy(), STATS[0]) and np.allclose(back.feature_std.numpy(), STATS[1])
    codes = tok.encode(FEATS)
    assert torch.equal(back.encode(FEATS), codes)
    assert torch.equal(back.decode(codes), tok.decode(codes))


def test_checkpoint_errors(tmp_path):
    tok = tiny("lfq1d")
    tok.save_pretrained(tmp_path / "a")
    with pytest.raises(CheckpointError, match="not a directory"):
        MotionTokenizer.from_pretrained(tmp_path / "nothing")
    (tmp_path / "a" / "model.safetensors").rename(tmp_path / "w")
    with pytest.raises(CheckpointError, match=r"model\.safetensors: missing"):
        MotionTokenizer.from_pretrained(tmp_path / "a")
    (tmp_path / "w").rename(tmp_path / "a" / "model.safetensors")
    cfg = json.loads((tmp_path / "a" / "config.json").read_text())
    (tmp_path / "a" / "config.json").write_text(json.dumps({**cfg, "width": 32}))
    with pytest.raises(CheckpointError, match="does not match"):
        MotionTokenizer.from_pretrained(tmp_path / "a")
    (tmp_path / "a" / "config.json").write_text(json.dumps({**cfg, "colour": "red"}))
    with pytest.raises(CheckpointError, match=r"config\.json: unknown tokenizer config key\(s\) \['colour'\]"):
        MotionTokenizer.from_pretrained(tmp_path / "a")
    (tmp_path / "a" / "config.json").write_text(json.dumps({**cfg, "alpha": 3}))
    with pytest.raises(CheckpointError, match="alpha must be a power of two"):
        MotionTokenizer.from_pretrained(tmp_path / "a")
    (tmp_path / "a" / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"config\.json: missing"):
        MotionTokenizer.from_pretrained(tmp_path / "a")


def test_bad_features():
    tok = tiny("lfq2d")
    bad = FEATS.copy()
    bad[7, 100] = np.nan
    with pytest.raises(ShapeError, match="NaN/inf at clip 0, frame 7"):
        tok.encode(bad)
    bad[7, 100] = np.inf
    with pytest.raises(ShapeError, match="frame 7"):
        tok.encode(np.stack([FEATS, bad]))
    with pytest.raises(CheckpointError, match="width 259, but tokenizer .* expects 263"):
        tok.encode(FEATS[:, :259])
    with pytest.raises(ShapeError, match="0 frames"):
        tok.encode(FEATS[:0])
    with pytest.raises(ShapeError, match="expected float"):
        tok.encode(FEATS[0])


@pytest.mark.parametrize("T", [1, 3, 5, 6])
def test_short_clips_are_padded_with_the_last_frame_and_cropped_back(T):
    tok = tiny("lfq2d")
    clip = FEATS[:T]
    steps = -(-T // 4)
    codes = tok.encode(clip)
    assert codes.shape == (steps, 5)
    padded = np.concatenate([clip, np.repeat(clip[-1:], 4 * steps - T, 0)])
    assert torch.equal(codes, tok.encode(padded))
    rec = tok.reconstruct(clip)
    assert rec.shape == (T, 263)
    assert torch.equal(rec, tok.decode(codes)[:T])


def test_feature_stats_object_is_saved_loaded_and_checked(tmp_path):
    from motionbase.features.stats import FeatureStats

    stats = FeatureStats(*STATS, kind="humanml3d")
    tok = MotionTokenizer(preset("lfq1d", **TINY), stats=stats)
    tok.save_pretrained(tmp_path)
    assert {"stats.json", "stats.safetensors"} <= {p.name for p in tmp_path.iterdir()}
    back = MotionTokenizer.from_pretrained(tmp_path)
    assert back.stats == stats and np.array_equal(back.feature_std.numpy(), stats.std)
    other = FeatureStats(STATS[0], STATS[1] * 2, kind="humanml3d")
    other.save(tmp_path)
    with pytest.raises(CheckpointError, match="stats differ"):
        MotionTokenizer.from_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match="needs 'humanml3d'"):
        MotionTokenizer(preset("lfq1d", **TINY), stats=stats.to_kind("t2m_evaluator"))


def test_is_the_codec_the_lm_expects():
    from motionbase.lm.codec import CodecInfo, MotionCodec

    tok = tiny("lfq2d")
    assert isinstance(tok, MotionCodec)
    info = CodecInfo.of(tok)
    assert (info.codebook_size, info.tokens_per_step, info.codes_per_second) == (64, 5, 5.0)
