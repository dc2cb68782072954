"""Question: what does constrained decoding (MotionConstraint) cost per generated token?

In the same run, the same randomly initialised backbone generates text-to-motion answers twice per
setting: with the constraint (``constrained=True``, every answer a well-formed motion of the asked
length) and without it (plain sampling, the baseline, same token budget). Reported: CPU milliseconds
per generated token (best of ``--repeats``, process time, one thread) and the ratio constrained / plain.

Settings: two backbones (a tiny GPT-2, 256 wide x 4 layers; and a GPT-2-small-sized one, 768 x 12,
random weights, nothing downloaded) x two motion vocabularies (K = 512, P = 1, the paper's VQ size;
K = 16384, P = 5 shared, a 2D-LFQ vocabulary: 16386 added tokens) x batch 1 and 8. Motions of 2 s
(10 steps, 10 P codes). Writes ``benchmarks/results/lm_constrained_decoding.json`` and ``.md``.
Usage: ``python benchmarks/lm_constrained_decoding.py [--repeats 3] [--quick]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from bench_common import add_quick, results_dir, write_results  # noqa: E402
from motionbase.lm.codec import CodecInfo  # noqa: E402
from motionbase.lm.config import LMConfig, TinyBackboneConfig  # noqa: E402
from motionbase.lm.generate import GenerationOptions, text_to_motion  # noqa: E402
from motionbase.lm.model import MotionLM  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAME = "lm_constrained_decoding"
CAPTIONS = ["a man kicks something or someone with his left leg.", "a person walks forward and turns left",
            "someone waves the right hand while standing", "a person runs in a circle"]
BACKBONES = {"tiny-gpt2 256x4": TinyBackboneConfig(hidden=256, layers=4, heads=4, context=512, text_vocab_size=2000),
             "gpt2-small size 768x12": TinyBackboneConfig(hidden=768, layers=12, heads=12, context=512,
                                                          text_vocab_size=2000)}
VOCABS = {"K=512 P=1": (512, 1), "K=16384 P=5": (16384, 5)}


def corpus() -> list[str]:
    hml = ROOT / "tests/data/humanml3d/texts/000000.txt"
    return [line.split("#")[0] for line in hml.read_text().splitlines()] + CAPTIONS


def time_per_token(lm: MotionLM, batch: int, options: GenerationOptions, repeats: int) -> tuple[float, int]:
    captions = [CAPTIONS[i % len(CAPTIONS)] for i in range(batch)]
    best, tokens = float("inf"), 0
    for _ in range(repeats):
        start = time.process_time()  # CPU time of this process: the machine is shared, wall time is noisy
        results = text_to_motion(lm, captions, options)
        elapsed = time.process_time() - start
        tokens = max(len(r.token_ids) for r in results)  # decoding steps taken by the batch
        best = min(best, elapsed / max(tokens, 1))
    return best * 1000.0, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    add_quick(parser, "tiny backbone only, 2 repeats")
    args = parser.parse_args()
    if args.quick:
        args.repeats = min(args.repeats, 2)
    RESULTS = results_dir(args.quick)
    torch.set_num_threads(1)
    rows = []
    for bname, sizes in BACKBONES.items():
        if args.quick and "tiny" not in bname:
            continue
        for vname, (K, P) in VOCABS.items():
            lm = MotionLM.build(LMConfig(backbone="tiny-gpt2", tiny=sizes), CodecInfo(K, P, 5.0), corpus=corpus())
            steps = 10
            for batch in (1, 8):
                con = GenerationOptions(seed=0, seconds=steps / 5.0)
                plain = GenerationOptions(seed=0, constrained=False, max_new_tokens=steps * P + 3)
                time_per_token(lm, batch, con, 1)  # warm-up
                ms_con, n_con = time_per_token(lm, batch, con, args.repeats)
                ms_plain, n_plain = time_per_token(lm, batch, plain, args.repeats)
                rows.append({"backbone": bname, "vocab": vname, "vocab_size": len(lm.tokenizer), "batch": batch,
                             "tokens_constrained": n_con, "tokens_plain": n_plain,
                             "ms_per_token_constrained": round(ms_con, 3), "ms_per_token_plain": round(ms_plain, 3),
                             "ratio": round(ms_con / ms_plain, 3)})
                print(rows[-1], flush=True)
    meta = {"question": "cost of constrained decoding per generated token, vs plain sampling in the same run",
            "machine": platform.platform(), "processor": platform.processor(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "repeats": args.repeats}
    lines = [f"# {meta['question']}", "", f"{meta['machine']}, torch {meta['torch']}, {meta['threads']} thread, "
             f"CPU time, best of {args.repeats}; random weights; 2 s motions (10 steps).", "",
             "| backbone | motion vocab | LM vocab | batch | CPU ms/token constrained | CPU ms/token plain | ratio |",
             "|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['backbone']} | {r['vocab']} | {r['vocab_size']} | {r['batch']} | "
              f"{r['ms_per_token_constrained']:.2f} | {r['ms_per_token_plain']:.2f} | {r['ratio']:.2f} |" for r in rows]
    write_results(RESULTS, NAME, {"meta": meta, "rows": rows}, "\n".join(lines), indent=1)


if __name__ == "__main__":
    main()
