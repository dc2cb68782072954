"""``motionbase import bvh PATHS... --out STORE`` and ``motionbase import humanml3d DIR --out STORE``.

Imports are resumable: a file already in the store (same source path) is skipped. A clip's id is the
file's stem; when that stem is taken by another file (``a/take1.bvh`` and ``b/take1.bvh``), the later one
gets ``stem-XXXXXXXX`` (a hash of its absolute path), so no file is lost and a rerun finds the same ids.
A bad file is reported (one line) and the batch goes on; failures are listed at the end and in ``--report``.
A write error (disk full) stops the batch with a one-line summary (see :mod:`.batch`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import typer

from ..data import ClipStore
from ..data.labels import label_from_filename
from ..errors import FormatError
from ..formats.bvh import load_bvh
from ..formats.humanml3d import read_humanml3d
from ..formats.humanml3d_splits import apply_split_labels
from .batch import store_batch
from .bodymodels import register_imports


def _bvh_files(paths: list[Path]) -> list[Path]:
    missing = [p for p in paths if not p.exists()]
    if missing:  # before the store is created: a typo must not leave an empty store folder
        raise FormatError(missing[0], "no such file or folder (expected BVH files or folders of them)")
    files: list[Path] = []
    for p in paths:
        files += sorted(p.rglob("*.bvh")) if p.is_dir() else [p]
    return files


def _same_file(stored: str, path: Path) -> bool:
    """Whether a manifest ``file`` entry names ``path`` (relative entries: from this folder, or as a path tail)."""
    if not stored:
        return False
    here = path.resolve()
    s = Path(stored)
    return s.resolve() == here or (not s.is_absolute() and here.as_posix().endswith("/" + s.as_posix().lstrip("./")))


def bvh_ids(files: list[Path], stored: dict[str, str]) -> dict[Path, str | None]:
    """Clip id of each file (None: already in the store from that same file). ``stored``: {id: source file}."""
    ids: dict[Path, str | None] = {}
    taken = set(stored)
    for path in files:
        stem = path.stem
        alt = f"{stem}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]}"
        if any(c in stored and _same_file(stored[c], path) for c in (stem, alt)):
            ids[path] = None
            continue
        ids[path] = stem if stem not in taken else alt
        taken.add(ids[path])
    return ids


def _stored_files(store) -> dict[str, str]:
    table = store.manifest().select(["id", "file"]).to_pydict()
    return dict(zip(table["id"], table["file"]))


def register(app: typer.Typer) -> None:
    imp = typer.Typer(no_args_is_help=True, help="Import motion into a clip store.")
    app.add_typer(imp, name="import")
    register_imports(imp)  # import amass|motionx

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
        files = _bvh_files(paths)
        store = ClipStore.create(out, exist_ok=True)
        ids = bvh_ids(files, _stored_files(store))

        def work(writer, path: Path) -> bool:
            if ids[path] is None:
                return False
            clip = load_bvh(path, joint_map=joint_map, unit=unit, up=up, source=source, licence=licence)
            clip.meta.id = ids[path]
            clip.meta.subset = subset
            if caption_from_filename:
                label_from_filename(clip, path)
            return writer.add(clip)

        store_batch(store, files, str, work, "import bvh", total=len(files)).finish(f"imported into {out}", report)

    @imp.command("humanml3d")
    def import_humanml3d(
        folder: Path = typer.Argument(..., help="a HumanML3D folder (new_joint_vecs/, new_joints/, texts/, ...)"),
        out: Path = typer.Option(..., "--out", "-o", help="clip store directory (created if missing)"),
        source: str = typer.Option("humanml3d", help="source name stored with every clip"),
        licence: str = typer.Option("AMASS-derived, non-commercial research", help="licence stored with every clip"),
        report: Path = typer.Option(None, help="write a JSON report of done / skipped / failed samples"),
    ) -> None:
        """Import a HumanML3D-layout folder, keeping its own feature vectors and captions; the store's
        train/val/test splits come from the folder's train.txt/val.txt/test.txt. A sample with bad arrays (NaN,
        wrong shape) is reported and the others are stored."""
        if not folder.is_dir():
            raise FormatError(folder, "no such folder (expected a HumanML3D folder)")
        store = ClipStore.create(out, exist_ok=True)
        invalid: dict[str, str] = {}
        split_of: dict[str, str] = {}

        def work(writer, item) -> bool:
            clip, feats = item
            clip.meta.source, clip.meta.licence = source, licence
            split_of[clip.meta.id] = clip.meta.labels.get("split", "")
            return writer.add(clip, feats)

        samples = read_humanml3d(folder, on_invalid=lambda clip_id, exc: invalid.__setitem__(clip_id, str(exc)))
        result = store_batch(store, samples, lambda item: item[0].meta.id, work, "import humanml3d")
        result.failed.update(invalid)
        counts = apply_split_labels(ClipStore.open(out), split_of)
        typer.echo("splits from the split files: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or
                                                      "none (no train.txt/val.txt/test.txt in the folder)"))
        result.finish(f"imported into {out}", report)
