"""Question: how long does it take to turn a motion into a GIF / MP4 a person can watch, and how much
faster is motionbase's renderer than the usual way (matplotlib 3D axes redrawn every frame)?

Both render the same real clip (HumanML3D 000000, the first 4 s = 80 frames at 20 fps, 22 joints) to
the same pixel size, in the same run:

* ``motionbase``: :func:`motionbase.viz.render_motion` (numpy pinhole projection, one 2D Agg figure,
  static parts blitted, moving artists updated; shared-palette GIF / libx264 MP4);
* ``baseline``: the pattern of HumanML3D's ``plot_3d_motion`` and its descendants: one ``Axes3D``,
  cleared and redrawn each frame (floor plane, kinematic chains, trajectory), frames grabbed from the
  canvas, written with ``imageio`` defaults (per-frame GIF palettes; ffmpeg libx264 for MP4).

Each case is run ``--repeats`` times; the table gives the best (least disturbed) wall time. Writes
``benchmarks/results/viz_render_speed.json`` and ``.md``. Usage: ``python benchmarks/viz_render_speed.py``.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from motionbase.skeleton import SMPL22
from motionbase.viz import RenderConfig, render_motion

from bench_common import add_quick, results_dir, write_results

ROOT = Path(__file__).resolve().parents[1]
NAME = "viz_render_speed"
CLIP = ROOT / "tests/data/humanml3d/new_joints/000000.npy"
CAPTION = "a man kicks something or someone with his left leg."


def baseline_render(joints_m: np.ndarray, out: Path, size_px: int, fps: float) -> None:
    """matplotlib 3D, everything redrawn per frame (what most motion-generation repositories do)."""
    import imageio.v2 as imageio
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    fig = Figure(figsize=(size_px / 100, size_px / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(projection="3d")
    lo, hi = joints_m.min((0, 1)), joints_m.max((0, 1))
    colors = ["red", "blue", "black", "red", "blue"]
    frames = []
    for t in range(len(joints_m)):
        ax.cla()
        ax.set_xlim(-1, 1), ax.set_ylim(-1, 1), ax.set_zlim(0, 2)
        ax.view_init(elev=120, azim=-90)
        ax.set_title(CAPTION, fontsize=7)
        root = joints_m[t, 0]
        floor = [[lo[0] - root[0], 0, lo[2] - root[2]], [lo[0] - root[0], 0, hi[2] - root[2]],
                 [hi[0] - root[0], 0, hi[2] - root[2]], [hi[0] - root[0], 0, lo[2] - root[2]]]
        ax.add_collection3d(Poly3DCollection([floor], facecolor=(0.5, 0.5, 0.5, 0.5)))
        ax.plot3D(joints_m[:t + 1, 0, 0] - root[0], np.zeros(t + 1), joints_m[:t + 1, 0, 2] - root[2], color="blue")
        for chain, color in zip(SMPL22.chains, colors):
            pts = joints_m[t, list(chain)] - root * [1, 0, 1]
            ax.plot3D(pts[:, 0], pts[:, 1], pts[:, 2], linewidth=3, color=color)
        ax.set_axis_off()
        fig.canvas.draw()
        frames.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    if out.suffix == ".gif":
        imageio.mimsave(out, frames, duration=1000 / fps, loop=0)
    else:
        imageio.mimsave(out, frames, fps=fps, codec="libx264", macro_block_size=2)


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--repeats", type=int, default=3)
    add_quick(ap, "1 s of motion, 160 px, one repeat")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.size, args.repeats = 1.0, 160, 1
    RESULTS = results_dir(args.quick)
    fps = 20.0
    joints = np.load(CLIP)[: int(args.seconds * fps)].astype(np.float64)
    cfg = RenderConfig(size_px=args.size)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".gif", ".mp4"):
            ours, base = Path(tmp) / f"ours{suffix}", Path(tmp) / f"base{suffix}"
            render_motion(joints[:4], ours, title=CAPTION, config=cfg)  # warm-up: imports, fonts
            baseline_render(joints[:4], base, args.size, fps)
            t_ours = best_of(lambda: render_motion(joints, ours, title=CAPTION, config=cfg), args.repeats)
            t_base = best_of(lambda: baseline_render(joints, base, args.size, fps), args.repeats)
            rows.append({"format": suffix[1:], "frames": len(joints), "size_px": args.size,
                         "motionbase_s": round(t_ours, 3), "baseline_s": round(t_base, 3),
                         "speedup": round(t_base / t_ours, 1),
                         "motionbase_ms_per_frame": round(1000 * t_ours / len(joints), 2),
                         "motionbase_bytes": ours.stat().st_size, "baseline_bytes": base.stat().st_size})
    env = {"python": platform.python_version(), "machine": platform.machine(), "cpus": __import__("os").cpu_count()}
    lines = ["| format | frames | size | motionbase s | baseline s | speedup | motionbase ms/frame "
             "| bytes (ours / base) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['format']} | {r['frames']} | {r['size_px']} px | {r['motionbase_s']:.3f} | "
                     f"{r['baseline_s']:.3f} | {r['speedup']}x | {r['motionbase_ms_per_frame']} | "
                     f"{r['motionbase_bytes']:,} / {r['baseline_bytes']:,} |")
    lines.append("")
    lines.append(f"HumanML3D 000000, first {args.seconds:g} s at 20 fps, with caption title; best of {args.repeats} "
                 f"wall-clock runs on a shared {env['cpus']}-CPU machine; baseline = mplot3d redrawn per frame + "
                 "imageio defaults.")
    write_results(RESULTS, NAME, {"rows": rows, "env": env}, "\n".join(lines), indent=2)


if __name__ == "__main__":
    main()
