"""``motionbase build-dataset INPUTS... --out STORE`` and ``motionbase stats STORE``.

build-dataset turns videos and images (files or folders) into a MotionBase-style clip store: people detected
and tracked, 2D/3D pose, SMPL-22 joints at 20 fps, hierarchical captions. Resumable (finished inputs are
skipped), a failures report, a progress bar; ``--workers N`` local processes, ``--ray ADDRESS`` Ray tasks
(``--ray local`` starts a local cluster). Every input runs in a worker process, so a native crash on one
input fails that input only; a rerun skips it unless ``--retry-crashed``. See docs/PIPELINE.md.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..data import ClipStore
from ..pipeline.stats import write_stats
from .batch import BatchReport


def register(app: typer.Typer) -> None:
    @app.command("build-dataset")
    def build_dataset(
        inputs: list[Path] = typer.Argument(..., help="videos, images, or folders of them (searched recursively)"),
        out: Path = typer.Option(..., "--out", "-o", help="clip store directory (created if missing)"),
        captioner: str = typer.Option("rules", help="rules (offline) | lmm (an OpenAI-compatible endpoint) | none"),
        endpoint: str = typer.Option(None, help="lmm: the endpoint's base URL, e.g. http://127.0.0.1:8000/v1"),
        model: str = typer.Option(None, help="lmm: the model name at the endpoint"),
        timeout: float = typer.Option(30.0, min=0.1, help="lmm: seconds to wait for each reply (each of the "
                                      "3 retries waits as long again)"),
        workers: int = typer.Option(1, min=1, help="parallel workers (local processes, or Ray CPUs)"),
        ray: str = typer.Option(None, help="run as Ray tasks: 'local' (a local cluster) or a cluster address"),
        report: Path = typer.Option(None, help="JSON report path (default STORE/pipeline/report.json)"),
        source: str = typer.Option("", help="source name stored with every clip (default: video / image)"),
        subset: str = typer.Option(None, help="subset name for every clip (default: each input's folder name)"),
        licence: str = typer.Option("", help="licence stored with every clip"),
        seed: int = typer.Option(0, help="seed of the random 10-60 s sub-clip cuts"),
        fov: float = typer.Option(60.0, help="horizontal field of view of the cameras, degrees"),
        detect_every: float = typer.Option(1.0, help="seconds between person detections (tracked in between)"),
        max_seconds: float = typer.Option(None, help="process only the first seconds of each video"),
        smplx_model: Path = typer.Option(None, help="SMPL-X model file or folder: also fit SMPL-X parameters"),
        retry_crashed: bool = typer.Option(False, help="try again inputs that crashed a worker in an earlier run "
                                           "(by default they are reported failed and skipped)"),
        refine: str = typer.Option("prior", help="none | cleanup (contact-aware, no learning) | prior (the learned "
                                   "motion prior, then the clean-up)"),
        refine_fallback: bool = typer.Option(False, "--refine-fallback",
                                             help="--refine prior without the prior installed: clean up instead"),
    ) -> None:
        """Build a MotionBase-style dataset from your own videos and images."""
        # scipy.optimize (pipeline.track): 0.3 s; --help stays fast
        from ..pipeline.process import PipelineConfig, resolve_refine
        from ..pipeline.run import PIPELINE_DIR
        from ..pipeline.run import build_dataset as run

        options: dict[str, object] = {}
        if captioner == "lmm":
            options = {"cache_dir": str(out / PIPELINE_DIR / "lmm-cache"), "timeout_s": timeout}
            options.update({k: v for k, v in (("base_url", endpoint), ("model", model)) if v})
        config = PipelineConfig(
            captioner="" if captioner == "none" else captioner, captioner_options=tuple(sorted(options.items())),
            keep_crops_s=0.5 if captioner == "lmm" else 0.0, source=source, subset=subset, licence=licence,
            seed=seed, hfov_deg=fov, detect_every_s=detect_every, max_seconds=max_seconds,
            smplx_model=str(smplx_model) if smplx_model else None, refine=refine, refine_fallback=refine_fallback)
        mode, note = resolve_refine(config)  # a missing prior is one line here, not one failure per input
        if note:
            typer.echo(note, err=True)
        report_path = report or out / PIPELINE_DIR / "report.json"
        result = run(inputs, out, config, workers=workers, ray_address=ray, report_path=report_path,
                     retry_crashed=retry_crashed)
        typer.echo(f"{sum(map(len, result.clips.values()))} clips stored; report: {report_path}")
        BatchReport(result.done, result.skipped, result.failed).finish(f"build-dataset into {out}", None)

    @app.command("stats")
    def stats(
        store: Path = typer.Argument(..., help="clip store directory"),
        out: Path = typer.Option(None, help="folder for the plots and stats.json (default STORE/stats)"),
        top: int = typer.Option(30, min=1, help="words per caption-level plot"),
    ) -> None:
        """Plots of a clip store: clips per subset, clip lengths, caption word frequencies (both levels)."""
        written = write_stats(ClipStore.open(store), out or store / "stats", top)
        for name, path in written.items():
            typer.echo(f"{name}: {path}")
