"""Question: how many times real time does BVH ingest run on one core, beside bvhio?

For each file, in the same run and single process (BLAS/OpenMP threads pinned to 1):

* ``ingest``: ``load_bvh`` (parse, resample to 20 fps, FK, retarget to SMPL-22, checks) then
  ``joints_to_features`` (263-d HumanML3D features): what the data pipeline does per clip;
* ``joints``: ``load_bvh`` alone (the BVH part of ingest);
* ``positions``: ``read_bvh(path).joint_positions()``: every joint at the file's own frame rate, the
  same task bvhio does;
* ``bvhio``: ``bvhio.readAsHierarchy`` then ``loadPose`` + ``PositionWorld`` for every joint and frame.

Speed = seconds of motion / CPU seconds of this process (``time.process_time``, the fastest of
``--repeats`` runs per file and method: the machine is shared, so wall time is noisier; it is
recorded too). Files: the test fixtures (CMU 120 fps,
Bandai-Namco 30 fps) plus a seeded sample of the full Bandai-Namco set where present.
Writes ``benchmarks/results/bvh_ingest.json`` and ``.md``. Usage:
``python benchmarks/bvh_ingest.py [--bvh DIR] [--sample 40] [--quick]`` (``--bvh``: a folder of Bandai-Namco
BVH files to sample; without it only the repository's fixtures are timed).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from motionbase.features.humanml3d import joints_to_features  # noqa: E402
from motionbase.formats.bvh import load_bvh, read_bvh  # noqa: E402

from bench_common import add_quick, results_dir, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAME = "bvh_ingest"
FIXTURES = [ROOT / "tests/data/bvh/cmu/01_01.bvh", ROOT / "tests/data/bvh/cmu/131_01.bvh",
            ROOT / "tests/data/bvh/bandai/dataset-2/dataset-2_walk-turn-left_exhausted_038.bvh"]


def to_joints(path: Path) -> np.ndarray:
    return load_bvh(path).joints_m


def ingest(path: Path) -> np.ndarray:
    return joints_to_features(load_bvh(path).joints_m)


def positions(path: Path) -> np.ndarray:
    return read_bvh(path).joint_positions()


def bvhio_positions(path: Path) -> np.ndarray:
    import bvhio

    root = bvhio.readAsHierarchy(str(path))
    joints = [j for j, _, _ in root.layout()]
    frames = len(root.Keyframes)
    out = np.empty((frames, len(joints), 3))
    for f in range(frames):
        root.loadPose(f)
        for k, j in enumerate(joints):
            out[f, k] = tuple(j.PositionWorld)
    return out


def cpu_and_wall(fn, path: Path, repeats: int) -> tuple[float, float]:
    """Fastest of ``repeats`` runs (CPU seconds, wall seconds): the machine is shared."""
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        fn(path)
        best = min(best, (time.process_time() - c0, time.perf_counter() - w0))
    return best


def motion_seconds(path: Path) -> float:
    bvh = read_bvh(path)
    return bvh.num_frames * bvh.frame_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bvh", "--bandai", dest="bandai", type=Path, default=None,
                        help="folder of BVH files to sample (default: the repository's fixtures only)")
    parser.add_argument("--sample", type=int, default=40, help="Bandai-Namco clips to sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="per file and method; the fastest counts")
    add_quick(parser, "fixtures only, one repeat")
    args = parser.parse_args()
    if args.quick:
        args.bandai, args.repeats = None, 1
    RESULTS = results_dir(args.quick)

    groups = {"cmu (fixtures, 120 fps, 31 joints)": FIXTURES[:2], "bandai fixture (30 fps, 22 joints)": FIXTURES[2:]}
    if args.bandai is not None:
        if not args.bandai.is_dir():
            raise SystemExit(f"--bvh {args.bandai}: no such folder")
        files = sorted(args.bandai.glob("*.bvh"))
        if not files:
            raise SystemExit(f"--bvh {args.bandai}: no .bvh files there")
        pick = np.random.default_rng(args.seed).choice(len(files), size=min(args.sample, len(files)), replace=False)
        groups[f"bandai sample ({len(pick)} of {len(files)} clips)"] = [files[i] for i in sorted(pick)]
    methods = {"ingest": ingest, "joints": to_joints, "positions": positions, "bvhio": bvhio_positions}
    for fn in methods.values():  # warm-up: imports, caches
        fn(FIXTURES[2])

    rows = {}
    for group, paths in groups.items():
        seconds = sum(motion_seconds(p) for p in paths)
        row = {"files": len(paths), "motion_s": seconds}
        for name, fn in methods.items():
            cpu = wall = 0.0
            for p in paths:
                c, w = cpu_and_wall(fn, p, args.repeats)
                cpu, wall = cpu + c, wall + w
            row[name] = {"cpu_s": cpu, "wall_s": wall, "x_realtime": seconds / cpu}
        row["ingest_vs_bvhio"] = row["ingest"]["x_realtime"] / row["bvhio"]["x_realtime"]
        row["positions_vs_bvhio"] = row["positions"]["x_realtime"] / row["bvhio"]["x_realtime"]
        rows[group] = row
        print(group, {k: round(v["x_realtime"], 1) for k, v in row.items() if isinstance(v, dict)})

    result = {
        "question": "BVH ingest speed in multiples of real time per core, beside bvhio",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}",
        "timing": f"CPU seconds of this single process (time.process_time), fastest of {args.repeats} runs "
                  "per file, every method alike; wall seconds recorded too",
        "ingest": "load_bvh (parse, 20 fps slerp resample, FK, SMPL-22 retarget, checks) + joints_to_features (263-d)",
        "joints": "load_bvh alone (ingest without the features step)",
        "positions": "read_bvh + joint_positions: all joints at the file's rate (bvhio's task)",
        "bvhio": "bvhio.readAsHierarchy + loadPose + PositionWorld, every joint and frame",
        "groups": rows,
    }
    lines = [f"# {result['question']}", "", f"{result['machine']}; {result['timing']}.", "",
             "| files | motion s | ingest x RT | joints only x RT | positions x RT | bvhio x RT "
             "| ingest / bvhio | positions / bvhio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for group, r in rows.items():
        lines.append(f"| {group} | {r['motion_s']:.1f} | {r['ingest']['x_realtime']:.0f} | "
                     f"{r['joints']['x_realtime']:.0f} | "
                     f"{r['positions']['x_realtime']:.0f} | {r['bvhio']['x_realtime']:.1f} | "
                     f"{r['ingest_vs_bvhio']:.0f}x | {r['positions_vs_bvhio']:.0f}x |")
    lines += ["", f"ingest = {result['ingest']}; joints only = {result['joints']}; positions = {result['positions']}; bvhio = {result['bvhio']}.", ""]
    write_results(RESULTS, NAME, result, "\n".join(lines), indent=2)


if __name__ == "__main__":
    main()
