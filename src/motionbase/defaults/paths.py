"""Where the embedded default models live, and finding them.

An install ships its default models under ``motionbase/assets/models/``::

    assets/models/tokenizer/   motion tokenizer checkpoint (MotionTokenizer.save_pretrained)
    assets/models/lm/          motion LM checkpoint (MotionLM.save_pretrained) + training_captions.json
    assets/models/evaluator/   text-motion evaluator checkpoint (optional)

``$MOTIONBASE_MODELS`` names another directory of the same shape (models kept outside the package, or
none at all: point it at an empty directory to check what a bare install does).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import CheckpointError, MotionbaseError

MODELS_ENV = "MOTIONBASE_MODELS"
KINDS = ("tokenizer", "lm", "evaluator")
_LFS_POINTER = b"version https://git-lfs"
_NO_DEFAULTS = "no default model shipped in this install; pass --lm/--tokenizer"


def models_root() -> Path:
    """``$MOTIONBASE_MODELS`` when set, else the package's ``assets/models`` directory."""
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "assets" / "models"


@dataclass(frozen=True)
class DefaultCheckpoints:
    """Checkpoint directories of the shipped models; ``evaluator`` is None when none is shipped."""

    tokenizer: Path
    lm: Path
    evaluator: Path | None


def default_checkpoints(root: str | os.PathLike | None = None) -> DefaultCheckpoints:
    """The shipped models under ``root`` (default :func:`models_root`).

    Raises :class:`MotionbaseError` when the tokenizer or the LM is absent, and
    :class:`CheckpointError` when a weight file is a Git LFS pointer (the weights were never pulled).
    """
    base = Path(root) if root is not None else models_root()
    found = {kind: _present(base / kind) for kind in KINDS}
    missing = [kind for kind in ("tokenizer", "lm") if found[kind] is None]
    if missing:
        raise MotionbaseError(f"{_NO_DEFAULTS} (no {' or '.join(missing)} under {base})")
    return DefaultCheckpoints(found["tokenizer"], found["lm"], found["evaluator"])


def _present(path: Path) -> Path | None:
    """``path`` if it is a non-empty checkpoint directory (checked for LFS pointers), else None."""
    if not path.is_dir():
        return None
    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    if not files:
        return None
    for weights in (p for p in files if p.suffix in (".safetensors", ".bin", ".pt")):
        with open(weights, "rb") as fh:
            if fh.read(len(_LFS_POINTER)) == _LFS_POINTER:
                raise CheckpointError(f"{weights}: a Git LFS pointer, not weights; run `git lfs pull` in the "
                                      "source tree or install a release that ships the models")
    return path
