"""Question: how well does the CPU-sized evaluator retrieve text <-> motion on the Bandai test split, what does
the real-motion reference row look like, and how long does a full evaluation take on a CPU?

Same run, same clips, same protocol (``motionbase.evaluate.run``):

* the trained evaluator (``--evaluator DIR``; without it a small one of the ``cpu`` preset is trained here for
  ``--train-steps`` steps) against the **baseline** of an untrained evaluator of the same architecture and
  against chance (1/32, 2/32, 3/32 for R@1/2/3 in batches of 32);
* the real-motion row (ground truth vs ground truth) and, with ``--tokenizer DIR``, the reconstruction row,
  in ``--mode`` (default ``no-mm``: 20 replications);
* label retrieval: each test motion's nearest content × style label among the test split's labels (a label's
  text embedding is the mean over its captions): accuracy of the label, its content and its style;
* wall time of the evaluation in ``--mode`` against a ``debug`` (one replication) run.

Writes ``benchmarks/results/evaluation.json`` and ``.md``. Usage::

    python benchmarks/evaluation.py [--evaluator DIR] [--tokenizer DIR] [--store STORE] [--split test]
        [--mode no-mm] [--quick]

Without ``--store`` a small store built from the repository's own clips is used
(``benchmarks/bench_common.py``: made-up captions, smoke numbers only); the measured table comes from the
Bandai-Namco store (``--store``, with content/style labels). ``--quick``: debug mode, 20 training steps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from motionbase.data.store import ClipStore
from motionbase.evaluate.evaluator import TextMotionEvaluator, evaluator_preset
from motionbase.evaluate.evaluator_train import EvaluatorTrainConfig, train_evaluator
from motionbase.evaluate.from_paths import evaluate_paths
from motionbase.evaluate.report import to_json, to_markdown
from motionbase.evaluate.run import EvaluationRunConfig, evaluate
from motionbase.evaluate.store_data import captioned_clips
from motionbase.io import atomic_write_text

from bench_common import add_quick, package_store, results_dir, write_results

NAME = "evaluation"


def train_small(store: str, out: Path, steps: int) -> Path:
    """A ``cpu``-preset evaluator trained for ``steps`` steps on the store's train split, saved to ``out``."""
    clips = captioned_clips(ClipStore.open(store), "train")
    model, losses = train_evaluator(clips.features, clips.captions, clips.labels, config=evaluator_preset("cpu"),
                                    train=EvaluatorTrainConfig(steps=steps, batch_size=64, lr=1e-3), device="cpu")
    model.save_pretrained(out)
    atomic_write_text(out / "train_log.json", json.dumps({"clips": len(clips), "steps": len(losses),
                                                          "losses": losses[::10]}))
    return out


def label_accuracy(model, clips) -> dict[str, float]:
    """Nearest label (mean caption embedding per label) of each motion: accuracy of label, content, style."""
    labels = sorted(set(clips.labels))
    text = model.encode_text([c for caps in clips.captions for c in caps])
    owner = np.repeat(np.arange(len(clips)), [len(c) for c in clips.captions])
    index = {lab: k for k, lab in enumerate(labels)}
    of_clip = np.array([index[lab] for lab in clips.labels])
    protos = np.stack([text[of_clip[owner] == k].mean(0) for k in range(len(labels))])
    motion = model.encode_motion(clips.features)
    nearest = np.argmin(((motion[:, None] - protos[None]) ** 2).sum(-1), axis=1)
    parts = [dict(p.split("=", 1) for p in lab.split("|")) for lab in labels]
    out = {"labels": float(len(labels)), "label": float((nearest == of_clip).mean())}
    for key in ("content", "style"):
        out[key] = float(np.mean([parts[a].get(key) == parts[b].get(key) for a, b in zip(nearest, of_clip)]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=None, help="clip store (default: one built from the repository's clips)")
    parser.add_argument("--evaluator", type=Path, default=None, help="evaluator checkpoint (default: train one)")
    parser.add_argument("--tokenizer", type=Path, default=None, help="motion tokenizer: adds the reconstruction row")
    parser.add_argument("--split", default="test")
    parser.add_argument("--mode", default="no-mm", choices=["debug", "no-mm", "full"])
    parser.add_argument("--train-steps", type=int, default=150, help="steps when training an evaluator here")
    add_quick(parser, "debug mode, 20 evaluator steps")
    args = parser.parse_args()
    if args.quick:
        args.mode, args.train_steps = "debug", 20
    args.store = args.store or str(package_store())
    RESULTS = results_dir(args.quick)
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as tmp:
        evaluator = args.evaluator or train_small(args.store, Path(tmp) / "evaluator", args.train_steps)
        timings = {}
        t0 = time.perf_counter()
        report = evaluate_paths(args.store, evaluator, split=args.split, tokenizer=args.tokenizer,
                                config=EvaluationRunConfig(mode=args.mode))
        timings[args.mode] = time.perf_counter() - t0
        t0 = time.perf_counter()
        evaluate_paths(args.store, evaluator, split=args.split, tokenizer=args.tokenizer,
                       config=EvaluationRunConfig(mode="debug"))
        timings["debug"] = time.perf_counter() - t0

        model = TextMotionEvaluator.from_pretrained(evaluator, device="cpu")
        torch.manual_seed(0)
        untrained = TextMotionEvaluator(model.config, model.vocab, model.feature_mean.numpy(),
                                        model.feature_std.numpy()).eval()
        clips = captioned_clips(ClipStore.open(args.store), args.split)
        baseline = evaluate(untrained, clips, config=EvaluationRunConfig(mode=args.mode))
        labels = {"trained": label_accuracy(model, clips), "untrained": label_accuracy(untrained, clips)}
        log_file = Path(evaluator) / "train_log.json"
        train_log = json.loads(log_file.read_text()) if log_file.is_file() else {}

    real = report.rows[0].metrics["r_precision"]
    base = baseline.rows[0].metrics["r_precision"]
    chance = np.arange(1, 4) / report.info["batch_size"]
    result = {
        "question": "evaluator retrieval on the test split, the real-motion row, CPU time of a full evaluation",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, 1 thread",
        "store": args.store, "split": args.split, "evaluator": str(args.evaluator or "trained here"),
        "evaluator_config": model.config.arch, "embed_dim": model.embed_dim,
        "evaluator_params": sum(p.numel() for p in model.parameters()),
        "evaluator_train": {k: v for k, v in train_log.items() if k != "losses"},
        "report": to_json(report), "baseline_untrained": to_json(baseline),
        "r_precision": {"trained": np.asarray(real.mean).tolist(), "ci95": np.asarray(real.ci95).tolist(),
                        "untrained": np.asarray(base.mean).tolist(), "chance": chance.tolist(),
                        "ratio_to_untrained": (np.asarray(real.mean) / np.asarray(base.mean)).tolist()},
        "label_retrieval": labels, "seconds": timings,
    }
    lines = [
        (f"Split {args.split!r} of {args.store}: {report.info['clips']} clips; evaluator {result['evaluator']} "
         f"({model.config.arch}, {model.embed_dim}-d, {result['evaluator_params']:,} weights, trained "
         f"{train_log.get('steps', '?')} steps on {train_log.get('clips', '?')} clips); {result['machine']}."), "",
        "| R-precision (batches of 32, distinct labels) | R@1 | R@2 | R@3 |", "|---|---:|---:|---:|",
        "| trained evaluator | " + " | ".join(f"{m:.3f} ± {c:.3f}" for m, c in zip(real.mean, real.ci95)) + " |",
        "| untrained evaluator (baseline) | " + " | ".join(f"{m:.3f}" for m in base.mean) + " |",
        "| chance | " + " | ".join(f"{m:.3f}" for m in chance) + " |",
        "| ratio trained / untrained | " + " | ".join(f"{r:.1f}x" for r in result["r_precision"]
                                                    ["ratio_to_untrained"]) + " |", "",
        f"| nearest of {int(labels['trained']['labels'])} labels | label | content | style |", "|---|---:|---:|---:|",
        *[f"| {name} | {v['label']:.3f} | {v['content']:.3f} | {v['style']:.3f} |" for name, v in labels.items()], "",
        f"| wall time (1 thread) | {args.mode} | debug | ratio |", "|---|---:|---:|---:|",
        (f"| evaluation | {timings[args.mode]:.1f} s | {timings['debug']:.1f} s | "
         f"{timings[args.mode] / timings['debug']:.1f}x |"), "",
        to_markdown(report, title=f"motionbase evaluate --mode {args.mode}"),
    ]
    write_results(RESULTS, NAME, result, "\n".join(lines), indent=1)


if __name__ == "__main__":
    main()
