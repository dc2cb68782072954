"""Question: what does a fresh process spend loading the default generator, and on what?

The cold start of ``benchmarks/default_model.py`` (a fresh interpreter importing motionbase and running
``MotionGenerator.load()``) measured four ways, each in its own fresh processes:

1. imports (``python -X importtime``): self time summed per top-level package (torch, transformers, scipy, ...),
   and which heavy modules ended up in ``sys.modules`` (those ``transformers``' model classes pull in);
2. the load after the imports, per stage (motion tokenizer, text tokenizer, LM backbone, training-caption
   index), wall seconds with every module already imported;
3. the benchmark's own ``cold_start`` (median of ``--repeats`` processes, torch-only baseline in the same run);
4. probes: fresh processes importing only torch plus one candidate (``transformers`` itself, the GPT-2 model
   module alone — the "import the concrete class" idea —, a text tokenizer, our plain-torch GPT-2), median wall
   seconds, to say what each design could have saved.

With ``--compare-src DIR`` (a ``src`` folder, e.g. ``/tmp/main/src`` after ``git archive main src | tar -x -C
/tmp/main``) every figure is also measured for
that source tree, in the same run (``PYTHONPATH=DIR``), so a change is compared to its base on the same machine
state; the two trees' cold starts and the torch-only process are also run interleaved (one of each per round), so
that a load swing on a shared machine hits all three alike. Writes ``benchmarks/results/cold_start_profile.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from bench_common import add_quick, results_dir, write_results
from default_model import LOAD, TORCH_ONLY, cold_start

NAME = "cold_start_profile"
HEAVY = ("torch._dynamo", "torch.distributed.tensor", "transformers.modeling_utils", "transformers.masking_utils",
         "transformers.models.gpt2.modeling_gpt2", "scipy.ndimage", "scipy.optimize", "scipy.sparse",
         "accelerate", "sympy", "matplotlib", "pandas", "pyarrow")
STAGES = """
import json, sys, time
import torch, transformers, numpy  # noqa: F401
from transformers import AutoTokenizer  # noqa: F401
import motionbase.generation, motionbase.tokenizer, motionbase.lm.model, motionbase.defaults.familiarity  # noqa
from motionbase.defaults.familiarity import CaptionIndex
from motionbase.defaults.paths import default_checkpoints
from motionbase.generation import load_motion_tokenizer
from motionbase.lm import model as lm_model
from motionbase.lm.text_tokenizer import load_text_tokenizer
import scipy.sparse  # noqa: F401 (the caption index's; imported here so that the stage times only the work)
s = default_checkpoints()
try:
    from motionbase.lm.gpt2_inference import InferenceGPT2
    backbone = lambda: InferenceGPT2.from_pretrained(s.lm)
except ImportError:  # a tree before issue 16's InferenceGPT2: transformers' model (its modules imported first)
    from transformers import AutoModelForCausalLM, GPT2LMHeadModel  # noqa: F401
    backbone = lambda: AutoModelForCausalLM.from_pretrained(str(s.lm), local_files_only=True)
out = {}
for name, f in [("motion tokenizer", lambda: load_motion_tokenizer(s.tokenizer, "cpu")),
                ("text tokenizer", lambda: load_text_tokenizer(s.lm)),
                ("LM backbone", backbone),
                ("training-caption index", lambda: CaptionIndex.load(s.lm))]:
    t = time.perf_counter(); f(); out[name] = time.perf_counter() - t
print(json.dumps(out))
"""
PROBES = {"torch": "import torch",
          "torch + transformers": "import torch, transformers",
          "torch + transformers' GPT-2 model module": "import torch; import transformers.models.gpt2.modeling_gpt2",
          "torch + AutoModelForCausalLM": "import torch; from transformers import AutoModelForCausalLM",
          "torch + AutoTokenizer, shipped text tokenizer loaded":
              "import torch; from transformers import AutoTokenizer; "
              "from motionbase.defaults.paths import default_checkpoints; "
              "AutoTokenizer.from_pretrained(str(default_checkpoints().lm))",
          "torch + motionbase's plain-torch GPT-2, shipped backbone loaded":
              "import torch; from motionbase.defaults.paths import default_checkpoints; "
              "from motionbase.lm.gpt2_inference import InferenceGPT2; "
              "InferenceGPT2.from_pretrained(default_checkpoints().lm)"}
_ROW = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _env(src: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**env, "PYTHONPATH": str(src)} if src is not None else env


def imports(src: Path | None) -> dict:
    """Self seconds per top-level package of one fresh cold start, and the heavy modules it loaded."""
    code = LOAD.format(args="") + f"; import sys; print([m for m in {HEAVY!r} if m in sys.modules])"
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", code], check=True, capture_output=True,
                         text=True, env=_env(src))
    per: dict[str, float] = defaultdict(float)
    for line in run.stderr.splitlines():
        if m := _ROW.match(line):
            per[m[4].split(".")[0]] += int(m[1]) / 1e6
    top = dict(sorted(per.items(), key=lambda kv: -kv[1]))
    lines = run.stdout.strip().splitlines()
    return {"packages": top, "import_s": sum(top.values()), "heavy_loaded": eval(lines[-1]),  # noqa: S307 (our print)
            "wall_s": float(lines[-2])}


def stages(src: Path | None) -> dict:
    run = subprocess.run([sys.executable, "-c", STAGES], check=True, capture_output=True, text=True, env=_env(src))
    return json.loads(run.stdout.strip().splitlines()[-1])


def probes(repeats: int) -> dict[str, float]:
    """Median wall seconds of a fresh process per probe (interleaved, so load swings hit them alike)."""
    import time

    import numpy as np

    runs: dict[str, list[float]] = {name: [] for name in PROBES}
    for _ in range(repeats):
        for name, code in PROBES.items():
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=_env(None))
            runs[name].append(time.perf_counter() - t)
    return {name: float(np.median(v)) for name, v in runs.items()}


def interleaved(src: Path, repeats: int) -> dict[str, list[float]]:
    """Wall seconds per round of: a cold start of ``src``, one of this tree, a torch-only process."""
    import time

    runs: dict[str, list[float]] = {"base": [], "this tree": [], "torch": []}
    for _ in range(repeats):
        for name, code, tree in (("base", LOAD.format(args=""), src), ("this tree", LOAD.format(args=""), None),
                                 ("torch", TORCH_ONLY, None)):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=_env(tree))
            runs[name].append(time.perf_counter() - t)
    return runs


def measure(src: Path | None, repeats: int) -> dict:
    """The three figures for source tree ``src`` (None: the installed motionbase)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(_env(src))  # cold_start's processes inherit the environment
    try:
        cold = cold_start(repeats, None, None)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"imports": imports(src), "stages": stages(src), "cold_start": cold}


def markdown(rows: dict[str, dict], meta: dict, probe: dict[str, float] | None,
             inter: dict[str, list[float]] | None = None) -> str:
    names = list(rows)
    lines = ["# Cold start of the default generator: where the seconds go\n",
             f"{meta['machine']}; 1-min load average {meta['load_start']:.2f} at the start, {meta['load_end']:.2f} "
             f"at the end; {meta['repeats']} repeats.\n",
             "| figure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    cell = {n: rows[n] for n in names}
    lines.append("| cold start: import + `MotionGenerator.load()` (median, s) | "
                 + " | ".join(f"{cell[n]['cold_start']['load_s']:.2f}" for n in names) + " |")
    lines.append("| fresh process importing torch only (median, s) | "
                 + " | ".join(f"{cell[n]['cold_start']['torch_import_s']:.2f}" for n in names) + " |")
    lines.append("| ratio | " + " | ".join(f"{cell[n]['cold_start']['ratio']:.2f}x" for n in names) + " |")
    lines.append("| imports, all (`-X importtime`, one process, s; below: packages from 0.05 s) | "
                 + " | ".join(f"{cell[n]['imports']['import_s']:.2f}" for n in names) + " |")
    packages = sorted({p for n in names for p, s in cell[n]["imports"]["packages"].items() if s >= 0.05},
                      key=lambda p: -max(cell[n]["imports"]["packages"].get(p, 0.0) for n in names))
    for p in packages:
        lines.append(f"| &nbsp; imports of `{p}` | "
                     + " | ".join(f"{cell[n]['imports']['packages'].get(p, 0.0):.2f}" for n in names) + " |")
    for stage in cell[names[0]]["stages"]:
        lines.append(f"| load stage: {stage} (s, modules already imported) | "
                     + " | ".join(f"{cell[n]['stages'].get(stage, float('nan')):.2f}" for n in names) + " |")
    lines.append("| heavy modules loaded | " + " | ".join(", ".join(f"`{m}`" for m in cell[n]["imports"]["heavy_loaded"])
                                                     or "none" for n in names) + " |")
    if inter:
        import numpy as np

        med = {k: float(np.median(v)) for k, v in inter.items()}
        lines += ["", f"Interleaved ({len(inter['torch'])} rounds of: a cold start of {names[0]}, one of this tree, "
                  "a torch-only process; median wall seconds): "
                  f"{names[0]} {med['base']:.2f} s ({med['base'] / med['torch']:.2f}x torch), this tree "
                  f"{med['this tree']:.2f} s ({med['this tree'] / med['torch']:.2f}x torch), torch only "
                  f"{med['torch']:.2f} s."]
    if probe:
        lines += ["", "Probes: fresh processes importing torch plus one candidate (median wall seconds):", "",
                  "| process | seconds |", "|---|---:|"]
        lines += [f"| {name} | {sec:.2f} |" for name, sec in probe.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    import platform

    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compare-src", type=Path, default=None,
                        help="another source tree (its src/ folder) to measure in the same run, e.g. main's")
    parser.add_argument("--compare-name", default="base", help="its column name")
    add_quick(parser, "one repeat")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    meta = {"machine": f"{platform.platform()}, torch {torch.__version__}, {os.cpu_count()} CPUs",
            "load_start": os.getloadavg()[0], "repeats": repeats,
            "compare_src": str(args.compare_src) if args.compare_src else None}
    rows = {}
    if args.compare_src is not None:
        rows[args.compare_name] = measure(args.compare_src.resolve(), repeats)
    rows["this tree"] = measure(None, repeats)
    inter = interleaved(args.compare_src.resolve(), repeats) if args.compare_src is not None else None
    probe = probes(repeats)
    meta["load_end"] = os.getloadavg()[0]
    text = markdown(rows, meta, probe, inter)
    write_results(results_dir(args.quick), NAME, {"meta": meta, "rows": rows, "probes": probe, "interleaved": inter},
                  text, indent=1)


if __name__ == "__main__":
    main()
