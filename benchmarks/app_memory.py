"""Question: does the web app's memory stay flat over many generations, and what did Gradio's per-session state
(kept for 10,000 sessions by default, one session per API call) cost before the app bounded it (issue 15)?

Three runs, each in a fresh Python process with the same model, prompts and seeds, ``--generations`` each:

* ``handler``: the app's generate handler called in a loop (generation, files, the video): no Gradio;
* ``served, Gradio default``: the app served on 127.0.0.1 and called over Gradio's REST API by 2 clients, with
  Gradio's default session capacity (the baseline: the app as it was);
* ``served``: the same, as shipped (``motionbase.app.ui.SESSIONS_KEPT`` sessions kept).

Each run samples its resident memory (RSS; clients and server share the process) every 10 generations and reports
the least-squares slope in MB per 100 generations over the first and the second half, the sessions Gradio holds at
the end, and the Python objects of Gradio's session state alive then. The video render size is ``--size-px``.

Usage: ``python benchmarks/app_memory.py [--generations 400] [--lm DIR --tokenizer DIR]`` (default: the shipped
models). Needs the app extra. Writes ``benchmarks/results/app_memory.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
from bench_common import add_quick, results_dir, shipped_models, write_results

NAME = "app_memory"
MODES = {"handler": "handler", "served-default": "served, Gradio default", "served": "served"}

CHILD = r"""
import gc, json, sys, threading, time, urllib.request
from pathlib import Path
import psutil, torch
torch.set_num_threads(1)
from motionbase.generation import MotionGenerator
from motionbase.viz.render import RenderConfig

mode, lm, tok, n, size_px, work = json.loads(sys.argv[1])
gen = MotionGenerator.load(lm, tok, device="cpu")
render = RenderConfig(size_px=size_px)
rss = lambda: psutil.Process().memory_info().rss / 2**20
samples, t0 = [], time.monotonic()
if mode == "handler":
    from motionbase.app.handlers import AppHandlers

    h = AppHandlers(gen, Path(work) / "requests", render)
    for i in range(n):
        r = h.generate(f"a person walks forward {i}", 1.0, i, 1.0)
        assert not r.status.startswith("error"), r.status
        if (i + 1) % 10 == 0:
            samples.append((i + 1, rss()))
    sessions = alive = None
else:
    import motionbase.app.ui as ui
    from gradio.state_holder import SessionState
    from motionbase.app import serve

    if mode == "served-default":
        ui.SESSIONS_KEPT = 10000  # Gradio's default state_session_capacity: the app before issue 15's fix
    app = serve(gen, "127.0.0.1", 0, block=False, workdir=Path(work) / "requests", render=render)

    def call(i):
        body = json.dumps({"data": [f"a person walks forward {i}", 1.0, i, 1.0]}).encode()
        req = urllib.request.Request(app.url + "gradio_api/call/generate", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        event = json.loads(urllib.request.urlopen(req, timeout=300).read())["event_id"]
        text = urllib.request.urlopen(app.url + f"gradio_api/call/generate/{event}", timeout=300).read().decode()
        assert "event: complete" in text and '"error:' not in text, text[:300]

    done = 0
    while done < n:
        threads = [threading.Thread(target=call, args=(done + k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done += 2
        if done % 10 == 0:
            samples.append((done, rss()))
    gc.collect()
    sessions = len(app.blocks.server_app.state_holder.session_data)
    alive = sum(isinstance(o, SessionState) for o in gc.get_objects())
    app.close()
print(json.dumps({"samples": samples, "sessions": sessions, "session_states": alive,
                  "seconds": time.monotonic() - t0}))
"""


def slope_mb_per_100(samples: list) -> float:
    n, rss = np.array(samples, float).T
    return float(np.polyfit(n, rss, 1)[0] * 100)


def run(mode: str, lm: str, tok: str, n: int, size_px: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory(prefix="mb-app-memory-") as work:
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps([mode, lm, tok, n, size_px, work])],
                             capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(f"{mode}: the run failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    got = json.loads(out.stdout.strip().splitlines()[-1])
    s = got["samples"]
    half = len(s) // 2
    got.update(first_half_mb_per_100=slope_mb_per_100(s[: half + 1]), second_half_mb_per_100=slope_mb_per_100(s[half:]),
               growth_mb=s[-1][1] - s[0][1], generations=s[-1][0])
    return got


def main() -> None:
    models = shipped_models()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=400, help="generations per run (even)")
    parser.add_argument("--lm", default=str(models["lm"]))
    parser.add_argument("--tokenizer", default=str(models["tokenizer"]))
    parser.add_argument("--size-px", type=int, default=160, help="video panel size")
    add_quick(parser, "60 generations per run")
    args = parser.parse_args()
    if args.quick:
        args.generations = 60
    out_dir = results_dir(args.quick)
    runs = {}
    for mode in MODES:
        t0 = time.monotonic()
        runs[mode] = run(mode, args.lm, args.tokenizer, args.generations, args.size_px)
        print(f"{MODES[mode]}: {time.monotonic() - t0:.0f} s, {runs[mode]['second_half_mb_per_100']:.2f} MB/100 "
              f"over the second half, sessions {runs[mode]['sessions']}", flush=True)
    base, fixed = runs["served-default"], runs["served"]
    result = {
        "question": " ".join(__doc__.split("?")[0].split()) + "?", "generations": args.generations,
        "lm": args.lm, "tokenizer": args.tokenizer, "size_px": args.size_px, "runs": runs,
        "growth_ratio_default_over_served": base["growth_mb"] / fixed["growth_mb"] if fixed["growth_mb"] > 0 else None,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared), "
                   f"Python {platform.python_version()}",
    }
    rows = "".join(
        f"| {MODES[m]} | {r['generations']} | {r['samples'][0][1]:.0f} | {r['samples'][-1][1]:.0f} | "
        f"{r['first_half_mb_per_100']:.2f} | {r['second_half_mb_per_100']:.2f} | "
        f"{'' if r['sessions'] is None else r['sessions']} | {'' if r['session_states'] is None else r['session_states']} "
        f"| {r['seconds']:.0f} |\n" for m, r in runs.items())
    ratio = result["growth_ratio_default_over_served"]
    md = ("| run | generations | RSS MB at 10 | RSS MB at end | MB / 100 gen, first half | MB / 100 gen, second "
          "half | sessions held | session states alive | seconds |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
          + rows + f"\nGrowth from the 10th generation to the last, Gradio default over as shipped: "
          f"**{'n/a' if ratio is None else f'{ratio:.1f}x'}** ({base['growth_mb']:.0f} MB vs {fixed['growth_mb']:.0f} "
          f"MB). Each run a fresh Python process (clients and server in it), 1 s motions, {args.size_px} px videos, "
          f"model `{os.path.basename(args.lm.rstrip('/'))}`; {result['machine']}.\n")
    write_results(out_dir, NAME, result, md, indent=2)


if __name__ == "__main__":
    main()
