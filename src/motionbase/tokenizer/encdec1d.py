"""T2M-GPT's 1D encoder–decoder: a whole frame is one vector, one latent per α frames.

Encoder: (B, T, D) -> (B, T/α, 1, d); decoder: (B, T/α, 1, d) -> (B, T, D). The singleton axis is the component
axis of the 2D design (:mod:`.encdec2d`), so both feed the quantizer the same way.
"""

from __future__ import annotations

from torch import Tensor, nn

from .config import TokenizerConfig
from .convnet import ConvDecoder, ConvEncoder


def _trunk_kwargs(config: TokenizerConfig) -> dict:
    return {"stages": config.down_stages, "depth": config.depth, "growth": config.dilation_growth}


class Encoder1D(nn.Module):
    def __init__(self, config: TokenizerConfig, latent_dim: int):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(config.feature_dim, config.width, 3, 1, 1), nn.ReLU())
        self.trunk = ConvEncoder(1, config.width, latent_dim, **_trunk_kwargs(config))

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, D), T a multiple of α -> (B, T/α, 1, d)."""
        return self.trunk(self.stem(x.transpose(1, 2))).transpose(1, 2)[:, :, None]


class Decoder1D(nn.Module):
    def __init__(self, config: TokenizerConfig, latent_dim: int):
        super().__init__()
        self.trunk = ConvDecoder(1, latent_dim, config.width, **_trunk_kwargs(config))
        self.head = nn.Conv1d(config.width, config.feature_dim, 3, 1, 1)

    def forward(self, z: Tensor) -> Tensor:
        """(B, T', 1, d) -> (B, T'·α, D)."""
        return self.head(self.trunk(z[:, :, 0].transpose(1, 2))).transpose(1, 2)
