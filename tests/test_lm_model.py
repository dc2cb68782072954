"""MotionLM: tiny GPT-2 and Llama through one code path, local backbones, checkpoints and their errors."""

import json

import pytest
import torch

from motionbase.errors import CheckpointError, MotionbaseError
from motionbase.lm.codec import CodecInfo, checkpoint_hash
from motionbase.lm.config import LMConfig, paper_lr
from motionbase.lm.model import LM_FILE, MotionLM

from .lm_support import SMALL, corpus, one_thread, save_local_gpt2, tiny_lm  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

INFO = CodecInfo(16, 1, 5.0, "f" * 64)


def _logits(lm, text="a person walks"):
    ids = torch.tensor([lm.tokenizer(text)["input_ids"] + [lm.vocab.start_id, int(lm.vocab.code_ids[0, 3])]])
    lm.backbone.eval()
    with torch.no_grad():
        return lm.backbone(ids).logits


@pytest.mark.parametrize("backbone,model_type", [("tiny-gpt2", "gpt2"), ("tiny-llama", "llama")])
def test_save_load_round_trip(tmp_path, backbone, model_type):
    lm = tiny_lm(backbone)
    assert lm.model_type == model_type and lm.default_lr == paper_lr(model_type)
    path = lm.save_pretrained(tmp_path / "lm")
    assert {"config.json", "model.safetensors", "tokenizer.json", LM_FILE} <= {p.name for p in path.iterdir()}
    again = MotionLM.from_pretrained(path, INFO)
    assert again.config == lm.config
    assert (again.vocab.code_ids == lm.vocab.code_ids).all() and again.vocab.start_id == lm.vocab.start_id
    assert len(again.tokenizer) == len(lm.tokenizer)
    torch.testing.assert_close(_logits(again), _logits(lm))
    # saving over an existing checkpoint replaces it whole
    lm.save_pretrained(path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_paper_learning_rates():
    assert (paper_lr("gpt2"), paper_lr("llama")) == (2e-4, 2e-5)


def test_mismatched_tokenizer_is_refused(tmp_path):
    path = tiny_lm().save_pretrained(tmp_path / "lm")
    with pytest.raises(CheckpointError, match=r"16 codes x 1 part.*512 codes x 1 part"):
        MotionLM.from_pretrained(path, CodecInfo(512, 1, 5.0, "f" * 64))
    with pytest.raises(CheckpointError, match="given tokenizer has 16 codes x 2 part"):
        MotionLM.from_pretrained(path, CodecInfo(16, 2, 5.0, "f" * 64))
    with pytest.raises(CheckpointError, match="hash eeeeeeeeeeee"):
        MotionLM.from_pretrained(path, CodecInfo(16, 1, 5.0, "e" * 64))
    MotionLM.from_pretrained(path, CodecInfo(16, 1, 5.0, "e" * 64), check_hash=False)  # explicit opt-out


def test_missing_or_damaged_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no such LM checkpoint directory"):
        MotionLM.from_pretrained(tmp_path / "nowhere")
    path = tiny_lm().save_pretrained(tmp_path / "lm")
    (path / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        MotionLM.from_pretrained(path)
    path = tiny_lm().save_pretrained(tmp_path / "lm2")
    record = json.loads((path / LM_FILE).read_text())
    record["vocab"]["code_ids"][0][0] = 10_000  # a vocabulary the tokenizer cannot hold
    (path / LM_FILE).write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="uses id 10000"):
        MotionLM.from_pretrained(path)


def test_hash_of_a_tokenizer_checkpoint(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"abc")
    h = checkpoint_hash(tmp_path)
    assert len(h) == 64 and h == checkpoint_hash(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"abd")
    assert checkpoint_hash(tmp_path) != h
    with pytest.raises(CheckpointError, match="no such motion tokenizer"):
        checkpoint_hash(tmp_path / "missing")


@pytest.fixture(scope="module")
def local_gpt2(tmp_path_factory):
    """A 'pretrained' GPT-2 saved the Hugging Face way: config.json + safetensors + tokenizer files."""
    return save_local_gpt2(tmp_path_factory.mktemp("gpt2-local"))


def test_local_backbone_added_vs_reused(local_gpt2):
    path, n_text = local_gpt2
    added = MotionLM.build(LMConfig(backbone=str(path), vocab_mode="added"), INFO)
    rows = added.backbone.get_input_embeddings().num_embeddings
    assert rows == n_text + 16 + 2 == len(added.tokenizer)  # embeddings grew by K + 2
    reused = MotionLM.build(LMConfig(backbone=str(path), vocab_mode="reuse"), INFO, corpus=corpus())
    assert reused.backbone.get_input_embeddings().num_embeddings == n_text == len(reused.tokenizer)
    assert reused.vocab.all_ids.max() < n_text
    with pytest.raises(MotionbaseError, match="needs a corpus"):
        MotionLM.build(LMConfig(backbone=str(path), vocab_mode="reuse"), INFO)
    with pytest.raises(MotionbaseError, match="but 1002 are needed"):
        MotionLM.build(LMConfig(backbone=str(path), vocab_mode="reuse"), CodecInfo(1000, 1, 5.0), corpus=corpus())


def test_unknown_backbones(tmp_path, monkeypatch):
    with pytest.raises(CheckpointError, match="no such backbone directory"):
        MotionLM.build(LMConfig(backbone=str(tmp_path / "gpt2-medium")), INFO)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="not a Hugging Face model directory"):
        MotionLM.build(LMConfig(backbone=str(tmp_path / "empty")), INFO)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MotionbaseError, match="'openai-community/gpt2-medium': not a local directory, and "
                                              "HF_HUB_OFFLINE is set; pass the path"):
        MotionLM.build(LMConfig(backbone="openai-community/gpt2-medium"), INFO)
    with pytest.raises(MotionbaseError, match="caption corpus is empty"):
        MotionLM.build(LMConfig(backbone="tiny-llama", tiny=SMALL), INFO)
    with pytest.raises(MotionbaseError, match="vocab_mode='copied'"):
        MotionLM.build(LMConfig(vocab_mode="copied"), INFO)
