"""Read and cut (motionbase.pipeline.video) on the real fixture video and images."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.errors import FormatError
from motionbase.pipeline import video

from .conftest import DATA
from .pipeline_support import needs_cv2

VTEST = DATA / "video/vtest.avi"  # 795 frames, 10 fps, 768 x 576 (OpenCV sample)


def test_schedule_keeps_every_frame_of_slow_sources():
    s = video.frame_schedule(795, 10.0)
    assert s.fps == 10.0 and len(s.source_frames) == 795
    np.testing.assert_allclose(s.times_s[:3], [0.0, 0.1, 0.2])


@pytest.mark.parametrize("src_fps, expected", [(30.0, [0, 2, 3, 5, 6, 8]), (60.0, [0, 3, 6, 9, 12, 15]),
                                               (25.0, [0, 1, 3, 4, 5, 6]), (20.0, [0, 1, 2, 3, 4, 5])])
def test_schedule_picks_the_nearest_frame_of_fast_sources(src_fps, expected):
    s = video.frame_schedule(300, src_fps)
    assert s.fps == min(src_fps, 20.0)
    assert s.source_frames[:6].tolist() == expected
    assert np.abs(s.times_s - np.arange(len(s.times_s)) / 20.0).max() <= 0.5 / src_fps + 1e-9
    assert s.source_frames[-1] <= 299


def test_random_cuts_are_seeded_and_within_10_to_60_s():
    n, fps = 20 * 600, 20.0  # ten minutes
    cuts = video.random_cuts(n, fps, video.input_rng("walk.mp4", 0))
    assert cuts == video.random_cuts(n, fps, video.input_rng("walk.mp4", 0))
    assert cuts != video.random_cuts(n, fps, video.input_rng("walk.mp4", 1))
    assert cuts != video.random_cuts(n, fps, video.input_rng("run.mp4", 0))
    assert cuts[0][0] == 0 and cuts[-1][1] == n
    assert all(b == c for (_, b), (c, _) in zip(cuts[:-1], cuts[1:]))  # contiguous, nothing lost
    lengths = np.array([b - a for a, b in cuts]) / fps
    assert lengths.min() >= 10.0 and lengths.max() <= 60.0
    assert len(set(np.round(lengths))) > 3  # random, not a fixed step


def test_short_footage_stays_whole_and_short_rests_are_absorbed():
    rng = video.input_rng("x", 0)
    assert video.random_cuts(20 * 45, 20.0, rng) == [(0, 900)]
    for seed in range(20):
        cuts = video.random_cuts(20 * 75, 20.0, video.input_rng("x", seed))
        lengths = [(b - a) / 20.0 for a, b in cuts]
        assert min(lengths) >= 10.0 and max(lengths) <= 60.0 and sum(lengths) == 75.0


def test_media_kind_and_find_inputs(tmp_path):
    assert video.media_kind("a/b.MP4") == "video" and video.media_kind("x.jpeg") == "image"
    with pytest.raises(FormatError, match="unknown media suffix '.txt'"):
        video.media_kind("notes.txt")
    (tmp_path / "sub").mkdir()
    for name in ("b.avi", "a.png", "sub/c.mov", "readme.md"):
        (tmp_path / name).write_bytes(b"x")
    found = video.find_inputs([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.png", "b.avi", "sub/c.mov"]


# ---------------------------------------------------------------- with OpenCV


@needs_cv2
def test_probe_the_fixture_video():
    info = video.probe_video(VTEST)
    assert (info.fps, info.num_frames, info.width, info.height) == (10.0, 795, 768, 576)
    assert info.seconds == pytest.approx(79.5)


@needs_cv2
def test_iter_frames_decodes_exactly_the_requested_frames():
    got = list(video.iter_frames(VTEST, [0, 1, 5, 12]))
    assert [k for k, _ in got] == [0, 1, 5, 12]
    import cv2

    cap = cv2.VideoCapture(str(VTEST))
    frames = [cap.read()[1] for _ in range(13)]
    cap.release()
    for k, image in got:
        assert image.shape == (576, 768, 3) and image.dtype == np.uint8
        np.testing.assert_array_equal(image, frames[k])
    assert not np.array_equal(got[2][1], got[3][1])


@needs_cv2
def test_truncated_video_stops_without_error(tmp_path):
    cut = tmp_path / "cut.avi"
    cut.write_bytes(VTEST.read_bytes()[:400_000])  # the first ~5 % of the file
    info = video.probe_video(cut)
    got = [k for k, _ in video.iter_frames(cut, range(info.num_frames))]
    assert 0 < len(got) < 795 and got == list(range(len(got)))


@needs_cv2
@pytest.mark.parametrize("content, message", [
    (b"", "empty file"), (b"not a video at all " * 100, "cannot open"),
    (b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(3000), "cannot open|no decodable")])
def test_bad_videos_raise_one_line_format_errors(tmp_path, content, message):
    bad = tmp_path / "bad.avi"
    bad.write_bytes(content)
    with pytest.raises(FormatError, match=message) as err:
        video.probe_video(bad)
    assert str(bad) in str(err.value) and "\n" not in str(err.value)


@needs_cv2
def test_load_images():
    rgb = video.load_image(DATA / "images/astronaut.png")
    grey = video.load_image(DATA / "images/basketball1.png")
    assert rgb.shape == (512, 512, 3) and grey.shape == (480, 640, 3)  # grey comes back as 3 channels
    np.testing.assert_array_equal(grey[..., 0], grey[..., 2])


@needs_cv2
def test_unreadable_image(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes((DATA / "images/astronaut.png").read_bytes()[:100])
    with pytest.raises(FormatError, match="not a readable image"):
        video.load_image(bad)
