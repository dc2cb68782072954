"""Batch runner for imports and exports: progress bar, go on after a failure, JSON failure report.

A bad item (a :class:`MotionbaseError`) is recorded and the batch goes on. An ``OSError`` while writing
(disk full, read-only folder) stops the batch, since every later item would meet it too: the summary and
the report say so in one line each, and :func:`store_batch` moves clips that were still buffered (never
committed to the store) from done to failed, so the report matches what the store holds.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import typer
from tqdm import tqdm

from ..errors import MotionbaseError
from ..io import atomic_write_text, os_reason


@dataclass
class BatchReport:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    stopped: str = ""  # why the batch stopped before the end ("" when it ran through)
    warnings: dict[str, list[str]] = field(default_factory=dict)  # item -> warnings raised while doing it

    def write(self, path: Path | None) -> None:
        if path is not None:
            atomic_write_text(path, json.dumps({"done": self.done, "skipped": self.skipped,
                                                "failed": self.failed, "stopped": self.stopped,
                                                "warnings": self.warnings}, indent=2))

    def finish(self, what: str, report_path: Path | None) -> None:
        """Print the outcome; list failures; exit 1 when anything failed or the batch stopped."""
        where = f" (report: {report_path})" if report_path else ""
        try:
            self.write(report_path)
        except (OSError, MotionbaseError) as exc:
            why = os_reason(exc) if isinstance(exc, OSError) else str(exc)
            where = f" (report NOT written to {report_path}: {why})"
        typer.echo(f"{what}: {len(self.done)} done, {len(self.skipped)} already there, {len(self.failed)} failed"
                   + where)
        if self.stopped:
            typer.echo(f"  stopped early: {self.stopped}", err=True)
        for item, lines in self.warnings.items():
            for line in lines:
                typer.echo(f"  warning: {line}" if line.startswith(item) else f"  warning: {item}: {line}", err=True)
        for item, why in self.failed.items():
            typer.echo(f"  failed: {why}" if why.startswith(item) else f"  failed: {item}: {why}", err=True)
        if self.failed or self.stopped or " NOT written" in where:
            raise typer.Exit(1)


def run_batch(items: Iterable, name: Callable[[object], str], work: Callable[[object], bool | None],
              desc: str, total: int | None = None) -> BatchReport:
    """Call ``work(item)`` for each item; a :class:`MotionbaseError` is recorded and the batch goes on;
    an ``OSError`` (disk full, read-only output) is recorded and stops the batch.

    ``work`` returns False when the item was already done (resume), anything else when it did it.
    Warnings raised while doing an item are kept in the report (and printed by :meth:`BatchReport.finish`).
    """
    report = BatchReport()
    for item in tqdm(items, desc=desc, total=total, unit="clip", disable=None):
        key = name(item)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                did = work(item)
            if caught:
                report.warnings[key] = [str(w.message) for w in caught]
            (report.skipped if did is False else report.done).append(key)
        except MotionbaseError as exc:
            report.failed[key] = str(exc)
        except OSError as exc:
            report.failed[key] = f"writing failed: {os_reason(exc)}"
            report.stopped = f"{os_reason(exc)} while writing {key}; the items after it were not tried"
            break
    return report


class _Stop(Exception):
    """Leave the store writer without committing its buffer (the batch stopped on a write error)."""


def store_batch(store, items: Iterable, name: Callable[[object], str], work: Callable[[object, object], bool | None],
                desc: str, total: int | None = None) -> BatchReport:
    """:func:`run_batch` with ``work(writer, item)`` adding clips through one writer of ``store``.

    When the batch stops on a write error (or committing the last shard fails), the clips not committed are
    moved from done to failed ("not stored"), so a rerun redoes exactly those.
    """
    added: list[str] = []
    writer = store.writer()

    def tracked(item) -> bool | None:
        result = work(writer, item)
        if result is not False:
            added.append(name(item))
        return result

    report = BatchReport()
    try:
        with writer:
            report = run_batch(items, name, tracked, desc, total)
            if report.stopped:
                raise _Stop
    except _Stop:
        pass
    except OSError as exc:  # the final commit failed
        report.stopped = f"{os_reason(exc)} while committing the last shard"
    for key in added[writer.written:]:
        report.done.remove(key)
        report.failed[key] = f"not stored: {report.stopped}"
    return report
