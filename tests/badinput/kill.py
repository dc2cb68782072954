"""``kill -9`` a ``motionbase`` command (and its worker processes) at a chosen moment, then run it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TQDM_DISABLE": "1"}


def argv(*args) -> list[str]:
    return [sys.executable, "-m", "motionbase", *map(str, args)]


def run(*args, timeout: float = 300) -> tuple[subprocess.CompletedProcess, float]:
    """Run to the end; (process, seconds)."""
    start = time.monotonic()
    p = subprocess.run(argv(*args), capture_output=True, text=True, env=ENV, timeout=timeout)
    return p, time.monotonic() - start


def kill_when(args, ready: Callable[[float], bool], *, timeout: float = 300) -> bool:
    """Start ``motionbase ARGS`` in its own process group; SIGKILL the group as soon as ``ready(elapsed)``.

    Returns True if it was killed, False if it finished first (the caller decides whether that is allowed).
    """
    proc = subprocess.Popen(argv(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
                            start_new_session=True)
    start = time.monotonic()
    try:
        while proc.poll() is None:
            if ready(time.monotonic() - start):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return True
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"motionbase {' '.join(map(str, args))} ran past {timeout} s")
            time.sleep(0.02)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def after(seconds: float) -> Callable[[float], bool]:
    return lambda elapsed: elapsed >= seconds


def exists(path: Path, delay: float = 0.0) -> Callable[[float], bool]:
    """Ready ``delay`` seconds after ``path`` first exists."""
    return when(path.exists, delay)


def has_files(folder: Path, delay: float = 0.0) -> Callable[[float], bool]:
    """Ready ``delay`` seconds after ``folder`` first holds a file (e.g. a finished input's marker)."""
    return when(lambda: folder.is_dir() and any(folder.iterdir()), delay)


def when(condition: Callable[[], bool], delay: float = 0.0) -> Callable[[float], bool]:
    """Ready ``delay`` seconds after ``condition()`` first holds."""
    seen: list[float] = []

    def ready(elapsed: float) -> bool:
        if not seen and condition():
            seen.append(elapsed)
        return bool(seen) and elapsed >= seen[0] + delay
    return ready
