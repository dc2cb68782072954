"""Training the perceptual encoder (:mod:`.perceptual`): its denoising objective on the tokenizer's loop."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch

from ..training import make_accelerator
from .config import DenoisingConfig
from .perceptual import PerceptualConfig, PerceptualEncoder
from .train import TokenizerTrainConfig, start_model, train_model, unpack_windows


class _DenoisingObjective:
    def __init__(self, noise: DenoisingConfig, device):
        self.noise, self.device = noise, device

    def __call__(self, wrapped, batch):
        feats, mask = unpack_windows(batch, self.device)
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
    model = start_model(PerceptualEncoder, config, stats, out_dir)
    accelerator = make_accelerator(device, mixed_precision=train.mixed_precision)
    return train_model(model, _DenoisingObjective(train.denoising, accelerator.device), train_windows, steps,
                       out_dir, train=train, accelerator=accelerator, desc="train perceptual encoder")
