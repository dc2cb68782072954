"""Question: which sampling settings (temperature, top-k, guidance) make the default model follow its prompts best?

The geometric checks of ``benchmarks/default_model.py`` (which hand, which turn, run faster than walk:
:mod:`motionbase.evaluate.prompt_following`) for each setting, on **selection seeds the default_model benchmark
does not use** (generation seeds ``5000 + k``, phrasings drawn with seeds ``5 + k``; the benchmark's are
``1000 + k`` and ``k``), so that a setting chosen here is then measured, unbiased, by that benchmark. Guidance is the
shipped default's (``motionbase.generation.DEFAULT_GUIDANCE``) unless a setting names its own. Baseline in the same
run: the generate command's defaults (temperature 1, no top-k, default guidance). The held-out paraphrases are not
used here.

Usage: ``python benchmarks/sampling_sweep.py [--lm DIR --tokenizer DIR] [--seeds 5] [--settings t1.0 t0.7 ...]
[--suffix _NAME] [--benchmark-seeds]``. ``--benchmark-seeds`` uses the default_model benchmark's seeds instead
(``1000 + k``, ``k``): to compare models, or a setting once chosen, on the seeds that benchmark reports. Writes
``benchmarks/results/sampling_sweep{_NAME}.{json,md}``. About a minute per setting and seed set on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import time

from bench_common import add_model_options, add_quick, load_generator, results_dir, write_results
from default_model import PHRASE_BASE as BENCH_PHRASE_BASE, SEED_BASE as BENCH_SEED_BASE, prompt_following

NAME = "sampling_sweep"
SEED_BASE, PHRASE_BASE = 5000, 5
# label -> text_to_motion sampling options; "t1.0" is the generate command's default (the baseline).
SETTINGS: dict[str, dict] = {
    "t1.0": {"temperature": 1.0},
    "t0.85": {"temperature": 0.85},
    "t0.7": {"temperature": 0.7},
    "t0.5": {"temperature": 0.5},
    "t1.0-k20": {"temperature": 1.0, "top_k": 20},
    "t0.7-k20": {"temperature": 0.7, "top_k": 20},
    # guidance scales around the default (3; 4 until session 8), at temperature 1
    "g2": {"guidance": 2.0},
    "g3": {"guidance": 3.0},
    "g5": {"guidance": 5.0},
    "g6": {"guidance": 6.0},
    # guidance ramped up from none over the first seconds of motion (lm.guided_decode), at the default scale
    "w0": {"guidance_warmup": 0.0},
    "w0.5": {"guidance_warmup": 0.5},
    "w1": {"guidance_warmup": 1.0},
    "w2": {"guidance_warmup": 2.0},
    # the first time step drawn from anything, not only from the codes training clips start with (lm.onset)
    "free-onset": {"onset": False},
}
BASELINE = "t1.0"
QUESTIONS = ("hand", "turn", "faster", "headline", "gesture", "travels")


def markdown(result: dict) -> str:
    bench = result["seed_base"] != SEED_BASE
    which = "the default_model benchmark's seeds" if bench else "selection seeds"
    lines = [f"# Sampling settings vs prompt following ({which})\n",
             f"{result['machine']}; models: `{result['models']}`. {result['seeds']} generations per content x style "
             f"(seeds {result['seed_base']}+k, phrasings drawn with seeds {result['phrase_base']}+k: "
             f"{'the' if bench else 'not the'} default_model benchmark's); guidance {result['guidance']}"
             f", warm-up {result['guidance_warmup']:g} s unless a setting "
             "names its own. Pass rates of the geometric checks; "
             f"'vs baseline' = headline pass minus the baseline's ({BASELINE}, the generate command's default), in "
             "points.\n",
             "| setting | " + " | ".join(QUESTIONS) + " | vs baseline | seconds |",
             "|---|" + "---:|" * (len(QUESTIONS) + 2)]
    base = result["rows"].get(BASELINE, {}).get("rates", {}).get("headline", {}).get("pass")
    for label, row in result["rows"].items():
        rates = row["rates"]
        cells = [f"{100 * rates[q]['pass']:.1f}% ({rates[q]['n']})" if q in rates else "–" for q in QUESTIONS]
        delta = "–" if base is None else f"{100 * (rates['headline']['pass'] - base):+.1f}"
        lines.append(f"| {label} `{json.dumps(row['sampling'])}` | " + " | ".join(cells) +
                     f" | {delta} | {row['seconds']:.0f} |")
    n = next(iter(result["rows"].values()))["rates"]["headline"]["n"] if result["rows"] else 0
    if n:
        se = 100 * (0.93 * 0.07 / n) ** 0.5
        lines.append(f"\nStandard error of one headline rate near 93 %: {se:.1f} points (n = {n}); the same seeds "
                     "for every setting, so differences are paired, but a setting is only preferred here when it is "
                     "ahead by more than that.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_options(parser)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--suffix", default="", help="write sampling_sweep<SUFFIX>.{json,md} (e.g. a candidate LM, "
                        "kept beside the shipped default's table)")
    parser.add_argument("--benchmark-seeds", action="store_true",
                        help="the default_model benchmark's seeds instead of the selection seeds")
    add_quick(parser, "one seed, two settings")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.settings = 1, [BASELINE, "t0.7"]
    results = results_dir(args.quick)

    from motionbase.generation import DEFAULT_GUIDANCE, DEFAULT_GUIDANCE_WARMUP

    seed_base, phrase_base = (BENCH_SEED_BASE, BENCH_PHRASE_BASE) if args.benchmark_seeds else (SEED_BASE, PHRASE_BASE)

    gen, header = load_generator(args, __doc__.splitlines()[0])
    result = {**header,
              "seeds": args.seeds, "seed_base": seed_base, "phrase_base": phrase_base, "guidance": DEFAULT_GUIDANCE,
              "guidance_warmup": DEFAULT_GUIDANCE_WARMUP,
              "baseline": BASELINE, "rows": {}}
    for label in args.settings:
        t0 = time.perf_counter()
        follow = prompt_following(gen, args.seeds, seed_base=seed_base, phrase_base=phrase_base, **SETTINGS[label])
        result["rows"][label] = {"sampling": SETTINGS[label], "rates": follow["rates"],
                                 "seconds": time.perf_counter() - t0,
                                 "failures": [g for g in follow["generations"]
                                              if any(e != a for e, a in g["checks"].values())]}
        print(f"{label}: headline {100 * follow['rates']['headline']['pass']:.1f}%", flush=True)
        write_results(results, f"{NAME}{args.suffix}", result, markdown(result), indent=1, echo=False)
    print(markdown(result))


if __name__ == "__main__":
    main()
