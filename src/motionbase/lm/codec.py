"""What the LM needs of a motion tokenizer, and the identity record that ties an LM to one.

The LM never imports the tokenizer package: any object with the :class:`MotionCodec` attributes
serves (the real ``motionbase.tokenizer.MotionTokenizer``, or a fake in tests). What an LM checkpoint
remembers of its tokenizer is a :class:`CodecInfo`: codebook size K, tokens per time step P, time
steps per second and a content hash of the tokenizer checkpoint, so an LM is never paired with a
tokenizer whose codes mean something else.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..errors import CheckpointError

if TYPE_CHECKING:  # annotations only: the codec record loads without torch
    import torch


@runtime_checkable
class MotionCodec(Protocol):
    """A motion tokenizer as the LM sees it.

    encode: (B, T, D) float features -> (B, N, P) int64 codes in [0, K), N = T // alpha time steps.
    decode: (B, N, P) int64 codes -> (B, N * alpha, D) float features.
    """

    vocab_size: int  # K, codes per part
    tokens_per_step: int  # P: 1 for 1D tokenizers, the number of parts for 2D-LFQ
    codes_per_second: float  # time steps per second of motion (20 fps / alpha)

    def encode(self, features: torch.Tensor) -> torch.Tensor: ...

    def decode(self, codes: torch.Tensor) -> torch.Tensor: ...


def decode_features(codec: MotionCodec, codes) -> np.ndarray:
    """Features (N * alpha, D) float32 of one motion's codes (N, P), as a numpy array whatever ``codec`` returns."""
    out = codec.decode(np.asarray(codes, np.int64))
    return np.asarray(out.detach().cpu().numpy() if hasattr(out, "detach") else out, np.float32)


@dataclass(frozen=True)
class CodecInfo:
    """The identity of a motion tokenizer: what its codes are, and which checkpoint made them."""

    codebook_size: int  # K
    tokens_per_step: int  # P
    codes_per_second: float  # time steps per second
    hash: str = ""  # sha256 of the tokenizer checkpoint files ("" = unknown, e.g. fakes in tests)

    @classmethod
    def of(cls, codec: MotionCodec, checkpoint: str | os.PathLike | None = None) -> CodecInfo:
        """The identity of ``codec``; its hash from the files of ``checkpoint`` when given."""
        return cls(int(codec.vocab_size), int(codec.tokens_per_step), float(codec.codes_per_second),
                   checkpoint_hash(checkpoint) if checkpoint is not None else "")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CodecInfo:
        return cls(int(data["codebook_size"]), int(data["tokens_per_step"]), float(data["codes_per_second"]),
                   str(data.get("hash", "")))

    def describe(self) -> str:
        h = self.hash[:12] or "unknown"
        return f"{self.codebook_size} codes x {self.tokens_per_step} part(s), {self.codes_per_second:g} steps/s, hash {h}"

    def check_matches(self, other: CodecInfo, where: str, *, check_hash: bool = True) -> None:
        """Raise :class:`CheckpointError` unless ``other`` makes the same codes as ``self`` (recorded at ``where``)."""
        same_shape = (self.codebook_size, self.tokens_per_step) == (other.codebook_size, other.tokens_per_step)
        same_rate = abs(self.codes_per_second - other.codes_per_second) < 1e-9
        same_hash = not check_hash or not self.hash or not other.hash or self.hash == other.hash
        if not (same_shape and same_rate and same_hash):
            raise CheckpointError(f"{where}: trained with a motion tokenizer of {self.describe()}, "
                                  f"but the given tokenizer has {other.describe()}; use the tokenizer it was trained with")


def checkpoint_hash(path: str | os.PathLike) -> str:
    """sha256 over the names and bytes of the files that define the tokenizer (``config.json`` and the
    ``*.safetensors`` weights/stats at the top of ``path``, sorted), hex digest. Logs, run files, checkpoints and
    model cards do not count, so a copied or documented checkpoint keeps its identity.

    Raises :class:`CheckpointError` when ``path`` is not a directory with at least one file.
    """
    root = Path(path)
    if not root.is_dir():
        raise CheckpointError(f"{root}: no such motion tokenizer checkpoint directory")
    files = sorted(p for p in root.iterdir()
                   if p.is_file() and (p.name == "config.json" or p.suffix == ".safetensors"))
    if not files:
        raise CheckpointError(f"{root}: motion tokenizer checkpoint directory is empty")
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.relative_to(root).as_posix()}\0{file.stat().st_size}\0".encode())
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
