"""The captioner interface: a clip (and optionally its video frames) in, hierarchical captions out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from ...clip import Captions, Clip
from ...errors import MotionbaseError


class CaptionError(MotionbaseError):
    """A clip could not be captioned: unreachable endpoint, HTTP error, a reply that does not parse.

    The message is one line naming the clip, the endpoint and what went wrong; a pipeline run writes
    it to its failures report and goes on with the next clip.
    """


@runtime_checkable
class Captioner(Protocol):
    """Writes :class:`~motionbase.clip.Captions` for a clip.

    ``whole``: a whole-body summary of 1-3 sentences (one string per paraphrase);
    ``parts``: ``{"upper_body": ..., "lower_body": ...}`` (arms, hands, shoulders, torso / legs,
    feet, balance). ``frames``: the clip's video frames, (H, W, 3) uint8 RGB each, when it came from
    video; captioners that read the 3D motion ignore them.
    """

    name: str

    def caption(self, clip: Clip, frames: Sequence[np.ndarray] | None = None) -> Captions: ...


def clip_label(clip: Clip) -> str:
    """How messages name a clip: its id, else its file, else ``clip``."""
    return clip.meta.id or clip.meta.file or "clip"
