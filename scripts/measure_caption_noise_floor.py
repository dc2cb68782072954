"""Measure the captioner's noise floor (motionbase/assets/caption/noise_floor.json) from people who do not gesture.

    python scripts/measure_caption_noise_floor.py --bvh BANDAI_BVH_DIR --npz VIDEO_CLIPS_DIR

--bvh: Bandai-Namco dataset-2 BVHs; the walks (walk, walk-turn-left, walk-turn-right) of the default
models' *train* split are used (test takes stay unseen for the benchmarks). --npz: video clips of walking
people as .npz files with ``joints`` (T, 22, 3, 20 fps, floor near y = 0) and ``visibility`` (T, 22), e.g.
the raw pipeline output of the fixture video; they are refined with the contact clean-up first, as the
pipeline would. Writes the per-quantity maxima and percentiles per source (see the module
motionbase.pipeline.caption.noise_floor).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from motionbase.io import atomic_output
from motionbase.pipeline.caption.noise_floor import NOISE_FLOOR_JSON, clip_noise
from motionbase.pipeline.refine import refine_motion
from motionbase.prior.data import bandai_split

WALKS = ("walk", "walk-turn-left", "walk-turn-right")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bvh", type=Path, required=True)
    ap.add_argument("--npz", type=Path, required=True)
    ap.add_argument("--glob", default="*.npz", help="file pattern inside --npz")
    ap.add_argument("--max-walks", type=int, default=200)
    ap.add_argument("--out", type=Path, default=NOISE_FLOOR_JSON)
    args = ap.parse_args()
    from motionbase.formats.bvh import load_bvh

    train = bandai_split(sorted(args.bvh.glob("dataset-2_*.bvh")))["train"]
    walks = [p for p in train if p.stem.split("_")[1] in WALKS][: args.max_walks]
    rows = {"mocap walks (Bandai train split)": [clip_noise(load_bvh(p, fps=20.0).joints_m, 20.0)
                                                 for p in tqdm(walks, desc="mocap walks")]}
    video = []
    for f in tqdm(sorted(args.npz.glob(args.glob)), desc="video clips"):
        d = np.load(f)
        video.append(clip_noise(refine_motion(d["joints"], d["visibility"], 20.0, "cleanup").joints, 20.0))
    rows["video walkers (contact clean-up)"] = video
    keys = list(video[0])
    summary = {src: {k: {"n": len(r), "p50": float(np.median([x[k] for x in r])),
                         "p99": float(np.percentile([x[k] for x in r], 99)),
                         "max": float(max(x[k] for x in r))} for k in keys} for src, r in rows.items()}
    kinds = dict(zip(("mocap", "video"), summary))
    out = {"max_by_kind": {kind: {k: summary[src][k]["max"] for k in keys} for kind, src in kinds.items()},
           "sources": summary,
           "made_by": "scripts/measure_caption_noise_floor.py",
           "inputs": {"bvh_walks": len(walks), "video_clips": len(video), "video_dir": args.npz.name}}
    with atomic_output(args.out) as tmp:
        Path(tmp).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out["max_by_kind"]))


if __name__ == "__main__":
    main()
