"""A small tmpfs mounted for one test (a full disk, or a read-only one after ``remount,ro``); skipped with the
reason where this machine does not allow mounting (not root, no CAP_SYS_ADMIN, a container without it)."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Iterator

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    try:
        p = _mount("-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(path))
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot run mount here ({exc})")
    if p.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not allowed here: {p.stderr.strip() or p.returncode}")
    try:
        if read_only:
            remount(path, "ro")
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def remount(path: Path, options: str) -> None:
    p = _mount("-o", f"remount,{options}", str(path))
    assert p.returncode == 0, p.stderr
