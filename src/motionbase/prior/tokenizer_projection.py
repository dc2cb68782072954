"""The alternative repair the brief asked to measure: project noisy motion onto what the shipped motion
tokenizer can express (joints -> HumanML3D features -> codes -> decoded joints). The decoded motion starts at
the origin facing +Z, so it is placed back by the rigid yaw + translation that best fits the noisy input."""

from __future__ import annotations

import numpy as np

from ..features.humanml3d import features_to_joints, joints_to_features
from ..lm.data import encode_clip
from .canon import fill_missing


def _fit_yaw_translation(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rotate ``src`` about Y and translate it to best fit ``dst`` (both (T, J, 3)); returns the moved src."""
    a, b = src.reshape(-1, 3), dst.reshape(-1, 3)
    ca, cb = a.mean(0), b.mean(0)
    a0, b0 = a - ca, b - cb
    # best yaw: maximise sum of rotated a0 . b0 in the x-z plane
    s = (a0[:, 2] * b0[:, 0] - a0[:, 0] * b0[:, 2]).sum()
    c = (a0[:, 0] * b0[:, 0] + a0[:, 2] * b0[:, 2]).sum()
    th = np.arctan2(s, c)
    rot = np.array([[np.cos(th), 0.0, np.sin(th)], [0.0, 1.0, 0.0], [-np.sin(th), 0.0, np.cos(th)]])
    return (src - ca) @ rot.T + cb


class TokenizerProjection:
    """``repair(joints, visibility)`` through a :class:`~motionbase.tokenizer.model.MotionTokenizer`."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer.eval()

    def repair(self, joints_m: np.ndarray, visibility: np.ndarray | None = None) -> np.ndarray:
        import torch

        j = np.asarray(joints_m, dtype=np.float64)
        v = np.ones(j.shape[:2]) if visibility is None else np.asarray(visibility, dtype=np.float64)
        j = fill_missing(j, v)
        feats = joints_to_features(j)
        codes = encode_clip(self.tokenizer, feats)
        with torch.no_grad():
            dec = self.tokenizer.decode(torch.from_numpy(codes[0]).long()[None] if codes.ndim == 3 else codes,
                                        num_frames=len(feats))
        dec = dec.detach().cpu().numpy()[0] if dec.ndim == 3 else dec.detach().cpu().numpy()
        out = features_to_joints(dec.astype(np.float64), final_frame=True)
        n = min(len(out), len(j))
        out = out[:n] if n == len(j) else out[np.clip(np.arange(len(j)), 0, len(out) - 1)]
        return _fit_yaw_translation(out, j).astype(np.float32)
