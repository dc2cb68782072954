"""The one motion container every importer returns and every exporter takes.

A :class:`Clip` holds joint positions (T, J, 3) in metres, Y up, at ``fps`` frames per second, on a
named :class:`~motionbase.skeleton.Skeleton`, plus captions and provenance. Nothing downstream
knows where a clip came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .errors import ShapeError
from .skeleton import SMPL22, Skeleton

PART_CAPTION_KEYS = ("upper_body", "lower_body")


@dataclass
class Captions:
    """Whole-body captions (paraphrases of one motion) and part-level sentences (may be empty)."""

    whole: list[str] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)  # keys from PART_CAPTION_KEYS


@dataclass
class ClipMeta:
    """Provenance: where a clip came from and under which licence."""

    id: str = ""
    source: str = ""  # e.g. "bandai-namco-2", "humanml3d", "video"
    subset: str = ""  # for held-out-subset (OOD) splits
    licence: str = ""
    file: str = ""
    frame_start: int = 0  # in the source's own frames
    frame_end: int = -1
    source_fps: float = 0.0
    static: bool = False  # a still image turned into a clip
    labels: dict[str, str] = field(default_factory=dict)  # e.g. {"content": "walk", "style": "elderly"}
    bbox_track: list[list[float]] | None = None  # per frame [x0, y0, x1, y1] in pixels (video clips)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Clip:
    joints_m: np.ndarray  # (T, J, 3) metres, Y up
    fps: float = 20.0
    skeleton: Skeleton = SMPL22
    captions: Captions = field(default_factory=Captions)
    meta: ClipMeta = field(default_factory=ClipMeta)
    # (T, J) per-frame, per-joint visibility of pose estimates (video clips, while the pipeline runs: the
    # captioner reads gestures only from seen frames); None for mocap. Not stored (labels keep the means).
    visibility: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return int(self.joints_m.shape[0])

    @property
    def seconds(self) -> float:
        return self.num_frames / self.fps

    def validate(self, where: str = "clip") -> "Clip":
        """Raise :class:`ShapeError` naming ``where`` unless joints are (T>=2, J, 3) and finite."""
        j = self.joints_m
        J = self.skeleton.num_joints
        if not isinstance(j, np.ndarray) or j.ndim != 3 or j.shape[1:] != (J, 3):
            shape = getattr(j, "shape", type(j).__name__)
            raise ShapeError(f"{where}: joints have shape {shape}, expected (T, {J}, 3)")
        if j.shape[0] < 2:
            raise ShapeError(f"{where}: {j.shape[0]} frame(s), expected at least 2")
        bad = ~np.isfinite(j).all(axis=(1, 2))
        if bad.any():
            raise ShapeError(f"{where}: NaN/inf in joints at frame {int(np.argmax(bad))}")
        if not self.fps > 0:
            raise ShapeError(f"{where}: fps {self.fps} must be positive")
        return self
