"""Hostile input to build-dataset (issue 15, item 2): tiny images and videos are refused before native code,
the HOG detector no longer crashes on small frames, and a worker killed by a native crash fails only its
input: the batch goes on, the good inputs' clips are kept, a rerun skips the crashed input unless asked."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from motionbase.cli import app
from motionbase.data import ClipStore
from motionbase.errors import FormatError
from motionbase.pipeline.process import PipelineConfig
from motionbase.pipeline.run import PIPELINE_DIR, build_dataset

from .hostile_support import crash_or_process
from .pipeline_support import DATA, needs_cv2, needs_mediapipe

CONFIG = PipelineConfig()


def _image(path, side_w, side_h=None):
    import cv2

    rng = np.random.default_rng(side_w)
    cv2.imwrite(str(path), rng.integers(0, 255, (side_h or side_w, side_w, 3), dtype=np.uint8))
    return path


def _video(path, side, frames=10):
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (side, side))
    rng = np.random.default_rng(side)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (side, side, 3), dtype=np.uint8))
    writer.release()
    return path


@needs_cv2
@pytest.mark.parametrize("side", [1, 2, 4, 8, 16])
def test_tiny_images_and_videos_are_refused_before_native_code(tmp_path, side):
    from motionbase.pipeline.video import load_image, probe_video

    with pytest.raises(FormatError, match=f"the image is {side}x{side} px; expected at least 32 px"):
        load_image(_image(tmp_path / "tiny.png", side))
    if side >= 8:  # MJPG needs a few pixels to write at all
        with pytest.raises(FormatError, match=f"the video is {side}x{side} px; expected at least 32 px"):
            probe_video(_video(tmp_path / "tiny.avi", side))


@needs_cv2
def test_hog_detector_takes_frames_smaller_than_its_window(tmp_path):
    """OpenCV's detectMultiScale aborts or segfaults on frames smaller than 64 x 128 (exit 134 / 139 before the
    fix); run in a child process so that a regression fails this test instead of killing pytest."""
    code = ("import numpy as np\nfrom motionbase.pipeline.detect import HogPersonDetector\nd = HogPersonDetector()\n"
            "for h, w in [(1, 1), (16, 16), (64, 64), (64, 128), (127, 63), (48, 48)]:\n"
            "    assert len(d(np.zeros((h, w, 3), np.uint8))) == 0\nprint('all sizes done')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "all sizes done" in res.stdout, (res.returncode, res.stderr[-500:])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    import shutil

    shutil.copy(DATA / "images/basketball1.png", root / "good.png")
    for name in ("abort.png", "segv.png"):
        shutil.copy(DATA / "images/basketball1.png", root / name)
    return root


@needs_mediapipe
def test_a_worker_killed_by_a_native_crash_fails_only_its_input(inputs, tmp_path):
    paths = [inputs / "abort.png", inputs / "good.png", inputs / "segv.png"]
    store = tmp_path / "s"
    report = build_dataset(paths, store, CONFIG, progress=False, workers=2, process=crash_or_process)
    assert report.done == [str(inputs / "good.png")] and len(ClipStore.open(store)) >= 1
    assert "signal 6 (SIGABRT)" in report.failed[str(inputs / "abort.png")]
    assert "signal 11 (SIGSEGV)" in report.failed[str(inputs / "segv.png")]
    written = json.loads((store / PIPELINE_DIR / "report.json").read_text())
    assert sorted(written["failed"]) == sorted(str(p) for p in paths if p.name != "good.png")
    # a rerun skips the good input (done) and the crashed ones (recorded), starting no worker for them
    rerun = build_dataset(paths, store, CONFIG, progress=False, process=crash_or_process)
    assert rerun.skipped == [str(inputs / "good.png")]
    assert all("not retried: pass --retry-crashed" in why for why in rerun.failed.values())
    # asked to retry, they are run again (and crash again, each failing alone)
    retry = build_dataset(paths, store, CONFIG, progress=False, process=crash_or_process, retry_crashed=True)
    assert "SIGABRT" in retry.failed[str(inputs / "abort.png")] and "earlier run" not in retry.failed[str(inputs / "abort.png")]
    assert len(ClipStore.open(store)) == len(ClipStore.open(store).ids)


@needs_mediapipe
def test_cli_build_dataset_with_two_workers_keeps_the_good_image_among_tiny_ones(tmp_path):
    """The issue's case: a 1 px and a 16 px image beside a good one, --workers 2 (BrokenProcessPool before)."""
    import shutil

    good = tmp_path / "basketball1.png"
    shutil.copy(DATA / "images/basketball1.png", good)
    one, grass = _image(tmp_path / "one.png", 1), _image(tmp_path / "grass.png", 16)
    video = _video(tmp_path / "small.avi", 48)
    res = CliRunner().invoke(app, ["build-dataset", str(grass), str(one), str(good), str(video), "--workers", "2",
                                   "--out", str(tmp_path / "s"), "--captioner", "none"])
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    report = json.loads((tmp_path / "s" / PIPELINE_DIR / "report.json").read_text())
    assert report["done"] == [str(good)] and len(report["clips"][str(good)]) >= 1
    assert "1x1 px" in report["failed"][str(one)] and "16x16 px" in report["failed"][str(grass)]
    assert "worker process died" not in json.dumps(report["failed"])  # refused, not crashed


class _FakeRay:
    """Just enough of Ray's API for run_ray, in this process: a task whose input is named ``*segv*`` fails in
    ``ray.get`` with a RayError, as a task whose worker died does (Ray itself is not installed here)."""

    class exceptions:  # noqa: N801 - mirrors ray.exceptions
        class RayError(Exception):
            pass

        class WorkerCrashedError(RayError):
            pass

    def __init__(self):
        self.started = False

    def is_initialized(self):
        return self.started

    def init(self, **kwargs):
        self.started = True

    def shutdown(self):
        self.started = False

    def remote(self, **options):
        fake = self

        class Task:
            def __init__(self, fn):
                self.fn = fn

            def remote(self, path, config):
                if "segv" in path:
                    return fake.exceptions.WorkerCrashedError("The worker died unexpectedly while executing this task.")
                return self.fn(path, config)

        return Task

    def wait(self, pending, num_returns=1):
        return pending[:1], pending[1:]

    def get(self, ref):
        if isinstance(ref, Exception):
            raise ref
        return ref


def test_a_ray_task_whose_worker_died_fails_only_its_input(monkeypatch, tmp_path):
    from motionbase.pipeline import run as run_module
    from motionbase.pipeline.run import Outcome, run_ray

    monkeypatch.setattr(run_module, "require", lambda *a, **k: _FakeRay())
    paths = [str(tmp_path / "a.png"), str(tmp_path / "segv.png"), str(tmp_path / "b.png")]
    outcomes = list(run_ray(paths, CONFIG, 2, "local", process=lambda p, c: Outcome(p, error=f"{p}: processed")))
    by_path = {o.path: o for o in outcomes}
    assert sorted(by_path) == sorted(paths)
    crashed = by_path[paths[1]]
    assert crashed.crashed and "the Ray worker died while processing this input (WorkerCrashedError" in crashed.error
    assert not by_path[paths[0]].crashed and by_path[paths[2]].error.endswith("processed")
