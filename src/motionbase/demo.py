"""The quick-start job behind ``make demo``: text -> motion with the shipped default model, and the shipped
sample mocap -> clip store; skeleton videos (mp4 + gif), BVH files and one HTML page for both.

Everything it needs ships inside the package (``assets/models``: the default models; ``assets/samples``:
Bandai-Namco CC BY-NC 4.0 takes), so it runs offline on a fresh machine. Without the LM extras (or with no
shipped models) the text-to-motion half is left out with a note, and the sample half still runs.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tqdm import tqdm

from .errors import MotionbaseError
from .generation import MotionGenerator, slug
from .io import safe_name
from .viz.gallery import write_gallery

SAMPLES_LICENCE = "CC BY-NC 4.0 (Bandai Namco Research Inc.)"
# In-domain prompts for the default model (it knows the Bandai-Namco contents and styles).
DEMO_PROMPTS = ("a person waves the left hand.", "an elderly person slowly walks forward.",
                "a person walks and turns to the right.", "an energetic person runs forward.",
                "a person raises both hands above the head.")
DEMO_SEED = 0


def sample_bvh_files() -> list[Path]:
    """The BVH takes shipped with motionbase."""
    root = Path(str(resources.files("motionbase") / "assets" / "samples"))
    return sorted(root.glob("*.bvh"))


def run_demo(out: Path, *, size_px: int = 320, prompts: tuple[str, ...] | None = DEMO_PROMPTS,
             notes: list[str] | None = None) -> Path:
    """Generate motions for ``prompts`` (None: skip), import the samples into ``out/store``, render each
    motion (mp4 + gif) and export BVH; returns the HTML page. A second run redoes nothing already written.
    ``notes`` collects why a part was left out (e.g. the LM extras are missing)."""
    out = Path(out)
    notes = notes if notes is not None else []
    items = _generated(out, prompts, size_px, notes) if prompts else []
    items += _samples(out, size_px)
    title = "motionbase demo: text -> motion with the default model, and sample motion capture"
    return write_gallery(items, out / "index.html", title=title)


def _generated(out: Path, prompts: tuple[str, ...], size_px: int, notes: list[str]) -> list[dict]:
    """Text -> motion for each prompt with the shipped default models (seeded), as gallery items."""
    # deferred for a quick start: imports scipy
    from .viz.render import RenderConfig

    stems = [f"{i:02d}-{slug(p)}" for i, p in enumerate(prompts)]
    folder = out / "generated"
    kinds = ("npy", "mp4", "gif", "bvh")
    todo = [i for i, stem in enumerate(stems) if not all((folder / f"{stem}.{k}").exists() for k in kinds)]
    if todo:
        try:
            gen = MotionGenerator.load()
        except MotionbaseError as exc:
            notes.append(f"text -> motion left out: {exc}")
            return []
        motions = gen.text_to_motion([prompts[i] for i in todo], None, seed=DEMO_SEED)
        config = RenderConfig(size_px=size_px)
        for i, motion in zip(tqdm(todo, desc="text -> motion", unit="prompt", disable=None), motions):
            gen.save(motion, folder, stems[i], render=config, kinds=kinds)
    return [{"title": f"generated: {stem}", "prompt": prompt, "video": str(folder / f"{stem}.mp4"),
             "gif": str(folder / f"{stem}.gif"), "bvh": str(folder / f"{stem}.bvh"),
             "npy": str(folder / f"{stem}.npy")} for stem, prompt in zip(stems, prompts)]


def _samples(out: Path, size_px: int) -> list[dict]:
    """The shipped sample takes -> ``out/store``, videos and BVH, as gallery items."""
    # deferred for a quick start: imports pyarrow, scipy
    from .data import ClipStore
    from .data.labels import label_from_filename
    from .formats.bvh import load_bvh, write_bvh
    from .viz.render import RenderConfig, render_motion

    store = ClipStore.create(out / "store", exist_ok=True)
    with store.writer() as writer:
        for path in sample_bvh_files():
            if path.stem in store:
                continue
            writer.add(label_from_filename(load_bvh(path, source="bandai-namco-2", licence=SAMPLES_LICENCE), path))
    store.reload()
    items = []
    config = RenderConfig(size_px=size_px)
    for i in tqdm(range(len(store)), desc="render + export", unit="clip", disable=None):
        clip = store.clip(i)
        name, caption = safe_name(clip.meta.id, "clip id"), (clip.captions.whole[0] if clip.captions.whole else clip.meta.id)
        media = {"mp4": out / "videos" / f"{name}.mp4", "gif": out / "videos" / f"{name}.gif",
                 "bvh": out / "bvh" / f"{name}.bvh"}
        for key in ("mp4", "gif"):
            if not media[key].exists():
                render_motion(clip.joints_m, media[key], fps=clip.fps, title=caption, config=config)
        if not media["bvh"].exists():
            write_bvh(media["bvh"], clip.joints_m, fps=clip.fps)
        items.append({"title": f"sample mocap: {name}", "prompt": caption, "video": str(media["mp4"]),
                      "gif": str(media["gif"]), "bvh": str(media["bvh"])})
    return items
