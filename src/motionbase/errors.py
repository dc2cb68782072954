"""One exception family. Every message names what, where (file, line, frame) and what was expected.

The CLI catches :class:`MotionbaseError` and prints its message on one line; anything else is a bug.
"""

from __future__ import annotations


class MotionbaseError(Exception):
    """Base of every error motionbase raises on purpose (bad input, missing files, mismatches)."""


class FormatError(MotionbaseError):
    """A file could not be read or written in the expected format."""

    def __init__(self, path: object, what: str, *, line: int | None = None, frame: int | None = None):
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if frame is not None:
            where += f", frame {frame}"
        super().__init__(f"{where}: {what}")
        self.path, self.line, self.frame, self.what = path, line, frame, what


class SkeletonError(MotionbaseError):
    """Unknown skeleton, impossible joint map, or implausible geometry."""


class ShapeError(MotionbaseError):
    """An array has the wrong shape, dtype or contains NaN/inf."""


class StoreError(MotionbaseError):
    """The clip store is missing, inconsistent or was written by an incompatible version."""


class CheckpointError(MotionbaseError):
    """A checkpoint directory is missing a file or does not match the data it is used with."""


class BodyModelError(MotionbaseError):
    """Body-model files (SMPL-H / SMPL-X) are missing, of the wrong type or gender, or parameters are malformed."""
