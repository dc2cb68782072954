"""Vector quantization as in T2M-GPT (Zhang et al. 2023): a K × d codebook updated by exponential moving averages
(not by the optimizer), optional k-means initialisation from the first batch, and dead-code reset (codes whose EMA
usage count falls below a threshold are replaced by random latents of the current batch).

The algorithm is vector-quantize-pytorch's ``VectorQuantize``; this file only fixes T2M-GPT's choices (plain
straight-through estimator, EMA decay 0.99) and adapts it to the quantizer interface.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from torch import Tensor, nn

from .base import Quantizer, QuantizerOutput


def vq_kwargs(*, decay: float, kmeans_init: bool, dead_code_threshold: float) -> dict:
    """Keyword arguments for vector-quantize-pytorch's VQ layers (shared with :mod:`.rvq`)."""
    return {"decay": decay, "kmeans_init": kmeans_init, "kmeans_iters": 10, "threshold_ema_dead_code": dead_code_threshold,
                "commitment_weight": 1.0, "rotation_trick": False}


@contextlib.contextmanager
def frozen_init(module: nn.Module) -> Iterator[None]:
    """Outside training, keep vector-quantize-pytorch from k-means-initialising a codebook from the data it is
    asked to quantize (it would do so in eval mode too): encoding must not change the model."""
    if module.training:
        yield
        return
    pending = [m.initted for m in module.modules() if hasattr(m, "initted") and not bool(m.initted)]
    for flag in pending:
        flag.fill_(True)
    try:
        yield
    finally:
        for flag in pending:
            flag.fill_(False)


class VQ(Quantizer):
    """K × dim EMA codebook. Losses (unweighted): ``commitment`` = mean ||z − sg(e)||² (training only; 0 in eval)."""

    codes_per_vector = 1

    def __init__(self, dim: int, codebook_size: int, *, decay: float = 0.99, kmeans_init: bool = True,
                 dead_code_threshold: float = 2.0):
        super().__init__()
        self.dim, self.codebook_size = dim, codebook_size
        from vector_quantize_pytorch import VectorQuantize  # deferred: vector-quantize-pytorch pulls einx and torch._dynamo (~1.5 s) that LFQ models never need
        self.vq = VectorQuantize(dim=dim, codebook_size=codebook_size,
                                 **vq_kwargs(decay=decay, kmeans_init=kmeans_init,
                                             dead_code_threshold=dead_code_threshold))

    @property
    def codebook(self) -> Tensor:
        """(K, dim) code vectors."""
        return self.vq.codebook

    def forward(self, x: Tensor) -> QuantizerOutput:
        with frozen_init(self):
            quantized, indices, commit = self.vq(x)
        return QuantizerOutput(quantized, indices.long()[..., None], {"commitment": commit})

    def _decode(self, codes: Tensor) -> Tensor:
        return self.vq.get_output_from_indices(codes[..., 0])
