"""Skeletons, quaternions, forward and inverse kinematics (imports nothing else of motionbase but errors)."""

from .definition import SKELETONS, SMPL22, Skeleton, get_skeleton
from .kinematics import bone_lengths, forward_kinematics, swing_ik

__all__ = ["SKELETONS", "SMPL22", "Skeleton", "get_skeleton", "bone_lengths", "forward_kinematics", "swing_ik"]
