"""Skeletons, quaternions, forward and inverse kinematics (imports nothing else of motionbase but errors)."""

from ..errors import SkeletonError
from .definition import SKELETONS, SMPL22, Skeleton, get_skeleton
from .kinematics import bone_lengths, forward_kinematics, swing_ik
from .smpl52 import SMPL52

SKELETONS[SMPL52.name] = SMPL52


def skeleton_for_joints(num_joints: int) -> Skeleton:
    """The known skeleton with ``num_joints`` joints (22: SMPL-22, 52: SMPL-52 with hands)."""
    for skel in SKELETONS.values():
        if skel.num_joints == num_joints:
            return skel
    known = ", ".join(f"{s.name} ({s.num_joints})" for s in SKELETONS.values())
    raise SkeletonError(f"no known skeleton has {num_joints} joints; known: {known}")

__all__ = ["SKELETONS", "SMPL22", "SMPL52", "Skeleton", "get_skeleton", "bone_lengths", "forward_kinematics", "swing_ik", "skeleton_for_joints"]
