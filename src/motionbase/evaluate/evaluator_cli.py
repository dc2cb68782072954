"""``motionbase evaluator train --store STORE --out DIR``: a thin layer over :func:`train_evaluator`.

Wire with ``register(app)`` from the CLI package. Reads the clip store's ``split`` (default ``train``):
features, whole-body captions and labels (the manifest's JSON ``labels``; clips with equal labels are not
used as each other's negatives). Clips without captions are skipped and counted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ShapeError


def store_training_data(store: Any, split: str | None = "train") -> tuple[list[np.ndarray], list[list[str]],
                                                                          list[str] | None, int]:
    """(features, captions, labels or None, skipped) for the captioned clips of a store (or one split)."""
    view = store.split(split) if split else store
    table = view.manifest()
    if len(view) == 0:
        raise ShapeError(f"split {split!r} of the store has no clips; expected a non-empty training split")
    captions = table.column("captions").to_pylist()
    labels = table.column("labels").to_pylist() if "labels" in table.column_names else [""] * len(view)
    feats, caps, labs, skipped = [], [], [], 0
    for i in range(len(view)):
        c = [s for s in (captions[i] or []) if s and s.strip()]
        if not c:
            skipped += 1
            continue
        feats.append(np.asarray(view.features(i)))
        caps.append(c)
        labs.append(labels[i] or "")
    if not feats:
        raise ShapeError(f"split {split!r}: none of {len(view)} clips has a caption; expected captioned clips")
    use_labels = any(lab not in ("", "{}") for lab in labs)
    return feats, caps, (labs if use_labels else None), skipped


def register(app) -> None:
    import typer

    group = typer.Typer(no_args_is_help=True, help="Text–motion evaluators for R-precision, FID, MM-Dist.")
    app.add_typer(group, name="evaluator")

    @group.command("train")
    def train_cmd(
        store: Path = typer.Option(..., "--store", help="clip store directory"),
        out: Path = typer.Option(..., "--out", help="checkpoint directory to write"),
        split: str = typer.Option("train", help="store split to train on ('' for all clips)"),
        arch: str = typer.Option("tmr", help="'tmr' (transformers) or 'guo' (conv + bi-GRU)"),
        config_file: Path | None = typer.Option(None, "--config", help="JSON of EvaluatorConfig fields "
                                                "(sizes, max_frames, ...); --arch and the store's width fill the rest"),
        steps: int = typer.Option(20000, help="optimisation steps"),
        batch_size: int = typer.Option(64, help="clips per step (distinct labels where the store has labels)"),
        lr: float = typer.Option(1e-4, help="AdamW learning rate"),
        glove: Path | None = typer.Option(None, help="GloVe text file (300-d) to initialise word vectors"),
        seed: int = typer.Option(0, help="random seed"),
        device: str | None = typer.Option(None, help="torch device (default: cuda if available)"),
    ) -> None:
        """Train a text–motion evaluator on a clip store and save it as safetensors + config."""
        from tqdm import tqdm

        from ..data.store import ClipStore
        from .evaluator import EvaluatorConfig, atomic_write_text
        from .evaluator_train import TrainConfig, train_evaluator

        feats, caps, labels, skipped = store_training_data(ClipStore.open(store), split or None)
        fields = {"arch": arch, "feature_dim": int(feats[0].shape[1])}
        if config_file is not None:
            try:
                fields.update(json.loads(config_file.read_text()))
            except (OSError, ValueError) as exc:
                raise FormatError(config_file, f"not a readable JSON evaluator config ({exc})") from None
        try:
            config = EvaluatorConfig(**fields)
        except (TypeError, ValueError) as exc:
            raise FormatError(config_file or "--arch", f"bad evaluator config ({exc})") from None
        train = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                            glove_path=str(glove) if glove else None)
        bar = tqdm(total=steps, desc="evaluator", unit="step")

        def progress(step: int, loss: float) -> None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)

        model, losses = train_evaluator(feats, caps, labels, config=config, train=train, device=device,
                                        progress=progress)
        bar.close()
        model.save_pretrained(out)
        atomic_write_text(out / "train_log.json", json.dumps({"clips": len(feats), "skipped_uncaptioned": skipped,
                                                              "labels": labels is not None, "losses": losses[::10]}))
        typer.echo(f"saved {config.arch} evaluator trained on {len(feats)} clips "
                   f"({skipped} uncaptioned skipped) to {out}")
