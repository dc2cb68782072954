"""Contrastive training of our text–motion evaluators from plain arrays (no store, no files).

``train_evaluator(features, captions, labels)`` takes one raw feature array (T_i, F) per clip, the clip's
captions (paraphrases; one is drawn per step) and optionally a label per clip (e.g. content × style). Each
step draws a batch of clips with distinct labels where labels are given, a random caption and a random crop
(at most ``max_frames``, a multiple of ``unit_length``) per clip, and minimises the symmetric InfoNCE loss of
the text–motion cosine similarities at temperature τ (CLIP/TMR). Pairs that share a label or an identical
caption are not used as negatives (TMR's filtering of false negatives). Guo et al. trained their evaluator
with a margin loss on Euclidean distances instead; both architectures here use InfoNCE.

The steps run on the one training loop (:func:`motionbase.training.fit`); given a ``run_dir`` the run keeps
checkpoints there (``checkpoints/step-N``, the batch generator's random state included) and ``log.jsonl``,
and a rerun resumes exactly. Single process (the loss calls the model's text and motion encoders directly).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from ..config import Config, setting
from ..errors import CheckpointError, ShapeError
from ..training import Cycle, LoopSettings, RandomState, fit, latest_checkpoint, make_accelerator, read_trainer_state
from .evaluator import EvaluatorConfig, TextMotionEvaluator, default_device
from .evaluator_batch import check_features
from .evaluator_text import build_vocabulary, read_glove

STD_FLOOR = 1e-3  # per-dim std below this (constant dims) is raised to it


@dataclass(frozen=True)
class EvaluatorTrainConfig(Config):
    """Optimisation settings (not saved with the model)."""

    owner: ClassVar[str] = "evaluator training"

    steps: int = setting(20000, min=0)
    batch_size: int = setting(64, min=1)
    lr: float = 1e-4
    weight_decay: float = 1e-4
    temperature: float = 0.1
    grad_clip: float = 1.0
    seed: int = 0
    min_word_count: int = setting(1, min=1)
    glove_path: str | None = None  # GloVe text file with config.word_dim-dim vectors; None: learn from scratch
    max_seconds: float | None = None  # stop after this much wall time (s), even before ``steps``
    log_every: int = setting(100, min=1)  # log.jsonl lines (with a run directory)
    checkpoint_every: int = setting(1000, min=1)  # checkpoints (with a run directory)


def feature_stats(features: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and std (ddof 0) over all frames; std floored at ``STD_FLOOR``."""
    frames = np.concatenate([np.asarray(f, np.float64) for f in features])
    return frames.mean(0), np.maximum(frames.std(0), STD_FLOOR)


def _check_inputs(features, captions, labels) -> list[list[str]]:
    if len(features) == 0:
        raise ShapeError("no training clips (empty split?); expected at least 2 clips with captions")
    if len(captions) != len(features):
        raise ShapeError(f"{len(captions)} caption lists for {len(features)} clips; expected one per clip")
    if labels is not None and len(labels) != len(features):
        raise ShapeError(f"{len(labels)} labels for {len(features)} clips; expected one per clip")
    caps = []
    for i, c in enumerate(captions):
        c = [c] if isinstance(c, str) else [s for s in c if s and s.strip()]
        if not c:
            raise ShapeError(f"clip {i} has no caption; expected at least one per training clip")
        caps.append(c)
    if len(features) < 2:
        raise ShapeError(f"{len(features)} training clip, expected at least 2 for a contrastive batch")
    return caps


def _draw_batch(rng: np.random.Generator, groups: list[np.ndarray], size: int) -> np.ndarray:
    """One clip from each of ``size`` distinct label groups."""
    chosen = rng.choice(len(groups), size=min(size, len(groups)), replace=False)
    return np.array([rng.choice(groups[g]) for g in chosen])


def init_word_vectors(model: TextMotionEvaluator, glove_path: str | None, rng: np.random.Generator) -> float:
    """Random N(0, 1/sqrt(d)) word vectors, replaced by GloVe rows where found; returns the share found."""
    emb = model.word_emb.weight
    d = emb.shape[1]
    init = rng.normal(0.0, d ** -0.5, size=emb.shape).astype(np.float32)
    found_share = 0.0
    if glove_path is not None:
        vectors, found = read_glove(glove_path, model.vocab, d)
        init[found] = vectors[found]
        found_share = float(found[2:].mean()) if len(found) > 2 else 0.0
    init[0] = 0.0  # <pad>
    with torch.no_grad():
        emb.copy_(torch.from_numpy(init))
    return found_share


def contrastive_loss(text: torch.Tensor, motion: torch.Tensor, temperature: float,
                     exclude: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE over (B, D) unit vectors; ``exclude`` (B, B) bool marks pairs not to use as negatives."""
    logits = text @ motion.T / temperature
    logits = logits.masked_fill(exclude & ~torch.eye(len(text), dtype=torch.bool, device=text.device), -1e4)
    target = torch.arange(len(text), device=text.device)
    return (nn.functional.cross_entropy(logits, target) + nn.functional.cross_entropy(logits.T, target)) / 2


class _ContrastiveObjective:
    """:func:`contrastive_loss` of a drawn batch; keeps every step's loss."""

    def __init__(self, model: TextMotionEvaluator, temperature: float, device):
        self.model, self.temperature, self.device = model, temperature, device
        self.losses: list[float] = []

    def __call__(self, wrapped, batch) -> tuple[torch.Tensor, dict[str, float]]:
        token_ids, token_lens, motion, motion_lens, exclude = (t.to(self.device) for t in batch)
        loss = contrastive_loss(self.model.forward_text(token_ids, token_lens),
                                self.model.forward_motion(motion, motion_lens), self.temperature, exclude)
        self.losses.append(loss.item())
        return loss, {"loss": self.losses[-1]}

    def flush(self) -> dict[str, float]:
        return {}


def train_evaluator(features: Sequence[np.ndarray], captions: Sequence[Sequence[str] | str],
                    labels: Sequence | None = None, *, config: EvaluatorConfig | None = None,
                    train: EvaluatorTrainConfig | None = None, mean: np.ndarray | None = None,
                    std: np.ndarray | None = None,
                    device: str | torch.device | None = None,
                    progress: Callable[[int, float], None] | None = None,
                    run_dir: str | os.PathLike | None = None) -> tuple[TextMotionEvaluator, list[float]]:
    """Train an evaluator; returns it (in eval mode, on ``device``) and the loss of every step of this call.

    features: raw (T_i, config.feature_dim) arrays; captions: list of paraphrases (or one string) per clip;
    labels: optional hashable per clip. ``mean``/``std`` default to :func:`feature_stats` of ``features``.
    ``progress(step, loss)`` is called after every step. Training stops after ``train.steps`` steps or, when
    ``train.max_seconds`` is set, at the first step that ends past that wall time (len(losses) says which).
    ``run_dir``: where checkpoints and ``log.jsonl`` go; a rerun with the same data and config resumes there.
    """
    config = config or EvaluatorConfig()
    train = train or EvaluatorTrainConfig()
    caps = _check_inputs(features, captions, labels)
    feats = check_features(features, config.feature_dim, config.unit_length, what="training clip")
    if mean is None or std is None:
        mean, std = feature_stats(feats)
    rng = np.random.default_rng(train.seed)
    torch.manual_seed(train.seed)
    vocab = build_vocabulary((c for cs in caps for c in cs), train.min_word_count)
    model = TextMotionEvaluator(config, vocab, mean, std)
    record = json.loads(json.dumps({"model": config.to_dict(), "vocabulary": len(vocab.words)}))
    latest = latest_checkpoint(run_dir) if run_dir is not None else None
    if latest is not None and read_trainer_state(latest).get("record") != record:
        raise CheckpointError(f"{latest}: trained with another evaluator config or vocabulary than requested; "
                              "train into a new output folder")
    init_word_vectors(model, train.glove_path, rng)
    accelerator = make_accelerator(torch.device(device) if device is not None else default_device())

    label_of = np.arange(len(feats)) if labels is None else np.unique(np.asarray(labels, dtype=object).astype(str),
                                                                      return_inverse=True)[1]
    groups = [np.flatnonzero(label_of == g) for g in np.unique(label_of)]

    def draw() -> Iterator[tuple[torch.Tensor, ...]]:
        while True:
            idx = _draw_batch(rng, groups, train.batch_size)
            texts = [caps[i][rng.integers(len(caps[i]))] for i in idx]
            token_ids, token_lens = model.tokenize(texts)
            motion, motion_lens = model.motion_batch([feats[i] for i in idx], rng=rng)
            lab = torch.as_tensor(label_of[idx])
            same_text = torch.tensor([[a == b for b in texts] for a in texts])
            yield token_ids, token_lens, motion, motion_lens, (lab[:, None] == lab[None, :]) | same_text

    objective = _ContrastiveObjective(model, train.temperature, accelerator.device)
    deadline = None if train.max_seconds is None else time.monotonic() + train.max_seconds

    def on_step(step: int, loss: float) -> bool:
        if progress is not None:
            progress(step - 1, loss)
        return deadline is not None and time.monotonic() > deadline

    settings = LoopSettings(steps=train.steps, grad_clip=train.grad_clip, log_every=train.log_every,
                            checkpoint_every=train.checkpoint_every, progress=False, desc="evaluator")
    optimizer = torch.optim.AdamW(model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    fit(model, optimizer, objective, Cycle(draw(), "evaluator batches"), Path(run_dir) if run_dir else None,
        settings, accelerator=accelerator, export=lambda acc, m: None, checkpointed=(RandomState(rng),),
        record=record, on_step=on_step)
    return model.eval(), objective.losses
