"""Run the pipeline over many inputs into a clip store: in this process, a local process pool, or Ray.

Each input runs in a worker process (:mod:`.isolate`) unless ``isolate=False`` with one worker: a native
crash (segfault, abort in OpenCV / FFmpeg / MediaPipe) kills only that worker, the input is recorded as
failed (``STORE/pipeline/crashed/<key>.json``), the run goes on, and a rerun skips it unless
``retry_crashed=True``. Workers run :func:`~.process.process_input` (everything CPU-heavy: decode, detect, pose, lift, clean,
captions, SMPL-X) and send back clips; this process is the store's only writer. Each input's clips are
committed as one shard, then the input's resume marker (``STORE/pipeline/done/<key>.json``) is written, so

- a finished input is never redone (its marker is there; the marker is written only after its clips are);
- a crash loses at most the inputs in flight (a killed run leaves no half-written shard visible);
- a failure (unreadable file, no person, captioner error, a full disk while writing, a worker killed by a
  native crash) is one line in the report and the run goes on with the next input; the failed input's
  clips are all or nothing.

The report (``STORE/pipeline/report.json``, or ``report_path``) lists done, skipped (already done) and failed
inputs, the clips and notes of each, and CPU seconds per stage.

Ray: ``ray_address="local"`` starts a local cluster with ``workers`` CPUs; any other value joins that
cluster (``ray.init(address=...)``). Inputs are Ray tasks of one CPU each, at most ``2 * workers`` in flight;
a task whose worker dies is that input's crash, as with local workers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..data import ClipStore
from ..errors import MotionbaseError
from ..io import atomic_write_text, os_reason
from .bodymodel import save_fit
from .isolate import Outcome, run_isolated
from .process import STAGES, PipelineConfig, input_key, process_input
from .video import find_inputs, require

PIPELINE_DIR = "pipeline"  # inside the store: done/ and crashed/ markers, report.json, smplx/ parameters


@dataclass
class PipelineReport:
    """done / skipped (finished earlier) / failed inputs (by path; failed: path -> one-line reason), the clip ids
    and notes of each done input, CPU seconds per stage and frames decoded."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    clips: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    frames: int = 0

    def write(self, path: Path | None) -> None:
        if path is not None:
            atomic_write_text(path, json.dumps(asdict(self), indent=2))


def safe_process(path: str, config: PipelineConfig) -> Outcome:
    """:func:`process_input` that never raises: every failure becomes a one-line :class:`Outcome` error."""
    try:
        return Outcome(path, process_input(path, config))
    except MotionbaseError as exc:
        return Outcome(path, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bad input must not stop the run; the report names it
        return Outcome(path, error=f"{path}: unexpected {type(exc).__name__} while processing: {exc}".splitlines()[0])


# ---------------------------------------------------------------- executors


Process = Callable[[str, PipelineConfig], Outcome]


def run_serial(paths: list[str], config: PipelineConfig, process: Process = safe_process) -> Iterator[Outcome]:
    """In this process (no isolation: a native crash ends the run)."""
    for p in paths:
        yield process(p, config)


def run_ray(paths: list[str], config: PipelineConfig, workers: int, address: str,
            process: Process = safe_process) -> Iterator[Outcome]:
    """Ray tasks of one CPU each on a local (``address="local"``) or existing cluster; a task whose worker
    died (``ray.exceptions.RayError`` from ``ray.get``) is that input's crash."""
    ray = require("ray", "the Ray runner (--ray)", "pip install 'motionbase[dist]'")
    started = not ray.is_initialized()
    if started:
        if address == "local":
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    task = ray.remote(num_cpus=1, max_retries=0)(process)
    try:
        todo, pending, path_of = list(paths), [], {}
        while todo or pending:
            while todo and len(pending) < 2 * workers:
                path = todo.pop(0)
                pending.append(task.remote(path, config))
                path_of[pending[-1]] = path
            ready, pending = ray.wait(pending, num_returns=1)
            path = path_of.pop(ready[0])
            try:
                yield ray.get(ready[0])
            except ray.exceptions.RayError as exc:  # the worker died (WorkerCrashedError) or the task failed
                why = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                yield Outcome(path, error=f"{path}: the Ray worker died while processing this input "
                                          f"({type(exc).__name__}{': ' + why if why else ''}); the input was skipped",
                              crashed=True)
    finally:
        if started:
            ray.shutdown()


# ---------------------------------------------------------------- the store side


class _Sink:
    """Commits each input's clips as one shard through a long-lived writer; on a write error the writer is
    closed with that error (its buffer dropped: nothing of the input becomes visible) and reopened later."""

    def __init__(self, store):
        self.store = store
        self._writer = None

    def write(self, clips) -> int:
        if self._writer is None:
            self._writer = self.store.writer()
            self._writer.__enter__()
        before = self._writer.written
        try:
            for clip in clips:
                self._writer.add(clip)
            self._writer.flush()
        except BaseException as exc:
            writer, self._writer = self._writer, None
            writer.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self._writer.written - before

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.__exit__(None, None, None)


def _os_error(path: str, what: str, exc: OSError) -> str:
    return f"{path}: {what} failed ({os_reason(exc)})"


def build_dataset(inputs: Iterable[str | os.PathLike], store_path: str | os.PathLike,
                  config: PipelineConfig = PipelineConfig(), *, workers: int = 1, ray_address: str | None = None,
                  report_path: str | os.PathLike | None = None, progress: bool = True,
                  on_outcome: Callable[[Outcome], None] | None = None, isolate: bool = True,
                  retry_crashed: bool = False, process: Process = safe_process) -> PipelineReport:
    """Turn videos and images (files or folders) into clips in the store at ``store_path`` (created if
    needed); resumable; returns the report (also written to ``report_path`` or ``STORE/pipeline/report.json``).

    isolate: run inputs in worker processes even with one worker (a native crash fails one input, not the
    run); ``False`` with ``workers=1`` runs them in this process. retry_crashed: try again the inputs that
    crashed a worker in an earlier run (otherwise they are reported failed and skipped). process: the
    per-input function (a picklable module-level function returning an :class:`Outcome`)."""
    from tqdm import tqdm

    if workers < 1:
        raise MotionbaseError(f"workers must be at least 1, got {workers}")
    if config.captioner:  # a misnamed captioner or option fails here, once, not once per input
        from .caption import get_captioner

        get_captioner(config.captioner, **dict(config.captioner_options))
    store = ClipStore.create(store_path, exist_ok=True)
    meta_dir = Path(store_path) / PIPELINE_DIR
    done_dir = meta_dir / "done"
    done_dir.mkdir(parents=True, exist_ok=True)
    crashed_dir = meta_dir / CRASHED
    report = PipelineReport()
    todo: list[str] = []
    for p in find_inputs(inputs):
        crash_marker = crashed_dir / f"{input_key(p)}.json" if p.is_file() else None
        if not p.is_file():
            report.failed[str(p)] = f"{p}: no such file"
        elif (done_dir / f"{input_key(p)}.json").is_file():
            report.skipped.append(str(p))
        elif crash_marker is not None and crash_marker.is_file() and not retry_crashed:
            report.failed[str(p)] = _recorded_crash(crash_marker, str(p))
        else:
            todo.append(str(p))

    if ray_address:
        outcomes = run_ray(todo, config, workers, ray_address, process)
    elif isolate or workers > 1:
        outcomes = run_isolated(todo, config, min(workers, max(len(todo), 1)), process)
    else:
        outcomes = run_serial(todo, config, process)
    sink = _Sink(store)
    bar = tqdm(total=len(todo), desc="build-dataset", unit="input", disable=None if progress else True)
    try:
        for out in outcomes:
            bar.update(1)
            if on_outcome is not None:
                on_outcome(out)
            if out.result is None:
                report.failed[out.path] = out.error
                if out.crashed:
                    _record_crash(crashed_dir, out, report)
                continue
            _store_result(out, sink, Path(store_path), done_dir, report)
            if out.path in report.clips:  # done now: an earlier crash of this input is history
                (crashed_dir / f"{input_key(out.path)}.json").unlink(missing_ok=True)
            bar.set_postfix(clips=sum(map(len, report.clips.values())), failed=len(report.failed))
    finally:
        outcomes.close()  # stops the workers, also when this loop was interrupted
        bar.close()
        sink.close()
        report.write(Path(report_path) if report_path else meta_dir / "report.json")
    return report


CRASHED = "crashed"  # inside PIPELINE_DIR: one marker per input that killed its worker


def _record_crash(crashed_dir: Path, out: Outcome, report: PipelineReport) -> None:
    try:
        atomic_write_text(crashed_dir / f"{input_key(out.path)}.json",
                          json.dumps({"path": out.path, "error": out.error}))
    except OSError as exc:
        report.failed[out.path] += "; " + _os_error(out.path, "recording the crash", exc)


def _recorded_crash(marker: Path, path: str) -> str:
    try:
        error = json.loads(marker.read_text(encoding="utf-8"))["error"]
    except (OSError, ValueError, KeyError, TypeError):
        error = f"{path}: crashed a worker"
    return f"{error} (in an earlier run; not retried: pass --retry-crashed to try again)"


def _store_result(out: Outcome, sink: _Sink, store_path: Path, done_dir: Path, report: PipelineReport) -> None:
    r = out.result
    try:
        for clip_id, arrays in r.bodies.items():
            save_fit(store_path / PIPELINE_DIR / "smplx" / f"{clip_id}.npz", arrays)
        sink.write(r.clips)
    except OSError as exc:
        report.failed[out.path] = _os_error(out.path, "writing its clips", exc) + "; none of its clips were stored"
        return
    except MotionbaseError as exc:
        report.failed[out.path] = f"{out.path}: {exc}; none of its clips were stored"
        return
    ids = [c.meta.id for c in r.clips]
    try:
        atomic_write_text(done_dir / f"{r.key}.json", json.dumps({"path": r.path, "clips": ids, "notes": r.notes}))
    except OSError as exc:
        report.failed[out.path] = (_os_error(out.path, "writing its resume marker", exc)
                                   + "; its clips are stored and a rerun will skip them")
        return
    report.done.append(out.path)
    report.clips[out.path] = ids
    report.notes[out.path] = r.notes
    report.frames += r.frames
    for stage, sec in r.cpu_s.items():
        report.cpu_s[stage] = report.cpu_s.get(stage, 0.0) + sec
