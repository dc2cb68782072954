"""Retarget joint positions of any named skeleton to SMPL-22 (metres, Y up, facing +Z at frame 0).

A :class:`JointMap` says, for every SMPL-22 joint, which source joint it is, or which weighted mix of
source joints (a point on a segment, for joints the source does not have: e.g. SMPL's ``spine2``
between a two-joint spine's ``Spine`` and ``Chest``). Adding a skeleton = adding one ``JointMap`` to
:data:`JOINT_MAPS` (see docs/FORMATS.md).

Then :func:`to_smpl22_frame` works out what the file does not say, each with an override:
  * unit: the candidate of :data:`UNITS` whose leg length (hip-knee-ankle) is nearest 0.85 m;
  * up axis: the signed file axis closest to the mean head-above-ankles direction;
  * facing: a turn about the up axis so that frame 0 faces +Z (from hips and shoulders);
and only proper rotations are used, so left stays left. :func:`check_plausible` then refuses
results that cannot be a human (estimated standing height outside 1.0-2.3 m, degenerate or giant bones, toes
pointing backwards = mirrored data or a left/right mix-up, head not above the ankles or feet not the
lowest part of the body in a typical frame = wrong up axis).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Mapping, Union

import numpy as np

from ..errors import SkeletonError
from .definition import SMPL22, Skeleton
from .kinematics import bone_lengths, facing_direction

Source = Union[str, Mapping[str, float]]  # a source joint name, or {source name: weight} (weights sum to 1)


@dataclass(frozen=True)
class JointMap:
    """How a source skeleton's joints give the target skeleton's joints.

    targets: target joint name -> source joint name, or {source name: weight} (an affine mix;
    weights sum to 1, so the point moves rigidly with its sources). ``description`` says where the
    skeleton comes from. Source names match exactly, else ignoring case and a ``namespace:`` prefix.
    """

    name: str
    targets: Mapping[str, Source]
    description: str = ""
    target: Skeleton = field(default=SMPL22, repr=False)

    def __post_init__(self):
        missing = [n for n in self.target.names if n not in self.targets]
        if missing:
            raise SkeletonError(f"joint map {self.name!r}: no source for {', '.join(missing)}")
        for tgt, src in self.targets.items():
            if not isinstance(src, str) and abs(sum(src.values()) - 1.0) > 1e-9:
                raise SkeletonError(f"joint map {self.name!r}: weights for {tgt!r} sum to "
                                    f"{sum(src.values())}, expected 1")

    def sources(self) -> list[str]:
        """Every source joint name the map uses."""
        out: list[str] = []
        for src in self.targets.values():
            for n in ([src] if isinstance(src, str) else src):
                if n not in out:
                    out.append(n)
        return out

    def _lookup(self, names) -> dict[str, int | None]:
        exact = {n: i for i, n in enumerate(names)}
        loose = {_loose(n): i for i, n in enumerate(names)}
        return {n: exact.get(n, loose.get(_loose(n))) for n in self.sources()}

    def missing(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """Source names the map uses that ``names`` lacks."""
        return [n for n, i in self._lookup(names).items() if i is None]

    def resolve(self, names: tuple[str, ...] | list[str]) -> dict[str, int] | None:
        """Source name -> index in ``names`` for every name the map uses, or None if one is missing."""
        found = self._lookup(names)
        return None if None in found.values() else found  # type: ignore[return-value]

    def weights(self, names: tuple[str, ...] | list[str]) -> np.ndarray:
        """(J_target, J_source) matrix W with target = W @ source positions."""
        index = self.resolve(names)
        if index is None:
            raise SkeletonError(f"joint map {self.name!r} does not fit joints {', '.join(names)}")
        W = np.zeros((self.target.num_joints, len(names)))
        for t, tname in enumerate(self.target.names):
            src = self.targets[tname]
            for n, w in ({src: 1.0} if isinstance(src, str) else src).items():
                W[t, index[n]] += w
        return W


def _loose(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def expand_sides(template: Mapping[str, Source]) -> dict[str, Source]:
    """Expand side templates: ``{side}`` -> left/right, ``{Side}`` -> Left/Right, ``{S}`` -> L/R."""
    out: dict[str, Source] = {}
    for tgt, src in template.items():
        if "{" not in tgt:
            out[tgt] = src
            continue
        for side, short in (("Left", "L"), ("Right", "R")):
            names = {"Side": side, "S": short, "side": side.lower()}
            out[tgt.format(**names)] = (src.format(**names) if isinstance(src, str)
                                        else {n.format(**names): w for n, w in src.items()})
    return out


SPINE2_AT = 0.7  # SMPL's spine2 sits 70% of the way from spine1 to spine3 (HumanML3D's skeleton)


def two_spine_map(name: str, description: str, *, spine: tuple[str, str], collar: str | None = None,
                  **joints: str) -> JointMap:
    """A map for sources with two spine joints above the hips (lower, upper = where the clavicles
    attach) against SMPL's three: spine1 = lower, spine3 = upper, spine2 synthesised at
    :data:`SPINE2_AT`. ``collar``: the source's clavicle joint, if it sits off the chest; else SMPL's
    collar is placed halfway between spine3 and the shoulder joint. ``joints``: the other SMPL joint
    names (``left_`` / ``right_`` dropped) -> source names, with ``{Side}`` / ``{S}`` templates.
    """
    low, high = spine
    template: dict[str, Source] = {"spine1": low, "spine2": {low: round(1 - SPINE2_AT, 9), high: SPINE2_AT}, "spine3": high}
    for smpl, src in joints.items():
        template[smpl if smpl in ("pelvis", "neck", "head") else "{side}_" + smpl] = src
    template["{side}_collar"] = collar or {high: 0.5, joints["shoulder"]: 0.5}
    return JointMap(name, expand_sides(template), description)


JOINT_MAPS: dict[str, JointMap] = {m.name: m for m in (
    two_spine_map("cmu31", "CMU mocap, 31 joints, as in fairmotion / cgspeed BVH (LeftUpLeg, Spine1, Neck1, LeftArm)",
                  spine=("Spine", "Spine1"), pelvis="Hips", neck="Neck1", head="Head", hip="{Side}UpLeg",
                  knee="{Side}Leg", ankle="{Side}Foot", foot="{Side}ToeBase", shoulder="{Side}Arm",
                  elbow="{Side}ForeArm", wrist="{Side}Hand"),
    two_spine_map("cmu31_3dsmax", "CMU mocap, 31 joints, 3ds-Max-style names as in bvh11 (LeftHip, Chest2, LeftCollar)",
                  spine=("Chest", "Chest2"), pelvis="Hips", neck="Neck", head="Head", hip="{Side}Hip",
                  knee="{Side}Knee", ankle="{Side}Ankle", foot="{Side}Toe", shoulder="{Side}Shoulder",
                  elbow="{Side}Elbow", wrist="{Side}Wrist"),
    two_spine_map("bandai22", "Bandai-Namco Research Motiondataset 1/2, 22 joints in cm; joint_Root stays at the origin",
                  spine=("Spine", "Chest"), collar="Shoulder_{S}", pelvis="Hips", neck="Neck", head="Head",
                  hip="UpperLeg_{S}", knee="LowerLeg_{S}", ankle="Foot_{S}", foot="Toes_{S}",
                  shoulder="UpperArm_{S}", elbow="LowerArm_{S}", wrist="Hand_{S}"),
    JointMap("smpl22", {n: n for n in SMPL22.names}, "SMPL-22 in HumanML3D order (motionbase's own BVH)"),
)}

# Metres per file unit, tried in this order by :func:`detect_unit`.
UNITS: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "cmu": 0.0254 / 0.45}
LEG_LENGTH_M = 0.85  # hip-knee-ankle of an adult; the unit guess picks the closest, in log scale
AXES = {"+x": 0, "x": 0, "-x": 0, "+y": 1, "y": 1, "-y": 1, "+z": 2, "z": 2, "-z": 2}


def get_joint_map(name: str) -> JointMap:
    try:
        return JOINT_MAPS[name]
    except KeyError:
        raise SkeletonError(f"unknown joint map {name!r}; known: {', '.join(JOINT_MAPS)}") from None


def detect_joint_map(names: tuple[str, ...] | list[str], where: str = "skeleton") -> JointMap:
    """The known map that fits ``names`` (the one using most joints if several fit)."""
    fits = [m for m in JOINT_MAPS.values() if m.resolve(names) is not None]
    if not fits:
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        known = "; ".join(f"{m.name} ({m.description})" for m in JOINT_MAPS.values())
        raise SkeletonError(f"{where}: no joint map fits joints [{shown}]; known maps: {known}. "
                            "Add a JointMap to motionbase.skeleton.retarget.JOINT_MAPS")
    return max(fits, key=lambda m: len(m.sources()))


def apply_joint_map(positions: np.ndarray, names, joint_map: JointMap) -> np.ndarray:
    """(F, J_source, 3) -> (F, J_target, 3) in the source's units and axes."""
    return np.einsum("ts,fsc->ftc", joint_map.weights(names), positions)


def _leg_length(joints: np.ndarray, skel: Skeleton) -> float:
    """Median over frames of hip-knee + knee-ankle, averaged over both legs (input units)."""
    lengths = np.median(bone_lengths(joints, skel), axis=0)
    legs = [lengths[skel.index(f"{side}_knee")] + lengths[skel.index(f"{side}_ankle")]
            for side in ("left", "right")]
    return float(np.mean(legs))


def detect_unit(joints: np.ndarray, skel: Skeleton = SMPL22) -> tuple[str, float]:
    """(unit name, metres per unit) whose leg length is closest to :data:`LEG_LENGTH_M`."""
    leg = _leg_length(joints, skel)
    if not leg > 0:
        raise SkeletonError("legs have zero length; cannot guess the unit")
    name = min(UNITS, key=lambda u: abs(np.log(leg * UNITS[u] / LEG_LENGTH_M)))
    return name, UNITS[name]


def parse_unit(unit: float | str) -> float:
    """Metres per file unit from a number or a name in :data:`UNITS`."""
    if isinstance(unit, str):
        if unit.lower() in UNITS:
            return UNITS[unit.lower()]
        try:
            unit = float(unit)
        except ValueError:
            raise SkeletonError(f"unknown unit {unit!r}; use metres per unit or one of "
                                f"{', '.join(UNITS)}") from None
    if not (np.isfinite(unit) and unit > 0):
        raise SkeletonError(f"unit {unit} must be a positive number of metres per file unit")
    return float(unit)


def detect_up(joints: np.ndarray, skel: Skeleton = SMPL22, where: str = "skeleton") -> str:
    """Signed file axis ("+y", "-z", ...) along the clip's mean head-above-ankles vector."""
    ankles = (joints[:, skel.feet_left[0]] + joints[:, skel.feet_right[0]]) / 2
    v = np.mean(joints[:, skel.index("head")] - ankles, axis=0)
    axis = int(np.argmax(np.abs(v)))
    if not abs(v[axis]) >= 0.6 * np.linalg.norm(v):
        raise SkeletonError(f"{where}: cannot tell the up axis (mean head-above-ankles direction "
                            f"{np.round(v / np.linalg.norm(v), 2).tolist()}); pass up='+y' or similar")
    return ("+" if v[axis] > 0 else "-") + "xyz"[axis]


def up_rotation(up: str) -> np.ndarray:
    """(3, 3) proper rotation taking the signed file axis ``up`` to +Y."""
    key = up.lower()
    if key not in AXES:
        raise SkeletonError(f"unknown up axis {up!r}; use one of +x -x +y -y +z -z")
    src = np.zeros(3)
    src[AXES[key]] = -1.0 if key.startswith("-") else 1.0
    dst = np.array([0.0, 1.0, 0.0])
    if src @ dst > 0.5:
        return np.eye(3)
    if src @ dst < -0.5:
        return np.diag([1.0, -1.0, -1.0])  # half turn about X
    axis = np.cross(src, dst)  # quarter turn about src x dst
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + K + K @ K


def yaw_to_face_z(joints_y_up: np.ndarray, skel: Skeleton = SMPL22) -> np.ndarray:
    """(3, 3) turn about +Y that makes frame 0 face +Z (from hips and shoulders)."""
    fwd = facing_direction(joints_y_up[:1], skel)[0]
    if not np.isfinite(fwd).all():
        return np.eye(3)
    angle = np.arctan2(fwd[0], fwd[2])  # rotate by -angle about Y
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])


@dataclass(frozen=True)
class Frame:
    """What :func:`to_smpl22_frame` chose: unit (metres per file unit), up axis, and the total rotation."""

    unit_m: float
    unit_name: str
    up: str
    rotation: np.ndarray = field(repr=False)


def to_smpl22_frame(joints: np.ndarray, *, unit: float | str | None = None, up: str | None = None,
                    skel: Skeleton = SMPL22, where: str = "skeleton") -> tuple[np.ndarray, Frame]:
    """(F, J, 3) target-skeleton joints in file units/axes -> metres, Y up, frame 0 facing +Z,
    floor (lowest joint of the clip) at y = 0, pelvis over the origin at frame 0."""
    if unit is None:
        unit_name, unit_m = detect_unit(joints, skel)
    else:
        unit_m = parse_unit(unit)
        unit_name = unit if isinstance(unit, str) else f"{unit_m:g} m"
    up = detect_up(joints, skel, where) if up is None else up
    R_up = up_rotation(up)
    out = np.einsum("ab,fjb->fja", R_up, joints * unit_m)
    R_yaw = yaw_to_face_z(out, skel)
    out = np.einsum("ab,fjb->fja", R_yaw, out)
    out[..., 1] -= out[..., 1].min()
    out[..., [0, 2]] -= out[0, 0, [0, 2]]
    return out, Frame(unit_m, unit_name, up, R_yaw @ R_up)


HEIGHT_RANGE_M = (1.0, 2.3)
HEIGHT_EXTRA_M = 0.15  # ankle above the floor + head top above the head joint, roughly


def standing_height(joints_m: np.ndarray, skel: Skeleton = SMPL22) -> float:
    """Rough standing height (m) from bone lengths: legs + hip-pelvis-head chain + 0.15 m."""
    lengths = np.median(bone_lengths(joints_m, skel), axis=0)
    trunk = sum(lengths[skel.index(n)] for n in ("left_hip", "spine1", "spine2", "spine3", "neck", "head"))
    return _leg_length(joints_m, skel) + float(trunk) + HEIGHT_EXTRA_M


class PlausibilityWarning(UserWarning):
    """A sanity check saw something odd but had too little evidence to refuse the clip."""


MIN_STANCE_FRAMES = 4  # stance frames (both feet together) needed to judge which way the toes point
STANCE_HEIGHT_M = 0.05  # a foot within this of the typical floor height ...
STANCE_SPEED_MS = 0.6  # ... and moving slower than this is on the floor


def toe_forwardness(joints_m: np.ndarray, skel: Skeleton = SMPL22, fps: float = 20.0) -> tuple[float, int, float]:
    """(mean cosine between ankle->toe and the facing over stance frames, number of stance frames, the same
    mean over all frames). Stance: the toe joint within ``STANCE_HEIGHT_M`` of the median floor height (the
    lowest joint of each frame) and slower than ``STANCE_SPEED_MS``. Only on the floor must the toes point
    forward: in the air (a sprint's swing phase, a kick) a foot points down and back for long stretches."""
    fwd = facing_direction(joints_m, skel)
    floor = float(np.median(joints_m[..., 1].min(axis=1)))
    on_floor, every = [], []
    for ankle, toe in (skel.feet_left[:2], skel.feet_right[:2]):
        v = joints_m[:, toe] - joints_m[:, ankle]
        cos = np.sum(v * fwd, axis=-1) / np.maximum(np.linalg.norm(v, axis=-1), 1e-9)
        speed = np.linalg.norm(np.diff(joints_m[:, toe], axis=0), axis=-1) * fps
        speed = np.minimum(np.r_[speed, np.inf], np.r_[np.inf, speed])  # slower of the steps in and out
        stance = (joints_m[:, toe, 1] < floor + STANCE_HEIGHT_M) & (speed < STANCE_SPEED_MS)
        on_floor.append(cos[stance])
        every.append(cos)
    stance_cos = np.concatenate(on_floor)
    return (float(stance_cos.mean()) if stance_cos.size else float("nan"), int(stance_cos.size),
            float(np.mean(np.concatenate(every))))


def check_plausible(joints_m: np.ndarray, where: str, skel: Skeleton = SMPL22, note: str = "",
                    fps: float = 20.0) -> None:
    """Raise :class:`SkeletonError` naming ``where`` unless (F, J, 3) metres Y-up joints look human."""
    hint = f" ({note})" if note else ""
    height = standing_height(joints_m, skel)
    lo, hi = HEIGHT_RANGE_M
    if not lo <= height <= hi:
        raise SkeletonError(f"{where}: standing height {height:.2f} m, expected {lo}-{hi} m for a "
                            f"human{hint}; pass unit= to set metres per file unit")
    lengths = np.median(bone_lengths(joints_m, skel), axis=0)
    for j, p in enumerate(skel.parents):
        if p >= 0 and not 0.001 <= lengths[j] <= 0.8:
            raise SkeletonError(f"{where}: bone {skel.names[p]}-{skel.names[j]} is {lengths[j]:.4f} m, "
                                f"expected 0.001-0.8 m{hint}")
    ankles_y = (joints_m[:, skel.feet_left[0], 1] + joints_m[:, skel.feet_right[0], 1]) / 2
    head_up = float(np.median(joints_m[:, skel.index("head"), 1] - ankles_y))
    if head_up < 0.3:
        raise SkeletonError(f"{where}: in a typical frame the head is {head_up:.2f} m above the ankles, "
                            f"expected an upright body{hint}; pass up= to set the up axis "
                            "(or checks=False for clips spent lying down)")
    stance, n_stance, whole = toe_forwardness(joints_m, skel, fps)
    if n_stance >= MIN_STANCE_FRAMES and not stance > 0:
        raise SkeletonError(f"{where}: toes point backwards relative to the facing from hips and "
                            f"shoulders in {n_stance} stance frames (foot on the floor): left and right look "
                            f"swapped (mirrored data or a wrong joint map)")
    if n_stance < MIN_STANCE_FRAMES and not whole > 0:
        warnings.warn(f"{where}: toes point backwards relative to the facing on average, but only {n_stance} "
                      f"frame(s) have a foot on the floor (a sprint, a jump?), too few to judge: kept; check "
                      f"that left and right are not swapped", PlausibilityWarning, stacklevel=2)
    feet = np.concatenate([skel.feet_left, skel.feet_right])
    lift = np.median(joints_m[:, feet, 1].min(axis=1) - joints_m[..., 1].min(axis=1))
    if lift > 0.15:
        raise SkeletonError(f"{where}: in a typical frame the feet are {lift:.2f} m above the lowest "
                            f"joint, expected the feet to be lowest{hint}; pass up= to set the up axis")
