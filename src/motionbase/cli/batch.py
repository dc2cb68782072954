"""Batch runner for imports and exports: progress bar, go on after a failure, JSON failure report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import typer
from tqdm import tqdm

from ..errors import MotionbaseError
from ..io import atomic_write_text


@dataclass
class BatchReport:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def write(self, path: Path | None) -> None:
        if path is not None:
            atomic_write_text(path, json.dumps({"done": self.done, "skipped": self.skipped,
                                                "failed": self.failed}, indent=2))

    def finish(self, what: str, report_path: Path | None) -> None:
        """Print the outcome; list failures; exit 1 when anything failed."""
        self.write(report_path)
        typer.echo(f"{what}: {len(self.done)} done, {len(self.skipped)} already there, {len(self.failed)} failed"
                   + (f" (report: {report_path})" if report_path else ""))
        for item, why in self.failed.items():
            typer.echo(f"  failed: {why}" if why.startswith(item) else f"  failed: {item}: {why}", err=True)
        if self.failed:
            raise typer.Exit(1)


def run_batch(items: Iterable, name: Callable[[object], str], work: Callable[[object], bool | None],
              desc: str, total: int | None = None) -> BatchReport:
    """Call ``work(item)`` for each item; a :class:`MotionbaseError` is recorded and the batch goes on.

    ``work`` returns False when the item was already done (resume), anything else when it did it.
    """
    report = BatchReport()
    for item in tqdm(items, desc=desc, total=total, unit="clip", disable=None):
        key = name(item)
        try:
            (report.skipped if work(item) is False else report.done).append(key)
        except MotionbaseError as exc:
            report.failed[key] = str(exc)
    return report
