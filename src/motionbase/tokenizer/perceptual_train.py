"""Training the perceptual encoder (:mod:`.perceptual`): its denoising objective on the tokenizer's loop."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch

from .config import DenoisingConfig
from .perceptual import PerceptualConfig, PerceptualEncoder
from .train import TokenizerTrainConfig, fit, start_model


class _DenoisingObjective:
    def __init__(self, noise: DenoisingConfig):
        self.noise = noise

    def __call__(self, model, wrapped, feats, mask):
        loss = wrapped(feats, mask, denoising=self.noise)
        return loss, {"denoising": float(loss.detach()), "total": float(loss.detach())}

    def flush(self) -> dict[str, float]:
        return {}


def train_perceptual(config: PerceptualConfig, train_windows: Iterable, steps: int, out_dir: str | Path, *,
                     stats=None, train: TokenizerTrainConfig = TokenizerTrainConfig(lr=2e-4, warmup_steps=200),
                     device: str | torch.device | None = None) -> PerceptualEncoder:
    """Train a perceptual encoder for ``steps`` steps on raw feature windows (resumable like the tokenizer; the
    inputs are corrupted as ``train.denoising`` says, which may change between resumed runs)."""
    out_dir = Path(out_dir)
    torch.manual_seed(train.seed)
    model, start = start_model(PerceptualEncoder, config, stats, out_dir)
    return fit(model, _DenoisingObjective(train.denoising), train_windows, steps, out_dir, train=train, start=start,
               device=device, desc="train perceptual encoder")
