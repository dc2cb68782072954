"""``motionbase experiment NAME --store STORE --preset small --out DIR`` and ``motionbase findings``."""

from __future__ import annotations

from pathlib import Path

import typer

from ..experiments import run_experiment
from ..experiments.report import write_findings


def register(app: typer.Typer) -> None:
    @app.command("experiment")
    def experiment_cmd(
        name: str = typer.Argument(..., help="codebook | lfq_dim | loss | data_scale | model_scale | static | "
                                  "synthetic | ood"),
        store: Path = typer.Option(..., "--store", help="clip store with train/val/test splits"),
        out: Path = typer.Option(..., "--out", help="experiment folder (re-run the same command to resume)"),
        preset: str = typer.Option("small", help="tiny (a smoke run) | small (a 2-core CPU) | full (GPU sizes)"),
        tokenizer: Path | None = typer.Option(None, "--tokenizer", help="LM questions: motion tokenizer to use "
                                              "(default: train one of the preset's size)"),
        evaluator: Path | None = typer.Option(None, "--evaluator", help="LM questions: evaluator checkpoint "
                                              "(default: train a cpu-preset one on the train split)"),
        max_arms: int | None = typer.Option(None, help="stop after this many new arms (resume later)"),
        arms: list[str] = typer.Option([], "--arms", help="train only arms matching these patterns, e.g. "
                                       "'lfq2d-*' (repeat; several processes can share one --out)"),
        device: str | None = typer.Option(None, help="torch device (default: the preset's)"),
        backbone: Path | None = typer.Option(None, "--backbone", help="model_scale: a local Hugging Face causal-LM "
                                             "folder, trained as one more arm"),
        dry_run: bool = typer.Option(False, "--dry-run", help="the preset's arms at tiny sizes on the CPU (a step "
                                     "or two each): check a full configuration before a GPU run"),
    ) -> None:
        """Train and evaluate every arm of one of the paper's questions; write report.md, plot.png, report.json."""
        report = run_experiment(name, store, out, preset=preset, tokenizer=tokenizer, evaluator=evaluator,
                                device=device, max_arms=max_arms, only=arms, backbone=backbone,
                                dry_run=dry_run, progress=lambda m: typer.echo(m, err=True))
        typer.echo(report.read_text())

    @app.command("findings")
    def findings_cmd(
        folders: list[Path] = typer.Argument(..., help="experiment folders (motionbase experiment --out)"),
        out: Path = typer.Option(Path("docs/FINDINGS.md"), "--out", help="markdown file to write"),
    ) -> None:
        """FINDINGS.md from experiment folders: per claim, the paper's finding, ours with its interval, agreement."""
        typer.echo(write_findings(folders, out))
