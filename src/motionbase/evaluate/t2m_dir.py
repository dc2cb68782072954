"""Find the published T2M evaluator's files in one folder: what ``motionbase evaluate --t2m-evaluator DIR`` reads.

``DIR`` is either a flat folder (``finest.tar``, ``meta/mean.npy``, ``meta/std.npy``, ``glove/our_vab_*``)
or any release tree that holds them deeper, e.g. Guo et al.'s ``checkpoints/`` plus ``glove/``::

    DIR/t2m/text_mot_match/model/finest.tar
    DIR/t2m/Comp_v6_KLD01/meta/{mean,std}.npy      (or any other .../meta/ folder: the first, sorted)
    DIR/glove/our_vab_{data.npy,words.pkl,idx.pkl}

(MotionGPT's ``deps/t2m`` + ``deps/glove`` and T2M-GPT's ``checkpoints`` + ``glove`` have this shape.)
Files are found by name; a missing one is one clear line saying which and where it was looked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import CheckpointError

CHECKPOINT_NAME, GLOVE_FILE = "finest.tar", "our_vab_data.npy"


@dataclass(frozen=True)
class T2MFiles:
    checkpoint: Path
    meta_dir: Path
    glove_dir: Path


def _first(paths: list[Path], prefer: str) -> Path | None:
    paths = sorted(paths, key=lambda p: (prefer not in str(p), len(p.parts), str(p)))
    return paths[0] if paths else None


def find_t2m_files(root: str | os.PathLike) -> T2MFiles:
    """The checkpoint, meta folder and GloVe folder under ``root``; CheckpointError naming what is missing."""
    root = Path(root)
    if not root.is_dir():
        raise CheckpointError(f"{root}: no such folder; expected the T2M evaluator's files (finest.tar, meta/, glove/)")
    ckpt = _first(list(root.rglob(CHECKPOINT_NAME)), "text_mot_match")
    meta = _first([p.parent for p in root.rglob("mean.npy") if p.parent.name == "meta"
                   and (p.parent / "std.npy").is_file()], "Comp_v6")
    glove = _first([p.parent for p in root.rglob(GLOVE_FILE)], "glove")
    for found, what in ((ckpt, f"{CHECKPOINT_NAME} (Guo's text_mot_match/model/finest.tar)"),
                        (meta, "a meta/ folder with mean.npy and std.npy (the evaluator's feature statistics)"),
                        (glove, f"{GLOVE_FILE} with our_vab_words.pkl and our_vab_idx.pkl (Guo's glove/)")):
        if found is None:
            raise CheckpointError(f"{root}: no {what} found in the folder or below it")
    return T2MFiles(ckpt, meta, glove)


def load_t2m_dir(root: str | os.PathLike, device: str | None = None):
    """:class:`~motionbase.evaluate.t2m_loader.T2MEvaluator` from the files under ``root``."""
    # deferred for a quick start: imports torch
    from .t2m_loader import load_t2m_evaluator

    files = find_t2m_files(root)
    return load_t2m_evaluator(files.checkpoint, files.glove_dir, files.meta_dir, device=device or "cpu")
