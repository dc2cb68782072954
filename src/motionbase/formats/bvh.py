"""BVH in and out: ``read_bvh`` (any BVH -> arrays), ``load_bvh`` (any known BVH -> SMPL-22 Clip at
20 fps), ``write_bvh`` (SMPL-22 joints -> BVH through a per-joint best-fit IK).

Import path of :func:`load_bvh`: parse -> local rotations of only the source frames the 20 fps grid
needs -> slerp between neighbouring frames (local rotations; position channels linearly) -> forward
kinematics -> joint map to SMPL-22 -> unit, up axis, facing (see :mod:`motionbase.skeleton.retarget`)
-> plausibility checks. Resampling on rotations then FK keeps every bone length exact.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..clip import Clip, ClipMeta
from ..errors import SkeletonError
from ..skeleton import SMPL22
from ..skeleton.quaternion import quat_to_matrix
from ..skeleton.resample import resample_linear, resample_plan, resample_quats
from ..skeleton.retarget import (JointMap, apply_joint_map, check_plausible, detect_joint_map,
                                 get_joint_map, to_smpl22_frame)
from .bvh_read import BvhData, forward_kinematics_bvh, parse_bvh, read_bvh
from .bvh_write import bvh_text, solve_bvh_ik, write_bvh

__all__ = ["BvhData", "read_bvh", "parse_bvh", "load_bvh", "bvh_positions_at", "write_bvh",
           "bvh_text", "solve_bvh_ik", "forward_kinematics_bvh"]


def bvh_positions_at(bvh: BvhData, fps: float | None) -> np.ndarray:
    """(N, J, 3) world joint positions in file units, resampled to ``fps`` (None: the file's rate).

    Only the source frames with weight in the 20 fps grid are converted; rotations are slerped,
    position channels interpolated linearly, then forward kinematics.
    """
    if fps is None:
        return bvh.joint_positions()
    plan = resample_plan(bvh.num_frames, bvh.fps, fps)
    frames = plan.needed_frames()
    sub = plan.restricted_to(frames)
    quats = resample_quats(bvh.local_quats(frames), sub)
    local_pos = resample_linear(bvh.local_positions(frames), sub)
    pos, _ = forward_kinematics_bvh(quat_to_matrix(quats), local_pos, bvh.parents)
    return pos


def load_bvh(path: str | os.PathLike, *, joint_map: str | JointMap = "auto", unit: float | str | None = None,
             up: str | None = None, fps: float = 20.0, checks: bool = True, source: str = "",
             licence: str = "") -> Clip:
    """Any BVH of a known skeleton -> SMPL-22 :class:`Clip` (metres, Y up, ``fps``).

    joint_map: a name in ``JOINT_MAPS``, a :class:`JointMap`, or "auto" (detected from joint names);
    unit: metres per file unit or a unit name ("cm", "cmu", ...), None to detect from leg length;
    up: the file's up axis ("+y", "+z", ...), None to detect from head-above-ankles;
    checks: refuse implausible results (height, bone lengths, mirrored data, feet not lowest).
    Frame 0 faces +Z; the floor (lowest joint of the clip) is at y = 0; the pelvis starts over the origin.
    """
    path = os.fspath(path)
    bvh = read_bvh(path)
    jmap = detect_joint_map(bvh.names, path) if joint_map == "auto" else (
        get_joint_map(joint_map) if isinstance(joint_map, str) else joint_map)
    if jmap.missing(bvh.names):
        raise SkeletonError(f"{path}: joint map {jmap.name!r} needs joints missing from the file: "
                            f"{', '.join(jmap.missing(bvh.names))}")
    src = bvh_positions_at(bvh, fps)
    joints = apply_joint_map(src, bvh.names, jmap)
    joints_m, frame = to_smpl22_frame(joints, unit=unit, up=up, where=path)
    if checks:
        check_plausible(joints_m, path, note=f"unit {frame.unit_name}, up {frame.up}, map {jmap.name}", fps=fps)
    meta = ClipMeta(id=Path(path).stem, source=source, licence=licence, file=path, frame_start=0,
                    frame_end=bvh.num_frames - 1, source_fps=bvh.fps,
                    labels={"joint_map": jmap.name, "unit": frame.unit_name, "up": frame.up})
    return Clip(joints_m=joints_m, fps=float(fps), skeleton=SMPL22, meta=meta)
