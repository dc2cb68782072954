"""Detection boxes and tracking (motionbase.pipeline.detect / track): two real mocap walkers projected
through a camera give boxes with known identities; the HOG detector runs on the fixture image."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.formats.bvh import load_bvh
from motionbase.pipeline.detect import iou_matrix, nms, overlap_of_smaller
from motionbase.pipeline.lift import Camera
from motionbase.pipeline.track import TrackConfig, TrackSet

from .conftest import DATA
from .pipeline_support import needs_cv2

CAMERA = Camera.from_fov(768, 576, 60.0)


def test_iou_and_nms():
    a = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [100, 100, 110, 120]], float)
    iou = iou_matrix(a, a)
    np.testing.assert_allclose(np.diag(iou), 1.0)
    assert iou[0, 1] == pytest.approx(50 / 150) and iou[0, 2] == 0.0
    inner = np.array([[2, 2, 6, 6]], float)
    assert overlap_of_smaller(inner, a[:1])[0, 0] == 1.0 and iou_matrix(inner, a[:1])[0, 0] == pytest.approx(0.16)
    assert nms(a, np.array([0.5, 0.9, 0.1]), iou=0.4).tolist() == [1, 0, 2]
    assert nms(a, np.array([0.5, 0.9, 0.1]), iou=0.3).tolist() == [1, 2]


def boxes_of(joints_w, cam_pos, yaw_target) -> np.ndarray:
    """(T, 4) pixel boxes around the projected joints of a mocap clip (head top and feet margins added)."""
    z = np.asarray(yaw_target, float) - cam_pos
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 1.0, 0.0])
    x /= np.linalg.norm(x)
    R = np.stack([x, np.cross(z, x), z])
    px = CAMERA.project((joints_w - cam_pos) @ R.T)
    lo, hi = px.min(1), px.max(1)
    h = hi[:, 1] - lo[:, 1]
    return np.stack([lo[:, 0] - 0.1 * h, lo[:, 1] - 0.15 * h, hi[:, 0] + 0.1 * h, hi[:, 1] + 0.05 * h], axis=1)


@pytest.fixture(scope="module")
def two_walkers() -> np.ndarray:
    """(2, T, 4) boxes of two people: the Bandai walk-turn-left take, and the same take mirrored and
    shifted so that one walks past behind the other (their boxes overlap up to IoU 0.48)."""
    walk = load_bvh(DATA / "bvh/bandai/dataset-2/dataset-2_walk-turn-left_exhausted_038.bvh").joints_m
    other = walk * np.array([-1.0, 1.0, 1.0]) + np.array([2.2, 0.0, 1.8])
    cam = np.array([1.0, 2.5, -5.0])
    return np.stack([boxes_of(walk, cam, [1.0, 0.8, 1.0]), boxes_of(other, cam, [1.0, 0.8, 1.0])])


def run_tracker(boxes: np.ndarray, detect_every: int, lost: dict[int, range]) -> list:
    """The pipeline's protocol: detections every few frames (the true boxes plus one false detection),
    and per frame an observation for each live track, as the pose model gives it: the person whose box
    overlaps the track's predicted box most (none while that person is hidden, per ``lost``)."""
    tracks = TrackSet(TrackConfig(max_misses=5))
    P, T = boxes.shape[:2]
    for k in range(T):
        if k % detect_every == 0:
            dets = boxes[:, k][::-1] if k % 2 else boxes[:, k]
            if k == 10:
                dets = np.concatenate([dets, [[700.0, 20.0, 740.0, 100.0]]])  # nobody there
            tracks.associate(dets, np.ones(len(dets)))
        for t in list(tracks.live):
            iou = iou_matrix(t.predicted_box(), boxes[:, k])[0]
            who = int(iou.argmax())
            if iou[who] > 0.2 and k not in lost.get(who, ()):
                tracks.observe(t, k, boxes[who, k], payload=who)
            else:
                tracks.miss(t, k)
        tracks.prune(768, 576)
    return tracks.finish()


def test_two_walkers_keep_their_identities(two_walkers):
    assert iou_matrix(two_walkers[0], two_walkers[1]).diagonal().max() > 0.4  # they do overlap
    tracks = run_tracker(two_walkers, detect_every=5, lost={1: range(30, 33)})
    real = [t for t in tracks if t.num_observed > 0]
    assert len(real) == 2
    for t in real:
        people = {p for p, seen in zip(t.payloads, t.observed) if seen}
        assert len(people) == 1, people  # never switches to the other walker
    assert sorted(len(t.frames) for t in real) == [63, 63]  # the 3 hidden frames are bridged, not a new track
    hidden = next(t for t in real if t.payloads[0] == 1)
    assert hidden.observed[30:33] == [False] * 3
    false_positive = [t for t in tracks if t.num_observed == 0]
    assert all(len(t.frames) == 0 for t in false_positive)  # ended at its first miss, trimmed to nothing


def test_a_lost_person_ends_the_track_and_a_new_one_starts(two_walkers):
    tracks = run_tracker(two_walkers, detect_every=5, lost={0: range(20, 40)})
    first = [t for t in tracks if t.num_observed and t.payloads[0] == 0]
    assert len(first) == 2  # before and after the 1 s disappearance
    assert first[0].frames[-1] < 20 and first[1].frames[0] >= 40


def test_two_tracks_on_one_person_become_one():
    tracks = TrackSet(TrackConfig(duplicate_iou=0.6))
    a, b = tracks.associate(np.array([[0.0, 0.0, 50.0, 100.0], [200.0, 0.0, 250.0, 100.0]]))
    for k in range(3):
        tracks.observe(a, k, np.array([10.0 + k, 0.0, 60.0 + k, 100.0]))
        tracks.observe(b, k, np.array([10.0 + k, 5.0, 60.0 + k, 100.0]) if k else np.array([200.0, 0, 250, 100]))
        tracks.prune(768, 576)
    assert tracks.live == [a]  # b drifted onto a's person; the one seen less (or started later) ends


def test_predicted_box_follows_velocity():
    tracks = TrackSet()
    (t,) = tracks.associate(np.array([[0.0, 0.0, 10.0, 20.0]]))
    tracks.observe(t, 0, np.array([0.0, 0.0, 10.0, 20.0]))
    tracks.observe(t, 1, np.array([2.0, 0.0, 12.0, 20.0]))
    np.testing.assert_allclose(t.predicted_box(), [4.0, 0.0, 14.0, 20.0])
    tracks.miss(t, 2)
    np.testing.assert_allclose(t.boxes[-1], [4.0, 0.0, 14.0, 20.0])
    np.testing.assert_allclose(t.predicted_box(), [6.0, 0.0, 16.0, 20.0])


@needs_cv2
def test_hog_finds_the_players_in_the_fixture_image():
    from motionbase.pipeline.detect import HogPersonDetector
    from motionbase.pipeline.video import load_image

    found = HogPersonDetector()(load_image(DATA / "images/basketball1.png"))
    assert len(found) >= 1
    tall = found.boxes[np.argmax(found.boxes[:, 3] - found.boxes[:, 1])]
    # the player on the left: x 15-190, y 55-495 (MediaPipe's landmarks, padded; checked by eye)
    assert iou_matrix(tall, [[15.0, 55.0, 190.0, 495.0]])[0, 0] > 0.5
