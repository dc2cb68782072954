"""Where everything lives in a HumanML3D-style feature vector, for any joint count.

For J joints the width is 4 + 3(J-1) + 6(J-1) + 3J + 4 (263 for J = 22; 623 for SMPL-52, Motion-X's
whole-body vector):

=============  =====================  ==========================================
group          slice (J = 22)         content
=============  =====================  ==========================================
root           0:4                    yaw velocity (rad/frame), XZ velocity (m/frame, root frame), root height (m)
ric            4:67                   joint positions relative to the root, facing +Z (joints 1..J-1)
rot            67:193                 6D rotations of joints 1..J-1 (HumanML3D swing IK)
vel            193:259                joint velocities in the root frame (joints 0..J-1)
contact        259:263                foot contacts (left ankle, left foot, right ankle, right foot)
=============  =====================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..skeleton import SMPL22, Skeleton

FEATURE_GROUPS = ("root", "ric", "rot", "vel", "contact")

# Body parts for part-level tokens and per-part metrics (motionbase's addition to the paper).
SMPL22_BODY_PARTS: dict[str, tuple[int, ...]] = {
    "root": (0,),
    "torso_head": (3, 6, 9, 12, 15),
    "left_arm": (13, 16, 18, 20),
    "right_arm": (14, 17, 19, 21),
    "left_leg": (1, 4, 7, 10),
    "right_leg": (2, 5, 8, 11),
}
# SMPL-52 (whole body): the same parts plus one per hand (the hands' features are extra 2D-token components).
SMPL52_BODY_PARTS: dict[str, tuple[int, ...]] = dict(SMPL22_BODY_PARTS, left_hand=tuple(range(22, 37)),
                                                     right_hand=tuple(range(37, 52)))
BODY_PARTS = {"smpl22": SMPL22_BODY_PARTS, "smpl52": SMPL52_BODY_PARTS}


@dataclass(frozen=True)
class FeatureLayout:
    skeleton: Skeleton = SMPL22

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    @property
    def dim(self) -> int:
        J = self.num_joints
        return 4 + 9 * (J - 1) + 3 * J + 4

    @cached_property
    def slices(self) -> dict[str, slice]:
        J = self.num_joints
        bounds = np.cumsum([0, 4, 3 * (J - 1), 6 * (J - 1), 3 * J, 4])
        return {g: slice(int(a), int(b)) for g, a, b in zip(FEATURE_GROUPS, bounds[:-1], bounds[1:])}

    def joint_indices(self, joint: int) -> np.ndarray:
        """Feature columns that describe one joint (its ric, rot, vel and, for feet, contact)."""
        s = self.slices
        cols: list[int] = []
        if joint == 0:
            cols += list(range(s["root"].start, s["root"].stop))
        else:
            cols += list(range(s["ric"].start + 3 * (joint - 1), s["ric"].start + 3 * joint))
            cols += list(range(s["rot"].start + 6 * (joint - 1), s["rot"].start + 6 * joint))
        cols += list(range(s["vel"].start + 3 * joint, s["vel"].start + 3 * joint + 3))
        feet = self.skeleton.feet_left + self.skeleton.feet_right
        if joint in feet:
            cols.append(s["contact"].start + feet.index(joint))
        return np.array(cols, dtype=np.int64)

    def group_indices(self, grouping: str = "feature") -> dict[str, np.ndarray]:
        """Partition of all columns: ``"feature"`` (the paper's components) or ``"body"`` (parts)."""
        if grouping == "feature":
            return {g: np.arange(sl.start, sl.stop) for g, sl in self.slices.items()}
        if grouping == "body":
            if self.skeleton.name not in BODY_PARTS:
                raise ValueError(f"no body-part grouping defined for skeleton {self.skeleton.name!r}")
            return {p: np.concatenate([self.joint_indices(j) for j in joints])
                    for p, joints in BODY_PARTS[self.skeleton.name].items()}
        raise ValueError(f"unknown grouping {grouping!r}; expected 'feature' or 'body'")

    def mirror_permutation(self) -> tuple[np.ndarray, np.ndarray]:
        """(perm, sign): ``mirrored = feats[..., perm] * sign`` swaps left/right (X -> -X)."""
        J, m = self.num_joints, self.skeleton.mirror
        s = self.slices
        perm = np.arange(self.dim)
        sign = np.ones(self.dim)
        sign[0] = -1.0  # yaw velocity
        sign[1] = -1.0  # x velocity
        for j in range(1, J):
            dst = s["ric"].start + 3 * (j - 1)
            perm[dst:dst + 3] = s["ric"].start + 3 * (m[j] - 1) + np.arange(3)
            sign[dst] = -1.0
            dst = s["rot"].start + 6 * (j - 1)
            perm[dst:dst + 6] = s["rot"].start + 6 * (m[j] - 1) + np.arange(6)
            # R' = M R M with M = diag(-1, 1, 1): column0 -> (x, -y, -z), column1 -> (-x, y, z)
            sign[dst:dst + 6] = [1.0, -1.0, -1.0, -1.0, 1.0, 1.0]
        for j in range(J):
            dst = s["vel"].start + 3 * j
            perm[dst:dst + 3] = s["vel"].start + 3 * m[j] + np.arange(3)
            sign[dst] = -1.0
        c = s["contact"].start
        nl = len(self.skeleton.feet_left)
        perm[c:c + 2 * nl] = np.r_[c + nl:c + 2 * nl, c:c + nl]
        return perm, sign


HML3D_LAYOUT = FeatureLayout(SMPL22)
