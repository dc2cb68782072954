"""``motionbase export bvh STORE --out DIR`` and ``motionbase export humanml3d STORE --out DIR``."""

from __future__ import annotations

from pathlib import Path

import typer
from tqdm import tqdm

from ..data import ClipStore
from ..features.stats import FLOOR_STD, compute_stats
from ..formats.bvh import write_bvh
from ..formats.humanml3d import write_humanml3d
from ..io import path_in
from .batch import run_batch
from .bodymodels import register_exports


def _open(store_path: Path, split: str | None):
    store = ClipStore.open(store_path)
    return store.split(split) if split else store


def register(app: typer.Typer) -> None:
    exp = typer.Typer(no_args_is_help=True, help="Export a clip store to other formats.")
    app.add_typer(exp, name="export")
    register_exports(exp)  # export smplx

    @exp.command("bvh")
    def export_bvh(
        store: Path = typer.Argument(..., help="clip store directory"),
        out: Path = typer.Option(..., "--out", "-o", help="output folder (one ID.bvh per clip)"),
        split: str = typer.Option(None, help="only this split"),
        units: str = typer.Option("cm", help="BVH length unit: cm or m"),
        report: Path = typer.Option(None, help="write a JSON report of done / skipped / failed clips"),
    ) -> None:
        """Write every clip as a BVH file (the store's rig: SMPL-22, or SMPL-52 with fingers; opens in Blender). Existing files are kept (resume)."""
        clips = _open(store, split)
        out.mkdir(parents=True, exist_ok=True)

        def work(i: int) -> bool:
            target = path_in(out, clips.id(i), ".bvh", "clip id")  # ids like ../x or /abs are refused
            if target.exists():
                return False
            write_bvh(target, clips.joints(i), fps=clips.info.fps, units=units, skeleton=clips.skeleton)
            return True

        run_batch(range(len(clips)), clips.id, work, "export bvh", total=len(clips)).finish(
            f"exported to {out}", report)

    @exp.command("humanml3d")
    def export_humanml3d(
        store: Path = typer.Argument(..., help="clip store directory"),
        out: Path = typer.Option(..., "--out", "-o", help="output folder (must not exist)"),
        split: str = typer.Option(None, help="only this split"),
        stats_split: str = typer.Option(None, help="compute Mean/Std on this split (default: the exported clips)"),
    ) -> None:
        """Write the HumanML3D folder layout (new_joint_vecs, new_joints, texts, splits, Mean/Std)."""
        clips = _open(store, split)
        stat_clips = _open(store, stats_split) if stats_split else clips
        floored: list[slice] = []
        stats = compute_stats((stat_clips.features(i) for i in range(len(stat_clips))), clips.layout,
                              floor_constant=True,
                              floored=floored)
        for sl in floored:
            typer.echo(f"warning: features are constant in columns {sl.start}:{sl.stop} over the "
                       f"{len(stat_clips)} clips the stats come from (e.g. feet that never leave the floor); "
                       f"Std.npy holds {FLOOR_STD} there (those columns keep their own units)", err=True)

        def item(i: int):
            # HumanML3D pairs N feature rows with N joint frames (joints recovered from the features);
            # clips stored from joints have one row less, so let the writer derive both from the joints.
            clip, feats = clips.clip(i), clips.features(i)
            return clip, (feats if len(feats) == clip.num_frames else None)

        items = (item(i) for i in tqdm(range(len(clips)), desc="export humanml3d", unit="clip", disable=None))
        path = write_humanml3d(items, out, mean=stats.mean, std=stats.std, layout=clips.layout)
        typer.echo(f"exported {len(clips)} clips to {path}")
