"""A static camera over a flat floor, calibrated from the people walking on it, and depth from foot contact.

Hoiem, Efros and Hebert ("Putting objects in perspective", CVPR 2006): for a camera of small pitch, a person
of height H metres standing at image row v_f (the feet) appears h pixels tall with

    v_f = v_0 + y_c * (h / H),

where v_0 is the horizon's row and y_c the camera's height above the floor in metres. Every observed frame
of every person is one sample (v_f, h / H): ``h`` from the 2D keypoints (head to lowest foot, pixels), ``H``
from MediaPipe's metric 3D pose (the same segment, metres). A robust line fit (:func:`fit_ground`) gives the
horizon, hence the camera's pitch, and its height; it needs people at different distances (their h / H
must spread by ``min_spread``), otherwise it reports None and the caller falls back to
:func:`motionbase.pipeline.lift.estimate_up`.

With the floor known, a person's depth in each frame comes from where the ray through the lowest foot
keypoint meets the floor (:func:`foot_contact_translation`): at 13 m from a camera 3 m up, 2 px of keypoint
noise move the person by about 15 cm, where depth from body size (a 90 px tall person) moves by about 60 cm.
The price: a foot in the air (a jump) is put on the floor too. Camera roll is assumed zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import SMPL22
from .lift import Camera, LiftedTrack

_HEAD = SMPL22.index("head")
_FEET = np.array([SMPL22.index(n) for n in ("left_ankle", "right_ankle", "left_foot", "right_foot")])


@dataclass(frozen=True)
class GroundPlane:
    """horizon_px: image row of the horizon (pixels; above the centre when the camera looks down);
    height_m: the camera's height above the floor (metres); samples: observations the fit used."""

    horizon_px: float
    height_m: float
    samples: int = 0

    def pitch(self, camera: Camera) -> float:
        """Downward tilt of the optical axis, radians (positive: looking down)."""
        return float(np.arctan2(camera.cy - self.horizon_px, camera.focal_px))

    def up(self, camera: Camera) -> np.ndarray:
        """World up (3,) in camera axes (x right, y down, z forward), zero roll."""
        p = self.pitch(camera)
        return np.array([0.0, -np.cos(p), -np.sin(p)])

    @property
    def floor_h(self) -> float:
        """The floor's height along ``up`` in camera axes (metres): -height_m."""
        return -self.height_m


def _lowest_foot(lt: LiftedTrack, min_conf: float) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the confident foot joint lowest in the image (the one on the floor) and whether any was."""
    v = np.where(lt.conf[:, _FEET] >= min_conf, np.nan_to_num(lt.keypoints_px[:, _FEET, 1], nan=-np.inf), -np.inf)
    return _FEET[v.argmax(axis=1)], np.isfinite(v.max(axis=1))


def ground_samples(lt: LiftedTrack, up_rough: np.ndarray, *, min_conf: float = 0.5,
                   max_lean_deg: float = 20.0) -> np.ndarray:
    """(N, 2) samples [v_foot (px), h / H (px per metre)] from the frames where the person stands upright
    (trunk within ``max_lean_deg`` of ``up_rough``) with head and a foot confidently seen."""
    foot, ok = _lowest_foot(lt, min_conf)
    idx = np.arange(len(foot))
    px, rel = lt.keypoints_px, lt.rel_cam
    trunk = rel[:, SMPL22.index("neck")] - rel[:, SMPL22.index("pelvis")]
    cos = trunk @ up_rough / np.maximum(np.linalg.norm(trunk, axis=-1), 1e-9)
    height_m = (rel[:, _HEAD] - rel[idx, foot]) @ up_rough
    height_px = px[idx, foot, 1] - px[:, _HEAD, 1]
    ok &= (lt.conf[:, _HEAD] >= min_conf) & (cos > np.cos(np.radians(max_lean_deg)))
    ok &= (height_m > 0.5) & (height_px > 10) & np.isfinite(height_px)
    return np.stack([px[idx, foot, 1][ok], (height_px / np.maximum(height_m, 1e-9))[ok]], axis=1)


def fit_ground(samples: np.ndarray, camera: Camera, *, min_samples: int = 20, min_spread: float = 1.25,
               min_height_m: float = 0.3, max_height_m: float = 50.0) -> GroundPlane | None:
    """Robust fit of ``v_foot = horizon + height * (h / H)`` over (N, 2) samples, or None when the samples do
    not span enough distances (``max/min`` of h/H below ``min_spread``) or the result is implausible."""
    from scipy.optimize import least_squares

    s = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    s = s[np.isfinite(s).all(axis=1)]
    if len(s) < min_samples:
        return None
    lo, hi = np.percentile(s[:, 1], [5, 95])
    if not (lo > 0 and hi / lo >= min_spread):
        return None
    A = np.stack([np.ones(len(s)), s[:, 1]], axis=1)
    x0 = np.linalg.lstsq(A, s[:, 0], rcond=None)[0]
    fit = least_squares(lambda x: A @ x - s[:, 0], x0, loss="soft_l1", f_scale=3.0)  # pixels
    horizon, height = (float(v) for v in fit.x)
    if not (min_height_m <= height <= max_height_m) or abs(camera.cy - horizon) > 3 * camera.focal_px:
        return None
    return GroundPlane(horizon, height, len(s))


def foot_contact_translation(lt: LiftedTrack, camera: Camera, plane: GroundPlane, *, min_conf: float = 0.5,
                             min_below_horizon_px: float = 5.0) -> np.ndarray:
    """(T, 3) camera-frame translations putting the lowest confident foot keypoint on the floor: the ray
    through its pixel meets the plane ``p . up = -height``; frames with no confident foot, or a foot within
    ``min_below_horizon_px`` of the horizon (the floor seen edge-on), keep the size-based translation."""
    foot, ok = _lowest_foot(lt, min_conf)
    idx = np.arange(len(foot))
    up = plane.up(camera)
    xy = camera.normalized(lt.keypoints_px[idx, foot])
    ray = np.concatenate([xy, np.ones((len(foot), 1))], axis=1)
    down = ray @ up  # < 0 below the horizon
    below = lt.keypoints_px[idx, foot, 1] - plane.horizon_px
    ok &= np.isfinite(ray).all(axis=1) & (below > min_below_horizon_px) & (down < 0)
    t = np.array(lt.transl, dtype=np.float64)
    depth = plane.floor_h / np.where(ok, down, -1.0)
    t[ok] = depth[ok, None] * ray[ok] - lt.rel_cam[idx[ok], foot[ok]]
    return t
