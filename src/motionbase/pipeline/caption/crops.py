"""Video frames -> the images an LMM sees: evenly spaced frames, each cropped to the person's
bounding box (with a margin), shrunk to at most ``size`` pixels a side, JPEG-encoded as a base64
``data:`` URL (what every OpenAI-compatible endpoint accepts in an ``image_url`` part).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...errors import ShapeError


@dataclass(frozen=True)
class EncodedImage:
    """One JPEG image: its bytes' SHA-256 (the cache key) and its data URL."""

    sha256: str
    data_url: str


def pick_indices(n: int, k: int) -> list[int]:
    """Up to ``k`` frame indices spread evenly over ``n`` frames, first and last included."""
    if n <= 0 or k <= 0:
        return []
    return sorted({int(round(x)) for x in np.linspace(0, n - 1, min(n, k))})


def _as_rgb(frame, where: str) -> np.ndarray:
    a = np.asarray(frame)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=-1)
    if a.ndim != 3 or a.shape[-1] not in (3, 4) or min(a.shape[:2]) < 1:
        raise ShapeError(f"{where}: image of shape {a.shape}, expected (H, W, 3) RGB")
    if a.dtype != np.uint8:
        if not np.issubdtype(a.dtype, np.floating) or not np.isfinite(a).all():
            raise ShapeError(f"{where}: image of dtype {a.dtype}, expected uint8 (or floats in [0, 1])")
        a = (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return a[..., :3]


def crop_box(image: np.ndarray, box, margin: float, where: str) -> np.ndarray:
    """``image`` cut to ``box`` = [x0, y0, x1, y1] pixels grown by ``margin`` x its size on each side."""
    x0, y0, x1, y1 = (float(v) for v in box)
    if not np.isfinite([x0, y0, x1, y1]).all() or x1 <= x0 or y1 <= y0:
        raise ShapeError(f"{where}: bounding box {list(box)} is empty; expected [x0, y0, x1, y1] with x1 > x0, y1 > y0")
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    h, w = image.shape[:2]
    c0, r0 = max(0, int(np.floor(x0 - mx))), max(0, int(np.floor(y0 - my)))
    c1, r1 = min(w, int(np.ceil(x1 + mx))), min(h, int(np.ceil(y1 + my)))
    if c1 <= c0 or r1 <= r0:
        raise ShapeError(f"{where}: bounding box {list(box)} lies outside the {w}x{h} image")
    return image[r0:r1, c0:c1]


def encode_jpeg(image: np.ndarray, size: int, quality: int) -> EncodedImage:
    """(H, W, 3) uint8 -> JPEG no larger than ``size`` a side, as an :class:`EncodedImage`."""
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(image))
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality))
    data = buf.getvalue()
    return EncodedImage(hashlib.sha256(data).hexdigest(), "data:image/jpeg;base64," + base64.b64encode(data).decode())


def frame_images(frames: Sequence[np.ndarray], boxes: Sequence | None, *, max_frames: int, size: int,
                 quality: int, margin: float, where: str) -> list[EncodedImage]:
    """Encoded crops of up to ``max_frames`` evenly spaced ``frames``; ``boxes``: one [x0, y0, x1, y1]
    per frame (pixels), or None when the frames are already cropped."""
    if boxes is not None and len(boxes) != len(frames):
        raise ShapeError(f"{where}: {len(frames)} frames but {len(boxes)} bounding boxes; expected one box a frame")
    out = []
    for i in pick_indices(len(frames), max_frames):
        img = _as_rgb(frames[i], f"{where}, frame {i}")
        if boxes is not None:
            img = crop_box(img, boxes[i], margin, f"{where}, frame {i}")
        out.append(encode_jpeg(img, size, quality))
    return out
