"""Question: on the Bandai-Namco mocap, does 2D-LFQ reconstruct better and use more of its codebook than VQ and
RVQ as the codebook grows (the MotionBase paper's Fig. 4 and 5)?

Every method (VQ, RVQ, 1D-LFQ, 2D-LFQ, FSQ) at every K in {2^8, 2^10, 2^12, 2^14} is trained with the same
budget — the same steps, batch, window, learning rate and conv width — on the store's ``train`` split
(:func:`motionbase.tokenizer.run.train_from_store`), then evaluated on its ``test`` split
(:func:`motionbase.tokenizer.evaluate.evaluate_tokenizer`): MPJPE (root-aligned, the paper's convention as far
as we can tell, and global), codebook utilisation over all test tokens and over a fixed 4096 tokens
(used / min(K, 4096)), perplexity. Baseline, in the same run: VQ at the same K (MPJPE ratio). Also recorded:
parameter counts and train-step time per method on this machine (wall and process-CPU seconds per step; each
training runs single-threaded, ``--jobs`` of them side by side).

K is the codebook size of each quantizer (RVQ: per layer, 6 layers; FSQ: the FSQ paper's levels for K, whose
product is close to K; LFQ: log2 K bits).

Presets:

* ``smoke``: VQ and 2D-LFQ at 2^8 and 2^10, 300 steps — proves the script end to end in minutes;
* ``small``: all 20 trainings in under two hours on 2 free CPU cores (width 64, depth 2, batch 32, 1500 steps,
  two trainings side by side: ~9000 CPU-seconds of training measured at ~6 CPU-s per step summed over the 20
  configurations, RVQ at 2^14 alone 1.6 s/step);
* ``full``: the paper's settings for a GPU (width 512, depth 3, batch 256, lr 1e-4, 300k steps).

Resumable: each training writes ``WORK/<preset>/<method>-K<k>/result.json`` (and checkpoints while it runs);
rerunning skips finished trainings and resumes unfinished ones. Writes
``benchmarks/results/tokenizer_sweep[_<preset>].{json,md,png}`` (no suffix for ``small``). Usage:
``python benchmarks/tokenizer_sweep.py --preset smoke [--store STORE] [--work DIR] [--jobs 2] [--quick]
[--evaluator EVAL_DIR]`` (``--evaluator`` adds FID, reconstructions vs test clips, as in the paper's Table 6).
Without ``--store``: a store built from the repository's clips (``bench_common.package_store``, smoke data);
the measured tables used the Bandai-Namco store.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from multiprocessing import get_context  # noqa: E402
from pathlib import Path  # noqa: E402

from motionbase.io import atomic_write_text  # noqa: E402

from motionbase.experiments.arms import tokenizer_run_config  # noqa: E402
from motionbase.experiments.questions import TokenizerSizes  # noqa: E402

from bench_common import add_quick, package_store, results_dir, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAME = "tokenizer_sweep"
METHODS = ("vq", "rvq", "lfq1d", "lfq2d", "fsq")
SIZES = (2 ** 8, 2 ** 10, 2 ** 12, 2 ** 14)
BASELINE = "vq"


@dataclass(frozen=True)
class Preset(TokenizerSizes):
    """Training sizes (:class:`~motionbase.experiments.questions.TokenizerSizes`) and what the sweep covers."""

    methods: tuple[str, ...] = METHODS
    sizes: tuple[int, ...] = SIZES
    checkpoint_every: int = 500
    jobs: int = 2


PRESETS = {
    "quick": Preset(methods=("vq", "lfq2d"), sizes=(2 ** 8,), steps=20, width=32, depth=1, batch_size=16,
                    warmup_steps=5, jobs=1),
    "smoke": Preset(methods=("vq", "lfq2d"), sizes=(2 ** 8, 2 ** 10), steps=300, width=64, depth=2, batch_size=32),
    "small": Preset(steps=1500, width=64, depth=2, batch_size=32),
    "full": Preset(steps=300_000, width=512, depth=3, batch_size=256, lr=1e-4, warmup_steps=1000,
                   checkpoint_every=5000, jobs=1, device="cuda"),
}


def run_config(method: str, K: int, p: Preset):
    return tokenizer_run_config(method, K, p, checkpoint_every=p.checkpoint_every, log_every=50)


def train_and_eval(method: str, K: int, p: Preset, store: str, out: str, evaluator: str | None = None) -> dict:
    """One training + test evaluation in this (worker) process; writes and returns out/result.json.
    ``evaluator``: a motion evaluator directory for FID (reconstructions vs test clips), or None."""
    import torch

    torch.set_num_threads(1)
    from motionbase.data import ClipStore
    from motionbase.tokenizer.evaluate import evaluate_tokenizer
    from motionbase.tokenizer.run import train_from_store

    out_dir = Path(out)
    wall = time.perf_counter()
    tok = train_from_store(run_config(method, K, p), store, out_dir, device=p.device)
    wall = time.perf_counter() - wall
    log = [json.loads(line) for line in (out_dir / "train_log.jsonl").read_text().splitlines()]
    motion_evaluator = None
    if evaluator:
        from motionbase.evaluate.evaluator import TextMotionEvaluator

        motion_evaluator = TextMotionEvaluator.from_pretrained(evaluator, device=p.device)
    ev = evaluate_tokenizer(tok, ClipStore.open(store), split="test", evaluator=motion_evaluator)
    result = {
        "method": method, "name": tok.config.name, "K": K, "vocab_size": tok.vocab_size,
        "parameters": ev["tokenizer"]["parameters"], "steps": p.steps,
        "train_wall_s_this_call": wall,
        "step_wall_s": sum(r["step_s"] for r in log) / len(log),
        "step_cpu_s": sum(r["step_cpu_s"] for r in log) / len(log),
        "final_loss": log[-1]["total"], "final_train_utilisation": log[-1].get("utilisation"),
        "mpjpe_root_aligned_mm": ev["mpjpe_mm"]["root_aligned"], "mpjpe_global_mm": ev["mpjpe_mm"]["global"],
        "utilisation": ev["codebook"]["utilisation"], "utilisation_at_n": ev["codebook"]["utilisation_at_n"],
        "usage_n": ev["codebook"]["n"], "perplexity": ev["codebook"]["perplexity"],
        "test_tokens": ev["codebook"]["tokens"], "per_part_root_aligned_mm": ev["per_part_mpjpe_mm"]["root_aligned"],
        "fid": ev["fid"], "evaluator": evaluator,
    }
    atomic_write_text(out_dir / "result.json", json.dumps(result, indent=2))
    return result


def table(rows: list[dict]) -> list[str]:
    base = {r["K"]: r["mpjpe_root_aligned_mm"] for r in rows if r["method"] == BASELINE}
    lines = ["| method | K | params (M) | MPJPE root-aligned (mm) | vs VQ | MPJPE global (mm) | utilisation | "
             "util. at n=4096 | perplexity | FID | s/step wall | s/step CPU |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: (METHODS.index(r["method"]), r["K"])):
        ratio = f"{r['mpjpe_root_aligned_mm'] / base[r['K']]:.2f}x" if r["K"] in base else "-"
        at_n = f"{100 * r['utilisation_at_n']:.1f}%" if r["utilisation_at_n"] is not None else "-"
        fid_text = f"{r['fid']:.3f}" if r.get("fid") is not None else "-"
        lines.append(f"| {r['name']} | 2^{r['K'].bit_length() - 1} ({r['vocab_size']}) | {r['parameters'] / 1e6:.2f} "
                     f"| {r['mpjpe_root_aligned_mm']:.1f} | {ratio} | {r['mpjpe_global_mm']:.1f} | "
                     f"{100 * r['utilisation']:.1f}% | {at_n} | {r['perplexity']:.0f} | {fid_text} | "
                     f"{r['step_wall_s']:.3f} | "
                     f"{r['step_cpu_s']:.3f} |")
    return lines


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from motionbase.io import atomic_output

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    panels = (("mpjpe_root_aligned_mm", "MPJPE, root-aligned (mm)  [paper Fig. 4]"),
              ("mpjpe_global_mm", "MPJPE, global positions (mm)"),
              ("utilisation", "codebook utilisation, all test tokens  [paper Fig. 5]"),
              ("utilisation_at_n", "utilisation over 4096 tokens (used / min(K, n))"))
    for ax, (key, label) in zip(axes.ravel(), panels):
        for method in METHODS:
            pts = sorted((r["K"], r[key]) for r in rows if r["method"] == method and r[key] is not None)
            if pts:
                name = next(r["name"] for r in rows if r["method"] == method)
                ax.plot([k for k, _ in pts], [v for _, v in pts], marker="o", label=name)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("codebook size K")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0, 0].legend()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="smoke")
    parser.add_argument("--store", default=None, help="clip store with train/test splits (default: one built from "
                        "the repository's clips: smoke data)")
    parser.add_argument("--work", default=str(Path.home() / ".cache" / "motionbase" / "tokenizer_sweep"))
    parser.add_argument("--jobs", type=int, default=None, help="trainings side by side (default: the preset's)")
    parser.add_argument("--evaluator", default=None, help="motion evaluator directory: adds FID (reconstructions "
                        "vs test clips) to newly run trainings")
    add_quick(parser, "preset quick: VQ and 2D-LFQ at K=256, 20 steps")
    args = parser.parse_args()
    if args.quick:
        args.preset = "quick"
    args.store = args.store or str(package_store())
    p = PRESETS[args.preset]
    work = Path(args.work) / args.preset
    todo, rows = [], []
    for method in p.methods:
        for K in p.sizes:
            out = work / f"{method}-K{K}"
            if (out / "result.json").is_file():
                rows.append(json.loads((out / "result.json").read_text()))
            else:
                todo.append((method, K, str(out)))
    # the smallest K first, so that partial results compare all methods; within a K the slowest first
    cost = {"rvq": 4, "lfq2d": 3, "vq": 2, "lfq1d": 1, "fsq": 1}
    todo.sort(key=lambda t: (t[1], -cost[t[0]]))
    print(f"{args.preset}: {len(rows)} done, {len(todo)} to run in {work}", flush=True)
    t0 = time.perf_counter()
    jobs = args.jobs or p.jobs
    total = len(rows) + len(todo)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(train_and_eval, m, K, p, args.store, out, args.evaluator) for m, K, out in todo]
        for fut in as_completed(futures):
            r = fut.result()
            rows.append(r)
            print(f"  {r['name']} K={r['K']}: MPJPE {r['mpjpe_root_aligned_mm']:.1f} mm, utilisation "
                  f"{100 * r['utilisation']:.1f}%, {r['train_wall_s_this_call']:.0f} s", flush=True)
            write_outputs(rows, total, args, jobs, time.perf_counter() - t0)  # partial results as they come
    if not todo:
        write_outputs(rows, total, args, jobs, 0.0)


def write_outputs(rows: list[dict], total: int, args, jobs: int, wall: float) -> None:
    p = PRESETS[args.preset]
    done = f"{len(rows)} of {total} trainings" + ("" if len(rows) == total else " (partial: the sweep is running)")
    result = {
        "question": "reconstruction MPJPE and codebook utilisation vs codebook size, per quantizer (paper Fig. 4/5)",
        "preset": args.preset, "settings": asdict(p), "store": args.store, "baseline": BASELINE, "done": done,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), {platform.python_version()}",
        "load_average": os.getloadavg(), "wall_s_this_call": wall, "runs": rows,
    }
    name = NAME if args.preset == "small" else f"{NAME}_{args.preset}"
    lines = [f"Preset `{args.preset}`, {done}: {p.steps} steps, batch {p.batch_size} x {p.window} frames, width "
             f"{p.width}, depth {p.depth}, lr {p.lr}; train split of {args.store}, test split for the metrics. "
             f"Baseline: VQ at the same K. s/step: one thread per training, {jobs} side by side, on a shared "
             f"{os.cpu_count()}-core machine (load {os.getloadavg()[0]:.1f} when written; CPU seconds are the "
             "steadier figure).", "", *table(rows)]
    RESULTS = results_dir(args.quick)
    write_results(RESULTS, name, result, "\n".join(lines), indent=2)
    plot(rows, RESULTS / f"{name}.png", f"tokenizer sweep, preset {args.preset} ({p.steps} steps, "
                                        f"test split; {done})")

if __name__ == "__main__":
    main()
