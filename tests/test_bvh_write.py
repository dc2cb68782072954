"""BVH writing: the IK round trip joints -> BVH -> joints on real clips, the rest pose, atomic writes."""

from pathlib import Path

import numpy as np
import pytest

from motionbase.errors import FormatError, ShapeError
from motionbase.formats.bvh import load_bvh, read_bvh, write_bvh
from motionbase.formats.bvh_write import joints_to_bvh, kabsch, matrix_to_euler_zyx, rotation_between
from motionbase.formats.bvh_read import euler_to_matrix
from motionbase.skeleton import SMPL22

DATA = Path(__file__).parent / "data"
BANDAI = DATA / "bvh" / "bandai" / "dataset-2" / "dataset-2_walk-turn-left_exhausted_038.bvh"
CMU_01 = DATA / "bvh" / "cmu" / "01_01.bvh"
CMU_131 = DATA / "bvh" / "cmu" / "131_01.bvh"


def round_trip(tmp_path, joints, **kwargs):
    """Write, read back with our reader, return (positions in metres in SMPL-22 order, what was written)."""
    path = tmp_path / "clip.bvh"
    written = write_bvh(path, joints, **kwargs)
    bvh = read_bvh(path)
    scale = 100.0 if kwargs.get("units", "cm") == "cm" else 1.0
    return bvh.joint_positions()[:, [bvh.index(n) for n in SMPL22.names]] / scale, written


def six_channel_joints(bvh):
    return [n for n, c in zip(bvh.names, bvh.channels) if len(c) == 6]


@pytest.mark.parametrize("clip_id", ["000000", "012314"])
def test_humanml3d_joints_round_trip_exactly(tmp_path, clip_id):
    joints = np.load(DATA / "humanml3d" / "new_joints" / f"{clip_id}.npy").astype(np.float64)
    back, written = round_trip(tmp_path, joints)
    assert np.abs(back - joints).max() < 1e-5  # metres; float32 input, 6 decimals in the file
    assert six_channel_joints(written) == ["pelvis"]  # SMPL is rigid: rotations alone suffice


@pytest.mark.parametrize("path, max_6ch", [(BANDAI, 1), (CMU_131, 3), (CMU_01, 3)], ids=["bandai", "cmu131", "cmu01"])
def test_mocap_round_trip_within_1mm(tmp_path, path, max_6ch):
    clip = load_bvh(path)
    back, written = round_trip(tmp_path, clip.joints_m)
    err_mm = np.linalg.norm(back - clip.joints_m, axis=-1).max() * 1000
    assert err_mm < 1.0, err_mm
    assert len(six_channel_joints(written)) <= max_6ch


def test_cmu_needs_position_channels_for_exactness(tmp_path):
    # CMU's LowerBack and lower neck rotate about the root / chest, so SMPL's pelvis and spine3 see
    # children that do not move rigidly together; rotations alone miss by centimetres.
    clip = load_bvh(CMU_131)
    back, written = round_trip(tmp_path, clip.joints_m, exact=False)
    assert six_channel_joints(written) == ["pelvis"]
    assert np.linalg.norm(back - clip.joints_m, axis=-1).max() > 0.01
    _, exact = round_trip(tmp_path, clip.joints_m)
    assert six_channel_joints(exact) == ["pelvis", "spine1", "neck"]  # the hips stay rigid with the pelvis


def test_rest_pose_is_a_readable_t_pose():
    clip = load_bvh(BANDAI)
    bvh = joints_to_bvh(clip.joints_m, units="m")
    off = dict(zip(bvh.names, bvh.offsets))
    lengths = np.median(np.linalg.norm(clip.joints_m - clip.joints_m[:, [max(p, 0) for p in SMPL22.parents]],
                                       axis=-1), axis=0)
    np.testing.assert_allclose(np.linalg.norm(bvh.offsets, axis=-1), lengths, atol=1e-6)
    assert np.allclose(off["pelvis"], 0)
    unit = {k: v / np.linalg.norm(v) for k, v in off.items() if k != "pelvis"}
    assert unit["left_knee"] @ [0, -1, 0] > 0.999 and unit["right_ankle"] @ [0, -1, 0] > 0.999
    assert unit["left_foot"] @ [0, 0, 1] > 0.999 and unit["head"] @ [0, 1, 0] > 0.999
    assert unit["left_elbow"] @ [1, 0, 0] > 0.999 and unit["right_wrist"] @ [-1, 0, 0] > 0.999
    assert unit["left_hip"][0] > 0.9 and unit["right_hip"][0] < -0.9 and unit["spine1"][1] > 0.9
    assert unit["left_collar"][0] > 0.3 and unit["right_collar"][0] < -0.3 and unit["neck"][1] > 0.9
    assert bvh.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    assert bvh.channels[4] == ("Zrotation", "Yrotation", "Xrotation")
    cm = joints_to_bvh(clip.joints_m)
    np.testing.assert_allclose(cm.offsets, bvh.offsets * 100, atol=1e-9)


def test_file_header_and_atomic_replace(tmp_path):
    joints = np.load(DATA / "humanml3d" / "new_joints" / "000000.npy")
    path = tmp_path / "out.bvh"
    path.write_text("old")
    write_bvh(path, joints, fps=20.0)
    text = path.read_text()
    assert text.startswith("HIERARCHY\nROOT pelvis\n{\n\tOFFSET 0.000000 0.000000 0.000000\n")
    assert f"MOTION\nFrames: {len(joints)}\nFrame Time: 0.05\n" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bvh"]  # no temp file left behind
    write_bvh(tmp_path / "new" / "dir" / "a.bvh", joints)  # missing folders are created
    assert (tmp_path / "new" / "dir" / "a.bvh").is_file()
    with pytest.raises(FormatError, match="cannot write here"):
        write_bvh(path / "inside-a-file.bvh", joints)  # a file where a folder should be


def test_bad_joints_are_refused():
    joints = np.load(DATA / "humanml3d" / "new_joints" / "000000.npy")
    with pytest.raises(ShapeError, match=r"expected \(T, 22, 3\)"):
        joints_to_bvh(joints[:, :21])
    bad = joints.copy()
    bad[7, 3, 1] = np.nan
    with pytest.raises(ShapeError, match="frame 7"):
        joints_to_bvh(bad)
    with pytest.raises(ShapeError, match="coincide"):
        joints_to_bvh(np.zeros((4, 22, 3)))
    with pytest.raises(ShapeError, match="units"):
        joints_to_bvh(joints, units="ft")


def test_rotation_helpers():
    rng = np.random.default_rng(1)
    R = euler_to_matrix(rng.uniform(-180, 180, (200, 3)), "ZYX")
    np.testing.assert_allclose(euler_to_matrix(matrix_to_euler_zyx(R), "ZYX"), R, atol=1e-12)
    gimbal = euler_to_matrix(np.array([[30.0, 90.0, 10.0]]), "ZYX")
    np.testing.assert_allclose(euler_to_matrix(matrix_to_euler_zyx(gimbal), "ZYX"), gimbal, atol=1e-9)
    a = np.array([0.0, 1.0, 0.0])
    b = np.array([[1.0, 0, 0], [0, -1.0, 0], [0, 1.0, 0], [0.3, -0.2, 0.9]])
    Rb = rotation_between(a, b)
    np.testing.assert_allclose(Rb @ a, b / np.linalg.norm(b, axis=-1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(Rb), 1.0)
    pts = rng.normal(size=(5, 3))
    Rt = euler_to_matrix(np.array([40.0, -20, 75]), "ZYX")
    np.testing.assert_allclose(kabsch(np.einsum("ka,kb->ab", pts @ Rt.T, pts)), Rt, atol=1e-12)
