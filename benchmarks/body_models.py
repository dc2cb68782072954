"""Question: how fast do AMASS / Motion-X sequences import, and how well and how fast does joints -> SMPL-X fit?

Import speed, per core (one process, BLAS/OpenMP/torch threads pinned to 1), CPU seconds (``time.process_time``,
the fastest of ``--repeats`` runs):

* ``import``: what ``motionbase import amass|motionx`` does per file: read and check the arrays, slerp-resample the
  rotations to 20 fps, the body model's joints (regressed rest joints + ``smplx.lbs`` forward kinematics), Z-up ->
  Y-up, then 263-dim (AMASS, SMPL-22) or 623-dim (Motion-X, SMPL-52) features for the clip and its mirror;
* baseline, same frames: the ``smplx`` package's full forward pass (vertices + joints), frame by frame at 20 fps,
  which is how HumanML3D's / Motion-X's own scripts get joints (their ``bm(...).Jtr`` / ``output.joints``) -
  the joints step alone, without reading or features.

Frames/s counts the source frames (120 fps AMASS-style, 30 fps Motion-X-style); the 20 fps frames are 1/6 and
2/3 of them.

Fitting: per clip, known SMPL-X parameters (smooth random body and finger motion, random shape) give target
joints; :func:`motionbase.bodymodels.fit.fit_smplx_wholebody` fits them from the joints alone, body only (22
joints) and whole body (52). Mean joint error (mm) over all, body and finger joints, CPU seconds per frame. Baseline
in the same run: the body-only fit that existed before (:func:`motionbase.pipeline.bodymodel.fit_smplx`).

Model files: ``--body-models DIR`` (the user's real SMPL-H / SMPL-X files), else synthetic files in the real layout
(:mod:`motionbase.bodymodels.synthetic`: real kinematic trees and vertex counts, made-up shapes) - the output
says which. Writes ``benchmarks/results/body_models.json`` and ``.md``. Usage:
``python benchmarks/body_models.py [--body-models DIR] [--files 6] [--fit-clips 3]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from bench_common import add_quick, results_dir, write_results  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from motionbase.bodymodels.datasets import (  # noqa: E402
    BodyImportConfig, SourceItem, load_amass_item, load_motionx_item,
)
from motionbase.bodymodels.files import load_body_model, model_file  # noqa: E402
from motionbase.bodymodels.fit import WholeBodyFitConfig, fit_smplx_wholebody  # noqa: E402
from motionbase.bodymodels.readers import read_motionx, with_hand_mean  # noqa: E402
from motionbase.bodymodels.sequence import sequence_joints  # noqa: E402
from motionbase.bodymodels.synthetic import write_test_body_models  # noqa: E402

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NAME = "body_models"


def smooth(rng, T, width, scale):
    return np.cumsum(rng.normal(0.0, scale, (T, width)), 0)


def write_amass(path: Path, T: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    poses = smooth(rng, T, 156, 0.004)
    poses[:, :3] += [np.pi / 2, 0.0, 0.0]
    np.savez(path, poses=poses, trans=smooth(rng, T, 3, 0.002) + [0, 0, 0.9], betas=rng.normal(0, 1, 16),
             mocap_framerate=np.array(120.0), gender=np.array("male"))


def write_motionx(path: Path, T: int, seed: int, scale: float = 0.01) -> None:
    rng = np.random.default_rng(seed)
    x = np.zeros((T, 322))
    x[:, :156] = smooth(rng, T, 156, scale)
    x[:, 309:312] = smooth(rng, T, 3, 0.005) + [0, 0.9, 0]
    x[:, 312:] = rng.normal(0, 1, 10)
    np.save(path, x.astype(np.float32))


def best_cpu(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        c0 = time.process_time()
        fn()
        best = min(best, time.process_time() - c0)
    return best


def smplx_forward(models: Path, kind: str, path: Path, step: int):
    """The smplx package's forward pass (vertices + joints) at every ``step``-th frame (HumanML3D's way)."""
    import smplx

    with contextlib.redirect_stdout(io.StringIO()):
        if kind == "smplh":
            m = smplx.SMPLH(str(model_file(models, "smplh", "male")), ext="npz", use_pca=False, flat_hand_mean=True)
        else:
            m = smplx.SMPLX(str(model_file(models, "smplx", "neutral")), ext="npz", use_pca=False)

    def run():
        if kind == "smplh":
            d = np.load(path)
            p = torch.tensor(d["poses"][::step], dtype=torch.float32)
            b = torch.tensor(d["betas"][:10][None], dtype=torch.float32)
            with torch.no_grad():
                for f in range(p.shape[0]):
                    m(betas=b, global_orient=p[f:f + 1, :3], body_pose=p[f:f + 1, 3:66],
                      left_hand_pose=p[f:f + 1, 66:111], right_hand_pose=p[f:f + 1, 111:])
        else:
            x = torch.tensor(np.load(path)[::step], dtype=torch.float32)
            z = torch.zeros(1, 3)
            with torch.no_grad():
                for f in range(x.shape[0]):
                    r = x[f:f + 1]
                    m(betas=r[:, 312:], global_orient=r[:, :3], body_pose=r[:, 3:66], left_hand_pose=r[:, 66:111],
                      right_hand_pose=r[:, 111:156], jaw_pose=r[:, 156:159], leye_pose=z, reye_pose=z,
                      expression=torch.zeros(1, 10), transl=r[:, 309:312])
    return run


def import_speed(models: Path, work: Path, files: int, seconds: float, repeats: int) -> dict:
    out = {}
    specs = {"amass (SMPL-H, 120 fps -> 20, SMPL-22 263-d + mirror)": ("smplh", 120, 6, write_amass, load_amass_item,
                                                                       "smpl22"),
             "motion-x (SMPL-X 322, 30 fps -> 20, SMPL-52 623-d + mirror)": ("smplx", 30, None, write_motionx,
                                                                              load_motionx_item, "smpl52")}
    for group, (kind, fps, step, writer, loader, skel) in specs.items():
        T = int(seconds * fps)
        paths = []
        for i in range(files):
            p = work / f"{kind}_{i}.{'npz' if kind == 'smplh' else 'npy'}"
            writer(p, T, i)
            paths.append(p)
        config = BodyImportConfig(body_models=str(models), skeleton=skel)
        items = [SourceItem(str(p), p.name) for p in paths]
        loader(items[0], config)  # warm-up: model load, imports
        cpu = sum(best_cpu(lambda it=it: loader(it, config), repeats) for it in tqdm(items, desc=f"import {kind}"))
        base_cpu = sum(best_cpu(smplx_forward(models, kind, p, step or 1), 1) for p in tqdm(paths, desc="smplx fwd"))
        # Motion-X at 30 -> 20 fps needs 2 of every 3 frames; the baseline ran every frame: count 2/3 of its time
        base_cpu_needed = base_cpu * (1.0 if step else 2.0 / 3.0)
        frames = files * T  # both speeds in source frames per CPU second
        out[group] = {"files": files, "source_frames": frames, "source_fps": fps, "import_cpu_s": cpu,
                      "import_frames_per_s_per_core": frames / cpu, "smplx_forward_cpu_s": base_cpu_needed,
                      "smplx_forward_frames_per_s_per_core": frames / base_cpu_needed,
                      "import_vs_smplx_forward": base_cpu_needed / cpu}
        print(group, {k: round(v, 1) for k, v in out[group].items() if isinstance(v, float)})
    return out


def fit_quality(models: Path, work: Path, clips: int, frames: int) -> dict:
    from motionbase.pipeline.bodymodel import SmplxFitConfig, fit_smplx

    model = load_body_model("smplx", "neutral", str(models))
    rows = {"whole body (52 joints)": [], "body only (22 joints)": [], "baseline: pipeline fit_smplx (22)": []}
    for c in tqdm(range(clips), desc="fit"):
        p = work / f"fit_{c}.npy"
        write_motionx(p, frames, 100 + c, scale=0.03)
        truth = sequence_joints(with_hand_mean(read_motionx(p, fps=20.0), model), model, 20.0)
        for name, target in (("whole body (52 joints)", truth), ("body only (22 joints)", truth[:, :22])):
            c0 = time.process_time()
            fit = fit_smplx_wholebody(target, model, WholeBodyFitConfig())
            cpu = time.process_time() - c0
            d = np.linalg.norm(fit.joints_m - target, axis=-1)
            rows[name].append((d.mean(), d[:, :22].mean(), d[:, 22:].mean() if d.shape[1] > 22 else np.nan,
                               cpu / len(target)))
        c0 = time.process_time()
        base = fit_smplx(truth[:, :22], model.path, SmplxFitConfig())
        cpu = time.process_time() - c0
        d = np.linalg.norm(base.joints_m - truth[:, :22], axis=-1)
        rows["baseline: pipeline fit_smplx (22)"].append((d.mean(), d.mean(), np.nan, cpu / len(truth)))
    out = {}
    for name, r in rows.items():
        a = np.array(r, dtype=np.float64)
        out[name] = {"clips": clips, "frames_per_clip": frames, "error_mm": 1000 * a[:, 0].mean(),
                     "body_error_mm": 1000 * a[:, 1].mean(),
                     "hand_error_mm": None if np.isnan(a[:, 2]).all() else 1000 * np.nanmean(a[:, 2]),
                     "cpu_s_per_frame": a[:, 3].mean()}
        print(name, out[name])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body-models", type=Path, default=None, help="real SMPL-H/SMPL-X files (default: synthetic)")
    parser.add_argument("--files", type=int, default=6, help="sequences per dataset style")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each sequence")
    parser.add_argument("--fit-clips", type=int, default=3)
    parser.add_argument("--fit-frames", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    add_quick(parser, "one short sequence per style, one fit clip of 5 frames")
    args = parser.parse_args()
    if args.quick:
        args.files, args.seconds, args.fit_clips, args.fit_frames, args.repeats = 1, 2.0, 1, 5, 1
    RESULTS = results_dir(args.quick)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models = args.body_models
        if models is None:
            models = work / "models"
            write_test_body_models(models)
        speed = import_speed(models, work, args.files, args.seconds, args.repeats)
        fits = fit_quality(models, work, args.fit_clips, args.fit_frames)
    which = "the user's model files" if args.body_models else \
        "synthetic model files in the real layout (motionbase.bodymodels.synthetic; real trees and vertex counts)"
    result = {"question": "AMASS / Motion-X import speed per core, and joints -> SMPL-X fitting error and time",
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}",
              "models": which, "import": speed, "fit": fits,
              "timing": f"CPU seconds of one process, 1 thread, fastest of {args.repeats} runs for imports"}
    lines = [f"# {result['question']}", "", f"{result['machine']}; {result['timing']}; models: {which}.", "",
             "| import | files x source frames | import source frames/s/core | baseline: smplx forward, source "
             "frames/s/core | import / baseline |", "|---|---:|---:|---:|---:|"]
    for g, r in speed.items():
        lines.append(f"| {g} | {r['files']} x {r['source_frames'] // r['files']} | "
                     f"{r['import_frames_per_s_per_core']:.0f} | {r['smplx_forward_frames_per_s_per_core']:.0f} | "
                     f"{r['import_vs_smplx_forward']:.1f}x |")
    lines += ["", "| joints -> SMPL-X fit | clips x frames | mean error mm | body mm | fingers mm | CPU s / frame |",
              "|---|---:|---:|---:|---:|---:|"]
    for g, r in fits.items():
        hand = "-" if r["hand_error_mm"] is None else f"{r['hand_error_mm']:.2f}"
        lines.append(f"| {g} | {r['clips']} x {r['frames_per_clip']} | {r['error_mm']:.2f} | {r['body_error_mm']:.2f} | "
                     f"{hand} | {r['cpu_s_per_frame']:.3f} |")
    lines += ["", "Import = read + checks + 20 fps slerp + body-model joints + Y-up + features of clip and mirror; "
              "smplx forward = the smplx package's vertices + joints per needed frame (how HumanML3D / Motion-X "
              "scripts get joints) on the frames the 20 fps clip needs, the joints step alone (no reading, no features). Fit targets come from known SMPL-X parameters.", ""]
    write_results(RESULTS, NAME, result, "\n".join(lines), indent=2)


if __name__ == "__main__":
    main()
