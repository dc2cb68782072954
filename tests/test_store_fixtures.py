"""Real clips for the store tests: windows cut from HumanML3D's own joints + feature pairs (tests/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motionbase.clip import Captions, Clip, ClipMeta

HML = Path(__file__).parent / "data" / "humanml3d"
PAIRS = ("000000", "012314")  # joints (T, 22, 3) and features (T, 263) of the same motion
CONTENTS = ("walk", "run", "kick")
STYLES = ("happy", "tired")


def hml_pair(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(joints (T, 22, 3) float32, features (T, 263) float32) of one HumanML3D sample."""
    return (np.load(HML / "new_joints" / f"{name}.npy"),
            np.load(HML / "new_joint_vecs" / f"{name}.npy").astype(np.float32))


def real_clips(n: int, *, subsets: int = 3, seed: int = 0) -> tuple[list[Clip], list[np.ndarray]]:
    """``n`` clips (and their features) of 20-100 frames cut from the HumanML3D samples.

    Ids ``c0000``...; subset ``s{i % subsets}``; labels content/style cycling over
    :data:`CONTENTS` x :data:`STYLES`; captions on even clips, part captions on every third.
    """
    rng = np.random.default_rng(seed)
    pairs = [hml_pair(p) for p in PAIRS]
    clips, feats = [], []
    for i in range(n):
        joints, vecs = pairs[i % len(pairs)]
        length = int(rng.integers(20, 101))
        start = int(rng.integers(0, len(joints) - length + 1))
        parts = {"upper_body": f"arms move {i}", "lower_body": f"legs move {i}"} if i % 3 == 0 else {}
        meta = ClipMeta(id=f"c{i:04d}", source="humanml3d", subset=f"s{i % subsets}", licence="research-only",
                        file=f"new_joints/{PAIRS[i % len(PAIRS)]}.npy", frame_start=start,
                        frame_end=start + length, source_fps=20.0,
                        labels={"content": CONTENTS[i % 3], "style": STYLES[(i // 3) % 2]})
        captions = Captions(whole=[f"a person moves, clip {i}", "someone moves"] if i % 2 == 0 else [], parts=parts)
        clips.append(Clip(joints_m=joints[start:start + length], captions=captions, meta=meta))
        feats.append(vecs[start:start + length])
    return clips, feats
