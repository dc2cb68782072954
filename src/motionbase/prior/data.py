"""Bandai-Namco mocap for the motion prior: the default models' seeded split, computed from file names.

:func:`motionbase.defaults.data.build_bandai_store` splits the store 80/10/10, seeded (0) and stratified by
content x style, over clip ids = file stems. :func:`bandai_split` reproduces that assignment from the file
names alone (no store needed), so the prior never trains on the default models' test takes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..data.labels import bandai_labels
from ..data.splits import DEFAULT_NAMES, DEFAULT_RATIOS, ratio_split
from ..errors import MotionbaseError
from ..formats.bvh import load_bvh


def bandai_split(bvh_files: list[Path], *, seed: int = 0,
                 ratios: tuple[float, float, float] = DEFAULT_RATIOS) -> dict[str, list[Path]]:
    """``{"train": [...], "val": [...], "test": [...]}`` of Bandai files, as the default models split them."""
    files = sorted(bvh_files, key=lambda p: p.stem)
    strata = []
    for path in files:
        labels = bandai_labels(path.stem)
        if labels is None:
            raise MotionbaseError(f"{path}: not a Bandai-Namco dataset-2 file name "
                                  "(expected dataset-2_{content}_{style}_{take}.bvh)")
        strata.append(f"{labels['content']}\x1f{labels['style']}")
    assignment = ratio_split([p.stem for p in files], ratios, seed=seed, strata=strata)
    return {name: [p for p, a in zip(files, assignment) if a == k] for k, name in enumerate(DEFAULT_NAMES)}


def load_joints_cached(files: list[Path], cache: Path, *, fps: float = 20.0,
                       desc: str = "load BVH") -> list[np.ndarray]:
    """(T, 22, 3) float32 joints of each BVH (metres, Y up, ``fps``), cached one ``.npy`` per file in ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for path in tqdm(files, desc=desc, unit="clip", disable=None):
        target = cache / f"{path.stem}.npy"
        if not target.exists():
            joints = load_bvh(path, fps=fps).joints_m.astype(np.float32)
            tmp = target.with_suffix(".tmp.npy")
            np.save(tmp, joints)
            tmp.replace(target)
        out.append(np.load(target))
    return out
