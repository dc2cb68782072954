"""Should a clip be kept at all? A clip a user cannot trust is rejected, with its reason in the report.

Two reasons, both measured before refinement (refinement cannot invent what was never seen):

* too few visible joints: fewer than ``min_visible`` of all (frame, joint) observations have a visibility
  of at least ``min_visibility`` (most of the body was guessed);
* a person cut by the frame: the person's box touches the image border (within ``edge_px``) in more than
  ``max_cut_fraction`` of the frames (the feet or the head are outside the picture).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...config import Config


@dataclass(frozen=True)
class QualityConfig(Config):
    min_visibility: float = 0.5
    min_visible: float = 0.5
    edge_px: float = 2.0
    max_cut_fraction: float = 0.5


def reject_reason(visibility: np.ndarray | None, boxes: np.ndarray | None, image_size: tuple[int, int] | None,
                  config: QualityConfig = QualityConfig()) -> str:
    """'' for a clip to keep, else one line saying why not. visibility (T, J); boxes (T, 4) pixels."""
    if visibility is not None and len(visibility):
        seen = float((np.asarray(visibility) >= config.min_visibility).mean())
        if seen < config.min_visible:
            return (f"too few visible joints: {seen:.0%} of joint observations at visibility >= "
                    f"{config.min_visibility:g} (need {config.min_visible:.0%})")
    if boxes is not None and image_size is not None and len(boxes):
        b, (w, h) = np.asarray(boxes, dtype=np.float64), image_size
        e = config.edge_px
        cut = (b[:, 0] <= e) | (b[:, 1] <= e) | (b[:, 2] >= w - e) | (b[:, 3] >= h - e)
        if cut.mean() > config.max_cut_fraction:
            return (f"person cut by the frame: the box touches the image border in {cut.mean():.0%} of frames "
                    f"(more than {config.max_cut_fraction:.0%})")
    return ""
