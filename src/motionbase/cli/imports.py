"""``motionbase import bvh PATHS... --out STORE`` and ``motionbase import humanml3d DIR --out STORE``.

Imports are resumable: clips whose id (file stem) is already in the store are skipped. A bad file is
reported (one line) and the batch goes on; failures are listed at the end and in ``--report``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .batch import run_batch


def _bvh_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files += sorted(p.rglob("*.bvh")) if p.is_dir() else [p]
    return files


def register(app: typer.Typer) -> None:
    imp = typer.Typer(no_args_is_help=True, help="Import motion into a clip store.")
    app.add_typer(imp, name="import")

    @imp.command("bvh")
    def import_bvh(
        paths: list[Path] = typer.Argument(..., help="BVH files or folders (searched recursively)"),
        out: Path = typer.Option(..., "--out", "-o", help="clip store directory (created if missing)"),
        caption_from_filename: bool = typer.Option(False, help="captions and labels from file names "
                                                   "(natural sentences for Bandai-Namco names)"),
        joint_map: str = typer.Option("auto", help="joint map name, or auto-detect from joint names"),
        unit: str = typer.Option(None, help="metres per file unit or a unit name (cm, m, cmu); default: detect"),
        up: str = typer.Option(None, help="the file's up axis (+y, +z, ...); default: detect"),
        source: str = typer.Option("", help="source name stored with every clip"),
        subset: str = typer.Option("", help="subset name (for held-out-subset splits)"),
        licence: str = typer.Option("", help="licence stored with every clip"),
        report: Path = typer.Option(None, help="write a JSON report of done / skipped / failed files"),
    ) -> None:
        """Import BVH files (any skeleton with a joint map) as SMPL-22 clips at 20 fps."""
        from ..data import ClipStore
        from ..data.labels import label_from_filename
        from ..formats.bvh import load_bvh

        files = _bvh_files(paths)
        store = ClipStore.create(out, exist_ok=True)
        with store.writer() as writer:
            def work(path: Path) -> bool:
                if path.stem in store:
                    return False
                clip = load_bvh(path, joint_map=joint_map, unit=unit, up=up, source=source, licence=licence)
                clip.meta.subset = subset
                if caption_from_filename:
                    label_from_filename(clip, path)
                return writer.add(clip)

            result = run_batch(files, str, work, "import bvh", total=len(files))
        result.finish(f"imported into {out}", report)

    @imp.command("humanml3d")
    def import_humanml3d(
        folder: Path = typer.Argument(..., help="a HumanML3D folder (new_joint_vecs/, new_joints/, texts/, ...)"),
        out: Path = typer.Option(..., "--out", "-o", help="clip store directory (created if missing)"),
        source: str = typer.Option("humanml3d", help="source name stored with every clip"),
        licence: str = typer.Option("AMASS-derived, non-commercial research", help="licence stored with every clip"),
        report: Path = typer.Option(None, help="write a JSON report of done / skipped / failed samples"),
    ) -> None:
        """Import a HumanML3D-layout folder, keeping its own feature vectors and captions; the store's
        train/val/test splits come from the folder's train.txt/val.txt/test.txt."""
        from ..data import ClipStore
        from ..formats.humanml3d import read_humanml3d

        from ..formats.humanml3d_splits import apply_split_labels

        store = ClipStore.create(out, exist_ok=True)
        split_of: dict[str, str] = {}
        with store.writer() as writer:
            def work(item) -> bool:
                clip, feats = item
                clip.meta.source, clip.meta.licence = source, licence
                split_of[clip.meta.id] = clip.meta.labels.get("split", "")
                return writer.add(clip, feats)

            result = run_batch(read_humanml3d(folder), lambda item: item[0].meta.id, work, "import humanml3d")
        counts = apply_split_labels(ClipStore.open(out), split_of)
        typer.echo("splits from the split files: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or
                                                      "none (no train.txt/val.txt/test.txt in the folder)"))
        result.finish(f"imported into {out}", report)
