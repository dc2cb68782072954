"""The pipeline end to end (motionbase.pipeline.run): the fixture video (its first 3 s) and images into a clip
store, with the bad inputs of the issue (corrupt and empty videos, images without a usable person) in the
failures report; provenance; resume; stats. Skipped without the [video] extra. (Crashes, a full disk, captioner
failures and the CLI: test_pipeline_failures.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionbase.data import ClipStore
from motionbase.pipeline.process import PipelineConfig
from motionbase.pipeline.run import PIPELINE_DIR, build_dataset

from .pipeline_support import make_inputs, needs_mediapipe

pytestmark = needs_mediapipe

CONFIG = PipelineConfig(max_seconds=3.0)  # the first 3 s of the video: one walker is tracked long enough


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def built(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("store") / "store"
    report = build_dataset([inputs], out, CONFIG, progress=False)
    return out, report


def test_good_inputs_become_clips_and_bad_ones_are_reported(built, inputs):
    out, report = built
    assert sorted(report.done) == [str(inputs / "images/basketball1.png"), str(inputs / "video/vtest.avi")]
    failed = report.failed
    assert sorted(failed) == sorted(str(inputs / p) for p in ("images/astronaut.png", "images/wall.png",
                                                               "video/empty.mp4", "video/corrupt.avi"))
    assert "empty file" in failed[str(inputs / "video/empty.mp4")]
    assert "cannot open" in failed[str(inputs / "video/corrupt.avi")]
    assert "knees and ankles not all visible" in failed[str(inputs / "images/astronaut.png")]
    assert "no person found" in failed[str(inputs / "images/wall.png")]
    for path, why in failed.items():
        assert why.startswith(path) and "\n" not in why  # one line naming the file
    saved = json.loads((out / PIPELINE_DIR / "report.json").read_text())
    assert saved["failed"] == failed and saved["done"] == report.done


def test_video_clips_carry_their_provenance(built, inputs):
    out, report = built
    store = ClipStore.open(out)
    video = [store[i] for i in report.clips[str(inputs / "video/vtest.avi")]]
    assert len(video) >= 1
    for clip in video:
        m = clip.meta
        assert clip.fps == 20.0 and not m.static and m.source == "video" and m.subset == "video"
        assert m.source_fps == 10.0 and 0 <= m.frame_start < m.frame_end < 30
        assert clip.num_frames == 2 * (m.frame_end - m.frame_start) + 1  # 10 fps interpolated to 20
        boxes = np.asarray(m.bbox_track)
        assert boxes.shape == (clip.num_frames, 4) and (boxes[:, 2:] > boxes[:, :2]).all()
        assert clip.captions.whole and clip.captions.parts["upper_body"] and clip.captions.parts["lower_body"]
        root = clip.joints_m[:, 0]
        speed = np.linalg.norm(np.diff(root[:, [0, 2]], axis=0), axis=1) * 20.0
        assert 0.5 < speed.mean() < 2.5  # a pedestrian walks (m/s)
        assert 0.6 < root[:, 1].mean() < 1.1  # hips above the floor (m)
        i = store.index(m.id)
        assert store.features(i).shape == (clip.num_frames - 1, 263)


def test_image_clip_is_static(built, inputs):
    out, report = built
    store = ClipStore.open(out)
    (clip_id,) = report.clips[str(inputs / "images/basketball1.png")]
    clip = store[clip_id]
    assert clip.meta.static and clip.num_frames == 64 and clip.meta.source == "image"
    assert (clip.meta.frame_start, clip.meta.frame_end) == (0, 0)
    assert len(clip.meta.bbox_track) == 64
    np.testing.assert_array_equal(clip.joints_m[0], clip.joints_m[-1])
    assert clip.joints_m[..., 1].min() == pytest.approx(0.0, abs=1e-6)  # standing on the floor
    assert "raise" in " ".join(clip.captions.whole).lower()  # the player holds the ball up with both hands


def test_rerun_skips_finished_inputs(built, inputs):
    out, _ = built
    n = len(ClipStore.open(out))
    again = build_dataset([inputs / "images/basketball1.png", inputs / "video/vtest.avi"], out, CONFIG,
                          progress=False, report_path=out.parent / "again.json")
    assert len(again.skipped) == 2 and not again.done and not again.failed
    assert len(ClipStore.open(out)) == n


def test_stats_plots(built, tmp_path):
    from motionbase.pipeline.stats import write_stats

    out, _ = built
    written = write_stats(ClipStore.open(out), tmp_path / "stats")
    assert {"subsets", "lengths", "words_whole", "words_upper_body", "words_lower_body", "json"} <= set(written)
    for path in written.values():
        assert path.stat().st_size > 0
    stats = json.loads(written["json"].read_text())
    assert stats["per_subset"]["images"] == 1 and stats["static_clips"] == 1
    assert "the" not in stats["words"]["whole"] and stats["words"]["lower_body"]
