"""Text–motion evaluators: a text encoder and a motion encoder that embed into one space.

One interface (:class:`MotionTextEncoder`) for every evaluator the metrics consume:

* ``encode_text(captions) -> (N, D)`` and ``encode_motion(features) -> (N, D)`` numpy embeddings, where
  ``features`` are raw (unnormalised) feature arrays (T_i, F) — the evaluator normalises with its own stats;
* ``embed_dim``.

Implementations: :class:`TextMotionEvaluator` (ours, trained by :mod:`.evaluator_train`) with two
architectures chosen by :class:`EvaluatorConfig` ``arch`` —

* ``"guo"``: Guo et al.'s design (movement conv encoder + bi-GRU motion encoder, bi-GRU text encoder; the
  modules of :mod:`.evaluator_guo`), without POS tags;
* ``"tmr"``: TMR-style transformers for both sides (:mod:`.evaluator_tmr`), the stronger design —

and :class:`~motionbase.evaluate.t2m_loader.T2MEvaluator`, the established HumanML3D evaluator.

Our evaluators L2-normalise their embeddings (they are trained with a cosine InfoNCE loss), so Euclidean
R-precision ranks exactly as cosine retrieval does; MM-Dist then lies in [0, 2] and FID is on that scale —
not comparable with numbers from Guo's evaluator, whose embeddings are unnormalised.

A checkpoint directory holds ``config.json``, ``vocab.json`` and ``model.safetensors`` (weights and the
feature mean/std) and loads with :meth:`TextMotionEvaluator.from_pretrained` alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from ..config import Config, ConfigError, setting
from ..errors import CheckpointError, ShapeError
from ..io import atomic_output, atomic_write_text
from .evaluator_batch import MAX_RMS_Z, check_features, normalised_batch
from .evaluator_guo import guo_encoders
from .evaluator_text import Vocabulary, caption_words
from .evaluator_tmr import TransformerDims, TransformerSeqEncoder

CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE = "config.json", "vocab.json", "model.safetensors"
ARCHS = ("guo", "tmr")


@runtime_checkable
class MotionTextEncoder(Protocol):
    """What the metrics need from an evaluator."""

    embed_dim: int

    def encode_text(self, captions: Sequence) -> np.ndarray: ...

    def encode_motion(self, features: Sequence[np.ndarray]) -> np.ndarray: ...


@dataclass(frozen=True)
class GuoDims(Config):
    """Sizes of the Guo-style encoders (the established evaluator: 512 / 512 / 512 / 1024)."""

    text_hidden: int = 512
    movement_hidden: int = 512
    movement_latent: int = 512
    motion_hidden: int = 1024


@dataclass(frozen=True)
class EvaluatorConfig(Config):
    """Architecture and input conventions of an evaluator (saved as ``config.json``)."""

    owner: ClassVar[str] = "evaluator"

    arch: str = setting("tmr", choices=ARCHS)  # "guo" | "tmr"
    feature_dim: int = setting(263, min=1)
    feature_layout: str = "smpl22"  # skeleton name of the HumanML3D-style layout the features follow
    embed_dim: int = setting(256, min=1)
    word_dim: int = setting(300, min=1)
    max_words: int = setting(20, min=1)
    max_frames: int = setting(196, min=1)
    unit_length: int = setting(4, min=1)  # lengths are cropped to a multiple (Guo: the movement encoder: / 4)
    guo: GuoDims = GuoDims()
    transformer: TransformerDims = TransformerDims()


# Named configurations. "default": the full-size TMR-style evaluator (a GPU job: ~20 s a step on a shared
# 2-core CPU). "cpu": Guo's design at 128 wide (~1 s a step of 64 clips on one contended core, ~0.3 M weights),
# which trains in about ten minutes on a CPU and is what benchmarks/evaluation.py ships.
EVALUATOR_PRESETS: dict[str, dict] = {
    "default": {},
    "cpu": {"arch": "guo", "embed_dim": 128, "word_dim": 64,
            "guo": {"text_hidden": 128, "movement_hidden": 128, "movement_latent": 128, "motion_hidden": 128}},
}


def evaluator_preset(name: str, *, source: str | None = None, **overrides) -> EvaluatorConfig:
    """The named configuration of :data:`EVALUATOR_PRESETS` with ``overrides`` (EvaluatorConfig fields, nested
    ones as dicts or objects) applied; ``source`` names where the overrides came from in error messages."""
    if name not in EVALUATOR_PRESETS:
        raise ConfigError(f"unknown evaluator preset {name!r}; expected one of {sorted(EVALUATOR_PRESETS)}")
    return EvaluatorConfig.from_dict({**EVALUATOR_PRESETS[name], **overrides},
                                     source=source or f"evaluator preset {name!r}")


class TextMotionEvaluator(nn.Module):
    """Our evaluator: word embeddings + text encoder, motion encoder, and the feature mean/std."""

    def __init__(self, config: EvaluatorConfig, vocab: Vocabulary, mean: np.ndarray, std: np.ndarray):
        super().__init__()
        if len(mean) != config.feature_dim or len(std) != config.feature_dim:
            raise ShapeError(f"mean/std of width {len(mean)}/{len(std)}, expected {config.feature_dim}")
        self.config, self.vocab = config, vocab
        self.word_emb = nn.Embedding(len(vocab), config.word_dim, padding_idx=0)
        if config.arch == "guo":
            self.text_encoder, self.movement_encoder, self.motion_encoder = guo_encoders(
                config.guo, config.word_dim, 0, config.feature_dim, config.embed_dim)
        else:
            t = config.transformer
            self.text_encoder = TransformerSeqEncoder(config.word_dim, t, config.max_words)
            self.motion_encoder = TransformerSeqEncoder(config.feature_dim, t, config.max_frames)
            self.text_out = nn.Linear(t.latent_dim, config.embed_dim)
            self.motion_out = nn.Linear(t.latent_dim, config.embed_dim)
        self.register_buffer("feature_mean", torch.as_tensor(np.asarray(mean, np.float32)))
        self.register_buffer("feature_std", torch.as_tensor(np.asarray(std, np.float32)))

    @property
    def embed_dim(self) -> int:
        return self.config.embed_dim

    @property
    def device(self) -> torch.device:
        return self.feature_mean.device

    # -- tensors in, tensors out (training) --------------------------------------------------------------
    def forward_text(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, L) word ids, (B,) lengths >= 1 -> (B, embed_dim) unit vectors."""
        words = self.word_emb(token_ids)
        if self.config.arch == "guo":
            out = self.text_encoder(words, None, lengths)
        else:
            out = self.text_out(self.text_encoder(words, lengths))
        return nn.functional.normalize(out, dim=-1)

    def forward_motion(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, F) normalised features, (B,) lengths (multiples of unit_length) -> (B, embed_dim) unit vectors."""
        if self.config.arch == "guo":
            movements = self.movement_encoder(feats)
            out = self.motion_encoder(movements, lengths // self.config.unit_length)
        else:
            out = self.motion_out(self.motion_encoder(feats, lengths))
        return nn.functional.normalize(out, dim=-1)

    # -- the MotionTextEncoder interface -----------------------------------------------------------------
    def tokenize(self, captions: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Captions -> ((B, L) word ids, (B,) lengths), at most ``max_words`` words each."""
        ids = []
        for i, c in enumerate(captions):
            words = caption_words(c)[: self.config.max_words]
            if not words:
                raise ShapeError(f"caption {i} ({c!r}) has no words; expected at least one")
            ids.append(self.vocab.ids(words))
        out = torch.zeros(len(ids), max(map(len, ids)), dtype=torch.int64)
        for i, row in enumerate(ids):
            out[i, : len(row)] = torch.tensor(row)
        return out, torch.tensor([len(r) for r in ids])

    def motion_batch(self, features: Sequence[np.ndarray], rng: np.random.Generator | None = None,
                     max_rms_z: float | None = MAX_RMS_Z) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw clips -> normalised, cropped, padded ((B, T, F), (B,) lengths)."""
        c = self.config
        feats = check_features(features, c.feature_dim, c.unit_length)
        return normalised_batch(feats, self.feature_mean.cpu().numpy(), self.feature_std.cpu().numpy(),
                                max_frames=c.max_frames, unit_length=c.unit_length, rng=rng,
                                pad_to_max=c.arch == "guo", max_rms_z=max_rms_z)

    @torch.no_grad()
    def encode_text(self, captions: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Captions -> (N, embed_dim) float64 embeddings."""
        if len(captions) == 0:
            raise ShapeError("no captions to encode; expected at least one")
        self.eval()
        chunks = []
        for s in range(0, len(captions), batch_size):
            ids, lengths = self.tokenize(captions[s:s + batch_size])
            chunks.append(self.forward_text(ids.to(self.device), lengths.to(self.device)).cpu().double().numpy())
        return np.concatenate(chunks)

    @torch.no_grad()
    def encode_motion(self, features: Sequence[np.ndarray], batch_size: int = 256,
                      max_rms_z: float | None = MAX_RMS_Z, rng: np.random.Generator | None = None) -> np.ndarray:
        """Raw feature clips (T_i, feature_dim) -> (N, embed_dim) float64 embeddings.

        Each clip is cropped to at most ``max_frames`` frames (a multiple of ``unit_length``), from frame 0, or
        from a random offset drawn from ``rng`` (the evaluation protocol's random crops).
        """
        if len(features) == 0:
            raise ShapeError("no motion features to encode; expected at least one clip")
        self.eval()
        chunks = []
        for s in range(0, len(features), batch_size):
            x, lengths = self.motion_batch(features[s:s + batch_size], rng=rng, max_rms_z=max_rms_z)
            chunks.append(self.forward_motion(x.to(self.device), lengths.to(self.device)).cpu().double().numpy())
        return np.concatenate(chunks)

    def check_compatible(self, feature_dim: int, feature_layout: str | None = None) -> None:
        """Raise :class:`CheckpointError` unless clips of this width/layout can be evaluated."""
        c = self.config
        if feature_dim != c.feature_dim or (feature_layout is not None and feature_layout != c.feature_layout):
            raise CheckpointError(f"evaluator trained on {c.feature_dim}-dim {c.feature_layout} features, but the "
                                  f"clips have {feature_dim}-dim {feature_layout or '?'} features")

    # -- checkpoints --------------------------------------------------------------------------------------
    def save_pretrained(self, path: str | os.PathLike) -> None:
        """Write config.json, vocab.json and model.safetensors into ``path`` (each file atomically)."""
        from safetensors.torch import save_file

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        self.config.save(out / CONFIG_FILE)
        atomic_write_text(out / VOCAB_FILE, json.dumps(list(self.vocab.words)))
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        with atomic_output(out / WEIGHTS_FILE) as tmp:
            save_file(state, str(tmp))

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, device: str | torch.device | None = None
                        ) -> TextMotionEvaluator:
        """Load a directory written by :meth:`save_pretrained`; errors name the missing or bad file."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        root = Path(path)
        for name in (CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE):
            if not (root / name).is_file():
                raise CheckpointError(f"{root / name}: missing; an evaluator checkpoint needs "
                                      f"{CONFIG_FILE}, {VOCAB_FILE} and {WEIGHTS_FILE}")
        config = EvaluatorConfig.load(root / CONFIG_FILE)
        try:
            vocab = Vocabulary(tuple(json.loads((root / VOCAB_FILE).read_text())))
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"{root / VOCAB_FILE}: unreadable evaluator vocabulary ({exc})") from None
        try:
            state = load_file(str(root / WEIGHTS_FILE))
        except (SafetensorError, OSError) as exc:
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(f"{root / WEIGHTS_FILE}: not a readable safetensors file (corrupt, truncated or "
                                  f"not safetensors: {why})") from None
        if "feature_mean" not in state or "feature_std" not in state:
            raise CheckpointError(f"{root / WEIGHTS_FILE}: no feature_mean/feature_std; not an evaluator checkpoint")
        model = cls(config, vocab, state["feature_mean"].numpy(), state["feature_std"].numpy())
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
            raise CheckpointError(f"{root / WEIGHTS_FILE}: weights do not match {CONFIG_FILE} ({first})") from None
        return model.to(device or default_device()).eval()


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")

