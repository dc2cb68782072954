"""Train and evaluate one arm of an experiment through the existing trainers and evaluators.

Tokenizer arms: :func:`motionbase.tokenizer.run.train_from_store` (resumes from its checkpoints) and
:func:`motionbase.tokenizer.evaluate.evaluate_tokenizer` on the test split. LM arms: a tiny GPT-2 motion LM
(:mod:`motionbase.lm.train`, resumable) on the train split (or the first ``train_fraction`` of a fixed
shuffle of it: smaller fractions are subsets of larger ones), on one shared tokenizer, evaluated with
:func:`motionbase.evaluate.from_paths.evaluate_paths` (replications, mean ± 1.96σ/√n) against one shared
evaluator. An LM arm's fields may resize the LM (``hidden``/``layers``/``heads``), name a pretrained
``backbone`` folder, add ``static``/``synthetic`` clips (:mod:`.augment`) or, for the ood question, train on the
seen contents and test on ``test_on`` contents (:mod:`.ood`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..io import atomic_write_text
from .questions import Arm, LMSizes, TokenizerSizes

COUNTS = "clip_counts.json"  # in an LM run folder: how many clips (and static / synthetic ones) it trains on


def tokenizer_run_config(method: str, K: int, sizes: TokenizerSizes, seed: int = 0, *,
                         checkpoint_every: int | None = None, log_every: int | None = None):
    """The tokenizer training run of ``method`` at codebook size ``K`` and ``sizes`` (also the sweep's)."""
    from ..tokenizer.run import TokenizerDataConfig, TokenizerRunConfig
    from ..tokenizer.train import TokenizerTrainConfig

    model = {"codebook_size": K, "width": sizes.width, "depth": sizes.depth}
    if method in ("vq", "rvq"):
        model["code_dim"] = sizes.width  # the paper's VQ: code width = conv width
    train = TokenizerTrainConfig(lr=sizes.lr, warmup_steps=sizes.warmup_steps, seed=seed, progress=False,
                        checkpoint_every=checkpoint_every or max(1, sizes.steps // 3),
                        log_every=log_every or max(1, sizes.steps // 10))
    return TokenizerRunConfig(preset=method, model=model, steps=sizes.steps, train=train,
                     data=TokenizerDataConfig(window=sizes.window, batch_size=sizes.batch_size))


def train_tokenizer_arm(method: str, K: int, sizes: TokenizerSizes, seed: int, store_path: Path, out: Path,
                        device: str | None) -> tuple[Any, dict]:
    from ..tokenizer.run import train_from_store

    run = tokenizer_run_config(method, K, sizes, seed)
    tok = train_from_store(run, store_path, out, device=device or sizes.device)
    return tok, run.to_dict()


def tokenizer_arm(arm: Arm, sizes: TokenizerSizes, store_path: Path, out: Path, device: str | None) -> dict:
    from ..data.store import ClipStore
    from ..tokenizer.evaluate import evaluate_tokenizer

    tok, config = train_tokenizer_arm(arm.fields["method"], arm.fields["K"], sizes, arm.seed, store_path,
                                      out / "tokenizer", device)
    ev = evaluate_tokenizer(tok, ClipStore.open(store_path), split="test")
    metrics = {"mpjpe_root_aligned_mm": ev["mpjpe_mm"]["root_aligned"], "mpjpe_global_mm": ev["mpjpe_mm"]["global"],
               "utilisation": ev["codebook"]["utilisation"], "perplexity": ev["codebook"]["perplexity"],
               "test_tokens": ev["codebook"]["tokens"]}
    return {"config": config, "metrics": metrics}


def shared_tokenizer(sizes: LMSizes, store_path: Path, out: Path, given: Path | None, device: str | None) -> Path:
    if given is not None:
        return Path(given)
    train_tokenizer_arm("lfq2d", sizes.codebook_size, sizes.tokenizer, 0, store_path, out, device)
    return out


def shared_evaluator(sizes: LMSizes, store_path: Path, out: Path, given: Path | None,
                     held: list[str] | None = None) -> Path:
    """The given evaluator, or a ``cpu``-preset one trained once on the train split (tiny dims at ``tiny``;
    without the ``held`` contents when given: the ood question's evaluator never sees them either)."""
    if given is not None:
        return Path(given)
    if (out / "config.json").is_file():
        return out
    from ..data.store import ClipStore
    from ..evaluate.evaluator import evaluator_preset
    from ..evaluate.evaluator_train import EvaluatorTrainConfig, train_evaluator
    from ..evaluate.store_data import captioned_clips
    from .ood import content_view

    store = ClipStore.open(store_path)
    clips = (captioned_clips(content_view(store.split("train"), held, unseen=False), None) if held
             else captioned_clips(store, "train"))
    tiny = sizes.steps <= 2
    dims = ({"embed_dim": 16, "word_dim": 16, "guo": {"text_hidden": 16, "movement_hidden": 16,
                                                      "movement_latent": 16, "motion_hidden": 16}} if tiny else {})
    config = evaluator_preset("cpu", feature_dim=int(clips.features[0].shape[1]), **dims)
    steps = 2 if tiny else max(300, sizes.steps)
    model, _ = train_evaluator(clips.features, clips.captions, clips.labels, config=config,
                               train=EvaluatorTrainConfig(steps=steps, batch_size=16 if tiny else 64, lr=1e-3),
                               device="cpu")
    model.save_pretrained(out)
    return out


def train_subset(store: Any, fraction: float) -> Any:
    """The first ``ceil(fraction * n)`` clips of the train split in a fixed (seed 0) shuffle: nested subsets."""
    view = store.split("train")
    order = np.random.default_rng(0).permutation(len(view))
    return view.take(np.sort(order[:max(1, math.ceil(fraction * len(view)))]))


def lm_config(arm: Arm, sizes: LMSizes):
    """The LM of ``arm``: the preset's tiny GPT-2, resized by a model_scale arm, or a local pretrained backbone."""
    from ..lm.config import LMConfig, TinyBackboneConfig

    f = arm.fields
    tiny = TinyBackboneConfig(hidden=f.get("hidden", sizes.hidden), layers=f.get("layers", sizes.layers),
                              heads=f.get("heads", sizes.heads), context=sizes.context,
                              text_vocab_size=320 if sizes.steps <= 2 else 2000, dropout=0.0)
    return LMConfig(backbone=f.get("backbone", "tiny-gpt2"), tiny=tiny)


def lm_arm(arm: Arm, sizes: LMSizes, store_path: Path, out: Path, tok_dir: Path, evaluator: Path,
           device: str | None, *, held: list[str] | None = None, launch: dict | None = None) -> dict:
    """Train (or resume) the LM of ``arm`` and evaluate it on the test split.

    ``held``: contents left out of training (the ood question; its arms share one run per seed and differ in
    the test clips). ``launch``: ``{"accelerate_config", "num_processes"}`` to train under ``accelerate launch``
    (the full preset on a GPU machine); None trains in this process.
    """
    from ..data.store import ClipStore
    from ..evaluate.from_paths import evaluate_paths
    from ..evaluate.run import EvaluationRunConfig
    from ..generation import load_motion_tokenizer
    from ..lm.config import LMDataConfig, LMTrainConfig
    from ..lm.data import caption_corpus, records_from_store
    from ..lm.model import MotionLM
    from ..lm.train import RUN_FILE, prepare_run, train
    from ..lm.train import launch as launch_run
    from .augment import extra_records
    from .ood import content_view, evaluate_ood

    root = out.parent.parent
    run_dir = root / "shared" / f"lm-s{arm.seed}" / "run" if held is not None else out / "run"
    fraction = float(arm.fields.get("train_fraction", 1.0))
    config_lm = lm_config(arm, sizes)
    # a pretrained backbone trains at the paper's rate for its family (lr None: 2e-4 GPT-2, 2e-5 Llama)
    train_cfg = LMTrainConfig(lr=None if "backbone" in arm.fields else sizes.lr, batch_size=sizes.batch_size,
                              max_steps=sizes.steps, seed=arm.seed, save_every=max(1, sizes.steps // 3), progress=False,
                              mixed_precision="no", data=LMDataConfig(loss_on=arm.fields.get("loss_on", "whole")))
    extras = [k for k in ("static", "synthetic") if arm.fields.get(k)]
    counts: dict[str, int] = {}
    if not (run_dir / RUN_FILE).exists():
        codec, info = load_motion_tokenizer(tok_dir, device)
        view = train_subset(ClipStore.open(store_path), fraction)
        if held is not None:
            view = content_view(view, held, unseen=False)
        cache = root / "shared" / "codes"
        records = records_from_store(view, codec, info, cache, split=None, device=device, progress=False)
        counts["train_clips"] = len(records)
        for kind in extras:
            more = extra_records(kind, view, records[:counts["train_clips"]], codec, info, cache, device)
            counts[f"{kind}_clips"] = len(more)
            records += more
        import torch

        torch.manual_seed(arm.seed)
        lm = MotionLM.build(config_lm, info, corpus=list(caption_corpus(records)))
        prepare_run(run_dir, lm, records, train_cfg)
        atomic_write_text(run_dir / COUNTS, json.dumps(counts))
    if launch and (device or sizes.tokenizer.device) != "cpu":
        model_dir = launch_run(run_dir, num_processes=launch["num_processes"], config=launch["accelerate_config"])
    else:
        model_dir = train(run_dir)
    counts = json.loads((run_dir / COUNTS).read_text()) if (run_dir / COUNTS).is_file() else {}
    config = {"lm": {**config_lm.to_dict(), **train_cfg.data.to_dict()}, "train": train_cfg.to_dict(),
              "train_fraction": fraction,
              "tokenizer": str(tok_dir), "evaluator": str(evaluator), "run": str(run_dir), **counts}
    if held is not None:
        metrics = evaluate_ood(store_path, evaluator, tok_dir, model_dir, held, arm.fields["test_on"], seed=arm.seed,
                               replications=sizes.replications, device=device)
        return {"config": {**config, "held_out_contents": held}, "metrics": metrics}
    report = evaluate_paths(store_path, evaluator, split="test", tokenizer=tok_dir, lm=model_dir, device=device,
                            config=EvaluationRunConfig(mode="no-mm", seed=arm.seed, replications=sizes.replications))
    gen = next(r for r in report.rows if r.name == "generated")
    real = next(r for r in report.rows if r.name == "real motion")
    r = gen.metrics["r_precision"]
    metrics = {"r_precision_top1": float(np.atleast_1d(r.mean)[0]), "r_precision_top3": float(np.atleast_1d(r.mean)[2]),
               "r_precision_top3_ci95": float(np.atleast_1d(r.ci95)[2]), "fid": float(gen.metrics["fid"].mean),
               "fid_ci95": float(gen.metrics["fid"].ci95), "mm_dist": float(gen.metrics["mm_dist"].mean),
               "real_r_precision_top3": float(np.atleast_1d(real.metrics["r_precision"].mean)[2]),
               "test_clips": report.info["clips"], "replications": report.info["replications"]}
    return {"config": config, "metrics": metrics}
