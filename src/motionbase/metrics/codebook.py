"""Codebook utilisation of a motion tokenizer: the share of codes used and the perplexity of their histogram.

The paper (§5.3, Fig. 5) compares quantizers by utilisation: VQ and RVQ stop using their codebooks past 2^10
codes while 2D-LFQ keeps using more. Utilisation = distinct codes seen / codebook size, over all tokens of an
evaluation set; perplexity = exp(entropy) of the code frequencies (in codes: 1 when a single code is used,
K when all K are used equally). Report one value per codebook (per RVQ level or per 2D part) by calling once
per codebook. :func:`codebook_usage` takes the codes; :func:`usage_from_counts` takes a histogram that a
training loop accumulates across batches. The one place this is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError


@dataclass(frozen=True)
class CodebookUsage:
    utilisation: float  # distinct codes used / codebook_size, in [0, 1]
    perplexity: float  # exp(entropy of the code histogram), in [1, codebook_size]; 0 when there are no tokens
    used: int
    codebook_size: int
    tokens: int


def usage_from_counts(counts) -> CodebookUsage:
    """(K,) code counts (numpy or a CPU tensor) -> usage; all zeros (no tokens) gives utilisation and
    perplexity 0."""
    counts = np.asarray(counts, dtype=np.float64).ravel()
    tokens = int(counts.sum())
    used = int((counts > 0).sum())
    if tokens == 0:
        return CodebookUsage(0.0, 0.0, 0, counts.size, 0)
    p = counts[counts > 0] / counts.sum()
    return CodebookUsage(utilisation=used / counts.size, perplexity=float(np.exp(-(p * np.log(p)).sum())),
                         used=used, codebook_size=counts.size, tokens=tokens)


def codebook_usage(codes, codebook_size: int) -> CodebookUsage:
    """Usage statistics of integer ``codes`` (any shape) from a codebook of ``codebook_size`` entries."""
    c = np.asarray(codes)
    if c.size == 0:
        raise ShapeError("codes: empty, expected at least one token")
    if not np.issubdtype(c.dtype, np.integer):
        raise ShapeError(f"codes: dtype {c.dtype}, expected integer code indices")
    lo, hi = int(c.min()), int(c.max())
    if lo < 0 or hi >= codebook_size:
        raise ShapeError(f"codes: values in [{lo}, {hi}], expected [0, {codebook_size - 1}] for a codebook of "
                         f"{codebook_size}")
    return usage_from_counts(np.bincount(c.ravel(), minlength=codebook_size))
