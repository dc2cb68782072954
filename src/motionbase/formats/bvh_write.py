"""Write joint positions as BVH through a per-joint best-fit inverse kinematics.

IK in BVH semantics (a joint's rotation moves its children). Walking the tree from the root, each
joint's world rotation G_j is the rotation that best maps its children's rest offsets o_c onto the
observed vectors (x_c - x̂_j), where x̂_j is the joint's position as already reconstructed:
  * several children (pelvis, spine3): Wahba's problem, solved by SVD (Kabsch);
  * one child: the shortest arc from o_c to the observed bone, in the parent's frame (no twist);
  * no child: the parent's rotation (identity local rotation).
Local rotation R_j = G_parent^T G_j. Aiming from the reconstructed x̂_j keeps errors from adding up
along chains.

Rest pose (the file's OFFSETs): Y up, facing +Z, T-pose bone directions (:data:`TPOSE_DIRECTIONS`)
times the clip's median bone lengths; the children of a multi-child joint instead get the clip's
own geometry (a Procrustes mean of that joint's child vectors, expressed in the frame that best fits
the T-pose), so the round trip joints -> BVH -> joints is exact for rigid data.
Channels: root "Xposition Yposition Zposition Zrotation Yrotation Xrotation", others
"Zrotation Yrotation Xrotation", except the few joints that rotations alone cannot place exactly
(non-rigid input, e.g. CMU's lower back): those also get position channels (``exact=False``: never).
Lengths in centimetres by default (``units="m"`` for metres).
"""

from __future__ import annotations

import io
import os
from itertools import combinations

import numpy as np

from ..io import atomic_write_text
from ..errors import FormatError, ShapeError
from ..skeleton import SMPL22, Skeleton
from .bvh_read import BvhData

UNIT_SCALE = {"cm": 100.0, "m": 1.0}  # file units per metre
POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
ROTATION_CHANNELS = ("Zrotation", "Yrotation", "Xrotation")
EXACT_TOL_M = 1e-5  # a joint that rotations alone miss by more than this gets position channels
END_SITE_FRACTION = 0.5  # End Site length as a fraction of the leaf's own bone (display only)

# Readable rest pose: a T-pose, Y up, facing +Z, +X the body's left.
_TPOSE_SMPL22 = {
    "left_hip": (1, 0, 0), "right_hip": (-1, 0, 0), "spine1": (0, 1, 0), "spine2": (0, 1, 0),
    "spine3": (0, 1, 0), "neck": (0, 1, 0), "head": (0, 1, 0), "left_knee": (0, -1, 0),
    "right_knee": (0, -1, 0), "left_ankle": (0, -1, 0), "right_ankle": (0, -1, 0),
    "left_foot": (0, 0, 1), "right_foot": (0, 0, 1), "left_collar": (1, 0, 0), "right_collar": (-1, 0, 0),
    "left_shoulder": (1, 0, 0), "right_shoulder": (-1, 0, 0), "left_elbow": (1, 0, 0),
    "right_elbow": (-1, 0, 0), "left_wrist": (1, 0, 0), "right_wrist": (-1, 0, 0),
}
# SMPL-52: fingers continue the arms in the T-pose (thumbs included)
_TPOSE_SMPL52 = dict(_TPOSE_SMPL22, **{f"{side}_{finger}{k}": (sign, 0, 0) for side, sign in (("left", 1), ("right", -1))
                                      for finger in ("index", "middle", "pinky", "ring", "thumb") for k in (1, 2, 3)})
TPOSE_DIRECTIONS: dict[str, dict[str, tuple[float, float, float]]] = {"smpl22": _TPOSE_SMPL22, "smpl52": _TPOSE_SMPL52}


def rest_directions(skel: Skeleton) -> np.ndarray:
    """(J, 3) unit rest bone directions: the T-pose table for known skeletons, else ``raw_offsets``."""
    table = TPOSE_DIRECTIONS.get(skel.name)
    if table is None:
        return np.asarray(skel.raw_offsets, dtype=np.float64)
    return np.array([table.get(n, (0.0, 0.0, 0.0)) for n in skel.names], dtype=np.float64)


def _children(parents) -> list[list[int]]:
    return [[c for c, p in enumerate(parents) if p == j] for j in range(len(parents))]


def _topological(parents) -> list[int]:
    order, kids = [], _children(parents)
    stack = [j for j, p in enumerate(parents) if p < 0]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed(kids[j]))
    return order


def kabsch(H: np.ndarray) -> np.ndarray:
    """(..., 3, 3) H = sum_c target_c source_c^T -> proper rotation R minimising sum |R s_c - t_c|^2."""
    U, _, Vt = np.linalg.svd(H)
    d = np.where(np.linalg.det(U @ Vt) < 0, -1.0, 1.0)
    return U @ (np.concatenate([np.ones(d.shape + (2,)), d[..., None]], axis=-1)[..., None] * Vt)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest-arc rotation matrices taking direction a (3,) to directions b (..., 3): (..., 3, 3)."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    v = np.cross(a, b)
    c = np.sum(a * b, axis=-1)
    K = np.zeros(b.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    K[..., 1, 0], K[..., 2, 0], K[..., 2, 1] = v[..., 2], -v[..., 1], v[..., 0]
    opposite = c < -1.0 + 1e-9
    R = np.eye(3) + K + (K @ K) / np.where(opposite, 1.0, 1.0 + c)[..., None, None]
    if opposite.any():  # half turn about an axis perpendicular to a
        u = np.cross(a, np.eye(3)[np.argmin(np.abs(a))])
        u /= np.linalg.norm(u)
        R[opposite] = 2.0 * np.outer(u, u) - np.eye(3)
    return R


def fit_sets(joints_m: np.ndarray, skel: Skeleton, tol_m: float = EXACT_TOL_M) -> list[list[int]]:
    """Per joint, the children its rotation is fitted to.

    All children, except at a joint whose children do not move rigidly together (CMU's lower back
    rotates the spine about the root, while the hips stay fixed to it): there, the largest subset
    (at least two) that does move rigidly within ``tol_m``, so that only the others need position
    channels. No rigid subset: all children (the best compromise).
    """
    out = []
    for j, kids in enumerate(_children(skel.parents)):
        best = kids
        if len(kids) >= 3:
            vectors = joints_m[:, kids] - joints_m[:, j:j + 1]  # (T, K, 3)
            for size in range(len(kids), 1, -1):
                subsets = [list(s) for s in combinations(range(len(kids)), size)]
                misfit = [_rigid_misfit(vectors[:, s]) for s in subsets]
                if min(misfit) <= tol_m:
                    best = [kids[k] for k in subsets[int(np.argmin(misfit))]]
                    break
        out.append(best)
    return out


def _rigid_misfit(vectors: np.ndarray) -> float:
    """Largest distance (over frames and points) of (T, K, 3) vectors from a rigid turn of frame 0's."""
    Q = kabsch(np.einsum("tka,kb->tab", vectors, vectors[0]))
    return float(np.abs(np.einsum("tab,kb->tka", Q, vectors[0]) - vectors).max())


def rest_offsets(joints_m: np.ndarray, skel: Skeleton, directions: np.ndarray | None = None,
                 fit: list[list[int]] | None = None) -> np.ndarray:
    """(J, 3) rest offsets in metres for the clip (T, J, 3): see the module docstring."""
    directions = rest_directions(skel) if directions is None else directions
    fit = fit_sets(joints_m, skel) if fit is None else fit
    parents = skel.parents
    lengths = np.median(np.linalg.norm(joints_m - joints_m[:, [max(p, 0) for p in parents]], axis=-1), axis=0)
    offsets = directions * lengths[:, None]
    for j, kids in enumerate(_children(parents)):
        if len(kids) < 2:
            continue
        observed = joints_m[:, kids] - joints_m[:, j:j + 1]  # (T, K, 3)
        rigid = [kids.index(c) for c in fit[j]]
        # align every frame to frame 0 on the rigid subset, average, then turn the whole geometry
        # (one rotation, so rigidity is kept) to best match the readable rest directions
        Q = kabsch(np.einsum("tka,kb->tab", observed[:, rigid], observed[0, rigid]))
        geometry = np.einsum("tba,tkb->ka", Q, observed) / len(observed)  # mean of Q^T observed
        R = kabsch(np.einsum("ka,kb->ab", offsets[kids], geometry))
        offsets[kids] = geometry @ R.T
    return offsets


def solve_bvh_ik(joints_m: np.ndarray, skel: Skeleton, offsets_m: np.ndarray,
                 exact_tol_m: float | None = EXACT_TOL_M,
                 fit: list[list[int]] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, J, 3) joints + (J, 3) rest offsets -> local rotations (T, J, 3, 3) in BVH semantics,
    local translations (T, J, 3) and a (J,) mask of the joints that need position channels.

    A non-root joint gets position channels (its exact per-frame translation from the parent) only
    where rotations alone would miss it by more than ``exact_tol_m`` in some frame: a bone whose
    length varies, or a child of a joint whose children do not move rigidly together (CMU's lower
    back and clavicles rotate about the root and the chest). ``exact_tol_m=None``: never.
    ``fit``: the children each rotation is fitted to (default :func:`fit_sets`).
    """
    T, J = joints_m.shape[:2]
    kids = fit_sets(joints_m, skel) if fit is None else fit
    world = np.zeros((T, J, 3, 3))
    local = np.zeros((T, J, 3, 3))
    placed = np.zeros((T, J, 3))
    translation = np.broadcast_to(offsets_m, (T, J, 3)).copy()
    translated = np.zeros(J, dtype=bool)
    for j in _topological(skel.parents):
        p = skel.parents[j]
        if p < 0:
            parent_rot = np.broadcast_to(np.eye(3), (T, 3, 3))
            placed[:, j] = translation[:, j] = joints_m[:, j]
        else:
            parent_rot = world[:, p]
            placed[:, j] = placed[:, p] + parent_rot @ offsets_m[j]
            if exact_tol_m is not None and np.abs(placed[:, j] - joints_m[:, j]).max() > exact_tol_m:
                translated[j] = True
                translation[:, j] = np.einsum("tba,tb->ta", parent_rot, joints_m[:, j] - placed[:, p])
                placed[:, j] = joints_m[:, j]
        if not kids[j]:
            world[:, j] = parent_rot if p >= 0 else np.eye(3)
        elif len(kids[j]) == 1:
            c = kids[j][0]
            seen = np.einsum("tba,tb->ta", parent_rot, joints_m[:, c] - placed[:, j])
            world[:, j] = parent_rot @ rotation_between(offsets_m[c], seen)
        else:
            observed = joints_m[:, kids[j]] - placed[:, j:j + 1]
            world[:, j] = kabsch(np.einsum("tka,kb->tab", observed, offsets_m[kids[j]]))
        local[:, j] = np.swapaxes(parent_rot, -1, -2) @ world[:, j]
    return local, translation, translated


def matrix_to_euler_zyx(R: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) degrees (z, y, x) with R = Rz @ Ry @ Rx."""
    cy = np.hypot(R[..., 0, 0], R[..., 1, 0])
    y = np.arctan2(-R[..., 2, 0], cy)
    regular = cy > 1e-9
    z = np.where(regular, np.arctan2(R[..., 1, 0], R[..., 0, 0]), np.arctan2(-R[..., 0, 1], R[..., 1, 1]))
    x = np.where(regular, np.arctan2(R[..., 2, 1], R[..., 2, 2]), 0.0)
    return np.rad2deg(np.stack([z, y, x], axis=-1))


def _validate(joints_m, skel: Skeleton) -> np.ndarray:
    j = np.asarray(joints_m, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (skel.num_joints, 3) or j.shape[0] < 1:
        raise ShapeError(f"write_bvh: joints have shape {j.shape}, expected (T, {skel.num_joints}, 3)")
    bad = ~np.isfinite(j).all(axis=(1, 2))
    if bad.any():
        raise ShapeError(f"write_bvh: NaN/inf in joints at frame {int(np.argmax(bad))}")
    return j


def joints_to_bvh(joints_m: np.ndarray, *, fps: float = 20.0, skeleton: Skeleton = SMPL22,
                  units: str = "cm", exact: bool = True, path: str = "<memory>") -> BvhData:
    """(T, J, 3) joints in metres, Y up -> :class:`BvhData` (lengths in ``units``) via the IK above.

    exact: give position channels to the few joints rotations alone cannot place (see
    :func:`solve_bvh_ik`); False writes rotations only (best fit, 3 channels on every non-root joint).
    """
    if units not in UNIT_SCALE:
        raise ShapeError(f"write_bvh: units {units!r}, expected one of {', '.join(UNIT_SCALE)}")
    if not fps > 0:
        raise ShapeError(f"write_bvh: fps {fps} must be positive")
    joints = _validate(joints_m, skeleton)
    fit = fit_sets(joints, skeleton) if exact else _children(skeleton.parents)
    offsets = rest_offsets(joints, skeleton, fit=fit)
    lengths = np.linalg.norm(offsets, axis=-1)
    for j, p in enumerate(skeleton.parents):
        if p >= 0 and not lengths[j] > 1e-6:
            raise ShapeError(f"write_bvh: joints {skeleton.names[p]} and {skeleton.names[j]} coincide")
    rot, trans, translated = solve_bvh_ik(joints, skeleton, offsets, EXACT_TOL_M if exact else None, fit)
    angles = np.rad2deg(np.unwrap(np.deg2rad(matrix_to_euler_zyx(rot)), axis=0))
    scale = UNIT_SCALE[units]
    roots = [j for j, p in enumerate(skeleton.parents) if p < 0]
    columns, channels = [], []
    for j, p in enumerate(skeleton.parents):
        if p < 0 or translated[j]:
            columns.append(trans[:, j] * scale)
            channels.append(POSITION_CHANNELS + ROTATION_CHANNELS)
        else:
            channels.append(ROTATION_CHANNELS)
        columns.append(angles[:, j])
    directions = rest_directions(skeleton)
    ends = tuple((j, directions[j] * lengths[j] * END_SITE_FRACTION * scale)
                 for j, kids in enumerate(_children(skeleton.parents)) if not kids and j not in roots)
    offsets_file = offsets * scale
    offsets_file[roots] = 0.0
    return BvhData(path=path, names=skeleton.names, parents=skeleton.parents, offsets=offsets_file,
                   channels=tuple(channels), end_sites=ends, frame_time=1.0 / fps,
                   motion=np.concatenate(columns, axis=1))


def bvh_text(bvh: BvhData, precision: int = 6) -> str:
    """Serialise any :class:`BvhData` as BVH text (tabs, ``precision`` decimals).

    Joints are written depth-first, so reading the file back lists them in that order (which is the
    order of ``bvh.names`` whenever parents come right before their subtrees, as in any read BVH).
    """
    out = io.StringIO()
    out.write("HIERARCHY\n")
    kids = _children(bvh.parents)
    ends: dict[int, list[np.ndarray]] = {}
    for j, off in bvh.end_sites:
        ends.setdefault(j, []).append(off)
    num = f"{{:.{precision}f}}"

    def vec(v) -> str:
        return " ".join(num.format(float(x)) for x in v)

    def joint(j: int, depth: int) -> None:
        tab = "\t" * depth
        keyword = "ROOT" if bvh.parents[j] < 0 else "JOINT"
        out.write(f"{tab}{keyword} {bvh.names[j]}\n{tab}{{\n{tab}\tOFFSET {vec(bvh.offsets[j])}\n")
        if bvh.channels[j]:
            out.write(f"{tab}\tCHANNELS {len(bvh.channels[j])} {' '.join(bvh.channels[j])}\n")
        for c in kids[j]:
            joint(c, depth + 1)
        for off in ends.get(j, []):
            out.write(f"{tab}\tEnd Site\n{tab}\t{{\n{tab}\t\tOFFSET {vec(off)}\n{tab}\t}}\n")
        out.write(f"{tab}}}\n")

    for j, p in enumerate(bvh.parents):
        if p < 0:
            joint(j, 0)
    out.write(f"MOTION\nFrames: {bvh.num_frames}\nFrame Time: {bvh.frame_time:.9g}\n")
    starts = bvh.channel_offsets  # the file lists channels in hierarchy (depth-first) order
    columns = np.concatenate([np.arange(starts[j], starts[j + 1]) for j in _topological(bvh.parents)])
    motion = bvh.motion[:, columns.astype(int)]
    motion = np.where(np.abs(motion) < 0.5 * 10.0 ** -precision, 0.0, motion)  # no "-0.000000"
    np.savetxt(out, motion, fmt=f"%.{precision}f", delimiter=" ")
    return out.getvalue()


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically; an unwritable place is a one-line FormatError."""
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise FormatError(os.fspath(path), f"cannot write here ({exc.strerror or exc})") from None


def write_bvh(path: str | os.PathLike, joints_m: np.ndarray, *, fps: float = 20.0,
              skeleton: Skeleton = SMPL22, units: str = "cm", exact: bool = True) -> BvhData:
    """Write (T, J, 3) joints (metres, Y up, facing +Z) as a BVH file, atomically; returns what was written.

    See :func:`joints_to_bvh` for ``units`` ("cm" or "m") and ``exact``.
    """
    bvh = joints_to_bvh(joints_m, fps=fps, skeleton=skeleton, units=units, exact=exact,
                        path=os.fspath(path))
    write_text_atomic(path, bvh_text(bvh))
    return bvh
