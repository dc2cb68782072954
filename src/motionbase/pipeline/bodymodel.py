"""Optional: fit SMPL-X body-model parameters to a clip's SMPL-22 joints by optimisation (the ``smplx`` package).

The paper registers SMPL-X on every frame (section 3, step 4). Where the user has the SMPL-X model files
(``SMPLX_NEUTRAL.npz`` from smpl-x.is.tue.mpg.de, which motionbase cannot ship), :func:`fit_smplx` finds
per-clip shape ``betas`` (10) and per-frame ``global_orient`` (3), ``body_pose`` (21 x 3, axis-angle) and
``transl`` (3) such that the model's first 22 joints (SMPL-X's body joints, in the same order as SMPL-22)
match the clip's joints. The pipeline runs without it.

The model is loaded with ``smplx.SMPLX`` and its joints are computed with ``smplx.lbs`` (``batch_rodrigues``,
``batch_rigid_transform``) from the joint regressor applied to the shaped template. Joints do not depend on
the pose-corrective blend shapes or the skinning, so the fit never builds the 10,475-vertex mesh: it is exact
and fast (:func:`body_joints` equals ``SMPLX(...).joints[:, :22]``). The optimiser is L-BFGS on
joint error + small priors (pose magnitude, shape magnitude, frame-to-frame change).
SMPL-X is Y up and faces +Z in its rest pose, as motionbase's joints do.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..errors import CheckpointError, ShapeError
from ..io import atomic_output
from ..skeleton import SMPL22
from ..skeleton.kinematics import facing_direction
from .video import require

NUM_BODY = 22  # pelvis + 21 body joints, SMPL-X's first 22 joints = SMPL-22's order


@dataclass(frozen=True)
class SmplxFitConfig(Config):
    num_betas: int = 10
    gender: str = "neutral"  # used when the model path is a folder (SMPLX_<GENDER>.npz)
    steps: int = 4  # L-BFGS rounds: orientation and translation first, then everything (restarted)
    max_iter: int = 60  # L-BFGS iterations per round
    pose_prior: float = 1e-6  # weight of |body_pose|^2 (radians^2)
    shape_prior: float = 1e-6  # weight of |betas|^2
    smooth: float = 1e-4  # weight of the frame-to-frame change of pose and translation


@dataclass
class SmplxFit:
    """betas (10,); global_orient (T, 3), body_pose (T, 63) axis-angle radians; transl (T, 3) metres;
    joints_m (T, 22, 3) the fitted model's joints; error_m the mean joint distance to the target (metres)."""

    betas: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    transl: np.ndarray
    joints_m: np.ndarray
    error_m: float

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=np.float32) for k, v in asdict(self).items()}


def require_smplx():
    return require("smplx", "SMPL-X fitting", "pip install smplx")


@functools.lru_cache(maxsize=2)
def load_smplx(model_path: str, gender: str = "neutral", num_betas: int = 10):
    """``smplx.SMPLX`` from a model file (.npz / .pkl) or a folder holding ``SMPLX_<GENDER>.npz``."""
    smplx = require_smplx()
    p = Path(model_path)
    ext = "pkl" if p.suffix == ".pkl" else "npz"
    if not (p.is_file() or (p.is_dir() and (p / f"SMPLX_{gender.upper()}.{ext}").is_file())):
        raise CheckpointError(f"{p}: no SMPL-X model here (expected a SMPLX_*.npz file or a folder holding "
                              f"SMPLX_{gender.upper()}.{ext})")
    try:
        return smplx.SMPLX(str(p), gender=gender, num_betas=num_betas, ext=ext, use_pca=False,
                           flat_hand_mean=True).eval()
    except (KeyError, ValueError, OSError, AttributeError, IndexError, RuntimeError) as exc:
        raise CheckpointError(f"{p}: not a usable SMPL-X model file ({type(exc).__name__}: {exc})") from None


def _rest_joint_basis(model, num_betas: int):
    """SMPL-X's body-joint regressor folded into its template and shape space: (22, 3) and (22, 3, B),
    so rest joints are ``J0 + dirs @ betas`` (exact: both maps are linear). Cached on the model."""
    import torch

    key = f"_motionbase_joint_basis_{num_betas}"
    if not hasattr(model, key):
        reg = model.J_regressor[:NUM_BODY]
        with torch.no_grad():
            basis = (reg @ model.v_template, torch.einsum("jv,vcb->jcb", reg, model.shapedirs[..., :num_betas]))
        object.__setattr__(model, key, basis)
    return getattr(model, key)


def body_joints(model, betas, global_orient, body_pose, transl):
    """SMPL-X body joints (T, 22, 3) as torch, from betas (B,) and per-frame (T, 3), (T, 63), (T, 3)."""
    import torch
    from smplx.lbs import batch_rigid_transform, batch_rodrigues

    j0, dirs = _rest_joint_basis(model, betas.shape[-1])
    rest = j0 + dirs @ betas
    T = global_orient.shape[0]
    rot = batch_rodrigues(torch.cat([global_orient, body_pose], dim=1).reshape(-1, 3)).reshape(T, NUM_BODY, 3, 3)
    posed, _ = batch_rigid_transform(rot, rest.expand(T, -1, -1), model.parents[:NUM_BODY], dtype=rot.dtype)
    return posed + transl[:, None, :]


def _yaw_axis_angle(joints: np.ndarray) -> np.ndarray:
    """(T, 3) axis-angle yaw turning SMPL-X's +Z facing into the body's facing (from hips and shoulders)."""
    fwd = facing_direction(joints, SMPL22)
    yaw = np.arctan2(fwd[:, 0], fwd[:, 2])
    return np.stack([np.zeros_like(yaw), yaw, np.zeros_like(yaw)], axis=1)


def lbfgs_rounds(first, everything, loss_fn, steps: int, max_iter: int) -> None:
    """Minimise ``loss_fn()``: one L-BFGS round on ``first`` (global placement), then ``steps - 1`` on ``everything``
    (restarted each round); a single round on everything when ``steps`` is 1."""
    import torch

    rounds = ([first] if steps > 1 else []) + [everything] * max(steps - 1, 1)
    for params in rounds:
        opt = torch.optim.LBFGS(params, lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss

        opt.step(closure)


def fit_smplx(joints_m: np.ndarray, model_path: str | Path, config: SmplxFitConfig = SmplxFitConfig()) -> SmplxFit:
    """Fit SMPL-X to SMPL-22 joints (T, 22, 3) metres, Y up; see the module docstring."""
    import torch

    target_np = np.asarray(joints_m, dtype=np.float64)
    if target_np.ndim != 3 or target_np.shape[1:] != (NUM_BODY, 3) or not np.isfinite(target_np).all():
        raise ShapeError(f"smplx fit: joints of shape {target_np.shape}, expected finite (T, 22, 3)")
    model = load_smplx(str(model_path), config.gender, config.num_betas)
    dtype = model.shapedirs.dtype
    target = torch.as_tensor(target_np, dtype=dtype)
    T = target.shape[0]
    betas = torch.zeros(model.num_betas, dtype=dtype, requires_grad=True)
    orient = torch.as_tensor(_yaw_axis_angle(target_np), dtype=dtype).requires_grad_(True)
    pose = torch.zeros(T, 63, dtype=dtype, requires_grad=True)
    with torch.no_grad():
        rest_pelvis = body_joints(model, betas, torch.zeros(1, 3, dtype=dtype), torch.zeros(1, 63, dtype=dtype),
                                  torch.zeros(1, 3, dtype=dtype))[0, 0]
    transl = (target[:, 0] - rest_pelvis).clone().requires_grad_(True)

    def loss_fn():
        joints = body_joints(model, betas, orient, pose, transl)
        loss = ((joints - target) ** 2).sum(-1).mean()
        loss = loss + config.pose_prior * (pose ** 2).sum(-1).mean() + config.shape_prior * (betas ** 2).sum()
        if T > 1:
            loss = loss + config.smooth * (((pose[1:] - pose[:-1]) ** 2).sum(-1).mean()
                                           + ((transl[1:] - transl[:-1]) ** 2).sum(-1).mean())
        return loss

    lbfgs_rounds([orient, transl], [betas, orient, pose, transl], loss_fn, config.steps, config.max_iter)
    with torch.no_grad():
        joints = body_joints(model, betas, orient, pose, transl)
        err = float((joints - target).norm(dim=-1).mean())
    return SmplxFit(betas.detach().numpy(), orient.detach().numpy(), pose.detach().numpy(),
                    transl.detach().numpy(), joints.numpy(), err)


def save_fit(path: str | Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write fitted parameters as an .npz (atomically)."""
    path = Path(path)
    with atomic_output(path) as tmp:
        np.savez(tmp, **arrays)
    return path
