"""``motionbase tokenizer train | eval | mix | train-perceptual``: thin layers over :mod:`motionbase.tokenizer`.

Several GPUs: ``accelerate launch --multi_gpu --num_processes N -m motionbase tokenizer train ...`` runs the same
command in N processes (each draws its own batches; the main process writes checkpoints).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import typer

from ..data import ClipStore
from ..devices import check_device
from ..errors import MotionbaseError
from ..features.humanml3d import features_to_joints
from ..io import atomic_save_npy, atomic_write_text
from ..viz.render import render_side_by_side
from .options import (
    Device,
    JsonOut,
    Lr,
    OptionalSeed,
    Progress,
    RunDir,
    RunSplit,
    Steps,
    Store,
    Width,
    Window,
    WindowBatch,
)


def _run_config(config: Path | None, out: Path, default):
    """The run config to start from: ``--config``, else the run directory's own run.json (resume), else default."""
    from ..tokenizer.run import RUN_FILE, TokenizerRunConfig  # torch: 1 s; --help stays torch-free

    if config is not None:
        return TokenizerRunConfig.load(config)
    if (out / RUN_FILE).is_file():
        return TokenizerRunConfig.load(out / RUN_FILE)
    return default


def _override(obj, **changes):
    """``replace(obj, **changes)`` with the changes that are not None."""
    return replace(obj, **{k: v for k, v in changes.items() if v is not None})


def _print_eval(r: dict) -> None:
    tok, cb, mp = r["tokenizer"], r["codebook"], r["mpjpe_mm"]
    typer.echo(f"{tok['name']} K={tok['vocab_size']} ({tok['parameters'] / 1e6:.2f} M parameters) on "
               f"{r['store']}:{r['split']} ({r['clips']} clips, {r['seconds'] / 60:.1f} min)")
    typer.echo(f"MPJPE: root-aligned {mp['root_aligned']:.1f} mm (the paper's tables, most likely), "
               f"global {mp['global']:.1f} mm")
    for align in ("root_aligned", "global"):
        parts = r["per_part_mpjpe_mm"][align]
        typer.echo(f"  per part, {align}: " + ", ".join(f"{p} {v:.1f}" for p, v in parts.items()))
    at_n = cb["utilisation_at_n"]
    typer.echo(f"codebook: utilisation {100 * cb['utilisation']:.2f}% over {cb['tokens']} tokens, perplexity "
               f"{cb['perplexity']:.1f}; over {cb['n']} tokens: "
               + (f"{100 * at_n:.2f}% of min(K, n)" if at_n is not None else "n/a (fewer tokens)"))
    typer.echo(f"FID: {r['fid']:.4f}" if r["fid"] is not None else "FID: - (pass --evaluator)")


def _mix_output(out: Path, a_id: str, b_id: str, parts: list[str], feats_a, feats_b, mixed) -> Path:
    """Write the mixed features (.npy) or A | B | mix side by side (.mp4 / .gif)."""
    if out.suffix.lower() == ".npy":
        return atomic_save_npy(out, mixed.astype("float32"))
    joints = [features_to_joints(f.astype("float64"), final_frame=True) for f in (feats_a, feats_b, mixed)]
    titles = [f"A: {a_id}", f"B: {b_id}", f"A with B's {', '.join(parts)}"]
    return render_side_by_side(joints, titles, out)


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Motion tokenizers: VQ, RVQ, 1D/2D-LFQ, FSQ.")
    app.add_typer(group, name="tokenizer")

    @group.command("train")
    def train_cmd(
        *,
        store: Store,
        out: RunDir,
        method: str | None = typer.Option(None, "--method", help="vq | rvq | lfq1d | lfq2d | fsq (a preset)"),
        codebook_size: int | None = typer.Option(None, "--codebook-size", "-K", help="codes K (RVQ: per layer)"),
        config: Path | None = typer.Option(None, "--config", help="JSON run config {preset, model: {TokenizerConfig "
                                           "fields}, train: {...}, data: {split, window, batch_size}, steps}; "
                                           "the flags override it"),
        steps: Steps = None,
        batch_size: WindowBatch = None,
        window: Window = None,
        width: Width = None,
        lr: Lr = None,
        split: RunSplit = None,
        checkpoint_every: int | None = typer.Option(None, help="steps between resumable checkpoints"),
        perceptual: Path | None = typer.Option(None, "--perceptual", help="perceptual encoder directory "
                                               "(tokenizer train-perceptual); frozen during training"),
        perceptual_weight: float | None = typer.Option(None, help="weight of the perceptual term (default 1.0 "
                                                       "with --perceptual)"),
        seed: OptionalSeed = None,
        device: Device = None,
        progress: Progress = True,
    ) -> None:
        """Train (or resume) a motion tokenizer on a clip store's training split.

        The run config's defaults (the paper's): 300000 steps of 256 windows of 64 frames, lr 1e-4, width 512."""
        from ..tokenizer.run import TokenizerRunConfig, train_from_store  # torch: 1 s; --help stays torch-free

        base = _run_config(config, out, None)
        if base is None and method is None:
            raise MotionbaseError("tokenizer train: give --method (vq, rvq, lfq1d, lfq2d, fsq) or --config")
        base = base or TokenizerRunConfig()
        model = dict(base.model)
        for key, value in (("codebook_size", codebook_size), ("width", width)):
            if value is not None:
                model[key] = value
        loss = base.train.loss
        if perceptual is not None:
            loss = loss.replace(perceptual_encoder=str(perceptual.resolve()),
                                perceptual_weight=perceptual_weight if perceptual_weight is not None else 1.0)
        elif perceptual_weight is not None:
            loss = loss.replace(perceptual_weight=perceptual_weight)
        run = _override(base, preset=method, model=model, steps=steps,
                        train=_override(base.train, lr=lr, checkpoint_every=checkpoint_every, seed=seed,
                                        progress=progress, loss=loss),
                        data=_override(base.data, batch_size=batch_size, window=window, split=split))
        tok = train_from_store(run, store, out, device=check_device(device))
        typer.echo(f"wrote {out}: {tok.config.name}, K={tok.vocab_size}, "
                   f"{sum(p.numel() for p in tok.parameters()) / 1e6:.2f} M parameters, {run.steps} steps")

    @group.command("eval")
    def eval_cmd(
        *,
        ckpt: Path = typer.Option(..., "--ckpt", help="tokenizer checkpoint directory"),
        store: Store,
        split: str = typer.Option("test", help="store split ('' for all clips)"),
        json_out: JsonOut = None,
        usage_tokens: int = typer.Option(4096, help="tokens for the fixed-size codebook utilisation"),
        evaluator: Path | None = typer.Option(None, "--evaluator", help="motion evaluator directory, for FID"),
        batch_size: int = typer.Option(32, help="clips per forward pass (equal lengths only)"),
        device: Device = None,
    ) -> None:
        """Reconstruction MPJPE (global and root-aligned, per part), codebook utilisation, perplexity, FID."""
        # torch: 1 s; --help stays torch-free
        from ..evaluate.evaluator import TextMotionEvaluator
        from ..tokenizer.evaluate import evaluate_tokenizer
        from ..tokenizer.model import MotionTokenizer

        tok = MotionTokenizer.from_pretrained(ckpt, device=check_device(device))
        ev = None
        if evaluator is not None:
            ev = TextMotionEvaluator.from_pretrained(evaluator, device=check_device(device))
            ev.check_compatible(tok.config.feature_dim)
        result = evaluate_tokenizer(tok, ClipStore.open(store), split=split or None, usage_tokens=usage_tokens,
                                    evaluator=ev, batch_size=batch_size, progress=True)
        _print_eval(result)
        if json_out is not None:
            atomic_write_text(json_out, json.dumps(result, indent=2) + "\n")
            typer.echo(f"wrote {json_out}")

    @group.command("mix")
    def mix_cmd(
        *,
        ckpt: Path = typer.Option(..., "--ckpt", help="2D tokenizer checkpoint directory (grouping 'body' for "
                                  "body parts)"),
        store: Store,
        a: str = typer.Option(..., "--a", help="id of clip A (keeps its other parts)"),
        b: str = typer.Option(..., "--b", help="id of clip B (gives the parts)"),
        parts: str = typer.Option(..., "--parts", help="comma-separated components from B, e.g. left_arm,right_arm"),
        out: Path = typer.Option(..., "--out", help=".npy (mixed features) or .mp4/.gif (A | B | mix)"),
        device: Device = None,
    ) -> None:
        """Re-decode clip A with some parts' codes taken from clip B (part-level control)."""
        # torch: 1 s; --help stays torch-free
        from ..tokenizer.model import MotionTokenizer
        from ..tokenizer.parts import mix_parts
        from ..tokenizer.windows import check_store, finite_or_raise

        if out.suffix.lower() not in (".npy", ".mp4", ".gif"):
            raise MotionbaseError(f"{out}: expected a .npy, .mp4 or .gif output")
        tok = MotionTokenizer.from_pretrained(ckpt, device=check_device(device))
        s = ClipStore.open(store)
        check_store(s, tok.config.feature_dim, f"tokenizer {ckpt}")
        names = [p.strip() for p in parts.split(",") if p.strip()]
        feats = []
        for clip_id in (a, b):
            i = s.index(clip_id)
            f = np.asarray(s.features(i), dtype=np.float32)
            finite_or_raise(f, s, i)
            feats.append(f)
        fa, fb = feats
        if len(fb) < len(fa):
            typer.echo(f"clip B has {len(fb)} frames, A {len(fa)}: A is cropped to {len(fb)}")
            fa = fa[:len(fb)]
        mixed = mix_parts(tok, fa, fb, names).cpu().numpy()
        typer.echo(f"wrote {_mix_output(out, a, b, names, fa, fb[:len(fa)], mixed)}")

    @group.command("train-perceptual")
    def train_perceptual_cmd(
        *,
        store: Store,
        out: RunDir,
        config: Path | None = typer.Option(None, "--config", help="JSON run config (preset 'perceptual', model: "
                                           "PerceptualConfig fields, train, data, steps); flags override it"),
        steps: Steps = None,
        batch_size: WindowBatch = None,
        window: Window = None,
        width: Width = None,
        embed_dim: int | None = typer.Option(None, help="embedding size E (default 64)"),
        lr: Lr = None,
        split: RunSplit = None,
        device: Device = None,
        progress: Progress = True,
    ) -> None:
        """Train the frozen motion encoder of the tokenizer's perceptual loss (a denoising autoencoder).

        The run config's defaults: 20000 steps of 256 windows of 64 frames, lr 2e-4, width 128."""
        from ..tokenizer.run import PERCEPTUAL_RUN, train_perceptual_from_store  # torch: 1 s; --help stays torch-free

        base = _run_config(config, out, PERCEPTUAL_RUN)
        model = {**base.model, **{k: v for k, v in (("width", width), ("embed_dim", embed_dim)) if v is not None}}
        run = _override(base, model=model, steps=steps, train=_override(base.train, lr=lr, progress=progress),
                        data=_override(base.data, batch_size=batch_size, window=window, split=split))
        train_perceptual_from_store(run, store, out, device=check_device(device))
        typer.echo(f"wrote {out}: perceptual encoder ({run.steps} steps); use it with "
                   f"`motionbase tokenizer train --perceptual {out}`")
