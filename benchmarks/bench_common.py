"""What every benchmark shares: where results go, quick mode, and data built from the package's own files.

A fresh clone runs every benchmark without any data outside the repository (``make bench``):

* :func:`package_store` builds (once, then reuses) a small captioned clip store from the files the repository
  ships — the three HumanML3D clips of ``tests/data/humanml3d`` and the Bandai-Namco sample BVHs of
  ``src/motionbase/assets/samples`` and ``tests/data/bvh/bandai`` — cut into ``clips`` crops of 40-120 frames,
  each with its own made-up content label and caption ("a person does the ab move") and train/val/test
  splits (60/10/30). It exercises every code path; numbers measured on it are smoke numbers, not findings:
  pass ``--store`` (a store of real data) for those.
* :func:`package_bvh_dir` is a folder of links to the repository's Bandai-Namco-named BVH files.
* :func:`shipped_models` are the default checkpoints in ``src/motionbase/assets/models``.
* ``--quick`` runs write into ``benchmarks/results/quick/`` (git-ignored, not collected into
  docs/BENCHMARKS.md), so a smoke run never overwrites the measured tables.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WORK = Path(os.environ.get("MOTIONBASE_BENCH_WORK", Path.home() / ".cache" / "motionbase" / "bench"))
HML_DIR = ROOT / "tests" / "data" / "humanml3d"
BVH_FILES = sorted([*(ROOT / "src/motionbase/assets/samples").glob("dataset-2_*.bvh"),
                    *(ROOT / "tests/data/bvh/bandai").rglob("dataset-2_*.bvh")])
PACKAGE_STORE_CLIPS = 200


def add_quick(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run ({what}); results go to benchmarks/results/quick/")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--lm / --tokenizer: the models a benchmark asks (default: the shipped ones)."""
    parser.add_argument("--lm", default=None, help="motion LM directory (default: the shipped one)")
    parser.add_argument("--tokenizer", default=None, help="its motion tokenizer (default: the shipped one)")


def load_generator(args: argparse.Namespace, question: str):
    """(the MotionGenerator of ``args.lm`` / ``args.tokenizer`` on the CPU, torch seeded 0; the result header:
    question, machine, models)."""
    import platform

    import torch

    from motionbase.generation import MotionGenerator

    torch.manual_seed(0)
    gen = MotionGenerator.load(args.lm, args.tokenizer, device="cpu")
    return gen, {"question": question, "machine": f"{platform.platform()}, torch {torch.__version__}, "
                 f"{os.cpu_count()} CPUs", "models": f"lm={args.lm or 'shipped'}, tokenizer={args.tokenizer or 'shipped'}"}


def results_dir(quick: bool) -> Path:
    out = RESULTS / "quick" if quick else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_results(out_dir: Path, name: str, data: object, markdown: str, *, indent: int = 1,
                  default: Callable[[object], object] | None = None, echo: bool = True) -> None:
    """``out_dir/name.json`` (``data``; ``default`` as in :func:`json.dumps`) and ``out_dir/name.md`` (``markdown``,
    ending with one newline), each written atomically (``out_dir`` created if missing); prints ``markdown`` when
    ``echo``."""
    from motionbase.io import atomic_write_text

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / f"{name}.json", json.dumps(data, indent=indent, default=default) + "\n")
    atomic_write_text(out_dir / f"{name}.md", markdown.rstrip("\n") + "\n")
    if echo:
        print(markdown, flush=True)


def tag(i: int) -> str:
    return "a" + chr(ord("a") + 1 + i // 26 % 26) + chr(ord("a") + i % 26)


def _sources() -> list[tuple[np.ndarray, np.ndarray | None, str]]:
    """(joints, features or None, name) of every clip the repository ships."""
    from motionbase.formats.bvh import load_bvh
    from motionbase.formats.humanml3d import read_humanml3d

    out = [(c.joints_m, f, c.meta.id) for c, f in read_humanml3d(HML_DIR, spans=False)]
    seen = set()
    for path in BVH_FILES:
        if path.name not in seen:
            seen.add(path.name)
            out.append((load_bvh(path).joints_m, None, path.stem))
    return [s for s in out if len(s[0]) > 40]  # long enough for a 40-frame crop


def package_store(work: Path = WORK, clips: int = PACKAGE_STORE_CLIPS, seed: int = 0) -> Path:
    """The small store described in the module docstring, at ``work/package_store`` (built once)."""
    from motionbase.clip import Captions, Clip, ClipMeta
    from motionbase.data.splits import assign_splits
    from motionbase.data.store import ClipStore

    path = Path(work) / f"package_store_{clips}"
    if (path / ".complete").is_file():
        return path
    if path.exists():
        import shutil

        shutil.rmtree(path)
    rng = np.random.default_rng(seed)
    sources = _sources()
    items, feats = [], []
    for i in range(clips):
        joints, f, name = sources[i % len(sources)]
        length = int(rng.integers(40, min(121, len(joints) + 1)))
        start = int(rng.integers(0, len(joints) - length + 1))
        meta = ClipMeta(id=f"p{i:04d}", source="package-samples", subset=f"s{i % 4}",
                        licence="see tests/data/SOURCES.md",
                        file=name, frame_start=start, frame_end=start + length, source_fps=20.0,
                        labels={"content": tag(i), "style": "plain"})
        captions = Captions(whole=[f"a person does the {tag(i)} move", f"someone moves in the {tag(i)} way"])
        items.append(Clip(joints_m=np.ascontiguousarray(joints[start:start + length]), captions=captions, meta=meta))
        feats.append(None if f is None else np.ascontiguousarray(f[start:start + length]))
    store = ClipStore.create(path)
    store.append(items, features=feats)
    assign_splits(store, (0.6, 0.1, 0.3), seed=seed)
    (path / ".complete").write_text("built by benchmarks/bench_common.py\n")
    return path


def package_bvh_dir(work: Path = WORK) -> Path:
    """A folder of links to the repository's Bandai-Namco-named BVH files (``dataset-2_*.bvh``)."""
    out = Path(work) / "package_bvh"
    out.mkdir(parents=True, exist_ok=True)
    for path in BVH_FILES:
        link = out / path.name
        if not link.exists():
            link.symlink_to(path)
    return out


def shipped_models() -> dict[str, Path]:
    """{"tokenizer", "lm", "evaluator"}: the default checkpoints shipped in the package."""
    base = ROOT / "src" / "motionbase" / "assets" / "models"
    return {k: base / k for k in ("tokenizer", "lm", "evaluator")}
