"""Tokenizer loss terms: masks, joint terms through features_to_joints, entropy composition, perceptual hook."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from motionbase.errors import CheckpointError
from motionbase.features.humanml3d import features_to_joints
from motionbase.tokenizer import MotionTokenizer, TokenizerOutput, preset
from motionbase.tokenizer.config import TokenizerLossConfig
from motionbase.tokenizer.losses import TokenizerLoss

DATA = Path(__file__).parent / "data" / "humanml3d"
FEATS = torch.from_numpy(np.load(DATA / "new_joint_vecs" / "000000.npy").astype(np.float32))
STATS = (np.load(DATA / "Mean.npy"), np.load(DATA / "Std.npy"))


def model() -> MotionTokenizer:
    torch.manual_seed(0)
    return MotionTokenizer(preset("lfq2d", width=16, depth=1, codebook_size=64), stats=STATS)


NO_JOINTS = TokenizerLossConfig(joint_loss_weight=0.0, joint_velocity_loss_weight=0.0)


def fake_output(tok, recon_raw, target_raw, losses=None) -> TokenizerOutput:
    return TokenizerOutput(tok.normalize(recon_raw), tok.normalize(target_raw), torch.zeros(1, 1, 5, dtype=torch.long),
                           losses or {})


def test_joint_terms_are_metres_of_recovered_joints():
    tok = model()
    loss = TokenizerLoss(tok.config)
    target = FEATS[None, :40]
    assert all(v == pytest.approx(0, abs=1e-3) for v in loss.terms(tok, fake_output(tok, target, target)).values())
    shifted = target.clone()
    shifted[..., 3] += 0.1  # root height +10 cm: only the root joint moves (ric heights are absolute)
    t = loss.terms(tok, fake_output(tok, shifted, target))
    assert t["joints"].item() == pytest.approx(0.1 / 22, rel=1e-3)
    shifted[..., 5:67:3] += 0.1  # and every other joint's height: all 22 joints move up 0.1 m
    t = loss.terms(tok, fake_output(tok, shifted, target))
    assert t["joints"].item() == pytest.approx(0.1, rel=1e-3)
    assert t["joint_velocity"].item() == pytest.approx(0.0, abs=1e-3)
    jp = features_to_joints(shifted.double())
    assert jp.shape == (1, 40, 22, 3)


def test_mask_ignores_padded_frames():
    tok = model()
    loss = TokenizerLoss(tok.config, NO_JOINTS)
    target = FEATS[None, :30]
    recon = target + 0.01 * torch.randn_like(target)
    plain = loss.terms(tok, fake_output(tok, recon, target))["features"]
    pad_t = torch.cat([target, torch.zeros(1, 10, 263)], 1)
    pad_r = torch.cat([recon, torch.full((1, 10, 263), 5.0)], 1)
    mask = torch.arange(40)[None] < 30
    masked = loss.terms(tok, fake_output(tok, pad_r, pad_t), mask)["features"]
    assert masked.item() == pytest.approx(plain.item(), rel=1e-5)
    assert loss.terms(tok, fake_output(tok, pad_r, pad_t))["features"].item() > 10 * plain.item()


def test_entropy_commitment_and_total():
    tok = model()
    loss = TokenizerLoss(tok.config, NO_JOINTS.replace(entropy_gamma=0.5))
    q = {"commitment": torch.tensor(2.0), "per_sample_entropy": torch.tensor(1.0), "batch_entropy": torch.tensor(4.0)}
    total, logs = loss(tok, fake_output(tok, FEATS[None, :8], FEATS[None, :8], q))
    assert logs["entropy"] == pytest.approx(1.0 - 0.5 * 4.0)
    assert logs["total"] == pytest.approx(0.02 * 2.0 + 0.1 * -1.0 + logs["features"])
    assert total.item() == pytest.approx(logs["total"])


def test_perceptual_hook_is_frozen_and_passes_gradients():
    encoder = nn.Sequential(nn.Linear(263, 8), nn.Tanh())
    tok = model()
    weights = NO_JOINTS.replace(perceptual_weight=1.0)
    with pytest.raises(CheckpointError, match="perceptual"):
        TokenizerLoss(tok.config, weights)
    loss = TokenizerLoss(tok.config, weights, perceptual=encoder)
    assert not any(p.requires_grad for p in encoder.parameters()) and not encoder.training
    tok.train()
    out = tok(FEATS[None, :16])
    total, logs = loss(tok, out)
    assert logs["perceptual"] > 0
    total.backward()
    assert encoder[0].weight.grad is None
    assert tok.decoder.heads[0].weight.grad.abs().sum() > 0


def test_foot_contact_term_is_the_speed_of_the_feet_the_input_has_planted():
    """A real Bandai walk: reconstructed as it is, its planted feet barely move; with the root sliding 1.5x they
    move as much as the slide, and the term equals that speed computed by hand (numpy, the input's contacts)."""
    from .mocap_support import real_features

    tok = model()
    target = torch.from_numpy(real_features("walk-turn")[None, :80])
    assert "foot_contact" not in TokenizerLoss(tok.config).terms(tok, fake_output(tok, target, target))
    loss = TokenizerLoss(tok.config, TokenizerLossConfig(foot_contact_loss_weight=1.0))
    still = loss.terms(tok, fake_output(tok, target, target))["foot_contact"].item()
    slid = target.clone()
    slid[..., 1:3] *= 1.5  # the root's floor step, root frame
    moved = loss.terms(tok, fake_output(tok, slid, target))["foot_contact"].item()

    joints = features_to_joints(tok.denormalize(tok.normalize(slid)).double())[0].numpy()
    contact = target[0, :, 259:263].numpy() > 0.5
    step = contact[1:] & contact[:-1]
    feet = [7, 10, 8, 11]
    speed = np.linalg.norm(np.diff(joints[:, feet][..., [0, 2]], axis=0), axis=-1)
    assert step.sum() > 40  # a walk: feet on the floor most of the time
    assert moved == pytest.approx(speed[step].mean(), rel=1e-3)
    assert still < 0.006 and moved > 0.015  # m per frame at 20 fps: < 0.12 m/s planted, > 0.3 m/s slid
    total, logs = loss(tok, fake_output(tok, slid, target))
    assert logs["foot_contact"] == pytest.approx(moved, rel=1e-6)
