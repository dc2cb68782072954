"""Skeleton definitions: joint names, parents, kinematic chains and rest directions.

The joint layout is a parameter, never a constant: code takes a :class:`Skeleton`.
SMPL-22 follows HumanML3D's joint order and its ``t2m_raw_offsets`` / ``t2m_kinematic_chain``.
Axes: Y up, the body faces +Z, +X is the body's LEFT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import SkeletonError


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree.

    names: joint names; parents: parent index (-1 for the root);
    raw_offsets: (J, 3) unit rest directions of each bone (HumanML3D's "raw offsets");
    bone_lengths_m: (J,) rest bone length to the parent in metres (0 for the root);
    chains: kinematic chains, each starting at a joint already placed;
    mirror: index of each joint's left/right twin (itself on the mid-line).
    """

    name: str
    names: tuple[str, ...]
    parents: tuple[int, ...]
    raw_offsets: np.ndarray = field(repr=False)
    bone_lengths_m: np.ndarray = field(repr=False)
    chains: tuple[tuple[int, ...], ...]
    mirror: tuple[int, ...]
    face_joints: tuple[int, int, int, int]  # right hip, left hip, right shoulder, left shoulder
    feet_left: tuple[int, ...]
    feet_right: tuple[int, ...]
    leg_joints: tuple[int, int]  # joints whose bone lengths define "leg length" for rescaling

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def offsets_m(self) -> np.ndarray:
        """(J, 3) rest offsets in metres: direction times length."""
        return self.raw_offsets * self.bone_lengths_m[:, None]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def with_bone_lengths(self, lengths_m: np.ndarray) -> "Skeleton":
        from dataclasses import replace

        return replace(self, bone_lengths_m=np.asarray(lengths_m, dtype=np.float64))


SMPL22_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
    "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
_SMPL22_CHAINS = ((0, 2, 5, 8, 11), (0, 1, 4, 7, 10), (0, 3, 6, 9, 12, 15),
                  (9, 14, 17, 19, 21), (9, 13, 16, 18, 20))
_SMPL22_RAW = np.array([
    [0, 0, 0], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, -1, 0], [0, 1, 0],
    [0, -1, 0], [0, -1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 1, 0], [1, 0, 0],
    [-1, 0, 0], [0, 0, 1], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0],
], dtype=np.float64)
# HumanML3D's target skeleton (its example 000021): bone lengths read off any HumanML3D
# ``new_joints`` file, constant to 2.5e-7 m (tests/test_skeleton.py checks them on the fixtures).
_HUMANML3D_BONES = np.array([
    0.0, 0.10307397, 0.10988337, 0.13156824, 0.3936232, 0.39018821, 0.14319022, 0.43243301,
    0.42564341, 0.05736474, 0.1433818, 0.14941906, 0.21936005, 0.1374868, 0.14338282, 0.10303922,
    0.13161398, 0.12298438, 0.2568399, 0.26309186, 0.26601183, 0.26987632,
])


def _parents_from_chains(n: int, chains) -> tuple[int, ...]:
    parents = [-1] * n
    for chain in chains:
        for a, b in zip(chain[:-1], chain[1:]):
            parents[b] = a
    return tuple(parents)


def _mirror_from_names(names) -> tuple[int, ...]:
    out = []
    for n in names:
        twin = n.replace("left", "\0").replace("right", "left").replace("\0", "right")
        out.append(names.index(twin))
    return tuple(out)


SMPL22 = Skeleton(
    name="smpl22",
    names=SMPL22_NAMES,
    parents=_parents_from_chains(22, _SMPL22_CHAINS),
    raw_offsets=_SMPL22_RAW,
    bone_lengths_m=_HUMANML3D_BONES,
    chains=_SMPL22_CHAINS,
    mirror=_mirror_from_names(SMPL22_NAMES),
    face_joints=(2, 1, 17, 16),
    feet_left=(7, 10),
    feet_right=(8, 11),
    leg_joints=(5, 8),
)

SKELETONS: dict[str, Skeleton] = {"smpl22": SMPL22}  # smpl52 registers itself (skeleton/smpl52.py)


def get_skeleton(name: str) -> Skeleton:
    try:
        return SKELETONS[name]
    except KeyError:
        raise SkeletonError(f"unknown skeleton {name!r}; known: {', '.join(SKELETONS)}") from None
