"""The measured trajectory code (``TokenizerConfig.trajectory_code``, tokenizer/trajectory.py): error feedback keeps
the decoded path on the real one at any speed inside the levels, on real runs and over a minute, and the root's
code is the formula's in training and inference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionbase.errors import CheckpointError
from motionbase.features.humanml3d import recover_root
from motionbase.features.layout import FeatureLayout
from motionbase.tokenizer import MotionTokenizer, TokenizerConfig, preset
from motionbase.tokenizer.config import FORWARD_LEVELS, SIDE_LEVELS, TURN_LEVELS
from motionbase.tokenizer.parts import swap_part_codes
from motionbase.tokenizer.trajectory import (decode_levels, encode_trajectory, grid_size, step_sums,
                                             trajectory_columns)

from .mocap_support import real_features

LAYOUT = FeatureLayout()
LEVELS = (TURN_LEVELS, FORWARD_LEVELS, SIDE_LEVELS)
BOXES = TokenizerConfig().trajectory_smooth


def round_trip(feats: np.ndarray) -> np.ndarray:
    """feats with columns 0-2 replaced by the decoded trajectory code."""
    x = torch.from_numpy(feats)[None]
    T = x.shape[1]
    x = torch.cat([x, x[:, -1:].expand(-1, -T % 4, -1)], 1)
    out = feats.copy()
    out[:, :3] = trajectory_columns(encode_trajectory(x, 4, LEVELS), 4, LEVELS, boxes=BOXES)[0, :T].numpy()
    return out


def floor_path(feats: np.ndarray) -> np.ndarray:
    return recover_root(feats)[1][:, [0, 2]]


def gliding(rows: int, speed: float, turn: float = 0.0) -> np.ndarray:
    """A body moving forward at ``speed`` m/frame, turning ``turn`` rad/frame (column 0 holds half of it)."""
    f = np.zeros((rows, LAYOUT.dim), np.float32)
    f[:, 0], f[:, 2], f[:, 3] = turn / 2, speed, 0.9
    return f


@pytest.mark.parametrize("name", ["run", "walk-turn"])
def test_real_clips_keep_their_path(name):
    feats = real_features(name)
    real, decoded = floor_path(feats), floor_path(round_trip(feats))
    err = np.linalg.norm(real - decoded, axis=-1)
    path = np.linalg.norm(np.diff(real, axis=0), axis=-1).sum()
    assert path > (3.0 if name == "run" else 2.0)
    # the run moves ~0.55 m per 4-frame step; the path stays within 0.2 m of the real one, never drifting
    assert err.max() < 0.2, (name, err.max())
    kept = np.linalg.norm(np.diff(decoded, axis=0), axis=-1).sum() / path
    assert 0.95 < kept < 1.05


def test_a_minute_at_running_speed_does_not_drift():
    # 4.4 m/s while turning 0.3 rad/s: speeds between levels are dithered, and the error never accumulates
    feats = gliding(1200, speed=0.22, turn=0.015)
    err = np.linalg.norm(floor_path(feats) - floor_path(round_trip(feats)), axis=-1)
    assert err.max() < 0.15
    assert err[-100:].mean() < 0.15     # at the end of the minute as close as at its start
    heading = np.cumsum(feats[:, 0]) - np.cumsum(round_trip(feats)[:, 0])
    assert np.abs(heading).max() * 2 < 0.06


def test_outside_the_levels_saturates_and_catches_up():
    fast = gliding(40, speed=0.4)               # 8 m/s: more than the top forward level (1.4 m per step)
    steps = decode_levels(encode_trajectory(torch.from_numpy(fast)[None], 4, LEVELS), LEVELS)[0]
    assert torch.allclose(steps[:, 1], torch.tensor(max(FORWARD_LEVELS)))
    stop = np.concatenate([gliding(8, speed=0.4), gliding(40, speed=0.0)])    # then it stops: the code catches up
    err = np.linalg.norm(floor_path(stop) - floor_path(round_trip(stop)), axis=-1)
    assert err[-1] < 0.1 < err[8]


def test_codes_are_in_the_grid_and_any_code_decodes():
    feats = torch.from_numpy(real_features("run"))[None, :40]
    codes = encode_trajectory(feats, 4, LEVELS)
    assert codes.shape == (1, 10) and codes.min() >= 0 and codes.max() < grid_size(LEVELS) == 495
    steps = decode_levels(torch.arange(512)[None], LEVELS)    # codes past the grid: a step that stays put
    assert steps.shape == (1, 512, 3) and torch.all(steps[0, 495:] == 0)
    assert steps[0, 0].tolist() == pytest.approx([TURN_LEVELS[0], FORWARD_LEVELS[0], SIDE_LEVELS[0]])
    assert float(steps[0, 494, 0]) == pytest.approx(max(TURN_LEVELS))
    # the decoded columns keep the distance: their sum over the clip equals the levels' sum (unit-gain smoothing)
    cols = trajectory_columns(codes, 4, LEVELS, boxes=BOXES)
    assert float(cols[0, :, 2].sum()) == pytest.approx(float(decode_levels(codes, LEVELS)[0, :, 1].sum()), rel=0.02)
    assert step_sums(feats, 4).shape == (1, 10, 3)


def tiny(**kw) -> MotionTokenizer:
    torch.manual_seed(0)
    return MotionTokenizer(preset("lfq2d", width=16, depth=1, grouping="body", codebook_size=512,
                                  trajectory_code=True, **kw))


def test_tokenizer_root_codes_are_the_measured_trajectory_in_training_and_inference():
    tok = tiny()
    feats = real_features("run")[:40]     # the 1-s run (42 rows), a multiple of 4 rows
    codes = tok.encode(feats)
    root = tok.part_names.index("root")
    want = encode_trajectory(torch.from_numpy(feats)[None], 4, LEVELS)[0]
    assert torch.equal(codes[:, root], want)
    out = tok(torch.from_numpy(feats)[None])
    assert torch.equal(out.codes[0, :, root], want)
    # the decoded trajectory comes from the root's codes alone: another clip's body codes leave it unchanged
    other = tok.encode(real_features("walk-turn")[:40])
    mixed = swap_part_codes(tok, other, codes, ["root"])
    a, b = tok.decode(codes), tok.decode(mixed)
    assert torch.allclose(a[:, :3], b[:, :3]) and not torch.allclose(a[:, 3:], b[:, 3:])
    # and it is the formula's, untrained net or not
    decoded = tok.decode(codes, num_frames=40).numpy()
    err = np.linalg.norm(floor_path(decoded) - floor_path(feats), axis=-1)
    assert err.max() < 0.2
    # training reconstructs the same columns (normalised space): no gradient reaches them
    assert torch.allclose(tok.denormalize(out.recon)[0, :, :3], torch.from_numpy(decoded[:, :3]), atol=1e-5)


def test_checkpoint_keeps_the_levels(tmp_path):
    tok = tiny(trajectory_forward=(0.0, 0.5, 1.0))
    tok.save_pretrained(tmp_path)
    back = MotionTokenizer.from_pretrained(tmp_path)
    assert back.config.trajectory_code and back.config.trajectory_forward == (0.0, 0.5, 1.0)
    feats = real_features("run")[:32]
    assert torch.equal(back.encode(feats), tok.encode(feats))


def test_bad_trajectory_configs_say_what():
    with pytest.raises(Exception, match="increasing"):
        preset("lfq2d", trajectory_code=True, trajectory_turn=(0.1, -0.1))
    with pytest.raises(Exception, match="trajectory_smooth"):
        preset("lfq2d", trajectory_code=True, trajectory_smooth=(8, 0))
    with pytest.raises(Exception, match="encoder='2d'"):
        preset("lfq1d", trajectory_code=True)
    with pytest.raises(CheckpointError, match="495 codes; this quantizer has 256"):
        MotionTokenizer(preset("lfq2d", width=16, depth=1, codebook_size=256, trajectory_code=True))
    assert not TokenizerConfig().trajectory_code      # off by default: existing checkpoints load as they were
