"""``motionbase render MOTION... --out x.mp4|x.gif`` and ``motionbase gallery ITEMS.json OUT.html``.

A MOTION is a ``.npy`` of joints (T, J, 3) metres or HumanML3D features (T, 263), a ``.bvh`` file of a
known skeleton, or a clip of a store written ``STORE::ID`` (or ``STORE::INDEX``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer

from ..data import ClipStore
from ..errors import FormatError
from ..features.humanml3d import features_to_joints
from ..features.layout import FeatureLayout
from ..generation_tasks import load_motion_file
from ..skeleton import SKELETONS, skeleton_for_joints
from ..viz.gallery import write_gallery
from ..viz.render import RenderConfig, render_side_by_side


def load_motion(spec: str) -> tuple[np.ndarray, str]:
    """(joints (T, J, 3) metres, a title) for a motion given on the command line."""
    if "::" in spec:
        store_path, key = spec.rsplit("::", 1)
        store = ClipStore.open(store_path)
        i = int(key) if key.isdigit() and key not in store else store.index(key)
        clip = store.clip(i)
        return clip.joints_m, (clip.captions.whole[0] if clip.captions.whole else clip.meta.id)
    path = Path(spec)
    arr = load_motion_file(path)
    if arr.ndim == 2:
        layouts = {FeatureLayout(sk).dim: FeatureLayout(sk) for sk in SKELETONS.values()}
        arr = features_to_joints(arr.astype(np.float64), layouts[arr.shape[1]], final_frame=True)
    return arr, path.stem


def register(app: typer.Typer) -> None:
    @app.command("render")
    def render_cmd(
        motions: list[str] = typer.Argument(..., help=".npy joints/features, .bvh, or STORE::ID; several are "
                                            "drawn side by side"),
        out: Path = typer.Option(..., "--out", "-o", help="output .mp4 or .gif"),
        title: list[str] = typer.Option(None, "--title", "-t", help="caption per motion (repeat)"),
        fps: float = typer.Option(20.0, help="frames per second of the motion"),
        camera: str = typer.Option("follow", help="follow (camera tracks the root) or fit (still, whole motion)"),
        size: int = typer.Option(320, help="panel side in pixels"),
        stride: int = typer.Option(1, help="draw every n-th frame"),
    ) -> None:
        """Draw motions as a skeleton animation (left side blue, right side red)."""
        loaded = [load_motion(m) for m in motions]
        titles = list(title) if title else [t for _, t in loaded]
        cfg = RenderConfig(size_px=size, camera=camera, stride=stride)  # type: ignore[arg-type]
        skeleton = skeleton_for_joints(loaded[0][0].shape[1])  # 22: body, 52: body + hands
        typer.echo(render_side_by_side([a for a, _ in loaded], titles, out, fps=fps, config=cfg, skeleton=skeleton))

    @app.command("gallery")
    def gallery_cmd(
        items_json: Path = typer.Argument(..., help="JSON list of {title, prompt, video, gif, bvh, npy}; "
                                          "media paths relative to this file"),
        out: Path = typer.Argument(..., help="output .html"),
        title: str = typer.Option("motionbase gallery", help="page title"),
    ) -> None:
        """Write an offline HTML page showing rendered motions with download links."""
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
