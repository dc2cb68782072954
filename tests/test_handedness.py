"""Handedness golden test on real mocap: clips that raise / wave the LEFT hand (Bandai-Namco, see SOURCES.md)."""

import numpy as np
import pytest

from motionbase.features.humanml3d import features_to_joints, joints_to_features
from motionbase.features.mirror import mirror_features, mirror_joints
from motionbase.formats.bvh import load_bvh

from .conftest import DATA

CLIPS = ["dataset-2_raise-up-left-hand_normal_001", "dataset-2_wave-left-hand_normal_013"]
LEFT_WRIST, RIGHT_WRIST = 20, 21


def most_moving_joint(joints: np.ndarray) -> int:
    rel = joints - joints[:, :1]  # ignore the trajectory
    return int(np.argmax(np.linalg.norm(np.diff(rel, axis=0), axis=-1).sum(0)))


@pytest.mark.parametrize("name", CLIPS)
def test_left_hand_clip_moves_left_wrist_and_mirror_moves_right(name):
    joints = load_bvh(DATA / "bvh" / "bandai" / "handedness" / f"{name}.bvh").joints_m
    assert most_moving_joint(joints) == LEFT_WRIST
    assert joints[:, LEFT_WRIST, 1].max() > joints[:, RIGHT_WRIST, 1].max() + 0.4  # the left hand goes up
    assert most_moving_joint(mirror_joints(joints)) == RIGHT_WRIST
    # the same through the 263-dim features and their mirror
    feats = joints_to_features(joints)
    assert most_moving_joint(features_to_joints(feats.astype(np.float64))) == LEFT_WRIST
    assert most_moving_joint(features_to_joints(mirror_features(feats).astype(np.float64))) == RIGHT_WRIST
