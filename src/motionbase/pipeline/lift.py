"""From per-crop pose to SMPL-22 joints in a world frame: the joint map, the camera model, the trajectory.

MediaPipe Pose gives, per person and frame, 33 landmarks twice: 2D in pixels (with a visibility) and 3D
"world" landmarks in metres, centred between the hips, y pointing down, z away from the camera, but with
no translation and seen as if the person stood on the optical axis of the crop. This module

1. maps the 33 landmarks to the SMPL-22 joint layout (:data:`MP33_TO_SMPL22`, a fixed (22, 33) matrix of
   affine weights, so the same map applies to 2D pixels, 3D points and, with :func:`smpl22_confidence`,
   to confidences); spine, neck, collars and head have no MediaPipe landmark and are synthesised from
   hips, shoulders and ears at the heights the SMPL rest pose puts them;
2. turns the crop-centred 3D pose into camera axes (:func:`ray_rotation`: the rotation taking the optical
   axis onto the ray through the person; without it, people near the image edge come out tilted);
3. finds the translation of the body in the camera frame from the 2D keypoints (:func:`solve_translation`:
   a weighted linear least-squares fit of the pinhole projection of the 3D pose to the 2D keypoints);
4. estimates the camera's up direction (:func:`estimate_up`: from the people's trunks and the floor their
   feet touch; :mod:`.ground` does better where people are seen at several distances) and rotates
   everything into a world frame with Y up (:func:`camera_to_world`).

Camera assumptions (stated, and the only ones): a pinhole camera with square pixels, the principal point at
the image centre and a horizontal field of view of ``hfov_deg`` (60 degrees unless known); the camera does
not move within a clip; people stand on a common floor. The absolute depth scales with MediaPipe's metric
body size estimate, so a 5 % size error gives a 5 % error in distance to the camera.

Axes: camera frame x right, y down, z forward (OpenCV). World frame: Y up, and a person facing the camera
faces +Z with their left at +X (the motionbase convention), so a level camera maps (x, y, z) to (x, -y, -z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError
from ..skeleton import SMPL22

MP33_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)

# Where SMPL puts its trunk joints, as fractions of the hip-midpoint -> mid-shoulder vector (mean of the two
# HumanML3D clips in tests/data, SMPL joints of two AMASS subjects): the pelvis joint sits 0.175 of the way
# up (about 8 cm above the hip joints), spine1 0.42, spine2 0.70, spine3 0.80, collars 1.04 (and 36 % of the
# way out to the shoulders), neck 1.25.
_TRUNK_FRACTION = {"pelvis": 0.175, "spine1": 0.42, "spine2": 0.70, "spine3": 0.80, "collar": 1.04, "neck": 1.25}
_COLLAR_OUT = 0.36
_HEAD_FROM_NECK = 0.6  # SMPL's head joint (skull base) lies 60 % of the way from neck to the ears' midpoint
_FOOT_FROM_ANKLE = 0.75  # SMPL's foot joint (ball of the foot) 75 % of the way from ankle to toe tip


def _mp33_to_smpl22() -> np.ndarray:
    mp = {name: i for i, name in enumerate(MP33_NAMES)}
    W = np.zeros((22, 33))

    def put(joint: str, weights: dict[str, float]) -> None:
        for name, w in weights.items():
            W[SMPL22.index(joint), mp[name]] += w

    hips = {"left_hip": 0.5, "right_hip": 0.5}
    shoulders = {"left_shoulder": 0.5, "right_shoulder": 0.5}

    def trunk(fraction: float) -> dict[str, float]:  # hip midpoint + fraction * (mid-shoulder - hip midpoint)
        out = {k: (1 - fraction) * v for k, v in hips.items()}
        out.update({k: fraction * v for k, v in shoulders.items()})
        return out

    for side in ("left", "right"):
        other = "right" if side == "left" else "left"
        for smpl, mpn in (("hip", "hip"), ("knee", "knee"), ("ankle", "ankle"), ("shoulder", "shoulder"),
                          ("elbow", "elbow"), ("wrist", "wrist")):
            put(f"{side}_{smpl}", {f"{side}_{mpn}": 1.0})
        put(f"{side}_foot", {f"{side}_ankle": 1 - _FOOT_FROM_ANKLE, f"{side}_foot_index": _FOOT_FROM_ANKLE})
        # collar = trunk point at collar height + _COLLAR_OUT * (shoulder - mid-shoulder)
        put(f"{side}_collar", trunk(_TRUNK_FRACTION["collar"]))
        put(f"{side}_collar", {f"{side}_shoulder": _COLLAR_OUT * 0.5, f"{other}_shoulder": -_COLLAR_OUT * 0.5})
    for name in ("pelvis", "spine1", "spine2", "spine3", "neck"):
        put(name, trunk(_TRUNK_FRACTION[name]))
    neck = trunk(_TRUNK_FRACTION["neck"])
    put("head", {k: (1 - _HEAD_FROM_NECK) * v for k, v in neck.items()})
    put("head", {"left_ear": _HEAD_FROM_NECK * 0.5, "right_ear": _HEAD_FROM_NECK * 0.5})
    return W


MP33_TO_SMPL22 = _mp33_to_smpl22()
"""(22, 33) affine weights (each row sums to 1): SMPL-22 joint j = sum_i W[j, i] * MediaPipe landmark i."""


def to_smpl22(points_mp33: np.ndarray) -> np.ndarray:
    """(..., 33, D) MediaPipe landmarks (pixels or metres) -> (..., 22, D) SMPL-22 joints, same units."""
    p = np.asarray(points_mp33, dtype=np.float64)
    if p.ndim < 2 or p.shape[-2] != 33:
        raise ShapeError(f"MediaPipe landmarks have shape {p.shape}, expected (..., 33, D)")
    return np.einsum("ji,...id->...jd", MP33_TO_SMPL22, p)


def smpl22_confidence(conf_mp33: np.ndarray) -> np.ndarray:
    """(..., 33) landmark confidences in [0, 1] -> (..., 22): each joint gets the least confidence among the
    landmarks it is built from (a synthesised joint is only as good as its weakest source)."""
    c = np.asarray(conf_mp33, dtype=np.float64)
    used = MP33_TO_SMPL22 != 0
    return np.where(used, c[..., None, :], np.inf).min(axis=-1)


# ---------------------------------------------------------------- camera


@dataclass(frozen=True)
class Camera:
    """Pinhole camera: focal length and principal point in pixels, image size in pixels."""

    focal_px: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_fov(cls, width: int, height: int, hfov_deg: float = 60.0) -> "Camera":
        """Principal point at the image centre, focal length from the horizontal field of view (degrees)."""
        if not (0.0 < hfov_deg < 180.0) or width < 1 or height < 1:
            raise ShapeError(f"camera: {width}x{height} px with a {hfov_deg} degree field of view is impossible")
        focal = 0.5 * width / np.tan(np.radians(hfov_deg) / 2.0)
        return cls(float(focal), width / 2.0, height / 2.0, int(width), int(height))

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """(..., 3) points in camera axes (metres, z > 0) -> (..., 2) pixels."""
        p = np.asarray(points_cam, dtype=np.float64)
        return np.stack([self.focal_px * p[..., 0] / p[..., 2] + self.cx,
                         self.focal_px * p[..., 1] / p[..., 2] + self.cy], axis=-1)

    def normalized(self, pixels: np.ndarray) -> np.ndarray:
        """(..., 2) pixels -> (..., 2) normalised image coordinates ((u - cx) / f, (v - cy) / f)."""
        px = np.asarray(pixels, dtype=np.float64)
        return (px - np.array([self.cx, self.cy])) / self.focal_px


def ray_rotation(camera: Camera, pixels: np.ndarray) -> np.ndarray:
    """(..., 2) pixels -> (..., 3, 3) rotations taking the optical axis (0, 0, 1) onto the ray through each
    pixel by the shortest arc. A pose estimated on a crop centred there is in the rotated frame."""
    xy = camera.normalized(pixels)
    d = np.concatenate([xy, np.ones(xy.shape[:-1] + (1,))], axis=-1)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    # shortest-arc rotation from z to d: axis z x d = (-dy, dx, 0), cos = dz (Rodrigues, no singularity: dz > 0)
    x, y, c = d[..., 0], d[..., 1], d[..., 2]
    k = 1.0 / (1.0 + c)
    R = np.empty(d.shape[:-1] + (3, 3))
    R[..., 0, 0] = 1 - k * x * x
    R[..., 0, 1] = -k * x * y
    R[..., 0, 2] = x
    R[..., 1, 0] = -k * x * y
    R[..., 1, 1] = 1 - k * y * y
    R[..., 1, 2] = y
    R[..., 2, 0] = -x
    R[..., 2, 1] = -y
    R[..., 2, 2] = c
    return R


def crop_to_camera(points_crop: np.ndarray, camera: Camera, centre_px: np.ndarray) -> np.ndarray:
    """(T, J, 3) root-relative 3D points in the crop's frame + (T, 2) pixel the crop looked at ->
    (T, J, 3) root-relative points in camera axes."""
    return np.einsum("tab,tjb->tja", ray_rotation(camera, centre_px), np.asarray(points_crop, dtype=np.float64))


def solve_translation(points_rel: np.ndarray, keypoints_px: np.ndarray, weights: np.ndarray,
                      camera: Camera, *, min_weight: float = 2.0) -> np.ndarray:
    """Camera-frame translation t (T, 3) in metres such that ``points_rel + t`` projects onto ``keypoints_px``.

    points_rel: (T, J, 3) root-relative points in camera axes (metres); keypoints_px: (T, J, 2);
    weights: (T, J) >= 0 (confidences). For each frame, solves the linear least-squares system
    ``(X + tx) - x (Z + tz) = 0``, ``(Y + ty) - y (Z + tz) = 0`` over the joints, with (x, y) the normalised
    image coordinates (exact for noise-free input). Frames whose total weight is below ``min_weight``
    (fewer than about two confident joints) are NaN.
    """
    X = np.asarray(points_rel, dtype=np.float64)
    xy = camera.normalized(keypoints_px)
    w = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    T, J = X.shape[:2]
    A = np.zeros((T, J, 2, 3))
    A[..., 0, 0] = 1.0
    A[..., 1, 1] = 1.0
    A[..., :, 2] = -xy
    b = np.stack([xy[..., 0] * X[..., 2] - X[..., 0], xy[..., 1] * X[..., 2] - X[..., 1]], axis=-1)
    AtA = np.einsum("tj,tjki,tjkl->til", w, A, A)
    Atb = np.einsum("tj,tjki,tjk->ti", w, A, b)
    t = np.full((T, 3), np.nan)
    ok = w.sum(axis=1) >= min_weight
    if ok.any():
        t[ok] = np.linalg.solve(AtA[ok], Atb[ok][..., None])[..., 0]
    t[ok & ~(t[:, 2] > 0)] = np.nan  # behind the camera: no solution
    return t


# ---------------------------------------------------------------- up direction and world frame

_PELVIS, _NECK = SMPL22.index("pelvis"), SMPL22.index("neck")
_FEET = [SMPL22.index(n) for n in ("left_ankle", "right_ankle", "left_foot", "right_foot")]


def trunk_up(joints_cam: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted mean pelvis -> neck direction (3,) of SMPL-22 joints (T, 22, 3) in camera axes, and its weight."""
    v = joints_cam[:, _NECK] - joints_cam[:, _PELVIS]
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    w = np.minimum(weights[:, _NECK], weights[:, _PELVIS]) * np.isfinite(v).all(-1)
    s = (np.nan_to_num(v / np.maximum(n, 1e-9)) * w[:, None]).sum(0)
    return s, float(w.sum())


def floor_points(joints_cam: np.ndarray, weights: np.ndarray, up: np.ndarray, *, min_conf: float = 0.5) -> np.ndarray:
    """(N, 3) camera-frame positions of the lowest confident foot joint (along ``up``) in each frame."""
    feet = joints_cam[:, _FEET]
    ok = (weights[:, _FEET] >= min_conf) & np.isfinite(feet).all(-1)
    height = np.where(ok, feet @ up, np.inf)
    lowest = height.argmin(axis=1)
    keep = np.isfinite(height.min(axis=1))
    return feet[np.arange(len(feet)), lowest][keep]


def estimate_up(trunk_sum: np.ndarray, floor: np.ndarray, *, min_extent_m: float = 1.0) -> np.ndarray:
    """The camera's up direction (3,) in camera axes (a unit vector).

    trunk_sum: summed weighted trunk directions (see :func:`trunk_up`; people stand roughly upright);
    floor: (N, 3) foot positions on the floor in camera axes (see :func:`floor_points`).
    When the floor points span a plane (both in-plane extents >= ``min_extent_m``), its normal is the up
    direction. When they span only a line (one person walking straight), the trunk direction is made
    perpendicular to that line, which removes the forward lean of walking. Otherwise the trunk direction.
    """
    up = np.asarray(trunk_sum, dtype=np.float64)
    if not np.linalg.norm(up) > 0:
        up = np.array([0.0, -1.0, 0.0])  # nothing known: a level camera
    up = up / np.linalg.norm(up)
    pts = np.asarray(floor, dtype=np.float64).reshape(-1, 3)
    if len(pts) >= 3:
        centred = pts - pts.mean(0)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        extent = 4.0 * s / np.sqrt(len(pts))  # about the full spread (4 standard deviations)
        if extent[1] >= min_extent_m:
            normal = vt[2]
            return normal if normal @ up > 0 else -normal
        if extent[0] >= min_extent_m:
            up = up - (up @ vt[0]) * vt[0]
            up /= np.linalg.norm(up)
    return up


def camera_to_world(up_cam: np.ndarray) -> np.ndarray:
    """(3, 3) rotation R with world = R @ camera: world Y along ``up_cam``, world X as close to the image's
    right as possible, Z = X x Y (towards the camera for a level camera)."""
    y = np.asarray(up_cam, dtype=np.float64)
    y = y / np.linalg.norm(y)
    x = np.array([1.0, 0.0, 0.0]) - y[0] * y
    x /= np.linalg.norm(x)
    return np.stack([x, y, np.cross(x, y)])


def to_world(joints_cam: np.ndarray, up_cam: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame points -> world frame (Y up) with :func:`camera_to_world`."""
    return np.asarray(joints_cam) @ camera_to_world(up_cam).T


@dataclass
class LiftedTrack:
    """One person's SMPL-22 joints in camera axes (metres): ``rel_cam`` (T, 22, 3) root-relative and
    ``transl`` (T, 3) the root's position (NaN where unknown); conf: (T, 22) in [0, 1]; keypoints_px:
    (T, 22, 2) the 2D joints the translation was fitted to."""

    rel_cam: np.ndarray
    transl: np.ndarray
    conf: np.ndarray
    keypoints_px: np.ndarray

    @property
    def joints_cam(self) -> np.ndarray:
        """(T, 22, 3) absolute joints in camera axes."""
        return self.rel_cam + self.transl[:, None, :]


def lift_track(world_mp33: np.ndarray, keypoints_mp33_px: np.ndarray, conf_mp33: np.ndarray,
               camera: Camera) -> LiftedTrack:
    """MediaPipe output of one track -> SMPL-22 joints in camera axes, depth from body size.

    world_mp33: (T, 33, 3) world landmarks (metres, hip-centred, crop axes, y down); keypoints_mp33_px:
    (T, 33, 2) landmarks in frame pixels; conf_mp33: (T, 33) visibility in [0, 1] (0 where no pose).
    The pose is taken as seen along the ray through the person's hip centre.
    """
    rel = to_smpl22(world_mp33)
    rel = rel - rel[:, _PELVIS:_PELVIS + 1]
    px = to_smpl22(keypoints_mp33_px)
    conf = smpl22_confidence(conf_mp33)
    rel_cam = crop_to_camera(np.nan_to_num(rel), camera, np.nan_to_num(px[:, _PELVIS]))
    t = solve_translation(rel_cam, np.nan_to_num(px), np.where(np.isfinite(px).all(-1), conf, 0.0), camera)
    conf = np.where(np.isfinite(t).all(-1)[:, None], conf, 0.0)
    return LiftedTrack(rel_cam, t, conf, px)
