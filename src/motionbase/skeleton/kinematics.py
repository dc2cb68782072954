"""Forward kinematics and HumanML3D's swing-only inverse kinematics.

Convention (HumanML3D's ``Skeleton``): ``local_quats[:, j]`` rotates the BONE that ends at joint j,
relative to the accumulated rotation of its chain; the root quaternion orients the whole body.
Joint j is placed at ``pos[parent] + R_chain(j) · offset[j]``. BVH-style joint rotations
(where a joint's rotation moves its children) live in :mod:`motionbase.formats.bvh`.
"""

from __future__ import annotations

import numpy as np

from .definition import Skeleton
from .quaternion import qbetween, qinv, qmul, qrot


def facing_direction(joints: np.ndarray, skel: Skeleton, *, hips_as_humanml3d_ik: bool = False,
                     smooth_sigma: float = 0.0) -> np.ndarray:
    """Unit forward direction in the XZ plane, (T, 3), from hips and shoulders.

    HumanML3D's IK passes its face indices in a swapped order, so the hip vector enters with the
    opposite sign (the shoulders dominate, so the direction is still forward). Set
    ``hips_as_humanml3d_ik`` to reproduce that exactly; the default is the geometric version.
    """
    r_hip, l_hip, r_sh, l_sh = skel.face_joints
    hips = joints[:, r_hip] - joints[:, l_hip]
    if hips_as_humanml3d_ik:
        hips = -hips
    across = hips + (joints[:, r_sh] - joints[:, l_sh])
    across = across / np.linalg.norm(across, axis=-1, keepdims=True)
    forward = np.cross(np.array([[0.0, 1.0, 0.0]]), across)
    if smooth_sigma > 0:
        from scipy.ndimage import gaussian_filter1d  # scipy.ndimage: 0.2-0.3 s of a model load that never calls this

        forward = gaussian_filter1d(forward, smooth_sigma, axis=0, mode="nearest")
    return forward / np.linalg.norm(forward, axis=-1, keepdims=True)


def root_facing_quat(forward: np.ndarray) -> np.ndarray:
    """Quaternion rotating ``forward`` onto +Z (so the body faces +Z), (T, 4)."""
    target = np.broadcast_to(np.array([0.0, 0.0, 1.0]), forward.shape)
    return qbetween(forward, target)


def swing_ik(joints: np.ndarray, skel: Skeleton, *, smooth_forward: bool,
             identity_first_root: bool = False) -> np.ndarray:
    """HumanML3D's ``inverse_kinematics_np``: (T, J, 3) joints -> (T, J, 4) local quaternions.

    Each bone gets the shortest-arc rotation from its rest direction to its observed direction,
    relative to its chain; every chain restarts from the root rotation (so arms ignore the spine
    twist). Twist is never recovered: these are HumanML3D's feature rotations, not a rig's.
    """
    forward = facing_direction(joints, skel, hips_as_humanml3d_ik=True,
                               smooth_sigma=20.0 if smooth_forward else 0.0)
    root_quat = root_facing_quat(forward)
    if identity_first_root:
        root_quat[0] = (1.0, 0.0, 0.0, 0.0)
    quats = np.zeros(joints.shape[:-1] + (4,))
    quats[:, 0] = root_quat
    for chain in skel.chains:
        rot = root_quat
        for a, b in zip(chain[:-1], chain[1:]):
            u = np.broadcast_to(skel.raw_offsets[b], joints[:, b].shape)
            v = joints[:, b] - joints[:, a]
            v = v / np.linalg.norm(v, axis=-1, keepdims=True)
            local = qmul(qinv(rot), qbetween(u, v))
            quats[:, b] = local
            rot = qmul(rot, local)
    return quats


def forward_kinematics(local_quats: np.ndarray, root_pos: np.ndarray, skel: Skeleton,
                       offsets_m: np.ndarray | None = None) -> np.ndarray:
    """(T, J, 4) local quaternions + (T, 3) root positions -> (T, J, 3) joints (metres)."""
    offsets = skel.offsets_m if offsets_m is None else offsets_m
    joints = np.zeros(local_quats.shape[:-1] + (3,))
    joints[:, 0] = root_pos
    for chain in skel.chains:
        rot = local_quats[:, 0]
        for a, b in zip(chain[:-1], chain[1:]):
            rot = qmul(rot, local_quats[:, b])
            joints[:, b] = qrot(rot, np.broadcast_to(offsets[b], joints[:, b].shape)) + joints[:, a]
    return joints


def bone_lengths(joints: np.ndarray, skel: Skeleton) -> np.ndarray:
    """(T, J, 3) -> (T, J) distance of every joint to its parent (0 for roots)."""
    parents = np.array([max(p, 0) for p in skel.parents])
    return np.linalg.norm(joints - joints[:, parents], axis=-1)
