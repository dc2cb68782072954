"""Floor calibration from the people on it and depth from foot contact (motionbase.pipeline.ground), on real
mocap walkers projected through a known camera."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.formats.bvh import load_bvh
from motionbase.pipeline import ground, lift
from motionbase.pipeline.lift import Camera, LiftedTrack

from .conftest import DATA
from .test_pipeline_geometry import look_at, observe

CAMERA = Camera.from_fov(768, 576, 60.0)
CAM_POS = np.array([0.0, 4.0, -9.0])  # 4 m up, looking down at the walkers
TARGET = np.array([1.0, 0.0, 1.0])


@pytest.fixture(scope="module")
def walk() -> np.ndarray:
    return load_bvh(DATA / "bvh/bandai/dataset-2/dataset-2_walk-turn-left_exhausted_038.bvh").joints_m


def lifted(joints_w, offset, *, scale=1.0, noise_px=0.0, seed=0) -> LiftedTrack:
    """A mocap walker at ``offset`` as the pose stage would give it, lifted with depth from body size."""
    px, rel_crop, _ = observe(joints_w + offset, CAM_POS, TARGET, scale=scale, noise_px=noise_px, seed=seed)
    rel = lift.crop_to_camera(rel_crop, CAMERA, px[:, 0])
    conf = np.ones(px.shape[:2])
    return LiftedTrack(rel, lift.solve_translation(rel, px, conf, CAMERA), conf, px)


def true_plane() -> tuple[float, float]:
    R = look_at(CAM_POS, TARGET)
    pitch = np.arcsin(-R[2, 1])  # the optical axis' downward slope
    return CAMERA.cy - CAMERA.focal_px * np.tan(pitch), float(np.degrees(pitch))


def test_the_floor_is_calibrated_from_walkers_at_several_distances(walk):
    tracks = [lifted(walk, [0.0, 0.0, 0.0]), lifted(walk, [-2.0, 0.0, 5.0], seed=1)]
    up = np.mean([lift.trunk_up(t.joints_cam, t.conf)[0] for t in tracks], axis=0)
    samples = np.concatenate([ground.ground_samples(t, up / np.linalg.norm(up)) for t in tracks])
    plane = ground.fit_ground(samples, CAMERA)
    horizon, pitch_deg = true_plane()
    assert plane is not None and plane.samples == len(samples) > 100
    assert np.degrees(plane.pitch(CAMERA)) == pytest.approx(pitch_deg, abs=1.0)
    # the camera is 4 m up; the fit measures from the lowest foot joint (the ankle, ~5-10 cm up)
    assert plane.height_m == pytest.approx(4.0, abs=0.25)
    R = look_at(CAM_POS, TARGET)
    assert np.degrees(np.arccos(plane.up(CAMERA) @ R[:, 1])) < 1.0


def test_one_distance_is_not_enough(walk):
    track = lifted(walk, [0.0, 0.0, 0.0])
    samples = ground.ground_samples(track, lift.trunk_up(track.joints_cam, track.conf)[0] / 1.0)
    steady = samples.copy()
    steady[:, 1] = steady[:, 1].mean()  # everyone at the same distance: no line to fit
    assert ground.fit_ground(steady, CAMERA) is None
    assert ground.fit_ground(samples[:5], CAMERA) is None  # too few


def test_foot_contact_depth_is_steadier_than_depth_from_size(walk):
    """MediaPipe's metric body size fluctuates from frame to frame; with 8 % fluctuation and 1.5 px keypoint
    noise, depth from size wanders by most of a metre at 10 m. Depth from the foot on the floor does not."""
    scale = 1.0 + np.random.default_rng(3).normal(0.0, 0.08, (len(walk), 1, 1))
    track = lifted(walk, [0.0, 0.0, 0.0], scale=scale, noise_px=1.5)
    horizon, _ = true_plane()
    plane = ground.GroundPlane(horizon, 4.0 - 0.07)  # the ankle's height
    R = look_at(CAM_POS, TARGET)
    truth = (walk - CAM_POS) @ R.T
    size_err = np.linalg.norm(track.transl - truth[:, 0], axis=-1).mean()
    t = ground.foot_contact_translation(track, CAMERA, plane)
    foot_err = np.linalg.norm(t - truth[:, 0], axis=-1).mean()
    assert size_err > 0.4 and foot_err < 0.3 * size_err, (size_err, foot_err)


def test_feet_at_the_horizon_keep_their_depth(walk):
    track = lifted(walk, [0.0, 0.0, 0.0])
    plane = ground.GroundPlane(horizon_px=float(track.keypoints_px[..., 1].max()) + 1.0, height_m=4.0)
    np.testing.assert_array_equal(ground.foot_contact_translation(track, CAMERA, plane), track.transl)
