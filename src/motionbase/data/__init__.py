"""Clip store (memory-mapped shards + Parquet manifest), splits, and torch datasets over it.

``from motionbase.data import ClipStore, assign_splits, summary``; the torch parts
(``FeatureWindowDataset``, ``LengthBucketSampler``, ``collate_padded``) import torch on first use.
"""

from __future__ import annotations

from .manifest import summary
from .splits import assign_splits
from .store import ClipStore, ShardWriter, StoreInfo

_TORCH_NAMES = ("FeatureWindowDataset", "LengthBucketSampler", "collate_padded")

__all__ = ["ClipStore", "ShardWriter", "StoreInfo", "assign_splits", "summary", *_TORCH_NAMES]


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        # deferred for a quick start: imports torch
        from . import datasets

        return getattr(datasets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
