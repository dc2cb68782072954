"""``motionbase info STORE`` and ``motionbase split STORE``."""

from __future__ import annotations

from pathlib import Path

import typer

from ..data import ClipStore, summary
from ..data.splits import assign_splits
from ..viz.plots import length_histogram


def register(app: typer.Typer) -> None:
    @app.command("info")
    def info(store: Path = typer.Argument(..., help="clip store directory"),
             plot: Path = typer.Option(None, help="also write a length histogram (PNG)")) -> None:
        """Counts, hours and a length histogram of a clip store."""
        s = summary(ClipStore.open(store))
        typer.echo(f"{store}: {s['clips']} clips, {s['hours']:.3f} h, {s['frames']} frames")
        for key in ("per_source", "per_subset", "per_split"):
            if s.get(key):
                typer.echo(f"  {key[4:]}: " + ", ".join(f"{k or '-'}={v}" for k, v in s[key].items()))
        edges, counts = s["length_histogram"]["edges_s"], s["length_histogram"]["counts"]
        width = max(counts, default=0) or 1
        labels = [f"{lo:5.1f}-{hi:5.1f} s" for lo, hi in zip(edges[:-1], edges[1:])] + [f">= {edges[-1]:.1f} s"]
        for label, n in zip(labels, counts):
            typer.echo(f"  {label:>14} {n:6d} " + "#" * int(40 * n / width))
        if plot is not None:
            store_obj = ClipStore.open(store)
            length_histogram(list(store_obj.frames / store_obj.info.fps), plot)
            typer.echo(f"wrote {plot}")

    @app.command("split")
    def split(store: Path = typer.Argument(..., help="clip store directory"),
              ratios: tuple[float, float, float] = typer.Option((0.8, 0.1, 0.1), help="train val test fractions"),
              seed: int = typer.Option(0, help="random seed"),
              stratify: str = typer.Option("", help="comma-separated label keys or manifest columns"),
              holdout: list[str] = typer.Option([], help="subset held out whole as the 'unseen' split (repeat)"),
              ) -> None:
        """Assign train/val/test (and held-out 'unseen') splits to the clips of a store."""
        keys = tuple(k for k in stratify.split(",") if k) or None
        counts = assign_splits(ClipStore.open(store), ratios, seed=seed, stratify=keys, holdout_subsets=holdout)
        typer.echo(" ".join(f"{name}={count}" for name, count in counts.items()))
