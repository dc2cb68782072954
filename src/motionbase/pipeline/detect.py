"""Person detection: OpenCV's HOG + linear SVM people detector, and box utilities (IoU, NMS).

Why HOG: it ships inside OpenCV (``cv2.HOGDescriptor_getDefaultPeopleDetector``), so it works offline with no
weight download, on any CPU, under a permissive licence. Learned detectors (YOLO, torchvision's Faster R-CNN,
MediaPipe's object detector) are more accurate but fetch weights at run time, which this pipeline must not
need. Its weaknesses (people under ~100 px tall, seated or partial bodies) are softened by the rest of the
pipeline: detection runs only every few frames and tracks are carried between detections by the pose model
itself (see :mod:`.track` and :mod:`.pose`), and for still images the whole image is also tried as a crop.

Boxes are ``[x0, y0, x1, y1]`` in pixels (float), scores are the SVM margins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Config
from .video import require_cv2


def _area(z: np.ndarray) -> np.ndarray:
    return np.clip(z[:, 2] - z[:, 0], 0, None) * np.clip(z[:, 3] - z[:, 1], 0, None)


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) and (M, 4) boxes -> (N, M) intersection over union."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    inter = _intersection(a, b)
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) and (M, 4) boxes -> (N, M) intersection over the smaller box's area (1 when one holds the other)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    inter = _intersection(a, b)
    smaller = np.minimum(_area(a)[:, None], _area(b)[None, :])
    return np.where(smaller > 0, inter / np.maximum(smaller, 1e-12), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float = 0.45) -> np.ndarray:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64))
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        order = order[1:][iou_matrix(boxes[i:i + 1], boxes[order[1:]])[0] <= iou]
    return np.asarray(keep, dtype=np.int64)


@dataclass(frozen=True)
class DetectConfig(Config):
    """HOG settings (OpenCV's defaults for ``detectMultiScale``) and post-processing thresholds."""

    win_stride: int = 8  # pixels between detection windows
    padding: int = 8  # pixels of padding around the image
    scale: float = 1.05  # pyramid step
    min_score: float = 0.3  # SVM margin below which a window is dropped
    nms_iou: float = 0.45
    min_height_px: int = 0  # drop boxes shorter than this (0: keep all)
    # HOG windows (64 x 128) hold a ~96 px person with margins: trim them to the person's extent
    trim_x: float = 0.2  # fraction of the box width trimmed on each side
    trim_y: float = 0.1  # fraction of the box height trimmed at top and bottom


@dataclass
class Detections:
    """boxes: (N, 4) float [x0, y0, x1, y1] pixels; scores: (N,) float."""

    boxes: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return int(self.boxes.shape[0])


HOG_WINDOW = (64, 128)  # width, height of the default people detector's window


def pad_to_window(image: np.ndarray, window: tuple[int, int] = HOG_WINDOW) -> np.ndarray:
    """``image`` itself when it holds one window, else a copy padded with zeros at right and bottom to do so
    (box coordinates are unchanged by padding there)."""
    h, w = image.shape[:2]
    if w >= window[0] and h >= window[1]:
        return image
    out = np.zeros((max(h, window[1]), max(w, window[0])) + image.shape[2:], dtype=image.dtype)
    out[:h, :w] = image
    return out


class HogPersonDetector:
    """OpenCV's default HOG people detector (64x128 window, INRIA-trained SVM), with NMS."""

    def __init__(self, config: DetectConfig = DetectConfig()):
        cv2 = require_cv2()
        self.config = config
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def __call__(self, image_bgr: np.ndarray) -> Detections:
        """People in a BGR (or grey) uint8 image. Images smaller than the 64 x 128 window are padded (black,
        right and bottom) first: OpenCV's ``detectMultiScale`` reads out of bounds on them (abort/segfault)."""
        c = self.config
        image_bgr = pad_to_window(image_bgr)
        rects, weights = self._hog.detectMultiScale(image_bgr, winStride=(c.win_stride, c.win_stride),
                                                    padding=(c.padding, c.padding), scale=c.scale)
        if len(rects) == 0:
            return Detections(np.zeros((0, 4)), np.zeros(0))
        r = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
        pad = r[:, 2:] * np.array([c.trim_x, c.trim_y])
        boxes = np.concatenate([r[:, :2] + pad, r[:, :2] + r[:, 2:] - pad], axis=1)
        scores = np.asarray(weights, dtype=np.float64).reshape(-1)
        ok = (scores >= c.min_score) & (boxes[:, 3] - boxes[:, 1] >= c.min_height_px)
        boxes, scores = boxes[ok], scores[ok]
        keep = nms(boxes, scores, c.nms_iou)
        return Detections(boxes[keep], scores[keep])
