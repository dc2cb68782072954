"""Skeletons, quaternions, forward and inverse kinematics (imports nothing else of motionbase but errors)."""

from .definition import SKELETONS, SMPL22, Skeleton, get_skeleton
from .kinematics import bone_lengths, forward_kinematics, swing_ik
from .smpl52 import SMPL52

SKELETONS[SMPL52.name] = SMPL52

__all__ = ["SKELETONS", "SMPL22", "SMPL52", "Skeleton", "get_skeleton", "bone_lengths", "forward_kinematics", "swing_ik"]
