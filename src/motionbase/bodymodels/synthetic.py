"""Synthetic SMPL-X and SMPL-H model files in the real format (for tests, benchmarks and trying the commands
without the licensed files; they are NOT the real models: the bodies they give are only roughly human).

Small SMPL-X and SMPL-H model files in the real format (``SMPLX_NEUTRAL.npz`` keys and shapes), for testing the fit.

The real model (10,475 vertices) cannot be shipped. This one has the same arrays: ``v_template`` (V, 3),
``f``, ``J_regressor`` (55, V), ``weights`` (V, 55), ``kintree_table`` (2, 55) with SMPL-X's real parents,
``shapedirs`` (V, 3, 20), ``posedirs`` (V, 3, 486), hand PCA and landmark arrays. V = 9,930, the fewest
that hold every vertex index ``smplx`` reads (its eye landmark is vertex 9,929). Each joint owns a cluster of
vertices around its rest position (the SMPL-22 rest pose for the body); the regressor averages the
cluster; each shape direction moves the clusters so that bone lengths change.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import SMPL22
from ..skeleton.kinematics import forward_kinematics

SMPLX_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15, 15,
                 20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,
                 21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53]
NUM_VERTS = 9930


def rest_joints() -> np.ndarray:
    """(55, 3) rest joint positions: SMPL-22's rest pose, jaw/eyes at the head, fingers beyond the wrists."""
    quats = np.zeros((1, 22, 4))
    quats[..., 0] = 1.0
    body = forward_kinematics(quats, np.array([[0.0, 0.9, 0.0]]), SMPL22)[0]
    J = np.zeros((55, 3))
    J[:22] = body
    J[22] = body[15] + [0.0, -0.05, 0.06]
    J[23] = body[15] + [0.03, 0.03, 0.08]
    J[24] = body[15] + [-0.03, 0.03, 0.08]
    for start, wrist, elbow in ((25, 20, 18), (40, 21, 19)):
        d = body[wrist] - body[elbow]
        d /= np.linalg.norm(d)
        for finger in range(5):
            side = np.array([0.0, 0.0, 0.02 * (finger - 2)])
            for k in range(3):
                J[start + 3 * finger + k] = body[wrist] + d * 0.03 * (k + 1.5) + side
    return J


SMPLH_PARENTS = SMPLX_PARENTS[:22] + [p - 3 if p >= 25 else p for p in SMPLX_PARENTS[25:]]
SMPLH_VERTS = 6890  # SMPL-H's vertex count (smplx reads extra joints at vertex ids up to 6,8xx)


def _write_model(path, J: np.ndarray, parents: list[int], num_verts: int, extra: dict, seed: int,
                 num_betas: int = 20) -> None:
    rng = np.random.default_rng(seed)
    nj = len(parents)
    owner = np.arange(num_verts) % nj
    noise = rng.normal(0.0, 0.03, (num_verts, 3))
    counts = np.bincount(owner, minlength=nj)[:, None]
    mean = np.stack([np.bincount(owner, noise[:, c], minlength=nj) for c in range(3)], axis=1) / counts
    v = J[owner] + noise - mean[owner]  # clusters centred on their joints, so the regressor gives J
    regressor = np.zeros((nj, num_verts))
    regressor[owner, np.arange(num_verts)] = 1.0
    regressor /= regressor.sum(1, keepdims=True)
    weights = np.zeros((num_verts, nj))
    weights[np.arange(num_verts), owner] = 1.0
    # shape directions: each moves every joint's cluster along a random, bone-scaled direction
    per_joint = rng.normal(0.0, 0.02, (nj, 3, num_betas))
    shapedirs = per_joint[owner]
    np.savez_compressed(path, v_template=v, f=np.array([[0, 1, 2], [2, 3, 0]], dtype=np.int64), J_regressor=regressor,
                        weights=weights, kintree_table=np.stack([np.array(parents) % (2 ** 32), np.arange(nj)]),
                        shapedirs=shapedirs, posedirs=np.zeros((num_verts, 3, 9 * (nj - 1)), dtype=np.float32),
                        **extra)


def _hands(hand_mean: float) -> dict:
    return dict(hands_componentsl=np.eye(45), hands_componentsr=np.eye(45), hands_meanl=np.full(45, hand_mean),
                hands_meanr=np.full(45, -hand_mean))


def write_test_smplx(path, seed: int = 0, hand_mean: float = 0.0) -> None:
    """Write a small SMPL-X model ``.npz`` at ``path`` (``hand_mean``: every hand-mean angle, radians)."""
    _write_model(path, rest_joints(), SMPLX_PARENTS, NUM_VERTS,
                 dict(_hands(hand_mean), lmk_faces_idx=np.zeros(51, dtype=np.int64),
                      lmk_bary_coords=np.full((51, 3), 1 / 3)), seed)


def write_test_smplh(path, seed: int = 0, hand_mean: float = 0.0) -> None:
    """Write a small SMPL-H model ``.npz`` (AMASS's "Extended SMPL+H" keys; 52 joints, 16 betas) at ``path``."""
    J = rest_joints()[list(range(22)) + list(range(25, 55))]
    _write_model(path, J, SMPLH_PARENTS, SMPLH_VERTS, _hands(hand_mean), seed, num_betas=16)


def write_test_body_models(root, hand_mean: float = 0.1) -> None:
    """``root/smplh/SMPLH_{MALE,FEMALE}.npz`` and ``root/smplx/SMPLX_NEUTRAL.npz``, as motionbase looks for them."""
    from pathlib import Path

    root = Path(root)
    (root / "smplh").mkdir(parents=True, exist_ok=True)
    (root / "smplx").mkdir(parents=True, exist_ok=True)
    write_test_smplh(root / "smplh" / "SMPLH_MALE.npz", seed=1, hand_mean=hand_mean)
    write_test_smplh(root / "smplh" / "SMPLH_FEMALE.npz", seed=2, hand_mean=hand_mean)
    write_test_smplx(root / "smplx" / "SMPLX_NEUTRAL.npz", seed=3, hand_mean=hand_mean)
