"""Read any BVH file into arrays, and forward kinematics in BVH semantics.

BVH semantics: joint j has a rest ``OFFSET`` o_j (in its parent's frame, file units) and per-frame
channels. Its local rotation R_j is the product of its rotation channels in the order they are listed
(``CHANNELS 3 Zrotation Xrotation Yrotation`` means R = Rz @ Rx @ Ry, angles in degrees); position
channels, where present, REPLACE the matching components of the offset (the root's trajectory; Bandai-
Namco files give every joint 6 channels). World transforms: G_j = G_parent @ R_j,
p_j = p_parent + G_parent @ t_j, where t_j is the offset with position channels applied. A joint's
rotation therefore moves its children, not itself.

Any joint names, channel orders, 0/3/6 channels per joint, End Sites, any unit and frame rate are read;
the numbers of the MOTION section are parsed in one vectorised pass. Malformed input raises ONE
:class:`~motionbase.errors.FormatError` naming the file, the line and what was expected.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import FormatError
from ..skeleton.quaternion import qmul

CHANNEL_NAMES = ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")
_CHANNEL_LOOKUP = {c.lower(): c for c in CHANNEL_NAMES}
MAX_DEPTH = 200  # joint nesting; real skeletons are < 40 deep, deeper files would exhaust Python's stack
# Largest channel values accepted: angles beyond 1e5 degrees (~280 turns) and positions beyond 1e7 file
# units (100 km in cm) are not motion capture, and in float64 they turn into garbage rotations or jumps.
MAX_ROTATION_DEG = 1e5
MAX_POSITION = 1e7


@dataclass(frozen=True)
class BvhData:
    """A parsed BVH file, in the file's own units and axes.

    names: joint names (End Sites excluded), in file order (parents before children);
    parents: parent index per joint (-1 for a root);
    offsets: (J, 3) rest offsets in file units;
    channels: per joint, its channel names in file order (canonical spelling, e.g. "Zrotation");
    end_sites: (joint index, (3,) offset) for every End Site;
    frame_time: seconds per frame;
    motion: (F, C) raw channel values, C = total channel count (degrees / file units).
    """

    path: str
    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray = field(repr=False)
    channels: tuple[tuple[str, ...], ...]
    end_sites: tuple[tuple[int, np.ndarray], ...] = field(repr=False)
    frame_time: float
    motion: np.ndarray = field(repr=False)

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def fps(self) -> float:
        """Frames per second; snapped to a whole number within 0.01 (0.0083333 s -> 120)."""
        fps = 1.0 / self.frame_time
        return float(round(fps)) if abs(fps - round(fps)) < 0.01 else fps

    def index(self, name: str) -> int:
        return self.names.index(name)

    @cached_property
    def channel_offsets(self) -> np.ndarray:
        """(J + 1,) index of each joint's first column in :attr:`motion` (last entry: C)."""
        return np.concatenate([[0], np.cumsum([len(c) for c in self.channels])]).astype(int)

    @property
    def rotation_orders(self) -> tuple[str, ...]:
        """Per joint, its rotation axes in channel order, e.g. "ZYX" ("" for none)."""
        return tuple("".join(c[0] for c in chans if c.endswith("rotation")) for chans in self.channels)

    def _columns(self, j: int, suffix: str) -> list[tuple[int, int]]:
        """(column in motion, axis 0..2) of joint j's channels ending in ``suffix``."""
        start = self.channel_offsets[j]
        return [(start + k, "XYZ".index(c[0])) for k, c in enumerate(self.channels[j]) if c.endswith(suffix)]

    def _rows(self, frames: np.ndarray | None) -> np.ndarray:
        return self.motion if frames is None else self.motion[frames]

    def local_positions(self, frames: np.ndarray | None = None) -> np.ndarray:
        """(F, J, 3) local translations in file units: offsets with position channels applied.

        ``frames``: only these frame indices (all by default); the same for the other ``local_*``.
        """
        rows = self._rows(frames)
        out = np.broadcast_to(self.offsets, (rows.shape[0],) + self.offsets.shape).copy()
        for j in range(self.num_joints):
            for col, axis in self._columns(j, "position"):
                out[:, j, axis] = rows[:, col]
        return out

    def _rotation_groups(self, frames: np.ndarray | None) -> list[tuple[str, list[int], np.ndarray]]:
        """Joints grouped by rotation order: (order, joint indices, (F, len, len(order)) angles in degrees)."""
        groups: dict[str, list[int]] = {}
        for j, order in enumerate(self.rotation_orders):
            if order:
                groups.setdefault(order, []).append(j)
        out = []
        for order, joints in groups.items():
            cols = np.array([[col for col, _ in self._columns(j, "rotation")] for j in joints])
            out.append((order, joints, self._rows(frames)[:, cols]))
        return out

    def local_quats(self, frames: np.ndarray | None = None) -> np.ndarray:
        """(F, J, 4) local rotations as unit (w, x, y, z) quaternions."""
        out = np.zeros((self._rows(frames).shape[0], self.num_joints, 4))
        out[..., 0] = 1.0
        for order, joints, angles in self._rotation_groups(frames):
            out[:, joints] = euler_to_quat(angles, order)
        return out

    def local_matrices(self, frames: np.ndarray | None = None) -> np.ndarray:
        """(F, J, 3, 3) local rotation matrices."""
        out = np.zeros((self._rows(frames).shape[0], self.num_joints, 3, 3))
        out[..., [0, 1, 2], [0, 1, 2]] = 1.0
        for order, joints, angles in self._rotation_groups(frames):
            out[:, joints] = euler_to_matrix(angles, order)
        return out

    def joint_positions(self, *, end_sites: bool = False) -> np.ndarray:
        """(F, J, 3) world joint positions in file units (``end_sites``: End Sites appended, (F, J+E, 3))."""
        pos, rot = forward_kinematics_bvh(self.local_matrices(), self.local_positions(), self.parents)
        if not end_sites or not self.end_sites:
            return pos
        parents = np.array([j for j, _ in self.end_sites])
        offs = np.stack([o for _, o in self.end_sites])
        ends = pos[:, parents] + np.einsum("fjab,jb->fja", rot[:, parents], offs)
        return np.concatenate([pos, ends], axis=1)


def euler_to_matrix(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """(..., n) angles in degrees about the axes in ``order`` (e.g. "ZXY") -> (..., 3, 3).

    Intrinsic, as BVH lists them: R = R_order[0] @ R_order[1] @ ...
    """
    rad = np.deg2rad(angles_deg)
    c, s = np.cos(rad), np.sin(rad)
    out = None
    for k, axis in enumerate(order.upper()):
        i = "XYZ".index(axis)
        a, b = (i + 1) % 3, (i + 2) % 3
        m = np.zeros(rad.shape[:-1] + (3, 3))
        m[..., i, i] = 1.0
        m[..., a, a] = c[..., k]
        m[..., b, b] = c[..., k]
        m[..., b, a] = s[..., k]
        m[..., a, b] = -s[..., k]
        out = m if out is None else out @ m
    return out


def euler_to_quat(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """(..., n) angles in degrees about the axes in ``order`` -> (..., 4) unit (w, x, y, z) quaternions."""
    half = np.deg2rad(angles_deg) * 0.5
    c, s = np.cos(half), np.sin(half)
    out = None
    for k, axis in enumerate(order.upper()):
        q = np.zeros(half.shape[:-1] + (4,))
        q[..., 0] = c[..., k]
        q[..., 1 + "XYZ".index(axis)] = s[..., k]
        out = q if out is None else qmul(out, q)
    return out


def forward_kinematics_bvh(local_rot: np.ndarray, local_pos: np.ndarray,
                           parents: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """BVH forward kinematics.

    local_rot: (F, J, 3, 3); local_pos: (F, J, 3) translations from the parent (the root's is its
    position); parents must list every parent before its children.
    Returns world positions (F, J, 3) and world rotations (F, J, 3, 3).
    """
    world_rot = np.empty_like(local_rot)
    world_pos = np.empty_like(local_pos)
    for j, p in enumerate(parents):
        if p < 0:
            world_rot[:, j] = local_rot[:, j]
            world_pos[:, j] = local_pos[:, j]
        else:
            world_rot[:, j] = world_rot[:, p] @ local_rot[:, j]
            world_pos[:, j] = world_pos[:, p] + (world_rot[:, p] @ local_pos[:, j, :, None])[..., 0]
    return world_pos, world_rot


def read_bvh(path: str | os.PathLike) -> BvhData:
    """Parse a BVH file. Raises :class:`FormatError` (file, line, what was expected) on bad input."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise FormatError(path, f"cannot read BVH file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_bvh(text, path)


class _Lines:
    """Header lines as (1-based line number, tokens), skipping blank lines."""

    def __init__(self, text: str, path: str):
        self.text, self.path, self.i = text, path, 0
        self.lines = text.split("\n")
        self.end_line = len(self.lines) + (0 if self.lines[-1].strip() else -1) + 1  # line after the last

    def next(self, expected: str) -> tuple[int, list[str]]:
        while self.i < len(self.lines):
            self.i += 1
            tokens = self.lines[self.i - 1].split()
            if tokens:
                return self.i, tokens
        raise FormatError(self.path, f"file ends early, expected {expected}", line=self.end_line)

    def error(self, line: int, what: str) -> FormatError:
        return FormatError(self.path, what, line=line)


def _floats(lines: _Lines, line: int, values: list[str], n: int, what: str) -> np.ndarray:
    if len(values) != n:
        raise lines.error(line, f"{what}: {len(values)} number(s), expected {n}")
    try:
        out = np.array([float(v) for v in values])
    except ValueError:
        raise lines.error(line, f"{what}: {' '.join(values)!r} is not {n} numbers") from None
    if not np.isfinite(out).all():
        raise lines.error(line, f"{what}: non-finite value in {' '.join(values)!r}")
    return out


def _open_block(lines: _Lines, what: str) -> np.ndarray:
    """Read the ``{`` and ``OFFSET x y z`` lines that open a joint or End Site; return the offset."""
    line, tok = lines.next("'{'")
    if tok != ["{"]:
        raise lines.error(line, f"expected '{{' after {what}, found {' '.join(tok)!r}")
    line, tok = lines.next("OFFSET")
    if tok[0].upper() != "OFFSET":
        raise lines.error(line, f"expected OFFSET in {what}, found {' '.join(tok)!r}")
    return _floats(lines, line, tok[1:], 3, f"OFFSET of {what}")


def _parse_joint(lines: _Lines, name: str, parent: int, out: dict, depth: int = 0) -> None:
    """Parse ``{ OFFSET ... CHANNELS ... (JOINT | End Site)* }`` after a ROOT/JOINT line."""
    if depth > MAX_DEPTH:
        raise lines.error(lines.i, f"joint {name!r} is nested more than {MAX_DEPTH} levels deep; "
                                   f"expected a skeleton hierarchy (real ones are < 40 deep)")
    offset = _open_block(lines, f"joint {name!r}")
    index = len(out["names"])
    out["names"].append(name)
    out["parents"].append(parent)
    out["offsets"].append(offset)
    out["channels"].append(())
    while True:
        line, tok = lines.next(f"'}}' closing joint {name!r}")
        key = tok[0].upper()
        if key == "CHANNELS":
            try:
                n = int(tok[1])
            except (IndexError, ValueError):
                raise lines.error(line, f"CHANNELS of {name!r}: expected a channel count") from None
            if len(tok) - 2 != n:
                raise lines.error(line, f"CHANNELS of {name!r}: {len(tok) - 2} channel name(s), expected {n}")
            unknown = [c for c in tok[2:] if c.lower() not in _CHANNEL_LOOKUP]
            if unknown:
                raise lines.error(line, f"CHANNELS of {name!r}: unknown channel {unknown[0]!r}, "
                                        f"expected one of {', '.join(CHANNEL_NAMES)}")
            chans = tuple(_CHANNEL_LOOKUP[c.lower()] for c in tok[2:])
            if len(set(chans)) != len(chans):
                raise lines.error(line, f"CHANNELS of {name!r}: repeated channel in {' '.join(tok[2:])}")
            out["channels"][index] = chans
        elif key == "JOINT":
            if len(tok) < 2:
                raise lines.error(line, "JOINT without a name")
            _parse_joint(lines, " ".join(tok[1:]), index, out, depth + 1)
        elif key == "END":
            _parse_end_site(lines, index, name, out)
        elif key == "}":
            return
        else:
            raise lines.error(line, f"in joint {name!r}: expected CHANNELS, JOINT, End Site or '}}', "
                                    f"found {' '.join(tok)!r}")


def _parse_end_site(lines: _Lines, parent: int, name: str, out: dict) -> None:
    out["end_sites"].append((parent, _open_block(lines, f"End Site of {name!r}")))
    line, tok = lines.next("'}'")
    if tok != ["}"]:
        raise lines.error(line, f"expected '}}' closing End Site of {name!r}")


def _header_value(lines: _Lines, key: str) -> tuple[int, str]:
    line, tok = lines.next(f"'{key}'")
    joined = " ".join(tok)
    if not joined.lower().startswith(key.lower()):
        raise lines.error(line, f"expected '{key} <value>', found {joined!r}")
    return line, joined[len(key):].strip()


def parse_bvh(text: str, path: str = "<string>") -> BvhData:
    """Parse BVH text (see :func:`read_bvh`)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = _Lines(text, path)
    if not text.strip():
        raise FormatError(path, "empty file, expected a BVH HIERARCHY", line=1)
    line, tok = lines.next("HIERARCHY")
    if tok[0].upper() != "HIERARCHY":
        raise lines.error(line, f"expected 'HIERARCHY', found {' '.join(tok)!r}")
    out: dict = {"names": [], "parents": [], "offsets": [], "channels": [], "end_sites": []}
    while True:
        line, tok = lines.next("ROOT or MOTION")
        key = tok[0].upper()
        if key == "ROOT" and len(tok) >= 2:
            _parse_joint(lines, " ".join(tok[1:]), -1, out)
        elif key == "MOTION":
            break
        else:
            raise lines.error(line, f"expected 'ROOT <name>' or 'MOTION', found {' '.join(tok)!r}")
    if not out["names"]:
        raise lines.error(line, "MOTION before any ROOT joint")
    line, value = _header_value(lines, "Frames:")
    try:
        frames = int(value)
    except ValueError:
        raise lines.error(line, f"'Frames:' is {value!r}, expected a whole number") from None
    if frames <= 0:
        raise lines.error(line, f"'Frames: {frames}', expected at least 1 frame")
    line, value = _header_value(lines, "Frame Time:")
    try:
        frame_time = float(value)
    except ValueError:
        raise lines.error(line, f"'Frame Time:' is {value!r}, expected seconds per frame") from None
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise lines.error(line, f"'Frame Time: {value}', expected a positive number of seconds")
    channels = tuple(out["channels"])
    first = lines.i
    motion = _parse_motion(lines, frames, sum(len(c) for c in channels))
    _check_magnitudes(lines, first, motion, channels, out["names"])
    return BvhData(path=path, names=tuple(out["names"]), parents=tuple(out["parents"]),
                   offsets=np.array(out["offsets"]).reshape(-1, 3), channels=channels,
                   end_sites=tuple(out["end_sites"]), frame_time=frame_time, motion=motion)


def _parse_motion(lines: _Lines, frames: int, num_channels: int) -> np.ndarray:
    """The numbers after 'Frame Time:' as (frames, num_channels).

    Fast path: one C-level ``np.fromstring`` over the whole block, accepted when it yields exactly
    frames x channels finite values on exactly ``frames`` lines; otherwise the line-by-line parser
    either returns the same array (e.g. blank lines in between) or names the first bad line.
    """
    first = lines.i  # 0-based index of the first motion line
    body = lines.text.split("\n", first)[-1] if first < len(lines.lines) else ""
    expected = frames * num_channels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        values = np.fromstring(body, dtype=np.float64, sep=" ")
    stripped = body.strip()
    if (values.size == expected and stripped.count("\n") + 1 == frames
            and np.isfinite(values).all()):
        return values.reshape(frames, num_channels)
    return _parse_motion_lines(lines, first, frames, num_channels)


def _parse_motion_lines(lines: _Lines, first: int, frames: int, num_channels: int) -> np.ndarray:
    """Slow path: parse line by line; raise a FormatError naming the first bad line."""
    rows = []
    for k in range(first, len(lines.lines)):
        tok = lines.lines[k].split()
        if not tok:
            continue
        line, frame = k + 1, len(rows)
        if frame >= frames:
            raise FormatError(lines.path, f"more motion lines than 'Frames: {frames}'", line=line)
        if len(tok) != num_channels:
            raise FormatError(lines.path, f"{len(tok)} value(s), expected {num_channels} "
                                          f"(one per channel)", line=line, frame=frame)
        try:
            row = np.array(tok, dtype=np.float64)
        except ValueError:
            bad = next(v for v in tok if not _is_float(v))
            raise FormatError(lines.path, f"{bad!r} is not a number", line=line, frame=frame) from None
        if not np.isfinite(row).all():
            bad = tok[int(np.argmin(np.isfinite(row)))]
            raise FormatError(lines.path, f"non-finite value {bad!r}", line=line, frame=frame)
        rows.append(row)
    if len(rows) != frames:
        raise FormatError(lines.path, f"file ends after {len(rows)} of {frames} frames (truncated?)",
                          line=lines.end_line)
    return np.stack(rows)


def _check_magnitudes(lines: _Lines, first: int, motion: np.ndarray, channels: tuple, names: list) -> None:
    """Refuse channel values no capture produces (see ``MAX_ROTATION_DEG``, ``MAX_POSITION``), naming the line."""
    is_rot = np.array(["rotation" in c for chans in channels for c in chans], dtype=bool)
    limit = np.where(is_rot, MAX_ROTATION_DEG, MAX_POSITION)
    bad = np.abs(motion) > limit
    if not bad.any():
        return
    frame, col = (int(v) for v in np.argwhere(bad)[0])
    joint = next(j for j, n in enumerate(np.cumsum([len(c) for c in channels])) if col < n)
    name = channels[joint][col - sum(len(c) for c in channels[:joint])]
    kind = ("an angle in degrees, at most %g" % MAX_ROTATION_DEG) if is_rot[col] else (
        "a position in file units, at most %g" % MAX_POSITION)
    nonblank = (k for k in range(first, len(lines.lines)) if lines.lines[k].strip())
    line = next(k for i, k in enumerate(nonblank) if i == frame) + 1
    raise FormatError(lines.path, f"{name} of joint {names[joint]!r} is {motion[frame, col]:g}, expected {kind} "
                                  f"in magnitude", line=line, frame=frame)


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True
