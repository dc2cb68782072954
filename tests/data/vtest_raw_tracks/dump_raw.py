"""Dump raw (pre-refinement) per-clip joints + visibility of the video pipeline on vtest.avi (i11a for i11b)."""
import sys, time
from pathlib import Path
import numpy as np
from motionbase.pipeline import process as P
from motionbase.pipeline.clean import clean_track, enforce_bone_lengths
from motionbase.skeleton.resample import resample_positions

path = Path(sys.argv[1]); out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
config = P.PipelineConfig(captioner="")
res = P._Resources.get(config)
result = P.InputResult(key="vtest", path=str(path), kind="video")
t0 = time.time()
info, schedule, shots = P._perceive(path, config, res, result)
print("perceived", time.time() - t0, "s", schedule.fps, info, flush=True)
camera = P.Camera.from_fov(info.width, info.height, config.hfov_deg)
lifted = [(shot, t, P._lift(t, camera)) for shot, _, _, tracks in shots for t in tracks if t.num_observed >= 2]
world, floor_h = P._to_world([lt for _, _, lt in lifted], camera, config, result)
n = 0
for (shot, track, lt), jw in zip(lifted, world):
    jw_floor = jw - np.array([0.0, floor_h if floor_h is not None else 0.0, 0.0])
    np.savez_compressed(out / f"track_s{shot:02d}_p{track.id:03d}.npz", joints_world=jw_floor.astype(np.float32),
                        conf=lt.conf.astype(np.float32), fps=schedule.fps,
                        frames=np.asarray(track.frames), floor_h=np.nan if floor_h is None else floor_h)
    runs, notes = clean_track(jw, lt.conf, schedule.fps, config.clean)
    for r, run in enumerate(runs):
        j = run.joints
        vis = lt.conf[run.start:run.stop]
        if abs(schedule.fps - config.fps) > 1e-6:
            j = enforce_bone_lengths(resample_positions(j, schedule.fps, config.fps), run.bone_lengths_m)
            t_src = np.arange(len(vis)) / schedule.fps
            t_dst = np.arange(len(j)) / config.fps
            vis = np.stack([np.interp(t_dst, t_src, vis[:, k]) for k in range(vis.shape[1])], 1)
        j = j - np.array([0.0, floor_h if floor_h is not None else j[..., 1].min(), 0.0])
        np.savez_compressed(out / f"clip_s{shot:02d}_p{track.id:03d}_r{r}.npz", joints=j.astype(np.float32),
                            visibility=vis.astype(np.float32), fps=config.fps)
        n += 1
print("clips", n, "notes", result.notes[:5], "cpu", result.cpu_s, "total", time.time() - t0, flush=True)
