"""``motionbase evaluator train`` and ``motionbase evaluate``: thin layers over :mod:`motionbase.evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from tqdm import tqdm

from ..data.length_filter import resolve
from ..data.store import ClipStore
from ..devices import check_device
from ..errors import FormatError, MotionbaseError
from ..evaluate.from_paths import evaluate_m2t_paths, evaluate_paths
from ..evaluate.m2t import m2t_json, m2t_markdown
from ..evaluate.report import to_json, to_markdown
from ..evaluate.run import EvaluationRunConfig
from ..evaluate.store_data import captioned_clips
from ..io import atomic_write_text
from .options import CpuDevice, Device, LengthFilter, Seed, Store, TrainSplit


def _config_fields(config_file: Path | None) -> dict:
    if config_file is None:
        return {}
    try:
        return json.loads(config_file.read_text())
    except (OSError, ValueError) as exc:
        raise FormatError(config_file, f"not a readable JSON evaluator config ({exc})") from None


def _label_keys(text: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in text.split(",") if k.strip())


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Text–motion evaluators for R-precision, FID, MM-Dist.")
    app.add_typer(group, name="evaluator")

    @group.command("train")
    def train_cmd(
        *,
        store: Store,
        out: Path = typer.Option(..., "--out", help="checkpoint directory to write"),
        split: TrainSplit = "train",
        preset: str = typer.Option("default", help="'default' (TMR-style, GPU-sized) or 'cpu' (Guo-style, 128 wide)"),
        arch: str | None = typer.Option(None, help="override the preset's arch: 'tmr' or 'guo'"),
        config_file: Path | None = typer.Option(None, "--config", help="JSON of EvaluatorConfig fields "
                                                "(sizes, max_frames, ...) over the preset; the store sets the width"),
        steps: int = typer.Option(20000, help="optimisation steps"),
        max_minutes: float | None = typer.Option(None, help="stop after this many minutes of wall time"),
        batch_size: int = typer.Option(64, help="clips per step (distinct labels where the store has labels)"),
        lr: float = typer.Option(1e-4, help="AdamW learning rate"),
        label_keys: str = typer.Option("content,style", help="manifest label keys whose values make a clip's "
                                       "label (clips of one label are not negatives); '' for none"),
        glove: Path | None = typer.Option(None, help="GloVe text file (word_dim-d) to initialise word vectors"),
        seed: Seed = 0,
        device: Device = None,
        length_filter: LengthFilter = None,
    ) -> None:
        """Train a text–motion evaluator on a clip store and save it as safetensors + config (checkpoints in
        --out/checkpoints: running it again resumes)."""
        # torch: 1 s; --help stays torch-free
        from ..evaluate.evaluator import evaluator_preset
        from ..evaluate.evaluator_train import EvaluatorTrainConfig, train_evaluator

        clip_store = ClipStore.open(store)
        clips = captioned_clips(clip_store, split or None, label_keys=_label_keys(label_keys),
                                length_filter=resolve(clip_store, length_filter))
        fields = {**_config_fields(config_file), "feature_dim": int(clips.features[0].shape[1])}
        if arch is not None:
            fields["arch"] = arch
        config = evaluator_preset(preset, source=str(config_file or "--preset/--arch"), **fields)
        train = EvaluatorTrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                                     glove_path=str(glove) if glove else None,
                                     max_seconds=None if max_minutes is None else 60.0 * max_minutes)
        bar = tqdm(total=steps, desc="evaluator", unit="step")

        def progress(step: int, loss: float) -> None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)

        model, losses = train_evaluator(clips.features, clips.captions, clips.labels, config=config, train=train,
                                        device=check_device(device), progress=progress, run_dir=out)
        bar.close()
        model.save_pretrained(out)
        log = {"clips": len(clips), "skipped_uncaptioned": clips.skipped, "split": split,
               "label_keys": list(clips.label_keys) if clips.labels is not None else [],
               "distinct_labels": len(set(clips.labels)) if clips.labels is not None else None,
               "steps": len(losses), "batch_size": batch_size, "lr": lr, "seed": seed, "losses": losses[::10]}
        atomic_write_text(out / "train_log.json", json.dumps(log))
        typer.echo(f"saved {config.arch} evaluator trained for {len(losses)} steps on {len(clips)} clips "
                   f"({clips.skipped} uncaptioned skipped) to {out}")

    @app.command("evaluate")
    def evaluate_cmd(
        *,
        evaluator: Path | None = typer.Option(None, "--evaluator", help="text–motion evaluator checkpoint directory"),
        t2m_evaluator: Path | None = typer.Option(None, "--t2m-evaluator", help="folder with the published T2M "
                                                  "evaluator (finest.tar, meta/, glove/; instead of --evaluator)"),
        store: Store,
        task: str = typer.Option("t2m", help="t2m (text to motion: Table 3) or m2t (motion to text: captions)"),
        split: str = typer.Option("test", help="split to evaluate: 'test', or 'unseen' for held-out subsets"),
        tokenizer: Path | None = typer.Option(None, "--tokenizer", help="motion tokenizer checkpoint: adds the "
                                              "reconstruction row (and decodes the LM's codes)"),
        lm: Path | None = typer.Option(None, "--lm", help="motion LM checkpoint: adds the generated row"),
        mode: str = typer.Option("no-mm", help="debug (1 replication), no-mm (20), full (20 + MultiModality)"),
        replications: int | None = typer.Option(None, help="override the mode's number of replications"),
        length_filter: LengthFilter = None,
        label_keys: str = typer.Option("content,style", help="manifest label keys: R-precision batches hold "
                                       "distinct values of them; '' for plain random batches"),
        seed: int = typer.Option(0, help="random seed of the replications"),
        json_out: Path | None = typer.Option(None, "--json", help="write all numbers (every replication) here"),
        device: CpuDevice = None,
        guidance: float = typer.Option(1.0, help="--lm: classifier-free guidance scale (1 = none)"),
        guidance_negative: str = typer.Option("unconditional", help="--lm: guidance against 'unconditional' or "
                                              "'mirrored' (left/right swapped) prompts"),
        guidance_warmup: float = typer.Option(0.0, help="--lm: seconds of motion over which guidance ramps up from "
                                              "none to --guidance"),
        plant_feet: bool = typer.Option(True, help="--lm: plant the generated motions' feet, as `generate` does"),
    ) -> None:
        """Text-to-motion metrics of a split (R-precision, FID, MM-Dist, Diversity, ...) as a markdown table;
        with --task m2t, the LM's captions of the split's motions (BLEU, ROUGE-L, CIDEr, R-precision)."""
        say = lambda message: typer.echo(message, err=True)  # noqa: E731
        if task == "m2t":
            if lm is None or tokenizer is None:
                raise MotionbaseError("--task m2t needs --lm and --tokenizer (the LM writes the captions)")
            config = EvaluationRunConfig(mode=mode, seed=seed, replications=replications)
            m2t = evaluate_m2t_paths(store, lm=lm, tokenizer=tokenizer, evaluator=evaluator,
                                     t2m_evaluator=t2m_evaluator, split=split, replications=config.times, seed=seed,
                                     label_keys=_label_keys(label_keys), device=check_device(device),
                                     length_filter=length_filter, progress=say)
            typer.echo(m2t_markdown(m2t))
            payload = m2t_json(m2t)
        elif task == "t2m":
            report = evaluate_paths(store, evaluator, split=split, tokenizer=tokenizer, lm=lm,
                                    config=EvaluationRunConfig(mode=mode, seed=seed, replications=replications),
                                    label_keys=_label_keys(label_keys), device=check_device(device), progress=say,
                                    sampling={"guidance": guidance, "guidance_negative": guidance_negative,
                                              "guidance_warmup": guidance_warmup, "plant_feet": plant_feet},
                                    t2m_evaluator=t2m_evaluator, length_filter=length_filter)
            typer.echo(to_markdown(report))
            payload = to_json(report)
        else:
            raise MotionbaseError(f"--task {task!r}: expected t2m or m2t")
        if json_out is not None:
            atomic_write_text(json_out, json.dumps(payload, indent=1))
            typer.echo(f"wrote {json_out}", err=True)
