"""Training the perceptual encoder (:mod:`.perceptual`): its denoising objective on the tokenizer's loop."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch

from .perceptual import PerceptualConfig, PerceptualEncoder
from .train import TrainConfig, fit, start_model


class _DenoisingObjective:
    def __call__(self, model, wrapped, feats, mask):
        loss = wrapped(feats, mask, denoising=True)
        return loss, {"denoising": float(loss.detach()), "total": float(loss.detach())}

    def flush(self) -> dict[str, float]:
        return {}


def train_perceptual(config: PerceptualConfig, train_windows: Iterable, steps: int, out_dir: str | Path, *,
                     stats=None, train: TrainConfig = TrainConfig(lr=2e-4, warmup_steps=200),
                     device: str | torch.device | None = None) -> PerceptualEncoder:
    """Train a perceptual encoder for ``steps`` steps on raw feature windows (resumable like the tokenizer)."""
    out_dir = Path(out_dir)
    torch.manual_seed(train.seed)
    model, start = start_model(PerceptualEncoder, config, stats, out_dir)
    return fit(model, _DenoisingObjective(), train_windows, steps, out_dir, train=train, start=start,
               device=device, desc="train perceptual encoder")
