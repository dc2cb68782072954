"""``motionbase humanml3d check|stats|tag``: inspect HumanML3D folders."""

from __future__ import annotations

from pathlib import Path

import typer

from ..features.stats import compute_stats
from ..formats.humanml3d import caption_tokens, read_humanml3d
from ..formats.text_tokens import get_tagger


def register(app: typer.Typer) -> None:
    hml = typer.Typer(no_args_is_help=True, help="HumanML3D folders: check, normalisation stats, caption tokens.")

    @hml.command("check")
    def check(root: Path, split: str = typer.Option(None, help="only this split (train/val/test)")) -> None:
        """Read every sample of a HumanML3D folder and print counts per split."""
        counts: dict[str, list[int]] = {}
        for clip, _ in read_humanml3d(root, split=split):
            c = counts.setdefault(clip.meta.labels["split"] or "-", [0, 0, 0])
            c[0 if "parent" not in clip.meta.labels else 1] += 1
            c[2] += len(clip.captions.whole)
        for name, (whole, span, caps) in sorted(counts.items()):
            typer.echo(f"{name}: {whole} clips, {span} span samples, {caps} captions")

    @hml.command("stats")
    def stats(root: Path, out: Path, kind: str = typer.Option("humanml3d", help="humanml3d | t2m_evaluator"),
              split: str = typer.Option(None, help="only this split's clips (HumanML3D uses all)"),
              data_version: str = typer.Option("", help="name of the data, recorded in the stamp")) -> None:
        """Compute Mean/Std like HumanML3D's cal_mean_variance and save them as stats.json + stats.safetensors."""
        arrays = (f for clip, f in read_humanml3d(root, split=split, spans=False, skip_invalid=True))
        s = compute_stats(arrays, kind=kind, data_version=data_version)
        s.save(out)
        typer.echo(f"{out}: {s.kind} stats, stamp {s.stamp}")

    @hml.command("tag")
    def tag(caption: str, tagger: str = typer.Option("auto", help="auto | spacy | nltk | rules")) -> None:
        """Print the HumanML3D token field (word/POS) of a caption."""
        typer.echo(caption_tokens(caption, get_tagger(tagger)))

    app.add_typer(hml, name="humanml3d")
