"""The one interface every quantizer implements (code-usage statistics: :mod:`motionbase.metrics.codebook`).

A quantizer maps latents ``x: (B, N, d)`` to ``QuantizerOutput(quantized (B, N, d), codes (B, N, L), losses)``:
``L`` codes per latent vector (1 for VQ, LFQ and FSQ; the number of residual layers for RVQ), each an integer in
``[0, codebook_size)``, and ``losses`` a dict of *unweighted* scalar terms (``commitment``, ``per_sample_entropy`` …)
that the tokenizer's loss weighs. ``decode_codes(codes)`` is the inverse of the code assignment and validates its
input, because codes also come from language models.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ..errors import ShapeError


class QuantizerOutput(NamedTuple):
    quantized: Tensor          # (B, N, d), straight-through gradients in training
    codes: Tensor              # (B, N, L) int64
    losses: dict[str, Tensor]  # unweighted scalar terms


class Quantizer(nn.Module):
    """Base class: subclasses set ``dim``, ``codebook_size``, ``codes_per_vector`` and implement
    ``forward`` and ``_decode``."""

    dim: int               # latent width d
    codebook_size: int     # K: every code lies in [0, K)
    codes_per_vector: int  # L

    def forward(self, x: Tensor) -> QuantizerOutput:  # pragma: no cover - interface
        raise NotImplementedError

    def _decode(self, codes: Tensor) -> Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def check_codes(self, codes: Tensor, *, min_per_vector: int | None = None) -> None:
        """Raise :class:`ShapeError` unless ``codes`` is an integer (B, N, L) tensor with values in [0, K)."""
        if codes.dtype.is_floating_point or codes.dtype == torch.bool or codes.is_complex():
            raise ShapeError(f"codes have dtype {codes.dtype}, expected an integer dtype")
        lo = self.codes_per_vector if min_per_vector is None else min_per_vector
        if codes.ndim != 3 or not lo <= codes.shape[-1] <= self.codes_per_vector:
            want = f"{self.codes_per_vector}" if lo == self.codes_per_vector else f"{lo}..{self.codes_per_vector}"
            raise ShapeError(f"codes have shape {tuple(codes.shape)}, expected (B, N, {want})")
        bad = (codes < 0) | (codes >= self.codebook_size)
        if bad.any():
            where = tuple(int(i) for i in bad.nonzero()[0])
            raise ShapeError(f"code {int(codes[where])} at index {where} is out of range [0, {self.codebook_size})")

    def decode_codes(self, codes: Tensor) -> Tensor:
        """(B, N, L) integer codes -> (B, N, d) quantized latents; out-of-range codes raise ShapeError."""
        self.check_codes(codes)
        return self._decode(codes.long())


def log2_exact(n: int, what: str) -> int:
    """log2(n) for a power of two n, else ValueError naming ``what``."""
    bits = round(math.log2(n)) if n > 0 else -1
    if bits < 1 or 2 ** bits != n:
        raise ValueError(f"{what} must be a power of two >= 2, got {n}")
    return bits
