"""Read and cut: find inputs, probe and decode videos (any format OpenCV's bundled FFmpeg reads), load images,
choose which source frames to process for a 20 fps result, and split long footage into random sub-clips.

Frame rates. Poses are estimated on source frames, never on invented ones: a source faster than the target
(e.g. 30 or 60 fps) is decoded only at the frames nearest to each 20 fps tick (timing error at most half a
source frame), a slower one (the 10 fps fixture) is decoded whole and its cleaned joints are interpolated up
to 20 fps afterwards (:class:`FrameSchedule`).

Cutting (paper, appendix A.1): long footage is split into sub-clips of random durations between 10 s and
60 s, seeded by the input's name and a seed, so a rerun cuts the same way (:func:`random_cuts`).

OpenCV (the ``[video]`` extra) is imported on first use; everything else here is plain numpy.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from ..errors import FormatError, MotionbaseError

# Inputs smaller than this on a side hold no person the detector or pose model can use, and native code
# (OpenCV's HOG, MediaPipe) has crashed on such sizes; they are refused before any of it runs.
MIN_SIDE_PX = 32
MAX_PIXELS = 100_000_000  # per frame or image (a 10,000 x 10,000 still); larger is refused before decoding


def check_size(path: str | Path, width: int, height: int, what: str) -> None:
    """:class:`FormatError` unless ``width`` x ``height`` is within the sizes the pipeline takes."""
    if min(width, height) < MIN_SIDE_PX:
        raise FormatError(path, f"{what} is {width}x{height} px; expected at least {MIN_SIDE_PX} px on each side")
    if width * height > MAX_PIXELS:
        raise FormatError(path, f"{what} is {width}x{height} px; expected at most {MAX_PIXELS:,} pixels")


VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def require(module: str, purpose: str, install: str = "pip install 'motionbase[video]'"):
    """Import an optional dependency, or raise a one-line :class:`MotionbaseError` saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MotionbaseError(f"{purpose} needs {module} ({exc}); install it: {install}") from None


def require_cv2():
    """The ``cv2`` module (OpenCV, the ``[video]`` extra)."""
    return require("cv2", "the video pipeline")


def media_kind(path: str | Path) -> str:
    """"video" or "image" from the file suffix; :class:`FormatError` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    raise FormatError(path, f"unknown media suffix {suffix!r}; expected a video "
                            f"({', '.join(VIDEO_SUFFIXES)}) or an image ({', '.join(IMAGE_SUFFIXES)})")


def find_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the videos and images under given folders (recursively, sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            media = VIDEO_SUFFIXES + IMAGE_SUFFIXES
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in media)
        else:
            out.append(p)
    return out


@dataclass(frozen=True)
class VideoInfo:
    """What the container says: frames per second, frame count (may be an estimate), size in pixels."""

    path: str
    fps: float
    num_frames: int
    width: int
    height: int

    @property
    def seconds(self) -> float:
        return self.num_frames / self.fps


def probe_video(path: str | Path) -> VideoInfo:
    """Open ``path`` and read its header; :class:`FormatError` if it is not a readable, non-empty video."""
    cv2 = require_cv2()
    path = Path(path)
    if not path.is_file():
        raise FormatError(path, "no such file")
    if path.stat().st_size == 0:
        raise FormatError(path, "empty file (0 bytes); expected a video")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise FormatError(path, "cannot open as a video (corrupt, or a codec FFmpeg does not know)")
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        ok = cap.grab()
    finally:
        cap.release()
    if not ok or n <= 0 or w <= 0 or h <= 0:
        raise FormatError(path, "no decodable frame; expected a video with at least one frame", frame=0)
    if not (0.5 <= fps <= 1000.0):
        raise FormatError(path, f"frame rate {fps!r} fps is implausible; expected 0.5-1000 fps")
    check_size(path, w, h, "the video")
    return VideoInfo(str(path), fps, n, w, h)


def iter_frames(path: str | Path, frames: Sequence[int]) -> Iterator[tuple[int, np.ndarray]]:
    """Decode ``path`` once, front to back, yielding ``(index, BGR uint8 (H, W, 3))`` for the sorted source
    frame ``frames``; frames in between are grabbed without conversion. Stops early, without error, where
    the stream ends (a truncated file); the caller sees which frames came."""
    cv2 = require_cv2()
    wanted = np.unique(np.asarray(frames, dtype=np.int64))
    cap = cv2.VideoCapture(str(path))
    try:
        at = 0
        for k in wanted:
            while at < k:
                if not cap.grab():
                    return
                at += 1
            ok, image = cap.read()
            if not ok or image is None:
                return
            at += 1
            yield int(k), image
    finally:
        cap.release()


def load_image(path: str | Path) -> np.ndarray:
    """BGR uint8 (H, W, 3) of an image file (grey and alpha converted); :class:`FormatError` if unreadable."""
    cv2 = require_cv2()
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise FormatError(path, f"cannot read ({exc.strerror or exc})") from None
    size = _image_header_size(path, data)
    if size is not None:
        check_size(path, *size, "the image")
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None or image.size == 0:
        raise FormatError(path, "not a readable image (corrupt or an unknown format)")
    check_size(path, image.shape[1], image.shape[0], "the image")
    return image


def _image_header_size(path: Path, data: np.ndarray) -> tuple[int, int] | None:
    """(width, height) from the image's header without decoding it (Pillow), or None if it cannot tell."""
    import io
    import warnings

    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data.tobytes())) as im:
                return im.size
    except Image.DecompressionBombError as exc:
        raise FormatError(path, f"the image is too large to decode ({exc}); expected at most "
                                f"{MAX_PIXELS:,} pixels") from None
    except Exception:  # noqa: BLE001 - no Pillow, or a format it does not know: OpenCV decides below
        return None


@dataclass(frozen=True)
class FrameSchedule:
    """Which source frames to decode, and the rate the decoded sequence has.

    source_frames: (N,) sorted source indices; fps: frames per second of that sequence (the target rate when
    the source is faster, else the source rate); times_s: (N,) source time of each decoded frame.
    """

    source_frames: np.ndarray
    fps: float
    times_s: np.ndarray


def frame_schedule(num_frames: int, src_fps: float, dst_fps: float = 20.0) -> FrameSchedule:
    """Decode every frame of a source at or below ``dst_fps``; above it, the nearest frame to each tick."""
    if num_frames < 1 or not (src_fps > 0 and dst_fps > 0):
        raise MotionbaseError(f"cannot schedule {num_frames} frame(s) at {src_fps} fps for {dst_fps} fps")
    if src_fps <= dst_fps * (1 + 1e-6):
        frames = np.arange(num_frames)
        return FrameSchedule(frames, float(src_fps), frames / src_fps)
    count = int(np.floor((num_frames - 1) * dst_fps / src_fps + 1e-9)) + 1
    frames = np.minimum(np.floor(np.arange(count) * src_fps / dst_fps + 0.5 + 1e-9).astype(np.int64), num_frames - 1)
    return FrameSchedule(frames, float(dst_fps), frames / src_fps)


def input_rng(key: str, seed: int) -> np.random.Generator:
    """A generator seeded by ``seed`` and a stable hash of ``key`` (an input's name): same input, same draws."""
    return np.random.default_rng([int(seed), zlib.crc32(key.encode("utf-8"))])


def random_cuts(num_frames: int, fps: float, rng: np.random.Generator, *, min_s: float = 10.0,
                max_s: float = 60.0) -> list[tuple[int, int]]:
    """Split ``num_frames`` frames at ``fps`` into consecutive half-open ranges of random 10-60 s (paper A.1).

    Footage no longer than ``max_s`` stays whole. Otherwise durations are drawn uniformly in
    [``min_s``, ``max_s``] until the rest fits in one piece; a rest shorter than ``min_s`` is merged into
    the previous piece when that stays within ``max_s``, else the previous piece is shortened to make room.
    """
    if not 0 < min_s <= max_s:
        raise MotionbaseError(f"cut durations must satisfy 0 < min <= max, got {min_s} and {max_s} s")
    lo, hi = int(round(min_s * fps)), int(round(max_s * fps))
    bounds, at = [0], 0
    while num_frames - at > hi:
        at += int(rng.integers(lo, hi + 1))
        bounds.append(at)
    rest = num_frames - at
    if len(bounds) > 1 and rest < lo:
        prev = at - bounds[-2]
        if prev + rest <= hi:
            bounds.pop()
        else:
            bounds[-1] = num_frames - lo
    bounds.append(num_frames)
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
