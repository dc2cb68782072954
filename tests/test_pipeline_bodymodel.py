"""Optional SMPL-X fit (motionbase.pipeline.bodymodel) with a small body-model file in SMPL-X's own format
(tests/smplx_support.py), loaded by the smplx package."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.errors import CheckpointError, ShapeError

from .pipeline_support import needs_smplx
from .smplx_support import write_test_smplx

pytestmark = needs_smplx


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("smplx") / "SMPLX_NEUTRAL.npz"
    write_test_smplx(path)
    return path


@pytest.fixture(scope="module")
def truth(model_file):
    """Known parameters for 20 frames of a smooth random motion, and the joints the model gives for them."""
    import torch

    from motionbase.pipeline.bodymodel import load_smplx

    rng = np.random.default_rng(1)
    T = 20
    params = {
        "betas": rng.normal(0.0, 1.0, 10),
        "global_orient": np.cumsum(rng.normal(0.0, 0.05, (T, 3)), 0) + [0.0, 1.0, 0.0],
        "body_pose": np.cumsum(rng.normal(0.0, 0.03, (T, 63)), 0),
        "transl": np.cumsum(rng.normal(0.0, 0.02, (T, 3)), 0),
    }
    model = load_smplx(str(model_file))
    t = {k: torch.tensor(v, dtype=torch.float32) for k, v in params.items()}
    zeros = lambda n: torch.zeros(T, n)  # noqa: E731
    with torch.no_grad():  # the package's own forward pass, mesh and all
        out = model(betas=t["betas"][None].expand(T, -1), global_orient=t["global_orient"], body_pose=t["body_pose"],
                    transl=t["transl"], jaw_pose=zeros(3), leye_pose=zeros(3), reye_pose=zeros(3),
                    left_hand_pose=zeros(45), right_hand_pose=zeros(45), expression=zeros(10))
    return params, out.joints[:, :22].numpy().astype(np.float64), out.vertices.shape


def test_fast_joints_equal_the_packages_forward_pass(model_file, truth):
    import torch

    from motionbase.pipeline.bodymodel import body_joints, load_smplx

    params, joints, vert_shape = truth
    assert vert_shape == (20, 9930, 3)
    t = {k: torch.tensor(v, dtype=torch.float32) for k, v in params.items()}
    fast = body_joints(load_smplx(str(model_file)), t["betas"], t["global_orient"], t["body_pose"], t["transl"])
    np.testing.assert_allclose(fast.detach().numpy(), joints, atol=2e-6)


def test_fit_recovers_the_joints(model_file, truth):
    from motionbase.pipeline.bodymodel import fit_smplx

    params, joints, _ = truth
    fit = fit_smplx(joints, model_file)
    assert fit.error_m < 0.003
    assert np.linalg.norm(fit.joints_m - joints, axis=-1).max() < 0.01
    assert fit.body_pose.shape == (20, 63) and fit.global_orient.shape == (20, 3) and fit.betas.shape == (10,)
    np.testing.assert_allclose(fit.transl, params["transl"], atol=0.02)
    arrays = fit.arrays()
    assert set(arrays) == {"betas", "global_orient", "body_pose", "transl", "joints_m", "error_m"}


def test_missing_or_broken_models_are_one_line_errors(tmp_path):
    from motionbase.pipeline.bodymodel import fit_smplx

    joints = np.zeros((4, 22, 3))
    with pytest.raises(CheckpointError, match="no SMPL-X model here"):
        fit_smplx(joints, tmp_path)
    broken = tmp_path / "SMPLX_NEUTRAL.npz"
    np.savez(broken, v_template=np.zeros((3, 3)))
    with pytest.raises(CheckpointError, match="not a usable SMPL-X model file"):
        fit_smplx(joints, broken)
    with pytest.raises(ShapeError, match=r"expected finite \(T, 22, 3\)"):
        fit_smplx(np.zeros((4, 21, 3)), broken)
