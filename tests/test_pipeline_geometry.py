"""Geometry of the video pipeline on real mocap: project Bandai-Namco clips through a known camera, lift them
back with motionbase.pipeline.lift / clean, and measure the error against the mocap. No OpenCV/MediaPipe."""

from __future__ import annotations

import numpy as np
import pytest

from motionbase.formats.bvh import load_bvh
from motionbase.pipeline import clean, lift
from motionbase.pipeline.lift import Camera
from motionbase.skeleton import SMPL22

from .conftest import DATA

WALK = DATA / "bvh/bandai/dataset-2/dataset-2_walk-turn-left_exhausted_038.bvh"
CAMERA = Camera.from_fov(768, 576, 60.0)


@pytest.fixture(scope="module")
def walk() -> np.ndarray:
    return load_bvh(WALK).joints_m  # (63, 22, 3) metres, Y up, 20 fps


def look_at(cam_pos, target) -> np.ndarray:
    """World -> camera rotation (rows: camera x right, y down, z forward) for a camera with no roll."""
    z = np.asarray(target, float) - cam_pos
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 1.0, 0.0])
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z])


def observe(joints_w, cam_pos, target, *, noise_px=0.0, noise_m=0.0, scale=1.0, seed=0):
    """What the pose stage would see: 2D joints (T, 22, 2) pixels and the root-relative 3D pose in the axes
    of a camera looking at the person (as MediaPipe reports it), with optional noise and a size error."""
    rng = np.random.default_rng(seed)
    R = look_at(np.asarray(cam_pos, float), target)
    P = (joints_w - cam_pos) @ R.T
    px = CAMERA.project(P) + rng.normal(0.0, noise_px, P.shape[:2] + (2,))
    rel = P - P[:, :1]
    rel_crop = np.einsum("tba,tjb->tja", lift.ray_rotation(CAMERA, px[:, 0]), rel)
    return px, rel_crop * scale + rng.normal(0.0, noise_m, rel.shape), R


def aligned_error(a: np.ndarray, b: np.ndarray) -> float:
    """Mean joint distance (metres) after the best rotation about Y and translation of ``a`` onto ``b``
    (one for the whole clip: a monocular camera knows neither its heading nor its position)."""
    A, B = a.reshape(-1, 3), b.reshape(-1, 3)
    a0, b0 = A.mean(0), B.mean(0)
    U, _, Vt = np.linalg.svd((A - a0)[:, [0, 2]].T @ (B - b0)[:, [0, 2]])
    D = np.diag([1.0, np.sign(np.linalg.det(U @ Vt))])
    rot = (U @ D @ Vt).T
    A2 = A - a0
    A2[:, [0, 2]] = A2[:, [0, 2]] @ rot.T
    return float(np.linalg.norm(A2 + b0 - B, axis=-1).mean())


def reconstruct(px, rel_crop, *, correct_ray=True, up=None):
    """The pipeline's lifting on SMPL-22 input: ray correction, translation from 2D, up direction."""
    rel = lift.crop_to_camera(rel_crop, CAMERA, px[:, 0]) if correct_ray else rel_crop
    conf = np.ones(px.shape[:2])
    t = lift.solve_translation(rel, px, conf, CAMERA)
    joints = rel + t[:, None]
    if up is None:
        trunk, _ = lift.trunk_up(joints, conf)
        up = lift.estimate_up(trunk, lift.floor_points(joints, conf, trunk / np.linalg.norm(trunk)))
    return lift.to_world(joints, up), up


# ---------------------------------------------------------------- the joint map


def test_mediapipe_map_is_affine_and_direct_where_it_can_be():
    W = lift.MP33_TO_SMPL22
    assert W.shape == (22, 33)
    np.testing.assert_allclose(W.sum(1), 1.0, atol=1e-12)  # affine: works on pixels and metres alike
    for name in ("left_knee", "right_ankle", "left_shoulder", "right_elbow", "left_wrist", "right_hip"):
        row = W[SMPL22.index(name)]
        assert row[lift.MP33_NAMES.index(name)] == 1.0 and np.count_nonzero(row) == 1
    # left joints are built from left landmarks only (plus the mid-line); mirror symmetry of the map
    mp_mirror = [lift.MP33_NAMES.index(n.replace("left", "\0").replace("right", "left").replace("\0", "right"))
                 for n in lift.MP33_NAMES]
    np.testing.assert_allclose(W[list(SMPL22.mirror)][:, mp_mirror], W, atol=1e-12)


@pytest.mark.parametrize("name", ["000000", "012314"])
def test_synthesised_trunk_matches_smpl(name):
    """Pelvis, spine, neck and collars have no MediaPipe landmark; built from hips and shoulders they land
    within 5 cm of SMPL's own joints on average on real HumanML3D clips (two AMASS subjects; the
    proportions were measured on them), and within 10 cm each (a bent spine is not a straight line)."""
    joints = np.load(DATA / "humanml3d/new_joints" / f"{name}.npy").astype(np.float64)
    mp = np.zeros((len(joints), 33, 3))
    for part in ("left_hip", "right_hip", "left_shoulder", "right_shoulder"):
        mp[:, lift.MP33_NAMES.index(part)] = joints[:, SMPL22.index(part)]
    synth = lift.to_smpl22(mp)
    parts = [SMPL22.index(p) for p in ("pelvis", "spine1", "spine2", "spine3", "neck", "left_collar", "right_collar")]
    err = np.linalg.norm(synth[:, parts] - joints[:, parts], axis=-1).mean(0)
    assert err.mean() < 0.05 and err.max() < 0.10, err


def test_confidence_is_the_weakest_source():
    conf = np.ones((1, 33))
    conf[0, lift.MP33_NAMES.index("left_ear")] = 0.2
    c = lift.smpl22_confidence(conf)[0]
    assert c[SMPL22.index("head")] == pytest.approx(0.2)
    assert c[SMPL22.index("left_knee")] == 1.0


# ---------------------------------------------------------------- camera and translation


def test_ray_rotation_points_the_optical_axis_at_the_pixel():
    px = np.array([[0.0, 0.0], [384.0, 288.0], [700.0, 100.0]])
    R = lift.ray_rotation(CAMERA, px)
    np.testing.assert_allclose(np.einsum("nij,nkj->nik", R, R), np.broadcast_to(np.eye(3), R.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0)
    np.testing.assert_allclose(CAMERA.project(R[:, :, 2] * 5.0), px, atol=1e-9)
    np.testing.assert_allclose(R[1], np.eye(3), atol=1e-12)  # the image centre: no rotation


def test_exact_input_reconstructs_the_mocap(walk):
    """Noise-free projections of real mocap come back to within a millimetre, trajectory included."""
    cam = np.array([0.5, 3.0, -6.0])
    px, rel_crop, R = observe(walk, cam, [1.0, 0.8, 1.0])
    world, _ = reconstruct(px, rel_crop, up=R[:, 1])
    assert aligned_error(world, walk) < 1e-3


def test_ray_correction_matters_at_the_image_edge(walk):
    """A person near the border is seen obliquely: without turning the crop's pose onto the viewing ray, the
    reconstruction is off by centimetres; with it, exact."""
    cam = np.array([0.0, 3.0, -6.0])
    px, rel_crop, R = observe(walk, cam, [4.0, 0.8, 1.0])  # the walker crosses the right part of the image
    assert px[:, 0, 0].min() > 500
    up = R[:, 1]  # world +Y in camera axes
    good, _ = reconstruct(px, rel_crop, up=up)
    bad, _ = reconstruct(px, rel_crop, up=up, correct_ray=False)
    assert aligned_error(good, walk) < 1e-3
    assert aligned_error(bad, walk) > 0.05


def test_up_is_estimated_from_trunk_and_walking_line(walk):
    cam = np.array([0.0, 3.0, -6.0])
    px, rel_crop, R = observe(walk, cam, [1.0, 0.8, 1.0])
    _, up = reconstruct(px, rel_crop)
    true_up = R[:, 1]  # world +Y in camera axes
    assert np.degrees(np.arccos(np.clip(up @ true_up, -1, 1))) < 2.0


def test_noisy_reconstruction_after_cleaning(walk):
    """2 px keypoint noise and 2 cm 3D noise per joint and frame: lifted, cleaned (smoothing + bone lengths)
    and compared with the mocap. Cleaning must at least halve the error; the result stays under 6 cm."""
    cam = np.array([0.0, 3.0, -6.0])
    px, rel_crop, _ = observe(walk, cam, [1.0, 0.8, 1.0], noise_px=2.0, noise_m=0.02, seed=1)
    raw, _ = reconstruct(px, rel_crop)
    runs, notes = clean.clean_track(raw, np.ones(raw.shape[:2]), 20.0)
    assert len(runs) == 1 and not notes and (runs[0].start, runs[0].stop) == (0, len(walk))
    before, after = aligned_error(raw, walk), aligned_error(runs[0].joints, walk)
    assert after < 0.5 * before and after < 0.06, (before, after)


def test_solve_translation_marks_frames_without_keypoints():
    rel = np.zeros((2, 22, 3))
    rel[:, :, 1] = np.linspace(-0.8, 0.8, 22)
    px = np.full((2, 22, 2), 300.0)
    px[:, :, 1] += np.linspace(-80, 80, 22)
    w = np.ones((2, 22))
    w[1] = 0.0
    t = lift.solve_translation(rel, px, w, CAMERA)
    assert np.isfinite(t[0]).all() and t[0, 2] > 0 and np.isnan(t[1]).all()
