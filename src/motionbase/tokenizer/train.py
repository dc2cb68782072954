"""The tokenizer's training (``train_tokenizer``, the function the CLI calls) and what the perceptual encoder's
(:mod:`.perceptual_train`) shares with it, on the one training loop (:func:`motionbase.training.fit`).

* Data: any iterable of batches of **raw** feature windows — a (B, T, D) tensor/array, a ``(features, mask)``
  pair, or a dict with ``features`` and optionally ``mask`` (B, T) or ``lengths`` (B,). A re-iterable (list,
  DataLoader) is cycled; a one-shot iterator that runs out raises. Pass ``windows_normalized=True`` if the
  dataset already normalises with the same stats.
* Accelerate: devices, DDP, mixed precision (``TokenizerTrainConfig.mixed_precision``); ``device="cpu"`` keeps
  it on the CPU.
* Resumable: every ``checkpoint_every`` steps and at the end a checkpoint ``out_dir/checkpoints/step-XXXXXXXX``
  (the one layout of :mod:`motionbase.training`; its ``trainer_state.json`` records the model config, so a run
  resumes only with the same one). A rerun with the same arguments continues from there (the data order after
  a resume is the data source's business unless it is a list: :class:`~.windows.StoreWindows` makes it exact).
* ``out_dir`` itself receives the final model (``MotionTokenizer.from_pretrained(out_dir)``), its
  ``train_config.json`` and ``train_log.jsonl`` (one JSON line per ``log_every`` steps: loss terms, lr, code
  utilisation and perplexity, wall and CPU seconds per step).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from safetensors.torch import load_file
from torch import Tensor, nn

from ..config import Config, setting
from ..errors import CheckpointError, MotionbaseError
from ..metrics.codebook import usage_from_counts
from ..training import (
    MODEL_WEIGHTS,
    Cycle,
    LoopSettings,
    Objective,
    checkpoint_tensors,
    fit,
    latest_checkpoint,
    make_accelerator,
    read_trainer_state,
)
from .config import DenoisingConfig, TokenizerConfig, TokenizerLossConfig
from .losses import TokenizerLoss
from .model import MotionTokenizer, stats_arrays

LOG_FILE = "train_log.jsonl"
__all__ = ["TokenizerTrainConfig", "train_tokenizer", "latest_checkpoint", "lr_factor", "start_model",
           "train_model", "unpack_windows", "checkpoint_model", "LOG_FILE"]


@dataclass(frozen=True)
class TokenizerTrainConfig(Config):
    """Optimisation settings (the paper: lr 1e-4, batch 256, 300k iterations; T2M-GPT: AdamW β (0.9, 0.99),
    warm-up, lr × 0.05 at 200k) and the loss weights (:class:`TokenizerLossConfig`). Not part of the model: a
    run resumes when only these change. Also trains the perceptual encoder, whose objective's settings are
    ``denoising`` (:class:`DenoisingConfig`; the tokenizer has no use for them, nor the encoder for ``loss``)."""

    owner: ClassVar[str] = "tokenizer training"
    dropped: ClassVar[tuple[str, ...]] = ("use_accelerate",)  # every run is on Accelerate since the one loop

    lr: float = setting(1e-4, min=0.0)
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = setting(0.0, min=0.0)
    warmup_steps: int = setting(1000, min=0)
    lr_milestones: tuple[int, ...] = ()
    lr_gamma: float = 0.05
    grad_clip: float | None = 1.0
    checkpoint_every: int = setting(5000, min=1)
    keep_checkpoints: int = setting(2, min=1)
    log_every: int = setting(100, min=1)
    seed: int = 0
    mixed_precision: str = setting("no", choices=("no", "fp16", "bf16"))  # accelerate's setting
    progress: bool = True
    loss: TokenizerLossConfig = TokenizerLossConfig()
    denoising: DenoisingConfig = DenoisingConfig()  # the perceptual encoder's training noise


def lr_factor(step: int, train: TokenizerTrainConfig) -> float:
    """Multiplier of ``train.lr`` at ``step`` (0-based): linear warm-up, then × gamma at each milestone passed."""
    warm = min(1.0, (step + 1) / train.warmup_steps) if train.warmup_steps > 0 else 1.0
    return warm * train.lr_gamma ** sum(step >= m for m in train.lr_milestones)


def unpack_windows(batch, device) -> tuple[Tensor, Tensor | None]:
    """A batch -> (features (B, T, D) float32 on device, mask (B, T) bool or None)."""
    mask = lengths = None
    if isinstance(batch, dict):
        feats, mask, lengths = batch["features"], batch.get("mask"), batch.get("lengths")
    elif isinstance(batch, (tuple, list)):
        feats, mask = batch[0], (batch[1] if len(batch) > 1 else None)
    else:
        feats = batch
    feats = torch.as_tensor(np.asarray(feats) if not isinstance(feats, Tensor) else feats).to(device, torch.float32)
    if lengths is not None:
        lengths = torch.as_tensor(lengths, device=device)
        mask = torch.arange(feats.shape[1], device=device)[None] < lengths[:, None]
    if mask is not None:
        mask = torch.as_tensor(mask, device=device).bool()
    return feats, mask


class _TokenizerObjective:
    """The tokenizer loss, plus the code histogram (utilisation, perplexity) since the last log line."""

    def __init__(self, model: MotionTokenizer, criterion: TokenizerLoss, windows_normalized: bool, device):
        self.model, self.criterion, self.normalized, self.device = model, criterion, windows_normalized, device
        self.usage: Tensor | None = None

    def __call__(self, wrapped: nn.Module, batch) -> tuple[Tensor, dict[str, float]]:
        feats, mask = unpack_windows(batch, self.device)
        out = wrapped(feats, normalized=self.normalized)
        codes = out.codes.detach().reshape(-1)
        counts = torch.bincount(codes[codes >= 0], minlength=self.model.vocab_size)
        self.usage = counts if self.usage is None else self.usage + counts
        return self.criterion(self.model, out, mask)

    def flush(self) -> dict[str, float]:
        if self.usage is None:
            return {}
        usage, self.usage = usage_from_counts(self.usage.cpu().numpy()), None
        return {"utilisation": usage.utilisation, "perplexity": usage.perplexity}

    def state_dict(self) -> dict:  # the histogram since the last log line goes into checkpoints
        return {"usage": None if self.usage is None else self.usage.cpu()}

    def load_state_dict(self, state: dict) -> None:
        self.usage = None if state["usage"] is None else state["usage"].to(self.device)


def start_model(cls, config, stats, out_dir: Path, *, resume: bool = True) -> nn.Module:
    """A new ``cls(config, stats)``, or, when ``out_dir`` holds a checkpoint to resume, the same model built with
    the checkpoint's normalisation (its weights load in the loop). The checkpoint must have been trained with
    ``config`` and, when given, the same ``stats``. ``cls`` keeps its normalisation in ``feature_mean`` /
    ``feature_std`` buffers."""
    out_dir.mkdir(parents=True, exist_ok=True)
    start = latest_checkpoint(out_dir) if resume else None
    if start is None:
        if stats is None:
            raise MotionbaseError(f"training {cls.__name__} needs normalisation stats (mean, std): the model "
                                  "keeps them for its inputs and the joint losses")
        return cls(config, stats)
    saved = read_trainer_state(start).get("record", {}).get("model")
    if saved is None or type(config).from_dict(saved, source=f"{start}: model") != config:
        raise CheckpointError(f"{start}: checkpoint was trained with a different {config.owner} config than "
                              "requested")
    found = checkpoint_tensors(start, ("feature_mean", "feature_std"))
    if stats is not None:
        mean, std = stats_arrays(stats)
        if not (np.array_equal(mean, found["feature_mean"]) and np.array_equal(std, found["feature_std"])):
            raise CheckpointError(f"{start}: checkpoint was trained with different normalisation stats")
    return cls(config, (found["feature_mean"], found["feature_std"]))


def checkpoint_model(checkpoint: Path, cls=MotionTokenizer, config_cls=TokenizerConfig) -> nn.Module:
    """The model (``cls``: ``MotionTokenizer``, or ``PerceptualEncoder`` with ``PerceptualConfig``) of a training
    checkpoint (e.g. to evaluate a run part-way), in eval mode; its normalisation is mean and std without a
    stamp."""
    saved = read_trainer_state(checkpoint).get("record", {}).get("model")
    if saved is None:
        raise CheckpointError(f"{checkpoint}: no model config in its trainer state; not a tokenizer checkpoint")
    config = config_cls.from_dict(saved, source=f"{checkpoint}: model")
    found = checkpoint_tensors(checkpoint, ("feature_mean", "feature_std"))
    model = cls(config, (found["feature_mean"], found["feature_std"]))
    model.load_state_dict(load_file(str(Path(checkpoint) / MODEL_WEIGHTS)))
    return model.eval()


def train_model(model: nn.Module, objective: Objective, train_windows: Iterable, steps: int, out_dir: Path, *,
                train: TokenizerTrainConfig, accelerator, desc: str, resume: bool = True) -> nn.Module:
    """The tokenizer's and the perceptual encoder's use of :func:`motionbase.training.fit`: AdamW with
    :func:`lr_factor`, gradient clipping, checkpoints recording ``model.config``; the final
    ``model.save_pretrained(out_dir)`` and ``train_config.json``. Returns the model in eval mode."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=train.lr,
                                  betas=train.betas, weight_decay=train.weight_decay)
    settings = LoopSettings(steps=steps, grad_clip=train.grad_clip, log_every=train.log_every,
                            checkpoint_every=train.checkpoint_every, keep_checkpoints=train.keep_checkpoints,
                            progress=train.progress, desc=desc, log_file=LOG_FILE)

    def export(acc, wrapped: nn.Module) -> nn.Module:
        if acc.is_main_process:
            model.save_pretrained(out_dir)
            train.save(out_dir / "train_config.json")
        return model.eval()

    return fit(model, optimizer, objective, Cycle(train_windows), out_dir, settings, accelerator=accelerator,
               export=export, scheduler=lambda opt, _: torch.optim.lr_scheduler.LambdaLR(
                   opt, lambda s: lr_factor(s, train)), record={"model": model.config.to_dict()}, resume=resume)


def train_tokenizer(config: TokenizerConfig, train_windows: Iterable, steps: int, out_dir: str | Path, *,
                    stats=None, train: TokenizerTrainConfig = TokenizerTrainConfig(),
                    perceptual: nn.Module | None = None,
                    device: str | torch.device | None = None, resume: bool = True,
                    windows_normalized: bool = False) -> MotionTokenizer:
    """Train a tokenizer for ``steps`` optimizer steps (in total, counting resumed ones); returns it, in eval mode.

    ``stats``: normalisation (see :class:`MotionTokenizer`); required unless resuming. ``perceptual``: frozen
    motion encoder for the perceptual term (else loaded from ``train.loss.perceptual_encoder`` when
    ``train.loss.perceptual_weight > 0``). The loss weights (``train.loss``) may change between resumed runs.
    """
    out_dir = Path(out_dir)
    torch.manual_seed(train.seed)
    model = start_model(MotionTokenizer, config, stats, out_dir, resume=resume)
    criterion = TokenizerLoss(config, train.loss, perceptual=perceptual)
    accelerator = make_accelerator(device, mixed_precision=train.mixed_precision)
    if criterion.perceptual is not None:
        criterion.perceptual.to(accelerator.device)
    objective = _TokenizerObjective(model, criterion, windows_normalized, accelerator.device)
    return train_model(model, objective, train_windows, steps, out_dir, train=train, accelerator=accelerator,
                       desc=f"train {config.name}", resume=resume)
