"""``motionbase caption MOTION...``: hierarchical captions for motions, a thin layer over this package.

A MOTION is what ``motionbase render`` takes: a
``.bvh`` of a known skeleton, a ``.npy`` of joints (T, J, 3) metres or HumanML3D features (T, 263),
or ``STORE::ID``; all at 20 fps. With ``--captioner lmm`` the skeleton is drawn for the model (no
video frames on the command line).
"""

from __future__ import annotations

import json

import typer

from ..clip import Clip, ClipMeta
from ..pipeline.caption import get_captioner
from .render import load_motion


def register(app: typer.Typer) -> None:
    @app.command("caption")
    def caption_cmd(
        motions: list[str] = typer.Argument(..., help=".bvh, .npy joints/features, or STORE::ID"),
        captioner: str = typer.Option("rules", help="rules (offline, default) or lmm (OpenAI-compatible endpoint)"),
        paraphrases: int = typer.Option(1, help="rules: whole-body captions to write per motion"),
        base_url: str = typer.Option("http://127.0.0.1:8000/v1", help="lmm: the endpoint's /v1 root"),
        model: str = typer.Option("gpt-4o-mini", help="lmm: model name at the endpoint"),
        cache_dir: str = typer.Option(None, help="lmm: reply cache directory"),
        timeout: float = typer.Option(30.0, min=0.1, help="lmm: seconds to wait for each reply (each of the "
                                      "3 retries waits as long again)"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object per motion instead of text"),
    ) -> None:
        """Write whole-body and part-level (upper/lower body) captions for each MOTION."""
        options = ({"paraphrases": paraphrases} if captioner == "rules" else
                   {"base_url": base_url, "model": model, "cache_dir": cache_dir, "timeout_s": timeout})
        cap = get_captioner(captioner, **options)
        for spec in motions:
            joints, title = load_motion(spec)
            got = cap.caption(Clip(joints, meta=ClipMeta(id=title)))
            if as_json:
                typer.echo(json.dumps({"motion": spec, "whole": got.whole, "parts": got.parts}, ensure_ascii=False))
            else:
                typer.echo(f"{spec}\n" + "".join(f"  whole: {w}\n" for w in got.whole)
                           + "".join(f"  {k}: {v}\n" for k, v in got.parts.items()))
