"""Atomic file output: write to a temporary file (or folder) beside the target, then rename it into place.

A crash or an exception never leaves a half-written file at the target path, and an existing file
is replaced only by a complete one. The temporary name keeps the target's suffix, because writers
such as ffmpeg, Pillow and numpy pick the format from it. Folders (a HumanML3D export, an LM checkpoint)
are written whole into a temporary folder and swapped in (:func:`atomic_dir`, :func:`swap_dir`).
Temporary names start with ``.`` and hold ``.tmp`` (:func:`is_temp_name`), so a reader that recovers
from a crash knows what to delete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

from .errors import FormatError

# A file name built from data (a clip id, a sample name) is one path component of these characters: no
# separator, no "..", no absolute path, no control character, so ``folder / name`` stays inside ``folder``.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.,+=@()\[\]-]*$")
MAX_NAME_CHARS = 200  # file systems allow 255 bytes; leave room for suffixes and temporary prefixes


def safe_name(name: object, what: str = "id") -> str:
    """``name`` if it is usable as one file name inside an output folder, else a one-line :class:`FormatError`.

    The one rule for every path built from data (export bvh / humanml3d, renders, demo files): letters and
    digits first, then letters, digits, space and ``_ . , + = @ ( ) [ ] -``; no ``/``, ``\\``, ``..`` at the
    start, no absolute path, at most 200 characters.
    """
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or len(name) > MAX_NAME_CHARS:
        raise FormatError(f"{what} {name!r}", f"not usable as a file name: expected one name of at most "
                          f"{MAX_NAME_CHARS} letters, digits, spaces or _ . , + = @ ( ) [ ] - (starting with a "
                          f"letter or digit), no path separators")
    return name


def path_in(folder: str | os.PathLike, name: object, suffix: str = "", what: str = "id") -> Path:
    """``folder / (name + suffix)`` for a data-derived ``name`` checked by :func:`safe_name`."""
    return Path(folder) / f"{safe_name(name, what)}{suffix}"


def os_reason(exc: OSError) -> str:
    """``disk full (ENOSPC)``, ``Read-only file system (EROFS)``, ...: an OSError in a few words."""
    code = errno.errorcode.get(exc.errno or 0, "")
    reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    if exc.errno is None and "requested and" in str(exc):  # numpy's short write (tofile / save) on a full disk
        reason = f"disk full ({exc})"
    return f"{reason} ({code})" if code else reason


def _new_file_mode(path: Path) -> int:
    """The replaced file's mode, or 0666 less the umask for a new file (as ``open(path, "w")`` gives)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():  # mkstemp makes 0600; give the file the mode a plain open() would have
            os.chmod(tmp_path, _new_file_mode(path))
        if fsync:
            with open(tmp_path, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is a temporary file or folder of :func:`atomic_output` / :func:`atomic_dir`."""
    return name.startswith(".") and ".tmp" in name


def swap_dir(new: str | os.PathLike, target: str | os.PathLike) -> None:
    """Rename folder ``new`` to ``target``, replacing what was there (a folder or a file), which is moved
    aside first and deleted after the swap."""
    new, target = Path(new), Path(target)
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:12]}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a new empty temporary folder beside ``path``; on success it replaces ``path`` (:func:`swap_dir`),
    on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:12]}")
    tmp.mkdir()
    try:
        yield tmp
        swap_dir(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_save_npy(path: str | os.PathLike, array) -> Path:
    import numpy as np

    with atomic_output(path) as tmp:
        np.save(tmp, array)
    return Path(path)
