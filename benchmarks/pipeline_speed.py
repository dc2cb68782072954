"""Question: how fast is the video pipeline per core, stage by stage, beside the baseline, and how much do two
Ray workers gain over one?

Both on the first ``--seconds`` of the fixture video (tests/data/video/vtest.avi, 768x576 at 10 fps, a
campus walkway with several pedestrians), in the same run and process:

* ``baseline`` (measured by the project lead): OpenCV's HOG people detector on every frame, then MediaPipe
  Pose in image mode on a square crop around every detected box;
* ``pipeline``: :func:`motionbase.pipeline.process.process_input` as ``build-dataset`` runs it (HOG every
  ``detect_every_s``, MediaPipe following each track in streaming mode, lifting, cleaning, captions by the
  rules captioner).

Speed = source frames / CPU seconds of this process (``time.process_time``: every thread counted, so this
is frames per second per core; the machine is shared, wall time is recorded too). Quality guard: the number
of person-frames each approach posed successfully (the pipeline must not be faster by posing fewer people).

Ray: ``build_dataset`` over ``--ray-inputs`` copies of the video slice (distinct names, so distinct inputs) on
a local Ray cluster of 1 CPU, then of 2 CPUs (``ray.init(num_cpus=...)``, not local_mode), wall time of
the run itself (cluster start excluded). With only two cores on a shared machine, the speed-up is bounded
by what the neighbours leave free; the figure is reported as measured.

Writes ``benchmarks/results/pipeline_speed.json`` and ``.md``. Usage:
``python benchmarks/pipeline_speed.py [--seconds 20] [--ray-inputs 4] [--no-ray] [--quick]`` (Ray needs the
``dist`` extra; ``--quick``: 3 s of video, no Ray).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

from motionbase.pipeline.process import PipelineConfig, process_input  # noqa: E402
from motionbase.pipeline.run import build_dataset  # noqa: E402

from bench_common import add_quick, results_dir, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAME = "pipeline_speed"
VIDEO = ROOT / "tests/data/video/vtest.avi"


def baseline(seconds: float) -> dict:
    """HOG on every frame + MediaPipe (image mode) on a crop around every box; CPU seconds per stage."""
    import cv2

    from motionbase.pipeline.detect import HogPersonDetector
    from motionbase.pipeline.pose import CropPoser, PoseConfig
    from motionbase.pipeline.video import frame_schedule, iter_frames, probe_video

    info = probe_video(VIDEO)
    frames = frame_schedule(info.num_frames, info.fps).source_frames
    frames = frames[frames < seconds * info.fps]
    detector, poser = HogPersonDetector(), CropPoser(PoseConfig(), stream=False)
    cpu = {"decode": 0.0, "detect": 0.0, "pose": 0.0}
    calls = posed = 0
    wall = time.perf_counter()
    t = time.process_time()
    for _, bgr in iter_frames(VIDEO, frames):
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        cpu["decode"] += time.process_time() - t
        t = time.process_time()
        found = detector(rgb)
        cpu["detect"] += time.process_time() - t
        t = time.process_time()
        for box in found.boxes:
            calls += 1
            posed += poser(rgb, box) is not None
        cpu["pose"] += time.process_time() - t
        t = time.process_time()
    poser.close()
    return {"frames": len(frames), "cpu_s": cpu, "wall_s": time.perf_counter() - wall, "pose_calls": calls,
            "posed": posed}


def pipeline(seconds: float) -> dict:
    wall = time.perf_counter()  # (MediaPipe's import and model load are outside the timed stages)
    r = process_input(VIDEO, PipelineConfig(max_seconds=seconds))
    return {"frames": r.frames, "cpu_s": r.cpu_s, "wall_s": time.perf_counter() - wall, "pose_calls": r.poses,
            "posed": r.posed, "clips": len(r.clips), "clip_seconds": sum(c.seconds for c in r.clips)}


def ray_speedup(seconds: float, copies: int) -> dict:
    import ray

    tmp = Path(tempfile.mkdtemp(prefix="pipeline_speed_"))
    try:
        inputs = []
        for i in range(copies):
            inputs.append(tmp / f"walkway_{i}.avi")
            shutil.copy(VIDEO, inputs[-1])
        out = {}
        for cpus in (1, 2):
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
            try:
                load = os.getloadavg()[0]
                wall = time.perf_counter()
                report = build_dataset(inputs, tmp / f"store{cpus}", PipelineConfig(max_seconds=seconds),
                                       workers=cpus, ray_address="local", progress=False)
                out[cpus] = {"wall_s": time.perf_counter() - wall, "done": len(report.done),
                             "failed": len(report.failed), "load_average_before": load}
            finally:
                ray.shutdown()
        out["speedup"] = out[1]["wall_s"] / out[2]["wall_s"]
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fps(frames: int, cpu: float) -> float:
    return frames / cpu if cpu > 0 else float("inf")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds of the fixture video to process")
    ap.add_argument("--ray-inputs", type=int, default=4, help="video copies for the Ray speed-up")
    ap.add_argument("--ray-seconds", type=float, default=8.0, help="seconds of each copy in the Ray runs")
    ap.add_argument("--no-ray", action="store_true")
    add_quick(ap, "3 s of video, no Ray")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.no_ray = 3.0, True
    RESULTS = results_dir(args.quick)

    ours, base = pipeline(args.seconds), baseline(args.seconds)
    stages = {}
    for stage in ("decode", "detect", "pose"):
        stages[stage] = {"baseline_fps": fps(base["frames"], base["cpu_s"][stage]),
                         "pipeline_fps": fps(ours["frames"], ours["cpu_s"][stage])}
    rest = sum(v for k, v in ours["cpu_s"].items() if k not in ("decode", "detect", "pose"))
    stages["lift+clean+caption"] = {"baseline_fps": None, "pipeline_fps": fps(ours["frames"], rest)}
    end = {"baseline_fps": fps(base["frames"], sum(base["cpu_s"].values())),
           "pipeline_fps": fps(ours["frames"], sum(ours["cpu_s"].values()))}
    end["ratio"] = end["pipeline_fps"] / end["baseline_fps"]
    result = {"question": "video pipeline frames per second per core vs HOG-every-frame + MediaPipe image mode",
              "video": str(VIDEO.relative_to(ROOT)), "seconds": args.seconds, "machine": platform.platform(),
              "cpus": os.cpu_count(), "baseline": base, "pipeline": ours, "stages": stages, "end_to_end": end}
    if not args.no_ray:
        result["ray"] = ray_speedup(args.ray_seconds, args.ray_inputs)
        result["ray"]["inputs"], result["ray"]["seconds_each"] = args.ray_inputs, args.ray_seconds

    f = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
    lines = [f"# Video pipeline speed ({args.seconds:g} s of {VIDEO.name}, {ours['frames']} frames)", "",
             "Frames per second per core (source frames / CPU seconds of the process, all threads), same run.", "",
             "| stage | baseline fps | pipeline fps | ratio |", "|---|---|---|---|"]
    for stage, v in stages.items():
        ratio = "-" if v["baseline_fps"] is None else f"{v['pipeline_fps'] / v['baseline_fps']:.2f}x"
        lines.append(f"| {stage} | {f(v['baseline_fps'])} | {f(v['pipeline_fps'])} | {ratio} |")
    lines.append(f"| **end to end** | {f(end['baseline_fps'])} | {f(end['pipeline_fps'])} | **{end['ratio']:.2f}x** |")
    lines += ["", f"Person-frames posed: baseline {base['posed']} of {base['pose_calls']} pose calls, pipeline "
              f"{ours['posed']} of {ours['pose_calls']}; pipeline clips: {ours['clips']} "
              f"({ours['clip_seconds']:.1f} s of motion).",
              f"Wall seconds: baseline {base['wall_s']:.1f}, pipeline {ours['wall_s']:.1f} (shared machine)."]
    if "ray" in result:
        r = result["ray"]
        lines += ["", f"Ray, {r['inputs']} inputs of {r['seconds_each']:g} s: 1 CPU {r[1]['wall_s']:.1f} s, "
                  f"2 CPUs {r[2]['wall_s']:.1f} s wall: **{r['speedup']:.2f}x** ({os.cpu_count()} cores on this "
                  f"machine, shared: 1-minute load average {r[1]['load_average_before']:.1f} and "
                  f"{r[2]['load_average_before']:.1f} before the two runs)."]
    write_results(RESULTS, NAME, result, "\n".join(lines), indent=2)


if __name__ == "__main__":
    main()
