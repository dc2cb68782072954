"""Running a command on bad input and judging the outcome: one clear line, the promised exit code, nothing
half-written, nothing lost.

In process (``cli``): the typer app through CliRunner with :func:`motionbase.cli.main`'s contract — a
:class:`MotionbaseError` is ``error: <one line>`` and exit 2, any other exception is a traceback (a bug).
In a child process (``proc``): ``python -m motionbase ...`` for inputs that reach native code (OpenCV,
MediaPipe, ffmpeg), where a crash must not take the test run down with it.

A failed check about data says ``DATA LOST`` in its message; scripts/reliability_report.py counts those.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner


DATA_LOST = "DATA LOST"
# What motionbase's writers name their temporary files (io.atomic_output, data.store._atomic_write).
_TEMP = re.compile(r"(^\..*\.tmp)|(\.tmp-)|(^\.tmp)")


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    traceback: str | None = None  # set when an exception other than MotionbaseError escaped

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error: ")]


def cli(*args, input: str | None = None) -> Outcome:
    """``motionbase ARGS`` in this process, with ``main()``'s handling of the errors it expects."""
    from motionbase.cli import app, error_line

    res = CliRunner().invoke(app, [str(a) for a in args], input=input)
    out, err = res.stdout, res.stderr
    exc = res.exception
    line = error_line(exc) if exc is not None else None
    if line is not None:
        return Outcome(2, out, err + " ".join(line.split()) + "\n")
    if exc is not None and not isinstance(exc, SystemExit):
        import traceback

        return Outcome(res.exit_code, out, err, "".join(traceback.format_exception(exc)))
    return Outcome(res.exit_code, out, err)


def proc(*args, timeout: float = 120, env: dict | None = None, cwd: Path | None = None) -> Outcome:
    """``python -m motionbase ARGS`` in a child process; a signal death is a negative code."""
    argv = [sys.executable, "-m", "motionbase", *[os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args]]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TQDM_DISABLE": "1", **(env or {})}
    p = subprocess.run(argv, capture_output=True, timeout=timeout, env=full_env, cwd=cwd)
    err = p.stderr.decode("utf-8", "replace")
    return Outcome(p.returncode, p.stdout.decode("utf-8", "replace"), err,
                   err if "Traceback (most recent call last)" in err else None)


def assert_clean(o: Outcome, codes: tuple[int, ...], *, says: str | None = None) -> None:
    """Exit code in ``codes``; no traceback, no native crash; a failure explained on one ``error:`` line."""
    assert o.traceback is None, f"traceback instead of one line:\n{o.traceback[-2000:]}"
    assert o.code >= 0 and o.code not in (134, 139), f"native crash (exit {o.code}):\n{o.err[-1500:]}"
    assert o.code in codes, f"exit {o.code}, expected one of {codes}\nstdout: {o.out[-800:]}\nstderr: {o.err[-1500:]}"
    if o.code == 2 and not is_usage_error(o):
        assert len(o.error_lines) == 1, f"expected exactly one 'error:' line, got:\n{o.err[-1500:]}"
    if says is not None:
        text = (o.out + o.err).lower()
        assert says.lower() in text, f"message does not say {says!r}:\n{o.out[-600:]}\n{o.err[-1200:]}"


def is_usage_error(o: Outcome) -> bool:
    """Click's own refusal of a command line (unknown option, value out of range): exit 2, a framed message."""
    return o.code == 2 and not o.error_lines and any(
        s in o.err for s in ("Invalid value", "No such option", "Missing argument", "Missing option", "Usage:",
                             "No such command", "requires an argument", "requires 2 arguments", "requires 3 arguments",
                             "Got unexpected extra argument"))


def temp_leftovers(root: Path) -> list[Path]:
    """Temporary files motionbase's writers would have removed (a half-written output)."""
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file() and _TEMP.search(p.name)]


def assert_no_leftovers(*roots: Path) -> None:
    left = [p for r in roots for p in temp_leftovers(Path(r))]
    assert not left, f"{DATA_LOST}: half-written files left: {left[:5]}"


def snapshot(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (relative paths): to check a store or folder is untouched."""
    root = Path(root)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def assert_intact(root: Path, before: dict[str, str], *, ignore: tuple[str, ...] = ("writer.lock",)) -> None:
    after = snapshot(root)
    keep = lambda d: {k: v for k, v in d.items() if Path(k).name not in ignore}  # noqa: E731
    assert keep(after) == keep(before), (f"{DATA_LOST}: {root} changed: "
                                         f"{sorted(set(keep(before).items()) ^ set(keep(after).items()))[:6]}")


def store_ids(path: Path) -> list[str]:
    from motionbase.data import ClipStore

    store = ClipStore.open(path)
    return [store.id(i) for i in range(len(store))]
