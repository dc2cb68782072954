"""Clean one person's lifted joints: reject bad frames, fill short gaps, smooth in time, fix bone lengths.

The paper (section 3, step 2) applies temporal smoothing and per-clip 3D bone-length constraints to its
keypoints. Here, on SMPL-22 joints (T, 22, 3) in metres with per-joint confidences (T, 22) in [0, 1]:

- :func:`good_frames` marks frames whose key joints (hips, shoulders, knees, ankles) are confidently seen,
  and :func:`root_outliers` those whose position jumps away from their neighbours';
- :func:`good_runs` splits a track at gaps longer than ``max_gap_s`` and keeps runs of at least
  ``min_seconds``; shorter gaps are filled by linear interpolation (:func:`fill_gaps`);
- :func:`smooth` is a confidence-weighted Gaussian filter (normalised convolution), with separate widths for
  the root trajectory and the root-relative pose: their errors have different sources (the translation
  solved from 2D keypoints moves the whole body at once; the 3D pose model jitters joint by joint);
- :func:`clip_bone_lengths` takes one length per bone for the whole clip (the confidence-weighted median)
  and :func:`enforce_bone_lengths` moves the joints as little as it can to give every bone that length
  (symmetric projections, then one exact pass along the chains), so the skeleton is rigid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..config import Config
from ..errors import ShapeError
from ..skeleton import SMPL22, Skeleton


@dataclass(frozen=True)
class CleanConfig(Config):
    """Thresholds and filter widths (seconds are converted with the track's frame rate)."""

    min_conf: float = 0.5  # a key joint counts as seen at this confidence (MediaPipe visibility)
    min_key_fraction: float = 0.75  # fraction of key joints that must be seen in a good frame
    max_gap_s: float = 0.5  # longer runs of bad frames split the track
    min_seconds: float = 2.0  # shorter runs are rejected
    sigma_pose_s: float = 0.06  # Gaussian sigma for root-relative joints
    sigma_root_s: float = 0.1  # Gaussian sigma for the root trajectory
    max_bone_cv: float = 0.2  # reject a run whose bones stretch more than this (after smoothing; see below)
    max_root_jump_m: float = 0.5  # a frame whose root is this far from its neighbours' median is bad
    max_speed_m_s: float = 12.0  # reject a run whose smoothed root moves faster than this


KEY_JOINTS = tuple(SMPL22.index(n) for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder",
                                              "left_knee", "right_knee", "left_ankle", "right_ankle"))


def _check(joints: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    j = np.asarray(joints, dtype=np.float64)
    c = np.asarray(conf, dtype=np.float64)
    if j.ndim != 3 or j.shape[2] != 3 or c.shape != j.shape[:2]:
        raise ShapeError(f"joints {j.shape} and confidences {c.shape}; expected (T, J, 3) and (T, J)")
    return j, np.where(np.isfinite(j).all(-1), np.clip(c, 0.0, 1.0), 0.0)


def good_frames(conf: np.ndarray, config: CleanConfig = CleanConfig(), key_joints=KEY_JOINTS) -> np.ndarray:
    """(T, J) confidences -> (T,) bool: at least ``min_key_fraction`` of the key joints seen confidently."""
    seen = np.asarray(conf)[:, list(key_joints)] >= config.min_conf
    return seen.mean(axis=1) >= config.min_key_fraction


def root_outliers(joints: np.ndarray, good: np.ndarray, fps: float, config: CleanConfig = CleanConfig(),
                  root: int = 0) -> np.ndarray:
    """(T,) bool: good frames whose root is more than ``max_root_jump_m`` from the median of the good roots
    within 0.25 s either side (a pose on the wrong person, a foot mistaken for the one on the floor)."""
    idx = np.flatnonzero(good)
    out = np.zeros(len(good), dtype=bool)
    if idx.size < 3:
        return out
    r = joints[idx, root]
    half = max(1, int(round(0.25 * fps)))
    med = np.stack([np.median(r[max(0, i - half):i + half + 1], axis=0) for i in range(len(idx))])
    out[idx] = np.linalg.norm(r - med, axis=-1) > config.max_root_jump_m
    return out


def good_runs(good: np.ndarray, fps: float, config: CleanConfig = CleanConfig()) -> list[tuple[int, int]]:
    """Half-open frame ranges [a, b) of good frames where gaps of at most ``max_gap_s`` are bridged and each
    range lasts at least ``min_seconds``; ranges start and end on good frames."""
    idx = np.flatnonzero(np.asarray(good, dtype=bool))
    if idx.size == 0:
        return []
    max_gap = int(round(config.max_gap_s * fps))
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    stops = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    min_len = int(np.ceil(config.min_seconds * fps - 1e-9))
    return [(int(a), int(b)) for a, b in zip(starts, stops) if b - a >= min_len]


def fill_gaps(joints: np.ndarray, good: np.ndarray) -> np.ndarray:
    """(T, J, 3) joints with bad frames replaced by linear interpolation between good ones (held at the ends)."""
    j = np.array(joints, dtype=np.float64)
    good = np.asarray(good, dtype=bool) & np.isfinite(j).all(axis=(1, 2))
    if not good.any():
        raise ShapeError("fill_gaps: no good frame to interpolate from")
    t, known = np.arange(len(j)), np.flatnonzero(good)
    flat = j.reshape(len(j), -1)
    for k in range(flat.shape[1]):
        flat[:, k] = np.interp(t, known, flat[known, k])
    return flat.reshape(j.shape)


def weighted_gaussian(x: np.ndarray, w: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Normalised convolution along axis 0: Gaussian-smooth ``x`` (T, ...) with per-sample weights (T, ...)
    broadcastable to ``x``; low-weight samples borrow from their neighbours."""
    if sigma_frames <= 0:
        return np.array(x, dtype=np.float64)
    w = np.broadcast_to(np.asarray(w, dtype=np.float64), x.shape)
    num = gaussian_filter1d(x * w, sigma_frames, axis=0, mode="nearest")
    den = gaussian_filter1d(w, sigma_frames, axis=0, mode="nearest")
    return np.where(den > 1e-6, num / np.maximum(den, 1e-6), x)


def smooth(joints: np.ndarray, conf: np.ndarray, fps: float, config: CleanConfig = CleanConfig(),
           root: int = 0) -> np.ndarray:
    """(T, J, 3) joints (no NaN) and (T, J) confidences -> smoothed joints: the root trajectory with sigma
    ``sigma_root_s``, root-relative joints with ``sigma_pose_s`` (confidence-weighted; weights floored at
    0.05 so interpolated frames still follow their neighbours)."""
    j, c = _check(joints, conf)
    w = np.maximum(c, 0.05)[..., None]
    rootpos = weighted_gaussian(j[:, root], w[:, root], config.sigma_root_s * fps)
    rel = weighted_gaussian(j - j[:, root:root + 1], w, config.sigma_pose_s * fps)
    return rel + rootpos[:, None, :]


def clip_bone_lengths(joints: np.ndarray, conf: np.ndarray, skeleton: Skeleton = SMPL22) -> np.ndarray:
    """(J,) bone length to the parent (0 for the root), the confidence-weighted median over frames (metres)."""
    j, c = _check(joints, conf)
    parents = np.asarray(skeleton.parents)
    out = np.zeros(j.shape[1])
    for b in range(j.shape[1]):
        p = parents[b]
        if p < 0:
            continue
        length = np.linalg.norm(j[:, b] - j[:, p], axis=-1)
        w = np.minimum(c[:, b], c[:, p])
        ok = np.isfinite(length) & (w > 0)
        if not ok.any():
            out[b] = skeleton.bone_lengths_m[b]
            continue
        order = np.argsort(length[ok])
        cum = np.cumsum(w[ok][order])
        out[b] = length[ok][order][np.searchsorted(cum, 0.5 * cum[-1])]
    return out


def bone_length_spread(joints: np.ndarray, skeleton: Skeleton = SMPL22) -> float:
    """How much the bones stretch over time: sum over bones of the std of the length / sum of the mean
    lengths (length-weighted, so short bones such as spine3 do not dominate). 0 for a rigid skeleton."""
    parents = np.asarray(skeleton.parents)
    bones = [b for b in range(len(parents)) if parents[b] >= 0]
    lengths = np.linalg.norm(joints[:, bones] - joints[:, parents[bones]], axis=-1)
    return float(lengths.std(0).sum() / max(lengths.mean(0).sum(), 1e-9))


def enforce_bone_lengths(joints: np.ndarray, lengths_m: np.ndarray, skeleton: Skeleton = SMPL22, *,
                         iterations: int = 10) -> np.ndarray:
    """(T, J, 3) -> (T, J, 3) with every bone exactly ``lengths_m`` (J,) long, as close to the input as
    possible: first ``iterations`` sweeps of symmetric projections (each bone moves both of its joints
    half-way to its length, so corrections spread over the skeleton instead of piling up along the
    chains), then one pass from the root outwards that sets each bone to its length along its current
    direction. The root moves only by the projections."""
    j = np.array(joints, dtype=np.float64)
    parents = np.asarray(skeleton.parents)
    bones = np.array([b for b in range(len(parents)) if parents[b] >= 0])
    for _ in range(iterations):
        for b in bones:
            p = parents[b]
            d = j[:, b] - j[:, p]
            n = np.linalg.norm(d, axis=-1, keepdims=True)
            fix = 0.5 * (n - lengths_m[b]) * d / np.maximum(n, 1e-9)
            j[:, b] -= fix
            j[:, p] += fix
    out = np.empty_like(j)
    for b in _topological(skeleton.parents):
        p = skeleton.parents[b]
        if p < 0:
            out[:, b] = j[:, b]
            continue
        d = j[:, b] - j[:, p]
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        d = np.where(n > 1e-9, d / np.maximum(n, 1e-9), skeleton.raw_offsets[b])
        out[:, b] = out[:, p] + lengths_m[b] * d
    return out


def _topological(parents) -> list[int]:
    order, placed = [], set()
    while len(order) < len(parents):
        for b, p in enumerate(parents):
            if b not in placed and (p < 0 or p in placed):
                order.append(b)
                placed.add(b)
    return order


@dataclass
class CleanRun:
    """A cleaned run of a track: frames [start, stop) of the input, joints (stop-start, J, 3) metres."""

    start: int
    stop: int
    joints: np.ndarray
    bone_lengths_m: np.ndarray


def clean_track(joints: np.ndarray, conf: np.ndarray, fps: float, config: CleanConfig = CleanConfig(),
                skeleton: Skeleton = SMPL22) -> tuple[list[CleanRun], list[str]]:
    """Reject, fill, smooth and fix bone lengths of one track at ``fps``.

    Returns the cleaned runs and the reasons why frames or runs were dropped (one line each).
    """
    j, c = _check(joints, conf)
    good = good_frames(c, config)
    good &= ~root_outliers(j, good, fps, config)
    notes: list[str] = []
    runs: list[CleanRun] = []
    spans = good_runs(good, fps, config)
    if not spans:
        notes.append(f"no run of {config.min_seconds:g} s with hips, shoulders, knees and ankles visible "
                     f"({int(good.sum())} of {len(good)} frames good)")
    for a, b in spans:
        cs = np.where(good[a:b, None], c[a:b], 0.0)
        seg = smooth(fill_gaps(j[a:b], good[a:b]), cs, fps, config)
        spread = bone_length_spread(seg, skeleton)
        if spread > config.max_bone_cv:
            notes.append(f"frames {a}-{b}: bone lengths vary by {spread:.0%} (> {config.max_bone_cv:.0%})")
            continue
        speed = np.linalg.norm(np.diff(seg[:, 0], axis=0), axis=-1).max(initial=0.0) * fps
        if speed > config.max_speed_m_s:
            notes.append(f"frames {a}-{b}: root moves at {speed:.1f} m/s (> {config.max_speed_m_s:g})")
            continue
        lengths = clip_bone_lengths(seg, cs, skeleton)
        runs.append(CleanRun(a, b, enforce_bone_lengths(seg, lengths, skeleton), lengths))
    return runs, notes
