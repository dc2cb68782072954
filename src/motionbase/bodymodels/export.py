"""Fitted SMPL-X parameters -> Motion-X's (T, 322) layout (see :mod:`motionbase.bodymodels.readers`).

``pose_hand`` is written relative to the model's hand mean (Motion-X drives SMPL-X with ``flat_hand_mean=False``),
jaw, face expression and face shape are 0, ``betas`` are repeated on every frame. Reading the file back with
``motionbase import motionx`` gives the fitted joints again (tests check this).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import atomic_save_npy
from ..skeleton import Skeleton
from .files import BodyModel
from .fit import WholeBodyFit, WholeBodyFitConfig, fit_smplx_wholebody
from .readers import MOTIONX_SLICES, MOTIONX_WIDTH


def fit_to_motionx(fit: WholeBodyFit, model: BodyModel) -> np.ndarray:
    """(T, 322) float32 Motion-X parameters of a fit."""
    T = fit.global_orient.shape[0]
    out = np.zeros((T, MOTIONX_WIDTH))
    betas = np.zeros(10)
    betas[:min(10, len(fit.betas))] = fit.betas[:10]
    parts = {"root_orient": fit.global_orient, "pose_body": fit.body_pose, "pose_hand": fit.hand_pose - model.hand_mean,
             "trans": fit.transl, "betas": np.broadcast_to(betas, (T, 10))}
    for name, value in parts.items():
        a, b = MOTIONX_SLICES[name]
        out[:, a:b] = value
    return out.astype(np.float32)


def export_clip_smplx(path: Path | str, joints_m: np.ndarray, skeleton: Skeleton, model: BodyModel,
                      config: WholeBodyFitConfig = WholeBodyFitConfig()) -> WholeBodyFit:
    """Fit one clip's joints (SMPL-22 or SMPL-52 store) and write ``path`` atomically; returns the fit."""
    fit = fit_smplx_wholebody(np.asarray(joints_m)[:, :skeleton.num_joints], model, config)
    atomic_save_npy(path, fit_to_motionx(fit, model))
    return fit
