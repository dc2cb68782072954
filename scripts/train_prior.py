"""Measure the noise model and train the default motion prior (resumable); --install ships both.

    python scripts/train_prior.py --bvh BANDAI_BVH_DIR --work WORK [--steps 3000] [--exclude-content run] [--install]

Stages (each skipped when its output exists in WORK):
  noise   raw vtest tracks (tests/data/vtest_raw_tracks, or --raw) + Bandai train-split walks -> noise_model.json
  cache   Bandai train-split clips as joints (20 fps) -> WORK/cache/
  train   the prior (PriorConfig defaults, PriorTrainConfig --steps) -> WORK/prior/ (weights + config.json)
  install copy prior + noise model into src/motionbase/assets/models/prior/ with a model card (README.md)
Uses 1 torch thread unless --threads says otherwise (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "src" / "motionbase" / "assets" / "models" / "prior"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bvh", type=Path, required=True, help="folder of Bandai-Namco dataset-2 BVH files")
    parser.add_argument("--work", type=Path, required=True, help="working folder (resumable)")
    parser.add_argument("--raw", type=Path, default=ROOT / "tests" / "data" / "vtest_raw_tracks",
                        help="raw lifted tracks of the video pipeline (track_*.npz)")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--exclude-content", default="", help="leave this Bandai content out of training")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--install", action="store_true", help="copy the prior + noise model into the package")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from motionbase.prior.data import bandai_split, load_joints_cached
    from motionbase.prior.measure import measure_noise
    from motionbase.prior.noise import NOISE_FILE, NoiseModel
    from motionbase.prior.train import PriorTrainConfig, train_prior

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    split = bandai_split(sorted(args.bvh.glob("*.bvh")))
    train_files = [p for p in split["train"] if not args.exclude_content
                   or f"_{args.exclude_content}_" not in p.name]
    noise_file = work / NOISE_FILE
    if not noise_file.exists():
        walks = [p for p in split["train"] if "_walk_" in p.name][:80]
        ref = load_joints_cached(walks, work / "cache", desc="reference walks")
        model = measure_noise(args.raw, ref, 20.0)
        model.measured["reference"] = "Bandai train-split walk clips (first 80 by name), 20 fps -> source fps"
        noise_file.write_text(model.to_json())
        print(f"[noise] wrote {noise_file}", flush=True)
    noise = NoiseModel.from_json(noise_file.read_text(), str(noise_file))

    clips = load_joints_cached(train_files, work / "cache", desc="train clips")
    meta = {"data": "Bandai-Namco-Research-Motiondataset-2, default-model train split (seed 0, 80/10/10 by "
                    "content x style)"
                    + (f", without content {args.exclude_content!r}" if args.exclude_content else ""),
            "licence": "CC BY-NC 4.0 (Bandai Namco Research Inc.), inherited by these weights",
            "train_clips": len(clips), "threads": args.threads}
    t0 = time.time()
    train_prior(clips, noise, work / "prior", train=PriorTrainConfig(steps=args.steps), meta=meta)
    print(f"[train] done in {time.time() - t0:.0f} s this run", flush=True)

    if args.install:
        ASSETS.mkdir(parents=True, exist_ok=True)
        for name in ("model.safetensors", "config.json"):
            shutil.copyfile(work / "prior" / name, ASSETS / name)
        shutil.copyfile(noise_file, ASSETS / NOISE_FILE)
        card = ROOT / "docs" / "PRIOR.md"
        print(f"[install] {ASSETS} (model card: {ASSETS / 'README.md'}, details: {card})", flush=True)
        write_card(ASSETS, json.loads((work / "prior" / "config.json").read_text()))


def write_card(assets: Path, cfg: dict) -> None:
    """Model card from the checkpoint's metadata and the benchmark's JSON (when it has been run)."""
    meta = cfg["meta"]
    lines = ["# Default motion prior", "",
             "Repairs noisy video pose estimates (SMPL-22 joints, metres, Y up, 20 fps): "
             "`motionbase.prior.load_default_prior().repair(joints, visibility)`. See docs/PRIOR.md.", "",
             f"- Architecture: dilated 1-D conv denoiser, {json.dumps(cfg['config'])}",
             f"- Data: {meta['data']}; {meta['train_clips']} clips",
             f"- Licence of the weights: {meta['licence']}",
             f"- Training: {meta['steps']} steps, {meta['train_seconds']:.0f} s on a shared 2-core CPU, "
             f"{meta['threads']} torch thread(s); config {json.dumps(meta['train_config'])}",
             *[f"- Resumed at step {h['from_step']} with train config {json.dumps(h['train_config'])} "
               "(the steps before used the config of the first run, saved in no file: see docs/PRIOR.md)"
               for h in meta.get("train_config_history", [])],
             "- Noise model: `noise_model.json`, measured by `motionbase.prior.measure` from the video "
             "pipeline's raw tracks of tests/data/video/vtest.avi", ""]
    bench = ROOT / "benchmarks" / "results" / "motion_prior.md"
    if bench.exists():
        lines += ["## Measured (benchmarks/motion_prior.py)", "", bench.read_text()]
    (assets / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
