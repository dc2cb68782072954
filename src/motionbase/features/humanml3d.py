"""Joints (T, J, 3) <-> HumanML3D features (T-1, 4 + 9(J-1) + 3J + 4), following HumanML3D's
``motion_representation`` step by step (see docs/FORMATS.md for the tolerances we reach on its own files).

Processing of ``joints_to_features`` (input: metres, Y up, 20 fps):
1. uniform skeleton: swing IK on the source joints, FK on HumanML3D's bone lengths; the root trajectory is
   scaled by the ratio of leg lengths (shin + foot-drop bones);
2. floor: subtract the minimum Y over all joints and frames;
3. origin: subtract the root's first-frame XZ;
4. facing: rotate about Y so that the first frame faces +Z (hips + shoulders);
5. foot contacts: squared per-frame displacement of ankle/foot joints below ``feet_threshold`` (m^2);
6. rotations: swing IK with the forward direction smoothed over the whole clip (Gaussian, sigma 20 frames);
   root yaw velocity, root XZ velocity in the root frame, root height, root-relative positions (ric),
   6D joint rotations, root-frame joint velocities; T frames give T-1 rows.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..skeleton import SMPL22, Skeleton
from ..skeleton.kinematics import facing_direction, forward_kinematics, root_facing_quat, swing_ik
from ..skeleton.quaternion import _is_torch, qinv, qmul, qrot, quat_to_cont6d, yaw_quat
from .layout import FeatureLayout

FEET_THRESHOLD = 0.002  # HumanML3D's velocity threshold (squared metres per frame)


def _check_joints(joints: np.ndarray, skel: Skeleton, min_frames: int = 2) -> np.ndarray:
    j = np.asarray(joints, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (skel.num_joints, 3):
        raise ShapeError(f"joints have shape {j.shape}, expected (T, {skel.num_joints}, 3)")
    if j.shape[0] < min_frames:
        raise ShapeError(f"joints have {j.shape[0]} frame(s), expected at least {min_frames}")
    bad = ~np.isfinite(j).all(axis=(1, 2))
    if bad.any():
        raise ShapeError(f"joints contain NaN/inf at frame {int(np.argmax(bad))}")
    return j


def uniform_skeleton(joints: np.ndarray, skel: Skeleton = SMPL22) -> np.ndarray:
    """Re-pose ``joints`` on ``skel``'s bone lengths (HumanML3D's ``uniform_skeleton``)."""
    src_lengths = np.linalg.norm(joints[0, 1:] - joints[0, list(skel.parents[1:])], axis=-1)
    src_offsets = np.concatenate([[np.zeros(3)], skel.raw_offsets[1:] * src_lengths[:, None]])
    a, b = skel.leg_joints
    src_leg = np.abs(src_offsets[a]).max() + np.abs(src_offsets[b]).max()
    tgt_leg = np.abs(skel.offsets_m[a]).max() + np.abs(skel.offsets_m[b]).max()
    quats = swing_ik(joints, skel, smooth_forward=False)
    return forward_kinematics(quats, joints[:, 0] * (tgt_leg / src_leg), skel)


def foot_contacts(joints: np.ndarray, skel: Skeleton = SMPL22,
                  threshold: float = FEET_THRESHOLD) -> np.ndarray:
    """(T, J, 3) -> (T-1, n_left + n_right) contact flags in {0, 1}."""
    feet = list(skel.feet_left + skel.feet_right)
    disp2 = ((joints[1:, feet] - joints[:-1, feet]) ** 2).sum(-1)
    return (disp2 < threshold).astype(np.float64)


def canonicalize(joints: np.ndarray, skel: Skeleton = SMPL22, *, uniform: bool = True) -> np.ndarray:
    """Steps 1-4: uniform skeleton, floor at y=0, root starts at XZ origin, first frame faces +Z."""
    pos = uniform_skeleton(joints, skel) if uniform else joints.copy()
    pos[:, :, 1] -= pos.min(axis=(0, 1))[1]
    pos = pos - pos[0, 0] * np.array([1.0, 0.0, 1.0])
    forward0 = facing_direction(pos[:1], skel)
    return qrot(root_facing_quat(forward0)[:, None], pos)


def joints_to_features(joints_m: np.ndarray, skel: Skeleton = SMPL22, *,
                       feet_threshold: float = FEET_THRESHOLD, uniform: bool = True) -> np.ndarray:
    """(T, J, 3) joints in metres, Y up, 20 fps -> (T-1, D) float32 HumanML3D features."""
    pos = canonicalize(_check_joints(joints_m, skel), skel, uniform=uniform)
    contacts = foot_contacts(pos, skel, feet_threshold)

    quats = swing_ik(pos, skel, smooth_forward=True, identity_first_root=True)
    r_rot = quats[:, 0]
    root_vel = qrot(r_rot[1:], pos[1:, 0] - pos[:-1, 0])
    yaw_vel = np.arcsin(np.clip(qmul(r_rot[1:], qinv(r_rot[:-1]))[:, 2:3], -1.0, 1.0))

    local = pos.copy()
    local[..., 0] -= local[:, :1, 0]
    local[..., 2] -= local[:, :1, 2]
    local = qrot(r_rot[:, None], local)
    joint_vel = qrot(r_rot[:-1, None], pos[1:] - pos[:-1])

    T = pos.shape[0]
    feats = np.concatenate([
        yaw_vel, root_vel[:, [0, 2]], local[:-1, 0, 1:2],
        local[:-1, 1:].reshape(T - 1, -1),
        quat_to_cont6d(quats[:-1, 1:]).reshape(T - 1, -1),
        joint_vel.reshape(T - 1, -1),
        contacts,
    ], axis=-1)
    return feats.astype(np.float32)


def _check_features(feats, layout: FeatureLayout):
    if feats.ndim < 2 or feats.shape[-1] != layout.dim:
        raise ShapeError(f"features have shape {tuple(feats.shape)}, expected (..., N, {layout.dim})")


def recover_root(feats, layout: FeatureLayout = FeatureLayout()):
    """(..., N, D) -> (yaw quaternions (..., N, 4), root positions (..., N, 3)); numpy or torch."""
    _check_features(feats, layout)
    yaw_vel = feats[..., 0]
    if _is_torch(feats):
        import torch

        angle = torch.cumsum(torch.cat([torch.zeros_like(yaw_vel[..., :1]), yaw_vel[..., :-1]], -1), -1)
        step = torch.zeros(feats.shape[:-1] + (3,), dtype=feats.dtype, device=feats.device)
    else:
        angle = np.cumsum(np.concatenate([np.zeros_like(yaw_vel[..., :1]), yaw_vel[..., :-1]], -1), -1)
        step = np.zeros(feats.shape[:-1] + (3,), dtype=feats.dtype)
    quat = yaw_quat(2 * angle)  # HumanML3D stores cos(a), sin(a) directly: a rotation by 2a about Y
    step[..., 1:, 0] = feats[..., :-1, 1]
    step[..., 1:, 2] = feats[..., :-1, 2]
    step = qrot(qinv(quat), step)
    root = step.cumsum(-2) if _is_torch(step) else np.cumsum(step, axis=-2)
    root[..., 1] = feats[..., 3]
    return quat, root


def features_to_joints(feats, layout: FeatureLayout = FeatureLayout(), *, final_frame: bool = False):
    """(..., N, D) HumanML3D features -> (..., N, J, 3) joints (HumanML3D's ``recover_from_ric``).

    Works on numpy arrays and torch tensors (differentiable), any leading batch dims.
    N rows describe N+1 frames; HumanML3D's recovery returns the first N. With ``final_frame`` the
    last frame is added too, from the last row's joint velocities, so that ``joints_to_features``
    of the result gives back all N rows (HumanML3D's own files: to 1e-5, see tests).
    """
    joints = _features_to_joints(feats, layout)
    if not final_frame:
        return joints
    quat_all, _ = recover_root(feats, layout)
    vel = feats[..., -1, layout.slices["vel"]].reshape(tuple(feats.shape[:-2]) + (layout.num_joints, 3))
    last = joints[..., -1, :, :] + qrot(qinv(quat_all[..., -1, None, :]), vel)
    if _is_torch(joints):
        import torch

        return torch.cat([joints, last[..., None, :, :]], -3)
    return np.concatenate([joints, last[..., None, :, :]], -3)


def _features_to_joints(feats, layout: FeatureLayout):
    quat, root = recover_root(feats, layout)
    J = layout.num_joints
    ric = feats[..., layout.slices["ric"]].reshape(tuple(feats.shape[:-1]) + (J - 1, 3))
    world = qrot(qinv(quat)[..., None, :], ric)
    world[..., 0] = world[..., 0] + root[..., None, 0]
    world[..., 2] = world[..., 2] + root[..., None, 2]
    if _is_torch(world):
        import torch

        return torch.cat([root[..., None, :], world], -2)
    return np.concatenate([root[..., None, :], world], -2)
