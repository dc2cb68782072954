"""Joint-position errors: MPJPE (reconstruction) and ADE/FDE (prediction, in-betweening).

Joints are (..., T, J, 3) arrays in metres (any leading batch dims, e.g. samples).

* **MPJPE** (mm): mean over frames and joints of the per-joint Euclidean error, ×1000 — the paper's
  definition for tokenizer reconstruction. ``align_root=True`` subtracts each frame's root joint first
  (the root-relative MPJPE some papers report); the default compares global positions.
* **path length** (m): the distance the root joint travels over the floor (X/Z), summed frame to frame — how far
  a reconstruction carries the body against how far it really went (a tokenizer that shrinks the speed of an
  action it never saw keeps the pose but loses the distance).
* **ADE / FDE** (m), as MotionGPT's ``PredMetrics`` and the stochastic-prediction literature (DLow): the pose at
  a frame is one J·3 vector, its error the L2 norm of the whole-pose difference; ADE averages that over the
  evaluated frames, FDE takes the last one. With several samples per input (``pred`` shape (K, T, J, 3)) the
  best sample is kept (minADE / minFDE), each chosen separately. Evaluate only the generated frames: pass
  ``frames`` (a slice or index array) — e.g. ``slice(n_observed, None)`` for prediction.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from .checks import check_array, check_same_shape


def _joints(x, name: str) -> np.ndarray:
    return check_array(x, name, (3, 4), last_dims=(3,))


def mpjpe_mm(pred_joints_m, gt_joints_m, *, align_root: bool = False, root: int = 0) -> float:
    """Mean per-joint position error in millimetres; (..., T, J, 3) metres each, same shape."""
    pred, gt = _joints(pred_joints_m, "predicted joints"), _joints(gt_joints_m, "ground-truth joints")
    check_same_shape(pred, gt, "predicted joints", "ground-truth joints")
    if align_root:
        pred = pred - pred[..., root:root + 1, :]
        gt = gt - gt[..., root:root + 1, :]
    return float(np.linalg.norm(pred - gt, axis=-1).mean() * 1000.0)


def path_length_m(joints_m, *, root: int = 0) -> float:
    """Distance (m) the ``root`` joint travels over the floor (X and Z; Y up) in (T, J, 3) joints."""
    j = check_array(joints_m, "joints", 3, last_dims=(3,))
    return float(np.linalg.norm(np.diff(j[:, root, [0, 2]], axis=0), axis=-1).sum())


def pose_errors_m(pred_joints_m, gt_joints_m, frames=None) -> np.ndarray:
    """Whole-pose L2 error per frame in metres: (..., T, J, 3) against (T, J, 3) -> (..., T').

    The error of frame t is |pose_t - gt_t| over the J·3 vector; ``frames`` selects the evaluated frames.
    """
    diff = np.asarray(pred_joints_m, float) - np.asarray(gt_joints_m, float)
    err = np.linalg.norm(diff.reshape(*diff.shape[:-2], -1), axis=-1)
    return err if frames is None else err[..., frames]


def ade_fde_m(pred_joints_m, gt_joints_m, *, frames=None) -> tuple[float, float]:
    """(ADE, FDE) in metres, best of K samples when ``pred`` has a leading sample axis.

    pred: (T, J, 3) or (K, T, J, 3); gt: (T, J, 3). ``frames`` selects the evaluated frames.
    """
    gt = check_array(gt_joints_m, "ground-truth joints", 3, last_dims=(3,))
    pred = _joints(pred_joints_m, "predicted joints")
    samples = pred if pred.ndim == 4 else pred[None]
    check_same_shape(samples[0], gt, "one predicted sample", "ground-truth joints")
    err = pose_errors_m(samples, gt, frames)  # (K, T')
    if err.shape[-1] == 0:
        raise ShapeError(f"frames={frames!r} selects none of {gt.shape[0]} frames; expected at least one")
    return float(err.mean(-1).min()), float(err[:, -1].min())
