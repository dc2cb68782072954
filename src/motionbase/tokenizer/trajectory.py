"""The root's code as a *measured* trajectory: sigma-delta quantized heading, forward and sideways steps.

A learned code for the root carries only the speeds it was trained on: a tokenizer that never saw running decodes
a run at walking distance (docs/TOKENIZERS.md, "Generalisation"). With :attr:`TokenizerConfig.trajectory_code`
set, the root component's code of each time step is not learned but computed from the features, and decoded by
formula, so any speed inside the grid's range comes back whatever the action:

* per step (α frames) the root's turn (rad of heading, from feature column 0, which HumanML3D stores as half the
  yaw angle per frame), sideways (column 1) and forward (column 2) displacement (m, in the body's heading frame)
  are summed;
* each axis is quantized to one of its levels (the config's ``trajectory_turn`` / ``_forward`` / ``_side``,
  sorted values, denser where most steps are) by **error feedback** (sigma-delta): the level chosen is the one
  nearest to what the decoded motion still lacks — the turn against the real heading, the two displacements
  against the real position on the floor — so the decoded heading and position stay within about half the gap
  between the levels around a step's value for the whole clip — no drift, however long, also while turning — as
  long as the values lie inside the levels' range;
* the three levels' indices form one code ``(k_turn · n_forward + k_forward) · n_side + k_side`` (< K);
* decoding spreads each step's values evenly over its α frames and smooths them with box filters
  (``trajectory_smooth``, default 8 then 4 frames; unit gain, so distance is kept), which removes the dithering
  error feedback introduces.

The root's height (column 3) and the whole body stay learned. Encoding and decoding here are plain tensor code,
the same at training and at inference.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..features.humanml3d import recover_root

YAW, SIDE, FORWARD = 0, 1, 2          # feature columns: half-yaw per frame, sideways and forward m per frame
COLUMNS = (YAW, FORWARD, SIDE)       # the columns behind the levels' order (turn, forward, sideways)
OUTPUT_COLUMNS = (YAW, SIDE, FORWARD)  # = (0, 1, 2): the order trajectory_columns returns them in
YAW_SCALE = 2.0                       # feature column 0 holds half the heading change (HumanML3D)


def grid_size(levels) -> int:
    """Number of distinct codes the grid uses: n_turn · n_forward · n_side (``levels``: the three level lists)."""
    return math.prod(len(axis) for axis in levels)


def step_sums(feats: Tensor, alpha: int) -> Tensor:
    """Raw features (B, T, D), T a multiple of α -> per step (B, T/α, 3): turn (rad), forward, sideways (m)."""
    B, T, _ = feats.shape
    cols = feats[..., list(COLUMNS)].reshape(B, T // alpha, alpha, 3).sum(2)
    return cols * torch.tensor([YAW_SCALE, 1.0, 1.0], dtype=feats.dtype, device=feats.device)


def _rotations(heading: Tensor) -> Tensor:
    """(...,) heading (rad) -> (..., 2, 2) maps of a body-frame (sideways x, forward z) step onto the floor (x, z),
    as :func:`motionbase.features.humanml3d.recover_root` turns them."""
    c, s = heading.cos(), heading.sin()
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def encode_trajectory(feats: Tensor, alpha: int, levels) -> Tensor:
    """Raw features (B, T, D), T a multiple of α -> root codes (B, T/α) int64, by error feedback.

    The turn is fed back on the heading; the two displacements on the **floor position**: the step's levels are
    the ones nearest to the body-frame step that would bring the decoded position (heading and steps as the
    decoder turns them) onto the real one. So neither heading nor position drifts, also while turning."""
    feats = feats.detach().double()
    B, T, _ = feats.shape
    grids = [torch.tensor(axis, dtype=feats.dtype, device=feats.device) for axis in levels]
    turns = step_sums(feats, alpha)[..., 0]                                  # (B, T')
    root = recover_root(torch.cat([feats, feats[:, -1:]], 1))[1][..., [0, 2]]  # (B, T+1, 2) floor positions
    moves = root[:, alpha::alpha] - root[:, :-1:alpha]                       # (B, T', 2) each step's real move
    frac = torch.arange(1, alpha + 1, dtype=feats.dtype, device=feats.device) / alpha
    heading = torch.zeros(B, dtype=feats.dtype, device=feats.device)       # decoded heading at the step's start
    owed_turn = torch.zeros_like(heading)
    owed = torch.zeros(B, 2, dtype=feats.dtype, device=feats.device)       # real minus decoded floor position
    ks = []
    for t in range(turns.shape[1]):
        want = owed_turn + turns[:, t]
        k_turn = (want[:, None] - grids[0]).abs().argmin(-1)
        turn = grids[0][k_turn]
        owed_turn = want - turn
        # the decoder spreads the step over α frames, each moved along the heading reached after it
        rot = _rotations(heading[:, None] + turn[:, None] * frac).mean(1)    # (B, 2, 2)
        owed = owed + moves[:, t]
        local = torch.linalg.solve(rot, owed)                               # (B, 2): sideways, forward
        k_fwd = (local[:, 1, None] - grids[1]).abs().argmin(-1)
        k_side = (local[:, 0, None] - grids[2]).abs().argmin(-1)
        step = torch.stack([grids[2][k_side], grids[1][k_fwd]], -1)
        owed = owed - (rot @ step[..., None])[..., 0]
        heading = heading + turn
        ks.append((k_turn, k_fwd, k_side))
    k_turn, k_fwd, k_side = (torch.stack(k, 1) for k in zip(*ks))
    n_fwd, n_side = len(levels[1]), len(levels[2])
    return (k_turn * n_fwd + k_fwd) * n_side + k_side


def decode_levels(codes: Tensor, levels, dtype=torch.float32) -> Tensor:
    """Root codes (B, T') -> per-step values (B, T', 3): turn (rad), forward, sideways (m). Codes past the grid (an
    LM may produce any code < K) decode as each axis's level nearest zero: a step that stays put."""
    n_turn, n_fwd, n_side = (len(axis) for axis in levels)
    grids = [torch.tensor(axis, dtype=dtype, device=codes.device) for axis in levels]
    k = (codes // (n_fwd * n_side)) % n_turn, (codes // n_side) % n_fwd, codes % n_side
    steps = torch.stack([g[i] for g, i in zip(grids, k)], -1)
    still = torch.stack([g[g.abs().argmin()] for g in grids])
    return torch.where((codes >= n_turn * n_fwd * n_side)[..., None], still, steps)


def trajectory_columns(codes: Tensor, alpha: int, levels, *, boxes, dtype=torch.float32) -> Tensor:
    """Root codes (B, T') -> feature columns :data:`OUTPUT_COLUMNS` (0, 1, 2) per frame (B, T'·α, 3), smoothed by
    box filters of ``boxes`` frames in turn (``TokenizerConfig.trajectory_smooth``), in raw feature units."""
    steps = decode_levels(codes, levels, dtype)
    x = (steps.repeat_interleave(alpha, 1) / alpha).transpose(1, 2)         # (B, 3, T) per frame
    for n, width in enumerate(boxes):
        left = width // 2 if n % 2 == 0 else width - 1 - width // 2      # passes lean opposite ways: no net delay
        box = torch.full((3, 1, width), 1.0 / width, dtype=dtype, device=codes.device)
        x = F.conv1d(F.pad(x, (left, width - 1 - left), mode="replicate"), box, groups=3)
    turn, fwd, side = x.unbind(1)
    return torch.stack([turn / YAW_SCALE, side, fwd], -1)
