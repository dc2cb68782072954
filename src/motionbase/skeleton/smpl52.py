"""SMPL-52: the whole-body layout with hands (SMPL-H's 52 joints; SMPL-X's joints without jaw and eyes).

Joint order: SMPL-22's body joints, then 15 left-hand and 15 right-hand finger joints, each hand as
index 1-3, middle 1-3, pinky 1-3, ring 1-3, thumb 1-3 (SMPL-H joints 22-51 = SMPL-X joints 25-54).
The chains and the finger rest directions (+X for the left hand, -X for the right) are Motion-X's
(``tomato_represenation/paramUtil.py``: ``t2m_body_hand_kinematic_chain``, ``t2m_hand_raw_offsets``), so the
HumanML3D-style feature vector for this skeleton is Motion-X's 623-dim whole-body vector.

Bone lengths: the body's are HumanML3D's (SMPL-22). Motion-X retargets to the skeleton of one of its own
clips, which is not public; the finger lengths here are motionbase's rounded adult-hand proportions
(metres, wrist to knuckle then the phalanges). They only set the uniform skeleton every clip is re-posed on.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .definition import (
    _HUMANML3D_BONES, _SMPL22_CHAINS, _SMPL22_RAW, SMPL22, SMPL22_NAMES, _mirror_from_names, _parents_from_chains,
)

FINGERS = ("index", "middle", "pinky", "ring", "thumb")
HAND_NAMES = {side: tuple(f"{side}_{f}{k}" for f in FINGERS for k in (1, 2, 3)) for side in ("left", "right")}
SMPL52_NAMES = SMPL22_NAMES + HAND_NAMES["left"] + HAND_NAMES["right"]
LEFT_HAND = tuple(range(22, 37))
RIGHT_HAND = tuple(range(37, 52))

# (wrist -> knuckle, knuckle -> middle, middle -> tip joint) per finger, metres
_FINGER_BONES = {"index": (0.088, 0.034, 0.028), "middle": (0.090, 0.036, 0.030), "pinky": (0.076, 0.022, 0.018),
                 "ring": (0.084, 0.032, 0.027), "thumb": (0.032, 0.034, 0.030)}


def _hand_chains(wrist: int, first: int) -> tuple[tuple[int, ...], ...]:
    # Motion-X's chain order: index, thumb, middle, ring, pinky
    order = ("index", "thumb", "middle", "ring", "pinky")
    return tuple((wrist,) + tuple(first + 3 * FINGERS.index(f) + k for k in range(3)) for f in order)


_SMPL52_CHAINS = _SMPL22_CHAINS + _hand_chains(20, 22) + _hand_chains(21, 37)
_SMPL52_RAW = np.concatenate([_SMPL22_RAW, np.tile([1.0, 0.0, 0.0], (15, 1)), np.tile([-1.0, 0.0, 0.0], (15, 1))])
_HAND_BONES = np.array([_FINGER_BONES[f][k] for f in FINGERS for k in range(3)])
_SMPL52_BONES = np.concatenate([_HUMANML3D_BONES, _HAND_BONES, _HAND_BONES])

# SMPL-22's body with hands: the body landmarks (face joints, feet, legs) are SMPL-22's
SMPL52 = replace(SMPL22, name="smpl52", names=SMPL52_NAMES, parents=_parents_from_chains(52, _SMPL52_CHAINS),
                 raw_offsets=_SMPL52_RAW, bone_lengths_m=_SMPL52_BONES, chains=_SMPL52_CHAINS,
                 mirror=_mirror_from_names(SMPL52_NAMES))
