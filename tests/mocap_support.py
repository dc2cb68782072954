"""Real Bandai-Namco takes in tests/data as HumanML3D features (20 fps): a 1-s run and a walk that turns."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motionbase.features.humanml3d import joints_to_features
from motionbase.formats.bvh import load_bvh

ROOT = Path(__file__).resolve().parents[1]
BVH = {"run": ROOT / "tests/data/bvh/sprint/dataset-2_run_active_027.bvh",
       "walk-turn": ROOT / "tests/data/bvh/bandai/dataset-2/dataset-2_walk-turn-left_exhausted_038.bvh"}


def real_features(name: str) -> np.ndarray:
    """(T, 263) float32 features of the take ``name`` (a key of :data:`BVH`)."""
    return joints_to_features(load_bvh(BVH[name], fps=20.0).joints_m).astype(np.float32)
