"""Failures during a pipeline run (motionbase.pipeline.run) on the fixture images: a crash mid-run, a full disk
(ENOSPC injected into the store's writes), an unreachable or malformed captioner endpoint; and the CLI.
Skipped without the [video] extra."""

from __future__ import annotations

import errno
from http.server import BaseHTTPRequestHandler

import pytest

from motionbase.data import ClipStore
from motionbase.pipeline.process import PipelineConfig, input_key
from motionbase.pipeline.run import PIPELINE_DIR, build_dataset

from .http_support import QuietServer
from .pipeline_support import make_inputs, needs_mediapipe

pytestmark = needs_mediapipe

CONFIG = PipelineConfig()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("inputs"))


def test_a_crash_loses_only_the_input_in_flight(inputs, tmp_path):
    """A run killed after its first input keeps that input (clips and marker); the rerun does the rest."""
    images = [inputs / "images/basketball1.png", inputs / "images/wall.png"]
    seen = []

    def crash(outcome):
        seen.append(outcome.path)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_dataset(images, tmp_path / "s", CONFIG, progress=False, on_outcome=crash)
    assert len(ClipStore.open(tmp_path / "s")) == 1
    rerun = build_dataset(images, tmp_path / "s", CONFIG, progress=False)
    assert rerun.skipped == [str(images[0])] and list(rerun.failed) == [str(images[1])]


def test_disk_full_while_writing_is_reported_and_the_store_stays_consistent(inputs, tmp_path, monkeypatch):
    import motionbase.data.store as store_module

    real = store_module._save_npy
    calls = []

    def full_disk(path, array):
        calls.append(path)
        if len(calls) == 2:  # the joints array of the first shard: the features array is already written
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, array)

    monkeypatch.setattr(store_module, "_save_npy", full_disk)
    image = inputs / "images/basketball1.png"
    report = build_dataset([image], tmp_path / "s", CONFIG, progress=False)
    why = report.failed[str(image)]
    assert "disk full" in why and "ENOSPC" in why and "none of its clips were stored" in why
    assert len(ClipStore.open(tmp_path / "s")) == 0
    assert not (tmp_path / "s" / PIPELINE_DIR / "done" / f"{input_key(image)}.json").exists()
    monkeypatch.setattr(store_module, "_save_npy", real)
    report = build_dataset([image], tmp_path / "s", CONFIG, progress=False)  # space again: it goes in
    assert report.done == [str(image)] and len(ClipStore.open(tmp_path / "s")) == 1


class _Malformed(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = b'{"choices": [{"message": {"content": "no JSON here, sorry"}}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("endpoint", ["unreachable", "malformed"])
def test_captioner_failures_are_reported_and_the_run_goes_on(inputs, tmp_path, endpoint):
    server = None
    if endpoint == "malformed":
        server = QuietServer(_Malformed)
        url = server.base_url
    else:
        url = "http://127.0.0.1:9/v1"  # the discard port: nothing listens
    config = PipelineConfig(captioner="lmm", captioner_options=(("base_url", url), ("max_retries", 0),
                                                                ("timeout_s", 2.0)))
    image = inputs / "images/basketball1.png"
    try:
        report = build_dataset([image, inputs / "images/wall.png"], tmp_path / "s", config, progress=False)
    finally:
        if server is not None:
            server.close()
    assert not report.done and len(report.failed) == 2
    why = report.failed[str(image)]
    assert "captioning clip" in why and "\n" not in why
    assert len(ClipStore.open(tmp_path / "s")) == 0


def test_cli_build_dataset_and_stats(inputs, tmp_path):
    import typer
    from typer.testing import CliRunner

    from motionbase.cli.pipeline import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    store = tmp_path / "s"
    res = runner.invoke(app, ["build-dataset", str(inputs / "images"), "--out", str(store), "--subset", "stills"])
    assert res.exit_code == 1, res.output  # two of the three images have no usable person
    assert "1 done, 0 already there, 2 failed" in res.output
    assert ClipStore.open(store)[0].meta.subset == "stills"
    res = runner.invoke(app, ["stats", str(store)])
    assert res.exit_code == 0, res.output
    assert (store / "stats" / "clip_lengths.png").is_file()
