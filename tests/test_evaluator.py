"""Our text–motion evaluators (Guo-style and TMR-style) behind one interface: shapes, order independence,
checkpoints, and one clear error per kind of bad input."""

import json

import numpy as np
import pytest
import torch

from motionbase.errors import CheckpointError, ShapeError
from motionbase.evaluate.evaluator import (
    EvaluatorConfig,
    GuoDims,
    MotionTextEncoder,
    TextMotionEvaluator,
)
from motionbase.evaluate.evaluator_guo import MovementConvEncoder
from motionbase.evaluate.evaluator_text import build_vocabulary
from motionbase.evaluate.evaluator_tmr import TransformerDims

from .conftest import DATA, load_hml

CAPTIONS = ["a man kicks something with his left leg", "a person walks forward", "someone jumps twice"]


def tiny_config(arch: str) -> EvaluatorConfig:
    return EvaluatorConfig(arch=arch, embed_dim=16, word_dim=12, guo=GuoDims(16, 16, 16, 24),
                           transformer=TransformerDims(16, 32, 1, 2, 0.0))


def clips():
    # real HumanML3D clips of 116, 199 and 170 frames (199 > max_frames 196 is cropped)
    return [load_hml(n, "new_joint_vecs") for n in ("000000", "000612", "012314")]


def make(arch: str) -> TextMotionEvaluator:
    torch.manual_seed(0)
    mean, std = np.load(DATA / "humanml3d" / "Mean.npy"), np.load(DATA / "humanml3d" / "Std.npy")
    return TextMotionEvaluator(tiny_config(arch), build_vocabulary(CAPTIONS), mean, std).eval()


@pytest.fixture(params=["guo", "tmr"])
def model(request):
    return make(request.param)


def test_movement_encoder_downsamples_by_four():
    enc = MovementConvEncoder(259, 8, 6)
    assert enc(torch.zeros(2, 40, 259)).shape == (2, 10, 6)


def test_interface_shapes_and_unit_norm(model):
    assert isinstance(model, MotionTextEncoder)
    t, m = model.encode_text(CAPTIONS), model.encode_motion(clips())
    assert t.shape == m.shape == (3, 16)
    np.testing.assert_allclose(np.linalg.norm(t, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-6)


def test_embeddings_do_not_depend_on_batch_company_or_order(model):
    # variable lengths: padding and packing must not leak between clips or captions
    c = clips()
    together = model.encode_motion(c)
    for i in range(3):
        np.testing.assert_allclose(model.encode_motion([c[i]])[0], together[i], atol=1e-5)
    np.testing.assert_allclose(model.encode_motion(c[::-1]), together[::-1], atol=1e-5)
    texts = model.encode_text(CAPTIONS)
    np.testing.assert_allclose(model.encode_text([CAPTIONS[1]])[0], texts[1], atol=1e-5)


def test_crop_to_max_frames_and_unit_length(model):
    x = clips()[1]  # 199 frames -> first 196
    np.testing.assert_allclose(model.encode_motion([x])[0], model.encode_motion([x[:196]])[0], atol=1e-6)
    y = clips()[0][:63]  # 63 -> 60 frames
    np.testing.assert_allclose(model.encode_motion([y])[0], model.encode_motion([y[:60]])[0], atol=1e-6)


def test_save_and_load_round_trip(model, tmp_path):
    model.save_pretrained(tmp_path / "ev")
    assert sorted(p.name for p in (tmp_path / "ev").iterdir()) == ["config.json", "model.safetensors",
                                                                   "vocab.json"]
    loaded = TextMotionEvaluator.from_pretrained(tmp_path / "ev", device="cpu")
    assert loaded.config == model.config
    np.testing.assert_allclose(loaded.encode_motion(clips()), model.encode_motion(clips()), atol=1e-6)
    np.testing.assert_allclose(loaded.encode_text(CAPTIONS), model.encode_text(CAPTIONS), atol=1e-6)


def test_checkpoint_errors(tmp_path):
    model = make("tmr")
    model.save_pretrained(tmp_path)
    (tmp_path / "vocab.json").unlink()
    with pytest.raises(CheckpointError, match="vocab.json: missing"):
        TextMotionEvaluator.from_pretrained(tmp_path)
    model.save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["embed_dim"] = 32
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="do not match config.json"):
        TextMotionEvaluator.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"config\.json: not valid JSON"):
        TextMotionEvaluator.from_pretrained(tmp_path)


def test_feature_mismatch_errors(model):
    x = clips()[0]
    with pytest.raises(CheckpointError, match="motion 0: 251-dim features .* trained on 263-dim"):
        model.encode_motion([x[:, :251]])
    with pytest.raises(CheckpointError, match="263-dim smpl22 features, but the clips have 251-dim"):
        model.check_compatible(251, "kit21")
    model.check_compatible(263, "smpl22")
    mean, std = model.feature_mean.numpy(), model.feature_std.numpy()
    with pytest.raises(CheckpointError, match="normalised already"):
        model.encode_motion([(x - mean) / std])  # normalised twice
    with pytest.raises(CheckpointError, match="RMS"):
        model.encode_motion([x * 1000.0])  # millimetres


def test_bad_clip_and_caption_errors(model):
    x = clips()[0].copy()
    x[30, 5] = np.nan
    with pytest.raises(ShapeError, match="motion 1: NaN/inf at frame 30"):
        model.encode_motion([clips()[0], x])
    with pytest.raises(ShapeError, match="motion 0: 3 frames, expected at least 4"):
        model.encode_motion([clips()[0][:3]])
    with pytest.raises(ShapeError, match="no motion features"):
        model.encode_motion([])
    with pytest.raises(ShapeError, match="caption 1 .* has no words"):
        model.encode_text(["a man walks", "!!"])
