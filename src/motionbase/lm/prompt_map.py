"""Read what people type as a caption the motion LM knows, with a pretrained sentence encoder.

A small LM trained from scratch on a few hundred caption phrasings knows only their words; "someone strolls
forward and then turns to the right" shares few of them. :class:`PromptMapper` embeds the prompt with a
pretrained sentence encoder (:mod:`motionbase.lm.sentence_encoder`, all-MiniLM-L6-v2) and hands the LM the
nearest of its *anchor* captions (for the default model: every phrasing of every Bandai-Namco label) when the
cosine similarity reaches :attr:`PromptMapConfig.min_similarity`; otherwise the prompt goes through as typed.

Sentence embeddings barely separate "left" from "right", so the side words decide first: only anchors with
the prompt's side words (``left`` / ``right`` / ``both``; "hands" or "arms" without a side counts as
``both``) compete, when any anchor has them. The anchors' embeddings are computed once and saved beside the
LM (``prompt_map.safetensors``), so loading costs a file read, not hundreds of encoder passes.

The mapping works with any motion LM of the any-HF-causal-LM design: it changes the text, not the model.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..errors import CheckpointError
from ..io import atomic_output

MAP_FILE = "prompt_map.safetensors"
SIDES = ("left", "right", "both")
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class PromptMapConfig(Config):
    min_similarity: float = 0.55  # cosine below which the prompt is left as typed


@dataclass(frozen=True)
class MappedPrompt:
    """``caption`` is what the LM gets for ``prompt``; ``mapped`` says whether it was replaced."""

    prompt: str
    caption: str
    similarity: float
    mapped: bool


def side_words(text: str) -> frozenset[str]:
    """The sides ``text`` names: a subset of :data:`SIDES` ("hands"/"arms" without a side: ``both``)."""
    words = set(_WORD.findall(text.lower()))
    sides = words & set(SIDES)
    if not sides and words & {"hands", "arms"}:
        sides = {"both"}
    return frozenset(sides)


class PromptMapper:
    """Anchor captions, their unit embeddings (n, d) and the encoder that made them."""

    def __init__(self, anchors: Sequence[str], embeddings: np.ndarray, encoder, config: PromptMapConfig | None = None):
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape[0] != len(anchors) or not len(anchors):
            raise CheckpointError(f"prompt map: {len(anchors)} anchors but embeddings of shape {embeddings.shape}")
        self.anchors, self.embeddings, self.encoder = list(anchors), embeddings, encoder
        self.config = config or PromptMapConfig()
        self._sides = [side_words(a) for a in self.anchors]

    @classmethod
    def build(cls, anchors: Sequence[str], encoder, config: PromptMapConfig | None = None) -> PromptMapper:
        anchors = sorted(set(anchors))
        return cls(anchors, encoder.encode(anchors), encoder, config)

    def save(self, directory: str | os.PathLike) -> Path:
        import torch
        from safetensors.torch import save_file

        path = Path(directory) / MAP_FILE
        meta = {"encoder": self.encoder.name, "anchors": json.dumps(self.anchors)}
        with atomic_output(path) as tmp:
            save_file({"embeddings": torch.from_numpy(self.embeddings.astype(np.float16))}, str(tmp), metadata=meta)
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike, encoder, config: PromptMapConfig | None = None) -> PromptMapper | None:
        """The map saved in ``directory`` (None when there is none); refuses one made by another encoder."""
        from safetensors import SafetensorError, safe_open

        path = Path(directory) / MAP_FILE
        if not path.is_file():
            return None
        try:
            with safe_open(str(path), "np") as f:
                meta = f.metadata() or {}
                embeddings = f.get_tensor("embeddings").astype(np.float32)
            anchors = json.loads(meta["anchors"])
        except (OSError, KeyError, ValueError, SafetensorError) as exc:
            raise CheckpointError(f"{path}: unreadable prompt map ({exc})") from None
        if meta.get("encoder") != encoder.name:
            raise CheckpointError(f"{path}: made with the sentence encoder {meta.get('encoder')!r}, "
                                  f"not {encoder.name!r}; rebuild it")
        return cls(anchors, embeddings, encoder, config)

    def map(self, prompts: Sequence[str]) -> list[MappedPrompt]:
        """The caption the LM gets for each prompt (see the module docstring)."""
        out = []
        for prompt, vec in zip(prompts, self.encoder.encode(list(prompts))):
            scores = self.embeddings @ vec
            want = side_words(prompt)
            same = np.asarray([s == want for s in self._sides])
            if same.any():
                scores = np.where(same, scores, -np.inf)
            best = int(np.argmax(scores))
            sim = float(scores[best])
            ok = sim >= self.config.min_similarity
            out.append(MappedPrompt(prompt, self.anchors[best] if ok else prompt, sim, ok))
        return out
