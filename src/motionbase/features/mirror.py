"""Left/right mirror augmentation (X -> -X with left and right joints swapped), as HumanML3D does
for its ``M``-prefixed samples. Captions are mirrored by :func:`motionbase.data.text.mirror_caption`.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import SMPL22, Skeleton
from .layout import FeatureLayout


def mirror_joints(joints_m: np.ndarray, skel: Skeleton = SMPL22) -> np.ndarray:
    """(..., J, 3) -> mirrored joints: negate X and swap each joint with its twin."""
    out = np.array(joints_m, copy=True)[..., list(skel.mirror), :]
    out[..., 0] *= -1
    return out


def mirror_features(feats, layout: FeatureLayout = FeatureLayout()):
    """(..., D) features -> features of the mirrored motion (numpy or torch)."""
    perm, sign = layout.mirror_permutation()
    if type(feats).__module__.startswith("torch"):
        import torch

        return feats[..., torch.as_tensor(perm)] * torch.as_tensor(sign, dtype=feats.dtype, device=feats.device)
    return (feats[..., perm] * sign).astype(feats.dtype)
