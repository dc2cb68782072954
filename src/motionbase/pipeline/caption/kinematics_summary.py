"""What a motion does, read off its 3D joints: the facts the rules captioner turns into words.

Input: joints (T, J, 3) in metres, Y up, at ``fps`` frames per second, on a skeleton that names its
joints like SMPL-22 (``pelvis``, ``left_wrist``, ...). Nothing here assumes the canonical frame: every
direction is taken relative to the body's own facing, computed per frame from the hips and shoulders
(:func:`motionbase.skeleton.kinematics.facing_direction`), and every height relative to the floor
(the lowest the feet get) and to the body's own leg length. So a clip that is rotated, moved or
starts facing anywhere reads the same, and a left/right mirrored clip reads mirrored.

Signs and sides: "left" is the body's left (with the SMPL-22 convention, +X when it faces +Z);
``turn_deg > 0`` is a turn to the body's left (counterclockwise seen from above).

What is measured (vectorised numpy; about 1-3 ms of CPU for a clip of a few seconds):

- travel: horizontal root path (m), speed (m/s), the dominant direction of travel in the body frame
  (forward, backward, left, right), walk vs run, or travel by jumps (repeated jumps, the feet rarely
  alternating). Walk vs run reads two things no single noisy frame can fake: the Froude number
  ``v^2 / (g L)`` (speed relative to leg length L; people switch from walking to running near 0.5,
  Alexander 1989) and *sustained* flight phases (both feet off the floor for ``flight_min_s`` between
  steps, per-foot contact with hysteresis from :mod:`motionbase.pipeline.refine.contact`) in at least
  ``run_flight_share`` of the steps. A clear run (``Fr >= run_froude``) needs no flight evidence; a slow
  one (``jog_froude <= Fr``) needs it; below ``jog_froude`` it is a walk whatever the feet seem to do;
- turns: signed change of the facing yaw from the first to the last quarter-second, and each
  sustained turn on the way (degrees);
- jumps: spans with both feet off the floor where the pelvis rises above its standing height;
- squats: spans where the pelvis drops below standing height by a fraction of the leg length;
- arm raises per side, as events: the wrist lifted towards or above the shoulder (or above the head)
  *and* well above the arm's own rest in the clip, held, in frames that saw the wrist (per-frame
  visibility of pose estimates); when, how high, which way, by how much over the noise floor;
- waves per side: the raised wrist swinging back and forth (side to side for a traveller), or the
  forearm rocking about the elbow (counted swings, with hysteresis, at a waving rate);
- kicks / leg lifts per side: a foot high above the floor (and ahead of the pelvis for a kick);
- torso lean, the pose (standing, crouching, sitting, kneeling, lying) and whether nothing moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from ...config import Config
from ...errors import ShapeError, SkeletonError
from ...skeleton import SMPL22, Skeleton
from ...skeleton.kinematics import facing_direction

SIDES = ("left", "right")
UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class SummaryConfig(Config):
    """Thresholds of :func:`summarize_motion`; lengths in metres, times in seconds, angles in degrees."""

    smooth_s: float = 0.3  # moving-average window for the root path and the facing
    travel_speed_mps: float = 0.25  # mean horizontal root speed above which the person travels ...
    travel_min_m: float = 0.4  # ... and this much net distance
    run_froude: float = 0.5  # v^2 / (g * leg length) above this is a run whatever the feet seem to do
    jog_froude: float = 0.25  # between this and run_froude: a run only with sustained flight phases
    flight_min_s: float = 0.1  # a flight phase: both feet off the floor at least this long, between steps
    run_flight_share: float = 0.3  # ... in at least this share of the steps (and at least 2 of them)
    run_flight_fraction: float = 0.05  # the lower-body caption says "both feet leave the ground" above this
    hop_single_support: float = 0.15  # travel by jumps: one foot alone on the floor less often than this
    contact_height_m: float = 0.05  # a foot lower than this above the floor touches it
    slight_turn_deg: float = 25.0
    turn_deg: float = 50.0
    turn_around_deg: float = 135.0
    turn_hold_s: float = 1.0  # a turn is kept when the new facing lasts this long (else: a twist)
    jump_rise_m: float = 0.08  # pelvis above standing height while airborne
    jump_min_s: float = 0.1
    squat_drop: float = 0.22  # pelvis drop below standing height, as a fraction of leg length
    squat_min_s: float = 0.2
    raise_min_s: float = 0.2  # a wrist held up this long is a raised arm ...
    raise_elevation: float = -0.4  # ... up means above the shoulder by this many arm lengths (-1: hanging)
    raise_elevation_moving: float = -0.4  # ... this many while travelling (arms swing; video: walkers' floor)
    raise_overhead_m: float = 0.02  # ... or the wrist above the head joint by this much ...
    raise_rise: float = 0.5  # ... and risen this many arm lengths above the arm's own rest in the clip ...
    raise_rise_moving: float = 0.5  # ... this many while travelling (arm swing; video: walkers' floor)
    rest_quantile: float = 10.0  # the arm's rest: this percentile of its elevation over the seen frames
    raise_rise_scale: float = 0.15  # noise spread of the rise (arm lengths): a claim's confidence unit
    raise_jitter_ref: float = 0.0  # trunk jitter of the calibration walkers (see arm_trace); 0: not used
    raise_jitter_z: float = 3.0  # a clip noisier than that adds this many of its extra noise sigmas
    trust_visibility: float = 0.3  # a wrist seen with less mean visibility over a raise window is no evidence
    shoulder_elevation: float = -0.15  # a raise this high reaches shoulder height
    raise_margin_m: float = 0.02  # "above the head": wrist higher than the head joint by this
    head_near: float = 0.5  # "to the head" (hand to the ear or face): wrist within this many arm lengths
    # of the head joint in a quarter of a raise's frames (a hand out to the side is >= 1 away, on the chest
    # >= 0.55; vtest's phone call, s00-p035: 0.38-0.49, a quarter under 0.44-0.46 between runs)
    wave_swing_m: float = 0.025  # a wave reverses the wrist's horizontal swing by this much ...
    wave_min_swings: int = 5  # ... this many times while the arm is up
    wave_elevation: float = -0.6  # the arm counts as up for waving down to this elevation
    wave_angle_deg: float = 5.0  # or: the forearm tilts side to side about the elbow by this much ...
    wave_min_angle_swings: int = 7  # ... this many times (a hand wave with a still upper arm)
    wave_hz: tuple[float, float] = (0.25, 4.0)  # ... at a rate in this range (back-and-forth cycles / s;
    # Bandai train-split waves: 5th percentile 0.27, median 0.94, max 2.5; faster than 4 Hz is pose noise)
    kick_height: float = 0.5  # foot above the floor, as a fraction of leg length
    kick_forward: float = 0.25  # foot ahead of the pelvis, as a fraction of leg length
    kick_min_s: float = 0.1
    lean_deg: float = 20.0  # torso tilted forward more than this is a lean
    still_m: float = 0.08  # no joint strays further than this from its first position: static


@dataclass
class Span:
    """An interval of the clip, seconds from its start, and a size (its unit is the list's: metres for
    jumps and squats, signed degrees for turns, metres above the shoulder for arm raises)."""

    start_s: float
    end_s: float
    size: float = 0.0


@dataclass
class ArmAction:
    """One raised arm: how high (``overhead``, ``head``: the hand at the ear or face, ``shoulder`` or
    ``chest``), which way it points from the shoulder (``up``, ``forward``, ``sideways``), whether it comes
    back down, and any waving."""

    side: str
    level: str
    direction: str
    span: Span
    lowered: bool
    wave_swings: int = 0
    rise: float = 0.0  # sustained rise above the arm's rest in the clip (arm lengths; 0: no rise event)
    rise_floor: float = 0.0  # the clip's noise floor for that rise (arm lengths, jitter-scaled)

    @property
    def waves(self) -> bool:
        return self.wave_swings > 0


@dataclass
class LegAction:
    """A foot lifted high: ``kick`` (ahead of the pelvis) or ``lift`` (knee raise, leg swing)."""

    side: str
    kind: str
    span: Span
    height_m: float


@dataclass
class MotionSummary:
    """Facts about one motion. Distances in metres, speeds in m/s, times in seconds, angles in degrees."""

    duration_s: float
    static: bool
    pose: str  # standing | crouching | sitting | kneeling | lying (at the middle frame)
    end_pose: str
    locomotion: str  # none | walk | run | jump (travel by repeated jumps)
    direction: str  # forward | backward | left | right ("" without locomotion)
    speed_mps: float  # mean horizontal root speed while travelling (0 without locomotion)
    distance_m: float  # horizontal root path length
    turn_deg: float  # net change of facing, signed: > 0 turns to the body's left
    flight_fraction: float  # fraction of travelling frames with both feet off the floor
    lean_deg: float  # median forward tilt of the torso from vertical (negative: leaning back)
    turns: list[Span] = field(default_factory=list)  # size: signed angle (degrees, > 0 left)
    jumps: list[Span] = field(default_factory=list)  # size: pelvis rise (m)
    squats: list[Span] = field(default_factory=list)  # size: pelvis drop (m)
    arms: list[ArmAction] = field(default_factory=list)  # ordered by start time
    legs: list[LegAction] = field(default_factory=list)  # ordered by start time
    froude: float = 0.0  # mean travelling speed^2 / (g * leg length)
    flight_phases: int = 0  # sustained flight phases between steps (see SummaryConfig.flight_min_s)
    steps: int = 0  # foot strikes


@dataclass(frozen=True)
class _Joints:
    """Indices of the joints the analysis reads, looked up by name on the skeleton."""

    pelvis: int
    neck: int
    head: int
    hip: tuple[int, int]  # (left, right)
    knee: tuple[int, int]
    ankle: tuple[int, int]
    foot: tuple[int, int]
    shoulder: tuple[int, int]
    elbow: tuple[int, int]
    wrist: tuple[int, int]

    @classmethod
    def of(cls, skel: Skeleton) -> _Joints:
        def idx(name: str) -> int:
            try:
                return skel.index(name)
            except ValueError:
                raise SkeletonError(f"skeleton {skel.name!r} has no joint {name!r}; the kinematic "
                                    f"captioner needs SMPL-style joint names") from None

        def pair(part: str) -> tuple[int, int]:
            return idx(f"left_{part}"), idx(f"right_{part}")

        return cls(idx("pelvis"), idx("neck"), idx("head"), pair("hip"), pair("knee"), pair("ankle"),
                   pair("foot"), pair("shoulder"), pair("elbow"), pair("wrist"))


def _moving_average(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving average along axis 0 with edge padding; n <= 1 returns x."""
    if n <= 1 or len(x) < 2:
        return x
    pad = n // 2
    xp = np.concatenate([np.repeat(x[:1], pad, 0), x, np.repeat(x[-1:], n - 1 - pad, 0)], axis=0)
    c = np.cumsum(np.concatenate([np.zeros_like(x[:1]), xp], axis=0), axis=0)
    return (c[n:] - c[:-n]) / n


def _runs(mask: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """[start, end) frame ranges where ``mask`` is true for at least ``min_len`` frames."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if b - a >= max(min_len, 1)]


def _zigzag(signal: np.ndarray, threshold: float) -> list[int]:
    """Indices of the alternating extremes of a 1D signal, ignoring wiggles of ``threshold`` or less:
    the start of the first move, every peak and trough in between, and the last extreme. [] if the
    signal never moves by more than ``threshold``."""
    x = [float(v) for v in signal]
    pivots, ext, direction, lo, hi = [], 0, 0, 0, 0
    for i in range(1, len(x)):
        if direction == 0:
            lo, hi = (i if x[i] < x[lo] else lo), (i if x[i] > x[hi] else hi)
            if x[i] - x[lo] > threshold:
                pivots, direction, ext = [lo], 1, i
            elif x[hi] - x[i] > threshold:
                pivots, direction, ext = [hi], -1, i
        elif (x[i] - x[ext]) * direction > 0:
            ext = i
        elif (x[ext] - x[i]) * direction > threshold:
            pivots.append(ext)
            direction, ext = -direction, i
    return pivots + [ext] if pivots else []


def _swings(signal: np.ndarray, threshold: float) -> int:
    """Reversals of a 1D signal by more than ``threshold`` (back-and-forth count, with hysteresis)."""
    return max(len(_zigzag(signal, threshold)) - 2, 0)


class _Frame:
    """Per-frame body frame and heights shared by the measurements below."""

    def __init__(self, joints: np.ndarray, fps: float, skel: Skeleton, cfg: SummaryConfig,
                 visibility: np.ndarray | None = None):
        self.j, self.fps, self.cfg, self.skel, self.vis = joints, fps, cfg, skel, visibility
        self._gait: tuple[int, int] | None = None
        self.ix = ix = _Joints.of(skel)
        self.n_smooth = max(1, int(round(cfg.smooth_s * fps)))
        fwd = facing_direction(joints, skel) if len(joints) else np.zeros((0, 3))
        self.forward = _unit(_moving_average(fwd, self.n_smooth))
        self.left = np.cross(UP, self.forward)  # the body's left, horizontal
        feet = joints[:, list(ix.ankle + ix.foot), 1]
        self.floor = float(np.percentile(feet.min(axis=1), 5))
        # foot height above the floor per side: (T, 2)
        self.foot_h = np.stack([np.minimum(joints[:, ix.ankle[s], 1], joints[:, ix.foot[s], 1])
                                for s in range(2)], axis=1) - self.floor
        thigh = np.linalg.norm(joints[:, ix.hip] - joints[:, ix.knee], axis=-1)
        shin = np.linalg.norm(joints[:, ix.knee] - joints[:, ix.ankle], axis=-1)
        self.leg_m = float(np.median(thigh + shin))
        ankle_rest = float(np.median(joints[:, ix.ankle, 1] - self.floor))
        hip_below_pelvis = float(np.median(joints[:, ix.pelvis, 1] - joints[:, ix.hip, 1].mean(axis=1)))
        ankle_rest = min(ankle_rest, 0.25 * self.leg_m)  # a clip spent off the floor: skeletal guess
        self.stand_h = self.leg_m + ankle_rest + hip_below_pelvis  # pelvis height, straight legs
        self.pelvis_h = joints[:, ix.pelvis, 1] - self.floor
        self.contact = self.foot_h < cfg.contact_height_m  # (T, 2)
        root = joints[:, ix.pelvis] * np.array([1.0, 0.0, 1.0])
        self.path = _moving_average(root, self.n_smooth)  # (T, 3) smoothed horizontal root path
        vel = np.diff(self.path, axis=0) * fps
        self.vel = np.concatenate([vel, vel[-1:]]) if len(vel) else np.zeros_like(root)  # (T, 3) m/s
        self.speed = np.linalg.norm(self.vel, axis=-1)
        self.travelling = self.speed > cfg.travel_speed_mps  # (T,)

    def frames(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.fps)))

    def seen(self, joint: int) -> np.ndarray:
        """(T,) visibility of ``joint`` per frame; 1 without per-frame visibility (mocap)."""
        return np.ones(len(self.j)) if self.vis is None else np.clip(self.vis[:, joint], 0.0, 1.0)

    def froude(self, speed_mps: float) -> float:
        return float(speed_mps ** 2 / (9.81 * max(self.leg_m, 1e-6)))

    def gait(self) -> tuple[int, int]:
        """(sustained flight phases, steps) from per-foot contacts with hysteresis."""
        if self._gait is None:
            from ..refine.contact import count_steps, flight_episodes, foot_contacts

            lifted = self.j - np.array([0.0, self.floor, 0.0])
            contacts = foot_contacts(lifted, self.fps, skeleton=self.skel, support=False)
            self._gait = (len(flight_episodes(contacts, self.frames(self.cfg.flight_min_s))), count_steps(contacts))
        return self._gait

    def span(self, a: int, b: int, size: float = 0.0) -> Span:
        return Span(a / self.fps, b / self.fps, float(size))

    def local(self, vec: np.ndarray) -> np.ndarray:
        """(T, 3) world vectors -> (T, 3) as (left, up, forward) components in the body frame."""
        return np.stack([np.einsum("ti,ti->t", vec, self.left), vec[:, 1],
                         np.einsum("ti,ti->t", vec, self.forward)], axis=1)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-9, n, 1.0)


def _yaw_deg(forward: np.ndarray) -> np.ndarray:
    """Unwrapped heading (degrees) of horizontal unit vectors; increases when turning left."""
    return np.degrees(np.unwrap(np.arctan2(forward[:, 0], forward[:, 2])))


def _travel(f: _Frame, jumps: int) -> tuple[str, str, float, float, float]:
    """(locomotion, direction, speed m/s, path length m, flight fraction). ``jumps``: how many jumps
    the clip has; travel by repeated jumps with the feet together (rarely one foot down) is ``jump``."""
    cfg, moving = f.cfg, f.travelling
    distance = float(f.speed[:-1].sum() / f.fps)
    net = float(np.linalg.norm(f.path[-1] - f.path[0]))
    if f.speed.mean() < cfg.travel_speed_mps or net < cfg.travel_min_m or not moving.any():
        return "none", "", 0.0, distance, 0.0
    v = f.local(f.vel)[moving]
    lateral, ahead = float(v[:, 0].mean()), float(v[:, 2].mean())
    if abs(ahead) >= abs(lateral):
        direction = "forward" if ahead > 0 else "backward"
    else:
        direction = "left" if lateral > 0 else "right"
    speed = float(f.speed[moving].mean())
    flight = float((~f.contact).all(axis=1)[moving].mean())
    single_support = float((f.contact.sum(axis=1) == 1)[moving].mean())
    if jumps >= 2 and single_support < cfg.hop_single_support:
        return "jump", direction, speed, distance, flight
    return ("run" if is_run(f.froude(speed), *f.gait(), cfg) else "walk"), direction, speed, distance, flight


def is_run(froude: float, flight_phases: int, steps: int, cfg: SummaryConfig) -> bool:
    """Walk vs run from the Froude number and sustained flight phases (see the module docstring)."""
    if froude >= cfg.run_froude:
        return True
    robust_flight = flight_phases >= max(2, cfg.run_flight_share * steps)
    return froude >= cfg.jog_froude and robust_flight


def _turns(f: _Frame) -> tuple[float, list[Span]]:
    """(net turn, turns): the facing's change from the first to the last quarter-second, and each
    sustained turn as a span whose size is its signed angle (degrees, > 0: to the left). Turns run
    between the extremes of the facing yaw (reversals under ``slight_turn_deg`` ignored); an extreme
    whose facing is not held (within half that) for ``turn_hold_s`` around it is dropped, so a
    twist of the body that comes straight back is no turn. Turns under ``turn_deg`` are not listed."""
    cfg, yaw = f.cfg, _yaw_deg(f.forward)
    k = min(f.frames(0.25), max(1, len(yaw) // 4))
    hold = f.frames(cfg.turn_hold_s)

    def held(p: int) -> bool:  # the facing at p lasts (within half a slight turn) around p
        near = np.abs(yaw - yaw[p]) <= cfg.slight_turn_deg / 2
        return any(a <= p < b for a, b in _runs(near, hold))

    pivots = _zigzag(yaw, cfg.slight_turn_deg)
    pivots = pivots[:1] + [p for p in pivots[1:-1] if held(p)] + pivots[-1:]
    turns: list[Span] = []
    for a, b in pairwise(pivots):
        if turns and (yaw[b] - yaw[a]) * turns[-1].size > 0:  # the same way again: one turn
            turns[-1] = Span(turns[-1].start_s, b / f.fps, turns[-1].size + float(yaw[b] - yaw[a]))
        else:
            turns.append(f.span(a, b, yaw[b] - yaw[a]))
    turns = [t for t in turns if abs(t.size) >= cfg.turn_deg]
    return float(yaw[-k:].mean() - yaw[:k].mean()), turns


def _jumps(f: _Frame) -> list[Span]:
    airborne = (~f.contact).all(axis=1)
    rise = f.pelvis_h - f.stand_h
    return [f.span(a, b, rise[a:b].max()) for a, b in _runs(airborne, f.frames(f.cfg.jump_min_s))
            if rise[a:b].max() > f.cfg.jump_rise_m]


def _squats(f: _Frame) -> list[Span]:
    drop = f.stand_h - f.pelvis_h
    low = (drop > f.cfg.squat_drop * f.leg_m) & ~f.travelling
    return [f.span(a, b, drop[a:b].max()) for a, b in _runs(low, f.frames(f.cfg.squat_min_s))]


@dataclass
class ArmTrace:
    """One arm through a clip: elevation = (wrist height - shoulder height) / arm length (-1 hanging, 0 level
    with the shoulder, +1 straight up), which frames saw the arm (``seen``: the wrist, or the elbow when the
    wrist was hidden) and the wrist itself (``wrist_seen``), the arm's own rest (the ``rest_quantile`` of the
    seen elevation; -1, hanging, when the clip cannot show one: a still pose or too few seen frames), the rise
    above it, and the clip's jitter (see :func:`arm_trace`)."""

    elevation: np.ndarray  # (T,)
    seen: np.ndarray  # (T,) bool
    rest: float
    jitter: float
    wrist_seen: np.ndarray | None = None  # (T,) bool; None: as ``seen``

    @property
    def rise(self) -> np.ndarray:
        return self.elevation - self.rest


def arm_trace(f: _Frame, s: int, static: bool = False) -> ArmTrace:
    """The :class:`ArmTrace` of side ``s`` (0 left, 1 right) of a clip. A joint counts as seen in a frame when
    its mean visibility over the ``raise_min_s`` window around it is at least ``trust_visibility`` (visibility
    flickers frame to frame; filled frames are no evidence for a claim). Where the wrist was hidden but the
    elbow seen, the upper arm is the evidence: the elevation there is the lower of the (filled) wrist's and
    the upper arm's own (elbow above the shoulder / upper-arm length, the same -1..+1 scale for a straight
    arm), so a hidden hand is never placed higher than its seen elbow allows; a raise whose wrist the pose
    model lost for a few frames stays one raise, and an arm whose hanging frames hid the wrist still shows
    its rest. The jitter is read on the trunk (shoulder height above the pelvis), which a gesture does not
    move: the clip's own estimation noise, not the gesture's acceleration."""
    cfg, ix, j = f.cfg, f.ix, f.j
    wrist, elbow, shoulder = j[:, ix.wrist[s]], j[:, ix.elbow[s]], j[:, ix.shoulder[s]]
    upper = np.linalg.norm(elbow - shoulder, axis=-1)
    arm_m = max(float(np.median(upper + np.linalg.norm(wrist - elbow, axis=-1))), 1e-6)
    n = min(f.frames(cfg.raise_min_s), len(j))
    wrist_seen = uniform_filter1d(f.seen(ix.wrist[s]), n, mode="nearest") >= cfg.trust_visibility
    elbow_seen = uniform_filter1d(f.seen(ix.elbow[s]), n, mode="nearest") >= cfg.trust_visibility
    by_wrist = (wrist[:, 1] - shoulder[:, 1]) / arm_m
    by_elbow = (elbow[:, 1] - shoulder[:, 1]) / max(float(np.median(upper)), 1e-6)
    elevation = np.where(wrist_seen, by_wrist, np.minimum(by_wrist, by_elbow))
    seen = wrist_seen | elbow_seen
    enough = not static and seen.sum() >= 2 * f.frames(cfg.raise_min_s)
    rest = float(np.percentile(elevation[seen], cfg.rest_quantile)) if enough else -1.0
    trunk = (shoulder[:, 1] - j[:, ix.pelvis, 1]) / arm_m
    jitter = float(np.median(np.abs(np.diff(trunk, 2)))) if len(j) > 2 else 0.0
    return ArmTrace(elevation, seen, rest, jitter, wrist_seen)


def rise_floor(trace: ArmTrace, cfg: SummaryConfig, moving: bool | np.ndarray = False) -> float | np.ndarray:
    """The rise a raise must clear: ``raise_rise`` (``raise_rise_moving`` while travelling) plus, for a clip
    noisier than the calibration walkers, ``raise_jitter_z`` sigmas of its extra noise (a white noise's
    sigma is its median |second difference| / 1.65)."""
    extra = max(0.0, trace.jitter - cfg.raise_jitter_ref) / 1.65 if cfg.raise_jitter_ref > 0 else 0.0
    return np.where(moving, cfg.raise_rise_moving, cfg.raise_rise) + cfg.raise_jitter_z * extra


def _arms(f: _Frame, static: bool = False) -> list[ArmAction]:
    """Raised arms, as events. A frame is *up* when the wrist was seen and is above ``raise_elevation``
    (``raise_elevation_moving`` while travelling; or above the head by ``raise_overhead_m``); it is
    *raised* when it is also :func:`rise_floor` above the arm's own rest in the clip. A stretch with the
    arm up (elevation above ``wave_elevation``) is one action when it holds a raise for ``raise_min_s``,
    or, with no rise because the clip never shows the arm down (its rest is above ``wave_elevation``: a
    hand up all clip long, or a clip cut mid-gesture), when it is seen at shoulder height
    (``shoulder_elevation``) that long and waves (:func:`_wave_swings`) while not travelling: a hand held
    up without either is the person's posture (something carried), not a gesture, and is not claimed. While travelling,
    chest-high raises and brief shoulder-high ones are taken for arm swing and dropped."""
    cfg, ix, j = f.cfg, f.ix, f.j
    out = []
    for s, side in enumerate(SIDES):
        wrist, elbow, shoulder = j[:, ix.wrist[s]], j[:, ix.elbow[s]], j[:, ix.shoulder[s]]
        trace = arm_trace(f, s, static)
        elevation, floor = trace.elevation, rise_floor(trace, cfg, f.travelling)
        wrist_seen = trace.seen if trace.wrist_seen is None else trace.wrist_seen
        overhead = wrist_seen & (wrist[:, 1] > j[:, ix.head, 1] + cfg.raise_margin_m)  # the hand itself seen there
        arm_len = float(np.median(np.linalg.norm(wrist - elbow, axis=-1) + np.linalg.norm(elbow - shoulder, axis=-1)))
        to_head = np.linalg.norm(wrist - j[:, ix.head], axis=-1) / arm_len
        outward = np.array([1.0 if side == "left" else -1.0, 1.0, 1.0])  # outward from the body is +x
        rel = f.local(wrist - shoulder) * outward
        fore = f.local(wrist - elbow) * outward
        tilt = np.degrees(np.arctan2(fore[:, 0], fore[:, 1]))  # forearm tilt out from vertical
        high = np.where(f.travelling, cfg.raise_elevation_moving, cfg.raise_elevation)
        up = trace.seen & (elevation > high) | wrist_seen & (wrist[:, 1] > j[:, ix.head, 1] + cfg.raise_overhead_m)
        raised = up & (trace.rise > floor)
        waving = trace.seen & (elevation > cfg.shoulder_elevation)
        n_min = min(f.frames(cfg.raise_min_s), len(j))
        for a, b in _runs(elevation > cfg.wave_elevation, 1):
            hold = _runs(raised[a:b], n_min)
            walking = f.travelling[a:b].mean() > 0.5  # (walking arms swing to and fro at 1-2 Hz themselves)
            swings = _wave_swings(rel[a:b], tilt[a:b], cfg, f.fps, lateral=walking)
            if not hold:  # no rise event: if the clip never shows the arm down, a wave (standing) is a gesture
                hold = _runs(waving[a:b], n_min) if swings and not walking and trace.rest > cfg.wave_elevation else []
                if not hold:
                    continue
            ra, rb = a + hold[0][0], a + hold[-1][1]
            top = ra + int(np.argmax(elevation[ra:rb]))
            level = ("overhead" if _runs(overhead[ra:rb], n_min) else  # held above the head, not one frame
                     "shoulder" if elevation[top] > cfg.shoulder_elevation else "chest")
            moving = f.travelling[ra:rb].mean() > 0.5
            if moving and (level == "chest" or (level == "shoulder" and rb - ra < f.frames(1.0))):
                continue  # arm swing of a walk or run
            if level != "overhead" and np.percentile(to_head[ra:rb], 25) < cfg.head_near:
                level = "head"  # the hand at the ear or face for a quarter of the raise
            rise = max(float(minimum_filter1d(trace.rise[c:d], n_min, mode="nearest").max())
                       for c, d in ((a + x, a + y) for x, y in hold))
            out_, up_, ahead = rel[top]
            direction = "up" if up_ > max(out_, ahead) else ("forward" if ahead >= out_ else "sideways")
            out.append(ArmAction(side, level, direction, f.span(ra, rb, wrist[top, 1] - shoulder[top, 1]),
                                 lowered=bool(rb < len(j) and not up[-1]), wave_swings=swings,
                                 rise=rise, rise_floor=float(floor[top])))
    return sorted(out, key=lambda x: (x.span.start_s, -x.span.size))


def _wave_swings(rel: np.ndarray, tilt_deg: np.ndarray, cfg: SummaryConfig, fps: float, lateral: bool = False) -> int:
    """Swings of a raised hand: of the wrist (shoulder-relative, body frame) along the main axis of its
    horizontal path (``lateral``, for a person travelling: side to side only, as to and fro is what walking
    arms do), or of the forearm's sideways tilt about the elbow.
    0 unless either count reaches its minimum at a waving rate (``wave_hz``: back-and-forth cycles per
    second over the stretch from the first to the last reversal; slower is a reach, faster is noise)."""
    if len(rel) < 4:
        return 0
    lo, hi = cfg.wave_hz

    def rate_ok(pivots: list[int]) -> bool:
        seconds = (pivots[-2] - pivots[1]) / fps if len(pivots) > 3 else 0.0
        return seconds > 0 and lo <= (len(pivots) - 3) / 2 / seconds <= hi

    plane = _moving_average(rel, 3)[:, [0, 2]]
    if lateral:
        axis = plane[:, 0]
    else:
        plane = plane - plane.mean(axis=0)
        axis = plane @ np.linalg.svd(plane, full_matrices=False)[2][0]
    pivots = _zigzag(axis, cfg.wave_swing_m)
    if len(pivots) - 2 >= cfg.wave_min_swings and rate_ok(pivots):
        return len(pivots) - 2
    pivots = _zigzag(_moving_average(tilt_deg, 3), cfg.wave_angle_deg)
    return len(pivots) - 2 if len(pivots) - 2 >= cfg.wave_min_angle_swings and rate_ok(pivots) else 0


def _legs(f: _Frame) -> list[LegAction]:
    cfg, ix, j = f.cfg, f.ix, f.j
    out = []
    for s, side in enumerate(SIDES):
        h = f.foot_h[:, s]
        ahead = f.local(j[:, ix.ankle[s]] - j[:, ix.pelvis])[:, 2]
        for a, b in _runs((h > cfg.kick_height * f.leg_m) & ~f.travelling, f.frames(cfg.kick_min_s)):
            kind = "kick" if ahead[a:b].max() > cfg.kick_forward * f.leg_m else "lift"
            out.append(LegAction(side, kind, f.span(a, b, h[a:b].max()), float(h[a:b].max())))
    return sorted(out, key=lambda x: x.span.start_s)


def _pose(f: _Frame, t: int) -> str:
    ix, j = f.ix, f.j[t]
    torso = j[ix.neck] - j[ix.pelvis]
    tilt = np.degrees(np.arccos(np.clip(torso[1] / max(np.linalg.norm(torso), 1e-9), -1, 1)))
    if tilt > 60 and f.pelvis_h[t] < 0.6 * f.leg_m:
        return "lying"
    knees_h = j[list(ix.knee), 1] - f.floor
    if knees_h.min() < 0.15 * f.leg_m and f.pelvis_h[t] < 0.85 * f.leg_m:
        return "kneeling"
    drop = f.stand_h - f.pelvis_h[t]
    if drop > f.cfg.squat_drop * f.leg_m:
        thighs = j[list(ix.knee)] - j[list(ix.hip)]
        flat = np.abs(thighs[:, 1]).mean() < 0.5 * np.linalg.norm(thighs, axis=-1).mean()
        return "sitting" if flat and f.pelvis_h[t] > 0.4 * f.leg_m else "crouching"
    return "standing"


def _lean(f: _Frame) -> float:
    torso = f.local(f.j[:, f.ix.neck] - f.j[:, f.ix.pelvis])
    return float(np.median(np.degrees(np.arctan2(torso[:, 2], torso[:, 1]))))


def summarize_motion(joints_m: np.ndarray, fps: float = 20.0, skeleton: Skeleton = SMPL22,
                     config: SummaryConfig | None = None, *, where: str = "joints",
                     visibility: np.ndarray | None = None) -> MotionSummary:
    """Facts about a motion: joints (T, J, 3) metres, Y up, ``fps`` frames/s -> :class:`MotionSummary`.

    T may be 1 (a still image): then only the pose and arm heights are read. ``visibility`` (T, J), per
    frame and joint (pose estimates; None for mocap): arm gestures are read only from frames that saw
    the wrist (see :meth:`_Frame.seen`).
    Raises :class:`ShapeError` (naming ``where``) for a wrong shape or NaN/inf, and
    :class:`SkeletonError` for a skeleton without SMPL-style joint names.
    """
    cfg = config or SummaryConfig()
    j = np.asarray(joints_m, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (skeleton.num_joints, 3) or len(j) < 1:
        raise ShapeError(f"{where}: joints have shape {j.shape}, expected (T, {skeleton.num_joints}, 3)")
    bad = ~np.isfinite(j).all(axis=(1, 2))
    if bad.any():
        raise ShapeError(f"{where}: NaN/inf in joints at frame {int(np.argmax(bad))}")
    if not (np.isfinite(fps) and fps > 0):
        raise ShapeError(f"{where}: fps {fps} must be a positive number")
    if visibility is not None:
        visibility = np.asarray(visibility, dtype=np.float64)
        if visibility.shape != j.shape[:2]:
            raise ShapeError(f"{where}: visibility has shape {visibility.shape}, expected {j.shape[:2]}")
    f = _Frame(j, float(fps), skeleton, cfg, visibility)
    still = float(np.linalg.norm(j - j[:1], axis=-1).max()) < cfg.still_m
    if len(j) < 2 or still:
        locomotion, direction, speed, distance, flight, turn = "none", "", 0.0, 0.0, 0.0, 0.0
        turns, jumps, squats, legs = [], [], [], []
    else:
        (turn, turns), jumps, squats, legs = _turns(f), _jumps(f), _squats(f), _legs(f)
        locomotion, direction, speed, distance, flight = _travel(f, len(jumps))
    gait = f.gait() if locomotion in ("walk", "run") else (0, 0)
    return MotionSummary(duration_s=len(j) / fps, static=still, pose=_pose(f, len(j) // 2),
                         end_pose=_pose(f, len(j) - 1), locomotion=locomotion, direction=direction,
                         speed_mps=speed, distance_m=distance, turn_deg=turn, flight_fraction=flight,
                         froude=f.froude(speed) if locomotion != "none" else 0.0, flight_phases=gait[0],
                         steps=gait[1],
                         lean_deg=_lean(f), turns=turns, jumps=jumps, squats=squats,
                         arms=_arms(f, still or len(j) < 2), legs=legs)
