"""Measure the captioner's noise floor (motionbase/assets/caption/noise_floor.json) from people who do not gesture.

    python scripts/measure_caption_noise_floor.py --bvh BANDAI_BVH_DIR --npz VIDEO_CLIPS_DIR

--bvh: Bandai-Namco dataset-2 BVHs; the walks (walk, walk-turn-left, walk-turn-right) of the default
models' *train* split are used (test takes stay unseen for the benchmarks). --npz: video clips of walking
people as .npz files with ``joints`` (T, 22, 3, 20 fps, floor near y = 0) and ``visibility`` (T, 22), e.g.
the raw pipeline output of the fixture video; each is refined as the pipeline would, once per mode of
``--refine`` (default: the contact clean-up and the learned prior), and both refinements count as samples
(the floor must hold whichever refinement a store used). Per-frame visibility goes with them: frames that
did not see a wrist are no evidence. Writes per source the percentiles and maxima per quantity, and per kind
the floor (see the module motionbase.pipeline.caption.noise_floor; the floor of people who stand is the video
walkers' rise less the mocap walkers' at the same window: the arm swing removed).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from motionbase.io import atomic_output
from motionbase.pipeline.caption.kinematics_summary import SummaryConfig
from motionbase.pipeline.caption.noise_floor import (NOISE_FLOOR_JSON, VIDEO_RAISE_MIN_S, clip_noise, floor_of,
                                                     summarize_noise)
from motionbase.pipeline.refine import refine_motion
from motionbase.prior.data import bandai_split

WALKS = ("walk", "walk-turn-left", "walk-turn-right")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bvh", type=Path, required=True)
    ap.add_argument("--npz", type=Path, required=True)
    ap.add_argument("--glob", default="*.npz", help="file pattern inside --npz")
    ap.add_argument("--refine", default="cleanup,prior", help="refinement modes applied to the video clips")
    ap.add_argument("--max-walks", type=int, default=200)
    ap.add_argument("--out", type=Path, default=NOISE_FLOOR_JSON)
    args = ap.parse_args()
    from motionbase.formats.bvh import load_bvh

    windows = {"mocap": SummaryConfig().raise_min_s, "video": VIDEO_RAISE_MIN_S}
    train = bandai_split(sorted(args.bvh.glob("dataset-2_*.bvh")))["train"]
    walks = [p for p in train if p.stem.split("_")[1] in WALKS][: args.max_walks]
    cfg = {kind: replace(SummaryConfig(), raise_min_s=w) for kind, w in windows.items()}
    mocap = [clip_noise(load_bvh(p, fps=20.0).joints_m, 20.0, cfg=cfg["mocap"])
             for p in tqdm(walks, desc="mocap walks")]
    modes = args.refine.split(",")
    files = sorted(args.npz.glob(args.glob))
    video = []
    for f in tqdm(files, desc="video clips"):
        d = np.load(f)
        for mode in modes:
            refined = refine_motion(d["joints"], d["visibility"], 20.0, mode).joints
            video.append(clip_noise(refined, 20.0, cfg=cfg["video"], visibility=d["visibility"]))
    swing = summarize_noise([clip_noise(load_bvh(p, fps=20.0).joints_m, 20.0, cfg=cfg["video"])
                             for p in tqdm(walks, desc="mocap walks, video window")])
    summary = {"mocap": summarize_noise(mocap), "video": summarize_noise(video)}
    out = {"floor_by_kind": {"mocap": floor_of(summary["mocap"]), "video": floor_of(summary["video"], swing)},
           "raise_min_s": windows,
           "sources": {"mocap walks (Bandai train split)": summary["mocap"],
                       f"mocap walks, video window {windows['video']} s": swing,
                       f"video walkers (refined: {', '.join(modes)})": summary["video"]},
           "made_by": "scripts/measure_caption_noise_floor.py",
           "inputs": {"bvh_walks": len(walks), "video_clips": len(files), "video_refine": modes,
                      "video_dir": args.npz.name}}
    with atomic_output(args.out) as tmp:
        Path(tmp).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out["floor_by_kind"], indent=1))


if __name__ == "__main__":
    main()
