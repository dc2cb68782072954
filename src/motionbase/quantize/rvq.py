"""Residual vector quantization as in MoMask (Guo et al. 2024): Q VQ layers, each quantizing the residual the
previous ones left, EMA codebooks with dead-code reset, and *quantizer dropout*: with probability
``dropout_prob`` a training batch uses only the first q ~ U{1..Q} layers, so that coarse prefixes of the codes
decode to sensible motion.

vector-quantize-pytorch's ``ResidualVQ`` does the work (its own dropout fires on every training batch, so this
wrapper switches it on per batch with MoMask's probability).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Quantizer, QuantizerOutput
from .vq import frozen_init, vq_kwargs


class RVQ(Quantizer):
    """Q residual layers of K × dim EMA codebooks; codes (B, N, Q), layer 0 first.

    Losses (unweighted): ``commitment``, summed over the layers used (training only; 0 in eval). Codes of layers
    dropped in training are −1. :meth:`decode_codes` accepts the first q <= Q layers (coarse decoding).
    """

    def __init__(self, dim: int, codebook_size: int, num_quantizers: int = 6, *, dropout_prob: float = 0.2,
                 decay: float = 0.99, kmeans_init: bool = True, dead_code_threshold: float = 2.0):
        super().__init__()
        if num_quantizers < 1 or not 0.0 <= dropout_prob <= 1.0:
            raise ValueError(f"RVQ needs num_quantizers >= 1 and 0 <= dropout_prob <= 1, got {num_quantizers}, "
                             f"{dropout_prob}")
        self.dim, self.codebook_size, self.codes_per_vector = dim, codebook_size, num_quantizers
        self.dropout_prob = dropout_prob
        from vector_quantize_pytorch import ResidualVQ  # deferred: vector-quantize-pytorch pulls einx and torch._dynamo (~1.5 s) that LFQ models never need
        self.rvq = ResidualVQ(dim=dim, num_quantizers=num_quantizers, codebook_size=codebook_size,
                              quantize_dropout=num_quantizers > 1,
                              **vq_kwargs(decay=decay, kmeans_init=kmeans_init,
                                          dead_code_threshold=dead_code_threshold))

    def forward(self, x: Tensor) -> QuantizerOutput:
        drop = self.training and self.codes_per_vector > 1 and bool(torch.rand(()) < self.dropout_prob)
        self.rvq.quantize_dropout = drop
        with frozen_init(self):
            quantized, indices, layer_losses = self.rvq(x)
        return QuantizerOutput(quantized, indices.long(), {"commitment": layer_losses.sum()})

    def decode_codes(self, codes: Tensor) -> Tensor:
        """(B, N, q) codes of the first q <= Q layers -> (B, N, dim)."""
        self.check_codes(codes, min_per_vector=1)
        return self._decode(codes.long())

    def _decode(self, codes: Tensor) -> Tensor:
        missing = self.codes_per_vector - codes.shape[-1]
        return self.rvq.get_output_from_indices(F.pad(codes, (0, missing), value=-1))
