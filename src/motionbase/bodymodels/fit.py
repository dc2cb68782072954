"""Joints -> SMPL-X parameters by fitting, body and hands (extends :mod:`motionbase.pipeline.bodymodel`).

Targets are SMPL-52 joints (T, 52, 3) (body + fingers) or SMPL-22 joints (T, 22, 3) (body only; the hands
stay flat), metres, Y up. The model's joints are computed exactly as on import (rest joints from the
regressor folded into the template and shape space, ``smplx.lbs`` forward kinematics over all 55 SMPL-X
joints, jaw and eyes at rest). Unknowns: ``betas`` (10, per clip), ``global_orient`` (T, 3), ``body_pose``
(T, 63), ``hand_pose`` (T, 90, left then right, absolute: the hand mean not subtracted), ``transl`` (T, 3).
L-BFGS on the mean squared joint error + small priors (pose and shape magnitude, frame-to-frame change),
first orientation and translation, then everything (:func:`motionbase.pipeline.bodymodel.lbfgs_rounds`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Config
from ..errors import BodyModelError, ShapeError
from ..pipeline.bodymodel import _yaw_axis_angle, lbfgs_rounds
from .files import SMPL52_FROM, BodyModel


@dataclass(frozen=True)
class WholeBodyFitConfig(Config):
    num_betas: int = 10
    steps: int = 4  # L-BFGS rounds: orientation and translation first, then everything (restarted)
    max_iter: int = 60  # L-BFGS iterations per round
    pose_prior: float = 1e-6  # weight of |body_pose|^2 + |hand_pose|^2 (radians^2)
    shape_prior: float = 1e-6  # weight of |betas|^2
    smooth: float = 1e-4  # weight of the frame-to-frame change of pose and translation


@dataclass
class WholeBodyFit:
    """Fitted SMPL-X parameters (see the module docstring); joints_m (T, J, 3) the fitted joints on the target's
    layout; error_m / hand_error_m: mean joint distance to the target over all / the finger joints (metres)."""

    betas: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    hand_pose: np.ndarray
    transl: np.ndarray
    joints_m: np.ndarray
    error_m: float
    hand_error_m: float


def smplx_joints_torch(model: BodyModel, betas, orient, body, hands, transl, joints: tuple[int, ...]):
    """SMPL-X joints ``joints`` (T, len, 3) as torch from (B,), (T, 3), (T, 63), (T, 90), (T, 3)."""
    import torch
    from smplx.lbs import batch_rigid_transform, batch_rodrigues

    if model.kind != "smplx":
        raise BodyModelError(f"{model.path}: fitting needs an SMPL-X model, got {model.kind.upper()}")
    dtype = betas.dtype
    nb = betas.shape[0]
    rest = torch.as_tensor(model.joints_template, dtype=dtype) + \
        torch.as_tensor(model.joints_shapedirs[..., :nb], dtype=dtype) @ betas
    T = orient.shape[0]
    face = torch.zeros(T, 9, dtype=dtype)
    full = torch.cat([orient, body, face, hands], dim=1)
    rot = batch_rodrigues(full.reshape(-1, 3)).reshape(T, 55, 3, 3)
    posed, _ = batch_rigid_transform(rot, rest.expand(T, -1, -1), torch.as_tensor(model.parents), dtype=dtype)
    return posed[:, list(joints)] + transl[:, None, :]


def fit_smplx_wholebody(joints_m: np.ndarray, model: BodyModel,
                        config: WholeBodyFitConfig = WholeBodyFitConfig()) -> WholeBodyFit:
    """Fit SMPL-X to (T, 52, 3) or (T, 22, 3) joints, metres, Y up."""
    import torch

    target_np = np.asarray(joints_m, dtype=np.float64)
    if target_np.ndim != 3 or target_np.shape[1:] not in ((52, 3), (22, 3)) or not np.isfinite(target_np).all():
        raise ShapeError(f"smplx fit: joints of shape {target_np.shape}, expected finite (T, 52, 3) or (T, 22, 3)")
    idx = SMPL52_FROM["smplx"][:target_np.shape[1]]
    dtype = torch.float64
    target = torch.as_tensor(target_np, dtype=dtype)
    T = target.shape[0]
    betas = torch.zeros(min(config.num_betas, model.num_betas), dtype=dtype, requires_grad=True)
    orient = torch.as_tensor(_yaw_axis_angle(target_np[:, :22]), dtype=dtype).requires_grad_(True)
    body = torch.zeros(T, 63, dtype=dtype, requires_grad=True)
    hands = torch.zeros(T, 90, dtype=dtype, requires_grad=True)
    zeros = torch.zeros(1, 3, dtype=dtype)
    with torch.no_grad():
        rest_pelvis = smplx_joints_torch(model, betas, zeros, torch.zeros(1, 63, dtype=dtype),
                                         torch.zeros(1, 90, dtype=dtype), zeros, (0,))[0, 0]
    transl = (target[:, 0] - rest_pelvis).clone().requires_grad_(True)

    def loss_fn():
        joints = smplx_joints_torch(model, betas, orient, body, hands, transl, idx)
        loss = ((joints - target) ** 2).sum(-1).mean()
        pose = torch.cat([body, hands], dim=1)
        loss = loss + config.pose_prior * (pose ** 2).sum(-1).mean() + config.shape_prior * (betas ** 2).sum()
        if T > 1:
            loss = loss + config.smooth * (((pose[1:] - pose[:-1]) ** 2).sum(-1).mean()
                                           + ((transl[1:] - transl[:-1]) ** 2).sum(-1).mean())
        return loss

    params = [betas, orient, body, transl] + ([hands] if len(idx) > 22 else [])
    lbfgs_rounds([orient, transl], params, loss_fn, config.steps, config.max_iter)
    with torch.no_grad():
        joints = smplx_joints_torch(model, betas, orient, body, hands, transl, idx)
        dist = (joints - target).norm(dim=-1)
        err = float(dist.mean())
        hand_err = float(dist[:, 22:].mean()) if len(idx) > 22 else float("nan")
    return WholeBodyFit(betas.detach().numpy(), orient.detach().numpy(), body.detach().numpy(),
                        hands.detach().numpy(), transl.detach().numpy(), joints.numpy(), err, hand_err)
