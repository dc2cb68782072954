"""Does the learned motion prior repair noisy motion better than no repair and classical smoothing?

Held-out Bandai test-split takes (the default models' seeded split) are corrupted with the shipped, measured
noise model (seeded), then repaired three ways in the same run: none, classical (the video pipeline's
clean-up: gap fill, confidence-weighted Gaussian smoothing, one length per bone), and the prior. Errors are
against the clean mocap. Also: unseen actions (CMU mocap in tests/data: jumps etc., never in Bandai), an
optional prior trained without the ``run`` content measured on runs (--heldout-prior), the prior on a clean
clip (must not invent motion), and the repair's speed against the pipeline's per-clip time.

    python benchmarks/motion_prior.py --bvh BANDAI_BVH_DIR [--prior DIR] [--heldout-prior DIR] [--clips 80]

Writes benchmarks/results/motion_prior.{json,md} and motion_prior.png.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from bench_common import add_quick, results_dir, WORK, package_bvh_dir, write_results  # noqa: E402

import numpy as np
import torch
from tqdm import tqdm

from motionbase.formats.bvh import load_bvh
from motionbase.prior import MotionPrior, load_default_prior, load_noise_model
from motionbase.prior.baseline import classical_repair
from motionbase.prior.data import bandai_split, load_joints_cached
from motionbase.prior.metrics import depth_kept, knee_flexion_deg, repair_metrics, rise_kept
from motionbase.prior.noise import corrupt

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KEYS = ("mpjpe_mm", "mpjpe_root_aligned_mm", "jerk_m_s3", "skating_ratio", "bone_error_mm")


def evaluate(clips: list[np.ndarray], methods: dict, noise, seed: int, desc: str) -> dict:
    """Mean metrics per method over ``clips`` (each corrupted once, seeded per clip), plus the clean reference."""
    rows = {name: [] for name in ["clean (reference)", "no repair", *methods]}
    for k, clean in enumerate(tqdm(clips, desc=desc, unit="clip", disable=None)):
        clean = clean.astype(np.float64)
        noisy, vis = corrupt(clean, np.random.default_rng(seed + k), noise)
        rows["clean (reference)"].append(repair_metrics(clean, clean))
        rows["no repair"].append(repair_metrics(noisy, clean))
        for name, fn in methods.items():
            rows[name].append(repair_metrics(fn(noisy, vis), clean))
    return {name: {key: float(np.mean([r[key] for r in rs])) for key in KEYS} for name, rs in rows.items()}


def table(result: dict, base: str = "no repair") -> list[str]:
    lines = ["| method | MPJPE mm | x no repair | root-aligned MPJPE mm | jerk m/s³ | toe skating | bone error mm |",
             "|---|---|---|---|---|---|---|"]
    for name, m in result.items():
        ratio = m["mpjpe_mm"] / result[base]["mpjpe_mm"]
        lines.append(f"| {name} | {m['mpjpe_mm']:.1f} | {ratio:.2f}x | {m['mpjpe_root_aligned_mm']:.1f} | "
                     f"{m['jerk_m_s3']:.0f} | {m['skating_ratio']:.3f} | {m['bone_error_mm']:.1f} |")
    return lines


def tokenizer_projection():
    """The shipped motion tokenizer as a repair (None when no tokenizer is shipped)."""
    from motionbase.defaults.paths import default_checkpoints
    from motionbase.errors import MotionbaseError
    from motionbase.prior.tokenizer_projection import TokenizerProjection
    from motionbase.tokenizer.model import MotionTokenizer

    try:
        return TokenizerProjection(MotionTokenizer.from_pretrained(default_checkpoints().tokenizer))
    except MotionbaseError:
        return None


def vertical_excursions(prior: MotionPrior, noise, seeds=(0, 1, 2)) -> dict:
    """Jumps and crouches of real mocap the prior never saw (CMU in tests/data): 01_01's ten jumps (rise kept at
    the true peaks, jumps the captioner finds) and 131_01's 35 cm crouch (depth kept, knee flexion at the
    crouch), after a clean repair, noisy repairs and the noisy ``--refine prior`` step (seeded corruption), beside
    the network + finishing alone (no jump or crouch restore); and the lowest foot joint after refine."""
    from motionbase.pipeline.caption.kinematics_summary import summarize_motion
    from motionbase.pipeline.caption.noise_floor import calibrated_config
    from motionbase.pipeline.refine import refine_motion
    from motionbase.prior.model import _validate
    from motionbase.prior.vertical import excursion

    cmu = ROOT / "tests" / "data" / "bvh" / "cmu"
    jumps = load_bvh(cmu / "01_01.bvh", fps=20.0).joints_m.astype(np.float64)
    crouch = load_bvh(cmu / "131_01.bvh", fps=20.0).joints_m.astype(np.float64)
    deep = excursion(crouch[:, 0, 1], 20.0) < -0.15
    cfg = calibrated_config(kind="video")

    def no_restore(j, v=None):
        return prior._finish(prior._denoise(*_validate(j, v)))

    def row(truth, kind, out):
        if kind == "jumps":
            return {"kept": rise_kept(truth, out)[0], "found": len(summarize_motion(out, 20.0, config=cfg).jumps)}
        return {"kept": depth_kept(truth, out), "knee_deg": float(knee_flexion_deg(out)[deep].mean()),
                "found": len(summarize_motion(out, 20.0, config=cfg).squats)}

    res = {}
    for kind, truth in (("jumps", jumps), ("crouch", crouch)):
        r = {"truth": row(truth, kind, truth), "clean repair": row(truth, kind, prior.repair(truth).astype(np.float64)),
             "clean, network + finishing only": row(truth, kind, no_restore(truth))}
        for seed in tqdm(seeds, desc=f"CMU {kind}", unit="seed", disable=None):
            noisy, vis = corrupt(truth, np.random.default_rng(seed), noise)
            r[f"noisy repair, seed {seed}"] = row(truth, kind, prior.repair(noisy, vis).astype(np.float64))
            r[f"noisy, network + finishing only, seed {seed}"] = row(truth, kind, no_restore(noisy, vis))
            refined = refine_motion(noisy, vis, 20.0, "prior").joints
            r[f"noisy --refine prior, seed {seed}"] = {**row(truth, kind, refined),
                                                       "lowest_foot_m": float(refined[:, [7, 8, 10, 11], 1].min())}
        res[kind] = r
    res["truth_crouch_depth_m"] = float(-excursion(crouch[:, 0, 1], 20.0).min())
    return res


def speed(prior: MotionPrior, prior_dir: Path) -> dict:
    t0 = time.perf_counter()
    MotionPrior.from_pretrained(prior_dir)
    load_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    clip = rng.normal(0, 0.01, (200, 22, 3)).cumsum(0) + np.array([0, 1.0, 0])
    prior.repair(clip)  # warm-up
    times = []
    for _ in range(5):
        c0 = time.process_time()
        prior.repair(clip)
        times.append(time.process_time() - c0)
    out = {"load_s": load_s, "repair_10s_clip_cpu_s": float(np.median(times)), "threads": torch.get_num_threads()}
    pipe = RESULTS / "pipeline_speed.json"
    if pipe.exists():
        p = json.loads(pipe.read_text())["pipeline"]
        per_motion_s = sum(p["cpu_s"].values()) / p["clip_seconds"]
        out["pipeline_cpu_s_per_10s_clip"] = per_motion_s * 10.0
        out["repair_share_of_pipeline"] = out["repair_10s_clip_cpu_s"] / out["pipeline_cpu_s_per_10s_clip"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bvh", type=Path, default=None, help="folder of Bandai-Namco dataset-2 BVH files "
                        "(default: the repository's own Bandai-Namco BVH files)")
    parser.add_argument("--prior", type=Path, default=None, help="prior checkpoint (default: the shipped one)")
    parser.add_argument("--heldout-prior", type=Path, default=None, help="a prior trained without `run`")
    parser.add_argument("--cache", type=Path, default=WORK / "prior-cache")
    parser.add_argument("--clips", type=int, default=80, help="test-split clips to evaluate (spread over contents)")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    add_quick(parser, "a few test clips")
    args = parser.parse_args()
    if args.bvh is None:
        args.bvh = package_bvh_dir()
    if args.quick:
        args.clips = 4
    RESULTS = results_dir(args.quick)
    torch.set_num_threads(args.threads)

    prior_dir = args.prior or Path(__import__("motionbase.prior.model", fromlist=["x"]).default_prior_dir())
    prior = MotionPrior.from_pretrained(prior_dir) if args.prior else load_default_prior()
    noise = load_noise_model(prior_dir / "noise_model.json" if (prior_dir / "noise_model.json").exists() else None)
    files = sorted(args.bvh.glob("*.bvh"))
    test = bandai_split(files)["test"] or (files if args.quick else [])  # a handful of files has no test split
    if not test:
        raise SystemExit(f"{args.bvh}: no test-split takes among {len(files)} BVH files; give the Bandai-Namco folder")
    picked = test[:: max(1, len(test) // args.clips)][: args.clips]
    clips = load_joints_cached(picked, args.cache, desc="test clips")
    methods = {"classical smoothing": classical_repair, "prior": prior.repair,
               "prior, network only (no finishing)": lambda j, v: prior.repair(j, v, finish=False)}

    result = {"question": "MPJPE etc. of repaired vs clean mocap: prior vs no repair vs classical smoothing",
              "machine": platform.platform(), "prior": str(prior_dir), "prior_meta": prior.meta,
              "noise_seed": args.seed, "bandai_test_clips": len(clips)}
    tokenizer = tokenizer_projection()
    bandai_methods = dict(methods)
    if tokenizer is not None:
        bandai_methods["tokenizer projection (encode -> decode)"] = tokenizer.repair
    result["bandai_test"] = evaluate(clips, bandai_methods, noise, args.seed, "Bandai test")
    cmu = [load_bvh(p).joints_m for p in sorted((ROOT / "tests" / "data" / "bvh" / "cmu").glob("*.bvh"))]
    cmu = [c[i:i + 200] for c in cmu for i in range(0, len(c) - 60, 200)]
    result["cmu_unseen_actions"] = evaluate(cmu, methods, noise, args.seed, "CMU")
    result["cmu_pieces"] = len(cmu)
    if args.heldout_prior:  # every test-split run take; the other contents from the picked clips
        runs = load_joints_cached([p for p in test if "_run_" in p.name], args.cache, desc="test runs")
        others = [c for c, p in zip(clips, picked) if "_run_" not in p.name]
        held = MotionPrior.from_pretrained(args.heldout_prior)
        result["heldout_prior_meta"] = held.meta
        result["run_heldout"] = {
            "runs": evaluate(runs, {"classical smoothing": classical_repair, "prior without run": held.repair,
                                    "prior (all contents)": prior.repair}, noise, args.seed, "runs"),
            "other_contents": evaluate(others, {"classical smoothing": classical_repair,
                                                "prior without run": held.repair}, noise, args.seed, "others"),
            "run_clips": len(runs), "other_clips": len(others)}
    result["vertical"] = vertical_excursions(prior, noise)
    clean_changes = [float(np.linalg.norm(prior.repair(c) - c, axis=-1).mean() * 1000) for c in clips]
    result["clean_input_change_mm"] = float(np.mean(clean_changes))
    result["speed"] = speed(prior, prior_dir)
    write_results(RESULTS, "motion_prior", result, markdown(result), indent=1)
    picture(clips[0], prior, noise, args.seed, RESULTS)


def markdown(r: dict) -> str:
    b = r["bandai_test"]
    ratio = b["prior"]["mpjpe_mm"] / b["no repair"]["mpjpe_mm"]
    s = r["speed"]
    lines = [f"# Motion prior: repair of noisy motion ({r['bandai_test_clips']} held-out Bandai test takes)", "",
             "Clean mocap corrupted with the shipped measured noise model (seed "
             f"{r['noise_seed']}), errors against the clean mocap, all rows from the same run. "
             f"Prior: {r['prior_meta'].get('steps')} steps, "
             f"{r['prior_meta'].get('train_seconds', 0):.0f} s training.", "",
             *table(b), "",
             f"Goal MPJPE <= 0.7x no repair: prior {ratio:.2f}x -> **{'met' if ratio <= 0.7 else 'not met'}**.", "",
             f"## Unseen actions: CMU mocap 01_01 + 131_01 ({r['cmu_pieces']} pieces of <= 10 s)", "",
             *table(r["cmu_unseen_actions"]), ""]
    if "run_heldout" in r:
        h = r["run_heldout"]
        lines += [f"## Held-out content: a prior trained without `run` "
                  f"({r['heldout_prior_meta'].get('steps')} steps), on {h['run_clips']} run takes", "",
                  *table(h["runs"]), "", f"Same prior on the {h['other_clips']} other takes (contents it saw):", "",
                  *table(h["other_contents"]), ""]
    if "vertical" in r:
        v = r["vertical"]
        lines += [f"## Jumps and crouches kept (CMU 01_01: ten jumps; 131_01: a {v['truth_crouch_depth_m'] * 100:.0f} cm "
                  "crouch; never trained on)", "",
                  "kept = the jumps' rise at the true peaks / the crouch's deepest descent, as a fraction of the "
                  "mocap's; found = jumps / squats the rules captioner (video thresholds) finds; knee = mean knee "
                  "flexion at the crouch (deg).", "",
                  "| | jumps kept | jumps found | crouch kept | crouch knee | squats found | lowest foot m |",
                  "|---|---|---|---|---|---|---|"]
        for name in v["jumps"]:
            jm, cr = v["jumps"][name], v["crouch"][name]
            low = min(jm.get("lowest_foot_m", np.inf), cr.get("lowest_foot_m", np.inf))
            lines.append(f"| {name} | {jm['kept']:.2f} | {jm['found']} | {cr['kept']:.2f} | {cr['knee_deg']:.0f} | "
                         f"{cr['found']} | {'–' if np.isinf(low) else f'{low + 0.0 if abs(low) > 5e-4 else 0.0:.3f}'} |")
        lines.append("")
    lines += [f"Clean input (no noise): the prior moves joints by {r['clean_input_change_mm']:.1f} mm on average.", "",
              f"Speed ({s['threads']} thread): load {s['load_s'] * 1000:.0f} ms; repair of a 10 s clip "
              f"{s['repair_10s_clip_cpu_s'] * 1000:.0f} ms CPU"]
    if "repair_share_of_pipeline" in s:
        lines[-1] += (f" = {s['repair_share_of_pipeline'] * 100:.1f} % of the video pipeline's "
                      f"{s['pipeline_cpu_s_per_10s_clip']:.1f} CPU s per 10 s clip "
                      "(benchmarks/results/pipeline_speed.json)")
    lines[-1] += "."
    lines += ["", f"Machine: {r['machine']}; MPJPE includes the root (floor offset, depth drift); jerk = mean "
              "|d³x/dt³|; toe skating = GMD ratio; bone error = mean |bone length - clean|."]
    return "\n".join(lines) + "\n"


def picture(clean: np.ndarray, prior: MotionPrior, noise, seed: int, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clean = clean.astype(np.float64)
    noisy, vis = corrupt(clean, np.random.default_rng(seed), noise)
    series = {"clean": clean, "no repair": noisy, "classical": classical_repair(noisy, vis),
              "prior": prior.repair(noisy, vis)}
    fig, axes = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    t = np.arange(len(clean)) / 20.0
    for name, j in series.items():
        axes[0].plot(t, j[:, 10, 1], label=name, lw=1.2)
        axes[1].plot(t, j[:, 20, 0] - j[:, 0, 0], label=name, lw=1.2)
    axes[0].set_ylabel("left toe height (m)")
    axes[1].set_ylabel("left wrist x - pelvis x (m)")
    axes[1].set_xlabel("seconds")
    axes[0].legend(ncol=4, fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "motion_prior.png", dpi=90)


if __name__ == "__main__":
    main()
