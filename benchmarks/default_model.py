"""Question: is the shipped default model usable at once on a laptop CPU, and does it do what its prompts say?

Four figures, all for the models in ``src/motionbase/assets/models`` (or ``--lm``/``--tokenizer``):

1. Cold start: a fresh Python process imports motionbase and loads the default tokenizer + LM
   (``MotionGenerator.load()``); baseline in the same run: a fresh process that only imports torch
   (the floor any torch tool pays). Median of ``--repeats`` processes.
2. Text -> 10 s of motion -> mp4: generate 10 s for a prompt, decode to joints, render the skeleton
   video (320 px); wall seconds per stage, median of ``--repeats``, and the ratio to 10 s (real time).
3. Prompt following, geometrically (:mod:`motionbase.evaluate.prompt_following`, no learned model): for
   every content x style of the training data, ``--seeds`` generations from a training-style phrasing,
   the model choosing the length; which hand waves or rises, which way a walk turns, and (pairs of the
   same style and seed) whether the run is faster than the walk. Reference row in the same run: the same
   checks on the real clips of the store's test split (what the judge itself gets wrong, or the takes do).
3b. Paraphrased prompts: the held-out set (``assets/prompts/paraphrase_test.json``, worded unlike any
   training caption), the same checks plus ``no_hand`` (a turn prompt raises no hand), with the prompt mapper
   (all-MiniLM-L6-v2, :mod:`motionbase.lm.prompt_map`) and without it (the LM reading the prompt as typed):
   the comparison that says what the pretrained encoder adds. Out-of-domain prompts must stay flagged.
4. The evaluation runner's metrics of the default on the held-out test split, next to its real-motion
   row (``metrics.json`` written by ``scripts/train_default.py``, shipped beside the models).

Writes ``benchmarks/results/default_model.{json,md}``. Usage: ``python benchmarks/default_model.py
[--store STORE] [--seeds 20] [--repeats 3] [--quick]`` (``--store``: the default's training store, Bandai-Namco
with content/style labels, for the reference row of figure 3; without it that row is left out).
``--only-cold-start`` reruns figure 1 alone (seconds instead of minutes) and writes it into the existing results,
the other figures kept from their last full run (the markdown says so, with both load averages); ``--only-timings``
reruns figures 1 and 2 (cold start and the 10-s generations), for a machine that was busy during the full run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import WORK, add_quick, results_dir, write_results as write_files

ROOT = Path(__file__).resolve().parents[1]
NAME = "default_model"
TIMED_PROMPT = "a person walks and turns left."  # figure 2's prompt
SEED_BASE, PHRASE_BASE = 1000, 0  # generation seeds 1000 + k, phrasings drawn with seeds k (figure 3)
LOAD = ("import time; t = time.perf_counter(); from motionbase.generation import MotionGenerator; "
        "MotionGenerator.load({args}); print(time.perf_counter() - t)")
MAPPER = ("from motionbase.generation import MotionGenerator; import time; g = MotionGenerator.load({args}); "
          "t = time.perf_counter(); g.prompt_mapper(); print(time.perf_counter() - t)")
OUT_OF_DOMAIN = ("a person sits down on a chair", "a person jumps up and down", "someone does a backflip")
TORCH_ONLY = "import time; t = time.perf_counter(); import torch; print(time.perf_counter() - t)"


def _fresh_process(code: str) -> float:
    """Wall seconds of a fresh interpreter running ``code`` (from start to exit)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env={**os.environ})
    return time.perf_counter() - t0


def cold_start(repeats: int, lm: str | None, tok: str | None) -> dict:
    args = ", ".join(f"{k}={v!r}" for k, v in (("lm_dir", lm), ("tokenizer_dir", tok)) if v)
    load = [_fresh_process(LOAD.format(args=args)) for _ in range(repeats)]
    base = [_fresh_process(TORCH_ONLY) for _ in range(repeats)]
    mapper = []
    for _ in range(repeats):  # the sentence encoder loads at the first prompt, not with the models
        run = subprocess.run([sys.executable, "-c", MAPPER.format(args=args)], check=True, capture_output=True,
                             text=True)
        mapper.append(float(run.stdout.strip().splitlines()[-1]))
    return {"load_s": float(np.median(load)), "torch_import_s": float(np.median(base)),
            "ratio": float(np.median(load) / np.median(base)), "all_load_s": load, "all_torch_s": base,
            "mapper_first_use_s": float(np.median(mapper)), "all_mapper_s": mapper}


def ten_seconds(gen, repeats: int, out: Path, prompt: str, **sampling) -> dict:
    from motionbase.viz.render import RenderConfig

    rows = []
    for r in range(repeats):
        t0 = time.perf_counter()
        motion = gen.text_to_motion([prompt], 10.0, seed=r, **sampling)[0]
        t1 = time.perf_counter()
        gen.save(motion, out, f"ten-{r}", render=RenderConfig(size_px=320), kinds=("mp4",))
        t2 = time.perf_counter()
        rows.append({"generate_s": t1 - t0, "mp4_s": t2 - t1, "total_s": t2 - t0, "seconds": motion.seconds})
    med = {k: float(np.median([r[k] for r in rows])) for k in rows[0]}
    return {**med, "x_real_time": med["total_s"] / 10.0, "prompt": prompt, "runs": rows}


def prompt_following(gen, seeds: int, seed_base: int = SEED_BASE, phrase_base: int = PHRASE_BASE, **sampling) -> dict:
    """Figure 3: the checks on ``seeds`` generations per content x style, the k-th with seed ``seed_base + k`` and
    a training-style phrasing drawn with seed ``phrase_base + k``; ``sampling``: text_to_motion's options."""
    from motionbase.data.labels import CONTENT_PHRASES, STYLE_WORDS, bandai_captions
    from motionbase.evaluate.prompt_following import faster, judge, pass_rates

    jobs = [(c, s, k, bandai_captions(c, s, n=3, seed=phrase_base + k)[k % 3]) for k in range(seeds)
            for c in CONTENT_PHRASES for s in STYLE_WORDS]
    checks, rows, joints = [], [], {}
    t0 = time.perf_counter()
    for k in range(seeds):
        batch = [j for j in jobs if j[2] == k]
        motions = gen.text_to_motion([j[3] for j in batch], None, seed=seed_base + k, **sampling)
        for (content, style, seed, prompt), m in zip(batch, motions):
            got = judge(content, m.joints, m.fps, where=prompt)
            checks += got
            joints[(content, style, seed)] = m.joints
            rows.append({"content": content, "style": style, "seed": seed, "prompt": prompt,
                         "seconds": round(m.seconds, 2), "closed": m.closed,
                         "checks": {c.question: [c.expected, c.got] for c in got}})
    for (content, style, seed), run in joints.items():
        if content == "run":
            checks.append(faster(run, joints[("walk", style, seed)]))
    return {"rates": pass_rates(checks), "generations": rows, "seconds": time.perf_counter() - t0}


def paraphrase_following(gen, seeds: int, understand: bool) -> dict:
    """The checks on the held-out paraphrase prompts; ``faster`` pairs the i-th run and walk prompt."""
    from motionbase.evaluate.prompt_following import faster, judge, paraphrase_prompts, pass_rates

    pairs = paraphrase_prompts()
    checks, rows = [], []
    t0 = time.perf_counter()
    for k in range(seeds):
        motions = gen.text_to_motion([p for p, _ in pairs], None, seed=2000 + k, understand=understand)
        by: dict[str, list] = {}
        for (prompt, content), m in zip(pairs, motions):
            got = judge(content, m.joints, m.fps, where=prompt)
            checks += got
            by.setdefault(content, []).append(m.joints)
            rows.append({"content": content, "seed": k, "prompt": prompt, "read_as": m.read_as,
                         "seconds": round(m.seconds, 2), "checks": {c.question: [c.expected, c.got] for c in got}})
        checks += [faster(r, w) for r, w in zip(by.get("run", []), by.get("walk", []))]
    return {"rates": pass_rates(checks), "generations": rows, "seconds": time.perf_counter() - t0,
            "understand": understand}


def out_of_domain(gen) -> list[dict]:
    """Prompts outside the training data: the familiarity warning must stay (what the CLI and app print)."""
    out = []
    for prompt in OUT_OF_DOMAIN:
        report = gen.check_prompt(prompt)
        [m] = gen.text_to_motion([prompt], 2.0, seed=0)
        out.append({"prompt": prompt, "familiar": None if report is None else bool(report.familiar),
                    "score": None if report is None else round(report.score, 3), "read_as": m.read_as})
    return out


def real_reference(store_dir: Path, gen) -> dict | None:
    """The checks on the real test clips, and on their tokenizer reconstructions (encode -> decode)."""
    from motionbase.data import ClipStore
    from motionbase.evaluate.prompt_following import faster, judge, pass_rates
    from motionbase.lm.data import encode_clip

    if not (store_dir / "store.json").is_file():
        return None
    store = ClipStore.open(store_dir).split("test")
    clips = [store.clip(i) for i in range(len(store))]
    motions = {"real": [c.joints_m for c in clips],
               "reconstructed": [gen.from_codes(encode_clip(gen.tokenizer, np.asarray(store.features(i)))).joints
                                 for i in range(len(store))]}
    out = {}
    for kind, joints_of in motions.items():
        checks, by = [], {}
        for clip, joints in zip(clips, joints_of):
            content, style = clip.meta.labels["content"], clip.meta.labels["style"]
            checks += judge(content, joints, clip.fps, where=clip.meta.id)
            by.setdefault((content, style), []).append(joints)
        for (content, style), runs in by.items():
            if content == "run":
                checks += [faster(r, w) for r, w in zip(runs, by.get(("walk", style), []))]
        out[kind] = pass_rates(checks)
    return {"rates": out["real"], "reconstructed": out["reconstructed"], "clips": len(store), "store": str(store_dir)}


def paraphrase_markdown(follow: dict, para: dict, raw: dict, ood: list[dict], cold: dict) -> list[str]:
    qs = ("hand", "turn", "faster", "headline", "no_hand", "travels", "gesture")
    names = {"hand": "which hand waves or rises", "turn": "which way a walk turns",
             "faster": "the run is faster than the walk", "headline": "**the three together**",
             "no_hand": "a turn prompt raises no hand", "travels": "walks and runs travel", "gesture": "waves vs raises"}
    n = len({r["prompt"] for r in para["generations"]})
    lines = ["\n## Paraphrased prompts (held out: worded unlike any training caption)\n",
             f"{n} prompts x {len({r['seed'] for r in para['generations']})} seed(s), the model choosing the length; "
             "with the prompt mapper (all-MiniLM-L6-v2 picks the nearest known caption, side words first) and "
             "without it (the LM reads the prompt as typed). In-domain column: the training-style prompts above.\n",
             "| question | in-domain n | in-domain pass | paraphrased n | with mapper | LM alone |", "|---|---:|---:|---:|---:|---:|"]
    for q in qs:
        p, r, f = para["rates"].get(q), raw["rates"].get(q), follow["rates"].get(q)
        if p is None:
            continue
        fc = f"{f['n']} | {100 * f['pass']:.1f}%" if f else "– | –"
        lines.append(f"| {names[q]} | {fc} | {p['n']} | {100 * p['pass']:.1f}% | {100 * r['pass']:.1f}% |")
    lines += ["", f"Sentence encoder, first prompt in a fresh process (loaded lazily, not in the cold start): "
              f"{cold['mapper_first_use_s']:.2f} s (median).", "",
              "Out-of-domain prompts (the warning the CLI and web app print must stay):", "",
              "| prompt | familiar | score | read as |", "|---|---|---:|---|"]
    lines += [f"| {o['prompt']} | {o['familiar']} | {o['score']} | {o['read_as'] or '(as typed)'} |" for o in ood]
    return lines


def markdown(meta: dict, cold: dict, ten: dict, guided: dict, follow: dict, real: dict | None, metrics: dict | None) -> str:
    from motionbase.defaults.cards import metrics_table

    lines = ["# Default model: cold start, text -> 10 s -> mp4, prompt following, metrics\n",
             f"{meta['machine']}; models: `{meta['models']}`.\n",
             "| step | seconds (median) | baseline | ratio |", "|---|---:|---|---:|",
             f"| cold start: import + load tokenizer and LM (fresh process) | {cold['load_s']:.2f} | "
             f"fresh process importing torch only: {cold['torch_import_s']:.2f} s | {cold['ratio']:.2f}x |",
             f"| text -> 10 s of motion (generate + decode to joints), guidance off (one pass a token) | "
             f"{ten['generate_s']:.2f} | | |",
             f"| joints -> 320 px mp4 | {ten['mp4_s']:.2f} | | |",
             f"| text -> 10 s -> mp4, total | {ten['total_s']:.2f} | 10 s of motion (real time) | "
             f"{ten['x_real_time']:.2f}x |",
             f"| text -> 10 s of motion, default guidance (prompt and negative in one batched pass a token) | {guided['generate_s']:.2f} | "
             f"the same, guidance off: {ten['generate_s']:.2f} s | {guided['generate_s'] / ten['generate_s']:.2f}x |",
             f"| text -> 10 s -> mp4, total, guided | {guided['total_s']:.2f} | 10 s of motion (real time) | "
             f"{guided['x_real_time']:.2f}x |", "",
             f"Prompt: {guided['prompt']!r}; 1-min load average {meta['load_start']:.2f} at the start, "
             f"{meta.get('load_end', float('nan')):.2f} at the end.", ""]
    if "cold_start_rerun" in meta:
        rerun = meta["cold_start_rerun"]
        what = ("Cold start and 10-s generations rerun (`--only-timings`" if rerun.get("ten_seconds")
                else "Cold start rerun alone (`--only-cold-start`")
        lines[-1:-1] = [f"{what}, {rerun['when']}; 1-min load average "
                        f"{rerun['load_start']:.2f} at its start, {rerun['load_end']:.2f} at its end, "
                        f"{rerun['repeats']} repeats); the other rows are from the last full run."]
    qs = ("hand", "turn", "faster", "headline", "travels", "gesture")
    names = {"hand": "which hand waves or rises", "turn": "which way a walk turns",
             "faster": "the run is faster than the walk", "headline": "**the three together (goal >= 95 %)**",
             "travels": "walks and runs travel", "gesture": "waves vs raises"}
    lines += ["## Prompt following (geometric; no learned model)\n",
              f"{meta['seeds']} generation(s) per content x style ({len(follow['generations'])} in all, "
              f"{follow['seconds']:.0f} s), training-style phrasings, the model choosing the length. Reference: the "
              "same checks on the real test clips, and on their reconstructions by the tokenizer (encode -> decode: "
              "what the LM could reach at best)" + ("" if real else " (no store given: not run)") + ".\n",
              "| question | generated n | generated pass | real n | real pass | reconstructed pass |",
              "|---|---:|---:|---:|---:|---:|"]
    for q in qs:
        g = follow["rates"].get(q)
        r = (real or {}).get("rates", {}).get(q)
        if g is None:
            continue
        rec = (real or {}).get("reconstructed", {}).get(q)
        real_cells = f"{r['n']} | {100 * r['pass']:.1f}% | {100 * rec['pass']:.1f}%" if r else "– | – | –"
        lines.append(f"| {names[q]} | {g['n']} | {100 * g['pass']:.1f}% | {real_cells} |")
    goal = follow["rates"]["headline"]["pass"] >= 0.95
    lines.append(f"\nGoal (>= 95 % on the three headline checks, in-domain): **{'met' if goal else 'not met'}**.")
    if metrics:
        lines += ["\n## Evaluation runner on the held-out test split (from the shipped metrics.json)\n",
                  metrics_table(metrics)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lm", default=None)
    parser.add_argument("--tokenizer", default=None)
    parser.add_argument("--store", type=Path, default=None,
                        help="clip store of the training data (its test split gives the reference row; default: none)")
    parser.add_argument("--seeds", type=int, default=20, help="generations per prompt (20: ~0.6 %% standard error "
                        "on the 1,260 in-domain headline checks near 95 %%; 5, the default until session 13: ~1.2 %%)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=WORK / "default_model", help="scratch folder for the videos")
    parser.add_argument("--only-cold-start", action="store_true",
                        help="rerun the cold start alone and update it in the existing results (needs a full run's JSON)")
    parser.add_argument("--only-timings", action="store_true",
                        help="rerun the cold start and the 10-s generation timings and update them in the existing "
                             "results (needs a full run's JSON)")
    add_quick(parser, "one seed, one repeat")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.repeats = 1, 1
    RESULTS = results_dir(args.quick)
    if args.only_cold_start or args.only_timings:
        rerun_timings(RESULTS, args, ten=args.only_timings)
        return

    import torch

    from motionbase.defaults.paths import default_checkpoints
    from motionbase.generation import MotionGenerator

    torch.manual_seed(0)
    shipped = default_checkpoints()
    models = f"lm={args.lm or shipped.lm}, tokenizer={args.tokenizer or shipped.tokenizer}"
    meta = {"machine": f"{platform.platform()}, torch {torch.__version__}, {os.cpu_count()} CPUs "
                       f"({torch.get_num_threads()} torch threads; 1-min load average {os.getloadavg()[0]:.2f} at "
                       "the start)", "models": models, "seeds": args.seeds, "load_start": os.getloadavg()[0]}
    cold = cold_start(args.repeats, args.lm, args.tokenizer)
    gen = MotionGenerator.load(args.lm, args.tokenizer, device="cpu")
    meta["mapper"] = gen.prompt_mapper() is not None  # loaded here, outside the timings below
    ten, ten_guided = ten_second_figures(gen, args)
    follow = prompt_following(gen, args.seeds)
    para = paraphrase_following(gen, args.seeds, understand=True)
    raw = paraphrase_following(gen, args.seeds, understand=False)
    ood = out_of_domain(gen)
    real = real_reference(args.store, gen) if args.store is not None else None
    metrics_file = Path(args.lm or shipped.lm).parent / "metrics.json"
    metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else None
    meta["load_end"] = os.getloadavg()[0]
    write_results(RESULTS, {"meta": meta, "cold_start": cold, "ten_seconds": ten, "ten_seconds_guided": ten_guided,
                            "prompt_following": follow, "real": real, "paraphrased": para,
                            "paraphrased_lm_alone": raw, "out_of_domain": ood,
                            "metrics_source": str(metrics_file) if metrics else None})


def write_results(results: Path, data: dict) -> None:
    """``default_model.json`` and its markdown from one results record."""
    source = data.get("metrics_source")
    metrics = json.loads(Path(source).read_text()) if source and Path(source).is_file() else None
    text = markdown(data["meta"], data["cold_start"], data["ten_seconds"], data["ten_seconds_guided"],
                    data["prompt_following"], data["real"], metrics)
    text += "\n".join(paraphrase_markdown(data["prompt_following"], data["paraphrased"],
                                          data["paraphrased_lm_alone"], data["out_of_domain"], data["cold_start"]))
    write_files(results, NAME, data, text, indent=1)


def ten_second_figures(gen, args: argparse.Namespace) -> tuple[dict, dict]:
    """Figure 2: text -> 10 s -> mp4 without guidance, then with the default guidance."""
    return (ten_seconds(gen, args.repeats, args.out, TIMED_PROMPT, guidance=1.0),
            ten_seconds(gen, args.repeats, args.out, TIMED_PROMPT))


def rerun_timings(results: Path, args: argparse.Namespace, ten: bool) -> None:
    """Figure 1 (and, with ``ten``, figure 2), written into the last full run's results (everything else kept as
    it was)."""
    path = results / f"{NAME}.json"
    if not path.is_file():
        raise SystemExit(f"{path}: no full run to update; run the benchmark without --only-cold-start / "
                         "--only-timings first")
    data = json.loads(path.read_text())
    load_start = os.getloadavg()[0]
    data["cold_start"] = cold_start(args.repeats, args.lm, args.tokenizer)
    if ten:
        import torch

        from motionbase.generation import MotionGenerator

        torch.manual_seed(0)
        gen = MotionGenerator.load(args.lm, args.tokenizer, device="cpu")
        data["ten_seconds"], data["ten_seconds_guided"] = ten_second_figures(gen, args)
    data["meta"]["cold_start_rerun"] = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                        "load_start": load_start, "load_end": os.getloadavg()[0],
                                        "repeats": args.repeats, "ten_seconds": ten}
    write_results(results, data)


if __name__ == "__main__":
    main()
