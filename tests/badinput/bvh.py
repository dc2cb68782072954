"""Hostile BVH files, each made from one small real take (Bandai-Namco, 55 frames) at test time.

``CASES`` maps a case name to a builder (the good file's text -> the bad file's bytes) and whether a
correct importer takes the file (True: it is odd but valid) or refuses it with one line.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent.parent / "data"
GOOD = DATA / "bvh" / "bandai" / "handedness" / "dataset-2_raise-up-left-hand_normal_001.bvh"


@dataclass(frozen=True)
class Case:
    build: Callable[[str], bytes]
    valid: bool = False  # a correct importer stores it
    says: str | None = None  # what the one line must mention besides the file name (e.g. "line")


def _motion_split(text: str) -> tuple[str, list[str]]:
    head, motion = text.split("MOTION", 1)
    lines = motion.strip("\n").splitlines()
    return head + "MOTION\n" + "\n".join(lines[:2]) + "\n", lines[2:]


def _with_frames(text: str, edit: Callable[[list[list[str]]], None]) -> bytes:
    head, frames = _motion_split(text)
    rows = [line.split() for line in frames]
    edit(rows)
    return (head + "\n".join(" ".join(r) for r in rows) + "\n").encode()


def _set(frame: int, column: int, value: str) -> Callable[[list[list[str]]], None]:
    def edit(rows):
        rows[frame][column] = value
    return edit


def _all(value: str) -> Callable[[list[list[str]]], None]:
    def edit(rows):
        for r in rows:
            r[:] = [value] * len(r)
    return edit


def _deep(text: str, depth: int = 5000) -> bytes:
    """A chain of ``depth`` joints, each one channel deep, and 2 frames."""
    parts = ["HIERARCHY", "ROOT Hips", "{", "OFFSET 0 0 0", "CHANNELS 6 Xposition Yposition Zposition "
             "Zrotation Xrotation Yrotation"]
    for i in range(depth):
        parts += [f"JOINT J{i}", "{", "OFFSET 0 1 0", "CHANNELS 3 Zrotation Xrotation Yrotation"]
    parts += ["End Site", "{", "OFFSET 0 1 0", "}"] + ["}"] * (depth + 1)
    row = " ".join(["0"] * (6 + 3 * depth))
    parts += ["MOTION", "Frames: 2", "Frame Time: 0.0333333", row, row]
    return ("\n".join(parts) + "\n").encode()


def _rename_joints(text: str) -> bytes:
    count = iter(range(10_000))
    return re.sub(r"(JOINT|ROOT) (\S+)", lambda m: f"{m.group(1)} Bone{next(count)}", text).encode()


def _garbage(_: str) -> bytes:
    rng = random.Random(15)
    return bytes(rng.randrange(256) for _ in range(4096))


def _drop_last_token(rows):
    rows[7].pop()


CASES: dict[str, Case] = {
    "zero-byte": Case(lambda t: b""),
    "binary-garbage": Case(_garbage),
    "header-only": Case(lambda t: t.split("MOTION")[0].encode()),
    "truncated-in-hierarchy": Case(lambda t: t[:3000].encode()),
    "fewer-frames-than-declared": Case(lambda t: "\n".join(t.rstrip("\n").splitlines()[:-10]).encode() + b"\n"),
    "nan-value": Case(lambda t: _with_frames(t, _set(10, 8, "nan")), says="line"),
    "inf-value": Case(lambda t: _with_frames(t, _set(10, 8, "inf")), says="line"),
    "text-in-number": Case(lambda t: _with_frames(t, _set(10, 8, "abc")), says="line"),
    "short-line": Case(lambda t: _with_frames(t, _drop_last_token)),
    "zero-frames": Case(lambda t: _motion_split(t)[0].replace("Frames:\t55", "Frames:\t0").encode()),
    "negative-frames": Case(lambda t: t.replace("Frames:\t55", "Frames:\t-5").encode()),
    "billion-frames-declared": Case(lambda t: t.replace("Frames:\t55", "Frames:\t999999999").encode()),
    "frame-time-zero": Case(lambda t: t.replace("Frame Time:\t0.0333333", "Frame Time:\t0").encode()),
    "frame-time-negative": Case(lambda t: t.replace("Frame Time:\t0.0333333", "Frame Time:\t-0.03").encode()),
    "unknown-skeleton": Case(_rename_joints),
    "channels-99": Case(lambda t: t.replace("CHANNELS 6", "CHANNELS 99", 1).encode()),
    "missing-brace": Case(lambda t: t.replace("}\n", "\n", 3).encode()),
    "non-utf8-joint-name": Case(lambda t: t.encode().replace(b"JOINT Head", b"JOINT H\xe9\xff\xfead")),
    "utf16": Case(lambda t: t.encode("utf-16")),
    "nested-5000-deep": Case(_deep),
    "rotation-1e30": Case(lambda t: _with_frames(t, _set(20, 10, "1e30")), says="line"),
    "root-position-1e30": Case(lambda t: _with_frames(t, _set(20, 6, "1e30")), says="line"),
    "all-values-1e30": Case(lambda t: _with_frames(t, _all("1e30"))),
    # Valid files a user may well have: they must import.
    "crlf-line-endings": Case(lambda t: t.replace("\n", "\r\n").encode(), valid=True),
    "tabs-and-trailing-spaces": Case(lambda t: t.replace(" ", " \t ").encode(), valid=True),
}


def write_case(name: str, folder: Path) -> Path:
    """The case's file under ``folder`` (named after the case, ``.bvh``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bad-{name}.bvh"
    path.write_bytes(CASES[name].build(GOOD.read_text()))
    return path


TAKES = [GOOD, DATA / "bvh/bandai/handedness/dataset-2_wave-left-hand_normal_013.bvh",
         DATA / "bvh/bandai/dataset-2/dataset-2_walk-turn-left_exhausted_038.bvh"]


def copies(root: Path, n: int) -> Path:
    """``n`` folders under ``root``, each holding the 3 small real takes of ``TAKES`` (3n files, same names)."""
    import shutil

    for i in range(n):
        (root / f"c{i:02d}").mkdir(parents=True, exist_ok=True)
        for take in TAKES:
            shutil.copy(take, root / f"c{i:02d}" / take.name)
    return root
