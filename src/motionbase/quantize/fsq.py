"""Finite scalar quantization (FSQ; Mentzer et al. 2023), a further lookup-free baseline: each of the len(levels)
latent channels is bounded by tanh and rounded to one of L_i levels; the code is the mixed-radix number of the
level indices (channel 0 least significant), K = Π L_i. No auxiliary loss. vector-quantize-pytorch's ``FSQ``
does the work.
"""

from __future__ import annotations

from math import prod

from torch import Tensor

from .base import Quantizer, QuantizerOutput

# The FSQ paper's recommended levels for a target codebook size (its Table 1).
RECOMMENDED_LEVELS: dict[int, tuple[int, ...]] = {
    2 ** 8: (8, 6, 5),
    2 ** 10: (8, 5, 5, 5),
    2 ** 12: (7, 5, 5, 5, 5),
    2 ** 14: (8, 8, 8, 6, 5),
    2 ** 16: (8, 8, 8, 5, 5, 5),
}


def fsq_levels(codebook_size: int, levels: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """``levels`` if given, else the FSQ paper's recommendation for ``codebook_size`` (≈ that size, not exact)."""
    if levels:
        return tuple(int(v) for v in levels)
    if codebook_size not in RECOMMENDED_LEVELS:
        raise ValueError(f"no recommended FSQ levels for codebook size {codebook_size}; give fsq_levels explicitly "
                         f"(recommended sizes: {sorted(RECOMMENDED_LEVELS)})")
    return RECOMMENDED_LEVELS[codebook_size]


class FSQ(Quantizer):
    """Finite scalar quantizer over len(levels) channels; codebook_size = Π levels. No losses."""

    codes_per_vector = 1

    def __init__(self, levels: tuple[int, ...]):
        super().__init__()
        if len(levels) < 1 or any(v < 3 for v in levels):
            raise ValueError(f"FSQ levels must each be >= 3, got {tuple(levels)}")
        self.levels = tuple(int(v) for v in levels)
        self.dim, self.codebook_size = len(self.levels), prod(self.levels)
        from vector_quantize_pytorch import FSQ as _LibFSQ  # deferred: vector-quantize-pytorch pulls einx and torch._dynamo (~1.5 s) that LFQ models never need
        self.fsq = _LibFSQ(levels=list(self.levels))

    def forward(self, x: Tensor) -> QuantizerOutput:
        quantized, indices = self.fsq(x)
        return QuantizerOutput(quantized, indices.long()[..., None], {})

    def _decode(self, codes: Tensor) -> Tensor:
        return self.fsq.indices_to_codes(codes[..., 0])
