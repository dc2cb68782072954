"""Train/val/test splits of a clip store: by ratio (seeded, optionally stratified) and by held-out subset.

The paper states 85 % / 5 % / 15 % for train / val / test (Section 5.1), which adds up to 105 %; we
use 80 / 10 / 10 by default. Its out-of-domain protocol (UNSEEN-90K: four whole subsets held out
for testing, the other 38 used for training) is ``holdout_subsets=[...]``.

Assignment is deterministic for a given seed and set of clips, whatever order the clips were appended
in (rows are ordered by id before shuffling). Stratified splits spread every stratum evenly over the
shuffled order, so each split holds each stratum's share to within one clip while the split sizes
are exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..errors import MotionbaseError
from .labels import REQUIRED, label_values
from .store import ClipStore

DEFAULT_RATIOS = (0.8, 0.1, 0.1)
DEFAULT_NAMES = ("train", "val", "test")
MANIFEST_KEYS = ("source", "subset", "licence")  # manifest columns usable as strata besides labels

Stratify = str | Sequence[str] | Callable[[dict], str] | None


def split_counts(n: int, ratios: Sequence[float]) -> np.ndarray:
    """Exact split sizes for ``n`` items: floor of ``n * ratio``, remainders to the largest fractions."""
    want = np.asarray(ratios, dtype=np.float64) * n
    counts = np.floor(want).astype(np.int64)
    order = np.argsort(-(want - counts), kind="stable")
    counts[order[: n - int(counts.sum())]] += 1
    return counts


def _stratum_keys(store: ClipStore, stratify: Stratify) -> list[str]:
    """One key per clip: "" (no stratification), a label/manifest value, a joint key, or a callable's."""
    if stratify is None:
        return [""] * len(store)
    rows = store.manifest().to_pylist()
    if callable(stratify):
        return [str(stratify(r)) for r in rows]
    keys = [stratify] if isinstance(stratify, str) else list(stratify)
    columns = [[str(r[key]) for r in rows] if key in MANIFEST_KEYS
               else label_values(store, key, missing=REQUIRED, purpose="to stratify by") for key in keys]
    return ["\x1f".join(values) for values in zip(*columns)]


def ratio_split(ids: Sequence[str], ratios: Sequence[float], *, seed: int = 0,
                strata: Sequence[str] | None = None) -> np.ndarray:
    """(N,) int64 split index of each id for ``ratios`` (summing to 1), seeded and stratified.

    Within each stratum the ids (sorted) are shuffled; item ``k`` of a stratum of size ``n`` gets the
    position ``(k + u) / n`` (``u`` uniform in [0, 1)); all items are ordered by position and cut by the
    exact :func:`split_counts`. Without strata this is a plain seeded permutation.
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    if ratios.ndim != 1 or (ratios < 0).any() or abs(ratios.sum() - 1.0) > 1e-6:
        raise MotionbaseError(f"split ratios {ratios.tolist()} must be non-negative and sum to 1")
    n = len(ids)
    strata = [""] * n if strata is None else list(strata)
    rng = np.random.default_rng(seed)
    order = sorted(range(n), key=lambda i: (strata[i], ids[i]))
    position = np.empty(n, dtype=np.float64)
    start = 0
    while start < n:
        stop = start
        while stop < n and strata[order[stop]] == strata[order[start]]:
            stop += 1
        members = np.asarray(order[start:stop])
        size = len(members)
        position[members[rng.permutation(size)]] = (np.arange(size) + rng.random(size)) / size
        start = stop
    ranked = np.argsort(position, kind="stable")
    assignment = np.empty(n, dtype=np.int64)
    assignment[ranked] = np.repeat(np.arange(len(ratios)), split_counts(n, ratios))
    return assignment


def assign_splits(store: ClipStore, ratios: Sequence[float] = DEFAULT_RATIOS, *, seed: int = 0,
                  stratify: Stratify = None, names: Sequence[str] = DEFAULT_NAMES,
                  holdout_subsets: Sequence[str] = (), holdout_name: str = "unseen") -> dict[str, int]:
    """Assign every clip of ``store`` a split and write the split column (one atomic rewrite).

    ratios: fractions per split ``names`` (default 80/10/10 train/val/test; the paper's 85/5/15 sums to
        105 %). Clips whose ``subset`` is in ``holdout_subsets`` all go to ``holdout_name`` (the paper's
        UNSEEN out-of-domain test); the ratios split the rest.
    stratify: None; a label key such as ``"content"`` or a manifest column (``source``, ``subset``,
        ``licence``); a sequence of keys for their product (``("content", "style")``); or a callable
        taking a manifest row (dict) and returning the stratum.
    Returns the number of clips per split.
    """
    if len(names) != len(ratios):
        raise MotionbaseError(f"{len(ratios)} split ratios for {len(names)} split names {list(names)}")
    if holdout_subsets and holdout_name in names:
        raise MotionbaseError(f"held-out split name {holdout_name!r} is also a ratio split name")
    if store.is_view:
        raise MotionbaseError(f"{store.path}: assign splits on the store itself, not on a view")
    ids = store.ids
    subsets = np.asarray(store.manifest().column("subset").to_pylist(), dtype=object)
    held = np.isin(subsets, list(holdout_subsets)) if len(holdout_subsets) else np.zeros(len(ids), bool)
    missing = set(holdout_subsets) - set(subsets[held].tolist())
    if missing:
        raise MotionbaseError(f"{store.path}: held-out subsets {sorted(missing)} have no clips "
                              f"(subsets present: {sorted(set(subsets.tolist()))})")
    split_of = {ids[i]: holdout_name for i in np.flatnonzero(held)}
    rest = np.flatnonzero(~held)
    if len(rest):
        strata = _stratum_keys(store.take(rest), stratify)
        assignment = ratio_split([ids[i] for i in rest], ratios, seed=seed, strata=strata)
        split_of.update({ids[i]: names[a] for i, a in zip(rest, assignment)})
    store.set_splits(split_of)
    counts = {name: 0 for name in names}
    if len(holdout_subsets):
        counts[holdout_name] = 0
    for name in split_of.values():
        counts[name] += 1
    return counts
