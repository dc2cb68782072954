"""MPJPE, ADE/FDE and codebook utilisation by hand."""

import math

import numpy as np
import pytest

from motionbase.errors import ShapeError
from motionbase.metrics import ade_fde_m, codebook_usage, mpjpe_mm, path_length_m

from .conftest import load_hml


def test_mpjpe_by_hand_on_real_joints():
    gt = load_hml("012314", "new_joints").astype(np.float64)
    shifted = gt + np.array([0.003, 0.004, 0.0])  # every joint 5 mm off
    assert mpjpe_mm(shifted, gt) == pytest.approx(5.0)
    assert mpjpe_mm(shifted, gt, align_root=True) == pytest.approx(0.0, abs=1e-9)
    assert mpjpe_mm(gt, gt) == 0.0
    with pytest.raises(ShapeError, match="equal shapes"):
        mpjpe_mm(gt[:-1], gt)


def test_path_length_on_the_floor_by_hand_and_on_a_real_walk():
    square = np.zeros((5, 2, 3))
    square[:, 0, [0, 2]] = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]  # the root walks a 1 m square
    square[:, 0, 1] = [0.9, 1.0, 0.9, 1.0, 0.9]  # bobbing up and down adds nothing
    assert path_length_m(square) == pytest.approx(4.0)
    assert path_length_m(square, root=1) == 0.0
    walk = load_hml("012314", "new_joints").astype(np.float64)
    straight = np.linalg.norm(walk[-1, 0, [0, 2]] - walk[0, 0, [0, 2]])
    assert straight <= path_length_m(walk) <= 3.0 * len(walk) / 20  # at least start to end, at most 3 m/s
    with pytest.raises(ShapeError):
        path_length_m(walk[0])


def ramp():
    """gt at rest; prediction drifts 0.1 m per frame, joint 0 along X and joint 1 along Y."""
    gt = np.zeros((4, 2, 3))
    pred = np.zeros((4, 2, 3))
    pred[:, 0, 0] = 0.1 * np.arange(4)
    pred[:, 1, 1] = 0.1 * np.arange(4)
    return pred, gt


def test_ade_fde_by_hand():
    pred, gt = ramp()
    # whole-pose error at frame t: |(0.1t, 0, 0, 0, 0.1t, 0)| = sqrt(2) 0.1 t
    ade, fde = ade_fde_m(pred, gt)
    assert ade == pytest.approx(math.sqrt(2) * 0.1 * 1.5)
    assert fde == pytest.approx(math.sqrt(2) * 0.3)
    # prediction: only the generated frames (2, 3)
    assert ade_fde_m(pred, gt, frames=slice(2, None))[0] == pytest.approx(math.sqrt(2) * 0.25)
    # MPJPE averages per joint instead: 0.1 * 1.5 m = 150 mm
    assert mpjpe_mm(pred, gt) == pytest.approx(150.0)


def test_min_ade_fde_over_samples():
    pred, gt = ramp()
    late = pred.copy()
    late[:3] = 0.0  # right until the last frame
    ade, fde = ade_fde_m(np.stack([pred, late]), gt)
    assert ade == pytest.approx(math.sqrt(2) * 0.3 / 4)  # best ADE: the late sample
    assert fde == pytest.approx(math.sqrt(2) * 0.3)  # both end equally far
    with pytest.raises(ShapeError, match="none of 4 frames"):
        ade_fde_m(pred, gt, frames=slice(4, None))
    with pytest.raises(ShapeError, match="equal shapes"):
        ade_fde_m(pred[:, :1], gt)


def test_codebook_usage_by_hand():
    u = codebook_usage(np.array([[0, 0], [1, 1]]), 4)
    assert (u.utilisation, u.used, u.tokens) == (0.5, 2, 4)
    assert u.perplexity == pytest.approx(2.0)
    assert codebook_usage(np.arange(8) % 4, 4).perplexity == pytest.approx(4.0)
    p = np.array([0.5, 0.25, 0.25])  # counts 2, 1, 1
    assert codebook_usage([3, 3, 5, 7], 8).perplexity == pytest.approx(math.exp(-(p * np.log(p)).sum()))


def test_codebook_usage_bad_input():
    with pytest.raises(ShapeError, match=r"\[0, 3\]"):
        codebook_usage([0, 4], 4)
    with pytest.raises(ShapeError, match="integer"):
        codebook_usage([0.0, 1.0], 4)
    with pytest.raises(ShapeError, match="empty"):
        codebook_usage([], 4)
