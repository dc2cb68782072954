"""An unseen-action split of a store: whole contents (a clip's ``content`` label,
:func:`motionbase.data.labels.contents`; e.g. Bandai-Namco's ``run`` or ``wave-both-hands``) are held out of
training, so that a tokenizer is evaluated on actions it never saw.

* ``train``: the store's ``train`` split, held-out contents removed;
* ``in_domain``: the store's ``test`` split, held-out contents removed (the usual test split of the rest);
* ``unseen``: every clip of the held-out contents, whatever its split (none of them is ever trained on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import ClipStore
from ..data.labels import contents
from ..errors import StoreError


@dataclass(frozen=True)
class HoldoutSplit:
    train: ClipStore
    in_domain: ClipStore
    unseen: ClipStore
    held_out: tuple[str, ...]


def holdout_split(store: ClipStore, held_out: tuple[str, ...] | list[str], *, train_split: str = "train",
                  test_split: str = "test") -> HoldoutSplit:
    """Views of ``store`` for an unseen-action evaluation (module docstring); StoreError for an unknown content."""
    held = tuple(held_out)
    content = np.asarray(contents(store), dtype=object)
    known = set(content.tolist()) - {""}  # a clip without a content label is never held out
    missing = sorted(set(held) - known)
    if missing or not held:
        raise StoreError(f"{store.path}: cannot hold out contents {missing or '[]'}; the store has {sorted(known)}")
    split = np.asarray(store.manifest().column("split").to_pylist(), dtype=object)
    out = np.isin(content, held)
    pick = (lambda m: store.take(np.flatnonzero(m)))
    return HoldoutSplit(train=pick(~out & (split == train_split)), in_domain=pick(~out & (split == test_split)),
                        unseen=pick(out), held_out=held)
