"""MediaPipe Pose on person crops (motionbase.pipeline.pose) on the fixture image and video, and the lift of
its output to SMPL-22. Skipped without the [video] extra."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.errors import MotionbaseError
from motionbase.pipeline import lift
from motionbase.pipeline.pose import CropPoser, PoseConfig
from motionbase.skeleton import SMPL22

from .conftest import DATA
from .pipeline_support import needs_mediapipe

pytestmark = needs_mediapipe

PLAYER = np.array([15.0, 55.0, 190.0, 495.0])  # the left player of basketball1.png, [x0, y0, x1, y1] px
MP = {name: i for i, name in enumerate(lift.MP33_NAMES)}


@pytest.fixture(scope="module")
def player():
    import cv2

    from motionbase.pipeline.video import load_image

    rgb = cv2.cvtColor(load_image(DATA / "images/basketball1.png"), cv2.COLOR_BGR2RGB)
    poser = CropPoser(PoseConfig(), stream=False)
    try:
        yield rgb, poser(rgb, PLAYER)
    finally:
        poser.close()


def test_landmarks_lie_on_the_player(player):
    _, pose = player
    assert pose is not None
    px = pose.keypoints_px
    core = [MP[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee", "right_knee")]
    assert (pose.visibility[core] > 0.8).all()
    assert (px[core, 0] > PLAYER[0]).all() and (px[core, 0] < PLAYER[2]).all()
    assert (px[core, 1] > PLAYER[1]).all() and (px[core, 1] < PLAYER[3]).all()
    # image y grows downwards: shoulders above hips above knees above ankles
    y = lambda n: px[[MP["left_" + n], MP["right_" + n]], 1].mean()  # noqa: E731
    assert y("shoulder") < y("hip") < y("knee") < y("ankle")
    from motionbase.pipeline.detect import iou_matrix

    assert iou_matrix(pose.box, PLAYER)[0, 0] > 0.6


def test_world_landmarks_are_metric_hip_centred_and_y_down(player):
    _, pose = player
    w = pose.world_m
    np.testing.assert_allclose((w[MP["left_hip"]] + w[MP["right_hip"]]) / 2, 0.0, atol=0.02)
    assert w[MP["left_shoulder"], 1] < 0 < w[MP["left_ankle"], 1]  # y points down
    shoulder_to_ankle = w[MP["left_ankle"], 1] - w[MP["left_shoulder"], 1]
    assert 1.0 < shoulder_to_ankle < 1.7  # metres, an adult


def test_smpl22_from_real_mediapipe_has_human_proportions(player):
    _, pose = player
    joints = lift.to_smpl22(pose.world_m[None])[0]
    parents = np.array(SMPL22.parents)
    lengths = np.linalg.norm(joints[1:] - joints[parents[1:]], axis=-1)
    ref = SMPL22.bone_lengths_m[1:]  # HumanML3D's skeleton
    for name in ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_elbow", "right_elbow",
                 "left_wrist", "right_wrist", "spine1", "neck"):
        j = SMPL22.index(name) - 1
        assert 0.6 < lengths[j] / ref[j] < 1.6, (name, lengths[j], ref[j])


def test_streaming_follows_a_pedestrian_in_the_fixture_video():
    import cv2

    from motionbase.pipeline.video import iter_frames

    poser = CropPoser(PoseConfig(), stream=True)
    box = np.array([250.0, 204.0, 290.0, 320.0])  # HOG's detection at frame 0 (checked by eye: a walker)
    centres = []
    try:
        for _, bgr in iter_frames(DATA / "video/vtest.avi", range(8)):
            pose = poser(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), box)
            assert pose is not None
            box = pose.box
            centres.append((box[:2] + box[2:]) / 2)
    finally:
        poser.close()
    steps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    assert steps.max() < 15.0  # pixels per frame at 10 fps: a walker, not a jump to someone else


def test_only_the_bundled_model_is_allowed():
    with pytest.raises(MotionbaseError, match="model_complexity=2 downloads"):
        CropPoser(PoseConfig(model_complexity=2))
