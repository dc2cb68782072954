"""Question: do generated gestures begin the way real takes do, from a settled pose, and does holding the first time
step to the codes training clips begin with (motionbase.lm.onset) make them?

Physical ground truth, not a learned judge: the elevation of the arm a gesture prompt names (wrist height above the
shoulder in arm lengths: -1 hanging, 0 level with the shoulder; :func:`~motionbase.pipeline.caption.
kinematics_summary.arm_trace`) in the first frame, for real Bandai-Namco takes of the six hand actions and for
motions the default generates for their training-style prompts (the default_model benchmark's phrasings, 7 styles,
generation seeds ``1000 + k``) with the onset held (the default) and free (``onset=False``), the same seeds for
both. A *raised start* is a first frame with the arm above -0.6 (real takes: the arm hangs near -0.95). The hand
check of ``benchmarks/default_model.py`` is reported beside it, and what the table costs: 10 s of guided motion held
and free, alternating in one process (the baseline in the same run).

Usage: ``python benchmarks/motion_onset.py [--lm DIR --tokenizer DIR] [--seeds 5] [--store STORE] [--quick]``.
Real takes: the test split of ``--store`` (the default's Bandai-Namco store) when given, else the Bandai-Namco
gesture BVHs the repository ships (a handful: a smoke reference). Writes ``benchmarks/results/motion_onset.{json,md}``.
About two minutes per seed on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from bench_common import BVH_FILES, ROOT, add_model_options, add_quick, load_generator, results_dir, write_results

NAME = "motion_onset"
SEED_BASE, PHRASE_BASE = 1000, 0  # the default_model benchmark's generation seeds and phrasings
RAISED = -0.6  # a first frame with the named arm above this elevation starts mid-gesture
GESTURES = ("wave", "raise")


def sides(content: str) -> list[int]:
    """Arm indices (0 left, 1 right) a hand action names."""
    return [0, 1] if "both" in content else [0 if "left" in content else 1]


def first_elevation(joints: np.ndarray, fps: float, content: str) -> float:
    """The higher first-frame elevation of the arms ``content`` names."""
    from motionbase.pipeline.caption import kinematics_summary as ks

    frame = ks._Frame(np.asarray(joints, np.float64), fps, ks.SMPL22, ks.SummaryConfig())
    return max(float(ks.arm_trace(frame, s).elevation[0]) for s in sides(content))


def summary(values: list[float], passes: list[bool] | None = None) -> dict:
    v = np.asarray(values, dtype=np.float64)
    out = {"n": len(v), "first_elevation": float(v.mean()), "raised_start": float((v > RAISED).mean())}
    if passes is not None:
        out["hand_pass"] = float(np.mean(passes))
    return out


def real_takes(store_dir: Path | None) -> tuple[dict, str]:
    """First-frame elevations of real gesture takes (by style), and where they came from."""
    from motionbase.formats.bvh import load_bvh

    rows: list[tuple[str, float]] = []
    if store_dir is not None:
        from motionbase.data.store import ClipStore

        store = ClipStore.open(store_dir).split("test")
        for i in range(len(store)):
            clip = store.clip(i)
            content, style = clip.meta.labels.get("content", ""), clip.meta.labels.get("style", "")
            if content.startswith(GESTURES):
                rows.append((style, first_elevation(clip.joints_m, clip.fps, content)))
        where = f"test split of {store_dir}"
    else:
        for path in sorted({p.name: p for p in BVH_FILES}.values()):
            _, content, style, _ = path.stem.split("_")
            if content.startswith(GESTURES):
                clip = load_bvh(path)
                rows.append((style, first_elevation(clip.joints_m, clip.fps, content)))
        where = f"the repository's Bandai-Namco gesture BVHs ({len(rows)})"
    by = {s: summary([e for t, e in rows if t == s]) for s in sorted({t for t, _ in rows})}
    return {"all": summary([e for _, e in rows]), "by_style": by}, where


def generated(gen, seeds: int, onset: bool) -> dict:
    from motionbase.data.labels import CONTENT_PHRASES, STYLE_WORDS, bandai_captions
    from motionbase.evaluate.prompt_following import judge

    contents = [c for c in CONTENT_PHRASES if c.startswith(GESTURES)]
    rows = []
    t0 = time.perf_counter()
    for k in range(seeds):
        jobs = [(c, s, bandai_captions(c, s, n=3, seed=PHRASE_BASE + k)[k % 3]) for c in contents for s in STYLE_WORDS]
        motions = gen.text_to_motion([p for *_, p in jobs], None, seed=SEED_BASE + k, onset=onset)
        for (content, style, prompt), m in zip(jobs, motions):
            hand = next(c for c in judge(content, m.joints, m.fps, where=prompt) if c.question == "hand")
            rows.append((style, first_elevation(m.joints, m.fps, content), hand.ok))
    by = {s: summary([e for t, e, _ in rows if t == s], [ok for t, _, ok in rows if t == s])
          for s in sorted({t for t, _, _ in rows})}
    return {"all": summary([e for _, e, _ in rows], [ok for *_, ok in rows]), "by_style": by,
            "seconds": time.perf_counter() - t0}


def timing(gen, repeats: int) -> dict:
    """Median seconds of text -> 10 s of guided motion, onset held and free, alternating (seeds 0, 1, ...)."""
    import statistics

    prompt = ["a person walks and turns left."]
    gen.text_to_motion(prompt, 10.0, seed=0)  # warm
    runs: dict[bool, list[float]] = {True: [], False: []}
    for k in range(repeats):
        for onset in ((True, False) if k % 2 else (False, True)):
            t0 = time.perf_counter()
            gen.text_to_motion(prompt, 10.0, seed=k, onset=onset)
            runs[onset].append(time.perf_counter() - t0)
    return {"held_s": statistics.median(runs[True]), "free_s": statistics.median(runs[False]), "repeats": repeats}


def markdown(result: dict) -> str:
    def pct(x):
        return f"{100 * x:.1f} %"

    lines = [f"# {result['question']}", "",
             f"{result['machine']}; models: `{result['models']}`. {result['seeds']} generations per hand action x "
             f"style (seeds {SEED_BASE}+k, the default_model benchmark's phrasings); real takes: {result['real_from']}. "
             f"Elevation of the named arm in the first frame (-1 hanging, 0 shoulder height); raised start: above "
             f"{RAISED}. Hand: the default_model benchmark's which-hand check.", "",
             "| motions | n | first-frame elevation | raised start | which hand |", "|---|---:|---:|---:|---:|"]
    for label, key in (("real takes", "real"), ("generated, onset held (default)", "held"),
                       ("generated, onset free", "free")):
        r = result[key]["all"]
        lines.append(f"| {label} | {r['n']} | {r['first_elevation']:.2f} | {pct(r['raised_start'])} | "
                     f"{pct(r['hand_pass']) if 'hand_pass' in r else '–'} |")
    lines += ["", f"Generating and judging took {result['held']['seconds']:.0f} s held and {result['free']['seconds']:.0f} s "
              "free (motions of the lengths the model chose, judged). Text -> 10 s of guided motion, alternating in one "
              f"process ({result['timing']['repeats']} each, median): {result['timing']['held_s']:.2f} s held, "
              f"{result['timing']['free_s']:.2f} s free.", "", "By style (generated; held / free):", "",
              "| style | raised start | which hand |", "|---|---:|---:|"]
    for style, held in result["held"]["by_style"].items():
        free = result["free"]["by_style"][style]
        lines.append(f"| {style} | {pct(held['raised_start'])} / {pct(free['raised_start'])} | "
                     f"{pct(held['hand_pass'])} / {pct(free['hand_pass'])} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_options(parser)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None, help="real takes: this store's test split")
    add_quick(parser, "one seed")
    args = parser.parse_args()
    if args.quick:
        args.seeds = 1
    gen, header = load_generator(args, __doc__.splitlines()[0])
    real, where = real_takes(args.store)
    result = {**header, "seeds": args.seeds, "real_from": where, "real": real,
              "held": generated(gen, args.seeds, True), "free": generated(gen, args.seeds, False),
              "timing": timing(gen, 2 if args.quick else 8)}
    result["real_from"] = result["real_from"].replace(str(ROOT) + "/", "")
    write_results(results_dir(args.quick), NAME, result, markdown(result))


if __name__ == "__main__":
    main()
