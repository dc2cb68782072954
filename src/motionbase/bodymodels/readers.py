"""Read one AMASS ``.npz`` (SMPL-H, or AMASS's SMPL-X release) or one Motion-X ``.npy`` (T x 322 SMPL-X) into a
:class:`~motionbase.bodymodels.sequence.BodySequence`; every malformed input is one :class:`BodyModelError`.

AMASS keys: ``poses`` (T, 156) SMPL-H (root 3, body 63, hands 90) or (T, 165) SMPL-X (root, body, jaw, eyes,
hands), ``trans`` (T, 3), ``betas`` (16,), ``mocap_framerate`` (``mocap_frame_rate`` in the SMPL-X release),
``gender``. AMASS is Z up; its hand poses are absolute (no hand mean).

Motion-X 322 columns: root_orient 0:3, pose_body 3:66, pose_hand 66:156, jaw 156:159, face_expr 159:209,
face_shape 209:309, trans 309:312, betas 312:322. Motion-X is Y up and drives the neutral SMPL-X with
``use_pca=False`` and smplx's default ``flat_hand_mean=False``, so the model's hand mean is added to its hand poses.
Expression and face shape do not move the 52 joints (Motion-X's own joint extraction passes zero expression).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import BodyModelError
from .files import GENDERS, BodyModel
from .sequence import BodySequence, check_finite

MOTIONX_WIDTH = 322
MOTIONX_FPS = 30.0
MOTIONX_SLICES = {"root_orient": (0, 3), "pose_body": (3, 66), "pose_hand": (66, 156), "pose_jaw": (156, 159),
                  "face_expr": (159, 209), "face_shape": (209, 309), "trans": (309, 312), "betas": (312, 322)}
AMASS_KINDS = {156: "smplh", 165: "smplx"}


def _gender(value, path: Path) -> str:
    g = value.item() if isinstance(value, np.ndarray) else value
    g = g.decode() if isinstance(g, bytes) else str(g)
    g = g.strip().lower()
    if g not in GENDERS:
        raise BodyModelError(f"{path}: gender {g!r}, expected one of {', '.join(GENDERS)}")
    return g


def read_amass(path: Path | str) -> BodySequence:
    """One AMASS sequence; checks keys, widths, frame counts, NaN and the frame rate."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
        arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError) as exc:
        raise BodyModelError(f"{path}: not a readable AMASS .npz ({str(exc).splitlines()[0]})") from None
    fps_key = next((k for k in ("mocap_framerate", "mocap_frame_rate") if k in arrays), None)
    missing = [k for k in ("poses", "trans", "betas", "gender") if k not in arrays] + ([] if fps_key else
                                                                                       ["mocap_framerate"])
    if missing:
        raise BodyModelError(f"{path}: not an AMASS sequence, missing {', '.join(missing)} "
                             f"(has {', '.join(sorted(arrays)) or 'nothing'})")
    poses = np.asarray(arrays["poses"], dtype=np.float64)
    if poses.ndim != 2 or poses.shape[1] not in AMASS_KINDS:
        raise BodyModelError(f"{path}: poses have shape {poses.shape}, expected (T, 156) SMPL-H or (T, 165) SMPL-X")
    trans = np.asarray(arrays["trans"], dtype=np.float64)
    if trans.shape != (poses.shape[0], 3):
        raise BodyModelError(f"{path}: trans has shape {trans.shape}, expected ({poses.shape[0]}, 3) like poses")
    betas = np.asarray(arrays["betas"], dtype=np.float64).reshape(-1)
    fps = float(np.asarray(arrays[fps_key]).reshape(-1)[0]) if np.asarray(arrays[fps_key]).size else 0.0
    if not (np.isfinite(fps) and fps > 0):
        raise BodyModelError(f"{path}: {fps_key} is {fps}, expected a positive frame rate")
    if poses.shape[0] < 2:
        raise BodyModelError(f"{path}: {poses.shape[0]} frame(s), expected at least 2")
    check_finite(poses, path, "poses")
    check_finite(trans, path, "trans")
    if not np.isfinite(betas).all():
        raise BodyModelError(f"{path}: NaN/inf in betas")
    return BodySequence(AMASS_KINDS[poses.shape[1]], _gender(arrays["gender"], path), poses, trans, betas, fps,
                        "z", str(path))


def read_motionx(path: Path | str, *, fps: float = MOTIONX_FPS, up: str = "y") -> BodySequence:
    """One Motion-X sequence (T, 322); the SMPL-X poses get the eyes (zero) and, later, the hand mean."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise BodyModelError(f"{path}: not a readable .npy array ({str(exc).splitlines()[0]})") from None
    if data.ndim != 2 or data.shape[1] != MOTIONX_WIDTH:
        raise BodyModelError(f"{path}: array of shape {data.shape}, expected (T, {MOTIONX_WIDTH}) Motion-X SMPL-X "
                             "parameters")
    if data.shape[0] < 2:
        raise BodyModelError(f"{path}: {data.shape[0]} frame(s), expected at least 2")
    if not (np.isfinite(fps) and fps > 0):
        raise BodyModelError(f"{path}: frame rate {fps}, expected a positive number")
    data = np.asarray(data, dtype=np.float64)
    check_finite(data, path, "SMPL-X parameters")
    s = {k: data[:, a:b] for k, (a, b) in MOTIONX_SLICES.items()}
    eyes = np.zeros((data.shape[0], 6))
    poses = np.concatenate([s["root_orient"], s["pose_body"], s["pose_jaw"], eyes, s["pose_hand"]], axis=1)
    return BodySequence("smplx", "neutral", poses, s["trans"], s["betas"][0], fps, up, str(path))


def with_hand_mean(seq: BodySequence, model: BodyModel) -> BodySequence:
    """Add the model's hand mean pose to the last 90 pose values (datasets made with ``flat_hand_mean=False``)."""
    poses = seq.poses.copy()
    poses[:, -90:] += model.hand_mean
    return BodySequence(seq.kind, seq.gender, poses, seq.trans, seq.betas, seq.fps, seq.up, seq.file)
