"""``motionbase import amass DIR``, ``motionbase import motionx DIR`` and ``motionbase export smplx STORE``.

Body-model files come from ``--body-models DIR`` or ``$MOTIONBASE_BODY_MODELS`` (docs/BODY_MODELS.md).
Imports are resumable (a source file whose clips are all in the store is skipped) and parallel
(``--workers N`` processes compute joints and features; one writer appends them). A bad file is reported
on one line and the batch goes on.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import typer

from ..bodymodels.datasets import BodyImportConfig, amass_items, load_amass_item, load_motionx_item, motionx_items
from ..bodymodels.export import export_clip_smplx
from ..bodymodels.files import load_body_model, models_root
from ..bodymodels.fit import WholeBodyFitConfig
from ..data import ClipStore
from ..errors import MotionbaseError
from .batch import run_batch

_MODELS_HELP = "folder holding smplh/ and smplx/ model files (default: $MOTIONBASE_BODY_MODELS)"


def _one_thread() -> None:
    import torch  # torch: 1 s, only in worker processes; --help stays torch-free

    torch.set_num_threads(1)


def _safe(job):
    loader, item, config = job
    try:
        return loader(item, config)
    except MotionbaseError as exc:  # exceptions with custom __init__ do not unpickle: send the message
        return str(exc)


def _results(loader, items, config, workers: int):
    jobs = ((loader, item, config) for item in items)
    if workers <= 1:
        yield from map(_safe, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_one_thread) as pool:
        yield from pool.map(_safe, jobs, chunksize=1)


def _import(folder: Path, items, loader, config, out: Path, workers: int, desc: str, report: Path | None,
            missing: list[str] = ()) -> None:
    if not items and not missing:
        raise MotionbaseError(f"{folder}: no sequence files found (AMASS: *.npz, Motion-X: *.npy, searched recursively)")
    store = ClipStore.create(out, skeleton=config.skeleton, exist_ok=True)
    present = [all(i in store for i in it.ids) for it in items]
    todo = [it for it, p in zip(items, present) if not p]
    done_before = [it.rel for it, p in zip(items, present) if p]
    with store.writer() as writer:
        def work(pair) -> bool:
            _, result = pair
            if isinstance(result, str):
                raise MotionbaseError(result)
            added = [writer.add(clip, feats) for clip, feats in result]
            return any(added)

        result = run_batch(zip(todo, _results(loader, todo, config, workers)), lambda p: p[0].rel, work, desc,
                           total=len(todo))
    result.skipped += done_before
    for entry in missing:
        result.failed[entry.split(" ")[0]] = entry
    result.finish(f"imported into {out}", report)


def register_imports(imp: typer.Typer) -> None:
    @imp.command("amass")
    def import_amass(
        folder: Path = typer.Argument(..., help="an AMASS folder (searched recursively for .npz)"),
        out: Path = typer.Option(..., "--out", "-o", help="clip store directory (created if missing)"),
        humanml3d: Path = typer.Option(None, help="a HumanML3D checkout: its index.csv cuts and names the clips, "
                                       "its texts/ gives the captions"),
        body_models: Path = typer.Option(None, help=_MODELS_HELP),
        skeleton: str = typer.Option("smpl22", help="smpl22 (body, 263-dim) or smpl52 (body + hands, 623-dim)"),
        mirror: bool = typer.Option(True, help="also store the left/right mirrors (M-prefixed ids)"),
        workers: int = typer.Option(1, min=1, help="parallel processes"),
        licence: str = typer.Option("AMASS, non-commercial research", help="licence stored with every clip"),
        report: Path = typer.Option(None, help="write a JSON report of done / skipped / failed files"),
    ) -> None:
        """Import AMASS SMPL-H sequences as joints at 20 fps (HumanML3D's processing with --humanml3d)."""
        config = BodyImportConfig(body_models=str(models_root(body_models)), skeleton=skeleton, mirror=mirror,
                                  licence=licence)
        index = None
        if humanml3d is not None:
            index = humanml3d / "index.csv" if humanml3d.is_dir() else humanml3d
        items, missing = amass_items(folder, index, mirror)
        _import(folder, items, load_amass_item, config, out, workers, "import amass", report, missing)

    @imp.command("motionx")
    def import_motionx(
        folder: Path = typer.Argument(..., help="Motion-X SMPL-X data (motion_data/smplx_322; .npy, T x 322)"),
        out: Path = typer.Option(..., "--out", "-o", help="clip store directory (created if missing)"),
        texts: Path = typer.Option(None, help="Motion-X texts/ folder (semantic_labels/ inside); default: "
                                   "FOLDER/../../texts when it exists"),
        body_models: Path = typer.Option(None, help=_MODELS_HELP),
        skeleton: str = typer.Option("smpl52", help="smpl52 (body + hands, 623-dim) or smpl22 (body, 263-dim)"),
        fps: float = typer.Option(30.0, help="frame rate of the files"),
        up: str = typer.Option("y", help="the files' up axis: y (Motion-X) or z (AMASS-style)"),
        mirror: bool = typer.Option(True, help="also store the left/right mirrors (M-prefixed ids)"),
        workers: int = typer.Option(1, min=1, help="parallel processes"),
        licence: str = typer.Option("Motion-X, non-commercial research", help="licence stored with every clip"),
        report: Path = typer.Option(None, help="write a JSON report of done / skipped / failed files"),
    ) -> None:
        """Import Motion-X SMPL-X sequences (322 values a frame) as joints at 20 fps, with hands by default."""
        config = BodyImportConfig(body_models=str(models_root(body_models)), skeleton=skeleton, mirror=mirror,
                                  licence=licence, motionx_fps=fps, motionx_up=up)
        if texts is None:
            guess = folder.resolve().parent.parent / "texts"
            texts = guess if guess.is_dir() else None
        _import(folder, motionx_items(folder, texts, mirror), load_motionx_item, config, out, workers, "import motionx",
                report)


def register_exports(exp: typer.Typer) -> None:
    @exp.command("smplx")
    def export_smplx(
        store: Path = typer.Argument(..., help="clip store directory"),
        out: Path = typer.Option(..., "--out", "-o", help="output folder (one ID.npy, T x 322, per clip)"),
        body_models: Path = typer.Option(None, help=_MODELS_HELP),
        split: str = typer.Option(None, help="only this split"),
        steps: int = typer.Option(4, min=1, help="L-BFGS rounds of the fit"),
        report: Path = typer.Option(None, help="write a JSON report of done / skipped / failed clips"),
    ) -> None:
        """Fit SMPL-X to every clip's joints and write Motion-X's 322-value layout. Existing files are kept."""
        clips = ClipStore.open(store)
        clips = clips.split(split) if split else clips
        model = load_body_model("smplx", "neutral", str(models_root(body_models)))
        config = WholeBodyFitConfig(steps=steps)
        out.mkdir(parents=True, exist_ok=True)

        def work(i: int) -> bool:
            target = out / f"{clips.id(i)}.npy"
            if target.exists():
                return False
            export_clip_smplx(target, clips.joints(i), clips.skeleton, model, config)
            return True

        run_batch(range(len(clips)), clips.id, work, "export smplx", total=len(clips)).finish(
            f"exported to {out}", report)


__all__ = ["register_imports", "register_exports"]
