"""Question: how often does the offline (rules) captioner's whole-body caption agree with the
Bandai-Namco content label, and how fast is it?

Sample: a seeded sample of clips of the Bandai-Namco research motion dataset 2 (``--per-label``
clips of each of its 10 content labels, 200 by default). By default only takes with an ODD number:
the captioner's thresholds were tuned by looking at even-numbered takes, so the odd ones are held
out (``--takes all`` to use every take). Each clip is read with ``load_bvh`` (SMPL-22, 20 fps),
captioned, and captioned again mirrored (``mirror_joints``; its label's left and right swapped).

Questions, each asked of the clips whose label answers it (words read from the whole-body caption):

* turn: walk / walk-turn-left / walk-turn-right -> "turns left" / "turns right" / no turn;
* hand side: wave-* and raise-up-* -> left, right or both hands;
* walk vs run: walk* -> "walks", run -> "runs" or "jogs";
* wave vs raise: wave-* -> "waves", raise-up-* -> "raises"/"lifts" without "waves";
* nothing spurious: no action the label rules out (walk/run clips: no raise, wave, kick, jump,
  squat; wave/raise clips: no walking, running, turning, kick, jump, squat). Not in "all", and
  with no baseline (every answer is "clean").

Baseline, in the same run: the majority class of each question on the same sample (what a
captioner that always says the commonest thing would score); the table gives accuracy / baseline.
Speed: captioning CPU time per clip (``time.process_time``: the machine is shared, wall time is
noisier) beside the ``load_bvh`` CPU time of the same clip (one process, BLAS threads pinned to 1). Writes ``benchmarks/results/caption_rules_accuracy.json`` and
``.md``. Usage: ``python benchmarks/caption_rules_accuracy.py [--bvh DIR] [--per-label 20] [--quick]``
(``--bvh``: the Bandai-Namco BVH folder; without it, the repository's few Bandai-Namco samples, all takes).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from motionbase.clip import Clip  # noqa: E402
from motionbase.features.mirror import mirror_joints  # noqa: E402
from motionbase.formats.bvh import load_bvh  # noqa: E402
from motionbase.pipeline.caption import RulesCaptioner  # noqa: E402

from bench_common import add_quick, package_bvh_dir, results_dir, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NAME = "caption_rules_accuracy"
SWAP = {"left": "right", "right": "left"}


def content_of(path: Path) -> str:
    """``dataset-2_{content}_{style}_{take}.bvh`` -> content."""
    return path.stem.split("_")[1]


def mirror_label(content: str) -> str:
    return re.sub(r"left|right", lambda m: SWAP[m.group(0)], content)


SPURIOUS = {"locomotion": r"\b(raises|lifts|waves|kicks|jumps|squats|crouches|sits)\b",
            "gesture": r"\b(walks|jogs|runs|kicks|jumps|squats|crouches|sits|turns|veering)\b"}


def truth(content: str) -> dict[str, str]:
    """The answers a content label gives, per question."""
    out = {"nothing spurious": "clean"}
    if content.startswith("walk"):
        out["turn"] = content.rsplit("-", 1)[1] if "turn" in content else "none"
    if content.startswith(("walk", "run")):
        out["walk vs run"] = "run" if content == "run" else "walk"
    if content.startswith(("wave", "raise")):
        out["hand side"] = next(s for s in ("both", "left", "right") if s in content)
        out["wave vs raise"] = "wave" if content.startswith("wave") else "raise"
    return out


def predicted(whole: str, content: str) -> dict[str, str]:
    """The same answers, read from a whole-body caption."""
    w = whole.lower()
    extra = re.findall(SPURIOUS["locomotion" if content.startswith(("walk", "run")) else "gesture"], w)
    turn = re.search(r"turns (?:around to the )?(left|right)|veering slightly (left|right)", w)
    sides = {s for s in ("left", "right") if re.search(rf"\b{s} (hand|arm)", w)}
    return {"nothing spurious": "clean" if not extra else "+" + "+".join(sorted(set(extra))),
            "turn": next(g for g in turn.groups() if g) if turn else "none",
            "walk vs run": "run" if re.search(r"\b(runs|jogs)\b", w) else "walk" if "walks" in w else "none",
            "hand side": "both" if "both" in w or sides == {"left", "right"} else (sides.pop() if sides else "none"),
            "wave vs raise": "wave" if "waves" in w else "raise" if re.search(r"\b(raises|lifts)\b", w) else "none"}


def sample(bandai: Path, per_label: int, seed: int, takes: str) -> list[Path]:
    by = defaultdict(list)
    for p in sorted(bandai.glob("dataset-2_*.bvh")):
        if takes == "all" or int(p.stem.rsplit("_", 1)[1]) % 2 == 1:
            by[content_of(p)].append(p)
    rng = random.Random(seed)
    return [p for c in sorted(by) for p in rng.sample(by[c], min(per_label, len(by[c])))]


def run(paths: list[Path]) -> dict:
    cap = RulesCaptioner()
    rows, load_s, cap_s = [], [], []
    for p in paths:
        t0 = time.process_time()
        clip = load_bvh(p)
        t1 = time.process_time()
        whole = cap.caption(clip).whole[0]
        t2 = time.process_time()
        mirrored = cap.caption(Clip(mirror_joints(clip.joints_m), fps=clip.fps)).whole[0]
        load_s.append(t1 - t0)
        cap_s.append(t2 - t1)
        content = content_of(p)
        for variant, label, text in (("original", content, whole), ("mirrored", mirror_label(content), mirrored)):
            guess = predicted(text, label)
            for q, answer in truth(label).items():
                rows.append({"file": p.name, "variant": variant, "question": q, "truth": answer,
                             "guess": guess[q], "caption": text})
    return {"rows": rows, "load_ms": 1e3 * np.array(load_s), "caption_ms": 1e3 * np.array(cap_s)}


def score(rows: list[dict]) -> list[dict]:
    table = []
    for q in ("turn", "hand side", "walk vs run", "wave vs raise", "nothing spurious", "all"):
        for variant in ("original", "mirrored"):
            sel = [r for r in rows if r["variant"] == variant and r["question"] in (LABELLED if q == "all" else (q,))]
            if not sel:
                continue
            acc = float(np.mean([r["truth"] == r["guess"] for r in sel]))
            if q == "nothing spurious":  # every truth is "clean": a majority baseline says nothing
                table.append({"question": q, "variant": variant, "n": len(sel), "accuracy": acc,
                              "baseline": None, "ratio": None})
                continue
            if q == "all":
                base = float(np.mean([_majority(rows, r["question"], variant) == r["truth"] for r in sel]))
            else:
                base = Counter(r["truth"] for r in sel).most_common(1)[0][1] / len(sel)
            table.append({"question": q, "variant": variant, "n": len(sel), "accuracy": acc,
                          "baseline": base, "ratio": acc / base if base else float("inf")})
    return table


LABELLED = ("turn", "hand side", "walk vs run", "wave vs raise")  # questions with a label to agree with


def _majority(rows: list[dict], question: str, variant: str) -> str:
    return Counter(r["truth"] for r in rows if r["question"] == question and r["variant"] == variant).most_common(1)[0][0]


def write(result: dict, table: list[dict], args, n_clips: int) -> None:
    cap_ms, load_ms = result["caption_ms"], result["load_ms"]
    wrong = [r for r in result["rows"] if r["truth"] != r["guess"]]
    speed = {"caption_ms_median": float(np.median(cap_ms)), "caption_ms_p95": float(np.percentile(cap_ms, 95)),
             "caption_ms_max": float(cap_ms.max()), "load_bvh_ms_median": float(np.median(load_ms)),
             "caption_over_load": float(np.median(cap_ms) / np.median(load_ms))}
    env = f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}"
    out = {"question": "rules captioner: agreement with Bandai-Namco content labels, and speed",
           "clips": n_clips, "per_label": args.per_label, "seed": args.seed, "takes": args.takes,
           "environment": env, "table": table, "speed": speed, "disagreements": wrong[:60]}
    lines = [f"# Rules captioner vs Bandai-Namco content labels ({n_clips} clips)", "",
             f"{env}; seed {args.seed}, {args.per_label} clips per label, takes: {args.takes} "
             "(thresholds were tuned on even-numbered takes). Baseline: majority class of each question "
             "on the same sample.", "",
             "| question | clips | accuracy | majority baseline | accuracy / baseline |", "|---|---:|---:|---:|---:|"]
    for r in table:
        name = r["question"] + (" (mirrored clips, mirrored labels)" if r["variant"] == "mirrored" else "")
        base, ratio = ("—", "—") if r["baseline"] is None else (f"{r['baseline']:.1%}", f"{r['ratio']:.2f}x")
        lines.append(f"| {name} | {r['n']} | {r['accuracy']:.1%} | {base} | {ratio} |")
    lines += ["", "| CPU time | median ms | p95 ms | max ms |", "|---|---:|---:|---:|",
              f"| rules caption, per clip | {speed['caption_ms_median']:.2f} | {speed['caption_ms_p95']:.2f} | "
              f"{speed['caption_ms_max']:.2f} |",
              f"| load_bvh of the same clip (baseline) | {speed['load_bvh_ms_median']:.2f} | | |",
              "", f"Captioning costs {speed['caption_over_load']:.2f}x the BVH load. "
              "Disagreements (file, truth, guess, caption) are listed in the JSON."]
    write_results(RESULTS, NAME, out, "\n".join(lines), indent=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bvh", "--bandai", dest="bandai", type=Path, default=None,
                    help="folder of dataset-2_*.bvh files (default: the repository's samples)")
    ap.add_argument("--per-label", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--takes", choices=("odd", "all"), default="odd")
    add_quick(ap, "the repository's Bandai-Namco samples")
    args = ap.parse_args()
    global RESULTS
    RESULTS = results_dir(args.quick)
    if args.bandai is None or args.quick:
        args.bandai, args.takes = package_bvh_dir(), "all"  # few files: every take counts
    paths = sample(args.bandai, args.per_label, args.seed, args.takes)
    if not paths:
        raise SystemExit(f"no dataset-2_*.bvh files under {args.bandai}")
    result = run(paths)
    write(result, score(result["rows"]), args, len(paths))


if __name__ == "__main__":
    main()
