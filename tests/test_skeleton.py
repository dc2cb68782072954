import numpy as np
import pytest
import torch

from motionbase.skeleton import SMPL22, bone_lengths, forward_kinematics, swing_ik
from motionbase.skeleton.quaternion import (cont6d_to_matrix, matrix_to_quat, qbetween, qfix, qinv, qmul,
                                            qrot, quat_to_cont6d, quat_to_matrix, slerp)

from .conftest import load_hml


@pytest.mark.parametrize("name", ["000000", "012314"])
def test_humanml3d_bone_lengths_match_fixtures(name):
    lengths = bone_lengths(load_hml(name, "new_joints").astype(np.float64), SMPL22)
    assert np.abs(lengths.mean(0) - SMPL22.bone_lengths_m).max() < 2e-7  # float32 files: frames jitter by 1e-6
    assert np.abs(lengths - SMPL22.bone_lengths_m).max() < 2e-6


def test_mirror_map_pairs_left_and_right():
    for j, m in enumerate(SMPL22.mirror):
        name, twin = SMPL22.names[j], SMPL22.names[m]
        assert SMPL22.mirror[m] == j
        assert twin == name.replace("left", "right") if "left" in name else twin == name.replace("right", "left")


def test_quaternion_identities_numpy_and_torch():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(50, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    v = rng.normal(size=(50, 3))
    m = quat_to_matrix(q)
    np.testing.assert_allclose(qrot(q, v), np.einsum("nij,nj->ni", m, v), atol=1e-12)
    np.testing.assert_allclose(qrot(qinv(q), qrot(q, v)), v, atol=1e-12)
    r = rng.normal(size=(50, 4))
    r /= np.linalg.norm(r, axis=-1, keepdims=True)
    np.testing.assert_allclose(quat_to_matrix(qmul(q, r)), m @ quat_to_matrix(r), atol=1e-12)
    np.testing.assert_allclose(cont6d_to_matrix(quat_to_cont6d(q)), m, atol=1e-12)
    back = matrix_to_quat(m)
    np.testing.assert_allclose(np.abs((back * q).sum(-1)), 1.0, atol=1e-12)
    # torch gives the same numbers and gradients flow
    qt = torch.tensor(q, requires_grad=True)
    out = qrot(qt, torch.tensor(v))
    np.testing.assert_allclose(out.detach().numpy(), qrot(q, v), atol=1e-12)
    out.sum().backward()
    assert qt.grad is not None and torch.isfinite(qt.grad).all()
    # scipy agrees on the rotation convention (active, w first)
    from scipy.spatial.transform import Rotation
    np.testing.assert_allclose(Rotation.from_quat(q[:, [1, 2, 3, 0]]).apply(v), qrot(q, v), atol=1e-12)


def test_qbetween_maps_direction_and_slerp_endpoints():
    a = np.array([[1.0, 0, 0], [0, 0, 1]])
    b = np.array([[0, 1.0, 0], [-1.0, 0, 0.001]])
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    np.testing.assert_allclose(qrot(qbetween(a, b), a), b, atol=1e-9)
    q0, q1 = qbetween(a, b)
    np.testing.assert_allclose(slerp(q0, q1, 0.0), q0, atol=1e-12)
    assert abs(abs(np.dot(slerp(q0, q1, 1.0), q1)) - 1) < 1e-12
    flipped = np.stack([q0, -q0, q0])[:, None]
    assert (np.sum(qfix(flipped)[1:] * qfix(flipped)[:-1], -1) > 0).all()


def test_swing_ik_then_fk_reproduces_humanml3d_joints():
    joints = load_hml("012314", "new_joints").astype(np.float64)
    quats = swing_ik(joints, SMPL22, smooth_forward=False)
    rebuilt = forward_kinematics(quats, joints[:, 0], SMPL22)
    # HumanML3D joints live on the HumanML3D skeleton, so swing IK + FK is exact up to float error
    assert np.abs(rebuilt - joints).max() < 2e-6
