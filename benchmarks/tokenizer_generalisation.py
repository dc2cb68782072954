"""Question: which training recipe makes the default tokenizer reconstruct actions it never saw, and the global
trajectory, better — at the shipped default's CPU budget?

Unseen-action split of the default data (:func:`motionbase.tokenizer.holdout.holdout_split`): whole contents are
held out of training (default ``run`` and ``wave-both-hands``: both are their own mirror images, so mirror
augmentation cannot hand the tokenizer a held-out action through its left/right twin — as it would for
``raise-up-left-hand``; one is locomotion, where the global trajectory matters, one an arm action). Every method
trains on the remaining clips of the ``train`` split and is evaluated on

* ``unseen``: every clip of the held-out contents;
* ``in_domain``: the ``test`` split of the other contents;

with MPJPE (mm) root-aligned and global, over whole clips (:func:`~motionbase.tokenizer.evaluate.evaluate_tokenizer`)
and over 10-s windows each reconstructed on its own (:func:`~motionbase.tokenizer.evaluate.evaluate_windows`), plus
codebook utilisation (over a fixed 4096 tokens) of the unseen clips. Each method runs with several seeds (one
retrain moves the figures by several mm): the table gives mean ± half the range. Baseline, in the same run: the
defaults' recipe until session 13 (``BASE``, method ``learned-root``: its root code is learned like the body's), ratios
against it. The shipped default's tokenizer since session 13 is method ``traj-code+foot20+long`` (``DEFAULT_METHOD``;
a test keeps it equal to scripts/train_default.py's tokenizer settings).

Each training is single-threaded, ``--jobs`` side by side, resumable (``WORK/<method>-s<seed>/result.json``;
rerunning skips finished ones). ``--default-split DIR ...`` also evaluates finished tokenizers (e.g. the shipped
one and a candidate trained on the full default split) on the store's whole test split.

Usage: ``python benchmarks/tokenizer_generalisation.py --bvh DIR_OF_BANDAI_BVH --work WORK [--methods a b]
[--seeds 0 1] [--jobs 2] [--default-split TOKENIZER_DIR ...]`` (``--store STORE`` instead of ``--bvh`` reuses a
store built by ``motionbase.defaults.data.build_bandai_store``). Writes
``benchmarks/results/tokenizer_generalisation.{json,md}``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from multiprocessing import get_context  # noqa: E402
from pathlib import Path  # noqa: E402
from bench_common import WORK, add_quick, package_bvh_dir, results_dir, write_results  # noqa: E402

from motionbase.io import atomic_write_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NAME = "tokenizer_generalisation"
HELD_OUT = ("run", "wave-both-hands")
BASELINE = "learned-root"
WINDOW_S = 10.0

# The defaults' tokenizer run until session 13, whose root code is learned like the body's: the recipe every method
# changes (method `learned-root`; called `shipped` in the tables of sessions 6 and 8).
BASE = {"preset": "lfq2d",
        "model": {"width": 64, "depth": 2, "grouping": "body", "codebook_size": 512},
        "train": {"lr": 1e-3, "warmup_steps": 100, "checkpoint_every": 200, "log_every": 50},
        "data": {"window": 64, "batch_size": 32}, "steps": 1200}

AUG = {"mirror_prob": 0.5, "speed_range": [0.67, 1.5]}
# Re-timing up to 2.5x: a Bandai walk (~1.3 m/s) reaches running speeds (~3 m/s) the held-out ``run`` content has.
AUG_WIDE = {"mirror_prob": 0.5, "speed_range": [0.5, 2.5]}
AUG_WIDER = {"mirror_prob": 0.5, "speed_range": [0.5, 3.5]}
# method -> changes to BASE (dicts merge one level down; "steps" replaces). Same frames per step everywhere
# (batch x window = 32 x 64) unless the method is about the budget (steps2x).
METHODS: dict[str, dict] = {
    "learned-root": {},
    "mirror+speed": {"data": AUG},
    "trajectory": {"train": {"loss": {"trajectory_loss_weight": 1.0}}},
    "trajectory5": {"train": {"loss": {"trajectory_loss_weight": 5.0}}},
    "aug+trajectory": {"data": AUG, "train": {"loss": {"trajectory_loss_weight": 1.0}}},
    "aug-wide": {"data": AUG_WIDE},
    "aug-wide+trajectory": {"data": AUG_WIDE, "train": {"loss": {"trajectory_loss_weight": 1.0}}},
    "aug-wider": {"data": AUG_WIDER},
    "aug-wide+steps2x": {"data": AUG_WIDE, "steps": 2400},
    # part_kernel 1: no component mixes with another, so the root's codes carry only the root's own signal.
    "aug-wide+pk1": {"data": AUG_WIDE, "model": {"part_kernel": 1}},
    # root_trunk: only the root component (the trajectory) is kept apart; the body's components still mix.
    "aug-wide+root": {"data": AUG_WIDE, "model": {"root_trunk": True}},
    "root": {"model": {"root_trunk": True}},
    # the root's code is the measured trajectory (sigma-delta levels, decoded by formula), not a learned code
    "traj-code": {"model": {"trajectory_code": True}},
    "aug-wide+traj-code": {"data": AUG_WIDE, "model": {"trajectory_code": True}},
    # and a foot-contact term: the reconstruction's feet may not move where the input's are planted (session 11)
    "traj-code+foot20": {"model": {"trajectory_code": True},
                         "train": {"loss": {"foot_contact_loss_weight": 20.0}}},
    # the same trained twice as long, the learning rate cut 10x for the last quarter (session 13's candidate default)
    "traj-code+foot20+long": {"model": {"trajectory_code": True}, "steps": 2400,
                              "train": {"loss": {"foot_contact_loss_weight": 20.0}, "lr_milestones": [1800],
                                        "lr_gamma": 0.1}},
    "window128": {"data": {"window": 128, "batch_size": 16}},
    "width128": {"model": {"width": 128}},
    "K4096": {"model": {"codebook_size": 4096}},
    "steps2x": {"steps": 2400},
    "width128+trajectory": {"model": {"width": 128}, "train": {"loss": {"trajectory_loss_weight": 1.0}}},
}

DEFAULT_METHOD = "traj-code+foot20+long"  # the shipped default's tokenizer recipe (scripts/train_default.py)

# Measured with code that has since changed (kept in the table, marked; cannot be rerun): name -> what differed.
RETIRED: dict[str, str] = {
    "aug-v1+trajectory": "aug+trajectory with the first re-timing, which sampled the per-frame velocities at the "
                         "new times and scaled them instead of integrating them: wrong for locomotion (in a "
                         "one-off check a Bandai walk at 2x came out 0.94 m off; fixed in tokenizer.augment.retime)",
}


def recipe(method: str, seed: int = 0) -> dict:
    """The TokenizerRunConfig dict of ``method`` (BASE with the method's changes) and ``seed``."""
    run = copy.deepcopy(BASE)
    for key, change in METHODS[method].items():
        if isinstance(change, dict):
            run[key] = {**run.get(key, {}), **change}
        else:
            run[key] = change
    run["train"] = {**run["train"], "seed": seed, "progress": False}
    return run


def train_and_eval(method: str, seed: int, store_path: str, out: str) -> dict:
    """Train ``method`` with ``seed`` on the held-out split's training clips, evaluate; writes out/result.json."""
    import torch

    torch.set_num_threads(1)
    from motionbase.data import ClipStore
    from motionbase.tokenizer.holdout import holdout_split
    from motionbase.tokenizer.run import TokenizerRunConfig
    from motionbase.tokenizer.train import train_tokenizer
    from motionbase.training import latest_checkpoint, step_of
    from motionbase.tokenizer.windows import StoreWindows, store_stats

    out_dir = Path(out)
    run = TokenizerRunConfig.from_dict(recipe(method, seed), source=f"{method} seed {seed}")
    split = holdout_split(ClipStore.open(store_path), HELD_OUT)
    start = latest_checkpoint(out_dir)
    step0 = step_of(start) if start is not None else 0
    stats = None if start is not None else store_stats(split.train, None)
    windows = StoreWindows(split.train, window=run.data.window, batch_size=run.data.batch_size, split=None,
                           seed=seed, start_step=step0, augment=run.data.augment())
    wall = time.perf_counter()
    tok = train_tokenizer(run.tokenizer_config(), windows, run.steps, out_dir, stats=stats, train=run.train,
                          device="cpu")
    wall = time.perf_counter() - wall
    log = [json.loads(line) for line in (out_dir / "train_log.jsonl").read_text().splitlines()]
    result = {"method": method, "seed": seed, "recipe": recipe(method, seed), "held_out": list(HELD_OUT),
              "train_clips": len(split.train), "parameters": sum(p.numel() for p in tok.parameters()),
              "train_wall_s_this_call": wall, "step_cpu_s": sum(r["step_cpu_s"] for r in log) / len(log)}
    result.update(evaluate_split(tok, split))
    atomic_write_text(out_dir / "result.json", json.dumps(result, indent=2))
    return result


def evaluate_split(tok, split) -> dict:
    """Metrics of one tokenizer on the held-out split: unseen and in-domain (whole clips and 10-s windows), and
    the unseen clips per held-out content (whole clips)."""
    import numpy as np

    from motionbase.tokenizer.evaluate import evaluate_tokenizer, evaluate_windows
    from motionbase.tokenizer.holdout import contents

    result: dict = {}
    for name, view in (("unseen", split.unseen), ("in_domain", split.in_domain)):
        ev = evaluate_tokenizer(tok, view, split=None)
        win = evaluate_windows(tok, view, seconds=WINDOW_S)
        result[name] = {"clips": len(view), "seconds": ev["seconds"],
                        "clip_root_aligned_mm": ev["mpjpe_mm"]["root_aligned"],
                        "clip_global_mm": ev["mpjpe_mm"]["global"],
                        "window_root_aligned_mm": win["mpjpe_mm"]["root_aligned"],
                        "window_global_mm": win["mpjpe_mm"]["global"], "windows": win["windows"],
                        "utilisation_at_n": ev["codebook"]["utilisation_at_n"],
                        "utilisation": ev["codebook"]["utilisation"]}
    content = np.asarray(contents(split.unseen), dtype=object)
    result["unseen_by_content"] = {}
    for name in split.held_out:
        ev = evaluate_tokenizer(tok, split.unseen.take(np.flatnonzero(content == name)), split=None)
        result["unseen_by_content"][name] = {"clips": ev["clips"], "seconds": ev["seconds"],
                                             "clip_root_aligned_mm": ev["mpjpe_mm"]["root_aligned"],
                                             "clip_global_mm": ev["mpjpe_mm"]["global"],
                                             "path_ratio": ev["path_m"]["ratio"]}
    return result


def reevaluate(out: str, store_path: str) -> dict:
    """Recompute the metrics of a finished training (e.g. after the evaluation gained a metric); rewrites
    out/result.json, training fields kept."""
    import torch

    torch.set_num_threads(1)
    from motionbase.data import ClipStore
    from motionbase.tokenizer import MotionTokenizer
    from motionbase.tokenizer.holdout import holdout_split

    path = Path(out) / "result.json"
    result = json.loads(path.read_text())
    tok = MotionTokenizer.from_pretrained(out)
    result.update(evaluate_split(tok, holdout_split(ClipStore.open(store_path), HELD_OUT)))
    atomic_write_text(path, json.dumps(result, indent=2))
    return result


def evaluate_at_step(out: str, store_path: str, step: int) -> dict | None:
    """Metrics of the checkpoint a training wrote at ``step`` (cached in out/result_step{step}.json), for comparing
    methods at the same step when not every training could finish; None when that checkpoint is missing."""
    import torch

    torch.set_num_threads(1)
    from motionbase.data import ClipStore
    from motionbase.tokenizer.holdout import holdout_split
    from motionbase.tokenizer.train import checkpoint_model

    cache = Path(out) / f"result_step{step}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    ckpt = Path(out) / "checkpoints" / f"step-{step:08d}"
    if not ckpt.is_dir():
        return None
    method, _, seed = Path(out).name.rpartition("-s")
    tok = checkpoint_model(ckpt)
    log = [json.loads(line) for line in (Path(out) / "train_log.jsonl").read_text().splitlines()]
    log = [r for r in log if r["step"] <= step]
    result = {"method": method, "seed": int(seed), "step": step, "recipe": recipe(method, int(seed)),
              "parameters": sum(p.numel() for p in tok.parameters()),
              "step_cpu_s": sum(r["step_cpu_s"] for r in log) / len(log),
              **evaluate_split(tok, holdout_split(ClipStore.open(store_path), HELD_OUT))}
    atomic_write_text(cache, json.dumps(result, indent=2))
    return result


def eval_default_split(tok_dir: str, store_path: str) -> dict:
    """A finished tokenizer on the store's whole test split (the default models' split): whole clips + windows."""
    import torch

    torch.set_num_threads(1)
    from motionbase.data import ClipStore
    from motionbase.tokenizer import MotionTokenizer
    from motionbase.tokenizer.evaluate import evaluate_tokenizer, evaluate_windows

    tok = MotionTokenizer.from_pretrained(tok_dir)
    store = ClipStore.open(store_path)
    ev = evaluate_tokenizer(tok, store, split="test")
    win = evaluate_windows(tok, store.split("test"), seconds=WINDOW_S)
    return {"tokenizer": tok_dir, "clips": ev["clips"], "clip_root_aligned_mm": ev["mpjpe_mm"]["root_aligned"],
            "clip_global_mm": ev["mpjpe_mm"]["global"], "window_root_aligned_mm": win["mpjpe_mm"]["root_aligned"],
            "window_global_mm": win["mpjpe_mm"]["global"], "utilisation_at_n": ev["codebook"]["utilisation_at_n"]}


METRICS = (("unseen", "window_root_aligned_mm"), ("unseen", "window_global_mm"), ("unseen", "clip_global_mm"),
           ("in_domain", "window_root_aligned_mm"), ("in_domain", "window_global_mm"), ("unseen", "utilisation_at_n"))


def summarise(rows: list[dict]) -> dict[str, dict]:
    """method -> {metric: {"mean", "half_range", "values"}, "seeds": [...]}."""
    out: dict[str, dict] = {}
    for method in (*METHODS, *RETIRED):
        runs = sorted((r for r in rows if r["method"] == method), key=lambda r: r["seed"])
        if not runs:
            continue
        s: dict = {"seeds": [r["seed"] for r in runs], "parameters": runs[0]["parameters"],
                   "step_cpu_s": sum(r["step_cpu_s"] for r in runs) / len(runs)}
        for part, key in METRICS:
            v = [r[part][key] for r in runs]
            s[f"{part}.{key}"] = {"mean": sum(v) / len(v), "half_range": (max(v) - min(v)) / 2, "values": v}
        out[method] = s
    return out


def table(summary: dict[str, dict]) -> list[str]:
    base = summary.get(BASELINE)
    head = ["method", "seeds", "params (M)", "unseen root-aligned, 10-s windows", f"vs {BASELINE}",
            "unseen global, 10-s windows", f"vs {BASELINE}", "unseen global, whole clips", "in-domain root-aligned",
            "in-domain global", "unseen util. (4096 tokens)", "CPU s/step"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]

    def cell(s, key, scale=1.0, fmt="{:.1f}"):
        m = s[key]
        return f"{fmt.format(m['mean'] * scale)} ± {fmt.format(m['half_range'] * scale)}"

    def ratio(s, key):
        return f"{s[key]['mean'] / base[key]['mean']:.2f}x" if base else "-"

    for method, s in summary.items():
        lines.append(
            f"| {method} | {','.join(map(str, s['seeds']))} | {s['parameters'] / 1e6:.2f} | "
            f"{cell(s, 'unseen.window_root_aligned_mm')} | {ratio(s, 'unseen.window_root_aligned_mm')} | "
            f"{cell(s, 'unseen.window_global_mm')} | {ratio(s, 'unseen.window_global_mm')} | "
            f"{cell(s, 'unseen.clip_global_mm')} | {cell(s, 'in_domain.window_root_aligned_mm')} | "
            f"{cell(s, 'in_domain.window_global_mm')} | {cell(s, 'unseen.utilisation_at_n', 100, '{:.0f}')} % | "
            f"{s['step_cpu_s']:.2f} |")
    return lines


def by_content_table(rows: list[dict]) -> list[str]:
    """Unseen clips per held-out content (whole clips), mean over each method's seeds that have them."""
    lines = ["", "Unseen clips per held-out content, whole clips (mean over seeds; root-aligned / global mm; and, "
             "where measured, the distance the reconstructed root travels over the floor as a share of the real "
             "distance):", "",
             "| method | seeds | " + " | ".join(HELD_OUT) + " |", "|---|---|" + "---:|" * len(HELD_OUT)]
    for method in (*METHODS, *RETIRED):
        runs = [r for r in rows if r["method"] == method and "unseen_by_content" in r]
        if not runs:
            continue
        cells = []
        for content in HELD_OUT:
            ra = [r["unseen_by_content"][content]["clip_root_aligned_mm"] for r in runs]
            gl = [r["unseen_by_content"][content]["clip_global_mm"] for r in runs]
            path = [r["unseen_by_content"][content].get("path_ratio") for r in runs]
            kept = f" / path {100 * sum(path) / len(path):.0f} %" if None not in path else ""
            cells.append(f"{sum(ra) / len(ra):.1f} / {sum(gl) / len(gl):.0f}{kept}")
        lines.append(f"| {method} | {','.join(str(r['seed']) for r in runs)} | " + " | ".join(cells) + " |")
    return lines if len(lines) > 5 else []


def write_outputs(rows: list[dict], default_rows: list[dict], args, total: int, suffix: str = "") -> None:
    summary = summarise(rows)
    done = f"{len(rows)} of {total} trainings" + ("" if len(rows) >= total else " (partial)")
    if args.at_step is not None:
        done += f"; every model is the checkpoint at step {args.at_step}, not the end of training"
    result = {"question": "which tokenizer recipe generalises to unseen actions and the global trajectory",
              "held_out": list(HELD_OUT), "window_s": WINDOW_S, "baseline": BASELINE, "base_recipe": BASE,
              "default_method": DEFAULT_METHOD,
              "methods": {m: METHODS.get(m, RETIRED.get(m)) for m in summary}, "done": done,
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), {platform.python_version()}",
              "load_average": os.getloadavg(), "summary": summary, "runs": rows, "default_split": default_rows}
    lines = [f"Unseen-action split: contents {', '.join(HELD_OUT)} held out of training (all their clips are the "
             "`unseen` set); `in-domain` = the test split of the other contents. Every method at the earlier "
             f"defaults' budget ({BASE['steps']} steps x batch {BASE['data']['batch_size']} x "
             f"{BASE['data']['window']}-frame windows) unless named otherwise; {done}. MPJPE in mm, mean ± half "
             f"the range over seeds; windows = {WINDOW_S:.0f}-s windows, each reconstructed on its own; "
             f"'vs {BASELINE}' = ratio to the earlier defaults' recipe (its root code learned like the body's) retrained in "
             "this run. Goals (issue 16): unseen "
             "root-aligned <= 60 mm, unseen global <= 200 mm over 10-s windows, in-domain no worse.", "",
             *table(summary)]
    lines += ["", *(f"`{m}`: {why}." for m, why in RETIRED.items() if m in summary)]
    lines += by_content_table(rows)
    if default_rows:
        lines += ["", "Default split (all contents trained; the store's whole test split):", "",
                  "| tokenizer | clips | root-aligned, 10-s windows | global, 10-s windows | global, whole clips | "
                  "util. (4096 tokens) |", "|---|---:|---:|---:|---:|---:|"]
        for d in default_rows:
            lines.append(f"| {d['label']} | {d['clips']} | {d['window_root_aligned_mm']:.1f} | "
                         f"{d['window_global_mm']:.1f} | {d['clip_global_mm']:.1f} | "
                         f"{100 * d['utilisation_at_n']:.0f} % |")
    write_results(RESULTS, f"{NAME}{suffix}", result, "\n".join(lines), indent=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--bvh", type=Path, help="folder of Bandai-Namco dataset-2 BVH files (a store is built in WORK)")
    src.add_argument("--store", type=Path, help="a store built by motionbase.defaults.data.build_bandai_store")
    parser.add_argument("--work", type=Path, default=WORK / NAME, help="working folder (resumable)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--jobs", type=int, default=2, help="trainings side by side (one thread each)")
    parser.add_argument("--reeval", action="store_true",
                        help="recompute the metrics of finished trainings instead of skipping them")
    parser.add_argument("--no-train", action="store_true",
                        help="start no training: tabulate the finished ones (unfinished ones count as missing)")
    parser.add_argument("--at-step", type=int, default=None,
                        help="compare the checkpoints every training wrote at this step (no training; writes "
                             f"{NAME}_step<N>.{{json,md}})")
    parser.add_argument("--default-split", nargs="*", default=[], metavar="LABEL=DIR",
                        help="tokenizers to evaluate on the default test split, as label=directory")
    parser.add_argument("--suffix", default="", help="write the results as tokenizer_generalisation<SUFFIX>.{json,md} "
                        "(e.g. a rerun in another work folder, kept beside the main table)")
    add_quick(parser, "build the store from the repository's BVH files and tabulate; trains nothing")
    args = parser.parse_args()
    global RESULTS
    RESULTS = results_dir(args.quick)
    if args.quick:
        args.no_train = True
    if args.store is None and args.bvh is None:
        args.bvh = package_bvh_dir()
    store = args.store
    if store is None:
        from motionbase.defaults.data import build_bandai_store

        store = args.work / "store"
        if not (store / ".complete").exists():
            build_bandai_store(sorted(args.bvh.glob("*.bvh")), store)
            (store / ".complete").touch()
    if args.at_step is not None:
        rows = [r for m in (*args.methods, *RETIRED) for s in args.seeds
                if (r := evaluate_at_step(str(args.work / f"{m}-s{s}"), str(store), args.at_step)) is not None]
        write_outputs(rows, [], args, len(args.methods) * len(args.seeds), suffix=f"_step{args.at_step}")
        return
    rows, todo = [], []
    for seed in args.seeds:
        for method in args.methods:
            out = args.work / f"{method}-s{seed}"
            if (out / "result.json").is_file():
                rows.append(reevaluate(str(out), str(store)) if args.reeval
                            else json.loads((out / "result.json").read_text()))
            else:
                todo.append((method, seed, str(out)))
    for retired in RETIRED:   # finished results of retired methods stay in the table
        for path in sorted(args.work.glob(f"{retired}-s*/result.json")):
            rows.append(json.loads(path.read_text()))
    total = len(rows) + len(todo)
    if args.no_train:
        todo = []
    print(f"{len(rows)} done, {len(todo)} to run in {args.work}", flush=True)
    default_rows = []
    for spec in args.default_split:
        label, _, path = spec.partition("=")
        default_rows.append({"label": label, **eval_default_split(path or label, str(store))})
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(train_and_eval, m, s, str(store), out) for m, s, out in todo]
        for fut in as_completed(futures):
            r = fut.result()
            rows.append(r)
            print(f"  {r['method']} seed {r['seed']}: unseen {r['unseen']['window_root_aligned_mm']:.1f} / "
                  f"{r['unseen']['window_global_mm']:.1f} mm, in-domain {r['in_domain']['window_root_aligned_mm']:.1f}"
                  f" mm, {r['train_wall_s_this_call']:.0f} s", flush=True)
            write_outputs(rows, default_rows, args, total, suffix=args.suffix)
    write_outputs(rows, default_rows, args, total, suffix=args.suffix)


if __name__ == "__main__":
    main()
