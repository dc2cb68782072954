"""Training data for tokenizers from a clip store: normalisation stats of a split, and batches of raw feature
windows that depend only on (seed, rank, step) — so a resumed run sees exactly the batches an uninterrupted one
would have seen, and several processes (Accelerate ranks) see different ones.

A window is ``window`` consecutive feature rows of one clip, starting at a uniformly random row; clips are drawn
with probability proportional to their length (every frame about equally likely, whatever the clip lengths).
Clips shorter than the window are padded by repeating their last frame (the padded frames are masked out of the
loss, and repeating the frame is how the tokenizer pads at encode time too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from itertools import count

import numpy as np
import torch

from ..data import ClipStore
from ..errors import ShapeError, StoreError
from ..features.stats import FeatureStats, compute_stats
from .augment import AugmentConfig, augment_window


def check_store(store: ClipStore, feature_dim: int, user: str) -> None:
    """StoreError unless the store holds HumanML3D-layout features of width ``feature_dim``."""
    info = store.info
    if info.feature_dim != feature_dim or info.feature_layout != "humanml3d":
        raise StoreError(f"{store.path}: clips have {info.feature_dim}-dim {info.feature_layout} features; "
                         f"{user} expects {feature_dim}-dim humanml3d features")


def split_view(store: ClipStore, split: str | None) -> ClipStore:
    """The clips of ``split`` (None or "": all clips)."""
    return store.split(split) if split else store


def split_version(view: ClipStore, split: str | None) -> str:
    """A short name for the data a split holds: store directory, split, clip count and a hash of ids + lengths."""
    h = hashlib.sha256("\n".join(view.ids).encode())
    h.update(np.asarray(view.feature_frames, dtype="<i8").tobytes())
    return f"{view.path.name}:{split or 'all'}:{len(view)} clips:{h.hexdigest()[:12]}"


def store_stats(store: ClipStore, split: str | None = "train") -> FeatureStats:
    """HumanML3D-style mean/std of the features of one split. HumanML3D skips clips with NaN/inf; a tokenizer
    would meet them later as training windows, so here they are an error naming the clip and frame."""
    view = split_view(store, split)
    check_store(store, store.layout.dim, "normalisation stats")
    skipped: list[int] = []
    stats = compute_stats((view.features(i) for i in range(len(view))), store.layout,
                          data_version=split_version(view, split), skipped=skipped)
    for i in skipped[:1]:
        finite_or_raise(np.asarray(view.features(i)), view, i)
    return stats


def finite_or_raise(feats: np.ndarray, store: ClipStore, clip: int, first_row: int = 0) -> None:
    """ShapeError naming the store, the clip id and the frame if ``feats`` (T, D) holds NaN/inf."""
    bad = ~np.isfinite(feats).all(axis=-1)
    if bad.any():
        raise ShapeError(f"{store.path}: clip {store.id(clip)!r} has NaN/inf features at frame "
                         f"{first_row + int(np.argmax(bad))}")


class StoreWindows:
    """Iterable of batches ``{"features": (B, window, D) float32 raw, "mask": (B, window) bool}``, one per step.

    store: the store (or a view); split: its split to draw from (None: all clips); start_step: the step of the
    first batch (a resumed run passes the step it resumes at); rank: the process index (seeds differ per rank);
    augment: mirror / re-timing (:mod:`.augment`), drawn from the same seeded generator (None or inactive: the
    windows are exactly those of an unaugmented run).
    """

    def __init__(self, store: ClipStore, *, window: int = 64, batch_size: int = 256, split: str | None = "train",
                 seed: int = 0, rank: int = 0, start_step: int = 0, augment: AugmentConfig | None = None):
        if window < 1 or batch_size < 1:
            raise ShapeError(f"window ({window}) and batch_size ({batch_size}) must be >= 1")
        self.view = split_view(store, split)
        self.window, self.batch_size, self.seed, self.rank, self.start_step = window, batch_size, seed, rank, start_step
        self.augment = augment if augment is not None and augment.active else None
        frames = np.asarray(self.view.feature_frames, dtype=np.float64)
        if len(frames) == 0 or frames.sum() == 0:
            raise StoreError(f"{store.path}: split {split!r} has no frames to train on")
        self.p = frames / frames.sum()

    def batch(self, step: int) -> dict:
        """The batch of ``step`` (a pure function of seed, rank and step)."""
        rng = np.random.default_rng((self.seed, self.rank, step))
        clips = rng.choice(len(self.p), size=self.batch_size, p=self.p)
        D = self.view.info.feature_dim
        feats = np.empty((self.batch_size, self.window, D), np.float32)
        mask = np.zeros((self.batch_size, self.window), bool)
        for b, i in enumerate(clips):
            all_rows = self.view.features(int(i))
            if self.augment is None:
                start = int(rng.integers(0, max(1, len(all_rows) - self.window + 1)))
                rows = np.asarray(all_rows[start:start + self.window])
                finite_or_raise(rows, self.view, int(i), start)
            else:
                rows = augment_window(all_rows, self.window, rng, self.augment, self.view.layout)
                finite_or_raise(rows, self.view, int(i))
            feats[b, :len(rows)] = rows
            feats[b, len(rows):] = rows[-1]
            mask[b, :len(rows)] = True
        return {"features": torch.from_numpy(feats), "mask": torch.from_numpy(mask)}

    def __iter__(self) -> Iterator[dict]:
        for step in count(self.start_step):
            yield self.batch(step)
