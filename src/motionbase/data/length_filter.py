"""The HumanML3D protocol's length filter: which clips evaluation and training use.

Guo et al.'s data loader (``Text2MotionDatasetV2``, used by every HumanML3D paper since) skips motions with
fewer than 40 or 200 and more feature rows (``len(motion) < min_motion_len or len(motion) >= 200``), both
for whole clips and for caption sub-spans; the evaluator then crops what is left to at most 196 rows (the
"40–196 frames" of papers). :func:`filter_lengths` applies the same rule to a clip store view, on its
``feature_frames`` column. It is on by default for HumanML3D stores (every clip imported from a HumanML3D
folder by ``motionbase import humanml3d``: source ``humanml3d`` and the reader's ``split`` label) and off
otherwise (:func:`default_on`), e.g. for stores of clips cut from HumanML3D by other means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..config import Config, setting
from ..errors import MotionbaseError
from .labels import clip_labels

HML3D_SOURCE = "humanml3d"


@dataclass(frozen=True)
class LengthFilter(Config):
    """Keep clips with ``min_frames <= feature rows <= max_frames`` (defaults: Guo's 40 and 199)."""

    owner: ClassVar[str] = "length filter"

    min_frames: int = setting(40, min=1)
    max_frames: int = setting(199, min=1)

    def check(self) -> None:
        if self.min_frames > self.max_frames:
            raise self.error(f"{self.min_frames}..{self.max_frames} frames: expected min_frames <= max_frames")

    def describe(self) -> str:
        return f"{self.min_frames}-{self.max_frames} feature frames (HumanML3D protocol)"


PROTOCOL = LengthFilter()


def default_on(view: Any) -> bool:
    """True when every clip of ``view`` (a ClipStore or view) was imported from a HumanML3D folder: its
    source is ``humanml3d`` and its labels carry the ``split`` label that the HumanML3D reader sets."""
    table = view.manifest()
    sources = set(table.column("source").to_pylist())
    if not sources or sources != {HML3D_SOURCE}:
        return False
    return all("split" in labels for labels in clip_labels(view))


def resolve(view: Any, enabled: bool | None) -> LengthFilter | None:
    """The filter to apply: ``enabled`` None means :func:`default_on`."""
    on = default_on(view) if enabled is None else enabled
    return PROTOCOL if on else None


def filter_lengths(view: Any, rule: LengthFilter | None) -> tuple[Any, int]:
    """(the view of clips ``rule`` keeps, how many it dropped); ``rule`` None keeps everything."""
    if rule is None:
        return view, 0
    frames = np.asarray(view.manifest().column("feature_frames").to_pylist(), dtype=np.int64)
    keep = np.flatnonzero((frames >= rule.min_frames) & (frames <= rule.max_frames))
    return view.take(keep), int(len(frames) - len(keep))


def protocol_view(store: Any, split: str | None, enabled: bool | None) -> Any:
    """``store``'s split ``split`` (None: all clips) after the length filter (``enabled`` None: default_on);
    a :class:`MotionbaseError` when the filter leaves nothing."""
    view = store.split(split) if split else store
    rule = resolve(view, enabled)
    kept, dropped = filter_lengths(view, rule)
    if rule is not None and len(kept) == 0:
        raise MotionbaseError(f"{getattr(store, 'path', 'the store')}: none of the {dropped} clips"
                              f"{f' of split {split!r}' if split else ''} is {rule.describe()}; pass "
                              "--no-length-filter to use them all")
    return kept
