"""Native-crash isolation: inputs run in long-lived worker processes; a worker's death is one input's failure.

OpenCV, FFmpeg and MediaPipe are C/C++; a hostile input can make them abort or segfault, which no ``try``
catches. So every input runs in a spawned worker process (spawn: MediaPipe's threads do not survive fork)
that handles inputs one after another and keeps its models loaded. When a worker dies (a signal such as
SIGSEGV or SIGABRT, or a non-zero exit), the input it was working on becomes an :class:`Outcome` with
``crashed=True`` and a one-line reason, a fresh worker takes its place, and the other inputs go on.
:func:`~.run.build_dataset` records crashed inputs so that a rerun skips them unless asked to retry.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .process import InputResult


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one input: its result, or a one-line reason it failed."""

    path: str
    result: InputResult | None = None
    error: str = ""
    crashed: bool = False  # the worker process died on this input (a native crash)


def death_reason(path: str, exitcode: int | None) -> str:
    """One line: which input, how the worker died (``signal 11 (SIGSEGV)``, ``exit code 3``)."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"signal {-exitcode} ({signal.Signals(-exitcode).name})"
        except ValueError:
            how = f"signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    return (f"{path}: the worker process died ({how}) while processing this input, a crash in native code "
            f"(OpenCV / FFmpeg / MediaPipe); the input was skipped")


def _serve(conn, process: Callable, config) -> None:
    """Worker loop: receive a path, send back ``process(path, config)``; None or a closed pipe ends it."""
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        conn.send(process(path, config))


class _Worker:
    def __init__(self, ctx, process: Callable, config):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, process, config), daemon=True)
        self.proc.start()
        child.close()
        self.path: str | None = None

    def give(self, path: str) -> None:
        self.path = path
        self.conn.send(path)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def run_isolated(paths: list[str], config, workers: int, process: Callable) -> Iterator:
    """Yield ``process(path, config)`` (an Outcome) for each path, computed in ``workers`` worker processes;
    a worker's death yields ``Outcome(path, error=..., crashed=True)`` for its input and a new worker."""
    ctx = multiprocessing.get_context("spawn")
    todo = list(reversed(paths))
    pool: list[_Worker] = []
    try:
        while todo or any(w.path is not None for w in pool):
            for w in pool:
                if w.path is None and todo:
                    w.give(todo.pop())
            while len(pool) < workers and todo:
                pool.append(_Worker(ctx, process, config))
                pool[-1].give(todo.pop())
            busy = [w for w in pool if w.path is not None]
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy]))
            results = []
            for w in busy:
                if w.conn not in ready and w.proc.sentinel not in ready:
                    continue
                try:
                    if w.conn.poll():
                        results.append(w.conn.recv())
                        w.path = None
                        continue
                except Exception:  # noqa: BLE001 - EOF or a half-sent reply: the worker is dying
                    pass
                if w.proc.is_alive() and w.proc.sentinel not in ready:
                    continue
                w.proc.join()
                results.append(Outcome(w.path, error=death_reason(w.path, w.proc.exitcode), crashed=True))
                w.conn.close()
                pool.remove(w)
            yield from results
    finally:
        for w in pool:
            w.stop()
