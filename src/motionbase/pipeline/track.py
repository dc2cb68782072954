"""Multi-person tracking by boxes: detections start and re-anchor tracks, per-frame observations carry them.

The detector runs only every few frames (it is the expensive part). Between detections a track is carried
by an observation per frame, in the pipeline the box around the person's pose landmarks (the pose model
follows its person from the previous frame's landmarks), and by a constant-velocity prediction when the
pose is missed. This is SORT's scheme (Bewley et al., 2016: IoU association solved as an assignment
problem, constant-velocity motion) with the pose in place of the Kalman filter's measurement.

- :meth:`TrackSet.associate` matches detections to the predicted boxes of live tracks (Hungarian
  assignment on IoU via ``scipy.optimize.linear_sum_assignment``); an unmatched detection that does not
  overlap a live track starts a new one; a matched track that has been missing re-anchors on its detection.
- :meth:`TrackSet.observe` / :meth:`TrackSet.miss` record each live track's frame.
- :meth:`TrackSet.prune` ends tracks missed too long, tracks that left the image, and the younger of two
  tracks that cover the same person.

Each track keeps its per-frame box (the provenance stored with every clip) and an opaque per-frame payload
(the pose). Boxes are ``[x0, y0, x1, y1]`` in pixels; frames are indices of the processed sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..config import Config
from .detect import iou_matrix, overlap_of_smaller


@dataclass(frozen=True)
class TrackConfig(Config):
    match_iou: float = 0.3  # a detection continues a track at this IoU with the track's predicted box
    new_overlap: float = 0.5  # a detection covering this much of a live track (or vice versa) starts none
    duplicate_iou: float = 0.6  # two live tracks overlapping this much: the younger one ends
    max_misses: int = 5  # consecutive frames without an observation before a track ends
    # (a track never observed ends at its first miss: a false detection costs one pose call)
    min_box_px: float = 8.0  # boxes narrower or shorter than this end the track


@dataclass(eq=False)  # identity equality: tracks are compared by object, never by their arrays
class Track:
    """One person over consecutive frames: boxes (F, 4) pixels, whether each frame was observed, payloads."""

    id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    observed: list[bool] = field(default_factory=list)
    payloads: list[Any] = field(default_factory=list)
    misses: int = 0
    anchor: np.ndarray | None = None  # the latest matched detection box, if newer than the last observation

    @property
    def num_observed(self) -> int:
        return int(sum(self.observed))

    def last_box(self) -> np.ndarray:
        return self.anchor if self.anchor is not None else self.boxes[-1]

    def predicted_box(self) -> np.ndarray:
        """The box expected at the next frame: the last observed box moved on at the velocity between the
        last two observations (or the newest matched detection, as it is)."""
        if self.anchor is not None:
            return self.anchor
        obs = [i for i, o in enumerate(self.observed) if o][-2:]
        if len(obs) < 2:
            return self.boxes[-1]
        i, j = obs
        velocity = (self.boxes[j] - self.boxes[i]) / max(self.frames[j] - self.frames[i], 1)
        return self.boxes[j] + velocity * (self.frames[-1] + 1 - self.frames[j])

    def trimmed(self) -> "Track":
        """The track without trailing unobserved frames (predictions after the person was lost)."""
        n = len(self.observed)
        while n and not self.observed[n - 1]:
            n -= 1
        return Track(self.id, self.frames[:n], self.boxes[:n], self.observed[:n], self.payloads[:n])


class TrackSet:
    """Live and finished tracks of one shot (a sub-clip); see the module docstring for the protocol."""

    def __init__(self, config: TrackConfig = TrackConfig(), first_id: int = 0):
        self.config = config
        self.live: list[Track] = []
        self.done: list[Track] = []
        self._next_id = first_id

    def _new(self, box: np.ndarray) -> Track:
        track = Track(self._next_id, anchor=np.asarray(box, dtype=np.float64))
        self._next_id += 1
        self.live.append(track)
        return track

    def associate(self, boxes: np.ndarray, scores: np.ndarray | None = None) -> list[Track]:
        """Match detections (N, 4) to live tracks; returns the tracks started by unmatched detections."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if scores is not None:
            boxes = boxes[np.argsort(-np.asarray(scores, dtype=np.float64))]
        if not len(boxes):
            return []
        matched: set[int] = set()
        if self.live:
            pred = np.stack([t.predicted_box() for t in self.live])
            iou = iou_matrix(pred, boxes)
            rows, cols = linear_sum_assignment(-iou)
            for r, c in zip(rows, cols):
                if iou[r, c] >= self.config.match_iou:
                    matched.add(int(c))
                    if self.live[r].misses > 0:
                        self.live[r].anchor = boxes[c]
        started = []
        for c in range(len(boxes)):
            if c in matched:
                continue
            current = [t.last_box() for t in self.live]
            if current and overlap_of_smaller(boxes[c:c + 1], np.stack(current)).max() >= self.config.new_overlap:
                continue
            started.append(self._new(boxes[c]))
        return started

    def observe(self, track: Track, frame: int, box: np.ndarray, payload: Any = None) -> None:
        """The person of ``track`` was seen at ``frame`` in ``box``."""
        track.frames.append(int(frame))
        track.boxes.append(np.asarray(box, dtype=np.float64))
        track.observed.append(True)
        track.payloads.append(payload)
        track.misses, track.anchor = 0, None

    def miss(self, track: Track, frame: int, payload: Any = None) -> None:
        """No observation at ``frame``: the track keeps its predicted box."""
        box = track.predicted_box()
        track.frames.append(int(frame))
        track.boxes.append(box)
        track.observed.append(False)
        track.payloads.append(payload)
        track.misses += 1

    def prune(self, width: int, height: int) -> list[Track]:
        """End lost, departed and duplicate tracks; returns the tracks ended."""
        c = self.config
        ended: list[Track] = []
        for t in self.live:
            box = t.last_box()
            inside = box[2] > 0 and box[3] > 0 and box[0] < width and box[1] < height
            small = min(box[2] - box[0], box[3] - box[1]) < c.min_box_px
            lost = t.misses > (c.max_misses if t.num_observed else 0)
            if lost or not inside or small:
                ended.append(t)
        alive = [t for t in self.live if t not in ended]
        if len(alive) > 1:
            iou = iou_matrix(np.stack([t.last_box() for t in alive]), np.stack([t.last_box() for t in alive]))
            for i in range(len(alive)):
                for j in range(i + 1, len(alive)):
                    if iou[i, j] >= c.duplicate_iou and alive[i] not in ended and alive[j] not in ended:
                        ended.append(max((alive[i], alive[j]), key=lambda t: (-t.num_observed, t.id)))
        self.live = [t for t in self.live if t not in ended]
        self.done += ended
        return ended

    def finish(self) -> list[Track]:
        """End every live track; returns all tracks of the shot (trimmed of trailing misses), by id."""
        self.done += self.live
        self.live = []
        return sorted((t.trimmed() for t in self.done), key=lambda t: t.id)
