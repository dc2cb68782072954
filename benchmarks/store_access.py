"""Question: how much faster is random access to clips in the clip store than one .npy file per clip?

Synthetic clips of realistic length (40-200 feature rows x 263 float32, as HumanML3D's 2-10 s at 20 fps)
are written both to a :class:`~motionbase.data.ClipStore` and as one ``.npy`` per clip, then read in the
same random order from both, in the same run:

* ``view``: what ``store.features(i)`` returns (a memory-mapped slice, no bytes read yet) vs ``np.load``;
* ``copy``: the clip's bytes in RAM (``np.array(store.features(i))``) vs ``np.load`` (page cache warm);
* ``window``: what training reads, a random 64-row crop copied to RAM (the store touches only those rows;
  a per-clip loader must load the file, then crop);
* ``cold``: ``copy`` again after asking the kernel to drop both sets of files from the page cache
  (``posix_fadvise(DONTNEED)``; best effort, no root needed).

Writes ``benchmarks/results/store_access.json`` and ``.md``. Usage: ``python benchmarks/store_access.py
[--clips 10000]`` (about a minute and 2.5 GB of temp disk for 10k clips).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from motionbase.clip import Clip, ClipMeta
from motionbase.data import ClipStore

from bench_common import add_quick, results_dir, write_results
NAME = "store_access"


def synthetic(n: int, seed: int):
    """Yield (Clip, features) pairs: T_f in [40, 200] feature rows, T_f + 1 joint frames."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(40, 201, size=n)
    pool = rng.standard_normal((int(lengths.max()) * 64, 263), dtype=np.float32)
    joint_pool = rng.standard_normal((int(lengths.max()) * 64 + 1, 22, 3), dtype=np.float32)
    for i, t in enumerate(lengths):
        at = int(rng.integers(0, len(pool) - t))
        yield (Clip(joints_m=joint_pool[at:at + t + 1], meta=ClipMeta(id=f"clip{i:06d}", source="synthetic")),
               pool[at:at + t] + np.float32(i))


def drop_cache(paths) -> None:
    """Ask the kernel to evict ``paths`` from the page cache (flushed first: dirty pages stay)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed(fn, order) -> float:
    """Clips per second of ``fn(i)`` over ``order``."""
    t0 = time.perf_counter()
    for i in order:
        fn(i)
    return len(order) / (time.perf_counter() - t0)


def crop(feats: np.ndarray, i: int, window: int = 64) -> np.ndarray:
    """A deterministic pseudo-random ``window``-row crop (the whole clip when shorter)."""
    start = (i * 7919) % max(1, len(feats) - window + 1)
    return feats[start:start + window]


def measure(store_path: Path, files: list[Path], order: np.ndarray) -> dict[str, tuple[float, float]]:
    """{case: (store clips/s, per-file clips/s)} for the view, copy, window and cold cases."""
    store = ClipStore.open(store_path)
    check = order[:20]
    assert all(np.array_equal(store.features(i), np.load(files[i])) for i in check)
    cases = {
        "view": (lambda i: store.features(i), lambda i: np.load(files[i])),
        "copy": (lambda i: np.array(store.features(i)), lambda i: np.load(files[i])),
        "window": (lambda i: np.array(crop(store.features(i), i)), lambda i: np.array(crop(np.load(files[i]), i))),
    }
    rows = {}
    for name, (from_store, from_files) in cases.items():
        timed(from_store, order[:200]), timed(from_files, order[:200])  # warm-up
        rows[name] = (timed(from_store, order), timed(from_files, order))
    del store, cases  # unmap the shards, or the kernel keeps their pages
    gc.collect()
    drop_cache([*files, *sorted((store_path / "shards").glob("*.npy"))])
    cold = ClipStore.open(store_path)
    rows["cold"] = (timed(lambda i: np.array(cold.features(i)), order),
                    timed(lambda i: np.load(files[i]), order))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    add_quick(parser, "500 clips")
    args = parser.parse_args()
    if args.quick:
        args.clips = 500
    RESULTS = results_dir(args.quick)

    with tempfile.TemporaryDirectory(prefix="mb-store-bench-") as tmp:
        tmp = Path(tmp)
        files = [tmp / "npy" / f"clip{i:06d}.npy" for i in range(args.clips)]
        files[0].parent.mkdir()
        t0 = time.perf_counter()
        store = ClipStore.create(tmp / "store")
        with store.writer() as w:
            for clip, feats in synthetic(args.clips, args.seed):
                w.add(clip, feats)
        write_store = time.perf_counter() - t0
        t0 = time.perf_counter()
        for path, (_, feats) in zip(files, synthetic(args.clips, args.seed)):
            np.save(path, feats)
        write_files = time.perf_counter() - t0
        rows = measure(tmp / "store", files, np.random.default_rng(args.seed + 1).permutation(args.clips))

    frames = sum(int(f.shape[0]) for _, f in synthetic(args.clips, args.seed))
    result = {
        "question": "random access to clips: clip store vs one .npy per clip",
        "clips": args.clips, "feature_frames": frames, "feature_bytes": frames * 263 * 4,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        "write_seconds": {"store": write_store, "npy_per_clip": write_files},
        "read_clips_per_s": {name: {"store": s, "npy_per_clip": f, "ratio": s / f}
                             for name, (s, f) in rows.items()},
    }
    lines = ["| access | store clips/s | .npy per clip clips/s | ratio |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {s:,.0f} | {f:,.0f} | {s / f:.1f}x |" for name, (s, f) in rows.items()]
    lines += ["", f"{args.clips} clips, {frames} feature rows (263 float32), random order; "
              f"write: store {write_store:.1f} s (features + joints, fsync per shard), per-file {write_files:.1f} s "
              "(features only, no fsync). cold: guest page cache dropped (a VM host cache may remain)."]
    write_results(RESULTS, NAME, result, "\n".join(lines), indent=2)


if __name__ == "__main__":
    main()
