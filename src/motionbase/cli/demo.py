"""``motionbase demo``: the README's first command runs this."""

from __future__ import annotations

from pathlib import Path

import typer

from ..demo import DEMO_PROMPTS, run_demo


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(out: Path = typer.Option(Path("out/demo"), "--out", "-o", help="output folder"),
             size: int = typer.Option(320, help="video size in pixels"),
             prompt: list[str] = typer.Option(None, "--prompt", "-p",
                                              help="text -> motion prompt (repeat; default: five in-domain ones)"),
             generate: bool = typer.Option(True, help="text -> motion with the default model (--no-generate: "
                                                      "only the sample mocap)")) -> None:
        """Text -> motion with the shipped default model, plus the shipped sample mocap: skeleton videos (mp4 +
        gif), BVH files and an HTML page showing them with their prompts."""
        notes: list[str] = []
        prompts = (tuple(prompt) if prompt else DEMO_PROMPTS) if generate else None
        page = run_demo(out, size_px=size, prompts=prompts, notes=notes)
        for note in notes:
            typer.echo(f"note: {note}", err=True)
        typer.echo(f"demo written to {out}/ — open {page}\n  generated motions (mp4, gif, bvh, npy): "
                   f"{out}/generated\n  sample mocap: videos in {out}/videos, BVH in {out}/bvh, clip store in "
                   f"{out}/store")
