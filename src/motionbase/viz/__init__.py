"""Pictures people can watch: skeleton animations (mp4 / gif), dataset plots and an offline HTML gallery.

``render``  joints (T, J, 3) metres, Y up  ->  .mp4 / .gif (one panel, or side by side)
``plots``   clip lengths and per-subset counts  ->  .png / .svg / .pdf
``gallery`` rendered items  ->  one self-contained HTML page with relative links

The heavy modules (matplotlib) load on first use, so ``import motionbase.viz`` and the CLI stay fast.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from ..errors import FormatError
from ..io import atomic_output

_LAZY = {
    "RenderConfig": "render", "render_motion": "render", "render_side_by_side": "render",
    "render_frames": "render", "VIDEO_SUFFIXES": "render",
    "length_histogram": "plots", "count_bars": "plots",
    "GalleryItem": "gallery", "write_gallery": "gallery",
}

__all__ = sorted([*_LAZY, "atomic_output", "checked_path"])


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def checked_path(out_path: str | os.PathLike, suffixes: tuple[str, ...], kind: str) -> Path:
    """``out_path`` as a Path if its suffix is one of ``suffixes``, else a one-line FormatError."""
    out = Path(out_path)
    if out.suffix.lower() not in suffixes:
        raise FormatError(out, f"unknown {kind} suffix {out.suffix!r}; expected one of {', '.join(suffixes)}")
    return out
