"""Question: what does running every build-dataset input in a worker process (native-crash isolation, the
default since issue 15) cost against running the inputs in the calling process?

Both modes build a fresh store from the same inputs, each in a fresh Python process (so both pay the imports
and the model loading a command-line user pays); the isolated mode also spawns its worker, which imports and
loads the models again. Repeated ``--repeats`` times, alternating; the median wall time of each is reported
with their ratio and the extra seconds per input. Crash survival itself is tested, not benchmarked
(tests/test_hostile_pipeline.py).

Usage: ``python benchmarks/isolation_overhead.py --inputs DIR [DIR ...]`` (images / videos, e.g. the
test fixtures ``tests/data/images tests/data/video``); ``--max-seconds`` trims each video.
Writes ``benchmarks/results/isolation_overhead.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from bench_common import add_quick, results_dir, write_results  # noqa: E402

from motionbase.pipeline.video import find_inputs

RESULTS = Path(__file__).parent / "results"
NAME = "isolation_overhead"

RUN = """
import json, sys
from motionbase.pipeline.process import PipelineConfig
from motionbase.pipeline.run import build_dataset
inputs, store, isolate, max_s = json.loads(sys.argv[1])
r = build_dataset(inputs, store, PipelineConfig(max_seconds=max_s), isolate=isolate, progress=False)
print(json.dumps({"done": len(r.done), "failed": len(r.failed), "clips": sum(map(len, r.clips.values()))}))
"""


def one_run(inputs: list[str], store: Path, isolate: bool, max_s: float) -> tuple[float, dict]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", RUN, json.dumps([inputs, str(store), isolate, max_s])],
                         capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - t0, json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", nargs="+", default=[str(Path(__file__).resolve().parents[1] / "tests" / "data" / "images")],
                        help="images / videos or folders of them (default: the repository's test images)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=3.0)
    add_quick(parser, "one repeat over the default inputs")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 1
    RESULTS = results_dir(args.quick)

    inputs = [str(p) for p in find_inputs(args.inputs)]
    times: dict[str, list[float]] = {"in-process": [], "isolated": []}
    outcome: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="mb-iso-bench-") as tmp:
        for r in range(args.repeats):
            for mode in ("in-process", "isolated"):
                sec, got = one_run(inputs, Path(tmp) / f"{mode}-{r}", mode == "isolated", args.max_seconds)
                times[mode].append(sec)
                outcome[mode] = got
                print(f"{mode} run {r + 1}: {sec:.1f} s {got}", flush=True)
    assert outcome["in-process"] == outcome["isolated"], outcome  # same work done either way
    med = {m: statistics.median(t) for m, t in times.items()}
    result = {
        "question": " ".join(__doc__.split("?")[0].split()) + "?", "inputs": [Path(p).name for p in inputs], "repeats": args.repeats,
        "max_seconds": args.max_seconds, "outcome": outcome["isolated"], "wall_s": times, "median_s": med,
        "ratio": med["isolated"] / med["in-process"],
        "extra_s_per_run": med["isolated"] - med["in-process"],
        "extra_s_per_input": (med["isolated"] - med["in-process"]) / len(inputs),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared), "
                   f"Python {platform.python_version()}",
    }
    md = ("| mode | median wall s | runs (s) |\n|---|---:|---|\n"
          + "".join(f"| {m} | {med[m]:.1f} | {', '.join(f'{t:.1f}' for t in times[m])} |\n" for m in times)
          + f"\nisolated / in-process: **{result['ratio']:.2f}x**, {result['extra_s_per_run']:+.1f} s per run (mostly "
          f"the worker's start-up: imports and model loading once more), {result['extra_s_per_input']:+.2f} s per "
          f"input over these; "
          f"{len(inputs)} inputs ({', '.join(result['inputs'])}; videos cut at {args.max_seconds:g} s), "
          f"{outcome['isolated']['clips']} clips, {outcome['isolated']['failed']} failed input(s) in both modes; "
          f"each run a fresh Python process and store; {result['machine']}.\n")
    write_results(RESULTS, NAME, result, md, indent=2)


if __name__ == "__main__":
    main()
