"""Contrastive evaluator training from plain arrays: it learns, it is seeded, GloVe rows are used, bad input
fails clearly, and the store adapter picks captioned clips."""

import dataclasses
import json
import math

import numpy as np
import pyarrow as pa
import pytest
import torch

from motionbase.config import ConfigError
from motionbase.errors import FormatError, ShapeError
from motionbase.evaluate.evaluator import EvaluatorConfig, GuoDims, evaluator_preset
from motionbase.evaluate.evaluator_text import build_vocabulary, caption_words
from motionbase.evaluate.evaluator_tmr import TransformerDims
from motionbase.evaluate.evaluator_train import (
    EvaluatorTrainConfig,
    contrastive_loss,
    feature_stats,
    train_evaluator,
)
from motionbase.evaluate.store_data import captioned_clips, label_key
from motionbase.metrics import r_precision

from .conftest import load_hml

ACTIONS = ["walks", "runs", "jumps", "kicks", "waves", "sits", "turns", "crawls"]


def dataset():
    """8 labels x 4 clips: windows of real HumanML3D clips, each label with its own offset in root height."""
    base = [load_hml(n, "new_joint_vecs").astype(np.float32) for n in ("000000", "000612", "012314")]
    rng = np.random.default_rng(0)
    feats, caps, labels = [], [], []
    for k, action in enumerate(ACTIONS):
        for j in range(4):
            x = base[k % 3][j * 5:j * 5 + 48].copy()
            x[:, 3] += 0.15 * k  # root height separates the labels
            feats.append(x + rng.normal(scale=0.01, size=x.shape).astype(np.float32))
            caps.append([f"a person {action}", f"someone {action} around"])
            labels.append(action)
    return feats, caps, labels


def tiny(arch):
    return EvaluatorConfig(arch=arch, embed_dim=16, word_dim=16, max_frames=48, guo=GuoDims(16, 16, 16, 16),
                           transformer=TransformerDims(16, 32, 1, 2, 0.0))


@pytest.mark.parametrize("arch", ["guo", "tmr"])
def test_training_learns_to_retrieve(arch):
    feats, caps, labels = dataset()
    model, losses = train_evaluator(feats, caps, labels, config=tiny(arch),
                                    train=EvaluatorTrainConfig(steps=60, batch_size=8, lr=3e-3), device="cpu")
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:10])
    text = model.encode_text([c[0] for c in caps])
    motion = model.encode_motion(feats)
    # batches of the 8 distinct labels: chance R@1 is 1/8 (untrained: 0.03-0.16); 60 tiny steps reach ~0.45
    r1 = [r_precision(text, motion, np.random.default_rng(s), batch_size=8, labels=labels).r_precision[0]
          for s in range(3)]
    assert np.mean(r1) >= 0.3


def test_training_is_seeded():
    feats, caps, labels = dataset()
    runs = [train_evaluator(feats, caps, labels, config=tiny("tmr"), device="cpu",
                            train=EvaluatorTrainConfig(steps=3, batch_size=8, seed=5))[1] for _ in range(2)]
    assert runs[0] == runs[1]


def test_presets():
    cpu = evaluator_preset("cpu", max_frames=100)
    assert (cpu.arch, cpu.embed_dim, cpu.guo, cpu.max_frames) == ("guo", 128, GuoDims(128, 128, 128, 128), 100)
    assert evaluator_preset("default") == EvaluatorConfig()
    with pytest.raises(ConfigError, match="unknown evaluator preset 'gpu'"):
        evaluator_preset("gpu")


def test_training_stops_at_the_time_limit():
    feats, caps, labels = dataset()
    _, losses = train_evaluator(feats, caps, labels, config=tiny("guo"), device="cpu",
                                train=EvaluatorTrainConfig(steps=1000, batch_size=8, max_seconds=0.0))
    assert len(losses) == 1


def test_glove_rows_initialise_word_vectors(tmp_path):
    feats, caps, labels = dataset()
    glove = tmp_path / "glove.txt"
    glove.write_text("person " + " ".join(["0.5"] * 16) + "\nzebra " + " ".join(["1"] * 16) + "\n")
    model, _ = train_evaluator(feats, caps, labels, config=tiny("guo"), device="cpu",
                               train=EvaluatorTrainConfig(steps=0, glove_path=str(glove)))
    row = model.vocab.ids(["person"])[0]
    np.testing.assert_allclose(model.word_emb.weight[row].detach().numpy(), 0.5)
    assert (model.word_emb.weight[0] == 0).all()  # <pad>
    glove.write_text("person 0.5 0.5\n")
    with pytest.raises(FormatError, match="line 1: 2 numbers for 'person', expected 16"):
        train_evaluator(feats, caps, labels, config=tiny("guo"),
                        train=EvaluatorTrainConfig(steps=0, glove_path=str(glove)))


def test_contrastive_loss_by_hand():
    t = torch.eye(2)
    # logits [[1, 0], [0, 1]] at tau = 1: CE = log(1 + e^-1) in both directions
    none = torch.zeros(2, 2, dtype=torch.bool)
    assert contrastive_loss(t, t, 1.0, none).item() == pytest.approx(math.log(1 + math.exp(-1)), rel=1e-6)
    # the two are paraphrases: no negatives left, loss 0
    assert contrastive_loss(t, t, 1.0, torch.ones(2, 2, dtype=torch.bool)).item() == pytest.approx(0.0, abs=1e-6)


def test_vocabulary_and_stats():
    vocab = build_vocabulary(["A man walks.", "a man runs", "the man"])
    assert vocab.words[:4] == ("<pad>", "<unk>", "man", "a")
    assert vocab.ids(["man", "zebra"]) == [2, 1]
    assert caption_words("He's 2 steps-left!") == ["he's", "steps", "left"]
    mean, std = feature_stats([np.array([[0.0, 1.0], [2.0, 1.0]])])
    np.testing.assert_allclose(mean, [1.0, 1.0])
    np.testing.assert_allclose(std, [1.0, 1e-3])  # the constant dim is floored


def test_training_bad_input():
    feats, caps, labels = dataset()
    with pytest.raises(ShapeError, match="no training clips"):
        train_evaluator([], [])
    with pytest.raises(ShapeError, match="at least 2"):
        train_evaluator(feats[:1], caps[:1])
    with pytest.raises(ShapeError, match="clip 2 has no caption"):
        train_evaluator(feats[:3], [["a"], ["b"], [" "]])
    with pytest.raises(ShapeError, match="3 labels for 32 clips"):
        train_evaluator(feats, caps, labels[:3])
    with pytest.raises(ShapeError, match="training clip 1: features of shape"):
        train_evaluator([feats[0], feats[1][0]], caps[:2])


class FakeStore:
    """The slice of the ClipStore API the adapter uses: split(), manifest(), len(), features(i)."""

    def __init__(self, captions, labels, feats):
        self.table = pa.table({"id": [str(i) for i in range(len(feats))], "captions": captions, "labels": labels})
        self.feats = feats

    def split(self, name):
        return self

    def manifest(self):
        return self.table

    def __len__(self):
        return len(self.feats)

    def features(self, i):
        return self.feats[i]


def test_store_adapter():
    feats = [np.zeros((8, 263), np.float32) + i for i in range(4)]
    clips = captioned_clips(FakeStore([["walk"], [], ["run", "jog"], ["stroll"]],
                                      ['{"content": "walk", "take": "001"}', "{}", '{"content": "run"}', "{}"],
                                      feats))
    assert (len(clips), clips.skipped, clips.captions, clips.ids) == (3, 1, [["walk"], ["run", "jog"], ["stroll"]],
                                                                      ["0", "2", "3"])
    # the take is not part of the label; an unlabelled clip is its own label
    assert clips.labels == ["content=walk", "content=run", "id=3"]
    assert clips.features[1][0, 0] == 2
    assert captioned_clips(FakeStore([["a"], ["b"]], ["{}", "{}"], feats[:2])).labels is None
    with pytest.raises(ShapeError, match="no clips"):
        captioned_clips(FakeStore([], [], []))
    with pytest.raises(ShapeError, match="none of 2 clips has a caption"):
        captioned_clips(FakeStore([[], []], ["{}", "{}"], feats[:2]))


def test_label_key_is_content_times_style():
    bandai = '{"content": "walk", "joint_map": "bandai22", "style": "elderly", "take": "003", "unit": "cm"}'
    assert label_key(bandai) == "content=walk|style=elderly"
    assert label_key(bandai, ("style",)) == "style=elderly"
    assert label_key(None) == label_key("not json") == label_key("[1]") == ""


def test_cli_trains_on_a_clip_store(tmp_path):
    store_mod = pytest.importorskip("motionbase.data.store")
    import typer
    from typer.testing import CliRunner

    from motionbase.cli.evaluator import register
    from motionbase.clip import Captions, Clip, ClipMeta
    from motionbase.evaluate.evaluator import TextMotionEvaluator

    feats, caps, labels = dataset()
    joints = load_hml("000000", "new_joints")
    store = store_mod.ClipStore.create(tmp_path / "store")
    clips = [Clip(joints[:49], captions=Captions(whole=c), meta=ClipMeta(id=f"c{i}", labels={"content": lab}))
             for i, (c, lab) in enumerate(zip(caps, labels))]
    store.append(clips, features=feats)
    store.set_splits({f"c{i}": "train" for i in range(len(clips))})

    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)
    out = tmp_path / "ev"
    (tmp_path / "tiny.json").write_text(json.dumps(dataclasses.asdict(tiny("guo"))))
    result = CliRunner().invoke(app, ["evaluator", "train", "--store", str(tmp_path / "store"), "--out", str(out),
                                      "--steps", "2", "--batch-size", "4", "--config", str(tmp_path / "tiny.json")])
    assert result.exit_code == 0, result.output
    assert "trained for 2 steps on 32 clips" in result.output
    log = json.loads((out / "train_log.json").read_text())
    assert (log["steps"], log["distinct_labels"], log["label_keys"]) == (2, 8, ["content", "style"])
    model = TextMotionEvaluator.from_pretrained(out, device="cpu")
    assert model.encode_motion(feats[:2]).shape == (2, model.embed_dim)
