"""Pictures people can watch: skeleton animations (mp4 / gif), dataset plots and an offline HTML gallery.

``render``  joints (T, J, 3) metres, Y up  ->  .mp4 / .gif (one panel, or side by side)
``plots``   clip lengths and per-subset counts  ->  .png / .svg / .pdf
``gallery`` rendered items  ->  one self-contained HTML page with relative links

The heavy modules (matplotlib) load on first use, so ``import motionbase.viz`` and the CLI stay fast.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import FormatError

_LAZY = {
    "RenderConfig": "render", "render_motion": "render", "render_side_by_side": "render",
    "render_frames": "render", "VIDEO_SUFFIXES": "render",
    "length_histogram": "plots", "count_bars": "plots",
    "GalleryItem": "gallery", "write_gallery": "gallery",
}

__all__ = sorted([*_LAZY, "atomic_output", "checked_path", "register"])


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextlib.contextmanager
def atomic_output(out_path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``out_path`` with the same suffix; on success ``os.replace`` it into place.

    The suffix is kept so that writers which choose the format by extension (ffmpeg, Pillow,
    matplotlib) pick the right one. On any exception the temporary file is removed and
    ``out_path`` is left untouched. Missing parent folders are created.
    """
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}.", suffix=out.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _load_motion(path: Path):
    """A ``.npy`` of joints (T, J, 3) metres, or of HumanML3D features (T, 263) turned into joints."""
    import numpy as np

    checked_path(path, (".npy",), "motion")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise FormatError(path, f"not a readable .npy file ({exc})") from None
    if arr.ndim == 2:
        from ..features.humanml3d import features_to_joints
        from ..features.layout import HML3D_LAYOUT

        if arr.shape[1] != HML3D_LAYOUT.dim:
            raise FormatError(path, f"array {arr.shape}; expected joints (T, J, 3) or features (T, {HML3D_LAYOUT.dim})")
        arr = features_to_joints(arr.astype(np.float64), final_frame=True)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise FormatError(path, f"array {arr.shape}; expected joints (T, J, 3) metres or HumanML3D features (T, 263)")
    return arr


def checked_path(out_path: str | os.PathLike, suffixes: tuple[str, ...], kind: str) -> Path:
    """``out_path`` as a Path if its suffix is one of ``suffixes``, else a one-line FormatError."""
    out = Path(out_path)
    if out.suffix.lower() not in suffixes:
        raise FormatError(out, f"unknown {kind} suffix {out.suffix!r}; expected one of {', '.join(suffixes)}")
    return out


def register(app) -> None:
    """Add ``render`` and ``gallery`` to the ``motionbase`` typer app; heavy imports wait for the command."""
    import typer

    @app.command("render")
    def render_cmd(
        motions: list[Path] = typer.Argument(..., help=".npy joints (T, J, 3) metres or HumanML3D features (T, 263); "
                                             "several are drawn side by side"),
        out: Path = typer.Option(..., "--out", "-o", help="output .mp4 or .gif"),
        title: list[str] | None = typer.Option(None, "--title", "-t", help="caption per motion (repeat)"),
        fps: float = typer.Option(20.0, help="frames per second of the motion"),
        camera: str = typer.Option("follow", help="follow (camera tracks the root) or fit (still, whole motion)"),
        size: int = typer.Option(320, help="panel side in pixels"),
        stride: int = typer.Option(1, help="draw every n-th frame"),
    ) -> None:
        """Draw motions as a skeleton animation (left side blue, right side red)."""
        from .render import RenderConfig, render_side_by_side

        arrays = [_load_motion(m) for m in motions]
        titles = list(title) if title else ([m.stem for m in motions] if len(motions) > 1 else [None])
        cfg = RenderConfig(size_px=size, camera=camera, stride=stride)  # type: ignore[arg-type]
        typer.echo(render_side_by_side(arrays, titles, out, fps=fps, config=cfg))

    @app.command("gallery")
    def gallery_cmd(
        items_json: Path = typer.Argument(..., help="JSON list of {title, prompt, video, gif, bvh, npy}; "
                                          "media paths relative to this file"),
        out: Path = typer.Argument(..., help="output .html"),
        title: str = typer.Option("motionbase gallery", help="page title"),
    ) -> None:
        """Write an offline HTML page showing rendered motions with download links."""
        import json

        from .gallery import write_gallery

        try:
            items = json.loads(items_json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FormatError(items_json, f"not a readable JSON list of gallery items ({exc})") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise FormatError(items_json, "expected a JSON list of objects")
        base = items_json.parent
        media = ("video", "mp4", "gif", "bvh", "npy")
        items = [{k: (str(base / v) if k in media and v else v) for k, v in i.items()} for i in items]
        typer.echo(write_gallery(items, out, title=title))
