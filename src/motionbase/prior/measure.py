"""Measure the :class:`~motionbase.prior.noise.NoiseModel` from raw (unsmoothed) video-pipeline tracks.

Input: ``track_*.npz`` files as the video pipeline lifts them before clean-up (``joints_world`` (F, 22, 3)
metres, floor at y = 0, ``conf`` (F, 22), ``fps``, ``floor_h`` = the floor's height in camera-levelled
coordinates, so the camera sits at (0, -floor_h, 0)), and clean mocap of similar motion (Bandai walks) as the
reference for what the same estimators read on noise-free motion at the same rate. Every parameter is a
measurement or a difference of two (noise = raw minus motion, in quadrature); see docs/PRIOR.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MotionbaseError
from ..skeleton.resample import resample_positions
from .noise import FOOT_JOINTS, GROUPS, NoiseModel, bone_cv, corrupt, jitter_residual, jitter_std, robust_std

MIN_CONF = 0.5  # MediaPipe visibility the pipeline's clean-up counts as seen (CleanConfig.min_conf)
MIN_RUN = 8  # frames


def _runs(ok: np.ndarray, min_len: int = MIN_RUN) -> list[tuple[int, int]]:
    out, start = [], None
    for t, v in enumerate(list(ok) + [False]):
        if v and start is None:
            start = t
        elif not v and start is not None:
            if t - start >= min_len:
                out.append((start, t))
            start = None
    return out


def load_tracks(folder: Path) -> list[dict]:
    files = sorted(Path(folder).glob("track_*.npz"))
    if not files:
        raise MotionbaseError(f"{folder}: no track_*.npz files (raw lifted tracks of the video pipeline)")
    tracks = []
    for f in files:
        d = np.load(f)
        tracks.append({"name": f.stem, "joints": d["joints_world"].astype(np.float64), "conf": d["conf"],
                       "fps": float(d["fps"]), "floor_h": float(d["floor_h"])})
    return tracks


def _fully_seen_runs(track: dict) -> list[np.ndarray]:
    ok = (track["conf"] >= MIN_CONF).all(axis=1) & np.isfinite(track["joints"]).all(axis=(1, 2))
    return [track["joints"][a:b] for a, b in _runs(ok)]


def _depth_lateral(track: dict, run: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Jitter residual split along the camera ray (per joint, 1 value) and across it (2 values)."""
    cam = np.array([0.0, -track["floor_h"] if np.isfinite(track["floor_h"]) else 0.0, 0.0])
    ray = run - cam
    ray /= np.linalg.norm(ray, axis=-1, keepdims=True)
    r = jitter_residual(run)[2:-2]
    ray = ray[2:-2]
    d = (r * ray).sum(-1)
    lat = r - d[..., None] * ray
    return d, lat, ray


def _detrended_pelvis(run: np.ndarray, fps: float, window_s: float = 2.0) -> np.ndarray:
    """Pelvis position minus a straight line through each ``window_s`` window: (N, 3) deviations."""
    w = max(int(round(window_s * fps)), 5)
    out = []
    for a in range(0, len(run) - w + 1, w):
        seg = run[a:a + w, 0]
        t = np.arange(w)
        coef = np.polyfit(t, seg, 1)
        out.append(seg - (np.outer(t, coef[0]) + coef[1]))
    return np.concatenate(out) if out else np.zeros((0, 3))


def _lag1(x: np.ndarray) -> float:
    x = x - x.mean()
    return float((x[1:] * x[:-1]).sum() / max((x * x).sum(), 1e-12))


def _foot_floor(runs: list[np.ndarray], fps: float) -> tuple[list[float], list[float]]:
    """Per run: median over 1 s windows of the lowest foot joint, and the spread (robust std) of those minima."""
    level, spread = [], []
    w = max(int(round(fps)), 2)
    for r in runs:
        mins = [r[a:a + w, list(FOOT_JOINTS), 1].min() for a in range(0, len(r) - w + 1, w)]
        if len(mins) >= 2:
            level.append(float(np.median(mins)))
            spread.append(float(robust_std(np.asarray(mins))))
    return level, spread


def _floor_slope(run: np.ndarray, fps: float) -> float:
    """Slope (m/s) of a line through the 1 s minima of the lowest foot joint."""
    w = max(int(round(fps)), 2)
    mins = [run[a:a + w, list(FOOT_JOINTS), 1].min() for a in range(0, len(run) - w + 1, w)]
    return float(np.polyfit(np.arange(len(mins)), mins, 1)[0])


def measure_noise(track_dir: Path, reference: list[np.ndarray], ref_fps: float, *, seed: int = 0) -> NoiseModel:
    """Measure a :class:`NoiseModel` from raw tracks in ``track_dir`` against clean ``reference`` mocap."""
    tracks = load_tracks(track_dir)
    src_fps = tracks[0]["fps"]
    ref = [resample_positions(r.astype(np.float64), ref_fps, src_fps) for r in reference]
    ref = [r for r in ref if len(r) >= MIN_RUN]
    seen = [(t, r) for t in tracks for r in _fully_seen_runs(t)]
    if len(seen) < 3:
        raise MotionbaseError(f"{track_dir}: only {len(seen)} fully seen runs of >= {MIN_RUN} frames; need 3")
    runs = [r for _, r in seen]

    # jitter, split into the body-common part (the whole person shifts, mostly along the camera ray: the
    # lift's depth) and the per-joint part (across and along the ray); each minus the mocap's own residual
    ref_res = np.concatenate([(lambda x: x - x.mean(1, keepdims=True))(jitter_residual(r)[2:-2]) for r in ref])
    ref_jit = {g: float(robust_std(ref_res[:, list(idx)].ravel())) for g, idx in GROUPS.items()}  # local, per axis
    ref_common = float(robust_std(np.concatenate([jitter_residual(r)[2:-2].mean(1).ravel() for r in ref])))
    lat_all, dep_all, common_d, common_l = {g: [] for g in GROUPS}, {g: [] for g in GROUPS}, [], []
    for t, r in seen:
        d, lat, ray = _depth_lateral(t, r)
        res = jitter_residual(r)[2:-2]
        mean = res.mean(1, keepdims=True)  # (T, 1, 3) body-common residual
        u = ray.mean(1, keepdims=True)
        cd = (mean * u).sum(-1)
        common_d.append(cd.ravel())
        common_l.append(np.linalg.norm(mean - cd[..., None] * u, axis=-1).ravel() / np.sqrt(2.0))
        local = res - mean
        ld = (local * ray).sum(-1)
        ll = local - ld[..., None] * ray
        for g, idx in GROUPS.items():
            lat_all[g].append(ll[:, list(idx)].ravel())
            dep_all[g].append(ld[:, list(idx)].ravel())
    raw_lat = {g: float(robust_std(np.concatenate(v))) for g, v in lat_all.items()}  # per axis, pooled
    raw_dep = {g: float(robust_std(np.concatenate(v))) for g, v in dep_all.items()}
    jitter = {g: float(np.sqrt(max(raw_lat[g] ** 2 - ref_jit[g] ** 2, (0.25 * raw_lat[g]) ** 2))) for g in GROUPS}
    depth_noise = {g: np.sqrt(max(raw_dep[g] ** 2 - ref_jit[g] ** 2, (0.25 * raw_dep[g]) ** 2)) for g in GROUPS}
    depth_ratio = float(np.median([max(depth_noise[g] / jitter[g], 1.0) for g in GROUPS]))
    raw_common_d = float(robust_std(np.concatenate(common_d)))
    raw_common_l = float(robust_std(np.concatenate(common_l)))
    depth_jitter = float(np.sqrt(max(raw_common_d ** 2 - ref_common ** 2, 0.0)))

    # body-common slow depth error: pelvis deviation from straight 2 s segments, along vs across the ray
    dev_d, dev_l, rhos = [], [], []
    for t, r in seen:
        dev = _detrended_pelvis(r, src_fps)
        if len(dev) < 5:
            continue
        _, _, ray = _depth_lateral(t, r)
        u = ray[:, 0].mean(0)
        u /= np.linalg.norm(u)
        along = dev @ u
        horiz = np.cross(u, [0.0, 1.0, 0.0])
        horiz /= max(np.linalg.norm(horiz), 1e-9)
        dev_d.append(along)
        dev_l.append(dev @ horiz)
        rhos.append(_lag1(along))
    sd_d = float(robust_std(np.concatenate(dev_d))) if dev_d else 0.0
    sd_l = float(robust_std(np.concatenate(dev_l))) if dev_l else 0.0
    depth_drift = float(np.sqrt(max(sd_d ** 2 - sd_l ** 2 - depth_jitter ** 2, 0.0)))
    depth_rho = float(np.clip(np.median(rhos), 0.0, 0.95)) if rhos else 0.5
    # how steeply the camera looks down at the people: median elevation of the camera -> pelvis ray
    elev = [np.degrees(np.arcsin(-_depth_lateral(t, r)[2][:, 0, 1])) for t, r in seen]
    pitch = float(np.median(np.concatenate(elev)))

    # dropouts: joints below MIN_CONF inside tracked frames (frames where the key joints are seen)
    rate, run_lengths = {}, []
    conf = np.concatenate([t["conf"] for t in tracks])
    miss = conf < MIN_CONF
    for g, idx in GROUPS.items():
        rate[g] = float(miss[:, list(idx)].mean())
    for t in tracks:
        m = t["conf"] < MIN_CONF
        for k in range(m.shape[1]):
            run_lengths += [b - a for a, b in _runs(m[:, k], 1)]
    run_mean = float(np.mean(run_lengths)) if run_lengths else 1.0

    # feet: floor level of the lowest foot joint vs mocap (per track), and its drift (slope of 1 s minima)
    foot_runs = []
    for t in tracks:
        ok = (t["conf"][:, list(FOOT_JOINTS) + [0, 1, 2]] >= MIN_CONF).all(1) & np.isfinite(t["joints"]).all((1, 2))
        foot_runs.append([t["joints"][a:b] for a, b in _runs(ok, 2 * int(round(src_fps)))])
    lvl = [float(np.median(_foot_floor(fr, src_fps)[0])) for fr in foot_runs if _foot_floor(fr, src_fps)[0]]
    ref_lvl = float(np.median(_foot_floor(ref, src_fps)[0]))
    offsets = np.asarray(lvl) - ref_lvl
    slopes = [_floor_slope(r, src_fps) for fr in foot_runs for r in fr if len(r) >= 3 * src_fps]
    ref_slopes = [_floor_slope(r, src_fps) for r in ref if len(r) >= 3 * src_fps]
    drift = float(np.sqrt(max(robust_std(np.asarray(slopes)) ** 2 - robust_std(np.asarray(ref_slopes)) ** 2, 0.0))) \
        if len(slopes) > 2 else 0.0

    # bone wobble beyond what the jitter already causes (calibrated by corrupting the mocap without it)
    raw_cv = bone_cv(runs)
    model = NoiseModel(source_fps=src_fps, jitter_m=jitter, depth_ratio=depth_ratio,
                       camera_pitch_deg=float(pitch), depth_drift_m=depth_drift, depth_rho=depth_rho,
                       depth_jitter_m=depth_jitter, dropout_rate=rate, dropout_run_frames=run_mean,
                       floor_offset_mean_m=float(np.median(offsets)) if len(offsets) else 0.0,
                       floor_offset_std_m=float(robust_std(offsets)) if len(offsets) > 2 else 0.0,
                       floor_drift_m_per_s=drift, bone_scale_std=0.0)
    # The per-joint depth jitter above is partly shared by neighbouring joints (the lift moves a limb as a
    # whole), which a per-joint model cannot express; independent noise of that size would stretch bones far
    # more than measured. So the ratio is lowered (x 0.8 steps) until the simulated bone CV is <= the raw one,
    # and what is left of the raw bone CV becomes the explicit bone-length wobble.
    measured_ratio = model.depth_ratio
    while True:
        sim_cv = bone_cv([corrupt(r, np.random.default_rng(seed + k), model, fps=src_fps)[0].astype(np.float64)
                          for k, r in enumerate(ref[:40])])
        if sim_cv <= raw_cv or model.depth_ratio <= 1.0:
            break
        model.depth_ratio = max(1.0, model.depth_ratio * 0.8)
    model.bone_scale_std = float(np.sqrt(max(raw_cv ** 2 - sim_cv ** 2, 0.0)))
    model.measured = {
        "tracks": len(tracks), "fully_seen_runs": len(runs), "source_fps": src_fps,
        "raw_local_jitter_across_ray_m": raw_lat, "mocap_local_jitter_m": ref_jit,
        "pelvis_dev_along_ray_m": sd_d, "pelvis_dev_across_ray_m": sd_l,
        "raw_bone_cv": raw_cv, "local_depth_ratio_measured": measured_ratio, "bone_cv_from_jitter_alone": sim_cv,
        "foot_floor_level_m": lvl, "mocap_foot_floor_level_m": ref_lvl,
        "foot_floor_slopes_m_per_s": slopes, "mocap_floor_slope_std": float(robust_std(np.asarray(ref_slopes))),
        "raw_common_jitter_along_ray_m": raw_common_d, "raw_common_jitter_across_ray_m": raw_common_l,
        "mocap_common_jitter_m": ref_common, "raw_local_jitter_along_ray_m": raw_dep,
        "raw_jitter_all_axes_m": jitter_std(runs),
        "reference_clips": len(ref),
    }
    return model
