"""Shared helpers of the tests/test_lm_*.py files: a real caption corpus, fake codes, tiny LMs.

The corpus is real text: the HumanML3D captions of sample 000000 and sentences made from the
Bandai-Namco dataset-2 content x style labels (tests/data). Motion codes are random integers: the
motion tokenizer is not under test here (the LM only sees a MotionCodec protocol).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import torch

from motionbase.clip import Captions
from motionbase.lm.codec import CodecInfo
from motionbase.lm.config import LMConfig, TinyBackboneConfig
from motionbase.lm.data import MotionRecord
from motionbase.lm.model import MotionLM

DATA = Path(__file__).parent / "data"
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub from tests


@pytest.fixture(scope="module", autouse=False)
def one_thread():
    """Tiny models on a shared 2-core machine run ~6x faster on one thread (no OpenMP contention)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@lru_cache(maxsize=1)
def corpus() -> tuple[str, ...]:
    """HumanML3D captions + "a person does <content> in a <style> way" over the Bandai label files."""
    hml = [line.split("#")[0].strip() for line in (DATA / "humanml3d/texts/000000.txt").read_text().splitlines()]
    cfg = DATA / "bvh/bandai/dataset-2/cfg"
    contents = [c.split("_", 1)[1].replace("-", " ") for c in (cfg / "content_label.txt").read_text().split()]
    styles = [s.split("_", 1)[1] for s in (cfg / "style_label.txt").read_text().split()]
    made = [f"a person does a {c} in a {s} way" for c in contents for s in styles]
    return tuple(t for t in hml + made if t)


def fake_records(n: int, *, K: int = 16, P: int = 1, steps: tuple[int, int] = (3, 12), seed: int = 0,
                 parts: bool = True) -> list[MotionRecord]:
    """``n`` records with random (N, P) codes and real captions (plus part captions when ``parts``)."""
    rng = np.random.default_rng(seed)
    texts = corpus()
    out = []
    for i in range(n):
        N = int(rng.integers(steps[0], steps[1] + 1))
        caps = Captions(whole=[texts[i % len(texts)], texts[(i + 7) % len(texts)]],
                        parts={"upper_body": "the arms swing", "lower_body": "the legs step"} if parts else {})
        out.append(MotionRecord(f"clip{i:03d}", rng.integers(0, K, (N, P)), caps))
    return out


def save_local_gpt2(path: Path, *, positions: int = 128, layers: int = 2) -> tuple[Path, int]:
    """A 'pretrained' GPT-2 saved the Hugging Face way under ``path``: config.json + safetensors + tokenizer
    files (a BPE of 400 entries over the real caption corpus); returns (path, tokenizer size)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from motionbase.lm.text_tokenizer import train_bpe

    tok = train_bpe(corpus(), vocab_size=400)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_positions=positions, n_embd=32, n_layer=layers,
                                       n_head=4, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id))
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path, len(tok)


SMALL = TinyBackboneConfig(hidden=32, layers=2, heads=4, kv_heads=2, intermediate=64, context=128,
                           text_vocab_size=320, dropout=0.0)


def tiny_lm(backbone: str = "tiny-gpt2", *, K: int = 16, P: int = 1, codec_hash: str = "f" * 64,
            sizes: TinyBackboneConfig = SMALL, **config) -> MotionLM:
    """A tiny, randomly initialised motion LM over the real caption corpus."""
    cfg = LMConfig(backbone=backbone, tiny=sizes, **config)
    return MotionLM.build(cfg, CodecInfo(K, P, 5.0, codec_hash), corpus=list(corpus()))


class FakeCodec:
    """A MotionCodec stand-in: codes of each 4-frame window from the sign pattern of its mean features."""

    def __init__(self, K: int = 16, P: int = 2):
        self.vocab_size, self.tokens_per_step, self.codes_per_second = K, P, 5.0
        self.calls = 0

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        B, T, D = features.shape
        n = max(1, T // 4)
        x = features[:, : n * 4].reshape(B, n, 4, D).mean(2)
        chunks = x.reshape(B, n, self.tokens_per_step, -1).sum(-1)
        return (chunks.abs() * 100).long() % self.vocab_size

    def decode(self, codes: torch.Tensor) -> torch.Tensor:  # pragma: no cover - not used by the LM
        return torch.zeros(codes.shape[0], codes.shape[1] * 4, 263)
