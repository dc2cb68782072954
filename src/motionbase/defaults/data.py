"""Training data for the default models: Bandai-Namco mocap -> captioned, split clip store.

Whole-body captions are natural phrasings of each clip's content x style labels
(:mod:`motionbase.data.labels`); part-level captions (upper / lower body) come from the offline
kinematic captioner, which reads the motion itself. The split is seeded and stratified by
content x style (every clip is one take; there are about 40 takes of each pair).
"""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from ..data import ClipStore
from ..data.labels import label_from_filename
from ..data.splits import assign_splits
from ..errors import MotionbaseError
from ..formats.bvh import load_bvh
from ..pipeline.caption import get_captioner

BANDAI_SOURCE = "bandai-namco-2"
BANDAI_LICENCE = "CC BY-NC 4.0 (Bandai Namco Research Inc.)"


def build_bandai_store(bvh_files: list[Path], out: Path, *, seed: int = 0,
                       ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> ClipStore:
    """Import ``bvh_files`` into a store at ``out`` (resumable), caption them, split them; returns the store."""
    captioner = get_captioner("rules")
    store = ClipStore.create(out, exist_ok=True)
    failures = {}
    with store.writer() as writer:
        for path in tqdm(bvh_files, desc="import Bandai-Namco", unit="clip", disable=None):
            if path.stem in store:
                continue
            try:
                clip = load_bvh(path, source=BANDAI_SOURCE, licence=BANDAI_LICENCE)
            except MotionbaseError as exc:
                failures[str(path)] = str(exc)
                continue
            label_from_filename(clip, path)
            clip.meta.subset = clip.meta.labels.get("content", "")
            clip.captions.parts = captioner.caption(clip).parts
            writer.add(clip)
    if failures:
        raise MotionbaseError(f"{len(failures)} Bandai files failed to import, first: {next(iter(failures.values()))}")
    store.reload()
    assign_splits(store, ratios, seed=seed, stratify=("content", "style"))
    return ClipStore.open(out)
