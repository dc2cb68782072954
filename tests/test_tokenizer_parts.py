"""Part-level control: re-decode clip A with the arms of clip B (2D tokenizer, body grouping)."""

from pathlib import Path

import numpy as np
import pytest
import torch

from motionbase.errors import MotionbaseError, ShapeError
from motionbase.features.layout import HML3D_LAYOUT
from motionbase.tokenizer import MotionTokenizer, mix_parts, preset, swap_part_codes

DATA = Path(__file__).parent / "data" / "humanml3d"
A = np.load(DATA / "new_joint_vecs" / "000000.npy").astype(np.float32)  # 116 frames
B = np.load(DATA / "new_joint_vecs" / "000612.npy").astype(np.float32)  # 199 frames
STATS = (np.load(DATA / "Mean.npy"), np.load(DATA / "Std.npy"))
ARMS = ["left_arm", "right_arm"]


def body_tokenizer(part_kernel: int) -> MotionTokenizer:
    torch.manual_seed(0)
    cfg = preset("lfq2d", grouping="body", part_kernel=part_kernel, width=16, depth=1, codebook_size=256)
    return MotionTokenizer(cfg, stats=STATS)


def test_swap_codes_takes_the_arms_from_b_and_the_rest_from_a():
    tok = body_tokenizer(3)
    ca, cb = tok.encode(A), tok.encode(B)
    mixed = swap_part_codes(tok, ca, cb, ARMS)
    assert mixed.shape == ca.shape == (29, 6)
    arm_cols = [tok.part_names.index(p) for p in ARMS]
    rest = [i for i in range(6) if i not in arm_cols]
    assert torch.equal(mixed[:, arm_cols], cb[:29, arm_cols])
    assert torch.equal(mixed[:, rest], ca[:, rest])
    assert not torch.equal(mixed, ca) and not torch.equal(mixed[:, arm_cols], ca[:, arm_cols])
    assert torch.equal(ca, tok.encode(A))  # inputs untouched
    first = tok.decode(mixed, num_frames=len(A))
    assert torch.equal(first, tok.decode(mixed, num_frames=len(A)))  # deterministic
    assert torch.equal(first, mix_parts(tok, A, B, ARMS))
    # batched codes work the same way
    assert torch.equal(swap_part_codes(tok, ca[None], cb[None], ARMS)[0], mixed)


def test_with_independent_parts_the_decoded_arms_are_exactly_b_s():
    tok = body_tokenizer(1)  # kernels never span components: each part decodes from its own codes only
    ca, cb = tok.encode(A), tok.encode(B)
    mixed = mix_parts(tok, A, B, ARMS)
    from_a = tok.decode(ca, num_frames=len(A))
    from_b = tok.decode(cb[:len(ca)], num_frames=len(A))
    groups = HML3D_LAYOUT.group_indices("body")
    arm_cols = np.concatenate([groups[p] for p in ARMS])
    rest = np.setdiff1d(np.arange(263), arm_cols)
    assert torch.allclose(mixed[:, arm_cols], from_b[:, arm_cols], atol=1e-5)
    assert torch.allclose(mixed[:, rest], from_a[:, rest], atol=1e-5)
    assert not torch.allclose(from_a[:, arm_cols], from_b[:, arm_cols], atol=1e-3)


def test_part_swap_errors():
    tok = body_tokenizer(3)
    ca, cb = tok.encode(A), tok.encode(B)
    with pytest.raises(MotionbaseError, match="no component 'tail'"):
        swap_part_codes(tok, ca, cb, ["tail"])
    with pytest.raises(ShapeError, match="must cover"):
        swap_part_codes(tok, cb, ca, ARMS)  # B shorter than A
    with pytest.raises(ShapeError, match="expected"):
        swap_part_codes(tok, ca[:, :5], cb, ARMS)
    one_d = MotionTokenizer(preset("lfq1d", width=16, depth=1, codebook_size=64))
    with pytest.raises(MotionbaseError, match="needs a 2D tokenizer"):
        swap_part_codes(one_d, one_d.encode(A), one_d.encode(B), ARMS)


@pytest.mark.parametrize("grouping", ["body", "feature"])
def test_root_trunk_encodes_and_decodes_the_trajectory_from_the_root_alone(grouping):
    torch.manual_seed(0)
    cfg = preset("lfq2d", grouping=grouping, part_kernel=3, root_trunk=True, width=16, depth=1, codebook_size=256)
    tok = MotionTokenizer(cfg, stats=STATS)
    r = tok.part_names.index("root")
    root_cols = HML3D_LAYOUT.group_indices(grouping)["root"]
    other = A.copy()
    other[:, np.setdiff1d(np.arange(263), root_cols)] = B[:len(A), np.setdiff1d(np.arange(263), root_cols)]
    ca, co = tok.encode(A), tok.encode(other)
    assert torch.equal(ca[:, r], co[:, r])              # the body's features never reach the root's codes
    assert not torch.equal(ca, co)                      # ... but they do reach the body's
    mixed = ca.clone()
    mixed[:, [i for i in range(ca.shape[1]) if i != r]] = co[:, [i for i in range(ca.shape[1]) if i != r]]
    da, dm = tok.decode(ca, num_frames=len(A)), tok.decode(mixed, num_frames=len(A))
    assert torch.allclose(da[:, root_cols], dm[:, root_cols], atol=1e-5)   # the trajectory decodes from its codes
    assert not torch.allclose(da, dm, atol=1e-3)
    # with mixing (the default) the body's features do move the root's codes or decoded trajectory
    mixing = MotionTokenizer(preset("lfq2d", grouping=grouping, part_kernel=3, width=16, depth=1,
                                    codebook_size=256), stats=STATS)
    dec = mixing.decode(mixing.encode(A), num_frames=len(A)), mixing.decode(mixing.encode(other), num_frames=len(A))
    assert not torch.allclose(dec[0][:, root_cols], dec[1][:, root_cols], atol=1e-4)


def test_root_trunk_needs_a_2d_encoder():
    from motionbase.config import ConfigError

    with pytest.raises(ConfigError, match="root_trunk=True needs encoder='2d'"):
        preset("lfq1d", root_trunk=True)
