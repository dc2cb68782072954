"""What our video pose estimates look like, as a noise model that corrupts clean motion.

:class:`NoiseModel` holds measured parameters (see :mod:`motionbase.prior.measure` and docs/PRIOR.md);
:func:`corrupt` applies them to clean joints: bone-length wobble, per-joint jitter (white at the perception
rate, larger along the camera ray), a slowly varying depth error common to the body (AR(1) along the ray),
visibility dropouts in runs (with the tracker's stale guesses in place of the joint), and a per-clip floor
offset with linear drift. The estimators here (:func:`jitter_std`, :func:`bone_cv`) are the ones the
measurement uses, so a test can check that corrupting mocap reproduces the measured statistics.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..defaults.paths import models_root
from ..errors import MotionbaseError
from ..skeleton.definition import get_skeleton

SKEL = get_skeleton("smpl22")
# Joint groups (SMPL-22 indices); every measured per-group number uses these.
GROUPS: dict[str, tuple[int, ...]] = {
    "core": (0, 1, 2, 3, 6, 9),
    "head": (12, 15),
    "shoulders": (13, 14, 16, 17),
    "hands": (18, 19, 20, 21),
    "knees": (4, 5),
    "feet": (7, 8, 10, 11),
}
FOOT_JOINTS = (7, 8, 10, 11)
JITTER_SIGMA_FRAMES = 1.0  # the "smooth fit" the jitter is measured against, in source frames
NOISE_FILE = "noise_model.json"


@dataclass
class NoiseModel:
    """Measured noise of the video pipeline's lifted joints (metres, seconds; source rate ``source_fps``)."""

    source_fps: float = 10.0
    jitter_m: dict[str, float] = field(default_factory=lambda: {g: 0.02 for g in GROUPS})  # lateral, white
    depth_ratio: float = 2.0  # per-joint jitter along the camera ray / across it
    depth_jitter_m: float = 0.03  # body-common white jitter along the ray
    camera_pitch_deg: float = 25.0  # ray elevation (camera looks down)
    depth_drift_m: float = 0.05  # std of the body-common error along the ray
    depth_rho: float = 0.8  # its lag-1 autocorrelation at source_fps
    dropout_rate: dict[str, float] = field(default_factory=lambda: {g: 0.05 for g in GROUPS})
    dropout_run_frames: float = 2.0  # mean run length of a dropout, source frames
    floor_offset_mean_m: float = 0.0
    floor_offset_std_m: float = 0.03
    floor_drift_m_per_s: float = 0.005
    bone_scale_std: float = 0.03
    measured: dict = field(default_factory=dict)  # the raw measurements and their sources

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str = "noise model") -> "NoiseModel":
        try:
            data = json.loads(text)
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise MotionbaseError(f"{where}: not a noise model JSON ({exc})") from None


def default_noise_path() -> Path:
    return models_root() / "prior" / NOISE_FILE


def load_noise_model(path: str | Path | None = None) -> NoiseModel:
    """The shipped noise model (``assets/models/prior/noise_model.json``) or the one at ``path``."""
    path = Path(path) if path is not None else default_noise_path()
    if not path.is_file():
        raise MotionbaseError(f"{path}: no noise model (expected {NOISE_FILE}, written by scripts/train_prior.py)")
    return NoiseModel.from_json(path.read_text(), str(path))


# ---- estimators (shared by measurement and tests) ----

def jitter_residual(joints: np.ndarray) -> np.ndarray:
    """(T, J, 3) -> (T, J, 3) high-frequency residual: joints minus a Gaussian smooth fit (sigma 1 frame)."""
    return joints - gaussian_filter1d(joints, JITTER_SIGMA_FRAMES, axis=0, mode="nearest")


def robust_std(x: np.ndarray, axis=None) -> np.ndarray:
    """1.4826 x median absolute deviation from the median (outlier-proof std)."""
    med = np.median(x, axis=axis, keepdims=True)
    return 1.4826 * np.median(np.abs(x - med), axis=axis)


def jitter_std(runs: list[np.ndarray]) -> dict[str, float]:
    """Per joint group: robust std (metres, per axis) of :func:`jitter_residual` pooled over ``runs``
    (each (T, 22, 3) at the source rate, T >= 5, all valid)."""
    res = [jitter_residual(r)[2:-2] for r in runs if len(r) >= 5]
    if not res:
        raise MotionbaseError("no run of >= 5 frames to measure jitter on")
    pooled = np.concatenate(res, axis=0)
    return {g: float(robust_std(pooled[:, list(idx)].ravel())) for g, idx in GROUPS.items()}


def bone_cv(runs: list[np.ndarray]) -> float:
    """Median over runs and bones of the coefficient of variation of bone length (robust std / median)."""
    cvs = []
    for r in runs:
        if len(r) < 5:
            continue
        lengths = np.linalg.norm(r[:, 1:] - r[:, list(SKEL.parents[1:])], axis=-1)  # (T, 21)
        cvs.append(robust_std(lengths, axis=0) / np.maximum(np.median(lengths, axis=0), 1e-3))
    return float(np.median(np.concatenate(cvs)))


# ---- corruption ----

def _resample_noise(noise_src: np.ndarray, src_fps: float, n: int, fps: float) -> np.ndarray:
    """Noise drawn at the source rate, linearly interpolated to ``n`` frames at ``fps`` (what resampling does)."""
    if abs(src_fps - fps) < 1e-9:
        return noise_src[:n]
    pos = np.minimum(np.arange(n) / fps * src_fps, len(noise_src) - 1.0)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, len(noise_src) - 1)
    w = (pos - i0).reshape((n,) + (1,) * (noise_src.ndim - 1))
    return noise_src[i0] * (1.0 - w) + noise_src[i1] * w


def _group_values(values: dict[str, float]) -> np.ndarray:
    out = np.zeros(SKEL.num_joints)
    for g, idx in GROUPS.items():
        out[list(idx)] = values[g]
    return out


def _wobble_bones(joints: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Scale every bone (child minus parent) by ``scale`` (T, J), propagating down the chains."""
    out = joints.copy()
    for j in range(1, joints.shape[1]):  # SMPL-22 parents precede children
        p = SKEL.parents[j]
        out[:, j] = out[:, p] + (joints[:, j] - joints[:, p]) * scale[:, j:j + 1]
    return out


def _dropouts(rng: np.random.Generator, n: int, rate: np.ndarray, run: float) -> np.ndarray:
    """(n, J) bool: two-state Markov chain per joint with stationary rate ``rate`` and mean run ``run``."""
    p_stay = 1.0 - 1.0 / max(run, 1.0)
    p_start = np.clip(rate / np.maximum(1.0 - rate, 1e-6) * (1.0 - p_stay), 0.0, 1.0)
    state = rng.random(len(rate)) < rate
    out = np.empty((n, len(rate)), dtype=bool)
    for t in range(n):
        u = rng.random(len(rate))
        state = np.where(state, u < p_stay, u < p_start)
        out[t] = state
    return out


def corrupt(joints_m: np.ndarray, rng: np.random.Generator, model: NoiseModel | None = None, *,
            fps: float = 20.0, strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Clean (T, 22, 3) joints -> (noisy joints, visibility (T, 22) in [0, 1]) as our pose estimates look.

    ``strength`` scales every noise amplitude and rate (1 = as measured). Invisible joints hold stale
    positions (the last seen one plus jitter), as a tracker's guesses do.
    """
    model = model or load_noise_model()
    j = np.asarray(joints_m, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (22, 3) or len(j) == 0:
        raise MotionbaseError(f"corrupt: joints {j.shape}, expected (T, 22, 3) with T >= 1")
    n, J = j.shape[0], 22
    n_src = int(np.ceil(n / fps * model.source_fps)) + 2
    s = strength
    # camera ray: from a camera somewhere around the subject, looking down at the measured pitch
    yaw = rng.uniform(0, 2 * np.pi)
    pitch = np.deg2rad(model.camera_pitch_deg * rng.uniform(0.5, 1.5))
    ray = np.array([np.sin(yaw) * np.cos(pitch), -np.sin(pitch), np.cos(yaw) * np.cos(pitch)])
    # 1. bone-length wobble
    scale = 1.0 + s * model.bone_scale_std * rng.standard_normal((n_src, J))
    out = _wobble_bones(j, _resample_noise(scale, model.source_fps, n, fps))
    # 2. jitter: isotropic lateral + extra along the ray
    lat = _group_values(model.jitter_m)[None, :, None] * s
    white = rng.standard_normal((n_src, J, 3)) * lat
    along = rng.standard_normal((n_src, J, 1)) * lat * np.sqrt(max(model.depth_ratio ** 2 - 1.0, 0.0))
    jit = white + along * ray
    # 3. body-common depth error along the ray: white + slow AR(1)
    rho = model.depth_rho
    e = np.empty(n_src)
    e[0] = rng.standard_normal()
    for t in range(1, n_src):
        e[t] = rho * e[t - 1] + np.sqrt(1 - rho ** 2) * rng.standard_normal()
    common = model.depth_drift_m * e + model.depth_jitter_m * rng.standard_normal(n_src)
    depth = (s * common)[:, None, None] * ray
    out = out + _resample_noise(jit + depth, model.source_fps, n, fps)
    # 4. floor offset and drift
    t = np.arange(n) / fps
    offset = s * (model.floor_offset_mean_m + model.floor_offset_std_m * rng.standard_normal())
    drift = s * model.floor_drift_m_per_s * rng.standard_normal() * (t - t.mean())
    out[..., 1] += offset + drift[:, None]
    # 5. dropouts: stale positions, low visibility
    rate = np.clip(_group_values(model.dropout_rate) * s, 0.0, 0.95)
    miss_src = _dropouts(rng, n_src, rate, model.dropout_run_frames)
    idx = np.minimum((np.arange(n) / fps * model.source_fps).astype(int), n_src - 1)
    miss = miss_src[idx]
    vis = np.where(miss, rng.uniform(0.0, 0.3, (n, J)), rng.uniform(0.6, 1.0, (n, J)))
    for k in range(J):
        for f in np.flatnonzero(miss[:, k]):
            out[f, k] = out[f - 1, k] if f > 0 else out[f, k]
    return out.astype(np.float32), vis.astype(np.float32)
