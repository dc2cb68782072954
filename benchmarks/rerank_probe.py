"""Question: are the default model's prompt-following misses rare draws or a bias — and can the model pick its own
best candidate?

For every content x style, ``--candidates`` motions are sampled (generation seeds ``5000 + 100 k + n``, phrasings
drawn with seeds ``5 + k``: the selection seeds of ``benchmarks/sampling_sweep.py``, not the default_model
benchmark's), and the geometric checks of ``benchmarks/default_model.py`` are asked of

* ``first``: the first candidate (what ``generate`` gives; the baseline, in the same run);
* ``m2t``: the candidate whose codes make the prompt (as the mapper read it) most likely as a caption — the LM's own
  motion-to-text direction scoring its text-to-motion answers (:func:`motionbase.lm.rerank.best_candidate`, what
  ``generate --candidates N`` does); no judge involved;
* ``oracle``: the share of prompts for which *some* candidate passes its hand and turn checks (a ceiling, not a
  method: it uses the judge).

Usage: ``python benchmarks/rerank_probe.py [--lm DIR --tokenizer DIR] [--seeds 3] [--candidates 4]``. Writes
``benchmarks/results/rerank_probe.{json,md}``. About a minute per seed and 4 candidates on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_common import add_model_options, add_quick, load_generator, results_dir, write_results

NAME = "rerank_probe"
SEED_BASE, PHRASE_BASE = 5000, 5
QUESTIONS = ("hand", "turn", "faster", "headline", "gesture")


def probe(gen, seeds: int, candidates: int) -> dict:
    from motionbase.data.labels import CONTENT_PHRASES, STYLE_WORDS, bandai_captions
    from motionbase.evaluate.prompt_following import faster, judge, pass_rates

    checks: dict[str, list] = {"first": [], "m2t": []}
    joints: dict[str, dict] = {"first": {}, "m2t": {}}
    some_pass, picked_other = [], 0
    for k in range(seeds):
        jobs = [(c, s, bandai_captions(c, s, n=3, seed=PHRASE_BASE + k)[k % 3])
                for c in CONTENT_PHRASES for s in STYLE_WORDS]
        prompts = [p for _, _, p in jobs]
        batches = [gen.text_to_motion(prompts, None, seed=SEED_BASE + 100 * k + n) for n in range(candidates)]
        chosen = gen.text_to_motion(prompts, None, seed=SEED_BASE + 100 * k, candidates=candidates)  # one of them
        for i, (content, style, prompt) in enumerate(jobs):
            motions = [b[i] for b in batches]
            picked_other += not np.array_equal(chosen[i].codes, motions[0].codes)
            judged = [judge(content, m.joints, m.fps, where=prompt) for m in motions]
            for label, m, got in (("first", motions[0], judged[0]),
                                  ("m2t", chosen[i], judge(content, chosen[i].joints, chosen[i].fps, where=prompt))):
                checks[label] += got
                joints[label][(content, style, k)] = m.joints
            some_pass.append(any(all(c.ok for c in got if c.question in ("hand", "turn")) for got in judged))
    rates = {}
    for label, got in checks.items():
        got = list(got)
        got += [faster(run, joints[label][("walk", style, k)])
                for (content, style, k), run in joints[label].items() if content == "run"]
        rates[label] = pass_rates(got)
    return {"rates": rates, "oracle_hand_turn": float(np.mean(some_pass)), "prompts": len(some_pass),
            "m2t_picked_another": picked_other}


def markdown(result: dict) -> str:
    lines = ["# Best of several candidates: the model's own choice vs the first draw (selection seeds)\n",
             f"{result['machine']}; models: `{result['models']}`. {result['seeds']} seeds x 70 content x style "
             f"prompts, {result['candidates']} candidates each (seeds {SEED_BASE}+100k+n, phrasings {PHRASE_BASE}+k); "
             "default sampling (guidance as `generate`). `first` = the first candidate; `m2t` = the candidate whose "
             "codes make the prompt most likely as the LM's own caption.\n",
             "| choice | " + " | ".join(QUESTIONS) + " |", "|---|" + "---:|" * len(QUESTIONS)]
    for label, rates in result["rates"].items():
        lines.append(f"| {label} | " + " | ".join(f"{100 * rates[q]['pass']:.1f}% ({rates[q]['n']})"
                                                   if q in rates else "–" for q in QUESTIONS) + " |")
    lines.append(f"\nSome candidate passes its hand and turn checks for {100 * result['oracle_hand_turn']:.1f}% of "
                 f"the {result['prompts']} prompts (a ceiling: chosen by the judge). The LM's choice differed from the "
                 f"first candidate for {result['m2t_picked_another']} prompts. {result['seconds']:.0f} s.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_options(parser)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--candidates", type=int, default=4)
    add_quick(parser, "one seed, two candidates")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.candidates = 1, 2
    results = results_dir(args.quick)

    gen, header = load_generator(args, __doc__.splitlines()[0])
    t0 = time.perf_counter()
    result = {**header,
              "seeds": args.seeds, "candidates": args.candidates, **probe(gen, args.seeds, args.candidates)}
    result["seconds"] = time.perf_counter() - t0
    write_results(results, NAME, result, markdown(result), indent=1)


if __name__ == "__main__":
    main()
