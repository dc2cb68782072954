"""The official HumanML3D split (``train.txt``/``val.txt``/``test.txt``) as a clip store's splits.

:func:`~motionbase.formats.humanml3d.read_humanml3d` labels every sample with the split file that lists
its clip (``labels["split"]``; sub-span samples inherit their clip's). :func:`apply_split_labels` turns
those labels into the store's split assignment, so ``store.split("test")`` is HumanML3D's test set.
Ids listed in no split file stay unassigned; other clips of the store keep the split they had.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any


def apply_split_labels(store: Any, split_of: Mapping[str, str]) -> dict[str, int]:
    """Merge ``split_of`` (id -> train/val/test, "" for none) into ``store``'s splits; counts per split."""
    table = store.manifest()
    current = dict(zip(table.column("id").to_pylist(), table.column("split").to_pylist()))
    merged = {cid: split for cid, split in current.items() if split}
    merged.update({cid: split for cid, split in split_of.items() if split and cid in current})
    store.set_splits(merged)
    return dict(sorted(Counter(merged[cid] for cid in split_of if cid in merged).items()))
