"""T2M-GPT's convolutional trunk (Zhang et al. 2023, ``models/encdec.py``), for 1D (B, C, T) and 2D (B, C, T, P)
inputs: stride-2 temporal downsampling stages, each followed by a stack of dilated residual blocks (dilations
growth^i, largest first), and the mirror-image decoder with nearest-neighbour upsampling.

In 2D the second axis holds the P frame components; kernels span ``part_kernel`` components (1: components are
processed independently by shared weights) and never stride over them.
"""

from __future__ import annotations

from torch import Tensor, nn


def conv(nd: int, c_in: int, c_out: int, kernel: int, *, stride: int = 1, dilation: int = 1,
         part_kernel: int = 1) -> nn.Module:
    """Temporal convolution with 'same' padding (stride 1) or exact halving (kernel 4, stride 2)."""
    pad = (dilation * (kernel - 1) + 1 - stride) // 2
    if nd == 1:
        return nn.Conv1d(c_in, c_out, kernel, stride, pad, dilation)
    return nn.Conv2d(c_in, c_out, (kernel, part_kernel), (stride, 1), (pad, part_kernel // 2), (dilation, 1))


class ResBlock(nn.Module):
    """x + conv1(relu(conv3_dilated(relu(x))))."""

    def __init__(self, nd: int, width: int, dilation: int, part_kernel: int):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), conv(nd, width, width, 3, dilation=dilation, part_kernel=part_kernel),
                                  nn.ReLU(), conv(nd, width, width, 1))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def res_stack(nd: int, width: int, depth: int, growth: int, part_kernel: int) -> nn.Sequential:
    return nn.Sequential(*[ResBlock(nd, width, growth ** i, part_kernel) for i in reversed(range(depth))])


class ConvEncoder(nn.Module):
    """(B, width, T[, P]) -> (B, out_dim, T / 2^stages[, P])."""

    def __init__(self, nd: int, width: int, out_dim: int, *, stages: int, depth: int, growth: int,
                 part_kernel: int = 1):
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(stages):
            layers += [conv(nd, width, width, 4, stride=2, part_kernel=part_kernel),
                       res_stack(nd, width, depth, growth, part_kernel)]
        layers.append(conv(nd, width, out_dim, 3, part_kernel=part_kernel))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ConvDecoder(nn.Module):
    """(B, in_dim, T'[, P]) -> (B, width, T' · 2^stages[, P])."""

    def __init__(self, nd: int, in_dim: int, width: int, *, stages: int, depth: int, growth: int,
                 part_kernel: int = 1):
        super().__init__()
        scale = 2 if nd == 1 else (2, 1)
        layers: list[nn.Module] = [conv(nd, in_dim, width, 3, part_kernel=part_kernel), nn.ReLU()]
        for _ in range(stages):
            layers += [res_stack(nd, width, depth, growth, part_kernel), nn.Upsample(scale_factor=scale),
                       conv(nd, width, width, 3, part_kernel=part_kernel)]
        layers += [conv(nd, width, width, 3, part_kernel=part_kernel), nn.ReLU()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
