"""Hostile images and videos for ``build-dataset``, made at test time (a few kB each, except the real
fixtures they are cut from). ``IMAGES``/``VIDEOS`` map a case name to (file suffix, builder(path))."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path


DATA = Path(__file__).parent.parent / "data"
PERSON = DATA / "images" / "basketball1.png"  # a real photo with a person: the "good" input of a batch
VIDEO = DATA / "video" / "vtest.avi"


def _pil(mode: str, size: tuple[int, int], fmt: str = "PNG", **kw) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        from PIL import Image

        src = Image.open(PERSON).convert("RGB")
        img = src.resize(size) if size != src.size else src
        img.convert(mode).save(path, fmt, **kw)
    return build


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _huge_png(path: Path) -> None:
    """A valid PNG header declaring 100000 x 100000 RGB pixels, with one short compressed row of data."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x80" * 3000)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
                     + _png_chunk(b"IEND", b""))


def _bytes(body: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(body)


def _garbage(path: Path) -> None:
    rng = random.Random(15)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(8192)))


def _truncated(source: Path, keep: float) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        data = source.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
    return build


def _png_bytes() -> bytes:
    buf = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _video(size: tuple[int, int], frames: int, fps: float = 10.0) -> Callable[[Path], None]:
    """Frames of the real vtest.avi (people walking), resized, written with OpenCV's MJPG writer."""
    def build(path: Path) -> None:
        import cv2

        cap = cv2.VideoCapture(str(VIDEO))
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
        for _ in range(frames):
            ok, frame = cap.read()
            if not ok:
                break
            writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
        writer.release()
        cap.release()
    return build


def _vfr(path: Path) -> None:
    """Variable frame rate (Matroska): the real video's first 40 frames, the second half 3x as far apart."""
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(VIDEO), "-frames:v", "40",
           "-vf", "setpts='if(lt(N,20),N,20+(N-20)*3)/(10*TB)'", "-fps_mode", "vfr", "-c:v", "mjpeg", str(path)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


IMAGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "1x1": (".png", _pil("RGB", (1, 1))),
    "2x2": (".png", _pil("RGB", (2, 2))),
    "8x8": (".png", _pil("RGB", (8, 8))),
    "16x16": (".png", _pil("RGB", (16, 16))),
    "64x64": (".png", _pil("RGB", (64, 64))),
    "1x4000-strip": (".png", _pil("RGB", (1, 4000))),
    "huge-dims-header": (".png", _huge_png),
    "grayscale": (".png", _pil("L", (320, 240))),
    "16-bit-grayscale": (".png", _pil("I;16", (320, 240))),
    "alpha": (".png", _pil("RGBA", (320, 240))),
    "palette": (".png", _pil("P", (320, 240))),
    "cmyk-jpeg": (".jpg", _pil("CMYK", (320, 240), "JPEG")),
    "corrupt-png": (".png", _garbage),
    "zero-byte": (".png", _bytes(b"")),
    "truncated-png": (".png", _truncated(PERSON, 0.4)),
    "text-named-jpg": (".jpg", _bytes(b"this is not an image\n" * 20)),
}

VIDEOS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "zero-byte": (".mp4", _bytes(b"")),
    "truncated": (".avi", _truncated(VIDEO, 0.3)),
    "wrong-container": (".mp4", lambda p: p.write_bytes(_png_bytes())),
    "random-bytes": (".mkv", _garbage),
    "1x1": (".avi", _video((1, 1), 20)),
    "48x48": (".avi", _video((48, 48), 20)),
    "one-frame": (".avi", _video((320, 240), 1)),
    "huge-dims": (".avi", _video((3840, 2160), 3)),
    "fps-0.01": (".avi", _video((320, 240), 10, fps=0.01)),
    "variable-frame-rate": (".mkv", _vfr),
}


def make(table: dict, name: str, folder: Path) -> Path:
    suffix, build = table[name]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bad-{name}{suffix}"
    build(path)
    return path
