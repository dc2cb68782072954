"""The MotionBase paper's 2D motion encoder–decoder (§4.2): a clip is a single-channel image T × D × 1 whose
D columns fall into P components; the encoder maps it to a ⌊T/α⌋ × P × d feature map, one code per component and
time step.

Components (``TokenizerConfig.grouping``):

* ``feature`` — the paper's: the HumanML3D feature types root (4), ric (63), rot (126), vel (66), contact (4);
* ``body`` — **our addition** for part-level control: root, torso_head, left_arm, right_arm, left_leg, right_leg,
  each gathering its joints' positions, rotations, velocities and foot contacts
  (:meth:`motionbase.features.layout.FeatureLayout.group_indices`).

Components have different widths, so the first layer is a per-component temporal convolution
(D_p columns -> ``width`` channels: a 2D convolution whose kernel spans the component's whole width), which turns
the image into a (B, width, T, P) map; a 2D T2M-GPT trunk (:mod:`.convnet`) with kernels (3, ``part_kernel``)
follows. The decoder mirrors it and scatters each component's head output back to its columns.

``root_trunk`` (our addition): the ``root`` component — yaw and ground velocity, height, the root joint's velocity —
goes through a trunk of its own (same design, kernels one component wide) in both encoder and decoder, so the
trajectory is encoded from, and decoded from, the root's signal alone. With mixing, an action the tokenizer never
saw shifts the root's codes toward the body poses it knows (a held-out run decoded at walking distance); apart,
the trajectory codes see only velocities and height.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from ..features.layout import FeatureLayout
from ..skeleton import get_skeleton
from .config import TokenizerConfig
from .convnet import ConvDecoder, ConvEncoder
from .encdec1d import _trunk_kwargs


def component_columns(config: TokenizerConfig) -> dict[str, np.ndarray]:
    """Component name -> feature columns, for the config's skeleton and grouping (they partition 0..D-1)."""
    layout = FeatureLayout(get_skeleton(config.skeleton))
    if layout.dim != config.feature_dim:
        raise ValueError(f"feature_dim {config.feature_dim} does not match the {config.skeleton} layout "
                         f"({layout.dim}); the 2D tokenizer needs the HumanML3D layout")
    return layout.group_indices(config.grouping)


class _Components(nn.Module):
    """Holds the column index of every component as buffers (saved with the weights)."""

    def __init__(self, config: TokenizerConfig):
        super().__init__()
        cols = component_columns(config)
        self.names = tuple(cols)
        for i, c in enumerate(cols.values()):
            self.register_buffer(f"cols_{i}", torch.as_tensor(c, dtype=torch.long), persistent=False)

    def columns(self) -> list[Tensor]:
        return [getattr(self, f"cols_{i}") for i in range(len(self.names))]


def make_trunks(config: TokenizerConfig, names: tuple[str, ...],
                make: Callable[[int], nn.Module]) -> tuple[int | None, nn.Module, nn.Module | None]:
    """(root position, trunk, root trunk) for the components ``names``: ``make(part_kernel)`` builds a trunk; with
    ``config.root_trunk`` the ``root`` component gets one of its own, one component wide, else (None, trunk, None)."""
    trunk = make(config.part_kernel)
    if not config.root_trunk:
        return None, trunk, None
    if "root" not in names:
        raise ValueError(f"root_trunk needs a 'root' component; the {config.grouping!r} grouping has {names}")
    return names.index("root"), trunk, make(1)


def run_trunks(x: Tensor, trunk: nn.Module, root_trunk: nn.Module | None, root: int | None) -> Tensor:
    """(B, C, T, P) through ``trunk``; with a root trunk, the root component through it and the others through
    ``trunk``, the components kept in order."""
    if root is None:
        return trunk(x)
    body = trunk(torch.cat([x[..., :root], x[..., root + 1:]], -1))
    return torch.cat([body[..., :root], root_trunk(x[..., root:root + 1]), body[..., root:]], -1)


class Encoder2D(nn.Module):
    def __init__(self, config: TokenizerConfig, latent_dim: int):
        super().__init__()
        self.components = _Components(config)
        self.stems = nn.ModuleList(
            nn.Sequential(nn.Conv1d(len(c), config.width, 3, 1, 1), nn.ReLU()) for c in self.components.columns())
        self.root, self.trunk, self.root_trunk = make_trunks(config, self.components.names, lambda pk: ConvEncoder(
            2, config.width, latent_dim, part_kernel=pk, **_trunk_kwargs(config)))

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, D), T a multiple of α -> (B, T/α, P, d)."""
        xt = x.transpose(1, 2)
        image = torch.stack([stem(xt[:, cols]) for stem, cols in zip(self.stems, self.components.columns())], -1)
        return run_trunks(image, self.trunk, self.root_trunk, self.root).permute(0, 2, 3, 1)


class Decoder2D(nn.Module):
    def __init__(self, config: TokenizerConfig, latent_dim: int):
        super().__init__()
        self.feature_dim = config.feature_dim
        self.components = _Components(config)
        self.root, self.trunk, self.root_trunk = make_trunks(config, self.components.names, lambda pk: ConvDecoder(
            2, latent_dim, config.width, part_kernel=pk, **_trunk_kwargs(config)))
        self.heads = nn.ModuleList(nn.Conv1d(config.width, len(c), 3, 1, 1) for c in self.components.columns())

    def forward(self, z: Tensor) -> Tensor:
        """(B, T', P, d) -> (B, T'·α, D)."""
        h = run_trunks(z.permute(0, 3, 1, 2), self.trunk, self.root_trunk, self.root)  # (B, width, T, P)
        out = h.new_zeros(h.shape[0], self.feature_dim, h.shape[2])
        for p, (head, cols) in enumerate(zip(self.heads, self.components.columns())):
            out = out.index_copy(1, cols, head(h[..., p]))
        return out.transpose(1, 2)
