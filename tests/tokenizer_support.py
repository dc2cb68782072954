"""A tiny clip store of real HumanML3D clips and a tiny tokenizer run config, for the tokenizer CLI tests; one real
clip's features, its stats and two batches of its windows, for the training tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from motionbase.data import ClipStore, assign_splits

from .test_store_fixtures import real_clips

HML = Path(__file__).parent / "data" / "humanml3d"
FEATS = np.load(HML / "new_joint_vecs" / "000000.npy").astype(np.float32)  # (116, 263)
STATS = (np.load(HML / "Mean.npy"), np.load(HML / "Std.npy"))
WINDOWS = [torch.from_numpy(np.stack([FEATS[i:i + 32] for i in (0, 40, 80)])),  # a tensor batch and a dict one
           {"features": FEATS[None, 10:42], "lengths": [20]}]

TINY_RUN = {
    "preset": "lfq2d",
    "model": {"grouping": "body", "width": 16, "depth": 1},
    "train": {"warmup_steps": 0, "lr": 1e-3, "checkpoint_every": 2, "log_every": 1,
              "progress": False},
    "data": {"window": 32, "batch_size": 4},
    "steps": 3,
}


def tiny_store(path: Path, clips: int = 16) -> ClipStore:
    """``clips`` real clips (20-100 frames) split 50/25/25 into train/val/test."""
    store = ClipStore.create(path)
    store.append(*real_clips(clips))
    assign_splits(store, (0.5, 0.25, 0.25), seed=0)
    return store


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path
