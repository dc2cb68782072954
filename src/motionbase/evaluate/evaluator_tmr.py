"""A transformer sequence encoder in the spirit of TMR (Petrovich et al. 2023), for text and for motion.

TMR encodes motion features and text token features with the same ACTOR-style transformer: project the
inputs to ``latent_dim``, prepend learned summary tokens, add sinusoidal positions, run a
``TransformerEncoder`` with the padding masked, and read the summary token(s). TMR is a VAE (μ and logσ²
tokens) over frozen DistilBERT features; ours reads one deterministic summary token and takes word vectors
(learned from scratch or GloVe), so it trains and runs offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..config import Config


@dataclass(frozen=True)
class TransformerDims(Config):
    latent_dim: int = 256
    ff_dim: int = 1024
    num_layers: int = 6
    num_heads: int = 4
    dropout: float = 0.1


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """(length, dim) sinusoidal position encodings (Vaswani et al.)."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)[:, : dim // 2]
    return pe


class TransformerSeqEncoder(nn.Module):
    """(B, L, input_dim) padded sequences, (B,) lengths -> (B, latent_dim) summary embeddings."""

    def __init__(self, input_dim: int, dims: TransformerDims, max_len: int):
        super().__init__()
        self.proj = nn.Linear(input_dim, dims.latent_dim)
        self.summary_token = nn.Parameter(torch.randn(1, 1, dims.latent_dim) * 0.02)
        self.register_buffer("positions", sinusoidal_positions(max_len + 1, dims.latent_dim), persistent=False)
        layer = nn.TransformerEncoderLayer(dims.latent_dim, dims.num_heads, dims.ff_dim, dims.dropout,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, dims.num_layers, enable_nested_tensor=False)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        b, length, _ = inputs.shape
        x = torch.cat([self.summary_token.expand(b, 1, -1), self.proj(inputs)], dim=1)
        x = x + self.positions[: length + 1]
        steps = torch.arange(length + 1, device=inputs.device)[None]
        pad = steps > lengths.to(inputs.device)[:, None]  # summary token at 0 is never padding
        return self.encoder(x, src_key_padding_mask=pad)[:, 0]
