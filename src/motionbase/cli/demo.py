"""``motionbase demo``: the README's first command runs this."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(out: Path = typer.Option(Path("out/demo"), "--out", "-o", help="output folder"),
             size: int = typer.Option(320, help="video size in pixels")) -> None:
        """Import the shipped sample mocap, render skeleton videos, export BVH and an HTML page."""
        from ..demo import run_demo

        page = run_demo(out, size_px=size)
        typer.echo(f"demo written to {out}/ — open {page} (videos in {out}/videos, BVH in {out}/bvh, "
                   f"clip store in {out}/store)")
