"""2D and 3D keypoints per person with MediaPipe Pose (BlazePose GHUM, 33 landmarks), run on person crops.

MediaPipe 0.10.21's legacy ``solutions.pose`` runs offline with the model bundled in the wheel when
``model_complexity=1`` (0 and 2 download their models on first use, so they are refused here). It finds one
person per image, so each tracked person gets a square crop around its box, upscaled to ``crop_px``.

Two modes. Video tracks use a :class:`CropPoser` in MediaPipe's streaming mode: after the first frame it
skips its person detector and follows the landmarks of the previous frame (about 13 ms a crop instead of
33 ms here); the crop window is kept still while the person stays well inside it (hysteresis), because
MediaPipe's tracking lives in crop coordinates. Still images use static mode (detector on every call).

Per frame and person, :class:`PoseResult` holds the 33 landmarks in frame pixels, their visibility in
[0, 1], MediaPipe's world landmarks (metres, hip-centred, y down, in the axes of a camera looking at the
crop centre; see :mod:`.lift`) and a box around the landmarks (the track's box for the next frame).
Importing this module does not import MediaPipe; constructing a poser does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..config import Config
from ..errors import MotionbaseError
from .video import require, require_cv2


def require_mediapipe():
    """The ``mediapipe`` module (the ``[video]`` extra), its C++ logging kept off stderr."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    return require("mediapipe", "the video pipeline")


@dataclass(frozen=True)
class PoseConfig(Config):
    crop_px: int = 256  # side of the square crop given to MediaPipe (its landmark model's input size)
    margin: float = 1.3  # crop side = margin * the longer side of the person's box
    recentre: float = 0.15  # move the crop when the box centre drifts this fraction of the crop side
    rescale: float = 0.25  # or when the box size changes by this fraction
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    model_complexity: int = 1  # the only model bundled with the wheel


@dataclass
class PoseResult:
    """keypoints_px: (33, 2) frame pixels; visibility: (33,) in [0, 1]; world_m: (33, 3) metres (crop axes,
    y down, hip-centred); box: (4,) [x0, y0, x1, y1] pixels around the person."""

    keypoints_px: np.ndarray
    visibility: np.ndarray
    world_m: np.ndarray
    box: np.ndarray


def landmark_box(keypoints_px: np.ndarray) -> np.ndarray:
    """Box around 33 landmarks, grown to cover the whole person: the head top above the eyes, hands and feet."""
    lo, hi = keypoints_px.min(axis=0), keypoints_px.max(axis=0)
    h = max(hi[1] - lo[1], 1.0)
    return np.array([lo[0] - 0.1 * h, lo[1] - 0.15 * h, hi[0] + 0.1 * h, hi[1] + 0.05 * h])


def square_window(box: np.ndarray, margin: float) -> np.ndarray:
    """(3,) [cx, cy, side] of the square crop around ``box``."""
    box = np.asarray(box, dtype=np.float64)
    side = margin * max(box[2] - box[0], box[3] - box[1], 1.0)
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, side])


def cut_square(image: np.ndarray, window: np.ndarray, size: int) -> np.ndarray:
    """The square ``window`` [cx, cy, side] of ``image`` (zero outside it), resized to ``size`` x ``size``."""
    cv2 = require_cv2()
    cx, cy, side = window
    x0, y0, s = int(round(cx - side / 2)), int(round(cy - side / 2)), max(int(round(side)), 1)
    h, w = image.shape[:2]
    out = np.zeros((s, s) + image.shape[2:], dtype=image.dtype)
    ax0, ay0, ax1, ay1 = max(x0, 0), max(y0, 0), min(x0 + s, w), min(y0 + s, h)
    if ax1 > ax0 and ay1 > ay0:
        out[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0] = image[ay0:ay1, ax0:ax1]
    interp = cv2.INTER_AREA if s > size else cv2.INTER_LINEAR
    return cv2.resize(out, (size, size), interpolation=interp)


class CropPoser:
    """MediaPipe Pose on square crops around one person; ``stream=True`` follows the person frame to frame."""

    def __init__(self, config: PoseConfig = PoseConfig(), *, stream: bool = True):
        if config.model_complexity != 1:
            raise MotionbaseError(f"MediaPipe model_complexity={config.model_complexity} downloads its model; "
                                  "only 1 (bundled with mediapipe 0.10.21) works offline")
        mp = require_mediapipe()
        self.config, self.stream = config, stream
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=not stream, model_complexity=config.model_complexity, smooth_landmarks=False,
            enable_segmentation=False, min_detection_confidence=config.min_detection_confidence,
            min_tracking_confidence=config.min_tracking_confidence)
        self._window: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the followed person (reuse for another track: cheaper than a new instance)."""
        self._pose.reset()
        self._window = None

    def close(self) -> None:
        self._pose.close()

    def _window_for(self, box: np.ndarray) -> np.ndarray:
        want = square_window(box, self.config.margin)
        w = self._window
        if (w is None or not self.stream
                or np.hypot(*(want[:2] - w[:2])) > self.config.recentre * w[2]
                or abs(want[2] / w[2] - 1.0) > self.config.rescale):
            w = want
        self._window = w
        return w

    def __call__(self, image_rgb: np.ndarray, box: np.ndarray) -> PoseResult | None:
        """Pose of the person in ``box`` of an RGB uint8 frame, or None if MediaPipe finds nobody."""
        window = self._window_for(box)
        crop = cut_square(image_rgb, window, self.config.crop_px)
        out = self._pose.process(crop)
        if out.pose_landmarks is None or out.pose_world_landmarks is None:
            return None
        lm = np.array([(p.x, p.y, p.visibility) for p in out.pose_landmarks.landmark], dtype=np.float64)
        world = np.array([(p.x, p.y, p.z) for p in out.pose_world_landmarks.landmark], dtype=np.float64)
        cx, cy, side = window
        px = (lm[:, :2] - 0.5) * side + np.array([cx, cy])
        return PoseResult(px, np.clip(lm[:, 2], 0.0, 1.0), world, landmark_box(px))


class PoserPool:
    """Streaming posers for tracks: ``get()`` one for a new track, ``release()`` it when the track ends."""

    def __init__(self, config: PoseConfig = PoseConfig()):
        self.config = config
        self._free: list[CropPoser] = []
        self.created = 0

    def get(self) -> CropPoser:
        if self._free:
            return self._free.pop()
        self.created += 1
        return CropPoser(self.config, stream=True)

    def release(self, poser: CropPoser) -> None:
        poser.reset()
        self._free.append(poser)
