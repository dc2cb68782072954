"""The mean over valid frames, shared by the tokenizer's losses and the perceptual encoder's objective."""

from __future__ import annotations

from torch import Tensor


def masked_mean(values: Tensor, mask: Tensor | None) -> Tensor:
    """Mean of (B, T, ...) values over valid frames of a (B, T) mask (all frames when ``mask`` is None)."""
    if mask is None:
        return values.mean()
    m = mask.to(values.dtype).reshape(mask.shape + (1,) * (values.ndim - 2))
    return (values * m).sum() / (m.sum() * values[0, 0].numel()).clamp_min(1.0)
