"""Part-level control with 2D tokenizers: re-decode a clip with some components' codes taken from another clip,
e.g. the arms of clip B on the legs and torso of clip A (grouping ``body``).

Decoding is deterministic. How cleanly the swapped part follows clip B depends on ``part_kernel``: with 1 the
decoder never mixes components, so the swapped components' features are exactly those B's codes decode to; with
3 (the default) neighbouring components influence each other through the convolutions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ..errors import MotionbaseError, ShapeError
from .model import MotionTokenizer


def swap_part_codes(tokenizer: MotionTokenizer, codes_a, codes_b, parts: Sequence[str]) -> Tensor:
    """Codes of clip A with the columns of ``parts`` replaced by clip B's.

    codes_a: (T'_a, S) or (B, T'_a, S); codes_b: same rank, at least T'_a steps (its first T'_a are used).
    Returns a new int64 tensor shaped like ``codes_a``.
    """
    if not tokenizer.part_names:
        raise MotionbaseError(f"part swap needs a 2D tokenizer; {tokenizer.source} is {tokenizer.config.name}")
    a, b = torch.as_tensor(codes_a).clone().long(), torch.as_tensor(codes_b).long()
    S = tokenizer.tokens_per_step
    if a.ndim != b.ndim or a.ndim not in (2, 3) or a.shape[-1] != S or b.shape[-1] != S:
        raise ShapeError(f"codes have shapes {tuple(a.shape)} and {tuple(b.shape)}, expected (T', {S}) or "
                         f"(B, T', {S}) each")
    if b.shape[-2] < a.shape[-2] or b.shape[:-2] != a.shape[:-2]:
        raise ShapeError(f"codes of clip B {tuple(b.shape)} must cover clip A's {tuple(a.shape)}")
    for part in parts:
        cols = tokenizer.part_columns(part)
        a[..., cols] = b[..., :a.shape[-2], cols].to(a.device)
    return a


def mix_parts(tokenizer: MotionTokenizer, feats_a, feats_b, parts_from_b: Sequence[str]) -> Tensor:
    """Raw features (T_a, D) of clip A re-decoded with ``parts_from_b`` from clip B (at least as long as A)."""
    codes = swap_part_codes(tokenizer, tokenizer.encode(feats_a), tokenizer.encode(feats_b), parts_from_b)
    return tokenizer.decode(codes, num_frames=len(feats_a) if codes.ndim == 2 else torch.as_tensor(feats_a).shape[1])
