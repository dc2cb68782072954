"""Torch datasets over a clip store: normalised feature windows, length bucketing and padding collate.

An item is a dict ``{"features": FloatTensor (L, D), "length": int, "index": int, "id": str}`` where
``L`` is the window (padded with zeros after normalisation, i.e. with the mean) or the clip's own length
when ``window=None`` / ``pad=False``. :func:`collate_padded` pads a batch to its longest item and adds
``lengths`` (B,) and ``mask`` (B, L) (True on real frames). :class:`LengthBucketSampler` groups clips of
similar length into batches so that little of a variable-length batch is padding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from ..errors import MotionbaseError
from .store import ClipStore


class Normalizer(Protocol):
    """Anything with ``normalize``/``denormalize`` over (..., D) arrays, e.g. ``features.stats.FeatureStats``."""

    def normalize(self, x): ...

    def denormalize(self, x): ...


class FeatureWindowDataset(Dataset):
    """Feature windows of the clips of one split of a store.

    store: a :class:`ClipStore` (or a view); split: the split to use (None: every clip of ``store``).
    window: frames per item (feature rows; 20 per second); longer clips are cropped (a random start
        when ``random_crop``, else the first frames), shorter ones padded when ``pad``. None: whole clips.
    stats: an object with ``normalize(x)`` for (T, D) features (see :class:`Normalizer`), or None.
    min_length: clips with fewer feature rows are left out.
    seed: crops depend only on (seed, epoch, item), so DataLoader workers agree; call
        :meth:`set_epoch` each epoch for fresh crops.
    """

    def __init__(self, store: ClipStore, window: int | None = 64, split: str | None = "train",
                 stats: Normalizer | None = None, random_crop: bool = True, seed: int = 0, *,
                 pad: bool = True, min_length: int = 1):
        if window is not None and window < 1:
            raise MotionbaseError(f"window must be a positive number of frames or None, got {window}")
        view = store.split(split) if split is not None else store
        keep = np.flatnonzero(view.feature_frames >= min_length)
        self.store = view.take(keep)
        self.window, self.stats, self.random_crop, self.seed, self.pad = window, stats, random_crop, seed, pad
        self.epoch = 0
        frames = self.store.feature_frames
        self.lengths = frames if window is None else np.minimum(frames, window)  # (N,) valid frames per item

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.store)

    def _crop_start(self, index: int, frames: int) -> int:
        if self.window is None or frames <= self.window or not self.random_crop:
            return 0
        rng = np.random.default_rng((self.seed, self.epoch, index))
        return int(rng.integers(0, frames - self.window + 1))

    def __getitem__(self, index: int) -> dict:
        feats = self.store.features(index)
        length = int(self.lengths[index])
        start = self._crop_start(index, len(feats))
        x = np.array(feats[start:start + length], dtype=np.float32)  # copies out of the memory map
        if self.stats is not None:
            x = self.stats.normalize(x)
        x = torch.as_tensor(x, dtype=torch.float32)
        if self.pad and self.window is not None and length < self.window:
            x = torch.cat([x, x.new_zeros(self.window - length, x.shape[1])])
        return {"features": x, "length": length, "index": index, "id": self.store.id(index)}


def collate_padded(items: Sequence[dict]) -> dict:
    """Stack items padded with zeros to the longest: ``features`` (B, L, D), ``lengths`` (B,) int64,
    ``mask`` (B, L) bool (True on real frames), ``index`` (B,) int64, ``ids`` list of str."""
    lengths = torch.tensor([it["length"] for it in items], dtype=torch.int64)
    longest = max(it["features"].shape[0] for it in items)
    dim = items[0]["features"].shape[1]
    feats = items[0]["features"].new_zeros(len(items), longest, dim)
    for b, it in enumerate(items):
        feats[b, : it["features"].shape[0]] = it["features"]
    mask = torch.arange(longest)[None, :] < lengths[:, None]
    return {"features": feats, "lengths": lengths, "mask": mask,
            "index": torch.tensor([it["index"] for it in items], dtype=torch.int64),
            "ids": [it["id"] for it in items]}


class LengthBucketSampler(Sampler[list[int]]):
    """Batches of indices with similar lengths, in random order.

    Each epoch the indices are shuffled, cut into pools of ``batch_size * pool_batches``, each pool is
    sorted by length and cut into batches, and the batches are shuffled. Every index appears once per
    epoch (the last, smaller batch is kept unless ``drop_last``). ``lengths``: (N,) lengths or an
    object with a ``lengths`` attribute (a :class:`FeatureWindowDataset`).
    """

    def __init__(self, lengths, batch_size: int, *, pool_batches: int = 50, shuffle: bool = True,
                 drop_last: bool = False, seed: int = 0):
        if batch_size < 1 or pool_batches < 1:
            raise MotionbaseError(f"batch_size ({batch_size}) and pool_batches ({pool_batches}) must be >= 1")
        self.lengths = np.asarray(getattr(lengths, "lengths", lengths), dtype=np.int64).reshape(-1)
        self.batch_size, self.pool_batches = batch_size, pool_batches
        self.shuffle, self.drop_last, self.seed = shuffle, drop_last, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _batches(self) -> list[np.ndarray]:
        rng = np.random.default_rng((self.seed, self.epoch))
        n = len(self.lengths)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        pool = self.batch_size * self.pool_batches
        batches = []
        for p in range(0, n, pool):
            idx = order[p:p + pool]
            idx = idx[np.argsort(self.lengths[idx], kind="stable")]
            batches += [idx[b:b + self.batch_size] for b in range(0, len(idx), self.batch_size)]
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self._batches():
            yield batch.tolist()

    def __len__(self) -> int:
        full, rest = divmod(len(self.lengths), self.batch_size * self.pool_batches)
        last = rest // self.batch_size if self.drop_last else -(-rest // self.batch_size)
        return full * self.pool_batches + last
