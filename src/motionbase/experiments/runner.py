"""``run_experiment``: every arm of a question, resumable, each number with its trace; then the report."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from ..data.store import ClipStore
from ..errors import MotionbaseError
from ..io import atomic_write_text
from .arms import lm_arm, shared_evaluator, shared_tokenizer, tokenizer_arm
from .ood import held_out_contents
from .questions import FULL_LAUNCH, MODEL_SCALES, question
from .report import write_report
from .trace import code_version, data_hash

RESULT, TRACE = "result.json", "trace.json"


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def run_experiment(name: str, store: str | os.PathLike, out: str | os.PathLike, *, preset: str = "small",
                   tokenizer: str | os.PathLike | None = None, evaluator: str | os.PathLike | None = None,
                   device: str | None = None, max_arms: int | None = None, only: Sequence[str] = (),
                   backbone: str | os.PathLike | None = None, dry_run: bool = False,
                   progress: Callable[[str], None] | None = None) -> Path:
    """Train and evaluate the arms of question ``name`` on ``store`` into ``out``; returns the report path.

    Re-running the same command resumes: finished arms (``arms/NAME/result.json``) are kept, unfinished
    trainings resume from their checkpoints. ``out`` made with other data or settings is refused.
    ``max_arms``: stop after this many arms (the report then says which arms are missing). ``only``: train only
    the arms whose names match one of these patterns (``fnmatch``: e.g. ``lfq2d-*``), so that several processes
    or machines can share one experiment folder; the report covers every arm finished so far.
    ``backbone``: a local Hugging Face causal-LM folder, an extra arm of ``model_scale``.
    ``dry_run``: the preset's arms and launch settings at the ``tiny`` sizes on this machine's CPU (one or two
    steps each): checks that a ``full`` configuration builds and runs before it goes to a GPU cluster.
    """
    from fnmatch import fnmatch

    say = progress or (lambda message: None)
    q = question(name, preset, backbone=None if backbone is None else str(Path(backbone).resolve()))
    if dry_run:  # the tiny sizes (and the tiny model_scale LMs) in place of the preset's
        tiny_scale = MODEL_SCALES["tiny"]
        arms = tuple(replace(a, fields={**a.fields, **dict(zip(("hidden", "layers", "heads"),
                                                                tiny_scale[a.fields["model"]]))})
                     if "hidden" in a.fields else a for a in q.arms)
        q = replace(q, sizes=question(name, "tiny").sizes, arms=arms)
        device = "cpu"
    store_path, out = Path(store), Path(out)
    clip_store = ClipStore.open(store_path)
    held = held_out_contents(clip_store) if q.name == "ood" else None
    trace = {"question": q.name, "preset": preset + (" (dry run)" if dry_run else ""), "sizes": asdict(q.sizes),
             "store": str(store_path),
             "data_hash": data_hash(clip_store), "arms": [asdict(a) for a in q.arms],
             "tokenizer": str(tokenizer) if tokenizer else None, "evaluator": str(evaluator) if evaluator else None}
    if preset == "full":  # how its LM arms launch on a GPU machine (not used by a dry run on the CPU)
        trace["launch"] = FULL_LAUNCH
    old = _read(out / TRACE)
    if old is not None:  # the same question, settings and data (the store summary below is informative only)
        same = {k: old.get(k) for k in trace} == json.loads(json.dumps(trace))
        if not same:
            raise MotionbaseError(f"{out}: holds experiment {old.get('question')!r} (preset {old.get('preset')!r}, "
                                  f"data {old.get('data_hash')}) with other settings or data; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    table = clip_store.manifest()
    splits = table.column("split").to_pylist()
    trace["store_summary"] = {"clips": len(clip_store), "sources": sorted(set(table.column("source").to_pylist())),
                              "splits": {k: splits.count(k) for k in sorted(set(splits))}}
    atomic_write_text(out / TRACE, json.dumps({**trace, "code_version_first_run": (old or {}).get(
        "code_version_first_run", code_version())}, indent=1))
    shared: dict[str, Path] = {}
    done = 0
    for i, arm in enumerate(q.arms):
        arm_dir = out / "arms" / arm.name
        if (arm_dir / RESULT).is_file():
            say(f"[{i + 1}/{len(q.arms)}] {arm.name}: done before (kept)")
            continue
        if only and not any(fnmatch(arm.name, pattern) for pattern in only):
            continue
        if max_arms is not None and done >= max_arms:
            say(f"stopping after {done} arm(s) (--max-arms); re-run to go on")
            break
        say(f"[{i + 1}/{len(q.arms)}] {arm.name}: training")
        t0 = time.perf_counter()
        if arm.kind == "tokenizer":
            result = tokenizer_arm(arm, q.sizes, store_path, arm_dir, device)
        else:
            if not shared:
                shared["tokenizer"] = shared_tokenizer(q.sizes, store_path, out / "shared" / "tokenizer", tokenizer,
                                                       device)
                shared["evaluator"] = shared_evaluator(q.sizes, store_path, out / "shared" / "evaluator", evaluator,
                                                       held)
            result = lm_arm(arm, q.sizes, store_path, arm_dir, shared["tokenizer"], shared["evaluator"], device,
                            held=held, launch=trace.get("launch"))
        result.update(arm=asdict(arm), seed=arm.seed, data_hash=trace["data_hash"], code_version=code_version(),
                      seconds=round(time.perf_counter() - t0, 1))
        atomic_write_text(arm_dir / RESULT, json.dumps(result, indent=1))
        done += 1
        say(f"  {arm.name}: {q.metric} = {result['metrics'][q.metric]:.4g} ({result['seconds']:.0f} s)")
    results = [r for a in q.arms if (r := _read(out / "arms" / a.name / RESULT)) is not None]
    return write_report(q, results, trace, out)
