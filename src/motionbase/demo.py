"""The quick-start job behind ``make demo``: shipped sample mocap -> clip store -> videos, BVH, HTML page.

Everything it needs ships inside the package (``assets/samples``, Bandai-Namco CC BY-NC 4.0 takes), so
it runs offline on a fresh machine.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tqdm import tqdm

SAMPLES_LICENCE = "CC BY-NC 4.0 (Bandai Namco Research Inc.)"


def sample_bvh_files() -> list[Path]:
    """The BVH takes shipped with motionbase."""
    root = Path(str(resources.files("motionbase") / "assets" / "samples"))
    return sorted(root.glob("*.bvh"))


def run_demo(out: Path, *, size_px: int = 320) -> Path:
    """Import the samples into ``out/store``, render each clip (mp4 + gif), export BVH; returns the HTML page."""
    from .data import ClipStore
    from .data.labels import caption_from_filename
    from .formats.bvh import load_bvh, write_bvh
    from .viz.gallery import write_gallery
    from .viz.render import RenderConfig, render_motion

    out = Path(out)
    store = ClipStore.create(out / "store", exist_ok=True)
    with store.writer() as writer:
        for path in sample_bvh_files():
            if path.stem in store:
                continue
            clip = load_bvh(path, source="bandai-namco-2", licence=SAMPLES_LICENCE)
            clip.captions.whole, labels = caption_from_filename(path)
            clip.meta.labels.update(labels)
            writer.add(clip)
    store.reload()
    items = []
    config = RenderConfig(size_px=size_px)
    for i in tqdm(range(len(store)), desc="render + export", unit="clip", disable=None):
        clip = store.clip(i)
        name, caption = clip.meta.id, (clip.captions.whole[0] if clip.captions.whole else clip.meta.id)
        media = {"mp4": out / "videos" / f"{name}.mp4", "gif": out / "videos" / f"{name}.gif",
                 "bvh": out / "bvh" / f"{name}.bvh"}
        for key in ("mp4", "gif"):
            if not media[key].exists():
                render_motion(clip.joints_m, media[key], fps=clip.fps, title=caption, config=config)
        if not media["bvh"].exists():
            write_bvh(media["bvh"], clip.joints_m, fps=clip.fps)
        items.append({"title": name, "prompt": caption, "video": str(media["mp4"]), "gif": str(media["gif"]),
                      "bvh": str(media["bvh"])})
    return write_gallery(items, out / "index.html", title="motionbase demo: sample motion capture")
