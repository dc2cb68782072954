"""Parallel runners (motionbase.pipeline.run): a local process pool and a local Ray cluster started with
ray.init(num_cpus=2) (not local_mode, which runs tasks serially). Both must give the serial run's clips,
from two worker processes. Slow (process start-up, MediaPipe and Ray import): ``pytest -m slow``."""

from __future__ import annotations

import pytest

from motionbase.data import ClipStore
from motionbase.pipeline.process import PipelineConfig
from motionbase.pipeline.run import build_dataset

from .pipeline_support import make_inputs, needs_mediapipe, needs_ray

pytestmark = [pytest.mark.slow, needs_mediapipe]

CONFIG = PipelineConfig(max_seconds=3.0)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = make_inputs(tmp_path_factory.mktemp("inputs"))
    return [root / "video/vtest.avi", root / "images/basketball1.png", root / "images/wall.png",
            root / "video/corrupt.avi"]


@pytest.fixture(scope="module")
def serial(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "s"
    report = build_dataset(inputs, out, CONFIG, progress=False)
    return report, sorted(ClipStore.open(out).ids)


def _run(inputs, out, **kwargs):
    workers = set()
    report = build_dataset(inputs, out, CONFIG, progress=False, workers=2,
                           on_outcome=lambda o: workers.add(o.result.worker) if o.result else None, **kwargs)
    return report, sorted(ClipStore.open(out).ids), workers


def test_process_pool_matches_the_serial_run(inputs, serial, tmp_path):
    report, ids, workers = _run(inputs, tmp_path / "p")
    assert ids == serial[1] and sorted(report.done) == sorted(serial[0].done)
    assert report.failed.keys() == serial[0].failed.keys()
    assert len(workers) == 2  # the two good inputs ran in two different processes


@needs_ray
def test_ray_local_cluster_matches_the_serial_run(inputs, serial, tmp_path):
    report, ids, workers = _run(inputs, tmp_path / "r", ray_address="local")
    assert ids == serial[1] and report.failed.keys() == serial[0].failed.keys()
    assert len(workers) == 2
