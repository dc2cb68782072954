import numpy as np

from motionbase.features.humanml3d import joints_to_features
from motionbase.features.mirror import mirror_features, mirror_joints

from .conftest import load_hml


def test_feature_mirror_equals_mirroring_the_joints():
    joints = load_hml("012314", "new_joints").astype(np.float64)
    a = joints_to_features(mirror_joints(joints), uniform=False)
    b = mirror_features(joints_to_features(joints, uniform=False))
    np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(mirror_features(mirror_features(b)), b)


def test_mirror_twice_is_identity_and_swaps_sides():
    joints = load_hml("000000", "new_joints")
    m = mirror_joints(joints)
    np.testing.assert_array_equal(mirror_joints(m), joints)
    np.testing.assert_allclose(m[:, 20, 0], -joints[:, 21, 0])  # left wrist <- right wrist, X negated
