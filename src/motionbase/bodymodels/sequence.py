"""A body-model sequence (per-frame axis-angle pose of every model joint, translation, shape) -> SMPL-52 joints.

Steps (HumanML3D's ``raw_pose_processing`` / Motion-X's ``raw_pose_processing``, with slerp resampling):

1. resample to 20 fps: joint rotations by slerp of their quaternions, translation linearly (a whole-number
   ratio such as 120 -> 20 fps keeps every 6th frame exactly, as HumanML3D's ``down_sample`` does);
2. run the body model: rest joints from the shape (``betas``), forward kinematics (``smplx.lbs``), + translation;
3. keep the SMPL-52 joints (SMPL-X: drop jaw and eyes);
4. Z-up -> Y-up as HumanML3D does for AMASS: ``(x, y, z) -> (-x, z, y)`` (a rotation: swap Y/Z, negate X).
   Motion-X's SMPL-X files are already Y-up (``up="y"``: no change).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BodyModelError
from ..skeleton.quaternion import quat_to_matrix
from ..skeleton.resample import resample_linear, resample_plan, resample_quats
from .files import SMPL52_FROM, BodyModel

UP_AXES = ("y", "z")
# HumanML3D: joints @ [[1,0,0],[0,0,1],[0,1,0]], then x *= -1
Z_UP_TO_Y_UP = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


@dataclass
class BodySequence:
    """poses (T, J*3) axis-angle of all J model joints (the hand mean already added where the dataset uses
    one); trans (T, 3) metres; betas (B,); fps of the source; kind "smplh"/"smplx"; gender; up "z"/"y"."""

    kind: str
    gender: str
    poses: np.ndarray
    trans: np.ndarray
    betas: np.ndarray
    fps: float
    up: str
    file: str = ""

    @property
    def num_frames(self) -> int:
        return int(self.poses.shape[0])


def axis_angle_to_quat(aa: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle radians -> (..., 4) unit (w, x, y, z)."""
    angle = np.linalg.norm(aa, axis=-1, keepdims=True)
    half = 0.5 * angle
    scale = np.where(angle > 1e-8, np.sin(half) / np.maximum(angle, 1e-12), 0.5 - angle ** 2 / 48.0)
    return np.concatenate([np.cos(half), aa * scale], axis=-1)


def rest_joints(model: BodyModel, betas: np.ndarray) -> np.ndarray:
    """(J, 3) rest joints of shape ``betas`` (extra betas beyond the model's are ignored, missing ones are 0)."""
    b = np.zeros(model.num_betas)
    n = min(len(betas), model.num_betas)
    b[:n] = betas[:n]
    return model.joints_template + model.joints_shapedirs @ b


def posed_joints(model: BodyModel, rotmats: np.ndarray, betas: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """(T, J, 3, 3) joint rotations -> (T, J, 3) joints (the model's ``Jtr``, via ``smplx.lbs``)."""
    import torch
    from smplx.lbs import batch_rigid_transform

    T = rotmats.shape[0]
    rest = torch.as_tensor(rest_joints(model, betas))[None].expand(T, -1, -1)
    with torch.no_grad():
        posed, _ = batch_rigid_transform(torch.as_tensor(rotmats, dtype=torch.float64), rest.contiguous(),
                                         torch.as_tensor(model.parents), dtype=torch.float64)
    return posed.numpy() + trans[:, None, :]


def sequence_joints(seq: BodySequence, model: BodyModel, fps: float = 20.0) -> np.ndarray:
    """(T', 52, 3) SMPL-52 joints in metres, Y up, at ``fps`` (see the module docstring)."""
    J = model.num_joints
    if seq.poses.shape[1] != 3 * J:
        raise BodyModelError(f"{seq.file}: {seq.poses.shape[1]} pose values per frame for a {J}-joint "
                             f"{model.kind.upper()} model (expected {3 * J})")
    if seq.up not in UP_AXES:
        raise BodyModelError(f"{seq.file}: up axis {seq.up!r}, expected one of {', '.join(UP_AXES)}")
    plan = resample_plan(seq.num_frames, seq.fps, fps)
    frames = plan.needed_frames()
    sub = plan.restricted_to(frames)
    quats = axis_angle_to_quat(seq.poses[frames].reshape(len(frames), J, 3))
    quats = resample_quats(quats, sub)
    trans = resample_linear(seq.trans[frames], sub)
    joints = posed_joints(model, quat_to_matrix(quats), seq.betas, trans)[:, list(SMPL52_FROM[model.kind])]
    if seq.up == "z":
        joints = joints @ Z_UP_TO_Y_UP.T
    return joints


def check_finite(array: np.ndarray, path: Path | str, what: str) -> None:
    """:class:`BodyModelError` naming the file and first frame where ``array`` (T, ...) has NaN/inf."""
    bad = ~np.isfinite(array.reshape(array.shape[0], -1)).all(axis=1)
    if bad.any():
        raise BodyModelError(f"{path}, frame {int(np.argmax(bad))}: NaN/inf in {what}")
