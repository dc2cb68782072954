"""``model.safetensors`` files of the tokenizer family (tokenizers, perceptual encoders): atomic writes, and
loads that fail with one-line :class:`CheckpointError` messages instead of deep tracebacks."""

from __future__ import annotations

from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ..errors import CheckpointError
from ..io import atomic_output

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def save_weights(module: nn.Module, directory: Path, **metadata: str) -> None:
    """Write ``module``'s state dict (CPU, contiguous) to ``directory/model.safetensors``, atomically."""
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    with atomic_output(directory / WEIGHTS_FILE) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt", **metadata})


def checkpoint_dir(path: str | Path, what: str) -> Path:
    """``path`` as a Path if it is a directory, else CheckpointError naming what it should hold."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path}: not a directory (expected a {what} checkpoint with {CONFIG_FILE} and "
                              f"{WEIGHTS_FILE})")
    return path


def load_weights(module: nn.Module, directory: Path, what: str) -> None:
    """Load ``directory/model.safetensors`` into ``module`` (strict); CheckpointError if missing, unreadable or
    not matching the module built from ``directory/config.json``."""
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise CheckpointError(f"{weights}: missing (a {what} checkpoint needs {WEIGHTS_FILE})")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{weights}: unreadable ({exc})") from None
    try:
        result = module.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches
        first = str(exc).strip().splitlines()[-1].strip()
        raise CheckpointError(f"{weights}: does not match {directory / CONFIG_FILE} ({first})") from None
    if result.missing_keys or result.unexpected_keys:
        raise CheckpointError(f"{weights}: does not match {directory / CONFIG_FILE} (missing "
                              f"{result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]})")
