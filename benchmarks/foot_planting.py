"""Question: does planting the feet (``motionbase.features.plant``) take the sliding out of motion whose root and
legs disagree, leave motion whose feet already stand alone, and keep what generated motion does?

1. Physical ground truth. Real mocap (the repository's BVH and HumanML3D clips; with ``--store``, the real clips of
   the store's test split as well), each also with its root made to travel ``s`` times as far as its legs walk
   (s = 1.3 and 0.7: the feet slide forwards or backwards). Per version: GMD's foot-skating ratio, the mean speed of
   toes in contact, and the root's path length; planted vs not. Planting the real clips shows what it moves when
   nothing slides (the root's largest move, in m).
2. Generated motion. The shipped default (or ``--lm``/``--tokenizer``): every content x style of its training data,
   ``--seeds`` generations, each decoded twice from the same codes — as decoded and with its feet planted (the
   baseline in the same run). Skating, contact-toe speed, jitter, the mean root speed of walks and runs, and the
   geometric prompt checks (``motionbase.evaluate.prompt_following``) of both.

Writes ``benchmarks/results/foot_planting.{json,md}``. Usage: ``python benchmarks/foot_planting.py [--store STORE]
[--seeds 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import numpy as np
from bench_common import ROOT, add_quick, results_dir, write_results

NAME = "foot_planting"
FPS = 20.0
SLIDES = (1.3, 0.7)


def real_clips(store: Path | None, limit: int | None) -> list[tuple[str, np.ndarray]]:
    """(name, features) of the repository's real clips, and of the store's test split when given."""
    from motionbase.features.humanml3d import joints_to_features
    from motionbase.formats.bvh import load_bvh
    from motionbase.formats.humanml3d import read_humanml3d

    out = [(c.meta.id, np.asarray(f, np.float32)) for c, f in read_humanml3d(ROOT / "tests/data/humanml3d", spans=False)]
    for path in sorted((ROOT / "tests/data/bvh").rglob("*.bvh")):
        out.append((path.stem, joints_to_features(load_bvh(path, fps=FPS).joints_m).astype(np.float32)))
    if store is not None:
        from motionbase.data import ClipStore

        test = ClipStore.open(store).split("test")
        out += [(f"store:{i}", np.asarray(test.features(i), np.float32)) for i in range(len(test))]
    out = [(n, f) for n, f in out if len(f) >= 8]
    return out[:limit] if limit else out


def physics(feats: np.ndarray) -> dict[str, float]:
    from motionbase.features.humanml3d import features_to_joints

    return physics_of_joints(features_to_joints(np.asarray(feats, np.float64), final_frame=True))


def physics_of_joints(j: np.ndarray) -> dict[str, float]:
    from motionbase.metrics.physics import foot_skating, jitter_m_s3

    root = j[:, 0, [0, 2]]
    return {**foot_skating(j, FPS), "jitter_m_s3": jitter_m_s3(j, FPS),
            "path_m": float(np.linalg.norm(np.diff(root, axis=0), axis=-1).sum())}


def ground_truth(clips: list[tuple[str, np.ndarray]]) -> dict:
    """Figure 1: real, slid and slid-then-planted versions of every clip."""
    from motionbase.features.humanml3d import features_to_joints
    from motionbase.features.plant import plant_feet

    rows = []
    for name, f in clips:
        real_j, planted_j = (features_to_joints(x.astype(np.float64), final_frame=True) for x in (f, plant_feet(f)))
        # the root's largest move over the feature rows' frames (the extrapolated final frame left out)
        moved = np.linalg.norm(planted_j[:-1, 0] - real_j[:-1, 0], axis=-1).max()
        row = {"clip": name, "frames": len(f), "real": physics_of_joints(real_j),
               "real_planted": physics_of_joints(planted_j), "real_root_moved_m": float(moved)}
        for s in SLIDES:
            slid = f.copy()
            slid[:, 1:3] *= s
            row[f"slid_{s}"] = physics(slid)
            row[f"slid_{s}_planted"] = physics(plant_feet(slid))
        rows.append(row)
    return {"rows": rows}


def mean_of(rows: list[dict], version: str, key: str) -> float:
    return float(np.mean([r[version][key] for r in rows])) if rows else float("nan")


def generated(lm: str | None, tokenizer: str | None, seeds: int, quick: bool) -> dict:
    """Figure 2: the same codes decoded as they are, with their feet planted, and (for comparison) the decoded
    joints through the video pipeline's clean-up (floor, contacts, foot locking by leg IK: pipeline/refine)."""
    from motionbase.data.labels import CONTENT_PHRASES, STYLE_WORDS, bandai_captions
    from motionbase.evaluate.prompt_following import faster, judge, pass_rates
    from motionbase.generation import MotionGenerator
    from motionbase.pipeline.refine.cleanup import contact_cleanup

    contents = ["wave-left-hand", "walk", "run"] if quick else list(CONTENT_PHRASES)
    styles = list(STYLE_WORDS)[:2] if quick else list(STYLE_WORDS)
    gens = {"as decoded": MotionGenerator.load(lm, tokenizer, device="cpu", plant_feet=False),
            "feet planted": MotionGenerator.load(lm, tokenizer, device="cpu", plant_feet=True)}
    motions: dict[str, list] = {v: [] for v in (*gens, "video clean-up (leg IK)")}
    for version, gen in gens.items():
        for k in range(seeds):
            jobs = [(c, s, k, bandai_captions(c, s, n=3, seed=k)[k % 3]) for c in contents for s in styles]
            for job, m in zip(jobs, gen.text_to_motion([j[3] for j in jobs], None, seed=1000 + k)):
                motions[version].append((job, m.joints))
                if version == "as decoded":
                    cleaned = contact_cleanup(m.joints, None, FPS, fill=False).joints
                    motions["video clean-up (leg IK)"].append((job, cleaned))
    out = {}
    for version, rows in motions.items():
        checks, by, phys = [], {}, []
        for (content, style, k, prompt), j in rows:
            checks += judge(content, j, FPS, where=prompt)
            by[(content, style, k)] = j
            phys.append({"content": content, **physics_of_joints(np.asarray(j, np.float64))})
        checks += [faster(run, by[("walk", s, k)]) for (c, s, k), run in by.items() if c == "run"]
        out[version] = {"rates": pass_rates(checks), "n": len(rows),
                        **{key: float(np.mean([r[key] for r in phys]))
                           for key in ("skating_ratio", "contact_speed_m_s", "jitter_m_s3")},
                        "mean_path_m": {c: float(np.mean([r["path_m"] for r in phys if r["content"] == c]))
                                        for c in ("walk", "run")}}
    return out


def markdown(meta: dict, truth: dict, gen: dict) -> str:
    rows = truth["rows"]
    lines = ["# Planted feet: sliding taken out, standing feet left alone", "",
             f"{meta['machine']}; models: {meta['models']}.", "",
             "## 1. Physical ground truth: real mocap, and the same with its root made to slide", "",
             f"{len(rows)} real clips ({meta['clip_sources']}); the slid versions move the root s times as far as "
             "the legs walk. Means over clips; path error: |path − real path| / real path, over the clips that travel "
             "more than 1 m.", "",
             "| version | skating ratio | contact-toe speed m/s | path error | planted: skating | planted: contact speed "
             "| planted: path error |", "|---|---:|---:|---:|---:|---:|---:|"]

    def path_err(version: str) -> float:
        sel = [r for r in rows if r["real"]["path_m"] > 1.0]
        return float(np.mean([abs(r[version]["path_m"] - r["real"]["path_m"]) / r["real"]["path_m"] for r in sel])) \
            if sel else float("nan")

    for label, v, p in [("real", "real", "real_planted")] + [(f"root × {s}", f"slid_{s}", f"slid_{s}_planted")
                                                              for s in SLIDES]:
        lines.append(f"| {label} | {mean_of(rows, v, 'skating_ratio'):.3f} | {mean_of(rows, v, 'contact_speed_m_s'):.3f} "
                     f"| {path_err(v):.1%} | {mean_of(rows, p, 'skating_ratio'):.3f} "
                     f"| {mean_of(rows, p, 'contact_speed_m_s'):.3f} | {path_err(p):.1%} |")
    moved = [r["real_root_moved_m"] for r in rows]
    lines += ["", f"Planting the real clips moves their root by {np.median(moved) * 100:.1f} cm (median), "
              f"{max(moved) * 100:.1f} cm at most.", "",
              "## 2. Generated motion: the same codes, as decoded, with the feet planted, and through the video clean-up", "",
              f"{meta['generated']}.", "",
              "| version | skating ratio | contact-toe speed m/s | jitter m/s³ | walk path m | run path m | which hand "
              "| which turn | run faster | headline |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for version, g in gen.items():
        r = g["rates"]
        pct = lambda q: f"{r[q]['pass']:.1%}" if q in r else "–"  # noqa: E731
        lines.append(f"| {version} | {g['skating_ratio']:.3f} | {g['contact_speed_m_s']:.3f} | {g['jitter_m_s3']:.1f} "
                     f"| {g['mean_path_m']['walk']:.2f} | {g['mean_path_m']['run']:.2f} | {pct('hand')} | {pct('turn')} "
                     f"| {pct('faster')} | {pct('headline')} |")
    real_skate = mean_of(rows, "real", "skating_ratio")
    lines += ["", f"Reference: the real clips above skate {real_skate:.3f} by the same measure."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="clip store whose test split adds real clips")
    parser.add_argument("--lm", default=None)
    parser.add_argument("--tokenizer", default=None)
    parser.add_argument("--seeds", type=int, default=3)
    add_quick(parser, "a few clips, 2 styles, one seed")
    args = parser.parse_args()
    if args.quick:
        args.seeds = 1
    import torch

    from motionbase.defaults.paths import default_checkpoints

    torch.manual_seed(0)
    shipped = default_checkpoints()
    clips = real_clips(args.store, 4 if args.quick else None)
    meta = {"machine": f"{platform.platform()}, torch {torch.__version__}",
            "models": f"lm={args.lm or shipped.lm}, tokenizer={args.tokenizer or shipped.tokenizer}",
            "clip_sources": "tests/data (HumanML3D, Bandai-Namco, CMU)" + (f" and the test split of {args.store}"
                                                                            if args.store else ""),
            "seeds": args.seeds}
    truth = ground_truth(clips)
    gen = generated(args.lm, args.tokenizer, args.seeds, args.quick)
    meta["generated"] = (f"{gen['as decoded']['n']} generations (every content × style, {args.seeds} seed(s), "
                         "training-style phrasings, the model choosing the length)")
    text = markdown(meta, truth, gen)
    write_results(results_dir(args.quick), NAME, {"meta": meta, "ground_truth": truth, "generated": gen}, text,
                  indent=1)


if __name__ == "__main__":
    main()
