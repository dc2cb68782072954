"""The clips an evaluator trains on or is evaluated on, read from a clip store (or one of its splits).

Only captioned clips count (an uncaptioned clip has nothing to retrieve); they are skipped and counted.
Each clip gets a *label key* for batching: the values of ``label_keys`` in the manifest's JSON ``labels``
(default content × style, the Bandai-Namco labels; per-clip fields such as the take number are ignored).
Clips sharing a key are paraphrases of one another — the trainer does not use them as negatives and the
R-precision batches hold distinct keys. Without any such label in the split, ``labels`` is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.labels import clip_labels, parse_labels
from ..data.length_filter import filter_lengths
from ..errors import ShapeError

LABEL_KEYS = ("content", "style")


def label_key(labels: str | dict | None, keys: Sequence[str] = LABEL_KEYS) -> str:
    """``"content=walk|style=happy"`` from a clip's labels (a manifest entry or its dict,
    :func:`~motionbase.data.labels.parse_labels`): the ``keys`` it has; "" when it has none of them."""
    got = parse_labels(labels)
    return "|".join(f"{k}={got[k]}" for k in keys if k in got)


def caption_tokens(labels: str | dict | None, captions: list[str]) -> list[list[str]] | None:
    """The ``word/POS`` tokens of each caption from the ``tokens`` label (one line per caption, as the HumanML3D
    reader stores them); None unless there is exactly one non-empty line per caption."""
    tokens = parse_labels(labels).get("tokens", "")
    lines = tokens.split("\n") if tokens else []
    if not captions or len(lines) != len(captions) or any(not c.strip() or not ln.strip()
                                                          for c, ln in zip(captions, lines)):
        return None
    return [ln.split() for ln in lines]


@dataclass
class StoreClips:
    """Captioned clips of a store view, in store order."""

    ids: list[str]
    features: list[np.ndarray]  # (T_i - 1, F) raw features, float32
    captions: list[list[str]]  # whole-body captions (paraphrases), at least one per clip
    labels: list[str] | None  # label key per clip (unlabelled clips get their id), None if no clip has one
    skipped: int  # uncaptioned clips left out
    label_keys: tuple[str, ...] = LABEL_KEYS
    where: str = "the clips"  # for messages: "split 'test' of /path/to/store"
    filtered: int = 0  # clips left out by the length filter
    tokens: list[list[list[str]]] | None = None  # HumanML3D word/POS tokens of each caption, when every clip has them

    def __len__(self) -> int:
        return len(self.ids)


def captioned_clips(store: Any, split: str | None = "train", *, label_keys: Sequence[str] = LABEL_KEYS,
                    what: str = "training", length_filter: Any = None) -> StoreClips:
    """The captioned clips of ``store`` (a ClipStore), or of its split ``split`` (None: all clips).

    length_filter: a :class:`~motionbase.data.length_filter.LengthFilter` (the HumanML3D protocol's
    40-199 frames); clips outside it are left out and counted in ``filtered``.

    Raises :class:`~motionbase.errors.StoreError` for a split the store does not have (from ``store.split``)
    and :class:`ShapeError` for a split with no clips or no captioned clip.
    """
    view = store.split(split) if split else store
    where = (f"split {split!r}" if split else "the store") + (f" of {store.path}" if hasattr(store, "path") else "")
    if len(view) and length_filter is not None:
        view, filtered = filter_lengths(view, length_filter)
        where += f" ({length_filter.describe()}: {filtered} clips outside left out)"
    else:
        filtered = 0
    if len(view) == 0:
        raise ShapeError(f"{where} has no clips; expected a non-empty {what} split")
    table = view.manifest()
    captions = table.column("captions").to_pylist()
    clip_label_sets = clip_labels(view)
    ids = table.column("id").to_pylist()
    keep, caps, keys = [], [], []
    for i in range(len(view)):
        c = [s for s in (captions[i] or []) if s and s.strip()]
        if c:
            keep.append(i)
            caps.append(c)
            keys.append(label_key(clip_label_sets[i], label_keys))
    if not keep:
        raise ShapeError(f"{where}: none of {len(view)} clips has a caption; expected captioned clips")
    labels = [k or f"id={ids[i]}" for i, k in zip(keep, keys)] if any(keys) else None
    tokens = [caption_tokens(clip_label_sets[i], captions[i] or []) for i in keep]
    return StoreClips(ids=[ids[i] for i in keep], features=[np.asarray(view.features(i)) for i in keep],
                      captions=caps, labels=labels, skipped=len(view) - len(keep), label_keys=tuple(label_keys),
                      where=where, filtered=filtered, tokens=None if any(t is None for t in tokens) else tokens)
